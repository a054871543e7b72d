"""Spark settings of the job, chosen from measurements (see docs/benchmarks.md).

`JOB_SPARK_SETTINGS` are applied by the job at run time on every platform (Glue or local);
`local_session_settings` are for the session the local backend starts. Standard library
only: these are plain strings.
"""

from __future__ import annotations

from etl.schema import PARQUET_COMPRESSION

# Settings the job needs whatever the cluster's defaults are.
JOB_SPARK_SETTINGS: dict[str, str] = {
    # Replace only the partitions present in the written data.
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "hive.exec.dynamic.partition": "true",
    "hive.exec.dynamic.partition.mode": "nonstrict",
    "spark.sql.parquet.compression.codec": PARQUET_COMPRESSION,
}


def local_session_settings(workers: int) -> dict[str, str]:
    """Spark settings for a local session with `workers` cores."""
    return {
        "spark.driver.memory": "2g",
        "spark.sql.shuffle.partitions": str(max(2, workers * 2)),
        # Above 32 partition folders Spark lists files with a distributed job; on a local
        # disk listing on the driver is ~1 ms a folder and the job costs a second or more.
        "spark.sql.sources.parallelPartitionDiscovery.threshold": "4096",
    }
