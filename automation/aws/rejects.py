"""`rejects` on a deployed stack: what a run rejected and why, asked of the stack's rejects
table through Athena in the stack's workgroup, with what the queries scanned and cost.

The run (default: the latest, from the job's `latest.json` under `runReportsUri`: Glue run
ids are not ordered), the questions and the answer's shape are `automation.rejects`', the
same as the local backend's; this module supplies the stack's table, its reports and Athena.
"""

from __future__ import annotations

from dataclasses import replace

from automation.aws.athena import QueryOutcome, run_query
from automation.aws.deployed import Stack
from automation.aws.job_runs import read_run_report
from automation.aws.runs import recent_reports
from automation.outputs import StackOutputs
from automation.pipeline import Notify, QueryResult, silent
from automation.rejects import RejectsSummary, find_run, gate_of, summarize_rejects
from etl.arguments import DEFAULT_MAX_REJECT_RATIO
from etl.report import RunReport
from etl.schema import TableSchema, rejects_table_schema
from infra import outputs as out

# `rejectsTable` is read when the outputs have it (a stack from before it has `<goldTable>_rejects`).
REJECTS_OUTPUTS = (out.ATHENA_WORKGROUP, out.GOLD_DATABASE, out.GOLD_TABLE, out.REPORTS_URI, out.JOB_NAME)


def stack_rejects_table(outputs: StackOutputs) -> TableSchema:
    """The stack's rejects table: `rejectsTable` in `goldDatabase`, the columns of `etl.schema`."""
    table = rejects_table_schema(TableSchema(outputs.gold_database, outputs.gold_table, (), ()))
    return replace(table, table=outputs.rejects_table or table.table)


def job_max_reject_ratio(stack: Stack) -> float:
    """The job's gate from its DefaultArguments (`--max_reject_ratio`), else the job's default."""
    arguments = stack.clients.glue.get_job(JobName=stack.outputs.job_name)["Job"].get("DefaultArguments", {})
    try:
        return float(arguments.get("--max_reject_ratio", DEFAULT_MAX_REJECT_RATIO))
    except ValueError:
        return DEFAULT_MAX_REJECT_RATIO


def stack_rejects(stack: Stack, run_id: str | None = None, progress: Notify = silent) -> RejectsSummary:
    """What a run (default: the latest) rejected, by reason and month, with rows to trace.

    Raises:
        RejectsError: no run report yet (and no --run-id), or a run id that cannot name a partition.
        QueryFailed: Athena failed a query, with its reason.
    """
    stack.outputs.require(*REJECTS_OUTPUTS)
    reports = stack.outputs.run_reports_uri
    known: list[RunReport] = []

    def recent() -> list[RunReport]:  # read once: each is a GetObject
        if not known:
            known.extend(recent_reports(stack))
        return known

    run_id, report = find_run(run_id, lambda name: read_run_report(stack, name), reports, recent)
    gate = gate_of(report, None)
    if gate is None:  # a report from before the gate was recorded: the job's own
        gate = job_max_reject_ratio(stack)
    queries: list[QueryOutcome] = []

    def ask(sql: str) -> QueryResult:
        outcome = run_query(stack, sql, progress=progress)
        queries.append(outcome)
        return outcome.result()

    table = stack_rejects_table(stack.outputs)
    summary = summarize_rejects(table, run_id, report, ask, dialect="athena", gate=gate, recent=recent)
    if queries:
        costs = [q.cost for q in queries]
        summary.cost = {
            "athena_queries": len(queries),
            "query_ids": [q.query_id for q in queries],
            "workgroup": queries[0].workgroup,
            "data_scanned_bytes": sum(c.scanned_bytes for c in costs),
            "billed_bytes": sum(c.billed_bytes for c in costs),
            "cost_usd": round(sum(c.usd for c in costs), 8),
        }
    return summary
