"""The AWS backend: operations on a deployed stack, one module per service or concern.

Product code imports this package, never its modules, so its inside can be reorganised
freely (tests may import the modules):

- `session`: the one boto3 session and its clients (standard retries), waits, paging
- `deployed`: `Stack`, the handle every operation takes: the stack's typed outputs and the
  clients of a session in its region
- `job_runs`: start, find and describe Glue job runs (report, cost, log groups)
- `retries`: wait for a run to its last attempt (Glue's retries followed), progress lines
- `catalog`: gold partitions in the Glue catalog against S3; register by job, crawler or MSCK
- `athena`: queries in the stack's workgroup and what they cost
- `logs`: a run's log streams, their ERROR lines, the driver's log followed
- `silver`: upload silver data and register its partitions
- `rejects`: what a run rejected and why, from the stack's rejects table through Athena
- `runs`: the job's recent runs with their reports and costs (`runs`)
- `costs`: Glue and Athena cost arithmetic (pure)
- `doctor`, `doctor_checks`, `needs`: the account against the stack, read-only (the checks
  and the simulator's questions pure)
- `backend`: `AwsBackend`, the pipeline's steps on a stack

`__all__` is what the CLI uses, and nothing more. Nothing here imports Rich, the Automation
API or Spark.
"""

from automation.aws.athena import run_query
from automation.aws.backend import AwsBackend, AwsOptions, pipeline_outputs
from automation.aws.catalog import REGISTER_OUTPUTS, register
from automation.aws.costs import format_bytes
from automation.aws.deployed import Stack
from automation.aws.doctor import DOCTOR_OUTPUTS, DoctorFailed, run_doctor
from automation.aws.doctor_checks import Check
from automation.aws.job_runs import (
    RUN_ACTIVE_STATES,
    JobRunFailed,
    JobRunOutcome,
    JobSettings,
    describe_job_run,
    get_job_run,
    job_settings,
    latest_job_run,
    start_job_run,
)
from automation.aws.logs import follow_driver_log, run_logs
from automation.aws.rejects import REJECTS_OUTPUTS, stack_rejects
from automation.aws.retries import Attempt, all_attempts, follow_job_run, run_progress_printer
from automation.aws.runs import RUNS_OUTPUTS, stack_runs
from automation.aws.session import Poll, error_message
from automation.aws.silver import load_silver

__all__ = [
    "DOCTOR_OUTPUTS",
    "REGISTER_OUTPUTS",
    "REJECTS_OUTPUTS",
    "RUNS_OUTPUTS",
    "RUN_ACTIVE_STATES",
    "Attempt",
    "AwsBackend",
    "AwsOptions",
    "Check",
    "DoctorFailed",
    "JobRunFailed",
    "JobRunOutcome",
    "JobSettings",
    "Poll",
    "Stack",
    "all_attempts",
    "describe_job_run",
    "error_message",
    "follow_driver_log",
    "follow_job_run",
    "format_bytes",
    "get_job_run",
    "job_settings",
    "latest_job_run",
    "load_silver",
    "pipeline_outputs",
    "register",
    "run_doctor",
    "run_logs",
    "run_progress_printer",
    "run_query",
    "stack_rejects",
    "stack_runs",
    "start_job_run",
]
