"""`rejects` on a deployed stack, in this process (`automation.aws.rejects.stack_rejects`): the
run found from the stack's reports, the gate, Athena's three questions and what they cost,
against the emulator (moto over HTTP, Athena's SELECTs answered by DuckDB over the rejects table
the played run registered).

Edges mutation testing found unguarded (docs/testing.md): only the CLI subprocess tests
(`tests/e2e/test_aws_cli.py`) reached `stack_rejects`, and mutmut runs the fast tier only.
Every expected value is written out: the silver rows below have one row with no idade, and the
emulator scans 0 bytes a query, so each is billed Athena's 10 MB minimum.
"""

from __future__ import annotations

import json

import pytest

from automation.aws.deployed import Stack
from automation.aws.rejects import stack_rejects
from automation.cli import main
from automation.outputs import StackOutputs
from automation.rejects import RejectsError
from infra import outputs as out
from tests.aws_emulator import GluePlayer, write_silver_dataset

# Three silver rows in two months; the second breaks a quality rule (idade is null).
SILVER_ROWS = {
    (2024, 1): [
        {"idade": 30, "ativo": True, "salario": 1000.0, "nome": "a"},
        {"idade": None, "ativo": True, "salario": 1.0, "nome": "b"},
    ],
    (2024, 2): [{"idade": 40, "ativo": False, "salario": 2000.0, "nome": "c"}],
}
CLEAN_ROWS = {(2024, 1): [{"idade": 31, "ativo": True, "salario": 1000.0, "nome": "a"}]}
# Athena bills at least 10 MB a query, at $5 per TB (2**40 bytes): 10_485_760 / 2**40 * 5 = $0.00004768.
TEN_MB = 10_485_760


def stack_of(seeded) -> Stack:
    return Stack.connect(StackOutputs.from_values(seeded.outputs, "outputs.json"))


def load_and_run(seeded, silver_path) -> str:
    """The silver dataset at `silver_path` loaded, one run of the job played; its run id."""
    outputs_file = str(seeded.outputs_file)
    assert main(["load-silver", "--silver-path", str(silver_path), "--outputs-file", outputs_file]) == 0
    with GluePlayer(seeded) as player:
        assert main(["run", "--outputs-file", outputs_file]) == 0
    (run_id,) = player.played
    return run_id


def test_the_latest_runs_rejects_are_asked_of_athena_in_the_stacks_workgroup_with_their_cost(as_operator, tmp_path):
    run_id = load_and_run(as_operator, write_silver_dataset(tmp_path / "silver", SILVER_ROWS))
    said: list[str] = []

    document = stack_rejects(stack_of(as_operator), progress=said.append).to_dict()

    silver_file = f"{as_operator[out.SILVER_URI]}ano=2024/mes=1/part-0.parquet"
    cost = document.pop("cost")
    assert document == {
        "run_id": run_id,
        "table": "gold_data.sample_data_aggregated_rejects",
        "queried": True,
        "note": "",
        "last_rejecting_run": None,
        "status": "succeeded",
        "rows_read": 3,
        "rows_rejected": 1,
        "reject_ratio": 0.333333,
        "max_reject_ratio": 0.05,  # the job's --max_reject_ratio: the played report records none
        "quarantine_location": f"{as_operator[out.QUARANTINE_URI]}run_id={run_id}/",
        "rows_in_table": 1,
        "by_reason": [{"reason": "idade is null", "rejected_rows": 1}],
        "by_month": [{"ano": 2024, "mes": 1, "rejected_rows": 1}],
        "trace": [{"id": None, "silver_file": silver_file, "silver_row": 1, "reject_reasons": "[idade is null]"}],
    }
    assert len(cost["query_ids"]) == len(set(cost["query_ids"])) == 3
    assert cost == {
        "athena_queries": 3,
        "query_ids": cost["query_ids"],
        "workgroup": "silver-to-gold-dev",
        "data_scanned_bytes": 0,
        "billed_bytes": 3 * TEN_MB,
        "cost_usd": 0.00014304,
    }
    assert said == [f"query {q} started in workgroup silver-to-gold-dev" for q in cost["query_ids"]]
    athena = as_operator.emulator.client("athena")
    sqls = [athena.get_query_execution(QueryExecutionId=q)["QueryExecution"]["Query"] for q in cost["query_ids"]]
    assert all(f"WHERE run_id = '{run_id}'" in sql for sql in sqls)
    assert "CROSS JOIN UNNEST(reject_reasons)" in sqls[0]  # Athena's dialect, not Spark's


