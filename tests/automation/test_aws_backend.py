"""The AWS backend's failure paths the emulator cannot produce, with botocore's Stubber on
real clients (it checks every request and response against the service model), and the
catalog and session behaviour against the emulator itself."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import replace

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from automation.aws.athena import QueryFailed, run_query
from automation.aws.backend import AwsBackend, AwsOptions
from automation.aws.catalog import (
    CrawlFailed,
    catalog_partitions,
    crawl_partition_changes,
    gold_layout,
    last_crawl_summary,
    register_with_crawler,
)
from automation.aws.deployed import Stack
from automation.aws.job_runs import (
    JobAlreadyRunning,
    JobRunFailed,
    JobRunOutcome,
    describe_job_run,
    job_log_groups,
    job_settings,
    report_from_json,
    start_job_run,
)
from automation.aws.logs import follow_driver_log, run_logs
from automation.aws.retries import all_attempts, wait_for_job_run
from automation.aws.session import AwsClients, AwsError, WaitTimeout, build_session, wait_for
from automation.aws.silver import register_silver_partitions, upload_silver
from automation.lake import SilverFile
from automation.outputs import OutputsError, StackOutputs, load_outputs_file
from automation.pipeline import run_pipeline
from infra import outputs as out
from tests.stubs import STUB_OUTPUTS, stubbed_stack

OUTPUTS = STUB_OUTPUTS
STARTED = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def stubbed(service: str) -> tuple[Stack, Stubber]:
    """The stack of `OUTPUTS`, its `service` client wrapped in a Stubber."""
    stack, (stubber,) = stubbed_stack(OUTPUTS, service)
    return stack, stubber


def stubbed_too(stack: Stack, service: str) -> Stubber:
    """A second stubbed client on the same stack."""
    client = stack.clients.session.client(service)
    stack.clients.use(service, client)
    return Stubber(client)


def outputs() -> StackOutputs:
    return StackOutputs.from_values(dict(OUTPUTS), "test")


def emulated(aws_stack, *services: str, **changes: str) -> Stack:
    """The seeded stack with `services`' clients pointed at the emulator (outputs changed by `changes`)."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    clients = AwsClients(session)
    for service in services:
        clients.use(service, session.client(service, endpoint_url=aws_stack.emulator.url))
    return Stack(StackOutputs.from_values({**aws_stack.outputs, **changes}, "emulator"), clients)


def no_sleep(_: float) -> None:
    pass


# Polls in these tests answer from stubs: no need to sleep between them.
pytestmark = pytest.mark.usefixtures("instant_waits")


# -- job runs -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("FAILED", "An error occurred while calling o112.sql: Table not found: silver_data.sample_data_partitioned"),
        ("TIMEOUT", "Job run timed out after 30 minutes"),
        ("STOPPED", "Job run was stopped by user"),
    ],
)
def test_a_run_that_does_not_succeed_fails_with_glues_message_the_driver_log_and_the_console(state, message):
    stack, glue = stubbed("glue")
    job = OUTPUTS[out.JOB_NAME]
    glue.add_response("get_job_runs", {"JobRuns": []}, {"JobName": job})
    glue.add_response("start_job_run", {"JobRunId": "jr_1"}, {"JobName": job})
    glue.add_response("get_job", {"Job": {"Name": job, "Timeout": 30}}, {"JobName": job})
    running = {"Id": "jr_1", "JobName": job, "JobRunState": "RUNNING", "StartedOn": STARTED, "Attempt": 0}
    glue.add_response("get_job_run", {"JobRun": running}, {"JobName": job, "RunId": "jr_1"})
    ended = {
        **running,
        "JobRunState": state,
        "ErrorMessage": message,
        "ExecutionTime": 45,
        "WorkerType": "G.1X",
        "NumberOfWorkers": 2,
    }
    glue.add_response("get_job_run", {"JobRun": ended}, {"JobName": job, "RunId": "jr_1"})
    s3 = stubbed_too(stack, "s3")
    # The job crashed before publishing its report.
    s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)
    backend = AwsBackend(AwsOptions(), stack)

    with glue, s3, pytest.raises(JobRunFailed) as failure:
        backend.run_job()

    text = str(failure.value)
    assert f"job run jr_1 ended {state}: {message}" in text
    assert "driver log: /aws-glue/jobs/silver-to-gold-dev/error stream jr_1-driver" in text
    assert OUTPUTS[out.JOB_CONSOLE_URL] in text
    # A failed run is billed too: 45 s -> the 60 s minimum, 2 DPU -> 120 DPU-s.
    assert backend.run.cost.dpu_seconds == 120
    assert backend.run.report is None
    glue.assert_no_pending_responses()


