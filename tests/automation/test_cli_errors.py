"""The one error handler (`automation.cli.run_handler`): every failure of every verb is one
line on stderr and exit 1; an unexpected one also saves its traceback to the one documented
place, `$XDG_CACHE_HOME/silver-to-gold/last-error.log`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from automation.cli import error_log_path, run_handler
from etl.errors import PipelineError

# Runs the CLI as a subprocess: in `make test`, not in `make check`.
pytestmark = pytest.mark.cli


def _run(args, env, cwd):
    return subprocess.run(
        [sys.executable, "-m", "automation", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def _assert_unexpected(result, cache, *fragments):
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    # Progress lines aside (in a pipe a step says when it starts: `→ start`), one line.
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith(("→ ", "· ", "✓ "))]
    assert len(lines) == 1, result.stderr
    log = cache / "silver-to-gold" / "last-error.log"
    assert lines[0].endswith(f"(details: {log})"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert log.read_text().startswith("Traceback (most recent call last):")


def test_an_unexpected_local_failure_is_one_line_and_its_traceback_is_saved(tmp_path, cli_env):
    cache = tmp_path / "cache"
    lake = tmp_path / "lake"
    lake.write_text("a file where the lake directory should be")
    result = _run(["local", "--lake", str(lake), "--rows", "10"], {**cli_env, "XDG_CACHE_HOME": str(cache)}, tmp_path)
    _assert_unexpected(result, cache, "NotADirectoryError")


def test_an_unexpected_aws_verb_failure_is_one_line_and_its_traceback_is_saved(tmp_path, cli_env):
    cache = tmp_path / "cache"
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "region": "us-east-1",
                "jobName": "job",
                "runReportsUri": "s3://b/r/",
                "pricePerDpuHour": "0.44",
                "jobErrorLogGroup": "/g",
            }
        )
    )
    # botocore refuses the endpoint with a plain ValueError, which no handler knows.
    env = {
        **cli_env,
        "XDG_CACHE_HOME": str(cache),
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "AWS_ENDPOINT_URL": "not a url",
    }
    result = _run(["status", "--outputs-file", str(outputs)], env, tmp_path)
    _assert_unexpected(result, cache, "ValueError: Invalid endpoint")


def test_known_failures_are_their_message_and_exit_1(capsys):
    def refuse() -> int:
        raise PipelineError("the silver table has no partitions [add --load-silver]")

    assert run_handler(refuse) == 1
    assert capsys.readouterr().err == "error: the silver table has no partitions [add --load-silver]\n"


def test_ctrl_c_is_one_line_and_exit_130(capsys):
    def interrupted() -> int:
        raise KeyboardInterrupt

    assert run_handler(interrupted) == 130
    assert capsys.readouterr().err == "error: interrupted\n"


def test_the_log_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert error_log_path() == tmp_path / "silver-to-gold" / "last-error.log"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert error_log_path().parts[-3:] == (".cache", "silver-to-gold", "last-error.log")


@pytest.mark.parametrize("args", [["status"], ["local", "--rows", "0"]])
def test_usage_errors_stay_argparse_s_exit_2(args, tmp_path, cli_env):
    assert _run(args, cli_env, tmp_path).returncode == 2


def test_pipeline_and_deploy_parse_config_pairs_alike(tmp_path, cli_env):
    """One KEY=VALUE reader (automation.stack.parse_config_pairs) for both verbs: the same line."""
    lines = []
    for verb in (
        ["deploy", "--stack", "dev", "--config", "workers"],
        ["pipeline", "--stack", "dev", "--config", "workers"],
    ):
        result = _run(verb, {**cli_env, "PATH": str(tmp_path)}, tmp_path)
        assert result.returncode == 1, result.stderr
        lines.append(result.stderr.strip())
    assert (
        lines[0]
        == lines[1]
        == ("error: --config 'workers' is not KEY=VALUE (e.g. --config workers=4 or aws:region=eu-west-1)")
    )
