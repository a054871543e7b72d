"""The silver -> gold transformation: DataFrames in, DataFrames out.

No I/O, no session creation, no argument parsing here.

The job reads silver once. `summarize` makes one pass that both aggregates the valid rows
(sum and count of salario per idade, ativo, ano, mes) and keeps every rejected row whole;
`gold_rows` and `quarantined_rows` derive the two outputs from that small summary, which
the caller caches. `aggregate` is the plain transformation on valid rows.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from etl.quality import is_valid, reject_reasons
from etl.schema import AGGREGATE_COLUMN, GOLD, GROUP_KEYS, MEASURE_COLUMN, REASONS_COLUMN

_REJECT_ID = "_reject_id"
_ROWS = "_rows"
_SUM = "_salario_sum"
_ROW = "_row"


def _gold_key_columns() -> list[Column]:
    types = {c.name: c.type for c in GOLD.all_columns}
    return [F.col(name).cast(types[name]).alias(name) for name in GROUP_KEYS]


def aggregate(valid_rows: DataFrame) -> DataFrame:
    """Average salario by idade, ativo, ano, mes over rows that passed the quality rules.

    Returns:
        Columns idade, ativo, salario_medio, ano, mes (the gold table's order).
    """
    return gold_rows(summarize(valid_rows))


def summarize(silver: DataFrame) -> DataFrame:
    """One pass over silver: per-group sums for valid rows, one row per rejected row.

    A valid row's group key is (ano, mes, idade, ativo); a rejected row gets a unique id in
    its key, so it stays a group of its own and keeps all its original columns.

    Args:
        silver: the source rows, with at least the required columns (any extra columns are
            carried into quarantine, never into gold).
    """
    original = F.struct(*[F.col(f"`{name}`") for name in silver.columns])
    valid = is_valid()
    keyed = silver.select(
        *_gold_key_columns(),
        F.when(~valid, F.monotonically_increasing_id()).alias(_REJECT_ID),
        F.col(MEASURE_COLUMN).cast("double").alias(MEASURE_COLUMN),
        F.when(~valid, original).alias(_ROW),
    )
    return keyed.groupBy(*GROUP_KEYS, _REJECT_ID).agg(
        F.count(F.lit(1)).alias(_ROWS),
        F.sum(MEASURE_COLUMN).alias(_SUM),
        F.first(_ROW, ignorenulls=True).alias(_ROW),
    )


def gold_rows(summary: DataFrame) -> DataFrame:
    """The gold rows from a summary: salario_medio = sum / count of the valid rows."""
    return summary.where(F.col(_REJECT_ID).isNull()).select(
        "idade",
        "ativo",
        (F.col(_SUM) / F.col(_ROWS)).alias(AGGREGATE_COLUMN),
        "ano",
        "mes",
    )


def quarantined_rows(summary: DataFrame) -> DataFrame:
    """The rejected rows from a summary: original columns plus `reject_reasons`."""
    rejected = summary.where(F.col(_REJECT_ID).isNotNull())
    return rejected.select(
        f"{_ROW}.*",
        reject_reasons(lambda name: F.col(f"{_ROW}.{name}")).alias(REASONS_COLUMN),
    )


def row_counts(summary: DataFrame) -> tuple[int, int]:
    """(rows read, rows rejected) from a summary, in one small Spark action."""
    totals = summary.agg(
        F.coalesce(F.sum(_ROWS), F.lit(0)).alias("read"),
        F.coalesce(F.sum(F.when(F.col(_REJECT_ID).isNotNull(), F.col(_ROWS))), F.lit(0)).alias("rejected"),
    ).first()
    return int(totals["read"]), int(totals["rejected"])
