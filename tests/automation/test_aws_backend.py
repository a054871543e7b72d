"""The AWS backend's failure paths the emulator cannot produce, with botocore's Stubber on
real clients (it checks every request and response against the service model), and the
catalog and session behaviour against the emulator itself."""

from __future__ import annotations

import datetime as dt
import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from automation import aws as ops
from automation.aws import AwsClients, AwsError, WaitTimeout, build_session, wait_for
from automation.lake import SilverFile
from automation.outputs import OutputsError, StackOutputs, load_outputs_file
from automation.pipeline import run_pipeline
from infra import outputs as out

OUTPUTS = {
    out.REGION: "us-east-1",
    out.JOB_NAME: "job-transform-silver-to-gold",
    out.REPORTS_URI: "s3://lake/gold/_reports/sample_data_aggregated/",
    out.GOLD_URI: "s3://lake/gold/sample_data_aggregated/",
    out.SILVER_URI: "s3://lake/silver/sample_data_partitioned/",
    out.SILVER_DATABASE: "silver_data",
    out.SILVER_TABLE: "sample_data_partitioned",
    out.GOLD_DATABASE: "gold_data",
    out.GOLD_TABLE: "sample_data_aggregated",
    out.ATHENA_WORKGROUP: "silver-to-gold-dev",
    out.PRICE_PER_DPU_HOUR: 0.44,
    out.JOB_ERROR_LOG_GROUP: "/aws-glue/jobs/silver-to-gold-dev/error",
    out.JOB_OUTPUT_LOG_GROUP: "/aws-glue/jobs/silver-to-gold-dev/output",
    out.CRAWLER_NAME: "crawler-gold-data",
    out.CRAWLER_LOG_GROUP: "/aws-glue/crawlers",
    out.JOB_CONSOLE_URL: "https://us-east-1.console.aws.amazon.com/gluestudio/home?region=us-east-1#/editor/job/j/runs",
}
STARTED = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def stubbed(service: str) -> tuple[AwsClients, Stubber]:
    session = boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1")
    clients = AwsClients(session)
    client = session.client(service)
    clients.use(service, client)
    return clients, Stubber(client)


def outputs() -> StackOutputs:
    return StackOutputs(dict(OUTPUTS), "test")


def no_sleep(_: float) -> None:
    pass


@pytest.fixture(autouse=True)
def instant_waits(monkeypatch):
    """Polls in these tests answer from stubs: no need to sleep between them."""
    monkeypatch.setattr("automation.aws.session.time.sleep", no_sleep)


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
    clients, glue = stubbed("glue")
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
    s3_client = clients.session.client("s3")
    clients.use("s3", s3_client)
    s3 = Stubber(s3_client)
    # The job crashed before publishing its report.
    s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)
    backend = ops.AwsBackend(ops.AwsOptions(), outputs(), lambda o: clients)
    backend.outputs, backend.clients = outputs(), clients

    with glue, s3, pytest.raises(ops.JobRunFailed) as failure:
        backend.run_job()

    text = str(failure.value)
    assert f"job run jr_1 ended {state}: {message}" in text
    assert "driver log: /aws-glue/jobs/silver-to-gold-dev/error stream jr_1-driver" in text
    assert OUTPUTS[out.JOB_CONSOLE_URL] in text
    # A failed run is billed too: 45 s -> the 60 s minimum, 2 DPU -> 120 DPU-s.
    assert backend.run.cost.dpu_seconds == 120
    assert backend.run.report is None
    glue.assert_no_pending_responses()


def test_concurrent_runs_exceeded_names_the_run_in_progress():
    clients, glue = stubbed("glue")
    job = OUTPUTS[out.JOB_NAME]
    glue.add_response("get_job_runs", {"JobRuns": []}, {"JobName": job})  # started by someone in between
    glue.add_client_error("start_job_run", "ConcurrentRunsExceededException", "Concurrent runs exceeded for job", 400)
    running = {"Id": "jr_other", "JobName": job, "JobRunState": "RUNNING", "StartedOn": STARTED}
    glue.add_response("get_job_runs", {"JobRuns": [running]}, {"JobName": job})
    with glue, pytest.raises(ops.JobAlreadyRunning, match="already has run jr_other running"):
        ops.start_job_run(clients, outputs())


