"""Waiting for a Glue job run to its last attempt: a run that fails and that Glue retries
goes on as a new run, and the wait, the progress and the result follow it.

A job with MaxRetries N retries a run that fails up to N times ("The maximum number of
times to retry this job after a JobRun fails", Job.MaxRetries); each retry is a new JobRun
with its own id, its `PreviousRunId` naming the attempt before it and `Attempt` its number
(JobRun in botocore's Glue model, https://docs.aws.amazon.com/glue/latest/webapi/API_JobRun.html).
Takes the stack handle; never starts or stops a run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from automation.aws.deployed import Stack
from automation.aws.job_runs import (
    RUN_ACTIVE_STATES,
    WAIT_MARGIN_MINUTES,
    JobRunOutcome,
    JobSettings,
    describe_job_run,
    get_job_run,
    list_job_runs,
)
from automation.aws.session import Poll, wait_for
from automation.pipeline import Notify

# A run stopped by a user or expired is not a failure Glue retries.
RUN_RETRIED_STATES = ("FAILED", "TIMEOUT", "ERROR")
# How long a failed attempt with retries left is watched for its retry to appear before
# it counts as the last one: our margin, not an AWS figure.
RETRY_GRACE_SECONDS = 120


def find_retry(stack: Stack, run_id: str) -> dict[str, Any] | None:
    """The run Glue started to retry `run_id` (its `PreviousRunId`), if there is one yet."""
    for run in list_job_runs(stack):  # newest first: a retry is among the latest
        if run.get("PreviousRunId") == run_id:
            return run
    return None


def earlier_attempts(stack: Stack, run: dict[str, Any]) -> list[dict[str, Any]]:
    """The attempts before `run`, oldest first, through their `PreviousRunId` links."""
    chain: list[dict[str, Any]] = []
    previous = run.get("PreviousRunId")
    while previous and len(chain) < 100 and previous not in {r["Id"] for r in chain}:
        earlier = get_job_run(stack, previous)
        chain.insert(0, earlier)
        previous = earlier.get("PreviousRunId")
    return chain


def all_attempts(stack: Stack, run: dict[str, Any]) -> list[dict[str, Any]]:
    """`run` with the attempts before it and the retries Glue started after it, oldest first."""
    chain = [*earlier_attempts(stack, run), run]
    while chain[-1].get("JobRunState") in RUN_RETRIED_STATES and len(chain) < 100:
        retry = find_retry(stack, chain[-1]["Id"])
        if retry is None:
            break
        chain.append(retry)
    return chain


@dataclass(frozen=True)
class Attempt:
    """One look at the attempt being waited for: Glue's JobRun and its place in the chain."""

    run: dict[str, Any]
    number: int  # from 1
    of: int  # the job's MaxRetries + 1
    retried: dict[str, Any] | None = None  # the attempt that just failed, when this look found its retry

    @property
    def state(self) -> str:
        return self.run.get("JobRunState", "?")

    def describe(self, number: int | None = None) -> str:
        number = self.number if number is None else number
        return f"attempt {number} of {max(self.of, number)}"


class _AttemptChain:
    """Follows a run to its last attempt: when an attempt fails with retries left, looks for
    the retry Glue starts (GetJobRuns, by `PreviousRunId`) and follows that one; an attempt
    whose retry does not appear within the grace period is the last."""

    def __init__(self, stack: Stack, run_id: str, max_attempts: int, grace: float, clock: Callable[[], float]):
        self.stack, self.max_attempts, self.grace = stack, max_attempts, grace
        self.clock = clock
        self.runs: list[dict[str, Any]] = [{"Id": run_id}]
        self.started = False
        self.failed_since: float | None = None

    def look(self) -> Attempt:
        run = get_job_run(self.stack, self.runs[-1]["Id"])
        if not self.started:  # a retry handed in by id: its earlier attempts count too
            self.runs = [*earlier_attempts(self.stack, run), run]
            self.started = True
        self.runs[-1] = run
        retried = None
        if self._may_retry(run):
            retry = find_retry(self.stack, run["Id"])
            if retry is None:
                if self.failed_since is None:
                    self.failed_since = self.clock()
            else:
                retried, run = run, retry
                self.runs.append(retry)
                self.failed_since = None
        return Attempt(run, len(self.runs), self.max_attempts, retried)

    def done(self, attempt: Attempt) -> bool:
        if attempt.state in RUN_ACTIVE_STATES:
            return False
        if not self._may_retry(attempt.run):
            return True
        return self.failed_since is not None and self.clock() - self.failed_since >= self.grace

    def _may_retry(self, run: dict[str, Any]) -> bool:
        return run.get("JobRunState") in RUN_RETRIED_STATES and len(self.runs) < self.max_attempts


