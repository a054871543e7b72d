"""The job's argument set: one builder, one parser.

`build_job_arguments` makes the `--key value` set the Glue job gets as DefaultArguments
(infra) and the local run passes on the command line (automation), so both run the job
with the same arguments. `parse_job_arguments` is the job's side: it reads its own keys
and accepts, then ignores, the extra ones Glue adds (--JOB_ID, --TempDir, ...).

Standard library only; no I/O.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Mapping, NoReturn, Sequence

from etl.errors import JobArgumentError
from etl.rejects import MIN_RETENTION_DAYS
from etl.schema import (
    DEFAULT_QUARANTINE_COLUMNS,
    GOLD,
    QUARANTINE_MODES,
    SILVER,
    TableSchema,
    rejects_table_schema,
)

MODES = ("incremental", "full")
DEFAULT_MODE = "incremental"
DEFAULT_MAX_REJECT_RATIO = 0.05
# 0 keeps every run's quarantine; otherwise the job drops runs this old (etl.rejects).
KEEP_QUARANTINE = 0
MIN_QUARANTINE_RETENTION_DAYS = MIN_RETENTION_DAYS


@dataclass(frozen=True)
class LakeLayout:
    """Where things live in the lake, as URIs (`s3://bucket` on AWS, `file:///dir` locally).

    Every location is derived from the lake root so the two environments differ only in
    the root.
    """

    root: str
    gold_table: str = GOLD.table

    def _under(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts]) + "/"

    @property
    def bronze(self) -> str:
        return self._under("bronze")

    @property
    def silver(self) -> str:
        return self._under("silver", SILVER.table)

    @property
    def gold(self) -> str:
        """The gold table's location; only ano=/mes= folders live here."""
        return self._under("gold", self.gold_table)

    @property
    def state(self) -> str:
        """Incremental state, next to (not inside) the gold table's location."""
        return self._under("gold", "_state", self.gold_table)

    @property
    def reports(self) -> str:
        return self._under("gold", "_reports", self.gold_table)

    @property
    def quarantine(self) -> str:
        return self._under("quarantine", self.gold_table)

    @property
    def temp(self) -> str:
        return self._under("temp")

    @property
    def spark_event_logs(self) -> str:
        return self._under("temp", "spark-ui")

    @property
    def artifacts(self) -> str:
        return self._under("artifacts")

    @property
    def athena_results(self) -> str:
        return self._under("athena-results")


@dataclass(frozen=True)
class JobArguments:
    """What the job needs to run, parsed from its command line."""

    source_database: str = SILVER.database
    source_table: str = SILVER.table
    target_database: str = GOLD.database
    target_table: str = GOLD.table
    quarantine_location: str = ""
    state_location: str = ""
    report_location: str = ""
    mode: str = DEFAULT_MODE
    max_reject_ratio: float = DEFAULT_MAX_REJECT_RATIO
    quarantine_columns: str = DEFAULT_QUARANTINE_COLUMNS
    job_name: str = "job-transform-silver-to-gold"
    job_run_id: str = ""
    stack: str = ""  # the Pulumi stack; set on AWS, where the run's metrics line is printed
    quarantine_retention_days: int = KEEP_QUARANTINE

    @property
    def source(self) -> str:
        return f"{self.source_database}.{self.source_table}"

    @property
    def target(self) -> str:
        return f"{self.target_database}.{self.target_table}"

    @property
    def rejects(self) -> TableSchema:
        """The rejects table of the target (`<target>_rejects`, same database)."""
        return rejects_table_schema(TableSchema(self.target_database, self.target_table, (), ()))


