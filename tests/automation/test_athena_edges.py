"""Athena on a deployed stack (`automation.aws.athena.run_query`): values typed by the column
types Athena reports, a query refused before it starts, a failure's reason (Athena's own error
message first) or none, an answer row without data, and the `--json` document of a query. Athena's
answers are botocore's Stubber (the emulator answers with DuckDB's types and starts any query),
checked against Athena's model.

Written first for edges read in the code; the failure's message and the row without data for
survivors of mutmut's full run of the module (docs/testing.md). Every expected value is written out.
"""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from automation.aws.athena import QueryFailed, run_query
from automation.aws.deployed import Stack
from automation.aws.session import AwsError
from automation.outputs import StackOutputs
from infra import outputs as out
from tests.stubs import STUB_OUTPUTS, stubbed_stack

pytestmark = pytest.mark.usefixtures("instant_waits")


def finished(athena: Stubber, query_id: str, state: str = "SUCCEEDED", **execution: object) -> None:
    athena.add_response(
        "get_query_execution",
        {"QueryExecution": {"QueryExecutionId": query_id, "Status": {"State": state}, **execution}},
        {"QueryExecutionId": query_id},
    )


def test_values_are_typed_by_the_column_types_athena_reports():
    """Athena's type names ("Data types in Amazon Athena",
    https://docs.aws.amazon.com/athena/latest/ug/data-types.html); every value comes as text."""
    stack, (athena,) = stubbed_stack(STUB_OUTPUTS, "athena")
    athena.add_response("start_query_execution", {"QueryExecutionId": "q-7"}, None)
    finished(athena, "q-7")
    types = ["tinyint", "smallint", "integer", "bigint", "double", "float", "real", "decimal", "boolean", "BOOLEAN"]
    names = [f"c{i}" for i in range(len(types))]
    info = [{"Name": n, "Type": t} for n, t in zip(names, types, strict=True)]
    texts = [["1", "2", "3", "4", "0.5", "1.5", "2.5", "3.25", "TRUE", "false", "x"]]  # one value more: text
    texts += [["n/a", None, "-7", "x", "NaN?", "7", "0", "10", "true", "True", None]]
    texts += [names]  # a data row that happens to read like the header: kept, only the first row is the header
    rows = [{"Data": [{"VarCharValue": v} if v is not None else {} for v in row]} for row in [names, *texts]]
    athena.add_response(
        "get_query_results",
        {"ResultSet": {"ResultSetMetadata": {"ColumnInfo": info}, "Rows": rows}},
        {"QueryExecutionId": "q-7"},
    )
    with athena:
        outcome = run_query(stack, "SELECT *")

    assert outcome.columns == tuple(names)
    assert outcome.rows == (
        (1, 2, 3, 4, 0.5, 1.5, 2.5, 3.25, True, False, "x"),
        ("n/a", None, -7, "x", "NaN?", 7.0, 0.0, 10.0, True, True, None),
        ("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", False, False),
    )


def test_a_query_in_a_workgroup_and_database_named_goes_there():
    stack, (athena,) = stubbed_stack(STUB_OUTPUTS, "athena")
    athena.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-8"},
        {"QueryString": "SHOW TABLES", "WorkGroup": "adhoc", "QueryExecutionContext": {"Database": "silver_data"}},
    )
    finished(athena, "q-8", StatementType="UTILITY")
    athena.add_response("get_query_results", {"ResultSet": {}}, {"QueryExecutionId": "q-8"})
    with athena:
        outcome = run_query(stack, "SHOW TABLES", database="silver_data", workgroup="adhoc")

    # Athena bills at least 10 MB a query: 10_485_760 / 2**40 * $5 = $0.00004768.
    assert outcome.to_dict() == {
        "query_id": "q-8",
        "sql": "SHOW TABLES",
        "state": "SUCCEEDED",
        "statement_type": "UTILITY",
        "workgroup": "adhoc",
        "columns": [],
        "rows": [],
        "data_scanned_bytes": 0,
        "billed_bytes": 10_485_760,
        "cost_usd": 0.00004768,
    }


def test_a_query_refused_at_start_says_whether_the_workgroup_is_there():
    """StartQueryExecution names a missing workgroup only as InvalidRequestException, as any bad
    input (https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html);
    GetWorkGroup tells them apart."""
    stack, (athena,) = stubbed_stack(STUB_OUTPUTS, "athena")
    athena.add_client_error("start_query_execution", "InvalidRequestException", "line 1:1: mismatched input")
    athena.add_response(
        "get_work_group", {"WorkGroup": {"Name": "silver-to-gold-dev"}}, {"WorkGroup": "silver-to-gold-dev"}
    )
    athena.add_client_error("start_query_execution", "InvalidRequestException", "WorkGroup is not found.")
    athena.add_client_error(
        "get_work_group", "InvalidRequestException", "WorkGroup is not found.", expected_params={"WorkGroup": "gone"}
    )
    with athena:
        with pytest.raises(QueryFailed) as refused:
            run_query(stack, "SELEC 1")
        with pytest.raises(AwsError) as missing:
            run_query(stack, "SELECT 1", workgroup="gone")

    assert str(refused.value) == "Athena refused the query: InvalidRequestException: line 1:1: mismatched input"
    assert (
        str(missing.value) == "the Athena workgroup 'gone' does not exist in region us-east-1: deploy the stack first"
    )


