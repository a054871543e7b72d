"""Entrypoint of the silver -> gold job: the script Glue runs (also `python -m etl.job`).

Reads the source table through Spark's catalog (the Glue Data Catalog on AWS with
--enable-glue-datacatalog, a Hive metastore locally), checks the schema contract, plans
which partitions to recompute, aggregates the valid rows, quarantines the rest and writes
the existing gold table with INSERT OVERWRITE and dynamic partitions: only the recomputed
(ano, mes) partitions are replaced, at commit. It never creates or drops tables and never
deletes anything before the write commits.

Rejected rows go to the quarantine (`<quarantine>/run_id=<id>/`), registered as the run's
partition of the rejects table when that table exists (`etl.quarantine`); with a quarantine
retention set, runs past it lose their partition and their files. On AWS (`--stack`), every
run, successful or failed, ends with one JSON line of its figures on stdout, which the stack's
metric filters turn into CloudWatch metrics (`etl.metrics`).

This module is the run's order of steps; reading silver is `etl.silver`, writing gold
`etl.gold`. Imports pyspark and the standard library only.
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from time import perf_counter
from typing import Callable, Sequence

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from etl.arguments import JobArguments, job_help, job_usage, parse_job_arguments
from etl.errors import (
    EmptySilverError,
    JobArgumentError,
    LakeWriteError,
    PipelineError,
    RejectRatioExceeded,
    describe_failure,
)
from etl.gold import catalog_partitions, drop_partitions, insert_overwrite, table_location
from etl.incremental import STATE_FILE, PartitionKey, State, partition_spec, plan_run
from etl.metrics import run_metrics_line
from etl.quality import check_contract
from etl.quarantine import expire_quarantine, write_quarantine
from etl.report import RunReport
from etl.silver import partition_filter, silver_partitions, unreadable_silver, with_origin
from etl.storage import LakeFiles, join
from etl.transform import (
    gold_rows,
    partitions_to_rescan,
    quarantined_rows,
    rejected_rows,
    summarize,
    summarize_with_rejects,
    summary_counts,
)
from etl.tuning import JOB_SPARK_SETTINGS

log = logging.getLogger("etl.job")

_WRITE_LABELS = {"quarantine": "the quarantine", "write_gold": "gold"}


def configure_session(spark: SparkSession) -> None:
    """Apply the job's runtime Spark settings to a session."""
    for key, value in JOB_SPARK_SETTINGS.items():
        spark.conf.set(key, value)


def run_job(spark: SparkSession, args: JobArguments, report: RunReport) -> RunReport:
    """Run the job on an existing session, filling in `report`.

    Raises:
        SchemaContractError: the source lacks a required column or has an unreadable type.
        EmptySilverError: the source has no data; gold is left as it was.
        RejectRatioExceeded: too many rows failed the rules; gold is left as it was.
    """
    started = perf_counter()
    files = LakeFiles(spark)
    configure_session(spark)

    spark.catalog.refreshTable(args.source)  # a long-lived session may have cached its files
    source = spark.table(args.source)
    check_contract(source.schema, args.source)
    with_origin(source, args.source)  # fails now, before anything is read, if positions are unknowable
    gold_location = table_location(spark, args.target)
    report.gold_location = gold_location

    silver, silver_files = silver_partitions(source, files)
    if not silver:
        raise EmptySilverError(f"{args.source} has no data files: nothing was written and gold is unchanged")
    gold_before = catalog_partitions(spark, args.target)
    state_uri = join(args.state_location, STATE_FILE)
    previous_text = files.read_text(state_uri) if args.mode == "incremental" else None
    previous = State.from_json(previous_text) if previous_text else None
    plan = plan_run(args.mode, silver, gold_before, previous, args.source, args.target)
    report.seconds["plan"] = perf_counter() - started
    report.plan = plan.reason
    report.partitions_processed = len(plan.recompute)
    log.info(
        "plan: %s; recompute %d, drop %d, unchanged %d",
        plan.reason,
        len(plan.recompute),
        len(plan.drop),
        len(plan.unchanged),
    )

    written: dict[PartitionKey, int] = {}
    if plan.recompute:
        rows = source if not plan.unchanged else source.where(partition_filter(plan.recompute))
        paths = [path for key in plan.recompute for path in silver_files[key]]
        written = _recompute(
            spark,
            rows,
            args,
            report,
            whole_table=not plan.unchanged,
            partitions=plan.recompute,
            read_failed=lambda error: unreadable_silver(args.source, files, paths, error),
        )

    # Gold partitions with no silver left, and recomputed partitions with no valid row.
    gold_set = set(gold_before)
    emptied = [k for k in plan.recompute if k not in written and k in gold_set]
    to_drop = sorted(set(plan.drop) | set(emptied), key=partition_spec)
    drop_partitions(spark, files, args.target, gold_location, to_drop)
    report.partitions_dropped = len(to_drop)

    report.files_written = sum(len(files.list_data_files(join(gold_location, partition_spec(key)))) for key in written)
    kept_gold = previous.with_gold & set(plan.unchanged) if previous else frozenset()
    state = State(
        source=args.source,
        target=args.target,
        fingerprints={p.key: p.fingerprint for p in silver},
        with_gold=frozenset(kept_gold | set(written)),
    )
    if not plan.is_noop or previous_text != state.to_json():
        files.write_text(state_uri, state.to_json())
    report.seconds["job"] = perf_counter() - started
    return report


