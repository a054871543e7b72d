"""`python -m automation doctor` as a user runs it, against moto's server seeded from
`synth --stack dev`. moto serves every read doctor makes but has no IAM policy simulator (its
answers are tested with Stubber in tests/automation/test_doctor.py): here the simulator lines
say it did not answer, and the run exits 1. Every call doctor makes is also checked against the
operator policy by the `aws_stack` fixture (tests/aws_emulator.py)."""

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


def test_doctor_reads_every_resource_and_names_what_it_could_not_confirm(aws_stack):
    result = doctor(aws_stack)

    rows = result.stdout.splitlines()
    bucket = aws_stack[out.BUCKET]
    assert result.returncode == 1
    for expected in (
        "✓ caller: arn:aws:sts::123456789012:user/moto in account 123456789012",
        "✓ region: us-east-1",
        f"✓ bucket {bucket} encryption: AES256",
        f"✓ bucket {bucket} versioning: Enabled",
        "✓ log group /aws-glue/jobs/job-transform-silver-to-gold/output: 14 days, no key",
        "✓ crawler crawler-gold-data: adds partitions to gold_data.sample_data_aggregated as silver-to-gold-dev-glue",
        "✓ alerts topic silver-to-gold-dev-alerts: no key (EventBridge publishes unencrypted)",
    ):
        assert expected in rows, result.stdout
    crosses = [row for row in rows if row.startswith("✗ ")]
    assert [row.split(":")[0] for row in crosses] == ["✗ job role's permissions", "✗ caller's permissions"]
    assert crosses[0].startswith("✗ job role's permissions: the policy simulator did not answer")
    assert "the policy simulator takes IAM users and roles, not arn:aws:sts::123456789012:user/moto" in crosses[1]
    assert result.stderr.splitlines() == [
        f"error: doctor: 2 of {len(rows) - 1} checks failed (job role's permissions, caller's permissions)"
    ]


def test_doctor_json_names_a_deleted_log_group(aws_stack):
    aws_stack.emulator.client("logs").delete_log_group(logGroupName=aws_stack[out.JOB_ERROR_LOG_GROUP])

    result = doctor(aws_stack, "--json")

    report = json.loads(result.stdout.strip().splitlines()[-1])
    failed = {c["check"]: c for c in report["checks"] if not c["ok"]}
    group = failed[f"log group {aws_stack[out.JOB_ERROR_LOG_GROUP]}"]
    assert group["detail"] == "not found"
    assert group["fix"].startswith("it was deleted outside Pulumi")
    assert result.returncode == 1
