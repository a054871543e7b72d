"""The AWS backend: operations on a deployed stack, one module per service or concern.

Callers import this package, never its modules, so its inside can be reorganised freely:

- `session`: the one boto3 session and its clients (standard retries), waits, paging
- `job_runs`: start, find and describe Glue job runs (report, cost, log groups)
- `retries`: wait for a run to its last attempt (Glue's retries followed), progress lines
- `catalog`: gold partitions in the Glue catalog against S3; register by job, crawler or MSCK
- `athena`: queries in the stack's workgroup and what they cost
- `logs`: a run's log streams, their ERROR lines, the driver's log followed
- `silver`: upload silver data and register its partitions
- `rejects`: what a run rejected and why, from the stack's rejects table through Athena
- `costs`: Glue and Athena cost arithmetic (pure)
- `doctor`, `doctor_checks`, `needs`: the account against the stack, read-only (the checks
  and the simulator's questions pure)
- `backend`: `AwsBackend`, the pipeline's steps on a stack

Everything here takes clients and the stack's outputs (`automation.outputs.StackOutputs`);
nothing here imports Rich, the Automation API or Spark.
"""

from automation.aws.athena import QUERY_DONE_STATES, QueryFailed, QueryOutcome, run_query
from automation.aws.backend import PIPELINE_OUTPUTS, AwsBackend, AwsOptions, Deploy
from automation.aws.catalog import (
    CRAWL_OK_STATES,
    REGISTER_OUTPUTS,
    CrawlerBusy,
    CrawlFailed,
    RegisterOutcome,
    catalog_partitions,
    crawl_partition_changes,
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
    total_glue_cost,
)
from automation.aws.doctor import DOCTOR_OUTPUTS, DoctorFailed, run_doctor, simulation_requests
from automation.aws.doctor_checks import Check, DoctorReport
from automation.aws.job_runs import (
    DEFAULT_JOB_TIMEOUT_MINUTES,
    RUN_ACTIVE_STATES,
    RUN_FAILED_STATES,
    RUN_SUCCEEDED,
    WAIT_MARGIN_MINUTES,
    JobAlreadyRunning,
    JobRunFailed,
    JobRunOutcome,
    JobSettings,
    describe_job_run,
    driver_stream,
    find_active_run,
    get_job_run,
    job_log_groups,
    job_settings,
    job_timeout_minutes,
    latest_job_run,
    list_job_runs,
    read_run_report,
    report_from_json,
    start_job_run,
)
from automation.aws.logs import ERROR_FILTER_PATTERN, ERROR_LINE, RunLogs, StreamSummary, follow_driver_log, run_logs
from automation.aws.needs import Need, job_role_needs, operator_needs
from automation.aws.rejects import REJECTS_OUTPUTS, job_max_reject_ratio, stack_rejects, stack_rejects_table
from automation.aws.retries import (
    RETRY_GRACE_SECONDS,
    RUN_RETRIED_STATES,
    Attempt,
    all_attempts,
    earlier_attempts,
    find_retry,
    run_progress_printer,
    wait_for_job_run,
)
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
    upload_encryption,
    upload_silver,
)

__all__ = [
    "BATCH_CREATE_PARTITION_LIMIT",
    "CRAWL_OK_STATES",
    "DEFAULT_JOB_TIMEOUT_MINUTES",
    "DOCTOR_OUTPUTS",
    "ERROR_FILTER_PATTERN",
    "ERROR_LINE",
    "REGISTER_OUTPUTS",
    "PIPELINE_OUTPUTS",
    "QUERY_DONE_STATES",
    "REJECTS_OUTPUTS",
    "RETRY_GRACE_SECONDS",
    "RUN_ACTIVE_STATES",
    "RUN_FAILED_STATES",
    "RUN_RETRIED_STATES",
    "RUN_SUCCEEDED",
    "WAIT_MARGIN_MINUTES",
    "AthenaQueryCost",
    "Attempt",
    "AwsBackend",
    "AwsClients",
    "AwsError",
    "AwsOptions",
    "Check",
    "CrawlFailed",
    "CrawlerBusy",
    "Deploy",
    "DoctorFailed",
    "DoctorReport",
    "GlueRunCost",
    "JobAlreadyRunning",
    "JobRunFailed",
    "JobRunOutcome",
    "JobSettings",
    "Need",
    "Poll",
    "QueryFailed",
    "QueryOutcome",
    "RegisterOutcome",
    "RunLogs",
    "SampleMaker",
    "SilverLoadOutcome",
    "StreamSummary",
    "UnknownWorkerType",
    "WaitTimeout",
    "all_attempts",
    "athena_billed_bytes",
    "athena_query_cost",
    "build_session",
    "catalog_partitions",
    "check_silver_table",
    "crawl_partition_changes",
    "describe_job_run",
    "dpus_for",
    "driver_stream",
    "earlier_attempts",
    "error_code",
    "error_message",
    "find_active_run",
    "find_retry",
    "follow_driver_log",
    "format_bytes",
    "get_job_run",
    "glue_billed_seconds",
    "glue_run_cost",
    "gold_layout",
    "job_log_groups",
    "job_role_needs",
    "job_max_reject_ratio",
    "job_settings",
    "job_timeout_minutes",
    "last_crawl_summary",
    "latest_job_run",
    "list_job_runs",
    "load_silver",
    "operator_needs",
    "paginate",
    "pending_uploads",
    "read_run_report",
    "register",
    "register_silver_partitions",
    "register_with_crawler",
    "register_with_job",
    "register_with_msck",
    "report_from_json",
    "run_doctor",
    "run_logs",
    "run_progress_printer",
    "run_query",
    "s3_data_files",
    "simulation_requests",
    "stack_rejects",
    "stack_rejects_table",
    "silver_objects",
    "start_job_run",
    "total_glue_cost",
    "upload_encryption",
    "upload_silver",
    "wait_for",
    "wait_for_job_run",
]
