"""`python -m automation doctor` as a user holding only the stack's operator policy runs it,
against moto's server seeded from `synth --stack dev` (`tests.aws_emulator`). The emulator
answers IAM's policy simulator from the policies in its IAM with the project's evaluator, so on
the stack as deployed every line is a ✓ and the verb exits 0; every call doctor makes is also
held to its declaration and to the operator policy by the `aws_stack` fixture."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from infra import outputs as out
from tests.aws_emulator import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def doctor(stack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "automation", "doctor", "--outputs-file", str(stack.outputs_file), *args],
        capture_output=True,
        text=True,
        env=stack.emulator.env(),
        cwd=PROJECT_ROOT,
        timeout=300,
    )


def test_doctor_as_the_operator_on_the_stack_as_deployed_passes_every_check(aws_stack):
    result = doctor(aws_stack)

    rows = result.stdout.splitlines()
    bucket = aws_stack[out.BUCKET]
    assert result.returncode == 0, result.stdout + result.stderr
    for expected in (
        "✓ caller: arn:aws:iam::123456789012:user/operator in account 123456789012",
        "✓ region: us-east-1",
        f"✓ bucket {bucket} versioning: Enabled",
        "✓ log group /aws-glue/jobs/job-transform-silver-to-gold/output: 14 days, no key",
        "✓ crawler crawler-gold-data: adds partitions to gold_data.sample_data_aggregated as silver-to-gold-dev-glue",
        "✓ job role may read silver: s3:GetObject allowed on 1 resource",
        "✓ operator policy allows status: 5 actions allowed on 3 resources",
    ):
        assert expected in rows, result.stdout
    assert all(row.startswith("✓ ") for row in rows[:-1])
    assert rows[-1] == f"{len(rows) - 1} checks, 0 failed"


def test_doctor_json_names_a_deleted_log_group(aws_stack):
    aws_stack.emulator.client("logs").delete_log_group(logGroupName=aws_stack[out.JOB_ERROR_LOG_GROUP])

    result = doctor(aws_stack, "--json")

    report = json.loads(result.stdout.strip().splitlines()[-1])
    failed = {c["check"]: c for c in report["checks"] if not c["ok"]}
    group = failed[f"log group {aws_stack[out.JOB_ERROR_LOG_GROUP]}"]
    assert group["detail"] == "not found"
    assert group["fix"].startswith("it was deleted outside Pulumi")
    assert result.returncode == 1
