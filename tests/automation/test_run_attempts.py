"""What an operator sees of a Glue run that Glue retried, or that runs long: which attempt
decides, in what order the attempts are listed, and how long the wait lasts.

Glue's answers come from botocore's Stubber on a real client (the emulator cannot time a run
out or retry one); the waits run on a fake clock, so nothing here sleeps.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from automation.aws.backend import AwsBackend, AwsOptions
from automation.aws.deployed import Stack
from automation.aws.job_runs import JobSettings, describe_job_run
from automation.aws.retries import Attempt, all_attempts, follow_job_run, run_progress_printer, wait_for_job_run
from automation.aws.session import Poll, WaitTimeout
from tests.stubs import STUB_OUTPUTS, FakeClock
from tests.stubs import stubbed_stack as stack_with_stubs

JOB = "job-transform-silver-to-gold"
OUTPUTS = STUB_OUTPUTS
STARTED = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
WORKERS = {"WorkerType": "G.1X", "NumberOfWorkers": 2}


def stubbed_stack() -> tuple[Stack, Stubber, Stubber]:
    """The stack of `OUTPUTS` with its Glue and S3 clients wrapped in Stubbers."""
    stack, (glue, s3) = stack_with_stubs(OUTPUTS, "glue", "s3")
    return stack, glue, s3


@pytest.fixture(autouse=True)
def no_real_sleep(monkeypatch):
    """The backend's waits sleep through `time.sleep`: here it only counts (a real sleep is a bug)."""
    monkeypatch.setattr("automation.aws.session.time.sleep", lambda seconds: None)


def test_a_run_that_timed_out_and_was_retried_ends_with_its_retry():
    """TIMEOUT is one of the abnormal ends Glue retries, beside FAILED and ERROR ("AWS Glue job run
    statuses", https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html; Job.MaxRetries
    retries "after a JobRun fails"): prod's job (MaxRetries 1) whose first attempt timed out and
    whose retry succeeded is a success, reported from the retry."""
    stack, glue, s3 = stubbed_stack()
    glue.add_response("get_job_runs", {"JobRuns": []}, {"JobName": JOB})
    glue.add_response("start_job_run", {"JobRunId": "jr_1"}, {"JobName": JOB})
    glue.add_response("get_job", {"Job": {"Name": JOB, "Timeout": 30, "MaxRetries": 1}}, {"JobName": JOB})
    first = {"Id": "jr_1", "JobName": JOB, "Attempt": 0, "StartedOn": STARTED, **WORKERS}
    timed_out = {**first, "JobRunState": "TIMEOUT", "ErrorMessage": "Job run timed out after 30 minutes"}
    timed_out["ExecutionTime"] = 1800
    glue.add_response("get_job_run", {"JobRun": timed_out}, {"JobName": JOB, "RunId": "jr_1"})
    retry = {"Id": "jr_2", "JobName": JOB, "Attempt": 1, "PreviousRunId": "jr_1", "StartedOn": STARTED, **WORKERS}
    glue.add_response("get_job_runs", {"JobRuns": [{**retry, "JobRunState": "RUNNING"}, timed_out]}, {"JobName": JOB})
    succeeded = {**retry, "JobRunState": "SUCCEEDED", "ExecutionTime": 600}
    glue.add_response("get_job_run", {"JobRun": succeeded}, {"JobName": JOB, "RunId": "jr_2"})
    body = json.dumps({"run_id": "jr_2", "mode": "incremental", "status": "succeeded", "rows_read": 7}).encode()
    s3.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(body), len(body))},
        {"Bucket": "lake", "Key": "gold/_reports/sample_data_aggregated/jr_2.json"},
    )
    lines: list[str] = []
    backend = AwsBackend(AwsOptions(), stack, progress=lines.append)

    with glue, s3:
        report = backend.run_job()

    assert (report.run_id, report.rows_read) == ("jr_2", 7)
    run = backend.run
    assert (run.run_id, run.state, run.attempt_number, run.earlier_attempts) == ("jr_2", "SUCCEEDED", 2, ["jr_1"])
    # both attempts billed: 1800 s + 600 s, 2 DPU each
    assert run.cost.dpu_seconds == 4800
    assert any("run jr_1: TIMEOUT" in line and "Glue retries it as run jr_2" in line for line in lines), lines


def test_status_of_a_third_attempt_lists_the_earlier_ones_oldest_first():
    """`status --run-id jr_3` of a job with MaxRetries 2: the attempts before it, found through
    their PreviousRunId links (JobRun, https://docs.aws.amazon.com/glue/latest/webapi/API_JobRun.html),
    are listed in the order they ran."""
    stack, glue, s3 = stubbed_stack()
    first = {"Id": "jr_1", "JobName": JOB, "Attempt": 0, "JobRunState": "FAILED", "ExecutionTime": 60, **WORKERS}
    second = {**first, "Id": "jr_2", "Attempt": 1, "PreviousRunId": "jr_1", "ExecutionTime": 120}
    third = {**first, "Id": "jr_3", "Attempt": 2, "PreviousRunId": "jr_2", "JobRunState": "RUNNING"}
    glue.add_response("get_job_run", {"JobRun": second}, {"JobName": JOB, "RunId": "jr_2"})
    glue.add_response("get_job_run", {"JobRun": first}, {"JobName": JOB, "RunId": "jr_1"})

    with glue, s3:
        attempts = all_attempts(stack, third)
        outcome = describe_job_run(stack, attempts[-1], attempts[:-1], max_attempts=3)

    assert [a["Id"] for a in attempts] == ["jr_1", "jr_2", "jr_3"]
    assert (outcome.run_id, outcome.attempt_number, outcome.earlier_attempts) == ("jr_3", 3, ["jr_1", "jr_2"])


