"""Pure decisions, without the Pulumi runtime: names, limits, cron, policy documents.

Expected values are written out here; none is computed with the code under test.
"""

from __future__ import annotations

import botocore.session
import pytest

from infra import names
from infra.pipeline import declared_log_groups, encrypted_log_groups, lake_prefixes, role_log_group_names
from infra.policies import (
    access_log_bucket_policy,
    glue_job_policy,
    glue_trust_policy,
    lake_key_policy,
    operator_policy,
)
from infra.schedule import glue_cron_problem
from infra.settings import settings_from_config

ACCOUNT = "123456789012"


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
    assert names.job_log_groups("/aws-glue/jobs/j", "sc", "r", encrypted=False) == (
        "/aws-glue/jobs/j/output",
        "/aws-glue/jobs/j/error",
    )
    assert names.job_log_groups("/aws-glue/jobs/j", "sc", "r", encrypted=True) == (
        "/aws-glue/jobs/j/sc-role/r/output",
        "/aws-glue/jobs/j/sc-role/r/error",
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
        "/p/sc-role/r/output",
        "/p/sc-role/r/error",
        "/aws-glue/crawlers-role/r-sc",
        "/aws-glue/crawlers",
        "/aws-glue/jobs-r-sc/*",
    ]


def test_the_key_and_the_role_encrypt_the_declared_groups_and_the_documented_form():
    assert encrypted_log_groups(settings_from_config("dev", {})) == []
    assert encrypted_log_groups(settings_from_config("prod", {"kms": "create"})) == [
        "/aws-glue/jobs/job-transform-silver-to-gold-prod/silver-to-gold-prod-442134bc-role/silver-to-gold-prod-glue/output",
        "/aws-glue/jobs/job-transform-silver-to-gold-prod/silver-to-gold-prod-442134bc-role/silver-to-gold-prod-glue/error",
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


def test_role_policy_grants_default_database_and_writes_logs_only_where_told():
    document = glue_job_policy(
        bucket="lake",
        region="us-east-1",
        account=ACCOUNT,
        silver=("s", "st"),
        gold=("g", "gt"),
        log_groups=["/a/output", "/aws-glue/crawlers"],
    )
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert by_sid["SparkCatalogClientDefaultDatabase"] == {
        "Sid": "SparkCatalogClientDefaultDatabase",
        "Effect": "Allow",
        "Action": ["glue:GetDatabase", "glue:CreateDatabase"],
        "Resource": [f"arn:aws:glue:us-east-1:{ACCOUNT}:catalog", f"arn:aws:glue:us-east-1:{ACCOUNT}:database/default"],
    }
    assert by_sid["WriteOwnLogs"]["Resource"] == [
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/a/output",
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/a/output:*",
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws-glue/crawlers",
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws-glue/crawlers:*",
    ]
    assert "UseLakeKey" not in by_sid and "EncryptOwnLogs" not in by_sid


def test_the_role_lists_the_lake_without_a_prefix_condition():
    """A HEAD of a missing key answers 404 only with s3:ListBucket, and a HEAD carries no s3:prefix."""
    document = glue_job_policy(
        bucket="lake", region="us-east-1", account=ACCOUNT, silver=("s", "st"), gold=("g", "gt"), log_groups=["/x"]
    )
    listing = [s for s in document["Statement"] if "s3:ListBucket" in s["Action"]]
    assert listing == [
        {
            "Sid": "ListLakeBucket",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": ["arn:aws:s3:::lake"],
        }
    ]


def test_the_role_may_create_the_groups_it_writes_to():
    document = glue_job_policy(
        bucket="lake",
        region="us-east-1",
        account=ACCOUNT,
        silver=("s", "st"),
        gold=("g", "gt"),
        log_groups=["/aws-glue/crawlers", "/aws-glue/jobs-r-sc/*"],
    )
    (logs,) = [s for s in document["Statement"] if s["Sid"] == "WriteOwnLogs"]
    assert logs == {
        "Sid": "WriteOwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws-glue/crawlers",
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws-glue/crawlers:*",
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws-glue/jobs-r-sc/*",
        ],
    }


def test_trust_policy_is_the_glue_service_without_conditions():
    assert glue_trust_policy() == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }


def test_role_policy_with_a_key_and_encrypted_logs():
    key = "arn:aws:kms:us-east-1:123456789012:key/k"
    document = glue_job_policy(
        bucket="lake",
        region="us-east-1",
        account=ACCOUNT,
        silver=("s", "st"),
        gold=("g", "gt"),
        log_groups=["/x", "/aws-glue/crawlers"],
        kms_key_arn=key,
        encrypted_log_groups=["/x"],
    )
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert by_sid["UseLakeKey"]["Resource"] == [key]
    assert by_sid["UseLakeKey"]["Action"] == ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    assert by_sid["EncryptOwnLogs"] == {
        "Sid": "EncryptOwnLogs",
        "Effect": "Allow",
        "Action": ["logs:AssociateKmsKey"],
        "Resource": [
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/x",
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/x:*",
        ],
    }


def test_key_policy():
    role = f"arn:aws:iam::{ACCOUNT}:role/silver-to-gold-prod-glue"
    document = lake_key_policy(account=ACCOUNT, region="eu-west-1", role_arn=role, log_groups=["/a", "/b/*"])
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministrators",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsForStackLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                    "kms:GenerateDataKey",
                    "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": [
                            f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/a",
                            f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/b/*",
                        ]
                    }
                },
            },
            {
                "Sid": "GlueJobAndCrawlerRole",
                "Effect": "Allow",
                "Principal": {"AWS": role},
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                "Resource": "*",
            },
            {
                "Sid": "EventBridgeForAlertsTopic",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            },
            {
                "Sid": "CloudWatchAlarmsForAlertsTopic",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
            },
        ],
    }


def test_bucket_prefix_limit_is_the_bridged_providers():
    """pulumi-aws documents the Terraform provider's limit on bucket_prefix."""
    import importlib.util
    from pathlib import Path

    package = Path(importlib.util.find_spec("pulumi_aws").origin).parent
    assert "less than or equal to 37 characters" in (package / "s3" / "bucket.py").read_text()
    assert names.LIMITS["bucket_prefix"] == 37


def test_access_log_bucket_policy():
    assert access_log_bucket_policy("logs-b", "lake-b", ACCOUNT, "lake/") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::logs-b", "arn:aws:s3:::logs-b/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "S3ServerAccessLogsFromTheLake",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::logs-b/lake/*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": "arn:aws:s3:::lake-b"},
                    "StringEquals": {"aws:SourceAccount": ACCOUNT},
                },
            },
        ],
    }


def test_lake_prefixes_the_operator_touches():
    assert lake_prefixes(settings_from_config("prod", {"goldTable": "monthly"})) == {
        "silver": "silver/sample_data_partitioned/",
        "gold": "gold/monthly/",
        "reports": "gold/_reports/monthly/",
        "athena_results": "athena-results/",
    }


OPERATOR_ARGS = {
    "bucket": "lake-b",
    "region": "eu-west-1",
    "account": ACCOUNT,
    "job": "job-x",
    "crawler": "crawler-x",
    "workgroup": "wg-x",
    "silver": ("silver_data", "sample_data_partitioned"),
    "gold": ("gold_x", "sample_data_aggregated"),
    "prefixes": {
        "silver": "silver/sample_data_partitioned/",
        "gold": "gold/sample_data_aggregated/",
        "reports": "gold/_reports/sample_data_aggregated/",
        "athena_results": "athena-results/",
    },
    "log_groups": ["/aws-glue/jobs/job-x/output", "/aws-glue/jobs-r-sc/*"],
    "topic": "topic-x",
    "role": "role-x",
}


def test_operator_policy_is_what_the_cli_calls_on_the_stacks_resources():
    assert operator_policy(**OPERATOR_ARGS) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RunAndFollowTheJob",
                "Effect": "Allow",
                "Action": ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:GetJob"],
                "Resource": [f"arn:aws:glue:eu-west-1:{ACCOUNT}:job/job-x"],
            },
            {
                "Sid": "RunTheCrawler",
                "Effect": "Allow",
                "Action": ["glue:StartCrawler", "glue:GetCrawler", "glue:ListCrawls"],
                "Resource": [f"arn:aws:glue:eu-west-1:{ACCOUNT}:crawler/crawler-x"],
            },
            {
                "Sid": "ReadCatalogAndAddPartitions",
                "Effect": "Allow",
                "Action": [
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchGetPartition",
                    "glue:BatchCreatePartition",
                ],
                "Resource": [
                    f"arn:aws:glue:eu-west-1:{ACCOUNT}:catalog",
                    f"arn:aws:glue:eu-west-1:{ACCOUNT}:database/silver_data",
                    f"arn:aws:glue:eu-west-1:{ACCOUNT}:table/silver_data/sample_data_partitioned",
                    f"arn:aws:glue:eu-west-1:{ACCOUNT}:database/gold_x",
                    f"arn:aws:glue:eu-west-1:{ACCOUNT}:table/gold_x/sample_data_aggregated",
                ],
            },
            {
                "Sid": "QueryInTheWorkgroup",
                "Effect": "Allow",
                "Action": [
                    "athena:StartQueryExecution",
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:GetNamedQuery",
                    "athena:GetWorkGroup",
                ],
                "Resource": [f"arn:aws:athena:eu-west-1:{ACCOUNT}:workgroup/wg-x"],
            },
            {
                "Sid": "LakeBucket",
                "Effect": "Allow",
                "Action": [
                    "s3:ListBucket",
                    "s3:GetBucketLocation",
                    "s3:ListBucketMultipartUploads",
                    "s3:GetEncryptionConfiguration",
                    "s3:GetBucketVersioning",
                ],
                "Resource": ["arn:aws:s3:::lake-b"],
            },
            {
                "Sid": "ReadSilverGoldAndReports",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [
                    "arn:aws:s3:::lake-b/silver/sample_data_partitioned/*",
                    "arn:aws:s3:::lake-b/gold/sample_data_aggregated/*",
                    "arn:aws:s3:::lake-b/gold/_reports/sample_data_aggregated/*",
                ],
            },
            {
                "Sid": "UploadSilver",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
                "Resource": ["arn:aws:s3:::lake-b/silver/sample_data_partitioned/*"],
            },
            {
                "Sid": "AthenaQueryResults",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                "Resource": ["arn:aws:s3:::lake-b/athena-results/*"],
            },
            {
                "Sid": "ReadRunLogs",
                "Effect": "Allow",
                "Action": ["logs:FilterLogEvents", "logs:GetLogEvents", "logs:DescribeLogStreams"],
                "Resource": [
                    f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws-glue/jobs/job-x/output",
                    f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws-glue/jobs/job-x/output:*",
                    f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws-glue/jobs-r-sc/*",
                ],
            },
            {
                "Sid": "DescribeLogGroups",
                "Effect": "Allow",
                "Action": ["logs:DescribeLogGroups"],
                "Resource": ["*"],
            },
            {
                "Sid": "CheckTheAlertsTopic",
                "Effect": "Allow",
                "Action": ["sns:GetTopicAttributes"],
                "Resource": [f"arn:aws:sns:eu-west-1:{ACCOUNT}:topic-x"],
            },
            {
                "Sid": "SimulateTheStacksRole",
                "Effect": "Allow",
                "Action": ["iam:SimulatePrincipalPolicy"],
                "Resource": [f"arn:aws:iam::{ACCOUNT}:role/role-x"],
            },
        ],
    }


def test_operator_policy_uses_the_stacks_key_when_there_is_one():
    key = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/k"
    statements = operator_policy(**OPERATOR_ARGS, kms_key_arn=key)["Statement"]
    assert statements[-1] == {
        "Sid": "UseTheStacksKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
        "Resource": [key],
    }
    assert len(statements) == 13
