"""The embedded local backend: Spark in local mode, a Hive metastore and a directory lake.

Everything lives inside the lake directory (default `.lake/`): the Derby metastore, the
warehouse, Spark's scratch space, silver, gold, quarantine, state and reports. Nothing is
written to the working directory. Needs Java 17 and no AWS account. Before Spark starts, a
run takes the lake's lock (`automation.local.lock`: one process per lake) and judges
`--silver-path` by its Parquet footers. Also the sample maker the AWS `load-silver` is handed
(`generate_sample`).
"""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from automation.lake import SAMPLE_MARKER, SilverFile, local_files_by_partition, read_silver, silver_files, sorted_specs
from automation.local.lock import LakeLock
from automation.local.session import SetupError, SparkInterrupt, local_uri, spark_log, start_spark
from automation.pipeline import Notify, QueryResult, silent
from automation.wording import plural
from etl.arguments import DEFAULT_MAX_REJECT_RATIO, DEFAULT_MODE, LakeLayout, build_job_arguments, to_argv
from etl.errors import PipelineError
from etl.incremental import partition_key_of_folder
from etl.rejects import runs_beyond_last
from etl.report import RunReport
from etl.sample import SampleSpec, write_sample
from etl.schema import DEFAULT_QUARANTINE_COLUMNS, GOLD, REJECTS, SILVER, create_table_sql

if TYPE_CHECKING:  # imported when a session starts: `--help` and the AWS verbs need no Spark
    from pyspark.sql import SparkSession

# `--keep-runs`: the quarantine runs (files and rejects partitions) a local lake keeps; 0 keeps all.
DEFAULT_KEEP_RUNS = 10


class LocalQueryError(PipelineError):
    """The local catalog refused a query (a table that is not there, bad SQL)."""


@dataclass(frozen=True)
class LocalOptions:
    """What `python -m automation local` was asked to do."""

    lake: Path = Path(".lake")
    rows: int = SampleSpec.rows
    months: int = SampleSpec.months
    invalid_fraction: float = SampleSpec.invalid_fraction
    seed: int = SampleSpec.seed
    silver_path: Path | None = None
    mode: str = DEFAULT_MODE
    max_reject_ratio: float = DEFAULT_MAX_REJECT_RATIO
    quarantine_columns: str = DEFAULT_QUARANTINE_COLUMNS
    workers: int = 2
    keep_runs: int = DEFAULT_KEEP_RUNS


def create_database_sql(database: str, location: str) -> str:
    return f"CREATE DATABASE IF NOT EXISTS {database} LOCATION '{location}'"


