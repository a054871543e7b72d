"""`python -m tools.workflow_check`, the workflow checks of `make lint`, as a subprocess: actionlint
and GitHub's schema really run, and fail on a broken workflow."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tools.workflow_check import WORKFLOWS

pytestmark = pytest.mark.cli


def check(*files: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tools.workflow_check", *files], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_shipped_workflows_pass(project_root):
    result = check(cwd=project_root)
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip() == "workflows: main.yml, pull-request.yml, run-job.yml: actionlint, schema and rules pass"
    )


def test_an_unknown_runs_on_key_and_an_unpinned_action_fail_with_one_line_each(project_root, tmp_path):
    text = (WORKFLOWS / "run-job.yml").read_text()
    pinned = "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3"
    assert pinned in text and "    runs-on: ubuntu-24.04\n" in text
    broken = text.replace(pinned, "aws-actions/configure-aws-credentials@v6").replace(
        "    runs-on: ubuntu-24.04\n", "    runs-on:\n      labels: [ubuntu-24.04]\n      lables: [x64]\n"
    )
    path = tmp_path / "broken.yml"
    path.write_text(broken)

    result = check(str(path), cwd=project_root)

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any('unexpected key "lables" for "runs-on" section' in line for line in lines), lines  # actionlint
    assert any("configure-aws-credentials@v6 is not pinned to a full commit SHA" in line for line in lines), lines


def test_a_key_github_does_not_know_fails_the_schema_too(project_root, tmp_path):
    text = (
        (WORKFLOWS / "run-job.yml")
        .read_text()
        .replace("    timeout-minutes: 180\n", "    timeout-minutes: 180\n    retries: 2\n")
    )
    path = tmp_path / "unknown-key.yml"
    path.write_text(text)
    result = check(str(path), cwd=project_root)
    assert result.returncode == 1
    assert any(
        line.startswith("schema: ") and "'retries' was unexpected" in line for line in result.stderr.splitlines()
    )
    assert any('unexpected key "retries" for "job" section' in line for line in result.stderr.splitlines())
