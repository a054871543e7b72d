"""The sample's first definition, as Spark expressions: the reference the numpy generator
(`etl.sample.write_sample`) is held to, row for row (tests/etl/test_sample.py), and the maker
of the Spark tests' datasets with several files per partition (one per Spark task)."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from etl.sample import INVALID_KINDS, SampleSpec


def _uniform(seed: int, salt: int, modulus: int) -> Column:
    """A deterministic integer in [0, modulus) from the row id."""
    return F.pmod(F.xxhash64(F.col("id"), F.lit(seed), F.lit(salt)), F.lit(modulus))


def generate_silver(spark: SparkSession, spec: SampleSpec) -> DataFrame:
    """Build the sample silver rows: id, nome, idade, ativo, salario, ano, mes, over one Spark
    partition of the id range per core (so written, several files per month)."""
    partitions = max(1, spark.sparkContext.defaultParallelism)
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