def build_job_arguments(
    layout: LakeLayout,
    *,
    mode: str = DEFAULT_MODE,
    max_reject_ratio: float = DEFAULT_MAX_REJECT_RATIO,
    silver: TableSchema = SILVER,
    gold: TableSchema = GOLD,
    extra_py_files: str | None = None,
    log_group_prefix: str | None = None,
    quarantine_columns: str = DEFAULT_QUARANTINE_COLUMNS,
    stack: str = "",
    quarantine_retention_days: int = KEEP_QUARANTINE,
) -> dict[str, str]:
    """Build the job's full argument set, Glue's special parameters included.

    Args:
        layout: the lake's locations.
        mode: `incremental` (default) or `full`.
        max_reject_ratio: quarantined/read above this fails the run before gold is written.
        silver: the source table.
        gold: the target table.
        extra_py_files: URI of the packaged `etl` code (Glue's --extra-py-files).
        log_group_prefix: Glue 5.0's --custom-logGroup-prefix: the job logs to
            `<prefix>/output` and `<prefix>/error` instead of the account-wide
            `/aws-glue/jobs/output` and `/aws-glue/jobs/error`.
        quarantine_columns: `lean` (default: id, source file and row, the rule columns,
            ano, mes, reasons) or `all` (whole rejected rows).
        stack: the Pulumi stack the job belongs to; when set, the job prints its metrics
            line (etl.metrics) with the stack as a dimension.
        quarantine_retention_days: 0 keeps every run's quarantine; otherwise the job drops
            the rejects-table partitions and files of older runs (etl.rejects.expired_runs).

    Returns:
        A mapping `--key` -> value. Glue's own flags are ignored by the job when run
        locally, so local and AWS runs share one set.

    Raises:
        JobArgumentError: on a mode, ratio, quarantine_columns or retention outside what the
            job accepts.
    """
    _check_mode(mode)
    _check_ratio(max_reject_ratio)
    _check_quarantine_columns(quarantine_columns)
    _check_retention(quarantine_retention_days)
    arguments = {
        # The job's own arguments.
        "--source_database": silver.database,
        "--source_table": silver.table,
        "--target_database": gold.database,
        "--target_table": gold.table,
        "--quarantine_location": layout.quarantine,
        "--state_location": layout.state,
        "--report_location": layout.reports,
        "--mode": mode,
        "--max_reject_ratio": repr(float(max_reject_ratio)),
        "--quarantine_columns": quarantine_columns,
        "--quarantine_retention_days": str(int(quarantine_retention_days)),
        # Glue's special parameters:
        # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html
        "--job-language": "python",
        "--enable-glue-datacatalog": "true",
        # Whole partitions are fingerprinted by the job itself; file-level bookmarks would
        # re-aggregate a month from its new files only.
        "--job-bookmark-option": "job-bookmark-disable",
        "--enable-metrics": "true",
        "--enable-observability-metrics": "true",
        "--enable-spark-ui": "true",
        "--spark-event-logs-path": layout.spark_event_logs,
        "--TempDir": layout.temp,
    }
    # Glue 5.0 always logs in real time; --enable-continuous-cloudwatch-log and
    # --continuous-log-logGroup are Glue 4.0-and-earlier arguments ("Logging for AWS Glue
    # jobs", https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html).
    if log_group_prefix:
        arguments["--custom-logGroup-prefix"] = log_group_prefix
    if stack:
        arguments["--stack"] = stack
    if extra_py_files:
        arguments["--extra-py-files"] = extra_py_files
    return arguments


def to_argv(arguments: Mapping[str, str]) -> list[str]:
    """Flatten `{"--key": "value"}` into `["--key", "value", ...]` as Glue does."""
    argv: list[str] = []
    for key, value in arguments.items():
        argv.extend([key, str(value)])
    return argv


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print usage and exit
        raise JobArgumentError(message)


