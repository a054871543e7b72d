"""What `run` sends Glue to start the job, and what it says when Glue will not start it or has
no such run. Glue's answers come from botocore's Stubber, which also checks each request: a
parameter sent that the test does not expect fails it.
"""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from automation.aws.deployed import Stack
from automation.aws.job_runs import JobAlreadyRunning, get_job_run, start_job_run
from automation.aws.session import AwsError
from infra import outputs as out
from tests.stubs import stubbed_stack

JOB = "job-transform-silver-to-gold"
ALREADY = (
    "job {job} already has run {run} {state} and allows one run at a time: "
    "follow it with `status --run-id {run} --wait`"
)


def stubbed() -> tuple[Stack, Stubber]:
    stack, (glue,) = stubbed_stack({out.REGION: "us-east-1", out.JOB_NAME: JOB}, "glue")
    return stack, glue


def test_a_run_with_a_mode_and_a_timeout_of_its_own_sends_both():
    stack, glue = stubbed()
    glue.add_response("get_job_runs", {"JobRuns": [{"Id": "jr_1", "JobRunState": "SUCCEEDED"}]}, {"JobName": JOB})
    glue.add_response(
        "start_job_run", {"JobRunId": "jr_2"}, {"JobName": JOB, "Arguments": {"--mode": "full"}, "Timeout": 15}
    )

    with glue:
        assert start_job_run(stack, "full", 15) == "jr_2"
    glue.assert_no_pending_responses()


def test_a_plain_run_sends_only_the_job_name():
    stack, glue = stubbed()
    glue.add_response("get_job_runs", {"JobRuns": []}, {"JobName": JOB})
    glue.add_response("start_job_run", {"JobRunId": "jr_1"}, {"JobName": JOB})

    with glue:
        assert start_job_run(stack) == "jr_1"


@pytest.mark.parametrize("state", ["STARTING", "RUNNING", "STOPPING", "WAITING"])
def test_a_run_in_progress_is_named_and_nothing_is_started(state):
    stack, glue = stubbed()
    runs = [{"Id": "jr_7", "JobRunState": state}, {"Id": "jr_6", "JobRunState": "FAILED"}]
    glue.add_response("get_job_runs", {"JobRuns": runs}, {"JobName": JOB})

    with glue, pytest.raises(JobAlreadyRunning) as raised:
        start_job_run(stack)

    assert str(raised.value) == ALREADY.format(job=JOB, run="jr_7", state=state)


def test_a_run_started_by_someone_else_in_between_that_glue_no_longer_lists_is_unknown():
    stack, glue = stubbed()
    glue.add_response("get_job_runs", {"JobRuns": []}, {"JobName": JOB})
    glue.add_client_error("start_job_run", "ConcurrentRunsExceededException", "Concurrent runs exceeded", 400)
    glue.add_response("get_job_runs", {"JobRuns": [{"Id": "jr_1", "JobRunState": "SUCCEEDED"}]}, {"JobName": JOB})

    with glue, pytest.raises(JobAlreadyRunning) as raised:
        start_job_run(stack)

    assert str(raised.value) == ALREADY.format(job=JOB, run="(unknown)", state="running")


def test_glues_refusal_to_start_is_its_own_message():
    stack, glue = stubbed()
    glue.add_response("get_job_runs", {"JobRuns": []}, {"JobName": JOB})
    glue.add_client_error("start_job_run", "ResourceNumberLimitExceededException", "Too many runs", 400)

    with glue, pytest.raises(AwsError) as raised:
        start_job_run(stack)

    assert (
        str(raised.value)
        == f"Glue refused the request for job {JOB!r}: ResourceNumberLimitExceededException: Too many runs"
    )


def test_status_of_a_run_the_job_never_had_names_the_run():
    stack, glue = stubbed()
    glue.add_client_error("get_job_run", "EntityNotFoundException", "Job run not found", 400)
    glue.add_response("get_job", {"Job": {"Name": JOB}}, {"JobName": JOB})  # the job is there
    glue.add_response(
        "get_job_runs", {"JobRuns": [{"Id": "jr_2", "JobName": JOB}, {"Id": "jr_1", "JobName": JOB}]}, {"JobName": JOB}
    )

    with glue, pytest.raises(AwsError) as raised:
        get_job_run(stack, "jr_404")

    assert str(raised.value) == f"job {JOB} has no run jr_404: its latest runs are jr_2, jr_1; list them with `runs`"
    glue.assert_no_pending_responses()  # the job was asked for first: a missing job would say so