def test_a_retried_run_is_followed_to_its_last_attempt_with_its_report_and_both_costs():
    """prod's job has MaxRetries 1: the first attempt fails and Glue retries it as a new
    run (JobRun.Attempt 1, PreviousRunId naming the first); the wait, the report, the exit
    and the cost follow the retry."""
    stack, glue = stubbed("glue")
    s3 = stubbed_too(stack, "s3")
    job = OUTPUTS[out.JOB_NAME]
    glue.add_response("get_job_runs", {"JobRuns": []}, {"JobName": job})
    glue.add_response("start_job_run", {"JobRunId": "jr_1"}, {"JobName": job})
    glue.add_response("get_job", {"Job": {"Name": job, "Timeout": 30, "MaxRetries": 1}}, {"JobName": job})
    workers = {"WorkerType": "G.1X", "NumberOfWorkers": 2}
    first = {"Id": "jr_1", "JobName": job, "Attempt": 0, "StartedOn": STARTED, **workers}
    glue.add_response("get_job_run", {"JobRun": {**first, "JobRunState": "RUNNING"}}, {"JobName": job, "RunId": "jr_1"})
    failed = {**first, "JobRunState": "FAILED", "ErrorMessage": "Container killed", "ExecutionTime": 45}
    glue.add_response("get_job_run", {"JobRun": failed}, {"JobName": job, "RunId": "jr_1"})
    retry = {"Id": "jr_2", "JobName": job, "Attempt": 1, "PreviousRunId": "jr_1", "StartedOn": STARTED, **workers}
    glue.add_response("get_job_runs", {"JobRuns": [{**retry, "JobRunState": "STARTING"}, failed]}, {"JobName": job})
    glue.add_response("get_job_run", {"JobRun": {**retry, "JobRunState": "RUNNING"}}, {"JobName": job, "RunId": "jr_2"})
    succeeded = {**retry, "JobRunState": "SUCCEEDED", "ExecutionTime": 600}
    glue.add_response("get_job_run", {"JobRun": succeeded}, {"JobName": job, "RunId": "jr_2"})
    body = json.dumps({"run_id": "jr_2", "mode": "incremental", "status": "succeeded", "rows_read": 3}).encode()
    s3.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(body), len(body))},
        {"Bucket": "lake", "Key": "gold/_reports/sample_data_aggregated/jr_2.json"},
    )
    lines = []
    backend = AwsBackend(AwsOptions(), stack, progress=lines.append)

    with glue, s3:
        report = backend.run_job()

    glue.assert_no_pending_responses()
    assert report.run_id == "jr_2" and report.rows_read == 3
    run = backend.run
    assert (run.run_id, run.state, run.attempt_number, run.max_attempts) == ("jr_2", "SUCCEEDED", 2, 2)
    assert run.earlier_attempts == ["jr_1"]
    assert run.report_uri.endswith("/jr_2.json")
    # jr_1: 45 s -> the 60 s minimum x 2 DPU = 120 DPU-s; jr_2: 600 s x 2 DPU = 1200 DPU-s.
    assert (run.cost.attempts, run.cost.dpu_seconds, run.cost.usd) == (2, 1320, 0.161333)
    assert backend.cost()["glue_dpu_seconds"] == 1320
    assert [re.sub(r"after \d+ s", "after N s", line) for line in lines] == [
        "started job run jr_1",
        "run jr_1: RUNNING after N s (attempt 1 of 2)",
        "run jr_1: FAILED after N s (attempt 1 of 2); Glue retries it as run jr_2",
        "run jr_2: STARTING after N s (attempt 2 of 2)",
        "run jr_2: RUNNING after N s (attempt 2 of 2)",
        "run jr_2: SUCCEEDED after N s (attempt 2 of 2)",
    ]


def test_a_failed_attempt_whose_retry_never_comes_is_the_last_one():
    stack, glue = stubbed("glue")
    job = OUTPUTS[out.JOB_NAME]
    failed = {"Id": "jr_1", "JobName": job, "Attempt": 0, "JobRunState": "FAILED", "ErrorMessage": "boom"}
    glue.add_response("get_job_run", {"JobRun": failed}, {"JobName": job, "RunId": "jr_1"})
    glue.add_response("get_job_runs", {"JobRuns": [failed]}, {"JobName": job})
    with glue:
        attempts = wait_for_job_run(stack, "jr_1", 1, max_attempts=2, retry_grace_seconds=0)
    assert [a["Id"] for a in attempts] == ["jr_1"]


