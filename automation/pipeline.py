"""The pipeline's steps, written once for every backend.

start -> provision catalog -> load silver -> run job -> register partitions -> verify -> rejects.
A backend (local Spark, or AWS) supplies what differs: how to start, where the catalog
and files are, how a query is answered. The checks of the verify step (partitions in the
catalog, one Parquet file in every ano=/mes= folder, the preview query) live here, so
both backends are judged by the same rules. The last step asks the rejects table why the
run's rejected rows were rejected (`automation.rejects`), for the summary's top reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, Callable, Protocol, Sequence

from automation.rejects import describe_reasons, top_reasons
from automation.wording import plural
from etl.errors import PipelineError
from etl.report import RunReport
from etl.schema import GOLD, TableSchema, preview_sql

# A progress line: what a long operation is doing now ("started job run jr_1"). Operations
# take one and default to `silent`; the CLI hands in one that prints.
Notify = Callable[[str], None]


def silent(_: str) -> None:
    """A Notify that says nothing."""


class VerificationError(PipelineError):
    """The job said it succeeded but the gold layer does not look right."""


class StepInterrupted(PipelineError):
    """Ctrl-C during a step: the pipeline stopped there; the line says what it left behind."""

    exit_code = 130  # the CLI's code for Ctrl-C (automation.cli.console.EXIT_INTERRUPTED)


def never() -> bool:
    """An `interrupted` that never says yes (the default: Ctrl-C raises KeyboardInterrupt)."""
    return False


@dataclass(frozen=True)
class QueryResult:
    """A small query result: column names and rows of plain values."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class Backend(Protocol):
    """What an environment must provide for the pipeline's steps."""

    name: str
    # The SQL dialect the rejects table's questions are asked in (`etl.rejects.DIALECTS`).
    sql_dialect: str

    @property
    def rejects_table(self) -> TableSchema:
        """The table the job registers each run's rejected rows in."""

    def start(self) -> str:
        """Get ready (start Spark, or check the deployed stack); return a detail line."""

    def provision_catalog(self) -> str:
        """Make sure the databases and tables exist; return a detail line."""

    def load_silver(self) -> str:
        """Make the silver table's data available and registered; return a detail line."""

    def run_job(self) -> RunReport:
        """Run the job with the argument set from `etl.arguments.build_job_arguments`."""

    def register_partitions(self) -> list[str]:
        """Make gold's partitions visible in the catalog; return them as ano=/mes= specs."""

    def gold_files(self) -> dict[str, list[str]]:
        """Data files under the gold location, by ano=/mes= folder."""

    def query(self, sql: str) -> QueryResult:
        """Answer a SQL query through the catalog (Athena on AWS, Spark SQL locally)."""

    def stop(self) -> None:
        """Release what `start` acquired."""


@dataclass
class PipelineResult:
    """Everything a run produced: the job's report, the verification and step times."""

    backend: str
    report: RunReport | None = None
    partitions: list[str] = field(default_factory=list)
    files_per_partition: dict[str, int] = field(default_factory=dict)
    preview: QueryResult | None = None
    preview_sql: str = ""
    steps: dict[str, float] = field(default_factory=dict)
    # Why the run's rejected rows were rejected: (reason, rows), most frequent first.
    reject_reasons: list[tuple[str, int]] = field(default_factory=list)
    # What the run cost and where to look, when the backend knows (AWS): filled by the caller.
    cost: dict[str, Any] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        document = self.report.to_dict() if self.report else {}
        document.update(
            backend=self.backend,
            gold_partitions=self.partitions,
            files_per_partition=self.files_per_partition,
            preview_sql=self.preview_sql,
            preview=self.preview.as_dicts() if self.preview else [],
            steps={name: round(seconds, 3) for name, seconds in self.steps.items()},
            rejects_by_reason=[{"reason": reason, "rejected_rows": rows} for reason, rows in self.reject_reasons],
        )
        if self.cost:
            document["cost"] = self.cost
        if self.links:
            document["links"] = self.links
        return document


class Progress(Protocol):
    """How steps are shown: a context per step, then its outcome."""

    def step(self, title: str) -> Any: ...

    def done(self, title: str, detail: str, seconds: float) -> None: ...


