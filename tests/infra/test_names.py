"""Pure decisions, without the Pulumi runtime: names, limits, cron, the lake's prefixes.
The policy documents are in test_policies.py.

Expected values are written out here; none is computed with the code under test.
"""

from __future__ import annotations

import botocore.session
import pytest

from infra import names
from infra.pipeline import declared_log_groups, encrypted_log_groups, lake_prefixes, role_log_group_names
from infra.schedule import glue_cron_problem
from infra.settings import settings_from_config


def test_dev_default_names_are_the_tutorials():
    assert names.default_names("dev", creates_silver=False) == {
        "silverDatabase": "silver_data",
        "silverTable": "sample_data_partitioned",
        "goldDatabase": "gold_data",
        "goldTable": "sample_data_aggregated",
        "jobName": "job-transform-silver-to-gold",
        "crawlerName": "crawler-gold-data",
    }


def test_other_stacks_default_names_carry_the_stack():
    assert names.default_names("staging-eu", creates_silver=True) == {
        "silverDatabase": "silver_data_staging_eu",
        "silverTable": "sample_data_partitioned",
        "goldDatabase": "gold_data_staging_eu",
        "goldTable": "sample_data_aggregated",
        "jobName": "job-transform-silver-to-gold-staging-eu",
        "crawlerName": "crawler-gold-data-staging-eu",
    }
    assert names.default_names("prod", creates_silver=False)["silverDatabase"] == "silver_data"


def test_fixed_names():
    assert names.bucket_prefix("prod") == "silver-to-gold-prod-"
    # Not starting with the lake's prefix: each bucket's generated name matches one prefix.
    assert names.access_log_bucket_prefix("prod") == "silver-to-gold-logs-prod-"
    assert names.role_name("prod") == "silver-to-gold-prod-glue"
    assert names.workgroup_name("prod") == "silver-to-gold-prod"
    assert names.key_alias("prod") == "alias/silver-to-gold-prod"
    assert names.operator_policy_name("prod") == "silver-to-gold-prod-operator"
    assert names.alerts_topic_name("prod") == "silver-to-gold-prod-alerts"
    assert names.failure_rule_name("prod") == "silver-to-gold-prod-failures"
    assert names.job_log_group_prefix("job-x") == "/aws-glue/jobs/job-x"
    assert names.schedule_trigger_name("job-x") == "job-x-schedule"
    assert names.on_demand_trigger_name("job-x") == "job-x-run"
    assert names.crawler_trigger_name("crawler-x") == "crawler-x-after-job"


