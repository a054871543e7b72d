"""`runs` on a deployed stack: the job's recent Glue runs, newest first, each with the job's
own report (rows read, rejected, written) and, once over, what it cost; and the recent reports
`rejects` names runs from.

Glue's view (state, start, ExecutionTime, workers) comes from GetJobRuns, which "returns the
newest jobs first" (https://docs.aws.amazon.com/glue/latest/webapi/API_GetJobRuns.html); the
figures from `<runReportsUri><run id>.json`, which the job writes whether it succeeds or fails.
"""

from __future__ import annotations

from automation.aws.deployed import Stack
from automation.aws.job_runs import describe_job_run, newest_job_runs, read_run_report
from automation.runs import DEFAULT_RUNS, RunRow, first_line, iso_utc, row_from_report
from etl.report import RunReport
from infra import outputs as out

RUNS_OUTPUTS = (out.JOB_NAME, out.REPORTS_URI, out.PRICE_PER_DPU_HOUR)


def stack_runs(stack: Stack, limit: int = DEFAULT_RUNS) -> list[RunRow]:
    """The job's `limit` newest runs, one row each (a Glue retry is a run of its own)."""
    stack.outputs.require(*RUNS_OUTPUTS)
    rows = []
    for run in newest_job_runs(stack, limit):
        outcome = describe_job_run(stack, run)
        started = iso_utc(run["StartedOn"]) if run.get("StartedOn") else ""
        cost = outcome.cost.usd if outcome.cost else None
        seconds = float(outcome.execution_seconds) if outcome.finished else None
        if outcome.report is not None:
            row = row_from_report(outcome.report, started, state=outcome.state, seconds=seconds, cost_usd=cost)
        else:
            row = RunRow(
                run_id=outcome.run_id,
                started=started,
                state=outcome.state,
                mode=outcome.arguments.get("--mode", ""),
                seconds=seconds,
                cost_usd=cost,
                error=first_line(outcome.error_message),
            )
        rows.append(row)
    return rows


def recent_reports(stack: Stack, limit: int = 20) -> list[RunReport]:
    """The reports of the job's `limit` newest runs that wrote one, newest first."""
    reports = []
    for run in newest_job_runs(stack, limit):
        report = read_run_report(stack, run["Id"])
        if report is not None:
            reports.append(report)
    return reports
