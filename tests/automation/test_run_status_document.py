"""What `status` and `run` tell about a Glue run: the `--json` document field by field, the
one-line failure, which run is "the last one", and the timeout a wait allows.

Glue's answers come from botocore's Stubber on real clients (it checks requests and responses
against the service model); every expected value below is written out by hand.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from automation.aws.deployed import Stack
from automation.aws.job_runs import JobSettings, describe_job_run, job_settings, latest_job_run
from automation.aws.session import AwsError
from infra import outputs as out
from tests.stubs import stubbed_stack

JOB = "job-transform-silver-to-gold"
CONSOLE = "https://us-east-1.console.aws.amazon.com/gluestudio/home#/editor/job/j/runs"
STARTED = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
COMPLETED = dt.datetime(2026, 11, 26, 10, 10, 5, tzinfo=dt.UTC)


def stubbed() -> tuple[Stack, Stubber, Stubber]:
    values = {
        out.REGION: "us-east-1",
        out.JOB_NAME: JOB,
        out.REPORTS_URI: "s3://lake/gold/_reports/sample_data_aggregated/",
        out.PRICE_PER_DPU_HOUR: 0.44,
        out.JOB_ERROR_LOG_GROUP: "/aws-glue/jobs/silver-to-gold-dev/error",
        out.JOB_OUTPUT_LOG_GROUP: "/aws-glue/jobs/silver-to-gold-dev/output",
        out.JOB_CONSOLE_URL: CONSOLE,
    }
    stack, (glue, s3) = stubbed_stack(values, "glue", "s3")
    return stack, glue, s3


def no_report(s3: Stubber) -> None:
    s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)


def test_the_json_document_of_a_failed_second_attempt():
    stack, glue, s3 = stubbed()
    first = {"Id": "jr_1", "JobName": JOB, "JobRunState": "FAILED", "ExecutionTime": 30, "WorkerType": "G.1X"}
    first["NumberOfWorkers"] = 2
    run = {
        "Id": "jr_2",
        "JobName": JOB,
        "Attempt": 1,
        "PreviousRunId": "jr_1",
        "JobRunState": "FAILED",
        "StartedOn": STARTED,
        "CompletedOn": COMPLETED,
        "ExecutionTime": 605,
        "WorkerType": "G.2X",
        "NumberOfWorkers": 3,
        "ErrorMessage": "Container killed by YARN",
        "Arguments": {"--mode": "full"},
        "LogGroupName": "/aws-glue/jobs/",
    }
    no_report(s3)

    with glue, s3:
        outcome = describe_job_run(stack, run, [first], max_attempts=2)

    assert outcome.to_dict() == {
        "run_id": "jr_2",
        "state": "FAILED",
        "attempt": 1,
        "attempt_number": 2,
        "max_attempts": 2,
        "earlier_attempts": ["jr_1"],
        "started_on": "2026-11-26T10:00:00+00:00",
        "completed_on": "2026-11-26T10:10:05+00:00",
        "execution_seconds": 605,
        "worker_type": "G.2X",
        "workers": 3,
        "error_message": "Container killed by YARN",
        "arguments": {"--mode": "full"},
        "report": None,
        "report_uri": "s3://lake/gold/_reports/sample_data_aggregated/jr_2.json",
        "cost": {
            # jr_1: 30 s -> the 60 s minimum x 2 DPU = 120; jr_2: 605 s x 6 DPU = 3630
            "worker_type": "G.2X",
            "workers": 3,
            "dpus": 6,
            "execution_seconds": 635,
            "billed_seconds": 665,
            "dpu_seconds": 3750,
            "price_per_dpu_hour": 0.44,
            "usd": 0.458333,
            "from_dpu_seconds": False,
            "attempts": 2,
        },
        "driver_log_group": "/aws-glue/jobs/error",
        "driver_log_stream": "jr_2-driver",
        "console_url": CONSOLE,
    }
    assert outcome.failure_message() == (
        "job run jr_2 ended FAILED (attempt 2 of 2; earlier: jr_1): Container killed by YARN "
        f"(driver log: /aws-glue/jobs/error stream jr_2-driver; console: {CONSOLE})"
    )


def test_a_run_still_going_has_no_completion_cost_or_report_yet():
    stack, glue, s3 = stubbed()
    run = {"Id": "jr_1", "JobName": JOB, "JobRunState": "RUNNING", "StartedOn": STARTED, "CompletedOn": COMPLETED}
    run.update({"ExecutionTime": 0, "WorkerType": "G.1X", "NumberOfWorkers": 2})

    with glue, s3:  # no S3 read: a run going on has no report yet
        document = describe_job_run(stack, run).to_dict()

    assert (document["state"], document["completed_on"], document["cost"], document["report_uri"]) == (
        "RUNNING",
        "",
        None,
        "",
    )


def test_a_run_that_failed_without_a_message_says_so():
    stack, glue, s3 = stubbed()
    run = {"Id": "jr_1", "JobName": JOB, "JobRunState": "ERROR"}
    no_report(s3)

    with glue, s3:
        outcome = describe_job_run(stack, run)

    assert outcome.failure_message() == (
        "job run jr_1 ended ERROR: Glue gave no error message "
        f"(driver log: /aws-glue/jobs/silver-to-gold-dev/error stream jr_1-driver; console: {CONSOLE})"
    )
    assert outcome.cost is None  # no worker type or count reported: no cost guessed


def test_the_run_report_is_read_from_the_reports_prefix():
    stack, glue, s3 = stubbed()
    run = {"Id": "jr_1", "JobName": JOB, "JobRunState": "SUCCEEDED"}
    body = json.dumps({"run_id": "jr_1", "mode": "full", "status": "succeeded", "rows_read": 5, "x": 1}).encode()
    s3.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(body), len(body))},
        {"Bucket": "lake", "Key": "gold/_reports/sample_data_aggregated/jr_1.json"},
    )

    with glue, s3:
        report = describe_job_run(stack, run).report

    assert (report.run_id, report.mode, report.rows_read) == ("jr_1", "full", 5)


def test_a_report_glue_cannot_read_is_named_with_its_uri():
    stack, glue, s3 = stubbed()
    run = {"Id": "jr_1", "JobName": JOB, "JobRunState": "SUCCEEDED"}
    s3.add_client_error("get_object", "AccessDenied", "Access Denied", 403)

    with glue, s3, pytest.raises(AwsError) as raised:
        describe_job_run(stack, run)

    assert str(raised.value) == (
        "cannot read the run report s3://lake/gold/_reports/sample_data_aggregated/jr_1.json: "
        "AccessDenied: Access Denied"
    )


def test_status_without_a_run_id_shows_the_newest_run_of_the_first_page():
    stack, glue, _ = stubbed()
    older = {"Id": "jr_1", "JobName": JOB, "JobRunState": "SUCCEEDED", "StartedOn": STARTED}
    newer = {**older, "Id": "jr_2", "StartedOn": COMPLETED}
    not_started = {"Id": "jr_0", "JobName": JOB, "JobRunState": "STARTING"}
    glue.add_response("get_job_runs", {"JobRuns": [not_started, older, newer], "NextToken": "t"}, {"JobName": JOB})

    with glue:  # the first page holds the newest: no second request
        assert latest_job_run(stack)["Id"] == "jr_2"


def test_status_of_a_job_that_never_ran_says_to_start_one():
    stack, glue, _ = stubbed()
    glue.add_response("get_job_runs", {"JobRuns": []}, {"JobName": JOB})

    with glue, pytest.raises(AwsError) as raised:
        latest_job_run(stack)

    assert str(raised.value) == f"job {JOB} has no runs yet: start one with `run`"


def test_glues_refusal_of_the_run_list_is_its_own_message():
    stack, glue, _ = stubbed()
    glue.add_client_error("get_job_runs", "AccessDeniedException", "not authorized to perform glue:GetJobRuns", 400)

    with glue, pytest.raises(AwsError) as raised:
        latest_job_run(stack)

    assert (
        str(raised.value)
        == f"Glue refused the request for job {JOB!r}: AccessDeniedException: not authorized to perform glue:GetJobRuns"
    )


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        # Glue's default timeouts when the job sets none: 480 minutes from Glue 5.0, 2880 before
        # (Job.Timeout, https://docs.aws.amazon.com/glue/latest/webapi/API_Job.html)
        ({"GlueVersion": "5.0"}, JobSettings(480, 1)),
        ({"GlueVersion": "4.0"}, JobSettings(2880, 1)),
        ({}, JobSettings(480, 1)),
        ({"GlueVersion": "5.0", "Timeout": 30, "MaxRetries": 2}, JobSettings(30, 3)),
    ],
)
def test_the_time_a_wait_allows_follows_the_jobs_timeout_and_retries(job, expected):
    stack, glue, _ = stubbed()
    glue.add_response("get_job", {"Job": {"Name": JOB, **job}}, {"JobName": JOB})

    with glue:
        assert job_settings(stack) == expected


def test_a_runs_own_timeout_replaces_the_jobs():
    assert JobSettings(120, 2).for_run(15) == JobSettings(15, 2)
    assert JobSettings(120, 2).for_run(None) == JobSettings(120, 2)


def test_the_document_of_a_run_glue_reports_almost_nothing_about():
    """A run that errored before it started: GetJobRun gives its id and state only."""
    values = {out.JOB_NAME: JOB, out.REPORTS_URI: "s3://lake/gold/_reports/sample_data_aggregated/"}
    stack, (s3,) = stubbed_stack(values, "s3")
    no_report(s3)

    with s3:
        document = describe_job_run(stack, {"Id": "jr_1", "JobRunState": "ERROR"}).to_dict()

    assert document == {
        "run_id": "jr_1",
        "state": "ERROR",
        "attempt": 0,
        "attempt_number": 1,
        "max_attempts": 1,
        "earlier_attempts": [],
        "started_on": "",
        "completed_on": "",
        "execution_seconds": 0,
        "worker_type": "",
        "workers": 0,
        "error_message": "",
        "arguments": {},
        "report": None,
        "report_uri": "s3://lake/gold/_reports/sample_data_aggregated/jr_1.json",
        "cost": None,
        "driver_log_group": "",
        "driver_log_stream": "jr_1-driver",
        "console_url": "",
    }


@pytest.mark.parametrize(
    ("run", "dpu_seconds"),
    [
        # stopped before it ran: ExecutionTime 0 or absent is charged nothing
        ({"ExecutionTime": 0, "WorkerType": "G.1X", "NumberOfWorkers": 2}, 0),
        ({"WorkerType": "G.1X", "NumberOfWorkers": 2}, 0),
        # no worker count reported: no cost guessed
        ({"ExecutionTime": 100, "WorkerType": "G.1X"}, None),
        ({"ExecutionTime": 100, "NumberOfWorkers": 2}, None),
    ],
)
def test_what_a_run_costs_when_glue_leaves_fields_out(run, dpu_seconds):
    stack, glue, s3 = stubbed()
    no_report(s3)

    with glue, s3:
        cost = describe_job_run(stack, {"Id": "jr_1", "JobRunState": "STOPPED", **run}).cost

    assert (cost.dpu_seconds if cost else None) == dpu_seconds


def test_a_retry_of_a_job_whose_retries_were_lowered_since_still_counts_its_attempts():
    stack, glue, s3 = stubbed()
    no_report(s3)
    earlier = [{"Id": "jr_1", "JobRunState": "FAILED"}, {"Id": "jr_2", "JobRunState": "FAILED"}]

    with glue, s3:
        outcome = describe_job_run(stack, {"Id": "jr_3", "JobRunState": "FAILED"}, earlier, max_attempts=1)

    assert outcome.attempts_text() == "attempt 3 of 3"
    assert outcome.to_dict()["max_attempts"] == 3
    assert outcome.failure_message().startswith(
        "job run jr_3 ended FAILED (attempt 3 of 3; earlier: jr_1, jr_2): Glue gave no error message"
    )


@pytest.mark.parametrize("code", ["NoSuchKey", "404", "NotFound"])
def test_a_report_that_is_not_there_is_no_report(code):
    stack, glue, s3 = stubbed()
    s3.add_client_error("get_object", code, "Not Found", 404)

    with glue, s3:
        outcome = describe_job_run(stack, {"Id": "jr_1", "JobRunState": "FAILED"})

    assert outcome.report is None and outcome.to_dict()["report"] is None


def test_the_report_is_in_the_json_document():
    stack, glue, s3 = stubbed()
    body = json.dumps({"run_id": "jr_1", "mode": "full", "status": "succeeded", "rows_read": 5}).encode()
    s3.add_response("get_object", {"Body": StreamingBody(io.BytesIO(body), len(body))})

    with glue, s3:
        document = describe_job_run(stack, {"Id": "jr_1", "JobRunState": "SUCCEEDED"}).to_dict()

    assert (document["report"]["run_id"], document["report"]["rows_read"]) == ("jr_1", 5)


def test_a_job_that_is_not_deployed_is_named():
    stack, glue, _ = stubbed()
    glue.add_client_error("get_job_runs", "EntityNotFoundException", "Job not found", 400)

    with glue, pytest.raises(AwsError) as raised:
        latest_job_run(stack)

    assert f"the Glue job {JOB!r}" in str(raised.value)
