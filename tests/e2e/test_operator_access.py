"""The verbs as someone holding only the stack's operator policy runs them, against the emulator
(`tests.aws_emulator`: the CLI's credentials are an IAM user with that policy; the emulator fails
a query whose reads as the caller the user may not make, as Athena does; every call and every
read is held to the verb's declaration and to the rendered policy after each test).

The two denials the review found: `rejects` reading the rejects table through Athena, and
`load-silver --silver-path` after a sample load deleting the sample's marker.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from infra import outputs as out
from tests.aws_emulator import PROJECT_ROOT, GluePlayer, write_silver_dataset

pytestmark = pytest.mark.e2e

ROWS = {(2024, 1): [{"idade": 30, "ativo": True, "salario": 10.0}, {"idade": None, "ativo": True, "salario": 1.0}]}


def cli(stack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "automation", *args, "--outputs-file", str(stack.outputs_file)],
        capture_output=True,
        text=True,
        env=stack.emulator.env(),
        cwd=PROJECT_ROOT,
        timeout=300,
    )


def ok_json(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def load_and_run(stack, tmp_path) -> str:
    ok_json(cli(stack, "load-silver", "--silver-path", str(write_silver_dataset(tmp_path / "silver", ROWS)), "--json"))
    with GluePlayer(stack):
        return ok_json(cli(stack, "run", "--json"))["run_id"]


def test_rejects_reads_the_rejects_table_through_athena_as_the_operator(aws_stack, tmp_path):
    run_id = load_and_run(aws_stack, tmp_path)

    result = ok_json(cli(aws_stack, "rejects", "--json"))

    assert (result["run_id"], result["rows_rejected"]) == (run_id, 1)
    assert result["by_reason"] == [{"reason": "idade is null", "rejected_rows": 1}]
    reads = {(r["action"], r["resource"]) for r in aws_stack.emulator.athena_reads}
    rejects = "arn:aws:glue:us-east-1:123456789012:table/gold_data/sample_data_aggregated_rejects"
    assert ("glue:GetTable", rejects) in reads and ("glue:GetPartitions", rejects) in reads
    quarantine = f"arn:aws:s3:::{aws_stack[out.BUCKET]}/quarantine/sample_data_aggregated/run_id={run_id}/"
    assert any(action == "s3:GetObject" and resource.startswith(quarantine) for action, resource in reads)


def test_rejects_without_its_grants_fails_as_athena_fails_a_query_it_may_not_read(aws_stack, tmp_path):
    load_and_run(aws_stack, tmp_path)
    iam = aws_stack.emulator.client("iam")
    arn = aws_stack[out.OPERATOR_POLICY_ARN]
    document = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    rejects = "arn:aws:glue:us-east-1:123456789012:table/gold_data/sample_data_aggregated_rejects"
    for statement in document["Statement"]:
        statement["Resource"] = [r for r in statement["Resource"] if r != rejects and "/quarantine/" not in r]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document), SetAsDefault=True)

    result = cli(aws_stack, "rejects")

    assert result.returncode == 1, result.stdout
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert error.startswith("error: Athena query ")
    assert error.endswith(
        " FAILED: Insufficient permissions to execute the query. User: arn:aws:iam::123456789012:user/operator "
        f"is not authorized to perform: glue:GetTable on resource: {rejects} because no identity-based policy "
        "allows the glue:GetTable action (Service: AWSGlue; Status Code: 400; Error Code: AccessDeniedException)"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.spark
def test_load_silver_a_folder_after_a_sample_forgets_the_sample_as_the_operator(aws_stack, tmp_path):
    ok_json(cli(aws_stack, "load-silver", "--rows", "2000", "--months", "1", "--json"))
    bucket, prefix = aws_stack.bucket_and_prefix(out.SILVER_URI)
    s3 = aws_stack.emulator.client("s3")
    assert s3.head_object(Bucket=bucket, Key=f"{prefix}_sample.json")

    silver = write_silver_dataset(tmp_path / "silver", {(2023, 7): ROWS[(2024, 1)]})
    loaded = ok_json(cli(aws_stack, "load-silver", "--silver-path", str(silver), "--json"))

    assert loaded["uploaded"] == 1
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    assert f"{prefix}_sample.json" not in {item["Key"] for item in listed}
