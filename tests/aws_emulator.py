"""The AWS API emulator as pytest fixtures: the pieces are `tools.emulator`, the same ones
`python -m tools.emulator` (`make emulator`) runs for a person.

`aws_emulator` (session) starts moto's server on 127.0.0.1 and a free port; it is reached
over HTTP through AWS_ENDPOINT_URL with fake credentials, exactly as the CLI reaches AWS,
and answers Athena's SELECTs with DuckDB over the emulated catalog's tables. `aws_stack`
(per test) resets the emulator and seeds the dev stack from `automation synth --stack dev
--json`, writing its outputs file. `GluePlayer` plays the Glue job for a test: it computes
gold from the loaded silver with pyarrow and writes it, the catalog partitions, the
quarantine, the run report and log events where the job would.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from infra import outputs as out
from tools.emulator import PROJECT_ROOT, Emulator, GluePlayer, SeededStack, render_stack, seed_stack, start_server

# The botocore hook that records every AWS API call of the CLI subprocesses (its sitecustomize).
API_CALL_RECORDER = Path(__file__).resolve().parent / "api_calls"

__all__ = ["PROJECT_ROOT", "GluePlayer", "SeededStack", "write_silver_dataset"]


@pytest.fixture(scope="session")
def aws_emulator(tmp_path_factory) -> Emulator:
    """The emulator; CLI subprocesses started with `env()` record their AWS API calls in
    `calls_file` (`tests/api_calls`)."""
    server, emulator = start_server()
    calls_file = tmp_path_factory.mktemp("api-calls") / "calls.jsonl"
    emulator.extra_env = {
        "SILVER_TO_GOLD_API_CALLS": str(calls_file),
        "PYTHONPATH": os.pathsep.join([str(API_CALL_RECORDER), str(PROJECT_ROOT)]),
    }
    emulator.calls_file = calls_file
    yield emulator
    server.stop()


def recorded_calls(emulator: Emulator) -> list[dict[str, Any]]:
    """The CLI's AWS API calls since the last `forget_calls`, in order."""
    calls_file = getattr(emulator, "calls_file", None)
    if calls_file is None or not calls_file.exists():
        return []
    return [json.loads(line) for line in calls_file.read_text().splitlines() if line.strip()]


def forget_calls(emulator: Emulator) -> None:
    calls_file = getattr(emulator, "calls_file", None)
    if calls_file is not None:
        calls_file.write_text("")


@pytest.fixture(scope="session")
def dev_rendering() -> dict[str, Any]:
    """`python -m automation synth --stack dev --json`, run once as a user would."""
    return render_stack("dev")


@pytest.fixture
def aws_stack(aws_emulator: Emulator, dev_rendering: dict[str, Any], tmp_path: Path) -> SeededStack:
    """A freshly seeded dev stack for one test; afterwards, every AWS call the test's CLI
    subprocesses made must be one the stack's operator policy allows."""
    aws_emulator.reset()
    forget_calls(aws_emulator)
    stack = seed_stack(aws_emulator, dev_rendering, tmp_path / "outputs.json")
    yield stack
    refused = calls_the_operator_policy_refuses(recorded_calls(aws_emulator), dev_rendering, stack.outputs)
    assert not refused, "the operator policy does not allow:\n" + "\n".join(refused)


# Resources only the emulator names: moto's GetJobRun always answers LogGroupName "test/log"
# (moto/glue/models.py, FakeJobRun.as_dict), so `logs` looks for test/log/error and /output
# first. On AWS the run names its real groups; a candidate the operator may not read is
# skipped by `logs` (AccessDenied), so the operator policy need not, and does not, cover it.
EMULATOR_ONLY_RESOURCES = (":log-group:test/log/",)


def operator_policy_document(rendering: dict[str, Any]) -> dict[str, Any]:
    """The operator policy as synth rendered it (`infra.operator.OperatorAccess`)."""
    (policy,) = [r for r in rendering["resources"] if r["type"] == "aws:iam/policy:Policy"]
    return json.loads(policy["inputs"]["policy"])


def calls_the_operator_policy_refuses(
    calls: list[dict[str, Any]], rendering: dict[str, Any], outputs: dict[str, Any]
) -> list[str]:
    """One line per distinct (action, resource) a recorded call needs and the policy does not allow."""
    from tests.iam_policy import Stack, allows, iam_requests

    document = operator_policy_document(rendering)
    stack = Stack(
        region=outputs[out.REGION],
        account=outputs[out.STACK_SETTINGS]["roleArn"].split(":")[4],
        workgroup=outputs[out.ATHENA_WORKGROUP],
    )
    refused: dict[tuple[str, str], str] = {}
    for call in calls:
        for action, resource in iam_requests(call, stack):
            if any(part in resource for part in EMULATOR_ONLY_RESOURCES):
                continue
            if not allows(document, action, resource):
                refused.setdefault(
                    (action, resource), f"{action} on {resource} ({call['service']}:{call['operation']})"
                )
    return list(refused.values())


SILVER_ARROW_SCHEMA = pa.schema(
    [("idade", pa.int32()), ("ativo", pa.bool_()), ("salario", pa.float64()), ("nome", pa.string())]
)


def write_silver_dataset(root: Path, partitions: dict[tuple[int, int], list[dict]]) -> Path:
    """A local silver dataset in ano=/mes= folders, written by pyarrow."""
    for (ano, mes), rows in partitions.items():
        folder = root / f"ano={ano}" / f"mes={mes}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=SILVER_ARROW_SCHEMA), folder / "part-0.parquet")
    return root