def _recompute(
    spark: SparkSession,
    rows: DataFrame,
    args: JobArguments,
    report: RunReport,
    whole_table: bool,
    partitions: Sequence[PartitionKey],
    read_failed: Callable[[Exception], PipelineError],
) -> dict[PartitionKey, int]:
    """Aggregate, quarantine and write; returns gold rows written per partition.

    Silver is first read by the action that fills the cached summary: a failure there is a
    read failure (`read_failed` names it) and nothing has been written yet.
    """
    # Partitioned for the gold write (one Spark partition holds each gold partition's rows).
    # Lean quarantine: one scan gives gold's sums and every rejected row. Whole rows: the
    # aggregate counts rejects per partition and a second scan of those partitions finds them.
    one_pass = args.quarantine_columns == "lean"
    n = spark.sparkContext.defaultParallelism
    if one_pass:
        summary = summarize_with_rejects(with_origin(rows, args.source), partitions=n)
    else:
        summary = summarize(rows, partitions=n)
    summary = summary.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        phase = perf_counter()
        try:
            counts = summary_counts(summary)
        except Exception as error:
            raise read_failed(error) from error
        report.seconds["read_and_aggregate"] = perf_counter() - phase
        report.rows_read, report.rows_rejected = counts.rows_read, counts.rows_rejected
        if counts.rows_read == 0 and whole_table:
            raise EmptySilverError(f"{args.source} has no rows: nothing was written and gold is unchanged")
        writes: dict[str, Callable[[], None]] = {}
        if counts.rows_rejected:
            quarantine = join(args.quarantine_location, f"run_id={report.run_id}") + "/"
            report.quarantine_location = quarantine
            if one_pass:
                rejected = rejected_rows(summary)
            else:
                # The second scan reads only the silver partitions where pass 1 found rejects.
                rescan = partitions_to_rescan(counts, partitions)
                scanned = rows if rescan is None else rows.where(partition_filter(rescan))
                rejected = quarantined_rows(with_origin(scanned, args.source), args.quarantine_columns)
            writes["quarantine"] = lambda: write_quarantine(
                spark, rejected, quarantine, counts.rows_rejected, one_pass, args, report
            )
        if report.reject_ratio > args.max_reject_ratio:
            _run_writes(writes, report)
            raise RejectRatioExceeded(
                f"{counts.rows_rejected} of {counts.rows_read} rows ({report.reject_ratio:.2%}) failed the "
                f"quality rules, above max_reject_ratio {args.max_reject_ratio:.2%}: gold is "
                f"unchanged; rejected rows are in {report.quarantine_location}"
            )
        per_partition = counts.gold_rows_by_partition
        if per_partition:
            writes["write_gold"] = lambda: insert_overwrite(spark, gold_rows(summary), args.target)
        _run_writes(writes, report)
        report.rows_written = counts.gold_rows
        report.partitions_written = len(per_partition)
        return per_partition
    finally:
        summary.unpersist()


