"""What a run rejected and why, the same answer on every backend: `python -m automation
rejects` and the top reasons at the end of `local` and `pipeline`.

A backend hands in how to read a run's report and how to ask its catalog (`Ask`: SQL in,
columns and rows out; Spark SQL on the local catalog, Athena on a stack). This module picks
the run (default: the latest, from the job's `latest.json`: Glue run ids are not ordered),
decides whether the rejects table can answer (the report says whether the job registered
the run's partition: no query is spent on a run that rejected nothing), asks `etl.rejects`'
questions in the backend's dialect and shapes the answer (`RejectsSummary`): rejected rows
by reason and by month, the ratio against the gate, the first rows to trace.

Below every backend, it imports none of them (nor `automation.pipeline`: a backend's
`QueryResult` is an `Rows` by its shape); no Spark, no boto3, no Rich.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

from automation.runs import named_ids
from automation.wording import plural
from etl.errors import PipelineError
from etl.rejects import check_run_id, rejects_by_month_sql, rejects_by_reason_sql, rejects_sample_sql
from etl.report import RunReport
from etl.schema import TableSchema

LATEST = "latest"  # the job writes every report twice: `<run id>.json` and `latest.json`
TRACE_ROWS = 5
TOP_REASONS = 3


class Rows(Protocol):
    """A small query result (`automation.pipeline.QueryResult` is one)."""

    @property
    def columns(self) -> tuple[str, ...]: ...

    @property
    def rows(self) -> tuple[tuple[Any, ...], ...]: ...


# Answers SQL through a backend's catalog.
Ask = Callable[[str], Rows]
# Reads the run report `<name>.json` (`latest` or a run id); None when there is none.
ReadReport = Callable[[str], RunReport | None]
# The reports of the job's recent runs, newest first (for an unknown id's message, and the last
# run that rejected rows).
RecentReports = Callable[[], Sequence[RunReport]]


class RejectsError(PipelineError):
    """The run to describe cannot be found, or its id cannot name a partition."""


@dataclass
class RejectsSummary:
    """One run's rejected rows: by reason, by month, the ratio against the gate, rows to trace."""

    run_id: str
    table: str
    report: RunReport | None = None
    gate: float | None = None
    by_reason: list[tuple[str, int]] = field(default_factory=list)
    by_month: list[tuple[int | None, int | None, int]] = field(default_factory=list)
    trace: list[dict[str, Any]] = field(default_factory=list)
    queried: bool = False
    note: str = ""
    # When the run rejected nothing: the newest run that did, to name next (`rejects --run-id`).
    last_rejecting_run: str | None = None
    # What asking cost, where the backend knows (Athena): queries, bytes scanned and billed, USD.
    cost: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_in_table(self) -> int:
        """The run's rows in the rejects table (each row counted once, whatever its reasons)."""
        return sum(count for _, _, count in self.by_month)

    @property
    def reject_ratio(self) -> float | None:
        return self.report.reject_ratio if self.report else None

    def to_dict(self) -> dict[str, Any]:
        report = self.report
        document: dict[str, Any] = {
            "run_id": self.run_id,
            "table": self.table,
            "queried": self.queried,
            "note": self.note,
            "last_rejecting_run": self.last_rejecting_run,
            "status": report.status if report else None,
            "rows_read": report.rows_read if report else None,
            "rows_rejected": report.rows_rejected if report else None,
            "reject_ratio": round(report.reject_ratio, 6) if report else None,
            "max_reject_ratio": self.gate,
            "quarantine_location": report.quarantine_location if report else None,
            "rows_in_table": self.rows_in_table,
            "by_reason": [{"reason": reason, "rejected_rows": count} for reason, count in self.by_reason],
            "by_month": [{"ano": ano, "mes": mes, "rejected_rows": count} for ano, mes, count in self.by_month],
            "trace": self.trace,
        }
        if self.cost:
            document["cost"] = self.cost
        return document


def find_run(
    run_id: str | None,
    read_report: ReadReport,
    reports_location: str,
    recent: RecentReports | None = None,
) -> tuple[str, RunReport | None]:
    """The run to describe and its report: `run_id`, or the latest run, from `latest.json`.

    Args:
        recent: the job's recent reports; given, a `run_id` with no report is refused, naming
            the latest runs (without it, the rejects table is asked about it anyway).

    Raises:
        RejectsError: `run_id` cannot name a partition or (with `recent`) has no report, or no
            run wrote a report yet.
    """
    if run_id:
        try:
            check_run_id(run_id)
        except ValueError as error:
            raise RejectsError(str(error)) from None
        report = read_report(run_id)
        if report is None and recent is not None:
            known = named_ids([r.run_id for r in recent()])
            raise RejectsError(
                f"no run {run_id} in {reports_location.rstrip('/')}/ (no run report of that id): "
                f"the latest runs are {known}; list them with `runs`"
            )
        return run_id, report
    report = read_report(LATEST)
    if report is None:
        raise RejectsError(
            f"no run report at {reports_location.rstrip('/')}/{LATEST}.json: run the job first, "
            "or name a run with --run-id"
        )
    return report.run_id, report