def test_security_configuration_name_changes_with_what_it_encrypts():
    plain = names.EncryptionModes("SSE-S3", "DISABLED", "DISABLED", "none")
    created = names.EncryptionModes("SSE-KMS", "SSE-KMS", "CSE-KMS", "create")
    other_key = names.EncryptionModes(
        "SSE-KMS", "SSE-KMS", "CSE-KMS", "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    )
    assert names.security_configuration_name("prod", plain) == "silver-to-gold-prod-fb9bf960"
    assert names.security_configuration_name("prod", created) == "silver-to-gold-prod-442134bc"
    assert names.security_configuration_name("prod", other_key) not in (
        "silver-to-gold-prod-fb9bf960",
        "silver-to-gold-prod-442134bc",
    )
    # Same settings, same name: no needless replacement.
    assert names.security_configuration_name("prod", created) == names.security_configuration_name(
        "prod", names.EncryptionModes("SSE-KMS", "SSE-KMS", "CSE-KMS", "create")
    )


def test_log_groups_with_and_without_cloudwatch_encryption():
    # Glue 5.0 with --custom-logGroup-prefix: <prefix>/output and <prefix>/error, the only
    # layout AWS documents, encrypted or not ("Logging for AWS Glue jobs").
    assert names.job_log_groups("/aws-glue/jobs/j") == ("/aws-glue/jobs/j/output", "/aws-glue/jobs/j/error")
    for kms in ("none", "create"):
        assert settings_from_config("prod", {"kms": kms}).job_log_groups == (
            "/aws-glue/jobs/job-transform-silver-to-gold-prod/output",
            "/aws-glue/jobs/job-transform-silver-to-gold-prod/error",
        )
    assert names.crawler_log_group("sc", "r", encrypted=False) == "/aws-glue/crawlers"
    assert names.crawler_log_group("sc", "r", encrypted=True) == "/aws-glue/crawlers-role/r-sc"


def test_the_documented_encrypted_job_group_form_is_a_pattern():
    assert names.documented_encrypted_job_log_groups("sc", "r") == "/aws-glue/jobs-r-sc/*"


def test_the_role_writes_to_the_default_crawler_group_in_both_cases():
    assert role_log_group_names(settings_from_config("dev", {})) == [
        "/aws-glue/jobs/job-transform-silver-to-gold/output",
        "/aws-glue/jobs/job-transform-silver-to-gold/error",
        "/aws-glue/crawlers",
    ]
    assert role_log_group_names(settings_from_config("prod", {"kms": "create"}))[2:] == [
        "/aws-glue/crawlers-role/silver-to-gold-prod-glue-silver-to-gold-prod-442134bc",
        "/aws-glue/crawlers",
        # AWS's documented form (JobRun.LogGroupName): /aws-glue/jobs-<role>-<security configuration>/
        "/aws-glue/jobs-silver-to-gold-prod-glue-silver-to-gold-prod-442134bc/*",
    ]
    assert names.role_log_groups("/p", "sc", "r", encrypted=True) == [
        "/p/output",
        "/p/error",
        "/aws-glue/crawlers-role/r-sc",
        "/aws-glue/crawlers",
        "/aws-glue/jobs-r-sc/*",
    ]


def test_the_key_and_the_role_encrypt_the_declared_groups_and_the_documented_form():
    assert encrypted_log_groups(settings_from_config("dev", {})) == []
    assert encrypted_log_groups(settings_from_config("prod", {"kms": "create"})) == [
        "/aws-glue/jobs/job-transform-silver-to-gold-prod/output",
        "/aws-glue/jobs/job-transform-silver-to-gold-prod/error",
        "/aws-glue/crawlers-role/silver-to-gold-prod-glue-silver-to-gold-prod-442134bc",
        "/aws-glue/jobs-silver-to-gold-prod-glue-silver-to-gold-prod-442134bc/*",
    ]


@pytest.mark.parametrize(
    "stack, bare",
    [("dev", "dev"), ("acme/dev", "dev"), ("acme/silver-to-gold/qa-eu", "qa-eu"), ("Org_1.x/dev", "dev")],
)
def test_bare_stack_name(stack, bare):
    assert names.bare_stack_name(stack) == bare


@pytest.mark.parametrize("stack", ["", "acme/", "/dev", "a/b/c/d", "acme/other/dev", "acme/de v", "x" * 101])
def test_bare_stack_name_refuses_what_pulumi_refuses(stack):
    with pytest.raises(ValueError):
        names.bare_stack_name(stack)


def test_the_shared_crawler_group_is_never_declared():
    assert declared_log_groups(settings_from_config("dev", {})) == {
        "job-output": "/aws-glue/jobs/job-transform-silver-to-gold/output",
        "job-error": "/aws-glue/jobs/job-transform-silver-to-gold/error",
    }
    assert declared_log_groups(settings_from_config("prod", {"kms": "create"}))["crawler"] == (
        "/aws-glue/crawlers-role/silver-to-gold-prod-glue-silver-to-gold-prod-442134bc"
    )


def test_length_problems_name_the_limit():
    assert names.name_length_problems({"iam_role": "r" * 64, "event_rule": "e" * 64}) == []
    assert names.name_length_problems({"iam_role": "r" * 65}) == [
        f"'{'r' * 65}' is 65 characters; IAM CreateRole RoleName allows at most 64"
    ]


@pytest.mark.parametrize(
    "kind, service, shape, member",
    [
        ("iam_role", "iam", "CreateRoleRequest", "RoleName"),
        ("iam_policy", "iam", "CreatePolicyRequest", "PolicyName"),
        ("glue_job", "glue", "CreateJobRequest", "Name"),
        ("glue_crawler", "glue", "CreateCrawlerRequest", "Name"),
        ("glue_database", "glue", "DatabaseInput", "Name"),
        ("glue_security_configuration", "glue", "CreateSecurityConfigurationRequest", "Name"),
        ("glue_trigger", "glue", "CreateTriggerRequest", "Name"),
        ("log_group", "logs", "CreateLogGroupRequest", "logGroupName"),
        ("kms_alias", "kms", "CreateAliasRequest", "AliasName"),
        ("event_rule", "events", "PutRuleRequest", "Name"),
        ("cloudwatch_alarm", "cloudwatch", "PutMetricAlarmInput", "AlarmName"),
        ("metric_filter", "logs", "PutMetricFilterRequest", "filterName"),
    ],
)
def test_limits_match_botocore(kind, service, shape, member):
    model = botocore.session.get_session().get_service_model(service)
    assert names.LIMITS[kind] == model.shape_for(shape).members[member].metadata["max"]


def test_athena_workgroup_limit_matches_botocore_pattern():
    model = botocore.session.get_session().get_service_model("athena")
    assert model.shape_for("CreateWorkGroupInput").members["Name"].metadata["pattern"] == "[a-zA-Z0-9._-]{1,128}"
    assert names.LIMITS["athena_workgroup"] == 128


@pytest.mark.parametrize(
    "expression",
    [
        "cron(15 12 * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",
        "cron(0/15 * * * ? *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0 10 ? * 6#3 *)",
        "cron(0 10 L * ? *)",
        "cron(0 4 ? JAN,JUL SUN 2027)",
    ],
)
def test_glue_cron_accepts_the_documented_forms(expression):
    assert glue_cron_problem(expression) is None


@pytest.mark.parametrize(
    "expression, problem",
    [
        ("0 4 * * ? *", "it must look like cron(Minutes Hours Day-of-month Month Day-of-week Year)"),
        ("rate(1 day)", "it must look like cron(Minutes Hours Day-of-month Month Day-of-week Year)"),
        ("cron(0 4 * * ?)", "it has 5 fields; Glue cron has 6 (Minutes Hours Day-of-month Month Day-of-week Year)"),
        ("cron(0 4 * * * *)", "exactly one of Day-of-month and Day-of-week must be '?'"),
        ("cron(0 4 ? * ? *)", "exactly one of Day-of-month and Day-of-week must be '?'"),
        ("cron(60 4 * * ? *)", "Minutes '60' is not allowed: Minutes allows 0-59"),
        ("cron(0 24 * * ? *)", "Hours '24' is not allowed: Hours allows 0-23"),
        ("cron(0 4 32 * ? *)", "Day-of-month '32' is not allowed: Day-of-month allows 1-31"),
        ("cron(0 4 * 13 ? *)", "Month '13' is not allowed: Month allows 1-12 or JAN-DEC"),
        ("cron(0 4 ? * FUNDAY *)", "Day-of-week 'FUNDAY' is not allowed: Day-of-week allows 1-7 or SUN-SAT"),
        ("cron(0 4 * * ? 1969)", "Year '1969' is not allowed: Year allows 1970-2199"),
        ("cron(0/2 * * * ? *)", "Minutes '0/2' runs more often than every 5 minutes, which Glue does not support"),
        ("cron(* * * * ? *)", "Minutes '*' runs more often than every 5 minutes, which Glue does not support"),
        ("cron(0,3 * * * ? *)", "Minutes '0,3' runs more often than every 5 minutes, which Glue does not support"),
        ("cron(0/0 * * * ? *)", "Minutes '0/0' has an increment that is not a positive number"),
    ],
)
def test_glue_cron_rejects_with_the_reason(expression, problem):
    assert glue_cron_problem(expression) == problem


def test_bucket_prefix_limit_is_the_bridged_providers():
    """pulumi-aws documents the Terraform provider's limit on bucket_prefix."""
    import importlib.util
    from pathlib import Path

    package = Path(importlib.util.find_spec("pulumi_aws").origin).parent
    assert "less than or equal to 37 characters" in (package / "s3" / "bucket.py").read_text()
    assert names.LIMITS["bucket_prefix"] == 37


def test_lake_prefixes_the_operator_touches():
    assert lake_prefixes(settings_from_config("prod", {"goldTable": "monthly"})) == {
        "silver": "silver/sample_data_partitioned/",
        "gold": "gold/monthly/",
        "quarantine": "quarantine/monthly/",
        "reports": "gold/_reports/monthly/",
        "athena_results": "athena-results/",
    }
