"""The silver -> gold transformation: DataFrames in, DataFrames out.

No I/O, no session creation, no argument parsing here.

`summarize` makes one pass that aggregates the valid rows (sum and count of salario per
idade, ativo, ano, mes) and counts every row, so rows read and rejected need no other
scan; the caller caches that small summary and derives gold from it. `quarantined_rows`
is a second, filtered pass, run only when something was rejected. `aggregate` is the
plain transformation on valid rows.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from etl.quality import is_valid, reject_reasons
from etl.schema import AGGREGATE_COLUMN, GOLD, GROUP_KEYS, MEASURE_COLUMN, REASONS_COLUMN

_ROWS = "_rows"
_VALID_ROWS = "_valid_rows"
_SUM = "_salario_sum"


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
    """One pass over silver: per (idade, ativo, ano, mes), the sum and count of salario over
    valid rows and the count of all rows (so rows read and rejected come from it too).

    Only flat numeric buffers: Spark keeps this a hash aggregate with partial aggregation.
    (Carrying each rejected row through the aggregate as a struct forced a sort-based
    aggregate and cost 5x the scan; see docs/benchmarks.md.)
    """
    valid = is_valid()
    keyed = silver.select(
        *_gold_key_columns(),
        F.when(valid, F.col(MEASURE_COLUMN).cast("double")).alias(MEASURE_COLUMN),
        valid.alias("_valid"),
    )
    return keyed.groupBy(*GROUP_KEYS).agg(
        F.count(F.lit(1)).alias(_ROWS),
        F.count(F.when(F.col("_valid"), F.lit(1))).alias(_VALID_ROWS),
        F.sum(MEASURE_COLUMN).alias(_SUM),
    )


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


def row_counts(summary: DataFrame) -> tuple[int, int]:
    """(rows read, rows rejected) from a summary, in one small Spark action."""
    totals = summary.agg(
        F.coalesce(F.sum(_ROWS), F.lit(0)).alias("read"),
        F.coalesce(F.sum(F.col(_ROWS) - F.col(_VALID_ROWS)), F.lit(0)).alias("rejected"),
    ).first()
    return int(totals["read"]), int(totals["rejected"])