def gold_listing(folder: Path) -> frozenset[tuple[str, int, int]]:
    """Every file under gold's location with its size and modification time: equal listings
    taken before and after a run mean the run left gold as it was."""
    if not folder.is_dir():
        return frozenset()
    return frozenset(
        (str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file() and (stat := path.stat())
    )


class LocalBackend:
    """The pipeline's steps on this machine: local Spark, Hive metastore, directory lake."""

    name = "local"
    rejects_table = REJECTS
    sql_dialect = "spark"

    def __init__(self, options: LocalOptions, interrupt: SparkInterrupt | None = None):
        """
        Args:
            options: what the run was asked to do.
            interrupt: Ctrl-C's handler the command installed; its session's jobs are
                cancelled on Ctrl-C (`automation.local.session.SparkInterrupt`).
        """
        self.options = options
        self.lake = options.lake.resolve()
        self.layout = LakeLayout(local_uri(self.lake))
        self.spark: SparkSession | None = None
        self.interrupt = interrupt
        self.lock = LakeLock(self.lake)
        self._gold_before: frozenset[tuple[str, int, int]] | None = None

    @property
    def session(self) -> SparkSession:
        """The Spark session `start` started."""
        if self.spark is None:
            raise SetupError("the local backend's Spark session is not started: call start() first")
        return self.spark

    # -- steps ---------------------------------------------------------------------
    def start(self) -> str:
        if self.options.silver_path is not None:
            read_silver(self.options.silver_path)  # a bad path or schema fails before Spark starts
        self.lock.acquire()  # another process on this lake is named before Spark starts
        self._gold_before = gold_listing(self.lake / "gold" / GOLD.table)
        self.spark = start_spark(self.lake, self.options.workers)
        if self.interrupt is not None:
            self.interrupt.attach(self.spark)
        return f"Spark {self.spark.version}, local[{self.options.workers}], lake {self.lake}"

    def interrupt_note(self) -> str:
        """What an interrupted run did to gold, for its one line: compared with gold's files
        when the run started."""
        if self._gold_before is None or gold_listing(self.lake / "gold" / GOLD.table) == self._gold_before:
            return "gold is unchanged"
        return (
            "gold has the whole partitions the job committed before the interrupt; "
            "the next run recomputes what this one did not finish"
        )

    @contextmanager
    def _naming_spark_log(self) -> Iterator[None]:
        """A refused step's one line also names the file with Spark's own log lines."""
        try:
            yield
        except PipelineError as error:
            error.args = (f"{error} (Spark's log: {spark_log(self.lake)})", *error.args[1:])
            raise

    def provision_catalog(self) -> str:
        for database in (SILVER.database, GOLD.database):
            location = local_uri(self.lake / "warehouse" / f"{database}.db")
            self.session.sql(create_database_sql(database, location))
        self.session.sql(create_table_sql(GOLD, self.layout.gold))
        # The job registers each run's rejected rows here, as the stack's table gets them on AWS.
        self.session.sql(create_table_sql(REJECTS, self.layout.quarantine))
        return f"databases {SILVER.database}, {GOLD.database}; tables {GOLD.qualified_name}, {REJECTS.qualified_name}"

    def load_silver(self) -> str:
        if self.options.silver_path is not None:
            location = local_uri(self.options.silver_path)
            detail = f"registered {self.options.silver_path}"
        else:
            location = self.layout.silver
            detail = self._ensure_sample(Path(self.lake, "silver", SILVER.table))
        with self._naming_spark_log():
            partitions = self.register_silver(location)
        return f"{detail}; {plural(partitions, 'partition')} in {SILVER.qualified_name}"

    def run_job(self) -> RunReport:
        from etl import job

        arguments = build_job_arguments(
            self.layout,
            mode=self.options.mode,
            max_reject_ratio=self.options.max_reject_ratio,
            quarantine_columns=self.options.quarantine_columns,
        )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        run_id = f"local-{stamp}-{uuid.uuid4().hex[:6]}"
        argv = to_argv(arguments) + ["--JOB_NAME", "job-transform-silver-to-gold", "--JOB_RUN_ID", run_id]
        with self._naming_spark_log():
            report = job.main(argv, spark=self.session)
            if self.options.keep_runs:
                report.quarantine_runs_expired += len(self.keep_last_runs(self.options.keep_runs))
        return report

    def keep_last_runs(self, keep: int) -> list[str]:
        """Remove every quarantine run but the `keep` newest: each one's rejects partition, then
        its files (`etl.quarantine.drop_quarantine_runs`), so the table never lists a run whose files
        are gone. Returns the run ids removed, oldest first."""
        from etl import quarantine as runs

        quarantine = self.layout.quarantine
        newest, registered = runs.quarantine_runs(self.session, REJECTS, quarantine)
        return runs.drop_quarantine_runs(self.session, REJECTS, quarantine, runs_beyond_last(newest, keep), registered)

    def register_partitions(self) -> list[str]:
        # The job registered its partitions through the catalog as it wrote them.
        rows = self.session.sql(f"SHOW PARTITIONS {GOLD.qualified_name}").collect()
        return sorted_specs(partition_key_of_folder(row[0]) for row in rows)

    def gold_files(self) -> dict[str, list[str]]:
        return local_files_by_partition(Path(self.lake, "gold", GOLD.table))

    def query(self, sql: str) -> QueryResult:
        return spark_query(self.session, sql)

    def stop(self) -> None:
        if self.interrupt is not None:
            self.interrupt.detach()
        if self.spark is not None:
            self.spark.stop()
            self.spark = None
        self.lock.release()

    # -- helpers -------------------------------------------------------------------
    def _ensure_sample(self, folder: Path) -> str:
        spec = SampleSpec(
            rows=self.options.rows,
            months=self.options.months,
            invalid_fraction=self.options.invalid_fraction,
            seed=self.options.seed,
        )
        marker = folder / SAMPLE_MARKER
        if marker.exists() and json.loads(marker.read_text()) == spec.to_dict():
            return f"sample of {spec.rows:,} rows already in the lake"
        marker.unlink(missing_ok=True)  # an interrupted write must not pass for the sample it replaces
        write_sample(spec, folder)
        marker.write_text(json.dumps(spec.to_dict(), sort_keys=True))
        return f"generated {spec.rows:,} sample rows over {spec.months} months"

    def register_silver(self, location: str) -> int:
        """(Re)register silver with the columns its files have, then its partitions."""
        inferred = self.session.read.parquet(location).schema
        partition_names = {c.name for c in SILVER.partition_columns}
        columns = [(f.name, f.dataType.simpleString()) for f in inferred.fields if f.name not in partition_names]
        self.session.sql(f"DROP TABLE IF EXISTS {SILVER.qualified_name}")  # external: data stays
        self.session.sql(create_table_sql(SILVER, location, columns))
        self.session.sql(f"MSCK REPAIR TABLE {SILVER.qualified_name}")
        return self.session.sql(f"SHOW PARTITIONS {SILVER.qualified_name}").count()


def spark_query(spark: SparkSession, sql: str) -> QueryResult:
    """Answer `sql` through Spark's catalog.

    Raises:
        LocalQueryError: Spark refused the SQL (a table that is not there, a syntax error).
    """
    from pyspark.errors import AnalysisException

    try:
        frame = spark.sql(sql)
        rows = frame.collect()
    except AnalysisException as error:  # ParseException is one
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise LocalQueryError(f"the local catalog refused the query: {first}") from None
    return QueryResult(tuple(frame.columns), tuple(tuple(row) for row in rows))


def generate_sample(spec: SampleSpec, folder: Path, progress: Notify = silent) -> list[SilverFile]:
    """Generate the sample silver rows with the same generator as `make demo` (no JVM).

    The AWS `load-silver` is handed this function by the CLI. Each month's file has the same
    name (`etl.sample.SAMPLE_FILE`), so generating the same sample again gives the same keys
    and an upload of it adds nothing twice.
    """
    progress(f"generating {spec.rows:,} sample rows over {spec.months} months")
    data = folder / "silver"
    write_sample(spec, data)
    return silver_files(data)