def test_waiting_on_a_third_attempt_returns_every_attempt_oldest_first():
    """`status --run-id jr_3 --wait`: the wait handed a retry returns the attempts before it too, in order."""
    stack, glue, _ = stubbed_stack()
    first = {"Id": "jr_1", "JobName": JOB, "Attempt": 0, "JobRunState": "FAILED"}
    second = {**first, "Id": "jr_2", "Attempt": 1, "PreviousRunId": "jr_1"}
    third = {**first, "Id": "jr_3", "Attempt": 2, "PreviousRunId": "jr_2", "JobRunState": "SUCCEEDED"}
    glue.add_response("get_job_run", {"JobRun": third}, {"JobName": JOB, "RunId": "jr_3"})
    glue.add_response("get_job_run", {"JobRun": second}, {"JobName": JOB, "RunId": "jr_2"})
    glue.add_response("get_job_run", {"JobRun": first}, {"JobName": JOB, "RunId": "jr_1"})
    clock = FakeClock(start=5000.0)

    with glue:
        runs = wait_for_job_run(stack, "jr_3", 60, max_attempts=3, sleep=clock.sleep, clock=clock)

    assert [run["Id"] for run in runs] == ["jr_1", "jr_2", "jr_3"]


def long_run(glue: Stubber, running_for_seconds: float):
    """A sleep hook answering the next GetJobRun: RUNNING until `running_for_seconds` have passed
    on the clock, SUCCEEDED after."""

    def answer(clock: FakeClock) -> None:
        state = "RUNNING" if clock.elapsed < running_for_seconds else "SUCCEEDED"
        run = {"Id": "jr_1", "JobName": JOB, "Attempt": 0, "JobRunState": state}
        glue.add_response("get_job_run", {"JobRun": run}, {"JobName": JOB, "RunId": "jr_1"})

    return answer


def test_a_run_of_ten_minutes_is_waited_for_under_a_sixty_minute_timeout():
    stack, glue, _ = stubbed_stack()
    answer = long_run(glue, running_for_seconds=600)
    clock = FakeClock(start=5000.0, on_sleep=answer)
    answer(clock)  # the first look

    with glue:
        runs = wait_for_job_run(stack, "jr_1", timeout_minutes=60, sleep=clock.sleep, clock=clock)

    assert runs[-1]["JobRunState"] == "SUCCEEDED"
    assert 600 <= clock.elapsed <= 600 + 30  # found at the first look past ten minutes (looks 30 s apart at most)


def test_a_run_still_going_after_the_timeout_is_given_up_at_sixty_minutes():
    stack, glue, _ = stubbed_stack()
    answer = long_run(glue, running_for_seconds=2 * 3600)
    clock = FakeClock(start=5000.0, on_sleep=answer)
    answer(clock)

    with glue, pytest.raises(WaitTimeout) as raised:
        wait_for_job_run(stack, "jr_1", timeout_minutes=60, sleep=clock.sleep, clock=clock)

    assert clock.elapsed == 3600
    assert str(raised.value).startswith(f"gave up waiting for job run jr_1 of {JOB} to finish after 3600 s")


def test_status_of_a_failed_run_glue_did_not_retry_is_that_run_alone():
    stack, glue, _ = stubbed_stack()
    failed = {"Id": "jr_1", "JobName": JOB, "Attempt": 0, "JobRunState": "FAILED"}
    glue.add_response("get_job_runs", {"JobRuns": [failed]}, {"JobName": JOB})

    with glue:
        assert all_attempts(stack, failed) == [failed]


def test_run_waits_for_every_attempt_its_timeout_and_a_margin_then_gives_up(monkeypatch):
    """`run` on a job with a 30-minute timeout and one retry allows 30 x 2 + 10 minutes (each
    attempt is a run of its own, with the job's timeout), on the clock the waits read."""
    stack, glue, _ = stubbed_stack()
    answer = long_run(glue, running_for_seconds=24 * 3600)
    clock = FakeClock(start=5000.0, on_sleep=answer)
    answer(clock)
    monkeypatch.setattr("automation.aws.session.time.sleep", clock.sleep)
    monkeypatch.setattr("automation.aws.session.time.monotonic", clock)

    with glue, pytest.raises(WaitTimeout, match=r"after 4200 s"):
        follow_job_run(stack, "jr_1", JobSettings(timeout_minutes=30, max_attempts=2))

    assert clock.elapsed == 70 * 60


def test_a_first_attempt_that_succeeded_is_attempt_1_of_the_jobs_attempts(monkeypatch):
    stack, glue, s3 = stubbed_stack()
    done = {"Id": "jr_1", "JobName": JOB, "Attempt": 0, "JobRunState": "SUCCEEDED", "ExecutionTime": 100, **WORKERS}
    glue.add_response("get_job_run", {"JobRun": done}, {"JobName": JOB, "RunId": "jr_1"})
    s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)

    with glue, s3:
        outcome = follow_job_run(stack, "jr_1", JobSettings(timeout_minutes=30, max_attempts=2))

    assert (outcome.state, outcome.attempts_text()) == ("SUCCEEDED", "attempt 1 of 2")


def test_the_progress_of_run_says_each_state_once():
    lines: list[str] = []
    on_poll = run_progress_printer(lines.append)
    running = {"Id": "jr_1", "JobRunState": "RUNNING"}
    for elapsed in (2.0, 5.0, 9.5):
        on_poll(Poll(Attempt(running, 1, 2), 1, elapsed))
    on_poll(Poll(Attempt({**running, "JobRunState": "SUCCEEDED"}, 1, 2), 4, 20.0))

    assert lines == ["run jr_1: RUNNING after 2 s (attempt 1 of 2)", "run jr_1: SUCCEEDED after 20 s (attempt 1 of 2)"]