def test_status_of_a_first_attempt_shows_the_retry_that_followed_it():
    stack, glue = stubbed("glue")
    job = OUTPUTS[out.JOB_NAME]
    failed = {"Id": "jr_1", "JobName": job, "Attempt": 0, "JobRunState": "FAILED"}
    retry = {"Id": "jr_2", "JobName": job, "Attempt": 1, "PreviousRunId": "jr_1", "JobRunState": "RUNNING"}
    glue.add_response("get_job_runs", {"JobRuns": [retry], "NextToken": "t"}, {"JobName": job})
    with glue:
        assert [a["Id"] for a in all_attempts(stack, failed)] == ["jr_1", "jr_2"]
    # and back from the retry to the attempt before it
    stack, glue = stubbed("glue")
    glue.add_response("get_job_run", {"JobRun": failed}, {"JobName": job, "RunId": "jr_1"})
    with glue:
        assert [a["Id"] for a in all_attempts(stack, retry)] == ["jr_1", "jr_2"]


def test_concurrent_runs_exceeded_names_the_run_in_progress():
    stack, glue = stubbed("glue")
    job = OUTPUTS[out.JOB_NAME]
    glue.add_response("get_job_runs", {"JobRuns": []}, {"JobName": job})  # started by someone in between
    glue.add_client_error("start_job_run", "ConcurrentRunsExceededException", "Concurrent runs exceeded for job", 400)
    running = {"Id": "jr_other", "JobName": job, "JobRunState": "RUNNING", "StartedOn": STARTED}
    glue.add_response("get_job_runs", {"JobRuns": [running]}, {"JobName": job})
    with glue, pytest.raises(JobAlreadyRunning, match="already has run jr_other running"):
        start_job_run(stack)


def test_a_missing_job_says_to_deploy():
    stack, glue = stubbed("glue")
    glue.add_client_error("get_job_runs", "EntityNotFoundException", "Job not found", 400)
    with glue, pytest.raises(AwsError, match="does not exist in region us-east-1: deploy the stack first"):
        start_job_run(stack)


# -- crawler --------------------------------------------------------------------------------
def test_a_failed_crawl_gives_glues_message_and_log_stream():
    stack, glue = stubbed("glue")
    name = OUTPUTS[out.CRAWLER_NAME]
    before = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    glue.add_response(
        "get_crawler",
        {"Crawler": {"Name": name, "State": "READY", "LastCrawl": {"Status": "SUCCEEDED", "StartTime": before}}},
        {"Name": name},
    )
    glue.add_response("start_crawler", {}, {"Name": name})
    glue.add_response("get_crawler", {"Crawler": {"Name": name, "State": "RUNNING"}}, {"Name": name})
    glue.add_response(
        "get_crawler",
        {
            "Crawler": {
                "Name": name,
                "State": "READY",
                "LastCrawl": {
                    "Status": "FAILED",
                    "ErrorMessage": "Service Principal: glue.amazonaws.com is not authorized to perform: s3:ListBucket",
                    "LogGroup": "/aws-glue/crawlers",
                    "LogStream": name,
                    "StartTime": STARTED,
                },
            }
        },
        {"Name": name},
    )
    with glue, pytest.raises(CrawlFailed) as failure:
        register_with_crawler(stack)
    assert str(failure.value) == (
        "crawler crawler-gold-data's crawl ended FAILED: Service Principal: glue.amazonaws.com is not authorized "
        "to perform: s3:ListBucket (log: /aws-glue/crawlers stream crawler-gold-data)"
    )


def test_the_newest_crawls_summary_is_read_in_the_string_form_listcrawls_returns():
    """ListCrawls' `Summary` is a string of JSON (CrawlerHistory.Summary, `"Summary":
    "string"` in API_ListCrawls); its sections may be JSON strings themselves. The crawls
    come in no documented order: the newest by StartTime wins, over every page."""
    stack, glue = stubbed("glue")
    newest_summary = json.dumps(
        {"TABLE": json.dumps({}), "PARTITION": json.dumps({"ADD": {"Count": 3}, "UPDATE": "1"})}
    )
    older = {
        "CrawlId": "c-old",
        "State": "COMPLETED",
        "StartTime": dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        "Summary": json.dumps({"PARTITION": {"ADD": {"Count": 9}}}),
        "DPUHour": 0.2,
    }
    newest = {"CrawlId": "c-new", "State": "COMPLETED", "StartTime": STARTED, "Summary": newest_summary, "DPUHour": 0.1}
    middle = {**older, "CrawlId": "c-mid", "StartTime": dt.datetime(2026, 11, 25, tzinfo=dt.UTC)}
    since = {"FieldName": "START_TIME", "FilterOperator": "GE", "FieldValue": str(int(STARTED.timestamp() * 1000))}
    request = {"CrawlerName": "crawler-gold-data", "MaxResults": 100, "Filters": [since]}
    glue.add_response("list_crawls", {"Crawls": [older, middle], "NextToken": "page-2"}, request)
    glue.add_response("list_crawls", {"Crawls": [newest]}, {**request, "NextToken": "page-2"})
    with glue:
        assert last_crawl_summary(stack, STARTED) == {
            "crawl_id": "c-new",
            "dpu_hours": 0.1,
            "partitions_added": 3,
            "partitions_updated": 1,
        }


