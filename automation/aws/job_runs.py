"""Glue job runs of a deployed stack: start, find, wait for, describe (report and cost).

Takes clients (`automation.aws.session.AwsClients`) and the stack's outputs; never builds a
session, never changes the job's definition (Pulumi owns it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Callable, Iterable

from botocore.exceptions import ClientError

from automation.aws.costs import GlueRunCost, UnknownWorkerType, glue_run_cost
from automation.aws.session import AwsClients, AwsError, Poll, error_code, error_message, paginate, wait_for
from automation.outputs import StackOutputs, split_s3_uri
from automation.pipeline import Notify
from etl.report import RunReport
from infra import outputs as out

# Glue job run states ("AWS Glue job run statuses",
# https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html; EXPIRED from the API's
# JobRunState enum). A run in an active state blocks the next one: the job allows one
# concurrent run (ExecutionProperty.MaxConcurrentRuns = 1).
RUN_ACTIVE_STATES = ("STARTING", "RUNNING", "STOPPING", "WAITING")

RUN_SUCCEEDED = "SUCCEEDED"

RUN_FAILED_STATES = ("FAILED", "TIMEOUT", "ERROR", "STOPPED", "EXPIRED")

# Extra wait beyond the run's own timeout: Glue's start-up (STARTING, WAITING) is not in it.
WAIT_MARGIN_MINUTES = 10

DEFAULT_JOB_TIMEOUT_MINUTES = 2880  # Glue's default when a job sets none


class JobRunFailed(AwsError):
    """A Glue run ended FAILED, TIMEOUT, ERROR, STOPPED or EXPIRED."""


class JobAlreadyRunning(AwsError):
    """The job has a run in progress and allows one at a time."""


@dataclass
class JobRunOutcome:
    """A Glue job run as the CLI shows it: Glue's view, the job's own report, the cost."""

    run_id: str
    state: str
    attempt: int = 0
    started_on: str = ""
    completed_on: str = ""
    execution_seconds: int = 0
    worker_type: str = ""
    workers: int = 0
    error_message: str = ""
    arguments: dict[str, str] = field(default_factory=dict)
    report: RunReport | None = None
    report_uri: str = ""
    cost: GlueRunCost | None = None
    driver_log_group: str = ""
    driver_log_stream: str = ""
    console_url: str = ""

    @property
    def succeeded(self) -> bool:
        return self.state == RUN_SUCCEEDED

    @property
    def finished(self) -> bool:
        return self.state not in RUN_ACTIVE_STATES

    def failure_message(self) -> str:
        """One line for a run that did not succeed."""
        reason = self.error_message or "Glue gave no error message"
        return (
            f"job run {self.run_id} ended {self.state}: {reason} "
            f"(driver log: {self.driver_log_group} stream {self.driver_log_stream}; console: {self.console_url})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "state": self.state,
            "attempt": self.attempt,
            "started_on": self.started_on,
            "completed_on": self.completed_on,
            "execution_seconds": self.execution_seconds,
            "worker_type": self.worker_type,
            "workers": self.workers,
            "error_message": self.error_message,
            "arguments": self.arguments,
            "report": self.report.to_dict() if self.report else None,
            "report_uri": self.report_uri,
            "cost": self.cost.to_dict() if self.cost else None,
            "driver_log_group": self.driver_log_group,
            "driver_log_stream": self.driver_log_stream,
            "console_url": self.console_url,
        }


def driver_stream(run_id: str) -> str:
    """The driver's log stream of a Glue 5.0 run: `<run id>-driver`; executors log to
    `<run id>-<executor id>` ("Logging for AWS Glue jobs",
    https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html)."""
    return f"{run_id}-driver"


def find_active_run(clients: AwsClients, job_name: str) -> dict[str, Any] | None:
    """The job's run that is starting, running, stopping or waiting, if any (newest first)."""
    for run in _job_runs(clients, job_name):
        if run.get("JobRunState") in RUN_ACTIVE_STATES:
            return run
    return None


def _job_runs(clients: AwsClients, job_name: str) -> Iterable[dict[str, Any]]:
    try:
        yield from paginate(clients.glue, "get_job_runs", "JobRuns", JobName=job_name)
    except ClientError as error:
        raise _glue_job_error(clients, error, job_name) from None


def _glue_job_error(clients: AwsClients, error: ClientError, job_name: str) -> AwsError:
    # EntityNotFoundException: "A specified entity does not exist" (GetJobRuns, GetJobRun,
    # StartJobRun: https://docs.aws.amazon.com/glue/latest/webapi/API_GetJobRuns.html).
    if error_code(error) == "EntityNotFoundException":
        return clients.not_deployed(f"the Glue job {job_name!r}")
    return AwsError(f"Glue refused the request for job {job_name!r}: {error_message(error)}")


def start_job_run(
    clients: AwsClients, outputs: StackOutputs, mode: str | None = None, timeout_minutes: int | None = None
) -> str:
    """Start the stack's job; return the run id. Refuses while a run is in progress.

    Args:
        mode: `full` or `incremental` as the run's `--mode` (overrides the job's default).
        timeout_minutes: the run's own timeout (Glue stops it with TIMEOUT after it).

    Raises:
        JobAlreadyRunning: naming the run in progress.
    """
    job_name = outputs[out.JOB_NAME]
    active = find_active_run(clients, job_name)
    if active is not None:
        raise _already_running(job_name, active["Id"], active["JobRunState"])
    request: dict[str, Any] = {"JobName": job_name}
    if mode:
        request["Arguments"] = {"--mode": mode}
    if timeout_minutes:
        request["Timeout"] = timeout_minutes
    try:
        return clients.glue.start_job_run(**request)["JobRunId"]
    except ClientError as error:
        if error_code(error) == "ConcurrentRunsExceededException":
            active = find_active_run(clients, job_name)
            raise _already_running(job_name, active["Id"] if active else "(unknown)", "running") from None
        raise _glue_job_error(clients, error, job_name) from None


