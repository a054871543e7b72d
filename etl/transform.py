"""The silver -> gold transformation: DataFrames in, DataFrames out.

No I/O, no session creation, no argument parsing here.

The job reads silver once for the lean quarantine (the default): `summarize_with_rejects`
aggregates the valid rows (sum and count of salario per idade, ativo, ano, mes) and carries
every rejected row through the same aggregation as a group of its own, keyed by its
identity (id, silver file, row position). The caller caches that summary (gold groups plus
the rejected rows, nothing else), reads its counts with `summary_counts` (one small action),
derives gold with `gold_rows` and the quarantine with `rejected_rows`.

With whole-row quarantine (`--quarantine_columns all`), `summarize` aggregates with the
rejected rows counted per silver partition only, and `quarantined_rows` is a second,
filtered pass over the partitions that had any. `aggregate` is the plain transformation on
valid rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from etl.incremental import PartitionKey, partition_sort_key
from etl.quality import is_valid, reject_reasons
from etl.schema import (
    AGGREGATE_COLUMN,
    GOLD,
    GROUP_KEYS,
    ID_COLUMN,
    MEASURE_COLUMN,
    PARTITION_KEYS,
    QUARANTINE_LEAN_COLUMNS,
    QUARANTINE_MODES,
    REASONS_COLUMN,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
)

_ROWS = "_rows"
_VALID_ROWS = "_valid_rows"
_SUM = "_salario_sum"
_VALID = "_valid"
_GOLD_TYPES = {c.name: c.type for c in GOLD.all_columns}
_LEAN_TYPES = {c.name: c.type for c in QUARANTINE_LEAN_COLUMNS}
_VALID_ROW = -1  # the position valid rows group under in `summarize_with_rejects`


def aggregate(valid_rows: DataFrame) -> DataFrame:
    """Average salario by idade, ativo, ano, mes over rows that passed the quality rules.

    Returns:
        Columns idade, ativo, salario_medio, ano, mes (the gold table's order).
    """
    return gold_rows(summarize(valid_rows))


def summarize(silver: DataFrame, partitions: int | None = None) -> DataFrame:
    """One pass over silver: per (idade, ativo, ano, mes), the sum and count of salario over
    valid rows and the count of all rows (so rows read and rejected come from it too).

    Rejected rows have idade and ativo nulled, so they add up in one group per silver
    partition whatever junk their other values hold; the job scans only those partitions
    again for the quarantine. Only flat numeric buffers: Spark keeps this
    a hash aggregate with partial aggregation. (Carrying each rejected row through it, as
    a `first(struct)` buffer or as a struct group key, read every column of every row and
    cost more than the second scan `quarantined_rows` makes; see docs/benchmarks.md.)

    Args:
        silver: the source rows.
        partitions: when given, the summary comes hash-partitioned on (ano, mes) into this
            many partitions: every gold partition's rows sit in one Spark partition, so
            writing gold needs no other shuffle and gives one file per gold partition.
    """
    # The rules are evaluated once per row: Spark does not inline a costly column that is
    # used several times into the next projection.
    flagged = silver.select(*[F.col(f"`{c}`") for c in silver.columns], is_valid().alias(_VALID))
    valid = F.col(_VALID)
    stored = {f.name.lower(): f.dataType.simpleString() for f in silver.schema.fields}
    keys = []
    for name in GROUP_KEYS:
        key = F.col(name).cast(_GOLD_TYPES[name])  # read as the gold table's type
        if name in PARTITION_KEYS:
            # Every row keeps the silver partition it came from, so the job can scan only the
            # partitions with rejects again; a value the gold type cannot hold becomes null
            # (then the job scans every partition).
            exact = key if stored[name] == _GOLD_TYPES[name] else F.when(key.cast(stored[name]) == F.col(name), key)
            keys.append(exact.alias(name))
        else:
            keys.append(F.when(valid, key).alias(name))
    keyed = flagged.select(*keys, F.when(valid, F.col(MEASURE_COLUMN).cast("double")).alias(MEASURE_COLUMN))
    summary = keyed.groupBy(*GROUP_KEYS).agg(
        F.count(F.lit(1)).alias(_ROWS),
        F.count(MEASURE_COLUMN).alias(_VALID_ROWS),
        F.sum(MEASURE_COLUMN).alias(_SUM),
    )
    return summary if partitions is None else summary.repartition(partitions, *PARTITION_KEYS)


def summarize_with_rejects(silver: DataFrame, partitions: int | None = None) -> DataFrame:
    """One pass over silver that gives gold's sums and counts and every rejected row.

    Valid rows group by (idade, ativo, ano, mes) as in `summarize`. Each rejected row is a
    group of its own: its identity (silver_file, silver_row, id; constants for valid rows)
    is part of the key, beside its own idade, ativo, ano and mes as stored, and the sum of
    salario over its one row is its salario (as double). So the summary holds about one row
    per gold row plus one per rejected row, whatever the size of silver; the aggregate keeps
    flat numeric buffers (count, sum), so Spark keeps a hash aggregate with partial
    aggregation. Measured against two narrow scans in docs/benchmarks.md.

    Args:
        silver: source rows with their origin as `silver_file` and `silver_row` columns.
        partitions: as in `summarize`.

    Returns:
        A summary `gold_rows`, `summary_counts` and `rejected_rows` read.
    """
    flagged = silver.select(*[F.col(f"`{c}`") for c in silver.columns], is_valid().alias(_VALID))
    rejected = ~F.col(_VALID)
    stored = {f.name.lower(): f.dataType for f in silver.schema.fields}
    id_type = stored.get(ID_COLUMN, _LEAN_TYPES[ID_COLUMN])
    # Each column: (a rejected row's value, the constant valid rows group under). No silver
    # row has an empty path or a negative position, so a group is valid rows exactly when
    # its position is -1. The constants are never null: a group key that is null for most
    # rows costs Spark's hash aggregate about a quarter more per row (docs/benchmarks.md).
    identity = {
        SOURCE_FILE_COLUMN: (F.col(SOURCE_FILE_COLUMN), F.lit("")),
        SOURCE_ROW_COLUMN: (F.col(SOURCE_ROW_COLUMN), F.lit(_VALID_ROW).cast("long")),
        ID_COLUMN: (F.col(ID_COLUMN) if ID_COLUMN in stored else F.lit(None).cast(id_type), F.lit(0).cast(id_type)),
    }
    keyed = flagged.select(
        *[F.col(name) for name in GROUP_KEYS],
        *[F.when(rejected, value).otherwise(constant).alias(name) for name, (value, constant) in identity.items()],
        F.col(MEASURE_COLUMN).cast("double").alias(MEASURE_COLUMN),
    )
    summary = keyed.groupBy(*GROUP_KEYS, *identity).agg(
        F.count(F.lit(1)).alias(_ROWS),
        F.sum(MEASURE_COLUMN).alias(_SUM),
    )
    # A rejected row's group has its position (>= 0); every other group is valid rows.
    valid_rows = F.when(_is_valid_group(), F.col(_ROWS)).otherwise(F.lit(0))
    summary = summary.withColumn(_VALID_ROWS, valid_rows)
    return summary if partitions is None else summary.repartition(partitions, *PARTITION_KEYS)


def _is_valid_group():
    return F.col(SOURCE_ROW_COLUMN) == F.lit(_VALID_ROW)


def rejected_rows(summary: DataFrame) -> DataFrame:
    """The lean quarantine from a `summarize_with_rejects` summary: one row per rejected
    silver row, columns as `quarantined_rows(..., "lean")` gives (salario as double)."""
    rows = summary.where(~_is_valid_group()).withColumn(MEASURE_COLUMN, F.col(_SUM))
    return rows.select(
        *[F.col(c.name) for c in QUARANTINE_LEAN_COLUMNS if c.name != REASONS_COLUMN],
        reject_reasons().alias(REASONS_COLUMN),
    )


def gold_rows(summary: DataFrame) -> DataFrame:
    """The gold rows from a summary: salario_medio = sum / count of the valid rows."""
    return summary.where(F.col(_VALID_ROWS) > 0).select(
        *[F.col(name).cast(_GOLD_TYPES[name]).alias(name) for name in ("idade", "ativo")],
        (F.col(_SUM) / F.col(_VALID_ROWS)).alias(AGGREGATE_COLUMN),
        *[F.col(name).cast(_GOLD_TYPES[name]).alias(name) for name in PARTITION_KEYS],
    )


def quarantined_rows(silver: DataFrame, columns: str = "lean") -> DataFrame:
    """The rows that fail a rule, with `reject_reasons` (see `etl.schema` for the columns).

    Args:
        silver: source rows with their origin as `silver_file` and `silver_row` columns
            (the job takes them from Spark's `_metadata.file_path` and `_metadata.row_index`).
        columns: `lean`: id, silver_file, silver_row, the columns the rules read, ano, mes,
            reasons; silver's columns keep their stored types, and id is null when silver
            has none. `all`: every silver column as stored, then silver_file, silver_row
            and reasons.
    """
    if columns not in QUARANTINE_MODES:
        raise ValueError(f"quarantine columns must be one of {', '.join(QUARANTINE_MODES)}, got {columns!r}")
    rejected = silver.where(~is_valid())
    reasons = reject_reasons().alias(REASONS_COLUMN)
    if columns == "all":
        origin = (SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN)
        data = [c for c in silver.columns if c not in origin]
        return rejected.select(*[F.col(f"`{c}`") for c in data], *origin, reasons)
    present = {c.lower() for c in silver.columns}
    selected = []
    for column in QUARANTINE_LEAN_COLUMNS:
        if column.name == REASONS_COLUMN:
            selected.append(reasons)
        elif column.name == ID_COLUMN and ID_COLUMN not in present:
            selected.append(F.lit(None).cast(column.type).alias(ID_COLUMN))
        else:
            selected.append(F.col(column.name))
    return rejected.select(*selected)


@dataclass(frozen=True)
class SummaryCounts:
    """What one small action over a summary tells: rows read and rejected, gold rows per partition."""

    rows_read: int
    rows_rejected: int
    gold_rows_by_partition: dict  # {(ano, mes): gold rows}, only partitions with a valid row
    # {(ano, mes): rejected rows}; None in a key: a value the gold types cannot hold
    rejected_by_partition: dict

    @property
    def gold_rows(self) -> int:
        return sum(self.gold_rows_by_partition.values())


def partitions_to_rescan(counts: SummaryCounts, recomputed: Iterable[PartitionKey]) -> list[PartitionKey] | None:
    """The silver partitions the quarantine scan must read: those with a rejected row, or
    None for all of `recomputed` (every one has rejects, or a partition value was unknown).
    """
    with_rejects = sorted(counts.rejected_by_partition, key=partition_sort_key)
    if any(None in key for key in with_rejects) or set(with_rejects) >= set(recomputed):
        return None
    return with_rejects


def summary_counts(summary: DataFrame) -> SummaryCounts:
    """Counts from a summary in one Spark action that brings back one row per silver
    partition (plus one for values the gold types cannot hold): bounded by the partitions,
    never by the rows.
    """
    has_gold = F.col(_VALID_ROWS) > 0
    rows = (
        summary.groupBy("ano", "mes")
        .agg(
            F.sum(_ROWS).alias("read"),
            F.sum(F.col(_ROWS) - F.col(_VALID_ROWS)).alias("rejected"),
            F.count(F.when(has_gold, F.lit(1))).alias("gold"),
        )
        .collect()
    )
    return SummaryCounts(
        rows_read=sum(int(row["read"]) for row in rows),
        rows_rejected=sum(int(row["rejected"]) for row in rows),
        gold_rows_by_partition={(row["ano"], row["mes"]): int(row["gold"]) for row in rows if row["gold"]},
        rejected_by_partition={(row["ano"], row["mes"]): int(row["rejected"]) for row in rows if row["rejected"]},
    )
