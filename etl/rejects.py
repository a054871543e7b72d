"""The rejects table's pure parts: one partition per run, how long runs are kept, and the
questions people ask of it.

The job registers a run's partition once it has written the run's quarantine
(`add_partition_sql`), and drops the partitions of runs past the retention together with their
files (`expired_runs`, `drop_partition_sql`). The local backend and the CLI ask the table with
`rejects_by_reason_sql`, `rejects_by_month_sql` and `rejects_sample_sql`, in Spark SQL (the
local catalog) or in Athena's dialect (a stack).

The table itself (names, columns, partition column) is declared in `etl.schema`
(`rejects_table_schema`). Standard library only; no I/O.
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping
from urllib.parse import unquote

from etl.schema import (
    ID_COLUMN,
    REASONS_COLUMN,
    RUN_ID_COLUMN,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    TableSchema,
)

DAY_MS = 86_400_000
# The job drops a run this many days before S3's lifecycle rule would expire its files, so the
# catalog never lists a run whose files are gone (see `expired_runs`).
EXPIRY_LEAD_DAYS = 1
MIN_RETENTION_DAYS = EXPIRY_LEAD_DAYS + 1
DIALECTS = ("spark", "athena")

# Glue's run ids (`jr_<hex>`, `..._attempt_<n>` for retries) and the local ones
# (`local-20250101T040000Z-1a2b3c`): letters, digits, '_', '.', '-'. Nothing that needs
# quoting in SQL or escaping in a Hive partition path.
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")
_RUN_SEGMENT = re.compile(rf"^{RUN_ID_COLUMN}=(.+)$")


def check_run_id(run_id: str) -> str:
    """`run_id` itself when it can name a partition; ValueError otherwise."""
    if not _RUN_ID.match(run_id):
        raise ValueError(
            f"run id {run_id!r} cannot name a partition: letters, digits, '_', '.' and '-' only, at most 255"
        )
    return run_id


def run_partition_spec(run_id: str) -> str:
    """`jr_1` -> `run_id=jr_1`: the run's folder under the quarantine location, as Hive names it."""
    return f"{RUN_ID_COLUMN}={check_run_id(run_id)}"


def run_location(quarantine_location: str, run_id: str) -> str:
    """Where the job writes a run's rejected rows: `<quarantine location>/run_id=<id>/`."""
    return f"{quarantine_location.rstrip('/')}/{run_partition_spec(run_id)}/"


def add_partition_sql(table: TableSchema, run_id: str, location: str) -> str:
    """Register a run's partition (a no-op when it is registered already)."""
    return (
        f"ALTER TABLE {table.qualified_name} ADD IF NOT EXISTS "
        f"PARTITION ({RUN_ID_COLUMN} = '{check_run_id(run_id)}') LOCATION '{location}'"
    )


def drop_partition_sql(table: TableSchema, run_id: str) -> str:
    """Drop a run's partition from the catalog (the table is external: its files stay)."""
    return f"ALTER TABLE {table.qualified_name} DROP IF EXISTS PARTITION ({RUN_ID_COLUMN} = '{check_run_id(run_id)}')"


def run_id_of_spec(spec: str) -> str:
    """A `SHOW PARTITIONS` row of the rejects table (`run_id=jr_1`) -> `jr_1`.

    Raises:
        ValueError: the spec names another partition column.
    """
    match = _RUN_SEGMENT.match(spec.strip("/"))
    if not match:
        raise ValueError(f"not a partition spec of {RUN_ID_COLUMN}: {spec!r}")
    return unquote(match.group(1))  # Hive escapes special characters as %XX


def run_id_of_path(path: str) -> str | None:
    """The run a file under the quarantine location belongs to, from its `run_id=` folder."""
    for segment in path.split("/"):
        match = _RUN_SEGMENT.match(segment)
        if match:
            return unquote(match.group(1))
    return None


def newest_file_by_run(files: Iterable[tuple[str, int]]) -> dict[str, int]:
    """{run id: modification time (ms) of its newest file} from (path, modified ms) pairs.

    Every file counts, hidden ones too: a run whose write is under way has only
    `_temporary/...` files, and they are new.
    """
    newest: dict[str, int] = {}
    for path, modified_ms in files:
        run_id = run_id_of_path(path)
        if run_id is not None:
            newest[run_id] = max(modified_ms, newest.get(run_id, modified_ms))
    return newest


