"""The AWS API emulator as pytest fixtures: the pieces are `tools.emulator`, the same ones
`python -m tools.emulator` (`make emulator`) runs for a person.

`aws_emulator` (session) starts moto's server on 127.0.0.1 and a free port; it is reached
over HTTP through AWS_ENDPOINT_URL, exactly as the CLI reaches AWS, and answers Athena's
SELECTs with DuckDB over the emulated catalog's tables. `aws_stack` (per test) resets the
emulator, seeds the dev stack from `automation synth --stack dev --json` (writing its outputs
file) and gives the CLI subprocesses the credentials of an IAM user holding only the stack's
operator policy: the emulator fails a query whose reads as the caller (Athena's) that policy
does not allow, as Athena does. After the test, every AWS call the CLI made and every read
Athena made for its queries must be declared for the verb that made it
(`infra.policies.verbs`), and every call allowed by the operator policy as rendered.
`GluePlayer` plays the Glue job for a test: it computes gold from the loaded silver with
pyarrow and writes it, the catalog partitions, the quarantine, the run report and log events
where the job would.
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
from tools.emulator.iam import create_operator

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
    """A freshly seeded dev stack for one test, its CLI run as the operator; afterwards, every
    AWS call the test's CLI subprocesses made, and every read Athena made for their queries, must
    be declared for its verb, and every call one the stack's operator policy allows."""
    aws_emulator.reset()
    forget_calls(aws_emulator)
    stack = seed_stack(aws_emulator, dev_rendering, tmp_path / "outputs.json")
    operator = create_operator(aws_emulator, stack.outputs[out.OPERATOR_POLICY_ARN])
    aws_emulator.extra_env.update(operator)
    try:
        yield stack
    finally:
        for name in operator:
            aws_emulator.extra_env.pop(name, None)
    calls = recorded_calls(aws_emulator)
    refused = calls_the_operator_policy_refuses(calls, dev_rendering, stack.outputs)
    assert not refused, "the operator policy does not allow:\n" + "\n".join(refused)
    undeclared = undeclared_calls(calls, aws_emulator.athena_reads, stack.outputs)
    assert not undeclared, "not declared for the verb in infra/policies/verbs.py:\n" + "\n".join(undeclared)


@pytest.fixture
def as_operator(aws_stack: SeededStack, monkeypatch: pytest.MonkeyPatch) -> SeededStack:
    """The CLI's environment in this process: the emulator's endpoint, the operator's credentials,
    no profile or region of this machine's. Job runs and crawls end at their first look (moto's
    "immediate" progression): these tests read what a run leaves, and with a state every
    STEP_SECONDS each run's wait slept about 5 s for real. How a run is waited for and shown is
    tested where the states matter: tests/automation/test_waits.py, test_stack_runs.py (which set
    their own progression) and the CLI tests of tests/e2e/."""
    for model in ("glue::job_run", "glue::crawl"):
        aws_stack.emulator.set_progression(model, {"progression": "immediate"})
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_stack.emulator.url)
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in aws_stack.emulator.extra_env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    return aws_stack


def verb_documents(outputs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each verb's declared accesses (`infra.policies.verbs`) as a policy document the evaluator reads."""
    from automation.aws.needs import stack_resources
    from automation.outputs import StackOutputs
    from infra.policies.verbs import verb_access

    declared = verb_access(stack_resources(StackOutputs.from_values(outputs, "test")))
    return {
        verb: {"Statement": [{"Effect": "Allow", "Action": a.actions, "Resource": a.resources} for a in accesses]}
        for verb, accesses in declared.items()
    }


def undeclared_calls(
    calls: list[dict[str, Any]], athena_reads: list[dict[str, str]], outputs: dict[str, Any]
) -> list[str]:
    """One line per distinct (verb, action, resource) a recorded call, or a read Athena made for
    one of the verb's queries, needs and the verb's declaration lacks."""
    from tests.iam_policy import Stack, allows, iam_requests

    documents = verb_documents(outputs)
    stack = Stack(
        region=outputs[out.REGION],
        account=outputs[out.STACK_SETTINGS]["roleArn"].split(":")[4],
        workgroup=outputs[out.ATHENA_WORKGROUP],
    )
    missing: dict[tuple[str, str, str], str] = {}
    verb_of_query = {c["query_id"]: c.get("verb", "") for c in calls if c.get("query_id")}
    needed = [
        (call.get("verb", ""), action, resource, f"{call['service']}:{call['operation']}")
        for call in calls
        for action, resource in iam_requests(call, stack)
    ]
    needed += [
        (verb_of_query[read["query_id"]], read["action"], read["resource"], f"Athena reading {read['table']}")
        for read in athena_reads
        if read["query_id"] in verb_of_query
    ]
    for verb, action, resource, how in needed:
        document = documents.get(verb)
        if document is None or not allows(document, action, resource):
            missing.setdefault((verb, action, resource), f"{verb}: {action} on {resource} ({how})")
    return list(missing.values())


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
