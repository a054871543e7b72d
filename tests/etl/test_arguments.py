"""The job's argument set: built once, parsed by the job, Glue's extras accepted."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from etl.arguments import LakeLayout, build_job_arguments, parse_job_arguments, to_argv
from etl.errors import JobArgumentError


def test_layout_derives_every_location_from_the_root():
    layout = LakeLayout("s3://lake-bucket")
    assert layout.gold == "s3://lake-bucket/gold/sample_data_aggregated/"
    assert layout.silver == "s3://lake-bucket/silver/sample_data_partitioned/"
    assert layout.state == "s3://lake-bucket/gold/_state/sample_data_aggregated/"
    assert layout.quarantine == "s3://lake-bucket/quarantine/sample_data_aggregated/"
    assert layout.temp == "s3://lake-bucket/temp/"
    assert layout.spark_event_logs == "s3://lake-bucket/temp/spark-ui/"


def test_builder_sets_glue_flags_and_the_jobs_own_arguments():
    arguments = build_job_arguments(
        LakeLayout("s3://b"), extra_py_files="s3://b/artifacts/etl-abc.zip", log_group_prefix="/aws-glue/jobs/x"
    )
    assert arguments["--enable-glue-datacatalog"] == "true"
    assert arguments["--job-bookmark-option"] == "job-bookmark-disable"
    assert arguments["--custom-logGroup-prefix"] == "/aws-glue/jobs/x"
    assert "--continuous-log-logGroup" not in arguments and "--enable-continuous-cloudwatch-log" not in arguments
    assert arguments["--extra-py-files"] == "s3://b/artifacts/etl-abc.zip"
    assert arguments["--TempDir"] == "s3://b/temp/"
    assert arguments["--mode"] == "incremental"
    assert arguments["--max_reject_ratio"] == "0.05"
    assert arguments["--quarantine_columns"] == "lean"


def test_parser_reads_what_the_builder_wrote_and_ignores_glue_extras():
    argv = to_argv(build_job_arguments(LakeLayout("s3://b"), mode="full", max_reject_ratio=0.1))
    argv += ["--JOB_ID", "j_1", "--JOB_RUN_ID", "jr_42", "--JOB_NAME", "job-x", "--enable-glue-datacatalog"]
    parsed = parse_job_arguments(argv)
    assert parsed.mode == "full"
    assert parsed.max_reject_ratio == 0.1
    assert parsed.job_run_id == "jr_42"
    assert parsed.job_name == "job-x"
    assert parsed.source == "silver_data.sample_data_partitioned"
    assert parsed.target == "gold_data.sample_data_aggregated"
    assert parsed.quarantine_location == "s3://b/quarantine/sample_data_aggregated/"
    assert parsed.quarantine_columns == "lean"
    whole = to_argv(build_job_arguments(LakeLayout("s3://b"), quarantine_columns="all"))
    assert parse_job_arguments(whole).quarantine_columns == "all"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--mode", "sometimes"], "--mode must be one of incremental, full, got 'sometimes'"),
        (["--max_reject_ratio", "1.5"], "--max_reject_ratio must be between 0 and 1, got 1.5"),
        (["--max_reject_ratio", "lots"], "must be a number between 0 and 1, got 'lots'"),
        (["--quarantine_columns", "some"], "--quarantine_columns must be one of lean, all, got 'some'"),
    ],
)
def test_bad_values_are_named(extra, message):
    argv = to_argv(build_job_arguments(LakeLayout("s3://b"))) + extra
    with pytest.raises(JobArgumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_job_arguments(argv)


def test_missing_locations_are_named():
    with pytest.raises(JobArgumentError, match="quarantine_location"):
        parse_job_arguments(["--state_location", "s3://b/s/"])


def test_builder_refuses_a_bad_mode():
    with pytest.raises(JobArgumentError, match="--mode"):
        build_job_arguments(LakeLayout("s3://b"), mode="partial")


def test_builder_refuses_unknown_quarantine_columns():
    with pytest.raises(JobArgumentError, match="--quarantine_columns must be one of lean, all, got 'nome'"):
        build_job_arguments(LakeLayout("s3://b"), quarantine_columns="nome")


def _job(*args: str) -> subprocess.CompletedProcess:
    """`python -m etl.job ARGS` as Glue or a user starts it."""
    root = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [sys.executable, "-m", "etl.job", *args],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=120,
    )


def test_job_help_lists_every_argument_with_its_default():
    result = _job("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m etl.job")
    for argument in ("--quarantine_location", "--state_location", "--mode", "--max_reject_ratio"):
        assert argument in result.stdout
    assert "(default: incremental)" in result.stdout and "(default: 0.05)" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "error: the following arguments are required: --quarantine_location, --state_location"),
        (("--quarantine_location", "q", "--state_location", "s", "--mode", "x"), "error: --mode must be one of"),
    ],
)
def test_job_without_its_arguments_prints_usage_and_exits_2(args, message):
    result = _job(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("usage: python -m etl.job")
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].startswith(message), result.stderr