def _already_running(job_name: str, run_id: str, state: str) -> JobAlreadyRunning:
    return JobAlreadyRunning(
        f"job {job_name} already has run {run_id} {state} and allows one run at a time: "
        f"follow it with `status --run-id {run_id} --wait`"
    )


def get_job_run(clients: AwsClients, job_name: str, run_id: str) -> dict[str, Any]:
    try:
        return clients.glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"]
    except ClientError as error:
        if error_code(error) == "EntityNotFoundException":
            job_timeout_minutes(clients, job_name)  # a job that is not there says so first
            raise AwsError(f"job {job_name} has no run {run_id}") from None
        raise _glue_job_error(clients, error, job_name) from None


def latest_job_run(clients: AwsClients, job_name: str) -> dict[str, Any]:
    """The job's newest run. Raises AwsError when it never ran."""
    newest = None
    try:
        for page in clients.glue.get_paginator("get_job_runs").paginate(JobName=job_name):
            runs = page.get("JobRuns", [])
            if runs:  # Glue lists the newest runs first: the first page holds it
                newest = max(runs, key=lambda r: r["StartedOn"].timestamp() if r.get("StartedOn") else 0.0)
                break
    except ClientError as error:
        raise _glue_job_error(clients, error, job_name) from None
    if newest is None:
        raise AwsError(f"job {job_name} has no runs yet: start one with `run`")
    return newest


def wait_for_job_run(
    clients: AwsClients,
    job_name: str,
    run_id: str,
    timeout_minutes: float,
    on_poll: Callable[[Poll], None] | None = None,
) -> dict[str, Any]:
    """Poll the run until it leaves the active states; return Glue's JobRun."""
    return wait_for(
        f"job run {run_id} of {job_name} to finish",
        lambda: get_job_run(clients, job_name, run_id),
        lambda run: run.get("JobRunState") not in RUN_ACTIVE_STATES,
        timeout=timeout_minutes * 60,
        on_poll=on_poll,
        first_delay=2.0,
        max_delay=30.0,
    )


def job_timeout_minutes(clients: AwsClients, job_name: str) -> int:
    """The job's own timeout (minutes), from its definition."""
    try:
        job = clients.glue.get_job(JobName=job_name)["Job"]
    except ClientError as error:
        raise _glue_job_error(clients, error, job_name) from None
    return int(job.get("Timeout") or DEFAULT_JOB_TIMEOUT_MINUTES)


def read_run_report(clients: AwsClients, reports_uri: str, run_id: str) -> RunReport | None:
    """The job's own report `<runReportsUri><run id>.json`; None when it is not there."""
    bucket, prefix = split_s3_uri(reports_uri)
    key = f"{prefix}{run_id}.json"
    try:
        body = clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error_code(error) in ("NoSuchKey", "404", "NotFound"):
            return None
        raise AwsError(f"cannot read the run report s3://{bucket}/{key}: {error_message(error)}") from None
    return report_from_json(body)


def report_from_json(text: str | bytes) -> RunReport:
    """A RunReport from the job's JSON (derived keys such as reject_ratio are dropped)."""
    document = json.loads(text)
    names = {f.name for f in fields(RunReport)}
    return RunReport(**{key: value for key, value in document.items() if key in names})


def describe_job_run(clients: AwsClients, outputs: StackOutputs, run: dict[str, Any]) -> JobRunOutcome:
    """Glue's JobRun plus the job's report and the cost once the run is over."""
    run_id = run["Id"]
    outcome = JobRunOutcome(
        run_id=run_id,
        state=run.get("JobRunState", "UNKNOWN"),
        attempt=int(run.get("Attempt", 0)),
        started_on=_iso(run.get("StartedOn")),
        completed_on=_iso(run.get("CompletedOn")) if run.get("JobRunState") not in RUN_ACTIVE_STATES else "",
        execution_seconds=int(run.get("ExecutionTime", 0)),
        worker_type=run.get("WorkerType", ""),
        workers=int(run.get("NumberOfWorkers", 0)),
        error_message=run.get("ErrorMessage", ""),
        arguments=dict(run.get("Arguments", {})),
        driver_log_group=outputs.get(out.JOB_ERROR_LOG_GROUP, ""),
        driver_log_stream=driver_stream(run_id),
        console_url=outputs.get(out.JOB_CONSOLE_URL, ""),
    )
    if outcome.finished and outcome.worker_type and outcome.workers:
        try:
            outcome.cost = glue_run_cost(
                outcome.worker_type,
                outcome.workers,
                outcome.execution_seconds,
                float(outputs[out.PRICE_PER_DPU_HOUR]),
            )
        except UnknownWorkerType:
            outcome.cost = None
    if outcome.finished:  # the job publishes its report whether it succeeds or fails
        reports = outputs.uri(out.REPORTS_URI)
        outcome.report_uri = f"{reports}{run_id}.json"
        outcome.report = read_run_report(clients, reports, run_id)
    return outcome


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")


def run_progress_printer(progress: Notify) -> Callable[[Poll], None]:
    """A poll callback that reports the run's state when it changes (state, elapsed, attempt)."""
    last: dict[str, str] = {}

    def on_poll(poll: Poll) -> None:
        run = poll.value
        state = run.get("JobRunState", "?")
        if last.get("state") != state:
            last["state"] = state
            progress(f"run {run['Id']}: {state} after {poll.elapsed:.0f} s (attempt {run.get('Attempt', 0)})")

    return on_poll