def test_a_missing_job_says_to_deploy():
    clients, glue = stubbed("glue")
    glue.add_client_error("get_job_runs", "EntityNotFoundException", "Job not found", 400)
    with glue, pytest.raises(AwsError, match="does not exist in region us-east-1: deploy the stack first"):
        ops.start_job_run(clients, outputs())


# -- crawler --------------------------------------------------------------------------------
def test_a_failed_crawl_gives_glues_message_and_log_stream():
    clients, glue = stubbed("glue")
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
    with glue, pytest.raises(ops.CrawlFailed) as failure:
        ops.register_with_crawler(clients, outputs())
    assert str(failure.value) == (
        "crawler crawler-gold-data's crawl ended FAILED: Service Principal: glue.amazonaws.com is not authorized "
        "to perform: s3:ListBucket (log: /aws-glue/crawlers stream crawler-gold-data)"
    )


def test_the_crawl_summary_gives_partitions_added_and_updated():
    clients, glue = stubbed("glue")
    summary = {"PARTITION": {"ADD": {"Count": 3}, "UPDATE": {"Count": 1}}}
    glue.add_response(
        "list_crawls",
        {"Crawls": [{"CrawlId": "c1", "State": "COMPLETED", "Summary": json.dumps(summary), "DPUHour": 0.1}]},
        {"CrawlerName": "crawler-gold-data", "MaxResults": 1},
    )
    with glue:
        assert ops.last_crawl_summary(clients, "crawler-gold-data") == {
            "crawl_id": "c1",
            "dpu_hours": 0.1,
            "partitions_added": 3,
            "partitions_updated": 1,
        }


# -- Athena ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ("FAILED", "Query exhausted resources: the workgroup's 1 GB scan cutoff per query was reached"),
        ("CANCELLED", "Query cancelled by user"),
    ],
)
def test_a_failed_or_cancelled_query_gives_athenas_reason(state, reason):
    clients, athena = stubbed("athena")
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
        {"QueryExecution": {"QueryExecutionId": "q-1", "Status": {"State": "RUNNING"}}},
        {"QueryExecutionId": "q-1"},
    )
    athena.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "QueryExecutionId": "q-1",
                "StatementType": "DML",
                "Status": {"State": state, "StateChangeReason": reason, "AthenaError": {"ErrorMessage": reason}},
                "Statistics": {"DataScannedInBytes": 1_073_741_824},
            }
        },
        {"QueryExecutionId": "q-1"},
    )
    with athena, pytest.raises(ops.QueryFailed) as failure:
        ops.run_query(clients, outputs(), "SELECT 1")
    assert str(failure.value) == f"Athena query q-1 {state}: {reason}"


def test_query_results_are_paged_and_typed():
    clients, athena = stubbed("athena")
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
        outcome = ops.run_query(clients, outputs(), "SELECT idade, ativo FROM gold_data.sample_data_aggregated")
    assert outcome.columns == ("idade", "ativo")
    assert outcome.rows == ((30, True), (41, None))
    assert outcome.cost.usd == 15.0  # 3 TB at $5


# -- catalog against the emulator -------------------------------------------------------------
def test_silver_partitions_go_in_batches_of_100_and_a_rerun_adds_none(aws_stack):
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    clients = AwsClients(session)
    clients.use("glue", session.client("glue", endpoint_url=aws_stack.emulator.url))
    batches = []
    clients.glue.meta.events.register(
        "provide-client-params.glue.BatchCreatePartition",
        lambda params, **_: batches.append(len(params["PartitionInputList"])),
    )
    stack = StackOutputs(aws_stack.outputs, "emulator")
    specs = [f"ano={2000 + i // 12}/mes={i % 12 + 1}" for i in range(250)]

    assert ops.register_silver_partitions(clients, stack, specs) == (250, 250)
    assert batches == [100, 100, 50]
    silver = (aws_stack.outputs[out.SILVER_DATABASE], aws_stack.outputs[out.SILVER_TABLE])
    assert len(ops.catalog_partitions(clients, *silver)) == 250

    assert ops.register_silver_partitions(clients, stack, specs) == (250, 0)
    assert batches == [100, 100, 50]  # nothing sent the second time