def check_gold_layout(partitions: Sequence[str], files: dict[str, list[str]]) -> dict[str, int]:
    """The tutorial's step 6 checks: catalog partitions match folders, one file each.

    Raises:
        VerificationError: naming the partitions that break a rule.
    """
    counts = {spec: len(names) for spec, names in files.items()}
    problems = []
    missing = sorted(set(partitions) - set(counts))
    unregistered = sorted(set(counts) - set(partitions))
    not_one = sorted(spec for spec, n in counts.items() if n != 1)
    if missing:
        problems.append(f"catalog partitions with no files: {', '.join(missing[:5])}")
    if unregistered:
        problems.append(f"folders not in the catalog: {', '.join(unregistered[:5])}")
    if not_one:
        problems.append(
            "folders without exactly one Parquet file: " + ", ".join(f"{spec} ({counts[spec]})" for spec in not_one[:5])
        )
    if problems:
        raise VerificationError("gold verification failed: " + "; ".join(problems))
    return counts


def check_preview(preview: QueryResult, sql: str, partitions: Sequence[str]) -> QueryResult:
    """The preview must show rows when gold has partitions (a gold partition is written only
    with rows): an empty answer means the query engine does not see what the job wrote.

    Raises:
        VerificationError: naming the query and the partitions it did not see.
    """
    if partitions and not preview.rows:
        raise VerificationError(
            f"gold verification failed: the preview query returned no rows, though the catalog has "
            f"{len(partitions)} gold partitions with one Parquet file each ({sql})"
        )
    return preview


def run_pipeline(backend: Backend, progress: Progress, interrupted: Callable[[], bool] = never) -> PipelineResult:
    """Run every step on `backend`, timing each; stops the backend in all cases.

    Args:
        interrupted: whether Ctrl-C was pressed (a backend that takes note of Ctrl-C instead of
            raising, as the local one does so as not to break a call into Spark). A step that
            ends, or fails, once it says yes, and a KeyboardInterrupt in any step, stop the
            pipeline with `StepInterrupted`: `interrupted during <step>`, then what the backend
            says it left (`interrupt_note()`, when it has one).
    """
    result = PipelineResult(backend=backend.name, preview_sql=preview_sql(GOLD))

    def stopped(title: str) -> StepInterrupted:
        note = getattr(backend, "interrupt_note", None)
        return StepInterrupted(f"interrupted during {title}" + (f"; {note()}" if note else ""))

    def timed(title: str, action: Callable[[], Any], describe: Callable[[Any], str]) -> Any:
        started = perf_counter()
        try:
            with progress.step(title):
                value = action()
        except KeyboardInterrupt:
            raise stopped(title) from None
        except Exception:
            if interrupted():  # the step failed because Ctrl-C stopped its work
                raise stopped(title) from None
            raise
        if interrupted():
            raise stopped(title)
        seconds = perf_counter() - started
        result.steps[title] = seconds
        progress.done(title, describe(value), seconds)
        return value

    try:
        timed("start", backend.start, str)
        timed("provision catalog", backend.provision_catalog, str)
        timed("load silver", backend.load_silver, str)
        result.report = timed("run job", backend.run_job, _describe_report)
        result.partitions = timed(
            "register partitions",
            backend.register_partitions,
            lambda p: f"{plural(len(p), 'gold partition')} in the catalog",
        )

        def verify() -> QueryResult:
            result.files_per_partition = check_gold_layout(result.partitions, backend.gold_files())
            # A deployed stack names its own preview query (its gold database is configurable).
            result.preview_sql = getattr(backend, "preview_sql", None) or result.preview_sql
            return check_preview(backend.query(result.preview_sql), result.preview_sql, result.partitions)

        result.preview = timed(
            "verify",
            verify,
            lambda q: (
                f"one Parquet file in each of {plural(len(result.files_per_partition), 'folder')}; "
                f"preview returned {plural(len(q.rows), 'row')}"
            ),
        )
        report = result.report
        result.reject_reasons = timed(
            "rejects",
            lambda: top_reasons(backend.rejects_table, report, backend.query, backend.sql_dialect),
            lambda reasons: describe_reasons(reasons, report),
        )
    finally:
        backend.stop()
    return result


def _describe_report(report: RunReport) -> str:
    if report.partitions_processed == 0 and report.partitions_dropped == 0:
        plan = f" ({report.plan})" if report.plan and report.plan != report.mode else ""
        detail = f"nothing changed in silver: gold left as it was{plan}"
    else:
        detail = (
            f"{plural(report.rows_read, 'row')} read, {report.rows_rejected:,} quarantined, "
            f"{plural(report.partitions_written, 'partition')} written, {report.partitions_dropped:,} dropped"
        )
    if report.quarantine_runs_expired:
        detail += f"; {plural(report.quarantine_runs_expired, 'old quarantine run')} removed"
    return detail
