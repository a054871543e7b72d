"""Reading the silver table: its partitions fingerprinted from a listing of their files, a
filter that reads only some partitions, each row's origin, and the file that broke a read.

The fingerprints feed `etl.incremental.plan_run`; nothing here writes.
"""

from __future__ import annotations

from typing import Sequence

from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from etl.errors import PipelineError, SilverReadError, describe_failure, unreadable_file
from etl.incremental import PartitionKey, SilverPartition, partition_key_of_folder
from etl.schema import SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN
from etl.storage import LakeFiles


def silver_partitions(
    source: DataFrame, files: LakeFiles
) -> tuple[list[SilverPartition], dict[PartitionKey, list[str]]]:
    """Fingerprint every silver partition the catalog knows, from a listing of its files.

    Returns:
        The partitions with fingerprints, and each partition's file paths.
    """
    by_folder: dict[str, set[str]] = {}
    for path in source.inputFiles():
        folder, _, name = path.rpartition("/")
        by_folder.setdefault(folder, set()).add(name)
    partitions: dict[PartitionKey, list] = {}
    paths: dict[PartitionKey, list[str]] = {}
    for folder, names in by_folder.items():
        key = partition_key_of_folder(folder)
        entries = [e for e in files.list_data_files(folder) if e.name in names]
        partitions.setdefault(key, []).extend((e.name, e.size, e.modified_ms) for e in entries)
        paths.setdefault(key, []).extend(e.path for e in entries)
    return [SilverPartition(key, tuple(sorted(entries))) for key, entries in partitions.items()], paths


def partition_filter(keys: Sequence[PartitionKey]) -> Column:
    """(ano = 2024 AND mes IN (1, 2)) OR ...: shallow, and prunes partitions at listing."""
    months_by_year: dict = {}
    for ano, mes in keys:
        months_by_year.setdefault(ano, []).append(mes)
    condition = F.lit(False)
    for ano, months in months_by_year.items():
        year = F.col("ano").isNull() if ano is None else F.col("ano") == ano
        known = [m for m in months if m is not None]
        month = F.col("mes").isin(known) if known else F.lit(False)
        if None in months:
            month = month | F.col("mes").isNull()
        condition = condition | (year & month)
    return condition


def with_origin(rows: DataFrame, source: str) -> DataFrame:
    """`rows` plus the file each row was read from and its position in that file.

    Spark's Parquet reader gives both as hidden metadata columns (`_metadata.row_index` since
    Spark 3.5): reading them costs nothing beyond the columns the query already reads.
    """
    try:
        return rows.select(
            "*",
            F.col("_metadata.file_path").alias(SOURCE_FILE_COLUMN),
            F.col("_metadata.row_index").alias(SOURCE_ROW_COLUMN),
        )
    except AnalysisException as error:
        raise PipelineError(
            f"cannot tell which file and row a rejected row of {source} came from: Spark does not read it "
            "through its Parquet file source (_metadata.row_index is missing); keep "
            "spark.sql.hive.convertMetastoreParquet on (the default) and use Spark 3.5 or later"
        ) from error


def unreadable_silver(source: str, files: LakeFiles, paths: list[str], error: Exception) -> SilverReadError:
    """Name the file that broke the read when a cheap footer check can find it."""
    for path in paths:
        problem = files.parquet_problem(path)
        if problem:
            return SilverReadError(f"cannot read {source}: {path} {problem}; gold is unchanged")
    named = unreadable_file(error)
    where = f"{named}: " if named else ""
    return SilverReadError(f"cannot read {source}: {where}{describe_failure(error)}; gold is unchanged")
