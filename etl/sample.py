"""Deterministic sample data for the silver table.

Every value is a hash of the row id and the seed, so the same arguments give the same rows
whatever the number of Spark partitions or cores. A configurable fraction of rows breaks
one quality rule each (null or out-of-range idade, null ativo, null, negative or NaN
salario), so the quality gate has something to catch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pyspark is imported by the generator only: SampleSpec is read without Spark
    from pyspark.sql import Column, DataFrame, SparkSession

# The kinds of invalid row the generator injects, in order of the hash that picks one.
# Written beside generated sample silver: the sample's options, so an unchanged sample is reused
# (`load-silver`); a later upload of other data deletes it (the operator policy grants that delete).
SAMPLE_MARKER = "_sample.json"

INVALID_KINDS = (
    "idade is null",
    "idade outside 0..120",
    "ativo is null",
    "salario is null",
    "salario is negative",
    "salario is NaN",
)


@dataclass(frozen=True)
class SampleSpec:
    """What to generate: rows spread evenly over `months` consecutive months."""

    rows: int = 1_000_000
    months: int = 36
    first_year: int = 2023
    first_month: int = 1
    invalid_fraction: float = 0.01
    seed: int = 42

    def __post_init__(self) -> None:
        if self.rows < 1:
            raise ValueError(f"rows must be at least 1, got {self.rows}")
        if self.months < 1:
            raise ValueError(f"months must be at least 1, got {self.months}")
        if not 1 <= self.first_month <= 12:
            raise ValueError(f"first_month must be 1..12, got {self.first_month}")
        if not 0.0 <= self.invalid_fraction <= 1.0:
            raise ValueError(f"invalid_fraction must be between 0 and 1, got {self.invalid_fraction}")

    def to_dict(self) -> dict:
        return asdict(self)


def _uniform(seed: int, salt: int, modulus: int) -> Column:
    """A deterministic integer in [0, modulus) from the row id."""
    from pyspark.sql import functions as F

    return F.pmod(F.xxhash64(F.col("id"), F.lit(seed), F.lit(salt)), F.lit(modulus))


def generate_silver(spark: SparkSession, spec: SampleSpec, partitions: int | None = None) -> DataFrame:
    """Build the sample silver rows: id, nome, idade, ativo, salario, ano, mes.

    Args:
        spark: the session.
        spec: what to generate.
        partitions: Spark partitions of the id range (does not change the rows).
    """
    from pyspark.sql import functions as F

    partitions = partitions or max(1, spark.sparkContext.defaultParallelism)
    month_index = F.col("id") % spec.months + (spec.first_month - 1)
    invalid = _uniform(spec.seed, 4, 1_000_000) < int(round(spec.invalid_fraction * 1_000_000))
    kind = _uniform(spec.seed, 5, len(INVALID_KINDS))

    def broken(kind_name: str) -> Column:
        return invalid & (kind == INVALID_KINDS.index(kind_name))

    idade = (18 + _uniform(spec.seed, 1, 63)).cast("int")
    ativo = _uniform(spec.seed, 2, 4) != 0  # three in four active
    salario = (1_412 + _uniform(spec.seed, 3, 2_000_000) / 100.0).cast("double")
    return spark.range(0, spec.rows, numPartitions=partitions).select(
        F.col("id"),
        F.concat(F.lit("pessoa-"), F.col("id").cast("string")).alias("nome"),
        F.when(broken("idade is null"), F.lit(None).cast("int"))
        .when(broken("idade outside 0..120"), F.lit(130))
        .otherwise(idade)
        .alias("idade"),
        F.when(broken("ativo is null"), F.lit(None).cast("boolean")).otherwise(ativo).alias("ativo"),
        F.when(broken("salario is null"), F.lit(None).cast("double"))
        .when(broken("salario is negative"), -salario)
        .when(broken("salario is NaN"), F.lit(float("nan")))
        .otherwise(salario)
        .alias("salario"),
        (F.floor(month_index / 12) + spec.first_year).cast("int").alias("ano"),
        (month_index % 12 + 1).cast("int").alias("mes"),
    )


def write_silver(df: DataFrame, path: str, mode: str = "overwrite") -> None:
    """Write sample rows as Parquet laid out in ano=/mes= folders."""
    df.write.mode(mode).partitionBy("ano", "mes").parquet(path)
