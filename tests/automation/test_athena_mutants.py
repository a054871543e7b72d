"""Athena on a deployed stack (`automation.aws.athena`): the edges mutmut found no test guarding
(issue 25, docs/testing.md): the progress line a query prints, how long `query` waits before
giving up and what it says then, what a query's `--json` document says when Athena leaves out a
statement type or a scan figure, and answers whose pages leave out parts botocore's model of
Athena makes optional. Athena's answers are botocore's Stubber, which checks every request and
answer against that model. Every expected value is written out.
"""

from __future__ import annotations

import pytest

from automation.aws.athena import run_query
from automation.aws.session import WaitTimeout
from tests.stubs import STUB_OUTPUTS, stubbed_stack


def execution(query_id: str, state: str = "SUCCEEDED", **more: object) -> dict:
    return {"QueryExecution": {"QueryExecutionId": query_id, "Status": {"State": state}, **more}}


def test_a_query_prints_its_id_and_workgroup_once_started(clock):
    stack, (athena,) = stubbed_stack(STUB_OUTPUTS, "athena")
    athena.add_response("start_query_execution", {"QueryExecutionId": "q-1"}, None)
    athena.add_response("get_query_execution", execution("q-1", "RUNNING"), {"QueryExecutionId": "q-1"})
    athena.add_response("get_query_execution", execution("q-1"), {"QueryExecutionId": "q-1"})
    athena.add_response("get_query_results", {}, {"QueryExecutionId": "q-1"})
    printed: list[str] = []
    with athena:
        run_query(stack, "SELECT 1", progress=printed.append)

    assert printed == ["query q-1 started in workgroup silver-to-gold-dev"]
    assert clock.slept == [0.5]  # the first look comes half a second after the start


def test_a_query_still_running_after_thirty_minutes_is_given_up_naming_it(clock):
    """`query` passes no timeout: 30 minutes. Looks come 0.5 s apart, then 1.5 times longer each
    time up to 10 s: 0.5 + 0.75 + 1.125 + 1.6875 + 2.53125 + 3.796875 + 5.6953125 + 8.54296875 =
    24.62890625 s in 8 sleeps, then 177 sleeps of 10 s (1794.63 s), then the 5.37 s left: 186
    sleeps, so the 187th look is at 1800 s and the last."""
    stack, (athena,) = stubbed_stack(STUB_OUTPUTS, "athena")
    athena.add_response("start_query_execution", {"QueryExecutionId": "q-2"}, None)
    for _ in range(187):
        athena.add_response("get_query_execution", execution("q-2", "RUNNING"), {"QueryExecutionId": "q-2"})
    with athena:
        with pytest.raises(WaitTimeout) as gave_up:
            run_query(stack, "SELECT 2")
        athena.assert_no_pending_responses()

    assert str(gave_up.value) == "gave up waiting for Athena query q-2 to finish after 1800 s (187 checks)"
    assert clock.slept[:9] == [0.5, 0.75, 1.125, 1.6875, 2.53125, 3.796875, 5.6953125, 8.54296875, 10.0]


def test_a_query_athena_reports_no_statement_type_or_scan_for_is_a_dml_query_that_scanned_nothing(clock):
    stack, (athena,) = stubbed_stack(STUB_OUTPUTS, "athena")
    athena.add_response("start_query_execution", {"QueryExecutionId": "q-3"}, None)
    athena.add_response(
        "get_query_execution",
        execution("q-3", Statistics={"TotalExecutionTimeInMillis": 40}),
        {"QueryExecutionId": "q-3"},
    )
    athena.add_response("get_query_results", {"ResultSet": {"Rows": []}}, {"QueryExecutionId": "q-3"})
    with athena:
        outcome = run_query(stack, "SELECT 3")

    # Athena bills at least 10 MB a query: 10_485_760 / 2**40 * $5 = $0.00004768.
    assert outcome.to_dict() == {
        "query_id": "q-3",
        "sql": "SELECT 3",
        "state": "SUCCEEDED",
        "statement_type": "DML",
        "workgroup": "silver-to-gold-dev",
        "columns": [],
        "rows": [],
        "data_scanned_bytes": 0,
        "billed_bytes": 10_485_760,
        "cost_usd": 0.00004768,
    }


def test_a_querys_json_document_gives_each_row_by_column_name(clock):
    stack, (athena,) = stubbed_stack(STUB_OUTPUTS, "athena")
    athena.add_response("start_query_execution", {"QueryExecutionId": "q-4"}, None)
    athena.add_response(
        "get_query_execution", execution("q-4", Statistics={"DataScannedInBytes": 2048}), {"QueryExecutionId": "q-4"}
    )
    info = [{"Name": "ano", "Type": "integer"}, {"Name": "nome", "Type": "varchar"}]
    rows = [["ano", "nome"], ["2024", "a"], ["2025", None]]
    athena.add_response(
        "get_query_results",
        {
            "ResultSet": {
                "ResultSetMetadata": {"ColumnInfo": info},
                "Rows": [{"Data": [{"VarCharValue": v} if v is not None else {} for v in row]} for row in rows],
            }
        },
        {"QueryExecutionId": "q-4"},
    )
    with athena:
        document = run_query(stack, "SELECT ano, nome FROM t").to_dict()

    assert document["columns"] == ["ano", "nome"]
    assert document["rows"] == [{"ano": 2024, "nome": "a"}, {"ano": 2025, "nome": None}]
    assert (document["data_scanned_bytes"], document["billed_bytes"]) == (2048, 10_485_760)