def wait_for_job_run(
    stack: Stack,
    run_id: str,
    timeout_minutes: float,
    on_poll: Callable[[Poll], None] | None = None,
    max_attempts: int = 1,
    retry_grace_seconds: float = RETRY_GRACE_SECONDS,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> list[dict[str, Any]]:
    """Poll the run, and the retries Glue starts when it fails, until the last attempt ends.

    Args:
        timeout_minutes: the whole wait, every attempt included.
        on_poll: told about every look; its `Poll.value` is an `Attempt`.
        max_attempts: the job's MaxRetries + 1 (`job_settings`).
        sleep, clock: `time.sleep` and `time.monotonic` unless handed in (tests hand in a fake
            clock, so waiting out the retry grace takes no time).

    Returns:
        Every attempt's JobRun, oldest first; the last is the one that decides.
    """
    clock = clock or time.monotonic
    chain = _AttemptChain(stack, run_id, max_attempts, retry_grace_seconds, clock)
    wait_for(
        f"job run {run_id} of {stack.outputs.job_name} to finish",
        chain.look,
        chain.done,
        timeout=timeout_minutes * 60,
        on_poll=on_poll,
        first_delay=2.0,
        max_delay=30.0,
        sleep=sleep,
        clock=clock,
    )
    return chain.runs


def follow_job_run(
    stack: Stack, run_id: str, settings: JobSettings, on_poll: Callable[[Poll], None] | None = None
) -> JobRunOutcome:
    """Wait for the run and the retries Glue starts, each attempt allowed the settings' timeout
    (Glue's retries are runs of their own), then describe the last attempt: its state and
    report, and what every attempt cost.

    Args:
        settings: the job's (`job_settings`), or a run's own timeout (`JobSettings.for_run`).
        on_poll: told about every look; its `Poll.value` is an `Attempt`.
    """
    timeout = settings.timeout_minutes * settings.max_attempts + WAIT_MARGIN_MINUTES
    attempts = wait_for_job_run(stack, run_id, timeout, on_poll, settings.max_attempts)
    return describe_job_run(stack, attempts[-1], attempts[:-1], settings.max_attempts)


def run_progress_printer(progress: Notify) -> Callable[[Poll], None]:
    """A poll callback that reports each attempt's state when it changes: `run jr_2: RUNNING
    after 65 s (attempt 2 of 2)`. Its polls carry an `Attempt` (`wait_for_job_run`)."""
    last: dict[str, str] = {}

    def on_poll(poll: Poll) -> None:
        attempt: Attempt = poll.value
        if attempt.retried is not None:
            failed = attempt.retried
            progress(
                f"run {failed['Id']}: {failed.get('JobRunState')} after {poll.elapsed:.0f} s "
                f"({attempt.describe(attempt.number - 1)}); Glue retries it as run {attempt.run['Id']}"
            )
        key = f"{attempt.run['Id']} {attempt.state}"
        if last.get("key") != key:
            last["key"] = key
            progress(f"run {attempt.run['Id']}: {attempt.state} after {poll.elapsed:.0f} s ({attempt.describe()})")

    return on_poll
