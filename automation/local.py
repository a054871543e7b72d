"""The embedded local backend: Spark in local mode, a Hive metastore and a directory lake.

Everything lives inside the lake directory (default `.lake/`): the Derby metastore, the
warehouse, Spark's scratch space, silver, gold, quarantine, state and reports. Nothing is
written to the working directory. Needs Java 17 and no AWS account. Also the sample maker
the AWS `load-silver` is handed (`generate_sample`): the sample is made with Spark here, and
the local twins of the AWS `query` and `rejects` verbs on a lake a run left (`query_lake`,
`lake_rejects`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from automation.lake import SAMPLE_MARKER, SilverFile, local_files_by_partition, silver_files, sorted_specs
from automation.pipeline import Notify, QueryResult, silent
from automation.rejects import RejectsSummary, find_run, gate_of, summarize_rejects
from automation.wording import plural
from etl.arguments import DEFAULT_MAX_REJECT_RATIO, DEFAULT_MODE, LakeLayout, build_job_arguments, to_argv
from etl.errors import PipelineError
from etl.files import is_data_file
from etl.incremental import partition_key_of_folder
from etl.rejects import runs_beyond_last
from etl.report import RunReport
from etl.sample import SampleSpec
from etl.schema import DEFAULT_QUARANTINE_COLUMNS, GOLD, REJECTS, SILVER, create_table_sql
from etl.tuning import local_session_settings

if TYPE_CHECKING:  # imported when a session starts: `--help` and the AWS verbs need no Spark
    from pyspark.sql import SparkSession

LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")
# Where Spark's own log lines go (log4j2.properties): never the terminal.
SPARK_LOG = Path("logs", "spark.log")
# The local session's JVM is a short batch job on a few cores: the throughput collector
# instead of G1 (Java 17's default) made the cold one-pass scan at 5e7 rows about 20 %
# faster and kept the driver's peak flatter (docs/benchmarks.md). On Glue the JVM is Glue's.
LOCAL_JVM_OPTIONS: tuple[str, ...] = ("-XX:+UseParallelGC",)
# `--keep-runs`: the quarantine runs (files and rejects partitions) a local lake keeps; 0 keeps all.
DEFAULT_KEEP_RUNS = 10


class SetupError(PipelineError):
    """The local environment or an input path is not usable."""


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


def local_uri(path: Path) -> str:
    """`file://` URI of a local path, without percent-encoding.

    Hadoop takes the path part literally: `Path.as_uri()` would turn `rows=5` into a folder
    named `rows%3D5` and a space into `%20`.
    """
    return "file://" + str(path.resolve())


def find_java() -> str:
    """The java executable Spark will use.

    Raises:
        SetupError: when none is found.
    """
    java_home = os.environ.get("JAVA_HOME")
    if java_home and Path(java_home, "bin", "java").exists():
        return str(Path(java_home, "bin", "java"))
    found = shutil.which("java")
    if not found:
        raise SetupError(
            "Java 17 is required to run Spark and was not found: install it "
            "(Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    return found


def spark_log(lake: Path) -> Path:
    """The file Spark's JVM logs to for a session started on `lake`."""
    return lake.resolve() / SPARK_LOG