def gate_of(report: RunReport | None, default: float | None) -> float | None:
    """The reject ratio the run was judged by: its report's, else `default` (the job's)."""
    if report is not None and report.max_reject_ratio is not None:
        return report.max_reject_ratio
    return default


def summarize_rejects(
    table: TableSchema,
    run_id: str,
    report: RunReport | None,
    ask: Ask,
    *,
    dialect: str,
    gate: float | None,
    trace_rows: int = TRACE_ROWS,
    recent: RecentReports | None = None,
) -> RejectsSummary:
    """Ask the rejects table about one run: by reason, by month, the first rows to trace.

    The table is not asked when the run's report says the job registered no partition (the run
    rejected nothing, or its rows are in the quarantine only): the note says which.

    Args:
        table: the rejects table.
        run_id: the run.
        report: its report, when there is one (without it the table is asked anyway).
        ask: answers SQL through the backend's catalog.
        dialect: `spark` or `athena` (`etl.rejects.DIALECTS`).
        gate: the run's max reject ratio, when known.
        trace_rows: how many rows to trace.
        recent: the job's recent reports, newest first: a run that rejected nothing names the
            newest that did.
    """
    summary = RejectsSummary(run_id=run_id, table=table.qualified_name, report=report, gate=gate)
    if report is not None and not report.rejects_partition:
        summary.note = _unregistered_note(report, table)
        if not report.rows_rejected and recent is not None:
            summary.last_rejecting_run = next(
                (r.run_id for r in recent() if r.rejects_partition and r.run_id != report.run_id), None
            )
            summary.note += (
                f"; the last run that rejected rows is {summary.last_rejecting_run}"
                if summary.last_rejecting_run
                else "; no recent run rejected rows"
            )
        return summary
    summary.by_reason = _reasons(ask(rejects_by_reason_sql(table, run_id, dialect)))
    months = ask(rejects_by_month_sql(table, run_id))
    summary.by_month = [(_int(ano), _int(mes), int(count)) for ano, mes, count in months.rows]
    trace = ask(rejects_sample_sql(table, run_id, trace_rows))
    summary.trace = [dict(zip(trace.columns, row, strict=True)) for row in trace.rows]
    summary.queried = True
    if not summary.by_month:
        summary.note = (
            f"{table.qualified_name} holds no rows of run {run_id}: the run is unknown, or its partition "
            "was removed (quarantine retention, --keep-runs)"
        )
    return summary


def top_reasons(table: TableSchema, report: RunReport, ask: Ask, dialect: str) -> list[tuple[str, int]]:
    """Every reason the run's rejected rows fail, most frequent first; [] without asking when
    the job registered no partition for the run."""
    if not report.rejects_partition:
        return []
    return _reasons(ask(rejects_by_reason_sql(table, report.run_id, dialect)))


def describe_reasons(reasons: Sequence[tuple[str, int]], report: RunReport | None, limit: int = TOP_REASONS) -> str:
    """`idade is null 1,234; salario is negative 1,201; ... (+2 more)`, or why there are none."""
    if not reasons:
        if report is None or not report.rows_rejected:
            return "nothing rejected"
        rejected = plural(report.rows_rejected, "row")
        return f"{rejected} rejected, not in the rejects table (see {report.quarantine_location})"
    shown = "; ".join(f"{reason} {count:,}" for reason, count in reasons[:limit])
    more = len(reasons) - limit
    return shown + (f" (+{more} more)" if more > 0 else "")


def _unregistered_note(report: RunReport, table: TableSchema) -> str:
    if not report.rows_rejected:
        if report.partitions_processed == 0 and report.status == "succeeded":
            return f"run {report.run_id} rejected nothing: nothing changed in silver since the run before it"
        return f"run {report.run_id} rejected nothing"
    where = report.quarantine_location or "the quarantine location"
    return (
        f"run {report.run_id} rejected {plural(report.rows_rejected, 'row')} but registered no partition in "
        f"{table.qualified_name} (the job's log says why): read them in {where}"
    )


def _reasons(result: Rows) -> list[tuple[str, int]]:
    return [(str(reason), int(count)) for reason, count in result.rows]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