def test_a_failed_query_gives_the_state_change_reason_or_says_there_was_none():
    stack, (athena,) = stubbed_stack(STUB_OUTPUTS, "athena")
    athena.add_response("start_query_execution", {"QueryExecutionId": "q-9"}, None)
    athena.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "QueryExecutionId": "q-9",
                "Status": {"State": "FAILED", "StateChangeReason": "Table not found", "AthenaError": {}},
            }
        },
        {"QueryExecutionId": "q-9"},
    )
    athena.add_response("start_query_execution", {"QueryExecutionId": "q-10"}, None)
    finished(athena, "q-10", "CANCELLED", Statistics={"DataScannedInBytes": 0})
    with athena:
        with pytest.raises(QueryFailed) as failed:
            run_query(stack, "SELECT * FROM t")
        with pytest.raises(QueryFailed) as cancelled:
            run_query(stack, "SELECT 2")

    assert str(failed.value) == "Athena query q-9 FAILED: Table not found"
    assert failed.value.outcome.reason == "Table not found"
    # A failed query is free; a cancelled one is billed, at least 10 MB ("Amazon Athena pricing",
    # https://aws.amazon.com/athena/pricing/): the bytes are named.
    assert str(cancelled.value) == (
        "Athena query q-10 CANCELLED: no reason given (scanned 0 B, billed 10.0 MB: $0.00004768)"
    )


def test_a_failed_query_gives_athenas_error_message_before_the_state_change_reason():
    """Status's AthenaError carries the error's own message, StateChangeReason "further detail";
    both are optional (QueryExecutionStatus,
    https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecutionStatus.html)."""
    stack, (athena,) = stubbed_stack(STUB_OUTPUTS, "athena")
    table_missing = "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.gold.t' does not exist"
    athena.add_response("start_query_execution", {"QueryExecutionId": "q-11"}, None)
    finished(
        athena,
        "q-11",
        "FAILED",
        Status={
            "State": "FAILED",
            "AthenaError": {"ErrorCategory": 2, "ErrorType": 1301, "Retryable": False, "ErrorMessage": table_missing},
        },
    )
    athena.add_response("start_query_execution", {"QueryExecutionId": "q-12"}, None)
    finished(
        athena,
        "q-12",
        "FAILED",
        Status={
            "State": "FAILED",
            "StateChangeReason": "Query failed",
            "AthenaError": {"ErrorCategory": 2, "ErrorType": 1301, "ErrorMessage": table_missing},
        },
    )
    with athena:
        with pytest.raises(QueryFailed) as alone:
            run_query(stack, "SELECT * FROM t")
        with pytest.raises(QueryFailed) as beside:
            run_query(stack, "SELECT * FROM t")

    assert str(alone.value) == (
        "Athena query q-11 FAILED: TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.gold.t' does not exist"
    )
    assert str(beside.value) == (
        "Athena query q-12 FAILED: TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.gold.t' does not exist"
    )
    assert beside.value.outcome.reason == "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.gold.t' does not exist"


def test_an_answer_without_columns_whose_row_has_no_data_reads_as_no_rows():
    """A Row's Data is optional in Athena's model (Row,
    https://docs.aws.amazon.com/athena/latest/APIReference/API_Row.html): a statement answered with
    no columns and one such row (the header of nothing) prints 0 rows, not a traceback."""
    stack, (athena,) = stubbed_stack(STUB_OUTPUTS, "athena")
    athena.add_response("start_query_execution", {"QueryExecutionId": "q-13"}, None)
    finished(athena, "q-13", StatementType="DDL")
    athena.add_response(
        "get_query_results",
        {"ResultSet": {"ResultSetMetadata": {"ColumnInfo": []}, "Rows": [{}]}},
        {"QueryExecutionId": "q-13"},
    )
    with athena:
        outcome = run_query(stack, "MSCK REPAIR TABLE gold.t")

    assert (outcome.columns, outcome.rows) == ((), ())
    assert outcome.to_dict()["rows"] == []


def test_a_query_in_a_workgroup_deleted_behind_the_stacks_back_asks_for_a_deploy(aws_stack, monkeypatch):
    """On the emulator: moto refuses the query and answers GetWorkGroup with no workgroup."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_stack.emulator.url)
    monkeypatch.delenv("AWS_REGION", raising=False)
    for name, value in aws_stack.emulator.extra_env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    aws_stack.emulator.client("athena").delete_work_group(WorkGroup=aws_stack[out.ATHENA_WORKGROUP])
    stack = Stack.connect(StackOutputs.from_values(aws_stack.outputs, "outputs.json"))

    with pytest.raises(AwsError) as missing:
        run_query(stack, "SELECT 1")

    assert str(missing.value) == (
        "the Athena workgroup 'silver-to-gold-dev' does not exist in region us-east-1: deploy the stack first"
    )
