"""The deploy -> pipeline -> doctor sequence of the main-branch workflow, run as the workflow runs it:
the lines of its `sequence` step (read from .github/workflows/main.yml, so they cannot drift), in
order, with its job's environment, against the AWS emulator (tests/aws_emulator.py) and the stand-in
`pulumi` (tests/automation/fake_pulumi), logged in to Pulumi Cloud with a token as CI is.

The stand-in's `up` deploys the dev stack the emulator was seeded with (its outputs are the seeded
ones), so `pipeline` and `doctor` read the stack's outputs through the Automation API, as in CI. The
emulator has no IAM policy simulator (moto has none; ARCHITECTURE.md): `doctor`'s two simulator
checks are the only ✗ it may print there. Every AWS call the sequence made must be one the operator
policy allows (the `aws_stack` fixture's check): the deploy role holds that policy for these steps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.automation.test_deploy import FakePulumi
from tests.aws_emulator import PROJECT_ROOT, GluePlayer
from tests.ci.workflows import jobs, run_lines

pytestmark = pytest.mark.e2e


def the_sequence() -> tuple[list[str], dict[str, str]]:
    """The dev job's `sequence` step: its command lines and the job's plain env (no expressions)."""
    job = jobs("main.yml")["dev"]
    (step,) = [s for s in job["steps"] if s.get("id") == "sequence"]
    env = {key: str(value) for key, value in job["env"].items() if "${{" not in str(value)}
    return run_lines(step["run"]), env


def test_the_main_branch_sequence_succeeds_against_the_emulator_and_the_stand_in_pulumi(aws_stack, tmp_path):
    lines, job_env = the_sequence()
    assert [line.split()[3] for line in lines] == ["deploy", "pipeline", "doctor"]
    assert job_env == {"STACK": "dev"}

    fake = FakePulumi(tmp_path)
    fake.update(template_outputs=json.loads(aws_stack.outputs_file.read_text()))
    env = aws_stack.emulator.env()
    for name in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        env.pop(name, None)
    env.update(
        job_env,
        PATH=os.pathsep.join([str(fake.bin), os.path.dirname(sys.executable), env["PATH"]]),
        FAKE_PULUMI_STATE=str(fake.state_file),
        FAKE_PULUMI_LOG=str(fake.log_file),
        PULUMI_ACCESS_TOKEN="pul-fake-token",  # the PULUMI_ACCESS_TOKEN secret
        PULUMI_HOME=str(tmp_path / "pulumi-home"),
    )

    results = []
    with GluePlayer(aws_stack) as player:
        for line in lines:
            # The same line; the interpreter under test for the runner's `.venv/bin/python`.
            command = line.replace(".venv/bin/python", sys.executable, 1)
            result = subprocess.run(
                ["bash", "-e", "-c", command], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600
            )
            results.append(result)
            if line.split()[3] != "doctor":
                assert result.returncode == 0, (line, result.stderr[-3000:])

    deploy, pipeline, doctor = results
    assert "Deployed stack 'dev'" in deploy.stdout
    up = [argv for argv in fake.commands() if "up" in argv]
    assert len(up) == 1 and up[0][up[0].index("--stack") + 1] == "dev"
    assert len(player.played) == 1  # the pipeline ran the job once
    assert "✓ verify" in pipeline.stderr
    # The emulator answers the policy simulator (tools/emulator/iam.py) and the played run names
    # the stack's job log groups, so a healthy stack is all ✓.
    crosses = [line for line in doctor.stdout.splitlines() if line.startswith("✗")]
    assert crosses == [] and doctor.returncode == 0, (crosses, doctor.stderr[-2000:])
    assert sum(line.startswith("✓") for line in doctor.stdout.splitlines()) >= 10
