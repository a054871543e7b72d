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
API or Spark. The names load on first use (PEP 562's module `__getattr__`): importing boto3 and
botocore took about 0.1 CPU-seconds of every CLI process, and `--help`, the local verbs and the
Pulumi verbs call no AWS API. The imports under TYPE_CHECKING are what the type checker reads;
`_HOME` says where each name lives (tests/automation/test_cli_imports.py holds the two equal).
"""

# ruff: noqa: F401 (the imports under TYPE_CHECKING are the type checker's; `__getattr__` loads the names)
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Each name of __all__ and the module of this package that defines it.
_HOME = {
    "Attempt": "retries",
    "AwsBackend": "backend",
    "AwsOptions": "backend",
    "Check": "doctor_checks",
    "DOCTOR_OUTPUTS": "doctor",
    "DoctorFailed": "doctor",
    "JobRunFailed": "job_runs",
    "JobRunOutcome": "job_runs",
    "JobSettings": "job_runs",
    "Poll": "session",
    "REGISTER_OUTPUTS": "catalog",
    "REJECTS_OUTPUTS": "rejects",
    "RUNS_OUTPUTS": "runs",
    "RUN_ACTIVE_STATES": "job_runs",
    "Stack": "deployed",
    "all_attempts": "retries",
    "describe_job_run": "job_runs",
    "error_message": "session",
    "follow_driver_log": "logs",
    "follow_job_run": "retries",
    "format_bytes": "costs",
    "get_job_run": "job_runs",
    "job_settings": "job_runs",
    "latest_job_run": "job_runs",
    "load_silver": "silver",
    "pipeline_outputs": "backend",
    "register": "catalog",
    "run_doctor": "doctor",
    "run_logs": "logs",
    "run_progress_printer": "retries",
    "run_query": "athena",
    "stack_rejects": "rejects",
    "stack_runs": "runs",
    "start_job_run": "job_runs",
}

__all__ = sorted(_HOME)


if not TYPE_CHECKING:  # the type checker reads the imports above, and so still refuses a name not there

    def __getattr__(name: str) -> Any:
        """Import the module that defines `name` on its first use, and keep the name here."""
        module = _HOME.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value
