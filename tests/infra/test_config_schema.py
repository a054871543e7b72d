"""The config schema (`infra/settings/schema.py`) is the one declaration of every config key:
`Pulumi.yaml`'s `config:` block and the table in docs/infrastructure.md are made from it
(`make config`), and what the CLI and AWS accept is held to it."""

from __future__ import annotations

from pathlib import Path

import botocore.session
import pytest
import yaml

from infra.aws_reference import LOG_RETENTION_DAYS, ExecutionClass
from infra.settings import CONFIG_KEYS, SCHEMA, settings_from_config
from tools import config_schema

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", [config_schema.PULUMI_YAML, config_schema.DOCS], ids=lambda path: path.name)
def test_the_files_made_from_the_schema_are_as_made(path):
    """A hand edit of a default, a type or a description in either file fails here: run `make config`."""
    current = path.read_text()
    made = dict(config_schema.TARGETS)[path](current)
    assert current == made, f"{path.relative_to(ROOT)} differs from infra/settings/schema.py: run make config"


def test_the_config_keys_are_the_ones_stacks_already_set():
    """Renaming a key would orphan it in every stack file: the names are written out here."""
    assert list(CONFIG_KEYS.items()) == [
        ("lakeBucket", "lake_bucket"),
        ("lakeOnDestroy", "lake_on_destroy"),
        ("silverCatalog", "silver_catalog"),
        ("silverDatabase", "silver_database"),
        ("silverTable", "silver_table"),
        ("goldDatabase", "gold_database"),
        ("goldTable", "gold_table"),
        ("jobName", "job_name"),
        ("crawlerName", "crawler_name"),
        ("glueVersion", "glue_version"),
        ("workerType", "worker_type"),
        ("workers", "workers"),
        ("executionClass", "execution_class"),
        ("timeoutMinutes", "timeout_minutes"),
        ("maxConcurrentRuns", "max_concurrent_runs"),
        ("maxRetries", "max_retries"),
        ("schedule", "schedule"),
        ("registrationMethod", "registration_method"),
        ("logRetentionDays", "log_retention_days"),
        ("athenaBytesScannedCutoff", "athena_bytes_scanned_cutoff"),
        ("alertEmail", "alert_email"),
        ("kms", "kms"),
        ("pricePerDpuHour", "price_per_dpu_hour"),
        ("maxRejectRatio", "max_reject_ratio"),
        ("quarantineRetentionDays", "quarantine_retention_days"),
        ("rejectRatioWarning", "reject_ratio_warning"),
        ("githubRepository", "github_repository"),
    ]


def test_pulumi_yaml_declares_what_the_pulumi_cli_loads():
    """Project.Validate (pulumi/pulumi sdk/go/common/workspace/project.go): a key outside the project
    carries only a value; a project key a type and a default of that type."""
    config = yaml.safe_load(config_schema.PULUMI_YAML.read_text())["config"]
    assert config["aws:region"] == {
        "description": "AWS region for every resource, unless the stack sets aws:region.",
        "value": "us-east-1",
    }
    python_type = {"string": str, "integer": int}
    for name, declared in config.items():
        if name == "aws:region":
            continue
        assert set(declared) == {"type", "description", "default"}, name
        assert type(declared["default"]) is python_type[declared["type"]], name
    assert {name: (config[name]["type"], config[name]["default"]) for name in ("workers", "glueVersion", "kms")} == {
        "workers": ("integer", 2),
        "glueVersion": ("string", "5.0"),
        "kms": ("string", "none"),
    }
    assert list(config) == ["aws:region", *CONFIG_KEYS]


def test_the_defaults_pulumi_yaml_declares_are_the_programs():
    """A stack that sets every key to Pulumi.yaml's default gets what a stack that sets nothing gets."""
    config = yaml.safe_load(config_schema.PULUMI_YAML.read_text())["config"]
    declared = {name: str(value["default"]) for name, value in config.items() if name != "aws:region"}
    for stack in ("dev", "prod"):
        assert settings_from_config(stack, declared, config["aws:region"]["value"]) == settings_from_config(stack, {})


def test_the_docs_table_has_a_row_per_key_with_its_default():
    text = config_schema.DOCS.read_text()
    table = text[text.index(config_schema.TABLE_START) : text.index(config_schema.TABLE_END)]
    rows = {line.split(" | ")[0].strip("| `"): line.split(" | ")[1:3] for line in table.splitlines()[3:]}
    assert list(rows) == ["aws:region", *CONFIG_KEYS]
    assert rows["workers"] == ["integer", "`2`"]
    assert rows["maxRejectRatio"] == ["string (a number)", "`0.05`"]
    assert rows["jobName"] == ["string", "(empty)"]


def test_modes_are_literals_of_what_aws_accepts():
    glue = botocore.session.get_session().get_service_model("glue")
    assert set(ExecutionClass.__args__) == set(glue.shape_for("ExecutionClass").enum)
    modes = {key.name: key.choices for key in SCHEMA if key.choices}
    assert modes == {
        "lakeOnDestroy": ("retain", "delete"),
        "silverCatalog": ("create", "reference"),
        "glueVersion": ("5.0",),
        "workerType": ("G.1X", "G.2X", "G.4X", "G.8X", "G.12X", "G.16X", "R.1X", "R.2X", "R.4X", "R.8X"),
        "executionClass": ("STANDARD", "FLEX"),
        "registrationMethod": ("job", "crawler", "msck"),
        "kms": ("none", "create"),
    }


def test_log_retention_days_are_the_ones_cloudwatch_logs_lists():
    documentation = botocore.session.get_session().get_service_model("logs").shape_for("Days").documentation
    listed = documentation.split("Possible values are: ")[1].split(".")[0].replace("and ", "")
    assert tuple(int(days) for days in listed.split(", ")) == LOG_RETENTION_DAYS


def test_a_hand_edited_default_is_caught(tmp_path):
    """The check `make config --check` and the test above run: one default changed by hand."""
    edited = config_schema.PULUMI_YAML.read_text().replace("    default: 60\n", "    default: 90\n")
    assert edited != config_schema.PULUMI_YAML.read_text()
    assert config_schema.pulumi_yaml(edited) != edited
    assert "default: 60" in config_schema.pulumi_yaml(edited)


def test_every_rule_names_a_config_key():
    """A rule's key names the value in its message: a misspelt key would fail with a KeyError."""
    from infra.settings import RULES

    assert {rule.key for rule in RULES} - {"aws:region", *CONFIG_KEYS} == set()
    assert {rule.key for rule in RULES} >= {"aws:region", "kms", "workers", "schedule", "rejectRatioWarning"}
