"""The silver -> gold transformation: DataFrames in, DataFrames out.

No I/O, no session creation, no argument parsing here.

`summarize` makes one pass over silver that aggregates the valid rows (sum and count of
salario per idade, ativo, ano, mes), counts every row and carries every rejected row, so
the quarantine and the counts need no other scan. The caller caches that summary, reads
its counts with `summary_counts` (one small action), writes `rejected_rows` to the
quarantine and `gold_rows` to gold. `aggregate` is the plain transformation on valid rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DataType, MapType, StructType

from etl.quality import is_valid, reject_reasons
from etl.schema import AGGREGATE_COLUMN, GOLD, GROUP_KEYS, MEASURE_COLUMN, PARTITION_KEYS, REASONS_COLUMN

_ROWS = "_rows"
_VALID_ROWS = "_valid_rows"
_SUM = "_salario_sum"
_REJECTED = "_rejected"  # the whole rejected row, a struct of silver's columns
_COPY = "_copy"
_VALID = "_valid"


def _gold_keys() -> list[Column]:
    """idade, ativo, ano, mes read as the gold table's types (unnamed)."""
    types = {c.name: c.type for c in GOLD.all_columns}
    return [F.col(name).cast(types[name]) for name in GROUP_KEYS]


def aggregate(valid_rows: DataFrame) -> DataFrame:
    """Average salario by idade, ativo, ano, mes over rows that passed the quality rules.

    Returns:
        Columns idade, ativo, salario_medio, ano, mes (the gold table's order).
    """
    return gold_rows(summarize(valid_rows))


def summarize(silver: DataFrame, partitions: int | None = None) -> DataFrame:
    """One pass over silver: per (idade, ativo, ano, mes), the sum and count of salario over
    valid rows and the count of all rows; and every rejected row, whole.

    Rejected rows ride through the same aggregate as group keys: a valid row's group key is
    its gold key with the carried columns null, a rejected row's is null gold keys with its
    original values, so identical rejected rows share one group and `_rows` says how many.
    The aggregation buffers stay flat numbers, so Spark keeps a hash aggregate with partial
    aggregation, and the quarantine needs no second scan of silver. (Carrying rows as a
    `first(struct)` buffer instead forced a sort-based aggregate at 5x the cost; see
    docs/benchmarks.md.) A source with a map column cannot be grouped on: its summary
    carries no rows and `rejected_rows` scans silver again.

    Args:
        silver: the source rows.
        partitions: when given, the summary comes hash-partitioned on (ano, mes) and the
            carried row into this many partitions: every gold partition's rows sit in one
            Spark partition, so writing gold needs no other shuffle and gives one file per
            gold partition, while rejected rows still spread over all of them.
    """
    # The rules are evaluated once per row: Spark does not inline a costly column that is
    # used several times into the next projection.
    flagged = silver.select(*[F.col(f"`{c}`") for c in silver.columns], is_valid().alias(_VALID))
    valid = F.col(_VALID)
    carried = [F.when(~valid, F.struct(*[F.col(f"`{c}`") for c in silver.columns])).alias(_REJECTED)]
    if not _groupable(silver.schema):
        carried = []
    keyed = flagged.select(
        *[F.when(valid, key).alias(name) for key, name in zip(_gold_keys(), GROUP_KEYS, strict=True)],
        F.when(valid, F.col(MEASURE_COLUMN).cast("double")).alias(MEASURE_COLUMN),
        *carried,
    )
    extra_keys = [_REJECTED] if carried else []
    summary = keyed.groupBy(*GROUP_KEYS, *extra_keys).agg(
        F.count(F.lit(1)).alias(_ROWS),
        F.count(MEASURE_COLUMN).alias(_VALID_ROWS),
        F.sum(MEASURE_COLUMN).alias(_SUM),
    )
    return summary if partitions is None else summary.repartition(partitions, *PARTITION_KEYS, *extra_keys)


def _groupable(schema: DataType) -> bool:
    """Whether Spark can group on every column (no map, at any depth)."""
    if isinstance(schema, MapType):
        return False
    if isinstance(schema, StructType):
        return all(_groupable(field.dataType) for field in schema.fields)
    if isinstance(schema, ArrayType):
        return _groupable(schema.elementType)
    return True


def carries_rejected_rows(summary: DataFrame) -> bool:
    """Whether `rejected_rows` reads this summary (True) or scans silver again (False)."""
    return _REJECTED in summary.columns


def rejected_rows(summary: DataFrame, silver: DataFrame) -> DataFrame:
    """The rows that fail a rule, whole (extra columns too), plus `reject_reasons`.

    Read from the summary when it carries them (no scan of silver), else from silver.
    """
    if not carries_rejected_rows(summary):
        return quarantined_rows(silver)
    rows = summary.where(F.col(_VALID_ROWS) == 0).select(
        f"{_REJECTED}.*", F.explode(F.array_repeat(F.lit(0), F.col(_ROWS).cast("int"))).alias(_COPY)
    )
    return rows.select(*[F.col(f"`{name}`") for name in silver.columns], reject_reasons().alias(REASONS_COLUMN))


def gold_rows(summary: DataFrame) -> DataFrame:
    """The gold rows from a summary: salario_medio = sum / count of the valid rows."""
    return summary.where(F.col(_VALID_ROWS) > 0).select(
        "idade",
        "ativo",
        (F.col(_SUM) / F.col(_VALID_ROWS)).alias(AGGREGATE_COLUMN),
        "ano",
        "mes",
    )


def quarantined_rows(silver: DataFrame) -> DataFrame:
    """The rows that fail a rule, whole (extra columns too), plus `reject_reasons`."""
    return silver.where(~is_valid()).select("*", reject_reasons().alias(REASONS_COLUMN))


@dataclass(frozen=True)
class SummaryCounts:
    """What one small action over a summary tells: rows read and rejected, gold rows per partition."""

    rows_read: int
    rows_rejected: int
    gold_rows_by_partition: dict  # {(ano, mes): gold rows}, only partitions with a valid row

    @property
    def gold_rows(self) -> int:
        return sum(self.gold_rows_by_partition.values())


def summary_counts(summary: DataFrame) -> SummaryCounts:
    """Counts from a summary in one Spark action that brings back one row per gold partition.

    Groups with no valid row (whatever junk their ano/mes hold) fall into a single bucket
    with null keys, so the rows collected are bounded by the gold partitions plus one.
    """
    has_gold = F.col(_VALID_ROWS) > 0
    rows = (
        summary.groupBy(
            F.when(has_gold, F.col("ano")).alias("ano"),
            F.when(has_gold, F.col("mes")).alias("mes"),
        )
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
    )
