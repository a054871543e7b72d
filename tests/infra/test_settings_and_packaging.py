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
    assert s.creates_bucket and s.timeout_minutes == 60 and s.max_concurrent_runs == 1


@pytest.mark.parametrize(
    "config, message",
    [
        ({"workers": "1"}, "silver-to-gold:workers = 1 is not allowed: at least 2: the job needs more than one worker"),
        ({"workerType": "G.3X"}, "silver-to-gold:workerType = 'G.3X' is not allowed: one of G.1X"),
        ({"glueVersion": "4.0"}, "silver-to-gold:glueVersion = '4.0' is not allowed"),
        ({"timeoutMinutes": "0"}, "silver-to-gold:timeoutMinutes = 0 is not allowed: 1..2880 minutes"),
        ({"logRetentionDays": "10"}, "silver-to-gold:logRetentionDays = 10 is not allowed: one of 1, 3, 5"),
        ({"athenaBytesScannedCutoff": "1000"}, "athenaBytesScannedCutoff = 1000 is not allowed: at least 10485760"),
        ({"alertEmail": "nobody"}, "alertEmail = 'nobody' is not allowed"),
        ({"kmsKeyArn": "my-key"}, "kmsKeyArn = 'my-key' is not allowed"),
        ({"lakeBucket": "Bad_Bucket"}, "lakeBucket = 'Bad_Bucket' is not allowed"),
        ({"workers": "two"}, "silver-to-gold:workers = 'two' is not a valid int"),
        ({"wokers": "3"}, "unknown config key silver-to-gold:wokers"),
    ],
)
def test_bad_values_name_key_value_and_what_is_allowed(config, message):
    with pytest.raises(SettingsError) as error:
        settings_from_config("dev", config)
    assert message in str(error.value)


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
