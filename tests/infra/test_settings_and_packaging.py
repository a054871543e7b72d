"""Configuration validation and deterministic packaging (pure, no Pulumi runtime)."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pytest

from infra.packaging import build_package
from infra.settings import SettingsError, settings_from_config


def test_defaults_are_the_tutorials():
    s = settings_from_config("dev", {})
    assert (s.job_name, s.worker_type, s.workers, s.glue_version, s.crawler_name) == (
        "job-transform-silver-to-gold",
        "G.1X",
        2,
        "5.0",
        "crawler-gold-data",
    )
    assert (s.gold_database, s.gold_table, s.silver_database, s.silver_table) == (
        "gold_data",
        "sample_data_aggregated",
        "silver_data",
        "sample_data_partitioned",
    )
    assert s.creates_bucket and s.timeout_minutes == 60 and s.max_concurrent_runs == 1
    assert (s.kms, s.lake_on_destroy, s.silver_catalog, s.execution_class, s.registration_method, s.schedule) == (
        "none",
        "retain",
        "reference",
        "STANDARD",
        "job",
        "",
    )
    assert s.price_per_dpu_hour == 0.44


def test_other_stacks_carry_the_stack_in_every_default_name():
    s = settings_from_config("prod", {})
    assert (s.job_name, s.crawler_name, s.gold_database, s.silver_database) == (
        "job-transform-silver-to-gold-prod",
        "crawler-gold-data-prod",
        "gold_data_prod",
        "silver_data",  # referenced: shared, keeps its name
    )
    s = settings_from_config("qa-eu", {"silverCatalog": "create"})
    assert (s.gold_database, s.silver_database, s.role_name) == (
        "gold_data_qa_eu",
        "silver_data_qa_eu",
        "silver-to-gold-qa-eu-glue",
    )
    # Config still overrides.
    s = settings_from_config("prod", {"jobName": "nightly-gold", "goldDatabase": "gold"})
    assert (s.job_name, s.gold_database) == ("nightly-gold", "gold")


def test_a_created_silver_table_is_the_stacks_own_even_in_dev():
    assert settings_from_config("dev", {"silverCatalog": "create"}).silver_database == "silver_data_dev"


def test_price_follows_the_execution_class_unless_set():
    assert settings_from_config("dev", {"executionClass": "FLEX"}).price_per_dpu_hour == 0.29
    assert settings_from_config("dev", {"executionClass": "STANDARD"}).price_per_dpu_hour == 0.44
    assert settings_from_config("dev", {"executionClass": "FLEX", "pricePerDpuHour": "0.31"}).price_per_dpu_hour == 0.31


def test_log_groups_follow_the_security_configuration():
    dev = settings_from_config("dev", {})
    assert dev.job_log_groups == (
        "/aws-glue/jobs/job-transform-silver-to-gold/output",
        "/aws-glue/jobs/job-transform-silver-to-gold/error",
    )
    assert dev.crawler_log_group == "/aws-glue/crawlers"
    prod = settings_from_config("prod", {"kms": "create"})
    assert prod.security_configuration_name == "silver-to-gold-prod-442134bc"
    assert prod.job_log_groups == (
        "/aws-glue/jobs/job-transform-silver-to-gold-prod/output",
        "/aws-glue/jobs/job-transform-silver-to-gold-prod/error",
    )
    assert prod.crawler_log_group == "/aws-glue/crawlers-role/silver-to-gold-prod-glue-silver-to-gold-prod-442134bc"


@pytest.mark.parametrize(
    "stack, config, message",
    [
        (
            "dev",
            {"workers": "1"},
            "silver-to-gold:workers = 1 is not allowed: at least 2: the job needs more than one worker",
        ),
        ("dev", {"workerType": "G.3X"}, "silver-to-gold:workerType = 'G.3X' is not allowed: one of G.1X"),
        ("dev", {"glueVersion": "4.0"}, "silver-to-gold:glueVersion = '4.0' is not allowed"),
        (
            "dev",
            {"timeoutMinutes": "0"},
            "silver-to-gold:timeoutMinutes = 0 is not allowed: 1..10079 minutes (Glue: less than 7 days)",
        ),
        (
            "dev",
            {"timeoutMinutes": "10080"},
            "silver-to-gold:timeoutMinutes = 10080 is not allowed: 1..10079 minutes (Glue: less than 7 days)",
        ),
        (
            "acme/Prod",
            {},
            "stack name 'Prod' is not allowed: lowercase letters, digits and single hyphens",
        ),
        (
            "acme/other-project/dev",
            {},
            "stack name 'acme/other-project/dev' is not allowed: the stack belongs to project 'other-project', "
            "not 'silver-to-gold'",
        ),
        (
            "a/b/c/dev",
            {},
            "stack name 'a/b/c/dev' is not allowed: a stack is NAME, ORG/NAME or ORG/PROJECT/NAME, each part letters, "
            "digits, '-', '_' or '.'",
        ),
        (
            "acme corp/dev",
            {},
            "stack name 'acme corp/dev' is not allowed: a stack is NAME, ORG/NAME or ORG/PROJECT/NAME",
        ),
        ("dev", {"logRetentionDays": "10"}, "silver-to-gold:logRetentionDays = 10 is not allowed: one of 1, 3, 5"),
        (
            "dev",
            {"athenaBytesScannedCutoff": "1000"},
            "athenaBytesScannedCutoff = 1000 is not allowed: at least 10485760",
        ),
        ("dev", {"alertEmail": "nobody"}, "alertEmail = 'nobody' is not allowed"),
        ("dev", {"lakeBucket": "Bad_Bucket"}, "lakeBucket = 'Bad_Bucket' is not allowed"),
        ("dev", {"workers": "two"}, "silver-to-gold:workers = 'two' is not a valid int"),
        ("dev", {"wokers": "3"}, "unknown config key silver-to-gold:wokers"),
        (
            "dev",
            {"kmsKeyArn": "my-key"},
            "silver-to-gold:kmsKeyArn was removed: "
            "set silver-to-gold:kms (none, create or an existing key ARN) instead",
        ),
        (
            "dev",
            {"kms": "my-key"},
            "silver-to-gold:kms = 'my-key' is not allowed: none, create, or a KMS key ARN "
            "(arn:aws:kms:<region>:<account>:key/<id>)",
        ),
        (
            "dev",
            {"kms": "arn:aws:kms:eu-west-1:123456789012:key/abcd"},
            "silver-to-gold:kms = 'arn:aws:kms:eu-west-1:123456789012:key/abcd' is not allowed: "
            "a key in the stack's region us-east-1 (KMS keys are regional)",
        ),
        (
            "dev",
            {"lakeOnDestroy": "keep"},
            "silver-to-gold:lakeOnDestroy = 'keep' is not allowed: one of retain, delete",
        ),
        (
            "dev",
            {"lakeOnDestroy": "delete", "lakeBucket": "existing-lake"},
            "silver-to-gold:lakeOnDestroy = 'delete' is not allowed: "
            "retain when lakeBucket names an existing bucket (not ours to delete)",
        ),
        (
            "dev",
            {"silverCatalog": "yes"},
            "silver-to-gold:silverCatalog = 'yes' is not allowed: one of create, reference",
        ),
        (
            "dev",
            {"executionClass": "SPOT"},
            "silver-to-gold:executionClass = 'SPOT' is not allowed: one of FLEX, STANDARD (botocore's Glue model)",
        ),
        (
            "dev",
            {"executionClass": "FLEX", "workerType": "G.4X"},
            "silver-to-gold:executionClass = 'FLEX' is not allowed: STANDARD with workerType G.4X: "
            "FLEX runs G.1X or G.2X only",
        ),
        (
            "dev",
            {"schedule": "0 4 * * *"},
            "silver-to-gold:schedule = '0 4 * * *' is not allowed: a Glue cron expression such as cron(0 4 * * ? *), "
            "or empty for none; it must look like cron(Minutes Hours Day-of-month Month Day-of-week Year)",
        ),
        (
            "dev",
            {"schedule": "cron(0 4 * * * *)"},
            "silver-to-gold:schedule = 'cron(0 4 * * * *)' is not allowed: a Glue cron expression such as "
            "cron(0 4 * * ? *), or empty for none; exactly one of Day-of-month and Day-of-week must be '?'",
        ),
        (
            "dev",
            {"registrationMethod": "athena"},
            "silver-to-gold:registrationMethod = 'athena' is not allowed: one of job, crawler, msck",
        ),
        (
            "Prod_EU",
            {},
            "stack name 'Prod_EU' is not allowed: lowercase letters, digits and single hyphens "
            "(it becomes part of the bucket prefix, Glue, IAM and log group names)",
        ),
        (
            "a-very-long-stack-name-x",
            {},
            "stack name 'a-very-long-stack-name-x' (or a name setting) makes names too long: "
            "'silver-to-gold-logs-a-very-long-stack-name-x-' is 45 characters; "
            "the Terraform AWS provider's aws_s3_bucket bucket_prefix allows at most 37",
        ),
        (
            "x" * 44,
            {"lakeBucket": "existing-lake"},
            f"stack name '{'x' * 44}' (or a name setting) makes names too long: "
            f"'silver-to-gold-{'x' * 44}-failures' is 68 characters; EventBridge PutRule Name allows at most 64",
        ),
        (
            "dev",
            {"jobName": "j" * 250},
            f"'{'j' * 250}-schedule' is 259 characters; Glue CreateTrigger Name allows at most 255",
        ),
    ],
)
def test_bad_values_name_key_value_and_what_is_allowed(stack, config, message):
    with pytest.raises(SettingsError) as error:
        settings_from_config(stack, config)
    assert message in str(error.value)


@pytest.mark.parametrize("qualified", ["acme/dev", "acme/silver-to-gold/dev", "my_org.eu/dev"])
def test_an_org_qualified_stack_is_its_bare_name(qualified):
    """`acme/dev` deploys what `dev` deploys: Pulumi names the stack file and get_stack() after `dev`."""
    s = settings_from_config(qualified, {})
    assert (s.stack, s.job_name, s.role_name, s.gold_database) == (
        "dev",
        "job-transform-silver-to-gold",
        "silver-to-gold-dev-glue",
        "gold_data",
    )


def test_the_timeout_limits_are_botocores():
    """Glue 5.0's default and the 7-day ceiling, as botocore's Glue model documents Job.Timeout."""
    import botocore.session

    from infra.aws_reference import GLUE_5_DEFAULT_TIMEOUT_MINUTES, MAX_TIMEOUT_MINUTES

    model = botocore.session.get_session().get_service_model("glue")
    for shape in ("Job", "JobRun", "CreateJobRequest", "StartJobRunRequest"):
        documentation = model.shape_for(shape).members["Timeout"].documentation
        assert "480 minutes for Glue version 5.0 and later" in documentation
        assert "less than 7 days or 10080 minutes" in documentation
    assert (GLUE_5_DEFAULT_TIMEOUT_MINUTES, MAX_TIMEOUT_MINUTES) == (480, 10079)
    assert settings_from_config("dev", {"timeoutMinutes": "10079"}).timeout_minutes == 10079


def test_the_bucket_prefix_limit_applies_only_to_a_created_bucket():
    assert settings_from_config("a-very-long-stack-name-x", {"lakeBucket": "existing-lake"}).creates_bucket is False


def test_bad_region_is_named():
    with pytest.raises(SettingsError, match="aws:region = 'mars' is not allowed"):
        settings_from_config("dev", {}, region="mars")


def test_packaging_is_deterministic_and_content_addressed(tmp_path):
    (tmp_path / "etl").mkdir()
    (tmp_path / "etl" / "__init__.py").write_text("")
    (tmp_path / "etl" / "job.py").write_text("print('v1')\n")
    (tmp_path / "etl" / "__pycache__").mkdir()
    (tmp_path / "etl" / "__pycache__" / "job.cpython-311.pyc").write_bytes(b"cache")
    first, again = build_package(tmp_path / "etl"), build_package(tmp_path / "etl")
    assert first.data == again.data and first.key == again.key
    assert first.key == f"artifacts/etl/etl-{first.sha256[:16]}.zip"
    names = zipfile.ZipFile(io.BytesIO(first.data)).namelist()
    assert names == ["etl/__init__.py", "etl/job.py"]
    (tmp_path / "etl" / "job.py").write_text("print('v2')\n")
    changed = build_package(tmp_path / "etl")
    assert changed.key != first.key


def test_the_real_etl_package_imports_from_the_zip(tmp_path):
    package = build_package()
    archive = tmp_path / "etl.zip"
    archive.write_bytes(package.data)
    code = "import etl.schema, etl.arguments; print(etl.schema.GOLD.qualified_name)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(archive)}
    )
    assert result.stdout.strip() == "gold_data.sample_data_aggregated", result.stderr


@pytest.mark.cli
def test_synth_refuses_an_unknown_stack_and_a_bad_config(project_root, cli_env, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "automation", "synth", "--stack", "staging"],
        capture_output=True,
        text=True,
        cwd=project_root,
        env=cli_env,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "error: unknown stack 'staging': no Pulumi.staging.yaml (known stacks: dev, prod)"