def test_a_named_run_is_described_and_a_clean_latest_run_names_the_last_that_rejected_rows(as_operator, tmp_path):
    first = load_and_run(as_operator, write_silver_dataset(tmp_path / "silver", SILVER_ROWS))
    # The month with the bad row replaced by a clean file: the next run rejects nothing.
    second = load_and_run(as_operator, write_silver_dataset(tmp_path / "clean", CLEAN_ROWS))
    stack = stack_of(as_operator)

    latest = stack_rejects(stack).to_dict()
    named = stack_rejects(stack, first).to_dict()

    assert (latest["run_id"], latest["rows_rejected"], latest["queried"]) == (second, 0, False)
    assert latest["last_rejecting_run"] == first
    assert latest["note"].endswith(f"; the last run that rejected rows is {first}")
    assert "cost" not in latest  # nothing asked, nothing billed
    assert (named["run_id"], named["rows_rejected"], named["by_reason"]) == (
        first,
        1,
        [{"reason": "idade is null", "rejected_rows": 1}],
    )
    assert named["cost"]["athena_queries"] == 3


def test_a_run_id_with_no_report_is_refused_naming_the_latest_runs(as_operator, tmp_path):
    run_id = load_and_run(as_operator, write_silver_dataset(tmp_path / "silver", SILVER_ROWS))

    with pytest.raises(RejectsError) as refused:
        stack_rejects(stack_of(as_operator), "jr_0123456789abcdef")

    reports = as_operator[out.REPORTS_URI].rstrip("/")
    assert str(refused.value) == (
        f"no run jr_0123456789abcdef in {reports}/ (no run report of that id): the latest runs are {run_id}; "
        "list them with `runs`"
    )


def test_before_any_run_the_reports_location_is_named(as_operator):
    with pytest.raises(RejectsError) as refused:
        stack_rejects(stack_of(as_operator))

    assert str(refused.value) == (
        f"no run report at {as_operator[out.REPORTS_URI].rstrip('/')}/latest.json: run the job first, "
        "or name a run with --run-id"
    )


def test_the_gate_the_run_recorded_is_its_own_and_the_jobs_is_read_when_it_recorded_none(as_operator, tmp_path):
    """The job records its `--max_reject_ratio` in the report (`etl.report.RunReport`); the
    player does not, so the report is rewritten here as a job that records it would write it."""
    run_id = load_and_run(as_operator, write_silver_dataset(tmp_path / "silver", SILVER_ROWS))
    glue, s3 = as_operator.emulator.client("glue"), as_operator.emulator.client("s3")
    # The job redeployed with a gate of 0.4 (moto has no UpdateJob: deleted and created again).
    job = glue.get_job(JobName=as_operator[out.JOB_NAME])["Job"]
    glue.delete_job(JobName=job["Name"])
    arguments = {**job["DefaultArguments"], "--max_reject_ratio": "0.4"}
    glue.create_job(Name=job["Name"], Role=job["Role"], Command=job["Command"], DefaultArguments=arguments)
    stack = stack_of(as_operator)
    assert stack_rejects(stack).gate == 0.4  # the job's, read from its DefaultArguments

    bucket, prefix = as_operator.bucket_and_prefix(out.REPORTS_URI)
    key = f"{prefix}{run_id}.json"
    report = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps({**report, "max_reject_ratio": 0.25}).encode())

    assert stack_rejects(stack, run_id).gate == 0.25