def expired_runs(
    newest_by_run: Mapping[str, int],
    registered: Iterable[str],
    now_ms: int,
    retention_days: int,
    keep: Iterable[str] = (),
) -> list[str]:
    """The runs whose partition and files go, oldest-first by name.

    S3's lifecycle rule expires an object `retention_days` after it was written, rounded up to
    the next midnight UTC, and removes it some time after that ("Lifecycle configuration
    elements", https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html).
    The job gets there first: it
    drops a run once its newest file is `retention_days - EXPIRY_LEAD_DAYS` days old, so with a
    daily (or more frequent) schedule no partition outlives its files. A registered run with
    no file left (expired by S3, or deleted by hand) goes too.

    Args:
        newest_by_run: each run folder's newest file time, in ms (`newest_file_by_run`).
        registered: the runs the rejects table lists.
        now_ms: the time now, in ms since the epoch.
        retention_days: `quarantineRetentionDays`, at least MIN_RETENTION_DAYS.
        keep: runs never expired (the run under way).

    Raises:
        ValueError: on a retention shorter than MIN_RETENTION_DAYS.
    """
    if retention_days < MIN_RETENTION_DAYS:
        raise ValueError(f"quarantine retention must be at least {MIN_RETENTION_DAYS} days, got {retention_days}")
    cutoff_ms = now_ms - (retention_days - EXPIRY_LEAD_DAYS) * DAY_MS
    old = {run for run, newest in newest_by_run.items() if newest <= cutoff_ms}
    without_files = {run for run in registered if run not in newest_by_run}
    return sorted((old | without_files) - set(keep))


def runs_beyond_last(newest_by_run: Mapping[str, int], keep: int) -> list[str]:
    """The runs to remove so that only the `keep` most recent remain (by newest file, then
    by run id), oldest first: what `--keep-runs` asks of a local lake.

    Raises:
        ValueError: on a negative `keep`.
    """
    if keep < 0:
        raise ValueError(f"keep must be 0 or more, got {keep}")
    by_age = sorted(newest_by_run, key=lambda run: (newest_by_run[run], run))
    return by_age[: max(0, len(by_age) - keep)]


def schema_problems(stored: Mapping[str, str], table: TableSchema) -> list[str]:
    """Columns the quarantine files store with another type than the table declares.

    The table reads its files by column name, so a column the files lack reads as null and an
    extra one is ignored; a column of another type cannot be read (by Spark or Athena).

    Args:
        stored: column name -> type as Spark names it (`simpleString()`), of the written rows.
        table: the rejects table.
    """
    found = {name.lower(): kind for name, kind in stored.items()}
    return [
        f"{column.name} is {found[column.name]} in the files, {column.type} in {table.qualified_name}"
        for column in table.columns
        if column.name in found and found[column.name] != column.type
    ]


def _check_dialect(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}, got {dialect!r}")


def _run_filter(run_id: str | None) -> str:
    return f" WHERE {RUN_ID_COLUMN} = '{check_run_id(run_id)}'" if run_id else ""


def rejects_by_reason_sql(table: TableSchema, run_id: str | None = None, dialect: str = "spark") -> str:
    """Rejected rows by reason (`reason`, `rejected_rows`), most frequent first.

    A row that fails two rules counts under both. Spark and Athena unnest an array in different
    words, hence `dialect`: `spark` (the local catalog) or `athena`.

    Args:
        table: the rejects table.
        run_id: one run; None for every run the table holds.
        dialect: `spark` or `athena`.
    """
    _check_dialect(dialect)
    if dialect == "spark":
        source = f"{table.qualified_name} LATERAL VIEW explode({REASONS_COLUMN}) reasons AS reason"
    else:
        source = f"{table.qualified_name} CROSS JOIN UNNEST({REASONS_COLUMN}) AS reasons (reason)"
    return (
        f"SELECT reason, count(*) AS rejected_rows FROM {source}{_run_filter(run_id)} "
        "GROUP BY reason ORDER BY rejected_rows DESC, reason"
    )


def rejects_by_month_sql(table: TableSchema, run_id: str | None = None) -> str:
    """Rejected rows by the (ano, mes) they claim (`ano`, `mes`, `rejected_rows`); null months
    (rows rejected for a null ano or mes) last. The same text runs on Spark and Athena."""
    return (
        f"SELECT ano, mes, count(*) AS rejected_rows FROM {table.qualified_name}{_run_filter(run_id)} "
        "GROUP BY ano, mes ORDER BY ano NULLS LAST, mes NULLS LAST"
    )


def rejects_sample_sql(table: TableSchema, run_id: str, limit: int = 5) -> str:
    """The first rejected rows of a run to trace: id, silver file, row in it, reasons."""
    check_run_id(run_id)
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    columns = ", ".join((ID_COLUMN, SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN, REASONS_COLUMN))
    return (
        f"SELECT {columns} FROM {table.qualified_name}{_run_filter(run_id)} "
        f"ORDER BY {SOURCE_FILE_COLUMN}, {SOURCE_ROW_COLUMN} LIMIT {limit}"
    )