@pytest.mark.parametrize(
    "summary",
    [
        {"PARTITION": {"ADD": {"Count": 3}, "UPDATE": {"Count": 1}}},
        {"PARTITION": json.dumps({"ADD": json.dumps({"Count": 3}), "UPDATE": json.dumps({"Count": "1"})})},
    ],
)
def test_a_crawl_summary_is_read_with_objects_or_json_strings_inside(summary):
    assert crawl_partition_changes(json.dumps(summary)) == {"partitions_added": 3, "partitions_updated": 1}


# -- gold verification: every page, data files only -------------------------------------------
def test_gold_verification_reads_every_page_and_ignores_staging_and_temporary_objects():
    """The catalog's partitions come in two GetPartitions pages and gold's objects in two
    ListObjectsV2 pages (moto never pages either); a killed run left objects under
    `.spark-staging-*/` and `_temporary/` (Spark's commit folders), which are not data."""
    stack, glue = stubbed("glue")
    s3 = stubbed_too(stack, "s3")
    table = {"DatabaseName": "gold_data", "TableName": "sample_data_aggregated"}
    glue.add_response("get_partitions", {"Partitions": [{"Values": ["2024", "1"]}], "NextToken": "p2"}, table)
    glue.add_response("get_partitions", {"Partitions": [{"Values": ["2024", "2"]}]}, {**table, "NextToken": "p2"})
    prefix = "gold/sample_data_aggregated/"
    first_page = [
        f"{prefix}ano=2024/mes=1/part-00000-a.c000.snappy.parquet",
        f"{prefix}.spark-staging-4f1c/ano=2024/mes=3/part-00000-b.c000.snappy.parquet",
        f"{prefix}_temporary/0/_temporary/attempt_202611261000_0001_m_000000_0/ano=2024/mes=1/part-00001.parquet",
    ]
    second_page = [f"{prefix}ano=2024/mes=2/part-00000-c.c000.snappy.parquet", f"{prefix}ano=2024/mes=2/_SUCCESS"]
    listing = {"Bucket": "lake", "Prefix": prefix}
    s3.add_response(
        "list_objects_v2",
        {
            "Contents": [{"Key": key, "Size": 100} for key in first_page],
            "IsTruncated": True,
            "NextContinuationToken": "c2",
        },
        listing,
    )
    s3.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": key, "Size": 100} for key in second_page], "IsTruncated": False},
        {**listing, "ContinuationToken": "c2"},
    )
    with glue, s3:
        partitions, files = gold_layout(stack)
    assert partitions == ["ano=2024/mes=1", "ano=2024/mes=2"]
    assert files == {
        "ano=2024/mes=1": ["part-00000-a.c000.snappy.parquet"],
        "ano=2024/mes=2": ["part-00000-c.c000.snappy.parquet"],
    }


# -- logs -------------------------------------------------------------------------------------
# JobRun.LogGroupName in its documented encrypted form ("/aws-glue/jobs-yourRoleName-
# yourSecurityConfigurationName/"); Glue 5.0 writes `<it>/error` and `<it>/output`.
NAMED_GROUP = "/aws-glue/jobs-silver-to-gold-glue-role-silver-to-gold-secconf/"


def test_logs_read_the_groups_getjobrun_names_and_ask_only_for_error_lines():
    stack, logs = stubbed("logs")
    run = {"Id": "jr_7", "JobRunState": "FAILED", "LogGroupName": NAMED_GROUP}
    groups = job_log_groups(outputs(), run)
    assert groups == [
        f"{NAMED_GROUP}error",
        f"{NAMED_GROUP}output",
        OUTPUTS[out.JOB_ERROR_LOG_GROUP],
        OUTPUTS[out.JOB_OUTPUT_LOG_GROUP],
    ]
    error_group = f"{NAMED_GROUP}error"
    logs.add_response(
        "describe_log_streams",
        {
            "logStreams": [
                {
                    "logStreamName": "jr_7-driver",
                    "firstEventTimestamp": 1764151200000,
                    "lastEventTimestamp": 1764151260000,
                }
            ]
        },
        {"logGroupName": error_group, "logStreamNamePrefix": "jr_7"},
    )
    logs.add_response(
        "filter_log_events",
        {
            "events": [
                {"logStreamName": "jr_7-driver", "message": "ERROR Executor: Exception in task 0.0", "eventId": "1"},
                {"logStreamName": "jr_7-driver", "message": "Traceback (most recent call last):", "eventId": "2"},
            ]
        },
        {
            "logGroupName": error_group,
            "logStreamNamePrefix": "jr_7",
            "filterPattern": "?ERROR ?Exception ?Traceback",
        },
    )
    for group, code in zip(  # the other candidates: one the caller may not read, two that do not exist
        groups[1:], ("AccessDeniedException", "ResourceNotFoundException", "ResourceNotFoundException"), strict=True
    ):
        logs.add_client_error(
            "describe_log_streams",
            code,
            "skipped",
            expected_params={"logGroupName": group, "logStreamNamePrefix": "jr_7"},
        )
    with logs:
        found = run_logs(stack, run)
    logs.assert_no_pending_responses()
    assert found.groups == [error_group]
    assert found.denied_groups == groups[1:2]
    assert found.missing_groups == groups[2:]
    [driver] = found.streams
    assert (driver.group, driver.stream, driver.error_count) == (error_group, "jr_7-driver", 2)
    assert driver.first_event == "2025-11-26T10:00:00.000+00:00"
    assert driver.error_lines == ["ERROR Executor: Exception in task 0.0", "Traceback (most recent call last):"]