def _job_parser() -> _Parser:
    """The job's arguments with their help: parsed by the job, shown by `python -m etl.job --help`."""
    parser = _Parser(
        prog="python -m etl.job",
        allow_abbrev=False,
        add_help=False,
        description="The silver -> gold job (the script Glue runs): reads the source table through Spark's "
        "catalog, quarantines rows that break the quality rules, averages salario by idade, ativo, ano, mes "
        "and overwrites the recomputed partitions of the existing gold table. Arguments Glue adds "
        "(--JOB_ID, --TempDir, ...) are accepted and ignored.",
    )
    defaults = JobArguments()
    for name, what in (
        ("source_database", "database of the silver table"),
        ("source_table", "the silver table"),
        ("target_database", "database of the gold table"),
        ("target_table", "the gold table (must exist: the job never creates tables)"),
    ):
        default = getattr(defaults, name)
        parser.add_argument(f"--{name}", default=default, metavar="NAME", help=f"{what} (default: {default})")
    parser.add_argument(
        "--quarantine_location",
        required=True,
        metavar="URI",
        help="rejected rows go to <URI>/run_id=<run id>/ as Parquet (required)",
    )
    parser.add_argument(
        "--state_location", required=True, metavar="URI", help="where the incremental state lives (required)"
    )
    parser.add_argument(
        "--report_location",
        default="",
        metavar="URI",
        help="the run report goes to <URI>/<run id>.json and latest.json (default: not written)",
    )
    parser.add_argument(
        "--mode", default=DEFAULT_MODE, metavar="|".join(MODES), help=f"{' or '.join(MODES)} (default: {DEFAULT_MODE})"
    )
    parser.add_argument(
        "--max_reject_ratio",
        default=str(DEFAULT_MAX_REJECT_RATIO),
        metavar="RATIO",
        help=f"fail before writing gold above this share of rejected rows (default: {DEFAULT_MAX_REJECT_RATIO})",
    )
    parser.add_argument(
        "--quarantine_columns",
        default=DEFAULT_QUARANTINE_COLUMNS,
        metavar="|".join(QUARANTINE_MODES),
        help=f"what the quarantine keeps of a rejected row: {' or '.join(QUARANTINE_MODES)} "
        f"(default: {DEFAULT_QUARANTINE_COLUMNS})",
    )
    parser.add_argument(
        "--JOB_NAME",
        dest="job_name",
        default=defaults.job_name,
        metavar="NAME",
        help=f"(Glue) the job's name (default: {defaults.job_name})",
    )
    parser.add_argument(
        "--JOB_RUN_ID", dest="job_run_id", default="", metavar="ID", help="(Glue) the run's id (default: local-<time>)"
    )
    parser.add_argument(
        "--stack", default="", metavar="NAME", help="the stack, a dimension of the run's metrics line (default: none)"
    )
    parser.add_argument(
        "--quarantine_retention_days",
        default=str(KEEP_QUARANTINE),
        metavar="DAYS",
        help="quarantine runs older than this lose their rejects partition and files (default: kept)",
    )
    return parser


def job_help() -> str:
    """`python -m etl.job --help`: usage, what the job does, every argument."""
    return _job_parser().format_help()


def job_usage() -> str:
    """The job's one-line usage, printed above an argument error."""
    return _job_parser().format_usage().strip()


def parse_job_arguments(argv: Sequence[str]) -> JobArguments:
    """Parse the job's command line; unknown (Glue) arguments are accepted and ignored.

    Raises:
        JobArgumentError: a required location is missing or a value is out of range.
    """
    known, _glue_extras = _job_parser().parse_known_args(list(argv))
    _check_mode(known.mode)
    _check_quarantine_columns(known.quarantine_columns)
    try:
        retention = int(known.quarantine_retention_days)
    except ValueError:
        raise JobArgumentError(
            f"--quarantine_retention_days must be a whole number of days, got {known.quarantine_retention_days!r}"
        ) from None
    _check_retention(retention)
    try:
        ratio = float(known.max_reject_ratio)
    except ValueError:
        raise JobArgumentError(
            f"--max_reject_ratio must be a number between 0 and 1, got {known.max_reject_ratio!r}"
        ) from None
    _check_ratio(ratio)
    values = vars(known) | {"max_reject_ratio": ratio, "quarantine_retention_days": retention}
    return JobArguments(**values)


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise JobArgumentError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")


def _check_ratio(ratio: float) -> None:
    if not 0.0 <= ratio <= 1.0:  # also false for NaN
        raise JobArgumentError(f"--max_reject_ratio must be between 0 and 1, got {ratio!r}")


def _check_quarantine_columns(columns: str) -> None:
    if columns not in QUARANTINE_MODES:
        raise JobArgumentError(f"--quarantine_columns must be one of {', '.join(QUARANTINE_MODES)}, got {columns!r}")


def _check_retention(days: int) -> None:
    if days != KEEP_QUARANTINE and days < MIN_QUARANTINE_RETENTION_DAYS:
        raise JobArgumentError(
            f"--quarantine_retention_days must be {KEEP_QUARANTINE} (keep every run) or at least "
            f"{MIN_QUARANTINE_RETENTION_DAYS}, got {days!r}"
        )