def _run_writes(writes: dict[str, Callable[[], None]], report: RunReport) -> None:
    """Run the quarantine and gold writes at once.

    Gold comes from the small cached summary and is mostly fixed latency (planning, commit,
    catalog calls); the quarantine is a filtered scan of silver. Side by side, the gold
    write hides in the scan's time. Waits for every write, then raises the first failure.
    A failed write fails the run before its state is saved, so the next run recomputes
    those partitions; silver is never modified either way.
    """
    phase = perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, len(writes)), thread_name_prefix="write") as pool:
        futures = {name: pool.submit(_timed, write) for name, write in writes.items()}
    failed: dict[str, BaseException] = {}
    for name, future in futures.items():
        error = future.exception()
        if error is None:
            report.seconds[name] = future.result()
        else:
            failed[name] = error
    if failed:
        name, error = next(iter(failed.items()))
        if isinstance(error, PipelineError):
            raise error
        written = [_WRITE_LABELS[n] for n in futures if n not in failed]
        raise LakeWriteError(
            f"writing {_WRITE_LABELS[name]} failed: {describe_failure(error)}; "
            + (f"{' and '.join(written)} written; " if written else "")
            + "the run's state is not saved, so the next run recomputes these partitions"
        ) from error
    report.seconds["writes"] = perf_counter() - phase


def _timed(action: Callable[[], None]) -> float:
    started = perf_counter()
    action()
    return perf_counter() - started


def _new_run_id() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"local-{stamp}-{uuid.uuid4().hex[:6]}"


def main(argv: Sequence[str] | None = None, spark: SparkSession | None = None) -> RunReport:
    """Parse arguments, run the job, publish the report; raise on failure.

    Args:
        argv: the command line (defaults to sys.argv[1:]); Glue's extras are ignored.
        spark: an existing session (the local runner's); Glue's is created here.
    """
    started = perf_counter()
    args = parse_job_arguments(sys.argv[1:] if argv is None else argv)
    if spark is None:
        spark = SparkSession.builder.appName(args.job_name).enableHiveSupport().getOrCreate()
    report = RunReport(
        run_id=args.job_run_id or _new_run_id(),
        mode=args.mode,
        report_location=args.report_location,
        max_reject_ratio=args.max_reject_ratio,
    )
    try:
        run_job(spark, args, report)
        report.status = "succeeded"
    except Exception as error:
        report.status = "failed"
        report.error = describe_failure(error)
        raise
    finally:
        if args.quarantine_retention_days:
            try:
                expire_quarantine(spark, args, report, int(time.time() * 1000))
            except Exception as error:  # never hides the run's own outcome; S3's lifecycle rule still expires the files
                log.warning("could not expire old quarantine runs: %s", describe_failure(error))
        report.seconds["total"] = perf_counter() - started
        _publish(spark, report, args)
    return report


def _publish(spark: SparkSession, report: RunReport, args: JobArguments) -> None:
    if args.stack:
        # On Glue 5.0 stdout is the job's output log group, where the stack's metric filters
        # read this line (etl.metrics); one print, so one log event.
        print(run_metrics_line(report, args.stack, args.job_name), flush=True)
    text = report.to_json()
    log.info("run report: %s", text)
    if not args.report_location:
        return
    try:
        files = LakeFiles(spark)
        files.write_text(join(args.report_location, f"{report.run_id}.json"), text)
        files.write_text(join(args.report_location, "latest.json"), text)
    except Exception as error:  # the report must never hide the run's own outcome
        log.warning("could not write the run report: %s", describe_failure(error))


def command_line(argv: Sequence[str] | None = None) -> int:
    """`python -m etl.job ARGS`: --help prints the arguments (exit 0); a missing or bad argument
    prints the usage and one line (exit 2) before Spark starts; a failed run raises, so Glue
    marks it FAILED with the traceback in the driver's log."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if "-h" in argv or "--help" in argv:
        print(job_help(), end="")
        return 0
    try:
        parse_job_arguments(argv)
    except JobArgumentError as error:
        print(f"{job_usage()}\nerror: {error} (see python -m etl.job --help)", file=sys.stderr)
        return 2
    main(argv)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(command_line())