def test_follow_reads_once_more_after_the_run_ends():
    stack, glue = stubbed("glue")
    logs = stubbed_too(stack, "logs")
    job = OUTPUTS[out.JOB_NAME]
    ended = {"Id": "jr_8", "JobRunState": "SUCCEEDED"}  # no LogGroupName: the stack's groups
    error_group, output_group = OUTPUTS[out.JOB_ERROR_LOG_GROUP], OUTPUTS[out.JOB_OUTPUT_LOG_GROUP]
    read = {"logStreamNames": ["jr_8-driver"]}
    glue.add_response("get_job_run", {"JobRun": ended}, {"JobName": job, "RunId": "jr_8"})
    early = {"logStreamName": "jr_8-driver", "message": "INFO job done", "eventId": "1", "timestamp": 1000}
    logs.add_response("filter_log_events", {"events": [early]}, {"logGroupName": error_group, **read, "startTime": 0})
    logs.add_response("filter_log_events", {"events": []}, {"logGroupName": output_group, **read, "startTime": 0})
    # The second read, after the run ended: a line that reached CloudWatch Logs late.
    glue.add_response("get_job_run", {"JobRun": ended}, {"JobName": job, "RunId": "jr_8"})
    late = {"logStreamName": "jr_8-driver", "message": "INFO run report written", "eventId": "2", "timestamp": 1500}
    logs.add_response(
        "filter_log_events", {"events": [early, late]}, {"logGroupName": error_group, **read, "startTime": 1000}
    )
    logs.add_response("filter_log_events", {"events": []}, {"logGroupName": output_group, **read, "startTime": 0})
    lines = []
    with glue, logs:
        run = follow_driver_log(stack, "jr_8", lines.append, sleep=no_sleep)
    assert run["JobRunState"] == "SUCCEEDED"
    assert [line.split(" ", 1)[1] for line in lines] == ["INFO job done", "INFO run report written"]
    logs.assert_no_pending_responses()


# -- Athena ---------------------------------------------------------------------------------
# The workgroup's per-query scan cutoff CANCELS a query that passes it, and "canceled
# queries are charged" (https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html);
# a FAILED query is free. AWS does not document the cutoff's StateChangeReason wording: the
# reasons below are the tests' own.
CUTOFF_REASON = "Query cancelled: the workgroup's data scanned limit per query was exceeded"


def stub_query_ending(athena: Stubber, state: str, reason: str, scanned: int, query_id: str = "q-1") -> None:
    athena.add_response("start_query_execution", {"QueryExecutionId": query_id}, None)
    athena.add_response(
        "get_query_execution",
        {"QueryExecution": {"QueryExecutionId": query_id, "Status": {"State": "RUNNING"}}},
        {"QueryExecutionId": query_id},
    )
    athena.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "QueryExecutionId": query_id,
                "StatementType": "DML",
                "Status": {"State": state, "StateChangeReason": reason},
                "Statistics": {"DataScannedInBytes": scanned},
            }
        },
        {"QueryExecutionId": query_id},
    )


def test_a_failed_query_gives_athenas_reason_and_costs_nothing():
    stack, athena = stubbed("athena")
    athena.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-1"},
        {
            "QueryString": "SELECT 1",
            "WorkGroup": "silver-to-gold-dev",
            "QueryExecutionContext": {"Database": "gold_data"},
        },
    )
    athena.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "QueryExecutionId": "q-1",
                "StatementType": "DML",
                "Status": {
                    "State": "FAILED",
                    "StateChangeReason": "SYNTAX_ERROR: line 1:8: Column 'x' cannot be resolved",
                    "AthenaError": {"ErrorMessage": "SYNTAX_ERROR: line 1:8: Column 'x' cannot be resolved"},
                },
                "Statistics": {"DataScannedInBytes": 0},
            }
        },
        {"QueryExecutionId": "q-1"},
    )
    with athena, pytest.raises(QueryFailed) as failure:
        run_query(stack, "SELECT 1")
    assert str(failure.value) == "Athena query q-1 FAILED: SYNTAX_ERROR: line 1:8: Column 'x' cannot be resolved"
    assert failure.value.outcome.cost.usd == 0


