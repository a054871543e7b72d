"""The AWS backend: operations on a deployed stack, one module per service or concern.

Callers import this package, never its modules, so its inside can be reorganised freely:

- `session`: the one boto3 session and its clients (standard retries), waits, paging
- `job_runs`: start, find, wait for and describe Glue job runs (report and cost)
- `catalog`: gold partitions in the Glue catalog against S3; register by job, crawler or MSCK
- `athena`: queries in the stack's workgroup and what they cost
- `logs`: a run's log streams, their ERROR lines, the driver's log followed
- `silver`: upload silver data and register its partitions
- `costs`: Glue and Athena cost arithmetic (pure)
- `backend`: `AwsBackend`, the pipeline's steps on a stack

Everything here takes clients and the stack's outputs (`automation.outputs.StackOutputs`);
nothing here imports Rich, the Automation API or Spark.
"""

from automation.aws.athena import QUERY_DONE_STATES, QueryFailed, QueryOutcome, run_query
from automation.aws.backend import METHOD_OUTPUTS, PIPELINE_OUTPUTS, AwsBackend, AwsOptions, Deploy
from automation.aws.catalog import (
    CRAWL_OK_STATES,
    CrawlerBusy,
    CrawlFailed,
    RegisterOutcome,
    catalog_partitions,
    gold_layout,
    last_crawl_summary,
    register,
    register_with_crawler,
    register_with_job,
    register_with_msck,
    s3_data_files,
)
from automation.aws.costs import (
    AthenaQueryCost,
    GlueRunCost,
    UnknownWorkerType,
    athena_billed_bytes,
    athena_query_cost,
    dpus_for,
    format_bytes,
    glue_billed_seconds,
    glue_run_cost,
)
from automation.aws.job_runs import (
    DEFAULT_JOB_TIMEOUT_MINUTES,
    RUN_ACTIVE_STATES,
    RUN_FAILED_STATES,
    RUN_SUCCEEDED,
    WAIT_MARGIN_MINUTES,
    JobAlreadyRunning,
    JobRunFailed,
    JobRunOutcome,
    describe_job_run,
    driver_stream,
    find_active_run,
    get_job_run,
    job_timeout_minutes,
    latest_job_run,
    read_run_report,
    report_from_json,
    run_progress_printer,
    start_job_run,
    wait_for_job_run,
)
from automation.aws.logs import ERROR_LINE, StreamSummary, follow_driver_log, run_log_streams
from automation.aws.session import (
    AwsClients,
    AwsError,
    Poll,
    WaitTimeout,
    build_session,
    error_code,
    error_message,
    paginate,
    wait_for,
)
from automation.aws.silver import (
    BATCH_CREATE_PARTITION_LIMIT,
    SampleMaker,
    SilverLoadOutcome,
    check_silver_table,
    load_silver,
    pending_uploads,
    register_silver_partitions,
    silver_objects,
    upload_silver,
)

__all__ = [
    "ERROR_LINE",
    "BATCH_CREATE_PARTITION_LIMIT",
    "CRAWL_OK_STATES",
    "DEFAULT_JOB_TIMEOUT_MINUTES",
    "METHOD_OUTPUTS",
    "PIPELINE_OUTPUTS",
    "QUERY_DONE_STATES",
    "RUN_ACTIVE_STATES",
    "RUN_FAILED_STATES",
    "RUN_SUCCEEDED",
    "WAIT_MARGIN_MINUTES",
    "AthenaQueryCost",
    "AwsBackend",
    "AwsClients",
    "AwsError",
    "AwsOptions",
    "CrawlFailed",
    "CrawlerBusy",
    "Deploy",
    "GlueRunCost",
    "JobAlreadyRunning",
    "JobRunFailed",
    "JobRunOutcome",
    "Poll",
    "QueryFailed",
    "QueryOutcome",
    "RegisterOutcome",
    "SampleMaker",
    "SilverLoadOutcome",
    "StreamSummary",
    "UnknownWorkerType",
    "WaitTimeout",
    "athena_billed_bytes",
    "athena_query_cost",
    "dpus_for",
    "glue_billed_seconds",
    "build_session",
    "catalog_partitions",
    "check_silver_table",
    "describe_job_run",
    "driver_stream",
    "error_code",
    "error_message",
    "find_active_run",
    "follow_driver_log",
    "format_bytes",
    "get_job_run",
    "glue_run_cost",
    "gold_layout",
    "job_timeout_minutes",
    "last_crawl_summary",
    "latest_job_run",
    "load_silver",
    "paginate",
    "pending_uploads",
    "read_run_report",
    "register",
    "register_silver_partitions",
    "register_with_crawler",
    "register_with_job",
    "register_with_msck",
    "report_from_json",
    "run_log_streams",
    "run_progress_printer",
    "run_query",
    "s3_data_files",
    "silver_objects",
    "start_job_run",
    "upload_silver",
    "wait_for",
    "wait_for_job_run",
]
