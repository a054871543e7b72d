"""The embedded local backend: Spark in local mode, a Hive metastore and a directory lake.

Callers import this package, never its modules:

- `session`: the local Spark session (its JVM's logs in the lake), Ctrl-C (`SparkInterrupt`)
- `lock`: one process per lake (`LakeLock`, `LakeBusy`)
- `backend`: `LocalBackend`, the pipeline's steps on this machine; the sample maker the AWS
  `load-silver` is handed (`generate_sample`)
- `questions`: `query --lake`, `rejects --lake`, `runs --lake` on a lake a run left

No Rich, no boto3 here.
"""

from automation.local.backend import (
    DEFAULT_KEEP_RUNS,
    LocalBackend,
    LocalOptions,
    LocalQueryError,
    generate_sample,
    spark_query,
)
from automation.local.lock import LakeBusy, LakeLock
from automation.local.questions import lake_rejects, lake_runs, query_lake, read_local_report
from automation.local.session import LOCAL_JVM_OPTIONS, SetupError, SparkInterrupt, local_uri, spark_log, start_spark

__all__ = [
    "DEFAULT_KEEP_RUNS",
    "LOCAL_JVM_OPTIONS",
    "LakeBusy",
    "LakeLock",
    "LocalBackend",
    "LocalOptions",
    "LocalQueryError",
    "SetupError",
    "SparkInterrupt",
    "generate_sample",
    "lake_rejects",
    "lake_runs",
    "local_uri",
    "query_lake",
    "read_local_report",
    "spark_log",
    "spark_query",
    "start_spark",
]