def test_a_pipeline_against_a_stack_without_its_tables_stops_at_the_catalog_step(aws_stack):
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    glue = session.client("glue", endpoint_url=aws_stack.emulator.url)
    glue.delete_table(DatabaseName="gold_data", Name="sample_data_aggregated")
    clients = AwsClients(session)
    for service in ("glue", "sts", "s3", "athena"):
        clients.use(service, session.client(service, endpoint_url=aws_stack.emulator.url))

    class Quiet:
        def step(self, title):
            import contextlib

            return contextlib.nullcontext()

        def done(self, *args):
            pass

    backend = ops.AwsBackend(ops.AwsOptions(), StackOutputs(aws_stack.outputs, "emulator"), lambda o: clients)
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
    report = ops.report_from_json(json.dumps({"run_id": "jr_1", "mode": "full", "rows_read": 3, "reject_ratio": 0.3}))
    assert (report.run_id, report.mode, report.rows_read) == ("jr_1", "full", 3)


def test_stubber_checks_requests_against_the_model():
    """The Stubber is strict: a parameter Glue does not know fails the test, not production."""
    clients, glue = stubbed("glue")
    glue.add_response("start_job_run", {"JobRunId": "jr_1"}, None)
    with glue, pytest.raises(Exception, match="Unknown parameter"):
        clients.glue.start_job_run(JobName="j", Modee="full")


def test_a_failed_runs_own_report_is_read_too():
    clients, s3 = stubbed("s3")
    report = {"run_id": "jr_2", "mode": "incremental", "status": "failed", "error": "412 of 1000 rows rejected"}
    body = json.dumps(report).encode()
    s3.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(body), len(body))},
        {"Bucket": "lake", "Key": "gold/_reports/sample_data_aggregated/jr_2.json"},
    )
    run = {"Id": "jr_2", "JobRunState": "FAILED", "ErrorMessage": "RejectRatioExceeded", "ExecutionTime": 90}
    with s3:
        outcome = ops.describe_job_run(clients, outputs(), {**run, "WorkerType": "G.1X", "NumberOfWorkers": 2})
    assert outcome.report.error == "412 of 1000 rows rejected"
    assert outcome.cost.usd == 0.022  # 2 DPU x 90 s = 180 DPU-s; 180 / 3600 x 0.44


def test_the_cli_shows_a_failed_run_as_json_and_one_error_line(capsys):
    from automation.cli import run_handler
    from automation.cli.aws import show_run
    from automation.cli.console import Screen

    run = ops.JobRunOutcome(
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


def test_big_silver_files_go_up_in_parts_and_are_not_sent_twice(aws_stack, tmp_path):
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    clients = AwsClients(session)
    clients.use("s3", session.client("s3", endpoint_url=aws_stack.emulator.url))
    folder = tmp_path / "ano=2024" / "mes=1"
    folder.mkdir(parents=True)
    big = folder / "part-0.parquet"
    big.write_bytes(b"PAR1" + bytes(11 * 2**20) + b"PAR1")  # 11 MiB + 8 B
    files = [SilverFile(big, "ano=2024/mes=1", "ano=2024/mes=1/part-0.parquet")]
    sent = []
    stack = StackOutputs(aws_stack.outputs, "emulator")

    assert ops.upload_silver(clients, stack, files, sent.append, multipart_threshold=5 * 2**20) == (
        1,
        0,
        big.stat().st_size,
    )

    bucket, prefix = aws_stack.bucket_and_prefix(out.SILVER_URI)
    head = clients.s3.head_object(Bucket=bucket, Key=prefix + "ano=2024/mes=1/part-0.parquet")
    assert head["ETag"].strip('"').endswith("-3")  # a multipart upload's ETag: 5 + 5 + 1 MiB parts
    assert sum(sent) == big.stat().st_size  # the progress callback saw every byte
    assert ops.upload_silver(clients, stack, files, None, multipart_threshold=5 * 2**20) == (0, 1, 0)
