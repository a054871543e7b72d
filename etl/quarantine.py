"""The quarantine at run time: a run's rejected rows written under `<quarantine>/run_id=<id>/`,
registered as the run's partition of the rejects table, and old runs removed.

The table's pure parts (partition specs, the retention rule, its SQL) are `etl.rejects`; this
module does the Spark and file work around them. The job calls it, and the local backend's
`--keep-runs` uses `quarantine_runs` and `drop_quarantine_runs`.
"""

from __future__ import annotations

import logging
from typing import Iterable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from etl.arguments import JobArguments
from etl.errors import LakeWriteError, describe_failure
from etl.rejects import (
    add_partition_sql,
    check_run_id,
    drop_partition_sql,
    expired_runs,
    newest_file_by_run,
    run_id_of_spec,
    run_partition_spec,
    schema_problems,
)
from etl.report import RunReport
from etl.schema import TableSchema
from etl.storage import LakeFiles, join

# The job's one logger: in the driver's log its lines read `etl.job: ...` whichever module writes them.
log = logging.getLogger("etl.job")

QUARANTINE_ROWS_PER_FILE = 1_000_000


def write_quarantine(
    spark: SparkSession,
    rejected: DataFrame,
    location: str,
    rows: int,
    cached: bool,
    args: JobArguments,
    report: RunReport,
) -> None:
    """Write the run's rejected rows, then register them as the run's rejects partition.

    Registered even when the run then fails the gate: those are the rows people ask about.

    Args:
        cached: `rejected` comes from the cached summary (lean quarantine), not a scan of silver.
    """
    _write_files(rejected, location, rows, cached)
    report.rejects_partition = _register_rejects(spark, args.rejects, report.run_id, location, rejected.schema)


def _write_files(rejected: DataFrame, location: str, rows: int, cached: bool) -> None:
    # About one file per QUARANTINE_ROWS_PER_FILE rows. From the cached summary, coalesce
    # merges its partitions without a shuffle; after a filtered scan of silver, coalesce would
    # narrow the scan itself to `files` tasks, so only the rejected rows are shuffled.
    files = max(1, -(-rows // QUARANTINE_ROWS_PER_FILE))
    spread = rejected.coalesce(files) if cached else rejected.repartition(files)
    spread.write.mode("errorifexists").parquet(location)


def _register_rejects(spark: SparkSession, table: TableSchema, run_id: str, location: str, schema: StructType) -> str:
    """Add the run's partition to the rejects table, as the job's catalog writes gold's.

    Returns:
        The partition registered (`run_id=<id>`), or "" when the table does not exist (a
        catalog that predates it), the run id cannot name a partition, or the files store a
        column with another type than the table declares (a silver table with non-standard
        types): then the rows are in the quarantine only, and the log says why.

    Raises:
        LakeWriteError: the catalog refused the partition.
    """
    if not spark.catalog.tableExists(table.qualified_name):
        log.info("%s does not exist: this run's rejected rows are in %s only", table.qualified_name, location)
        return ""
    try:
        check_run_id(run_id)
    except ValueError as error:
        log.warning("not registering this run in %s: %s", table.qualified_name, error)
        return ""
    problems = schema_problems({f.name: f.dataType.simpleString() for f in schema.fields}, table)
    if problems:
        log.warning(
            "not registering %s in %s, which could not read it: %s", location, table.qualified_name, "; ".join(problems)
        )
        return ""
    try:
        spark.sql(add_partition_sql(table, run_id, location))
    except Exception as error:
        raise LakeWriteError(
            f"the rejected rows are in {location}, but registering them in {table.qualified_name} failed: "
            f"{describe_failure(error)}; the run's state is not saved, so the next run recomputes these partitions"
        ) from error
    return run_partition_spec(run_id)


def quarantine_runs(
    spark: SparkSession, table: TableSchema, quarantine_location: str
) -> tuple[dict[str, int], list[str]]:
    """The runs under the quarantine location and the runs the rejects table lists.

    Returns:
        ({run id: its newest file's modification time in ms}, [registered run ids]); the
        second is empty when the table does not exist.
    """
    registered: list[str] = []
    if spark.catalog.tableExists(table.qualified_name):
        registered = [run_id_of_spec(row[0]) for row in spark.sql(f"SHOW PARTITIONS {table.qualified_name}").collect()]
    files = LakeFiles(spark).list_all_files(quarantine_location)
    return newest_file_by_run((e.path, e.modified_ms) for e in files), registered


def drop_quarantine_runs(
    spark: SparkSession, table: TableSchema, quarantine_location: str, run_ids: Iterable[str], registered: Iterable[str]
) -> list[str]:
    """Remove runs from the rejects table and the lake: each run's partition first (when
    registered), then its folder, so the catalog never lists a run whose files are gone.

    Returns:
        The run ids removed (a folder name that cannot be a run id is left, with a warning).
    """
    files = LakeFiles(spark)
    listed = set(registered)
    removed = []
    for run_id in run_ids:
        try:
            spec = run_partition_spec(run_id)
        except ValueError as error:  # a folder the job never wrote
            log.warning("not removing %s: %s", run_id, error)
            continue
        if run_id in listed:
            spark.sql(drop_partition_sql(table, run_id))
        files.delete(join(quarantine_location, spec))
        removed.append(run_id)
    return removed


def expire_quarantine(spark: SparkSession, args: JobArguments, report: RunReport, now_ms: int) -> list[str]:
    """Drop the rejects-table partitions of runs past the quarantine retention, then their files.

    Runs are dated by their files' modification times, the clock S3's lifecycle rule counts
    from (`etl.rejects.expired_runs`); the run under way is kept.

    Returns:
        The run ids expired (also counted in `report.quarantine_runs_expired`).
    """
    newest, registered = quarantine_runs(spark, args.rejects, args.quarantine_location)
    expired = expired_runs(newest, registered, now_ms, args.quarantine_retention_days, keep=[report.run_id])
    done = drop_quarantine_runs(spark, args.rejects, args.quarantine_location, expired, registered)
    report.quarantine_runs_expired = len(done)
    if done:
        log.info("quarantine retention: expired %d runs older than the retention", len(done))
    return done
