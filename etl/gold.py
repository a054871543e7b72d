"""Writing the gold table through Spark's catalog: where it lives, which partitions it lists,
replacing the recomputed partitions, dropping the ones with no silver left.

Never creates or drops the table (Pulumi owns it); a partition's files are deleted only with
its catalog entry, after the run's write.
"""

from __future__ import annotations

import uuid
from typing import Iterable

from pyspark.sql import DataFrame, SparkSession

from etl.errors import PipelineError
from etl.incremental import PartitionKey, parse_partition_spec, partition_spec
from etl.schema import GOLD, PARTITION_KEYS
from etl.storage import LakeFiles, join


def table_location(spark: SparkSession, table: str) -> str:
    """The table's location as the catalog declares it, with one trailing slash."""
    for row in spark.sql(f"DESCRIBE TABLE EXTENDED {table}").collect():
        if row["col_name"] == "Location":
            return _full_uri(row["data_type"]).rstrip("/") + "/"
    raise PipelineError(f"{table} has no location in the catalog: recreate it with one")


def _full_uri(location: str) -> str:
    """`file:/lake/gold` (how Hadoop prints a local path) as `file:///lake/gold`, the form of
    every other location the job reports (its arguments)."""
    if location.startswith("file:/") and not location.startswith("file://"):
        return "file://" + location[len("file:") :]
    return location


def catalog_partitions(spark: SparkSession, table: str) -> list[PartitionKey]:
    """The (ano, mes) partitions the catalog lists for `table`."""
    return [parse_partition_spec(row[0]) for row in spark.sql(f"SHOW PARTITIONS {table}").collect()]


def insert_overwrite(spark: SparkSession, gold: DataFrame, target: str) -> None:
    """Replace the partitions present in `gold`, and only those (dynamic partition overwrite)."""
    # `gold` comes from a summary partitioned on (ano, mes): each gold partition's rows are in
    # one task, so each gets exactly one file, and there is no shuffle before the write.
    view = f"gold_rows_{uuid.uuid4().hex[:8]}"
    gold.createOrReplaceTempView(view)
    data = ", ".join(c.name for c in GOLD.columns)
    keys = ", ".join(c.name for c in GOLD.partition_columns)
    try:
        spark.sql(f"INSERT OVERWRITE TABLE {target} PARTITION ({keys}) SELECT {data}, {keys} FROM {view}")
    finally:
        spark.catalog.dropTempView(view)


def drop_partitions(
    spark: SparkSession, files: LakeFiles, target: str, gold_location: str, keys: Iterable[PartitionKey]
) -> None:
    """Drop each partition from the catalog, then delete its files."""
    for key in keys:
        # Gold never has a null partition value: such rows are quarantined.
        spec = ", ".join(f"{name} = {int(value)}" for name, value in zip(PARTITION_KEYS, key, strict=True))
        spark.sql(f"ALTER TABLE {target} DROP IF EXISTS PARTITION ({spec})")
        # The table is external: its files outlive the catalog entry, and a crawler or
        # MSCK REPAIR would bring the partition back.
        files.delete(join(gold_location, partition_spec(key)))
