"""Glue job runs of a deployed stack: start, find, wait for, describe (report and cost).

Takes the stack handle (`automation.aws.deployed.Stack`); never builds a session, never
changes the job's definition (Pulumi owns it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from itertools import islice
from typing import Any, Iterator, Sequence

from botocore.exceptions import ClientError

from automation.aws.costs import GlueRunCost, UnknownWorkerType, glue_run_cost, total_glue_cost
from automation.aws.deployed import Stack
from automation.aws.session import AwsError, error_code, error_message, paginate
from automation.outputs import StackOutputs, split_s3_uri
from automation.runs import NAMED_RUNS, named_ids
from etl.report import RunReport
from infra.settings import GLUE_5_DEFAULT_TIMEOUT_MINUTES

# Glue job run states ("AWS Glue job run statuses",
# https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html; EXPIRED from the API's
# JobRunState enum). A run in an active state blocks the next one: the job allows one
# concurrent run (ExecutionProperty.MaxConcurrentRuns = 1).
RUN_ACTIVE_STATES = ("STARTING", "RUNNING", "STOPPING", "WAITING")

RUN_SUCCEEDED = "SUCCEEDED"

RUN_FAILED_STATES = ("FAILED", "TIMEOUT", "ERROR", "STOPPED", "EXPIRED")

# Extra wait beyond the run's own timeout: Glue's start-up (STARTING, WAITING) is not in it.
WAIT_MARGIN_MINUTES = 10

# Glue's timeout for a job that sets none (Job.Timeout and JobRun.Timeout in botocore's Glue
# model, https://docs.aws.amazon.com/glue/latest/webapi/API_Job.html): "the timeout is
# defaulted to 2,880 minutes for Glue version 4.0 and earlier, or 480 minutes for Glue
# version 5.0 and later". The stack's job is Glue 5.0.
DEFAULT_JOB_TIMEOUT_MINUTES = GLUE_5_DEFAULT_TIMEOUT_MINUTES
GLUE_4_DEFAULT_TIMEOUT_MINUTES = 2880


class JobRunFailed(AwsError):
    """A Glue run ended FAILED, TIMEOUT, ERROR, STOPPED or EXPIRED."""


class JobRunNotFound(AwsError):
    """The job has no run of that id."""


class JobAlreadyRunning(AwsError):
    """The job has a run in progress and allows one at a time."""


@dataclass
class JobRunOutcome:
    """A Glue job run as the CLI shows it: Glue's view, the job's own report, the cost."""

    run_id: str
    state: str
    attempt: int = 0  # Glue's `Attempt` of this (the last) attempt
    attempt_number: int = 1  # its place among the run's attempts, from 1
    max_attempts: int = 1  # the job's MaxRetries + 1
    earlier_attempts: list[str] = field(default_factory=list)  # run ids of the failed attempts before it
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

    @property
    def failed(self) -> bool:
        """Ended FAILED, TIMEOUT, ERROR, STOPPED or EXPIRED."""
        return self.state in RUN_FAILED_STATES

    def attempts_text(self) -> str:
        return f"attempt {self.attempt_number} of {max(self.max_attempts, self.attempt_number)}"

    def failure_message(self) -> str:
        """One line for a run that did not succeed."""
        reason = self.error_message or "Glue gave no error message"
        retried = ""
        if self.earlier_attempts:
            retried = f" ({self.attempts_text()}; earlier: {', '.join(self.earlier_attempts)})"
        return (
            f"job run {self.run_id} ended {self.state}{retried}: {reason} "
            f"(driver log: {self.driver_log_group} stream {self.driver_log_stream}; console: {self.console_url})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "state": self.state,
            "attempt": self.attempt,
            "attempt_number": self.attempt_number,
            "max_attempts": self.max_attempts,
            "earlier_attempts": self.earlier_attempts,
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


def job_log_groups(outputs: StackOutputs, run: dict[str, Any] | None = None) -> list[str]:
    """The log groups a run writes to, error group first: `<LogGroupName>/error` and
    `/output` when GetJobRun names its `LogGroupName`, then the stack's outputs.

    `JobRun.LogGroupName` is "/aws-glue/jobs/" by default, or
    "/aws-glue/jobs-<role>-<security configuration>/" when a security configuration
    encrypts the logs (botocore's Glue model,
    https://docs.aws.amazon.com/glue/latest/webapi/API_JobRun.html); Glue 5.0 writes to
    `<prefix>/error` and `<prefix>/output` ("Logging for AWS Glue jobs",
    https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html). Whether
    LogGroupName reflects the job's `--custom-logGroup-prefix` is not documented, so the
    stack's own groups (`jobErrorLogGroup`, `jobOutputLogGroup`) follow as candidates:
    readers skip the groups that do not exist.
    """
    groups: list[str] = []
    base = str((run or {}).get("LogGroupName") or "").rstrip("/")
    if base:
        groups += [f"{base}/error", f"{base}/output"]
    for group in (outputs.job_error_log_group, outputs.job_output_log_group):
        if group and group not in groups:
            groups.append(group)
    return groups


def find_active_run(stack: Stack) -> dict[str, Any] | None:
    """The job's run that is starting, running, stopping or waiting, if any (newest first)."""
    for run in list_job_runs(stack):
        if run.get("JobRunState") in RUN_ACTIVE_STATES:
            return run
    return None


def list_job_runs(stack: Stack) -> Iterator[dict[str, Any]]:
    """The job's runs, newest first (GetJobRuns: "the newest jobs returned first"), every page."""
    try:
        yield from paginate(stack.clients.glue, "get_job_runs", "JobRuns", JobName=stack.outputs.job_name)
    except ClientError as error:
        raise _glue_job_error(stack, error) from None


# How many runs `newest_job_runs` reads before it orders them: Glue's first page (GetJobRuns
# answers up to 200 a page) holds the newest.
NEWEST_SCAN = 200


def newest_job_runs(stack: Stack, limit: int) -> list[dict[str, Any]]:
    """The job's `limit` newest runs, newest first by `StartedOn`: Glue lists the newest first,
    but the order is not relied on (moto's emulator lists them oldest first)."""
    scanned = islice(list_job_runs(stack), max(limit, NEWEST_SCAN))
    return sorted(scanned, key=_started_on, reverse=True)[:limit]


def _started_on(run: dict[str, Any]) -> float:
    started = run.get("StartedOn")
    return started.timestamp() if isinstance(started, datetime) else 0.0


def _glue_job_error(stack: Stack, error: ClientError) -> AwsError:
    job_name = stack.outputs.job_name
    # EntityNotFoundException: "A specified entity does not exist" (GetJobRuns, GetJobRun,
    # StartJobRun: https://docs.aws.amazon.com/glue/latest/webapi/API_GetJobRuns.html).
    if error_code(error) == "EntityNotFoundException":
        return stack.not_deployed(f"the Glue job {job_name!r}")
    return AwsError(f"Glue refused the request for job {job_name!r}: {error_message(error)}")


def start_job_run(stack: Stack, mode: str | None = None, timeout_minutes: int | None = None) -> str:
    """Start the stack's job; return the run id. Refuses while a run is in progress.

    Args:
        mode: `full` or `incremental` as the run's `--mode` (overrides the job's default).
        timeout_minutes: the run's own timeout (Glue stops it with TIMEOUT after it).

    Raises:
        JobAlreadyRunning: naming the run in progress.
    """
    job_name = stack.outputs.job_name
    active = find_active_run(stack)
    if active is not None:
        raise _already_running(job_name, active["Id"], active["JobRunState"])
    request: dict[str, Any] = {"JobName": job_name}
    if mode:
        request["Arguments"] = {"--mode": mode}
    if timeout_minutes:
        request["Timeout"] = timeout_minutes
    try:
        return stack.clients.glue.start_job_run(**request)["JobRunId"]
    except ClientError as error:
        if error_code(error) == "ConcurrentRunsExceededException":
            active = find_active_run(stack)
            raise _already_running(job_name, active["Id"] if active else "(unknown)", "running") from None
        raise _glue_job_error(stack, error) from None


def _already_running(job_name: str, run_id: str, state: str) -> JobAlreadyRunning:
    return JobAlreadyRunning(
        f"job {job_name} already has run {run_id} {state} and allows one run at a time: "
        f"follow it with `status --run-id {run_id} --wait`"
    )


def get_job_run(stack: Stack, run_id: str) -> dict[str, Any]:
    """Glue's JobRun `run_id` of the stack's job."""
    job_name = stack.outputs.job_name
    try:
        return stack.clients.glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"]
    except ClientError as error:
        if error_code(error) == "EntityNotFoundException":
            job_settings(stack)  # a job that is not there says so first
            latest = [run["Id"] for run in newest_job_runs(stack, NAMED_RUNS)]
            raise JobRunNotFound(
                f"job {job_name} has no run {run_id}: its latest runs are {named_ids(latest)}; list them with `runs`"
            ) from None
        raise _glue_job_error(stack, error) from None


def latest_job_run(stack: Stack) -> dict[str, Any]:
    """The job's newest run. Raises AwsError when it never ran."""
    job_name = stack.outputs.job_name
    newest = None
    try:
        for page in stack.clients.glue.get_paginator("get_job_runs").paginate(JobName=job_name):
            runs = page.get("JobRuns", [])
            if runs:  # Glue lists the newest runs first: the first page holds it
                newest = max(runs, key=lambda r: r["StartedOn"].timestamp() if r.get("StartedOn") else 0.0)
                break
    except ClientError as error:
        raise _glue_job_error(stack, error) from None
    if newest is None:
        raise AwsError(f"job {job_name} has no runs yet: start one with `run`")
    return newest


@dataclass(frozen=True)
class JobSettings:
    """What the job's definition says about its runs: how long one may take, how many tries."""

    timeout_minutes: int
    max_attempts: int  # MaxRetries + 1

    def for_run(self, timeout_minutes: int | None) -> JobSettings:
        """The settings of a run started with a timeout of its own (`--timeout-minutes`), if any."""
        return replace(self, timeout_minutes=timeout_minutes) if timeout_minutes else self


def job_settings(stack: Stack) -> JobSettings:
    """The job's timeout (Glue's default for its version when it sets none) and attempts."""
    try:
        job = stack.clients.glue.get_job(JobName=stack.outputs.job_name)["Job"]
    except ClientError as error:
        raise _glue_job_error(stack, error) from None
    if job.get("Timeout"):
        timeout = int(job["Timeout"])
    elif _glue_major(job.get("GlueVersion")) < 5:
        timeout = GLUE_4_DEFAULT_TIMEOUT_MINUTES
    else:
        timeout = DEFAULT_JOB_TIMEOUT_MINUTES
    return JobSettings(timeout, int(job.get("MaxRetries") or 0) + 1)


def _glue_major(version: str | None) -> int:
    try:
        return int(str(version or "5.0").split(".")[0])
    except ValueError:
        return 5


def read_run_report(stack: Stack, run_id: str) -> RunReport | None:
    """The job's own report `<runReportsUri><run id>.json`; None when it is not there."""
    bucket, prefix = split_s3_uri(stack.outputs.run_reports_uri)
    key = f"{prefix}{run_id}.json"
    try:
        body = stack.clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
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


def describe_job_run(
    stack: Stack,
    run: dict[str, Any],
    earlier: Sequence[dict[str, Any]] = (),
    max_attempts: int = 1,
) -> JobRunOutcome:
    """Glue's JobRun of the last attempt plus the job's report and the cost once it is over.

    Args:
        run: the attempt that decides (the last one).
        earlier: the failed attempts before it, oldest first: their cost is added.
        max_attempts: the job's MaxRetries + 1.
    """
    run_id = run["Id"]
    outcome = JobRunOutcome(
        run_id=run_id,
        state=run.get("JobRunState", "UNKNOWN"),
        attempt=int(run.get("Attempt", 0)),
        attempt_number=len(earlier) + 1,
        max_attempts=max(max_attempts, len(earlier) + 1),
        earlier_attempts=[r["Id"] for r in earlier],
        started_on=_iso(run.get("StartedOn")),
        completed_on=_iso(run.get("CompletedOn")) if run.get("JobRunState") not in RUN_ACTIVE_STATES else "",
        execution_seconds=int(run.get("ExecutionTime", 0)),
        worker_type=run.get("WorkerType", ""),
        workers=int(run.get("NumberOfWorkers", 0)),
        error_message=run.get("ErrorMessage", ""),
        arguments=dict(run.get("Arguments", {})),
        driver_log_group=next(iter(job_log_groups(stack.outputs, run)), ""),
        driver_log_stream=driver_stream(run_id),
        console_url=stack.outputs.job_console_url,
    )
    if outcome.finished:
        costs = [_run_cost(attempt, stack.outputs) for attempt in (*earlier, run)]
        known = [cost for cost in costs if cost is not None]
        if len(known) == len(costs):
            outcome.cost = total_glue_cost(known) if len(known) > 1 else known[0]
        # the job publishes its report whether it succeeds or fails
        outcome.report_uri = f"{stack.outputs.run_reports_uri}{run_id}.json"
        outcome.report = read_run_report(stack, run_id)
    return outcome


def _run_cost(run: dict[str, Any], outputs: StackOutputs) -> GlueRunCost | None:
    worker_type, workers = run.get("WorkerType", ""), int(run.get("NumberOfWorkers", 0))
    if not worker_type or not workers:
        return None
    dpu_seconds = run.get("DPUSeconds")
    try:
        return glue_run_cost(
            worker_type,
            workers,
            float(run.get("ExecutionTime", 0) or 0),
            outputs.price_per_dpu_hour,
            dpu_seconds=float(dpu_seconds) if dpu_seconds is not None else None,
        )
    except UnknownWorkerType:
        return None


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")