def start_spark(lake: Path, workers: int = 2, app_name: str = "silver-to-gold-local") -> SparkSession:
    """Start a local Spark session with Hive support whose state lives inside `lake`.

    Spark's own log lines (log4j) go to `spark_log(lake)`, never to the terminal.

    Args:
        lake: the lake directory (created if needed).
        workers: local cores to use (`local[N]`).
        app_name: Spark's application name.
    """
    find_java()
    from pyspark.sql import SparkSession  # imported late: `--help` should not need Spark

    lake = lake.resolve()
    for folder in ("warehouse", "tmp/spark", "tmp/hive", "logs"):
        (lake / folder).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    java_options = " ".join(
        [
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG.resolve().as_uri()}",
            f"-Dsilver_to_gold.spark_log={spark_log(lake)}",
            f"-Dderby.system.home={lake}",
            f"-Dderby.stream.error.file={lake / 'logs' / 'derby.log'}",
            *LOCAL_JVM_OPTIONS,
        ]
    )
    builder = (
        SparkSession.builder.master(f"local[{workers}]")
        .appName(app_name)
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.local.dir", str(lake / "tmp" / "spark"))
        .config("spark.sql.warehouse.dir", local_uri(lake / "warehouse"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={lake / 'metastore_db'};create=true",
        )
        .config("spark.hadoop.hive.exec.scratchdir", str(lake / "tmp" / "hive"))
        .config("spark.hadoop.hive.exec.local.scratchdir", str(lake / "tmp" / "hive"))
        .enableHiveSupport()
    )
    for key, value in local_session_settings(workers).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def create_database_sql(database: str, location: str) -> str:
    return f"CREATE DATABASE IF NOT EXISTS {database} LOCATION '{location}'"


class LocalBackend:
    """The pipeline's steps on this machine: local Spark, Hive metastore, directory lake."""

    name = "local"
    rejects_table = REJECTS
    sql_dialect = "spark"

    def __init__(self, options: LocalOptions):
        self.options = options
        self.lake = options.lake.resolve()
        self.layout = LakeLayout(local_uri(self.lake))
        self.spark: SparkSession | None = None

    @property
    def session(self) -> SparkSession:
        """The Spark session `start` started."""
        if self.spark is None:
            raise SetupError("the local backend's Spark session is not started: call start() first")
        return self.spark

    # -- steps ---------------------------------------------------------------------
    def start(self) -> str:
        if self.options.silver_path is not None:
            silver_files(self.options.silver_path)  # a bad path fails before Spark starts
        self.spark = start_spark(self.lake, self.options.workers)
        return f"Spark {self.spark.version}, local[{self.options.workers}], lake {self.lake}"

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
        if self.spark is not None:
            self.spark.stop()
            self.spark = None

    # -- helpers -------------------------------------------------------------------
    def _ensure_sample(self, folder: Path) -> str:
        from etl.sample import generate_silver, write_silver

        spec = SampleSpec(
            rows=self.options.rows,
            months=self.options.months,
            invalid_fraction=self.options.invalid_fraction,
            seed=self.options.seed,
        )
        marker = folder / SAMPLE_MARKER
        if marker.exists() and json.loads(marker.read_text()) == spec.to_dict():
            return f"sample of {spec.rows:,} rows already in the lake"
        write_silver(generate_silver(self.session, spec), local_uri(folder))
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


def open_lake(lake: Path, workers: int = 2) -> SparkSession:
    """A Spark session on the catalog of a lake a local run left (its Hive metastore).

    Raises:
        SetupError: the folder holds no local catalog (no run yet), or Java is missing.
    """
    check_lake(lake)
    return start_spark(lake, workers, app_name="silver-to-gold-query")


def check_lake(lake: Path) -> None:
    """Fail unless `lake` holds a local catalog (a Hive metastore a local run created)."""
    if not (lake / "metastore_db").is_dir():
        raise SetupError(f"{lake} holds no local catalog: run `python -m automation local --lake {lake}` first")


def query_lake(lake: Path, sql: str, workers: int = 2) -> QueryResult:
    """`query --lake`: any SQL through a local lake's catalog (the AWS `query` verb's twin)."""
    spark = open_lake(lake, workers)
    try:
        return spark_query(spark, sql)
    finally:
        spark.stop()


def read_local_report(lake: Path, name: str) -> RunReport | None:
    """The run report `<name>.json` (`latest` or a run id) a local run wrote, or None."""
    path = Path(LakeLayout(local_uri(lake)).reports.removeprefix("file://"), f"{name}.json")
    return RunReport.from_json(path.read_text()) if path.is_file() else None


def lake_rejects(lake: Path, run_id: str | None = None, workers: int = 2) -> RejectsSummary:
    """`rejects --lake`: what a local run (default: the latest) rejected, from the lake's rejects table."""
    check_lake(lake)
    reports = LakeLayout(local_uri(lake)).reports
    run_id, report = find_run(run_id, lambda name: read_local_report(lake, name), reports)
    spark = open_lake(lake, workers)
    try:
        return summarize_rejects(
            REJECTS,
            run_id,
            report,
            lambda sql: spark_query(spark, sql),
            dialect="spark",
            gate=gate_of(report, DEFAULT_MAX_REJECT_RATIO),
        )
    finally:
        spark.stop()


def generate_sample(spec: SampleSpec, folder: Path, progress: Notify = silent) -> list[SilverFile]:
    """Generate the sample silver rows with the same generator as `make demo` (local Spark).

    The AWS `load-silver` is handed this function by the CLI. Files are named
    `sample-NNNNN.snappy.parquet` in each folder, so generating the same sample again gives
    the same keys and an upload of it adds nothing twice.
    """
    from etl.sample import generate_silver, write_silver

    progress(f"generating {spec.rows:,} sample rows over {spec.months} months with local Spark")
    spark = start_spark(folder / "spark", workers=2, app_name="silver-to-gold-sample")
    try:
        data = folder / "silver"
        write_silver(generate_silver(spark, spec), local_uri(data))
    finally:
        spark.stop()
    for partition in data.glob("ano=*/mes=*"):
        parts = sorted(p for p in partition.iterdir() if p.is_file() and is_data_file(p.name))
        for index, part in enumerate(parts):
            part.rename(partition / f"sample-{index:05d}.snappy.parquet")
    return silver_files(data)