def test_a_query_the_scan_cutoff_cancels_says_what_it_was_billed():
    stack, athena = stubbed("athena")
    stub_query_ending(athena, "CANCELLED", CUTOFF_REASON, 1_073_741_824)
    with athena, pytest.raises(QueryFailed) as failure:
        run_query(stack, "SELECT * FROM gold_data.sample_data_aggregated")
    # 1 GiB = 1024 MB billed at $5 per 2**40 B: 0.0048828125
    assert str(failure.value) == (
        f"Athena query q-1 CANCELLED: {CUTOFF_REASON} (scanned 1.0 GB, billed 1.0 GB: $0.00488281)"
    )


def test_a_cancelled_querys_bytes_stay_in_the_pipelines_cost():
    stack, athena = stubbed("athena")
    stub_query_ending(athena, "CANCELLED", CUTOFF_REASON, 1_073_741_824)
    backend = AwsBackend(AwsOptions(), stack)
    with athena, pytest.raises(QueryFailed):
        backend.query("SELECT * FROM gold_data.sample_data_aggregated")
    cost = backend.cost()
    assert cost["athena_queries"] == 1
    assert cost["athena_data_scanned_bytes"] == cost["athena_billed_bytes"] == 1_073_741_824
    assert cost["athena_usd"] == 0.00488281


def test_query_results_are_paged_and_typed():
    stack, athena = stubbed("athena")
    athena.add_response("start_query_execution", {"QueryExecutionId": "q-2"}, None)
    athena.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "QueryExecutionId": "q-2",
                "StatementType": "DML",
                "Status": {"State": "SUCCEEDED"},
                "Statistics": {"DataScannedInBytes": 3 * 1024**4},
            }
        },
        {"QueryExecutionId": "q-2"},
    )
    columns = [{"Name": "idade", "Type": "integer"}, {"Name": "ativo", "Type": "boolean"}]
    athena.add_response(
        "get_query_results",
        {
            "ResultSet": {
                "ResultSetMetadata": {"ColumnInfo": columns},
                "Rows": [
                    {"Data": [{"VarCharValue": "idade"}, {"VarCharValue": "ativo"}]},
                    {"Data": [{"VarCharValue": "30"}, {"VarCharValue": "true"}]},
                ],
            },
            "NextToken": "page-2",
        },
        {"QueryExecutionId": "q-2"},
    )
    athena.add_response(
        "get_query_results",
        {
            "ResultSet": {
                "ResultSetMetadata": {"ColumnInfo": columns},
                "Rows": [{"Data": [{"VarCharValue": "41"}, {}]}],
            }
        },
        {"QueryExecutionId": "q-2", "NextToken": "page-2"},
    )
    with athena:
        outcome = run_query(stack, "SELECT idade, ativo FROM gold_data.sample_data_aggregated")
    assert outcome.columns == ("idade", "ativo")
    assert outcome.rows == ((30, True), (41, None))
    assert outcome.cost.usd == 15.0  # 3 TB at $5


# -- catalog against the emulator -------------------------------------------------------------
def test_silver_partitions_go_in_batches_of_100_and_a_rerun_adds_none(aws_stack):
    stack = emulated(aws_stack, "glue")
    batches = []
    stack.clients.glue.meta.events.register(
        "provide-client-params.glue.BatchCreatePartition",
        lambda params, **_: batches.append(len(params["PartitionInputList"])),
    )
    specs = [f"ano={2000 + i // 12}/mes={i % 12 + 1}" for i in range(250)]

    assert register_silver_partitions(stack, specs) == (250, 250)
    assert batches == [100, 100, 50]
    silver = (aws_stack.outputs[out.SILVER_DATABASE], aws_stack.outputs[out.SILVER_TABLE])
    assert len(catalog_partitions(stack, *silver)) == 250

    assert register_silver_partitions(stack, specs) == (250, 0)
    assert batches == [100, 100, 50]  # nothing sent the second time


def test_a_pipeline_against_a_stack_without_its_tables_stops_at_the_catalog_step(aws_stack):
    stack = emulated(aws_stack, "glue", "sts", "s3", "athena")
    stack.clients.glue.delete_table(DatabaseName="gold_data", Name="sample_data_aggregated")

    class Quiet:
        def step(self, title):
            import contextlib

            return contextlib.nullcontext()

        def done(self, *args):
            pass

    backend = AwsBackend(AwsOptions(), stack)
    with pytest.raises(AwsError, match="gold_data.sample_data_aggregated is not in the Glue catalog: deploy the stack"):
        run_pipeline(backend, Quiet())


