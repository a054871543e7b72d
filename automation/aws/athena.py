"""Athena on a deployed stack: run a query in the stack's workgroup, wait, read every page,
and what it cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from automation.aws.costs import AthenaQueryCost, athena_query_cost, format_bytes
from automation.aws.deployed import Stack
from automation.aws.session import AwsError, error_code, error_message, wait_for
from automation.pipeline import Notify, QueryResult, silent

# Athena query states: QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED.
QUERY_DONE_STATES = ("SUCCEEDED", "FAILED", "CANCELLED")


class QueryFailed(AwsError):
    """An Athena query ended FAILED or CANCELLED; `outcome` keeps what it scanned and costs
    (a cancelled query is billed)."""

    def __init__(self, message: str, outcome: QueryOutcome | None = None):
        super().__init__(message)
        self.outcome = outcome


@dataclass
class QueryOutcome:
    """An Athena query: its rows, what it scanned and what that costs."""

    query_id: str
    sql: str
    state: str
    statement_type: str
    cost: AthenaQueryCost
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    reason: str = ""
    workgroup: str = ""

    def result(self) -> QueryResult:
        return QueryResult(self.columns, self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query_id": self.query_id,
            "sql": self.sql,
            "state": self.state,
            "statement_type": self.statement_type,
            "workgroup": self.workgroup,
            "columns": list(self.columns),
            "rows": QueryResult(self.columns, self.rows).as_dicts(),
            "data_scanned_bytes": self.cost.scanned_bytes,
            "billed_bytes": self.cost.billed_bytes,
            "cost_usd": self.cost.usd,
        }


_ATHENA_INTEGERS = ("tinyint", "smallint", "integer", "int", "bigint")

_ATHENA_FLOATS = ("double", "float", "real", "decimal")


def _athena_value(text: str | None, type_name: str) -> Any:
    if text is None:
        return None
    kind = type_name.lower()
    try:
        if kind in _ATHENA_INTEGERS:
            return int(text)
        if kind in _ATHENA_FLOATS:
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return text.lower() == "true"
    return text


def workgroup_exists(stack: Stack, workgroup: str) -> bool:
    """Whether the workgroup is there. StartQueryExecution names a missing one only as an
    InvalidRequestException, as it does any bad input
    (https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html):
    GetWorkGroup tells the two apart."""
    try:
        return bool(stack.clients.athena.get_work_group(WorkGroup=workgroup).get("WorkGroup"))
    except ClientError as error:
        if error_code(error) in ("InvalidRequestException", "ResourceNotFoundException"):
            return False
        raise


def run_query(
    stack: Stack,
    sql: str,
    *,
    database: str | None = None,
    workgroup: str | None = None,
    timeout_minutes: float = 30,
    progress: Notify = silent,
) -> QueryOutcome:
    """Run `sql` in the stack's workgroup (or `workgroup`) against its gold database (or
    `database`), wait, page through the results.

    Raises:
        QueryFailed: the query ended FAILED or CANCELLED, with Athena's reason.
    """
    athena = stack.clients.athena
    workgroup = workgroup or stack.outputs.athena_workgroup
    database = database or stack.outputs.gold_database
    try:
        query_id = athena.start_query_execution(
            QueryString=sql, WorkGroup=workgroup, QueryExecutionContext={"Database": database}
        )["QueryExecutionId"]
    except ClientError as error:
        if not workgroup_exists(stack, workgroup):
            raise stack.not_deployed(f"the Athena workgroup {workgroup!r}") from None
        raise QueryFailed(f"Athena refused the query: {error_message(error)}") from None
    progress(f"query {query_id} started in workgroup {workgroup}")

    def look() -> dict[str, Any]:
        return athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]

    execution = wait_for(
        f"Athena query {query_id} to finish",
        look,
        lambda e: e["Status"]["State"] in QUERY_DONE_STATES,
        timeout=timeout_minutes * 60,
        first_delay=0.5,
        max_delay=10.0,
    )
    state = execution["Status"]["State"]
    statement_type = execution.get("StatementType", "DML")
    scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0) or 0)
    cost = athena_query_cost(scanned, statement_type, state)
    outcome = QueryOutcome(
        query_id=query_id, sql=sql, state=state, statement_type=statement_type, cost=cost, workgroup=workgroup
    )
    if state != "SUCCEEDED":
        status = execution["Status"]
        reason = (
            (status.get("AthenaError") or {}).get("ErrorMessage")
            or status.get("StateChangeReason")
            or "no reason given"
        )
        outcome.reason = reason
        billed = ""
        if cost.billed_bytes:  # a CANCELLED query (the workgroup's scan cutoff cancels) is billed
            read, charged = format_bytes(cost.scanned_bytes), format_bytes(cost.billed_bytes)
            billed = f" (scanned {read}, billed {charged}: ${cost.usd:.8f})"
        raise QueryFailed(f"Athena query {query_id} {state}: {reason}{billed}", outcome)
    columns: tuple[str, ...] = ()
    types: list[str] = []
    rows: list[tuple[Any, ...]] = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
        result_set = page.get("ResultSet", {})
        if not columns:
            info = result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])
            columns = tuple(c["Name"] for c in info)
            types = [c.get("Type", "varchar") for c in info]
        for row in result_set.get("Rows", []):
            texts = [d.get("VarCharValue") for d in row.get("Data", [])]
            if not rows and tuple(texts) == columns:  # a SELECT's first row repeats the column names
                continue
            rows.append(tuple(_athena_value(t, types[i] if i < len(types) else "varchar") for i, t in enumerate(texts)))
    outcome.columns, outcome.rows = columns, tuple(rows)
    return outcome
