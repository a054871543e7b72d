"""Questions to a lake a local run left: `query --lake` and `rejects --lake` (through its
catalog: Spark on its Hive metastore, under the lake's lock), and `runs --lake` (from the run
reports alone: no Spark, no lock, so it answers while a run goes on).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from automation.local.backend import spark_query
from automation.local.lock import LakeLock
from automation.local.session import SetupError, SparkInterrupt, local_uri, start_spark
from automation.pipeline import QueryResult
from automation.rejects import LATEST, RejectsSummary, find_run, gate_of, summarize_rejects
from automation.runs import DEFAULT_RUNS, RunRow, iso_utc, local_run_started, newest_first, row_from_report
from etl.arguments import DEFAULT_MAX_REJECT_RATIO, LakeLayout
from etl.errors import PipelineError
from etl.report import RunReport
from etl.schema import REJECTS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# How many recent reports `rejects --lake` reads to name runs (an unknown id, the last run
# that rejected rows).
RECENT_REPORTS = 50


class LakeInterrupted(PipelineError):
    """Ctrl-C while a lake's catalog was asked: nothing in the lake was changed."""

    exit_code = 130  # the CLI's code for Ctrl-C (automation.cli.console.EXIT_INTERRUPTED)


def check_lake(lake: Path) -> None:
    """Fail unless `lake` holds a local catalog (a Hive metastore a local run created)."""
    if not (lake / "metastore_db").is_dir():
        raise SetupError(f"{lake} holds no local catalog: run `python -m automation local --lake {lake}` first")


@contextmanager
def open_lake(lake: Path, workers: int = 2, interrupt: SparkInterrupt | None = None) -> Iterator[SparkSession]:
    """A Spark session on the catalog of a lake a local run left (its Hive metastore), under
    the lake's lock; stopped (and the lock given back) at the end. Ctrl-C during it ends in
    `LakeInterrupted`.

    Raises:
        SetupError: the folder holds no local catalog (no run yet), or Java is missing.
        LakeBusy: another process is using the lake.
        LakeInterrupted: Ctrl-C (with `interrupt`).
    """
    check_lake(lake)
    interrupted = LakeInterrupted("interrupted while asking the lake's catalog; the lake is unchanged")
    with LakeLock(lake):
        spark = start_spark(lake, workers, app_name="silver-to-gold-query")
        try:
            if interrupt is not None:
                interrupt.attach(spark)
                if interrupt.requested:  # Ctrl-C while Spark started: ask nothing
                    raise interrupted
            yield spark
        except Exception:
            if interrupt is not None and interrupt.requested:
                raise interrupted from None
            raise
        finally:
            if interrupt is not None:
                interrupt.detach()
            spark.stop()
        if interrupt is not None and interrupt.requested:
            raise interrupted


def query_lake(lake: Path, sql: str, workers: int = 2, interrupt: SparkInterrupt | None = None) -> QueryResult:
    """`query --lake`: any SQL through a local lake's catalog (the AWS `query` verb's twin)."""
    with open_lake(lake, workers, interrupt) as spark:
        return spark_query(spark, sql)


def reports_folder(lake: Path) -> Path:
    """Where a local run writes its reports (`<run id>.json` and `latest.json`)."""
    return Path(LakeLayout(local_uri(lake)).reports.removeprefix("file://"))


def read_local_report(lake: Path, name: str) -> RunReport | None:
    """The run report `<name>.json` (`latest` or a run id) a local run wrote, or None."""
    path = reports_folder(lake) / f"{name}.json"
    return RunReport.from_json(path.read_text()) if path.is_file() else None


def lake_reports(lake: Path, limit: int = RECENT_REPORTS) -> list[tuple[RunReport, str]]:
    """The reports of the lake's runs with when each started, newest first (at most `limit`).

    A run's start is read from its id (a local run id holds it), else its report's time less
    the run's duration; an unreadable report is left out (the job writes each whole, but a
    hand-edited one must not stop the listing).
    """
    found: list[tuple[RunReport, str, float]] = []
    folder = reports_folder(lake)
    for path in folder.glob("*.json") if folder.is_dir() else ():
        if path.stem == LATEST:
            continue
        try:
            report = RunReport.from_json(path.read_text())
        except (ValueError, TypeError, OSError):
            continue
        started = local_run_started(report.run_id) or iso_utc(path.stat().st_mtime - report.seconds.get("total", 0.0))
        found.append((report, started, path.stat().st_mtime))
    found.sort(key=lambda item: (item[1], item[2]), reverse=True)  # same second: the later report first
    return [(report, started) for report, started, _ in found[:limit]]


def lake_runs(lake: Path, limit: int = DEFAULT_RUNS) -> list[RunRow]:
    """`runs --lake`: the lake's recent runs, newest first, from their reports.

    Raises:
        SetupError: the folder is not a lake a local run left.
    """
    if not lake.is_dir():
        raise SetupError(f"{lake} is not a lake: run `python -m automation local --lake {lake}` first")
    return newest_first([row_from_report(report, started) for report, started in lake_reports(lake, limit)])


def lake_rejects(
    lake: Path, run_id: str | None = None, workers: int = 2, interrupt: SparkInterrupt | None = None
) -> RejectsSummary:
    """`rejects --lake`: what a local run (default: the latest) rejected, from the lake's rejects table."""
    check_lake(lake)
    reports = LakeLayout(local_uri(lake)).reports

    def recent() -> list[RunReport]:
        return [report for report, _ in lake_reports(lake)]

    run_id, report = find_run(run_id, lambda name: read_local_report(lake, name), reports, recent)
    gate = gate_of(report, DEFAULT_MAX_REJECT_RATIO)
    if report is not None and not report.rejects_partition:  # nothing to ask the table: no Spark
        return summarize_rejects(REJECTS, run_id, report, _never_asked, dialect="spark", gate=gate, recent=recent)
    with open_lake(lake, workers, interrupt) as spark:
        return summarize_rejects(
            REJECTS,
            run_id,
            report,
            lambda sql: spark_query(spark, sql),
            dialect="spark",
            gate=gate,
            recent=recent,
        )


def _never_asked(sql: str) -> QueryResult:
    raise AssertionError(f"the rejects table is not asked about a run that registered no partition: {sql}")