# -- session, waits, outputs ----------------------------------------------------------------
def test_the_session_takes_aws_region_first_then_the_stacks_region(monkeypatch):
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    assert build_session("eu-west-1").region_name == "eu-west-1"
    monkeypatch.setenv("AWS_REGION", "sa-east-1")
    assert build_session("eu-west-1").region_name == "sa-east-1"


def test_clients_retry_in_standard_mode():
    clients = AwsClients(boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"))
    assert clients.glue.meta.config.retries["mode"] == "standard"


def test_an_unknown_profile_is_one_sentence(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_PROFILE", "nope")
    with pytest.raises(AwsError, match="nope"):
        build_session("us-east-1")


def test_waits_back_off_and_say_what_they_waited_for():
    clock = {"now": 0.0}
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock["now"] += seconds

    with pytest.raises(WaitTimeout, match="gave up waiting for job run jr_1 to finish after 10 s"):
        wait_for(
            "job run jr_1 to finish",
            lambda: "RUNNING",
            lambda state: state == "SUCCEEDED",
            timeout=10,
            first_delay=1,
            backoff=2,
            max_delay=4,
            sleep=sleep,
            clock=lambda: clock["now"],
        )
    assert sleeps == [1, 2, 4, 3]  # doubling, capped at 4, and never past the deadline


def test_outputs_name_the_missing_key(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({out.JOB_NAME: "job"}))
    outputs_file = load_outputs_file(path)
    with pytest.raises(OutputsError, match=f"lack 'runReportsUri'.*{path.name}|{path}.*lack 'runReportsUri'"):
        outputs_file.require(out.JOB_NAME, out.REPORTS_URI)


def test_outputs_that_are_not_an_object_are_refused(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text("[1, 2]")
    with pytest.raises(OutputsError, match="holds a JSON list, not an object"):
        load_outputs_file(path)


def test_report_from_json_ignores_derived_keys():
    report = report_from_json(json.dumps({"run_id": "jr_1", "mode": "full", "rows_read": 3, "reject_ratio": 0.3}))
    assert (report.run_id, report.mode, report.rows_read) == ("jr_1", "full", 3)


def test_stubber_checks_requests_against_the_model():
    """The Stubber is strict: a parameter Glue does not know fails the test, not production."""
    stack, glue = stubbed("glue")
    glue.add_response("start_job_run", {"JobRunId": "jr_1"}, None)
    with glue, pytest.raises(Exception, match="Unknown parameter"):
        stack.clients.glue.start_job_run(JobName="j", Modee="full")


def test_a_failed_runs_own_report_is_read_too():
    stack, s3 = stubbed("s3")
    report = {"run_id": "jr_2", "mode": "incremental", "status": "failed", "error": "412 of 1000 rows rejected"}
    body = json.dumps(report).encode()
    s3.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(body), len(body))},
        {"Bucket": "lake", "Key": "gold/_reports/sample_data_aggregated/jr_2.json"},
    )
    run = {"Id": "jr_2", "JobRunState": "FAILED", "ErrorMessage": "RejectRatioExceeded", "ExecutionTime": 90}
    with s3:
        outcome = describe_job_run(stack, {**run, "WorkerType": "G.1X", "NumberOfWorkers": 2})
    assert outcome.report.error == "412 of 1000 rows rejected"
    assert outcome.cost.usd == 0.022  # 2 DPU x 90 s = 180 DPU-s; 180 / 3600 x 0.44


def test_the_cli_shows_a_failed_run_as_json_and_one_error_line(capsys):
    from automation.cli import run_handler
    from automation.cli.console import Screen
    from automation.cli.operations import show_run

    run = JobRunOutcome(
        run_id="jr_3",
        state="TIMEOUT",
        error_message="Job run timed out after 30 minutes",
        driver_log_group="/aws-glue/jobs/silver-to-gold-dev/error",
        driver_log_stream="jr_3-driver",
        console_url="https://console/jr_3",
    )
    assert run_handler(lambda: show_run(Screen(as_json=True), run)) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out.strip().splitlines()[-1])["state"] == "TIMEOUT"
    assert captured.err.strip().splitlines() == [
        "error: job run jr_3 ended TIMEOUT: Job run timed out after 30 minutes (driver log: "
        "/aws-glue/jobs/silver-to-gold-dev/error stream jr_3-driver; console: https://console/jr_3)"
    ]


def test_the_cli_shows_a_retried_runs_last_attempt_and_fails_on_it(capsys):
    from automation.cli import run_handler
    from automation.cli.console import Screen
    from automation.cli.operations import show_run

    run = JobRunOutcome(
        run_id="jr_2",
        state="FAILED",
        attempt=1,
        attempt_number=2,
        max_attempts=2,
        earlier_attempts=["jr_1"],
        error_message="Container killed",
        driver_log_group="/aws-glue/jobs/silver-to-gold-prod/error",
        driver_log_stream="jr_2-driver",
        console_url="https://console/jr_2",
    )
    assert run_handler(lambda: show_run(Screen(as_json=True), run)) == 1
    captured = capsys.readouterr()
    document = json.loads(captured.out.strip().splitlines()[-1])
    assert (document["attempt_number"], document["max_attempts"], document["earlier_attempts"]) == (2, 2, ["jr_1"])
    assert captured.err.strip().splitlines() == [
        "error: job run jr_2 ended FAILED (attempt 2 of 2; earlier: jr_1): Container killed (driver log: "
        "/aws-glue/jobs/silver-to-gold-prod/error stream jr_2-driver; console: https://console/jr_2)"
    ]


def test_big_silver_files_go_up_in_parts_and_are_not_sent_twice(aws_stack, tmp_path):
    stack = emulated(aws_stack, "s3")
    folder = tmp_path / "ano=2024" / "mes=1"
    folder.mkdir(parents=True)
    big = folder / "part-0.parquet"
    big.write_bytes(b"PAR1" + bytes(11 * 2**20) + b"PAR1")  # 11 MiB + 8 B
    files = [SilverFile(big, "ano=2024/mes=1", "ano=2024/mes=1/part-0.parquet")]
    sent = []

    assert upload_silver(stack, files, sent.append, multipart_threshold=5 * 2**20) == (
        1,
        0,
        big.stat().st_size,
    )

    bucket, prefix = aws_stack.bucket_and_prefix(out.SILVER_URI)
    head = stack.clients.s3.head_object(Bucket=bucket, Key=prefix + "ano=2024/mes=1/part-0.parquet")
    assert head["ETag"].strip('"').endswith("-3")  # a multipart upload's ETag: 5 + 5 + 1 MiB parts
    assert sum(sent) == big.stat().st_size  # the progress callback saw every byte
    assert upload_silver(stack, files, None, multipart_threshold=5 * 2**20) == (0, 1, 0)


@pytest.mark.parametrize(
    ("job", "minutes"),
    [({"Timeout": 30, "GlueVersion": "5.0"}, 30), ({"GlueVersion": "5.0"}, 480), ({"GlueVersion": "4.0"}, 2880)],
)
def test_a_job_without_its_own_timeout_waits_for_glues_default_for_its_version(job, minutes):
    # Job.Timeout (botocore's Glue model): "defaulted to 2,880 minutes for Glue version 4.0
    # and earlier, or 480 minutes for Glue version 5.0 and later".
    stack, glue = stubbed("glue")
    name = OUTPUTS[out.JOB_NAME]
    glue.add_response("get_job", {"Job": {"Name": name, **job}}, {"JobName": name})
    with glue:
        assert job_settings(stack).timeout_minutes == minutes


@pytest.mark.parametrize("size", [1024, 6 * 2**20])  # one PutObject; a multipart upload (5 MiB parts)
def test_silver_uploads_carry_sse_kms_headers_when_the_stack_has_a_key(aws_stack, tmp_path, size):
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    stack = emulated(aws_stack, "s3", **{out.KMS_KEY_ARN: key_arn})
    sent = {}
    for operation in ("PutObject", "CreateMultipartUpload"):
        stack.clients.s3.meta.events.register(
            f"provide-client-params.s3.{operation}", lambda params, model, **_: sent.update({model.name: params})
        )
    folder = tmp_path / "ano=2024" / "mes=1"
    folder.mkdir(parents=True)
    part = folder / "part-0.parquet"
    part.write_bytes(b"PAR1" + bytes(size) + b"PAR1")
    files = [SilverFile(part, "ano=2024/mes=1", "ano=2024/mes=1/part-0.parquet")]

    upload_silver(stack, files, multipart_threshold=5 * 2**20)

    [(operation, params)] = sent.items()
    assert operation == ("PutObject" if size < 5 * 2**20 else "CreateMultipartUpload")
    assert (params["ServerSideEncryption"], params["SSEKMSKeyId"]) == ("aws:kms", key_arn)

    sent.clear()  # without a key (kmsKeyArn empty): the bucket's default encryption, no headers
    stack.clients.s3.delete_object(Bucket=params["Bucket"], Key=params["Key"])
    upload_silver(Stack(replace(stack.outputs, kms_key_arn=""), stack.clients), files)
    assert "ServerSideEncryption" not in next(iter(sent.values()))
