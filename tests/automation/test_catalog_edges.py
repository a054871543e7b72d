"""`register --method job|crawler|msck` on a deployed stack (`automation.aws.catalog`), in process:
the edges mutmut found no fast-tier test reaching or guarding (issue 25, docs/testing.md; the e2e
tests in `tests/e2e/test_aws_cli.py` start the CLI as a subprocess, out of mutmut's reach).

On the emulator (moto) as the operator (`as_operator`): gold's files and catalog partitions are
put there by hand, so each test says exactly what is on each side. What moto cannot answer (a
refused start, a crawl history with a summary, a saved query Athena does not know) is botocore's
Stubber, checked against each service's model. Every expected value is written out.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from automation.aws.catalog import CrawlerBusy, CrawlFailed, crawl_partition_changes, last_crawl_summary, register
from automation.aws.session import WaitTimeout
from automation.cli import main
from etl.errors import PipelineError
from infra import outputs as out
from tests.stubs import STUB_OUTPUTS, stubbed_stack

GOLD_TABLE = {"DatabaseName": "gold_data", "TableName": "sample_data_aggregated"}
OLD_CRAWL = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
NEW_CRAWL = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def instant_waits(monkeypatch):
    monkeypatch.setattr("automation.aws.session.time.sleep", lambda _: None)


def gold_files(seeded, *specs: str) -> None:
    """One gold data file in each `ano=/mes=` folder."""
    bucket, prefix = seeded.bucket_and_prefix(out.GOLD_URI)
    for spec in specs:
        seeded.emulator.client("s3").put_object(Bucket=bucket, Key=f"{prefix}{spec}/part-00000.parquet", Body=b"x")


def gold_partitions(seeded, *values: tuple[int, int]) -> None:
    """Catalog partitions of the gold table, each with its table's storage descriptor."""
    glue = seeded.emulator.client("glue")
    table = glue.get_table(DatabaseName=seeded[out.GOLD_DATABASE], Name=seeded[out.GOLD_TABLE])["Table"]
    glue.batch_create_partition(
        DatabaseName=seeded[out.GOLD_DATABASE],
        TableName=seeded[out.GOLD_TABLE],
        PartitionInputList=[
            {"Values": [str(ano), str(mes)], "StorageDescriptor": table["StorageDescriptor"]} for ano, mes in values
        ],
    )


def register_json(seeded, method: str, capsys) -> dict:
    assert main(["register", "--method", method, "--outputs-file", str(seeded.outputs_file), "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


# -- register --method job -----------------------------------------------------------------------
def test_register_job_reports_the_partitions_the_catalog_and_s3_agree_on(as_operator, capsys):
    gold_files(as_operator, "ano=2024/mes=2", "ano=2024/mes=10", "ano=2024/mes=9")
    gold_partitions(as_operator, (2024, 10), (2024, 2), (2024, 9))

    assert register_json(as_operator, "job", capsys) == {
        "method": "job",
        "partitions": ["ano=2024/mes=2", "ano=2024/mes=9", "ano=2024/mes=10"],
        "partition_count": 3,
        "detail": "3 partitions in the catalog match the S3 folders",
        "crawl": {},
        "query": {},
    }


def test_register_job_prints_the_agreement_and_the_partitions(as_operator, capsys):
    gold_files(as_operator, "ano=2024/mes=1")
    gold_partitions(as_operator, (2024, 1))

    assert main(["register", "--method", "job", "--outputs-file", str(as_operator.outputs_file)]) == 0

    assert capsys.readouterr().out.splitlines()[-2:] == [
        "job: 1 partition in the catalog match the S3 folders",
        "partitions: ano=2024/mes=1",
    ]


def test_register_job_names_the_first_five_partitions_on_each_side_in_partition_order(as_operator, capsys):
    # In the catalog only: 2023 months 8 to 12 and 2024/1 (as text, mes=10 would come before mes=8).
    gold_partitions(as_operator, (2024, 1), (2023, 12), (2023, 11), (2023, 10), (2023, 9), (2023, 8))
    # In S3 only: 2025 months 1 to 7.
    gold_files(as_operator, *(f"ano=2025/mes={mes}" for mes in (7, 6, 5, 4, 3, 2, 1)))

    code = main(["register", "--method", "job", "--outputs-file", str(as_operator.outputs_file)])

    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: gold partitions do not match: catalog partitions with no files in S3: ano=2023/mes=8, "
        "ano=2023/mes=9, ano=2023/mes=10, ano=2023/mes=11, ano=2023/mes=12; S3 folders the catalog lacks: "
        "ano=2025/mes=1, ano=2025/mes=2, ano=2025/mes=3, ano=2025/mes=4, ano=2025/mes=5 (register them with "
        "--method crawler or msck)"
    )


def test_register_job_names_catalog_partitions_without_files_alone(as_operator, capsys):
    gold_files(as_operator, "ano=2024/mes=1")
    gold_partitions(as_operator, (2024, 1), (2024, 2))

    code = main(["register", "--method", "job", "--outputs-file", str(as_operator.outputs_file)])

    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: gold partitions do not match: catalog partitions with no files in S3: ano=2024/mes=2"
    )


# -- register --method msck ----------------------------------------------------------------------
def test_register_msck_runs_the_saved_query_where_it_was_saved_and_reports_the_partitions(as_operator, capsys):
    """The dev stack's saved query: `MSCK REPAIR TABLE gold_data.sample_data_aggregated` in the
    stack's workgroup and database. The emulator runs no DDL (partitions are put there by hand)
    and reports every query's scan as 0 bytes; DDL is free ("Amazon Athena pricing")."""
    gold_partitions(as_operator, (2024, 3), (2024, 1))

    found = register_json(as_operator, "msck", capsys)

    athena = as_operator.emulator.client("athena")
    (query_id,) = athena.list_query_executions(WorkGroup="silver-to-gold-dev")["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert execution["QueryExecutionContext"] == {"Database": "gold_data"}
    assert found == {
        "method": "msck",
        "partitions": ["ano=2024/mes=1", "ano=2024/mes=3"],
        "partition_count": 2,
        "detail": f"MSCK REPAIR TABLE gold_data.sample_data_aggregated succeeded (query {query_id}); "
        "2 partitions in the catalog",
        "crawl": {},
        "query": {
            "query_id": query_id,
            "sql": "MSCK REPAIR TABLE gold_data.sample_data_aggregated",
            "state": "SUCCEEDED",
            "statement_type": "DDL",
            "workgroup": "silver-to-gold-dev",
            "columns": [],
            "rows": [],
            "data_scanned_bytes": 0,
            "billed_bytes": 0,
            "cost_usd": 0.0,
        },
    }


def test_register_msck_of_a_saved_query_without_workgroup_or_database_uses_the_stacks(capsys):
    """A saved query's WorkGroup and Database are optional in GetNamedQuery's answer (NamedQuery
    requires only Name, Database and QueryString in the API reference; botocore's model requires
    Name, Database, QueryString): a saved query that names no workgroup runs in the stack's."""
    stack, (athena, glue) = stubbed_stack(STUB_OUTPUTS | {out.REPAIR_QUERY_ID: "nq-1"}, "athena", "glue")
    saved = {"Name": "repair", "Database": "gold_data", "QueryString": "MSCK REPAIR TABLE gold_data.t"}
    athena.add_response("get_named_query", {"NamedQuery": saved}, {"NamedQueryId": "nq-1"})
    athena.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-1"},
        {
            "QueryString": "MSCK REPAIR TABLE gold_data.t",
            "WorkGroup": "silver-to-gold-dev",
            "QueryExecutionContext": {"Database": "gold_data"},
        },
    )
    athena.add_response(
        "get_query_execution",
        {"QueryExecution": {"QueryExecutionId": "q-1", "Status": {"State": "SUCCEEDED"}, "StatementType": "DDL"}},
        {"QueryExecutionId": "q-1"},
    )
    athena.add_response("get_query_results", {}, {"QueryExecutionId": "q-1"})
    glue.add_response("get_partitions", {"Partitions": [{"Values": ["2024", "1"]}]}, GOLD_TABLE)
    progress: list[str] = []
    with athena, glue:
        outcome = register(stack, "msck", progress.append)

    assert progress == ["query q-1 started in workgroup silver-to-gold-dev"]
    assert outcome.detail == "MSCK REPAIR TABLE gold_data.t succeeded (query q-1); 1 partition in the catalog"


def test_register_msck_of_a_saved_query_athena_does_not_know_asks_for_a_deploy():
    """GetNamedQuery answers an unknown id with InvalidRequestException (its documented errors are
    that and InternalServerException,
    https://docs.aws.amazon.com/athena/latest/APIReference/API_GetNamedQuery.html)."""
    stack, (athena,) = stubbed_stack(STUB_OUTPUTS | {out.REPAIR_QUERY_ID: "nq-gone"}, "athena")
    athena.add_client_error("get_named_query", "InvalidRequestException", "NamedQuery nq-gone was not found")
    athena.add_client_error("get_named_query", "InternalServerException", "try again")
    with athena:
        with pytest.raises(Exception) as gone:
            register(stack, "msck")
        with pytest.raises(Exception) as refused:
            register(stack, "msck")

    assert str(gone.value) == "the saved query 'nq-gone' does not exist in region us-east-1: deploy the stack first"
    assert str(refused.value) == "cannot read the saved query nq-gone: InternalServerException: try again"


def test_an_unknown_registration_method_is_refused_naming_the_three():
    stack, _ = stubbed_stack(STUB_OUTPUTS)
    with pytest.raises(PipelineError) as unknown:
        register(stack, "manual")

    assert str(unknown.value) == "unknown registration method 'manual': use job, crawler, msck"


# -- register --method crawler -------------------------------------------------------------------
def test_register_crawler_on_the_emulator_reports_its_crawl_and_the_partitions(as_operator, capsys):
    """moto's crawl ends COMPLETED at once here, and ListCrawls gives it DPUHour 100.0 and no
    Summary: the partitions it changed are not reported."""
    gold_partitions(as_operator, (2024, 1))

    found = register_json(as_operator, "crawler", capsys)

    glue = as_operator.emulator.client("glue")
    (crawl,) = glue.list_crawls(CrawlerName="crawler-gold-data")["Crawls"]
    assert found == {
        "method": "crawler",
        "partitions": ["ano=2024/mes=1"],
        "partition_count": 1,
        "detail": "crawl COMPLETED: partition changes not reported; 1 partition in the catalog",
        "crawl": {"status": "COMPLETED", "crawl_id": crawl["CrawlId"], "dpu_hours": 100.0},
        "query": {},
    }


def crawler(state: str, last: dict | None = None) -> dict:
    found = {"Name": "crawler-gold-data", "State": state}
    if last is not None:
        found["LastCrawl"] = last
    return {"Crawler": found}


def test_a_crawler_not_ready_is_not_started_and_its_state_named():
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    glue.add_response("get_crawler", crawler("STOPPING"), {"Name": "crawler-gold-data"})
    with glue, pytest.raises(CrawlerBusy) as busy:
        register(stack, "crawler")

    assert str(busy.value) == ("crawler crawler-gold-data is STOPPING: wait until it is READY, then run register again")


@pytest.mark.parametrize(
    ("code", "message", "error", "expected"),
    [
        (
            "CrawlerRunningException",
            "Crawler with name crawler-gold-data has already started",
            CrawlerBusy,
            "crawler crawler-gold-data is already running: wait until it is READY, then run register again",
        ),
        (
            "OperationTimeoutException",
            "Timed out",
            Exception,
            "Glue refused to start crawler crawler-gold-data: OperationTimeoutException: Timed out",
        ),
    ],
)
def test_a_refused_crawler_start_says_why(code, message, error, expected):
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    glue.add_response("get_crawler", crawler("READY"), {"Name": "crawler-gold-data"})
    glue.add_client_error("start_crawler", code, message, expected_params={"Name": "crawler-gold-data"})
    with glue, pytest.raises(error) as refused:
        register(stack, "crawler")

    assert str(refused.value) == expected
    assert type(refused.value) is not CrawlFailed


def test_a_crawler_the_account_does_not_hold_asks_for_a_deploy_and_another_refusal_is_named():
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    glue.add_client_error("get_crawler", "EntityNotFoundException", "Crawler crawler-gold-data not found.")
    glue.add_client_error("get_crawler", "AccessDeniedException", "not authorized to perform glue:GetCrawler")
    with glue:
        with pytest.raises(Exception) as gone:
            register(stack, "crawler")
        with pytest.raises(Exception) as refused:
            register(stack, "crawler")

    assert str(gone.value) == (
        "the crawler 'crawler-gold-data' does not exist in region us-east-1: deploy the stack first"
    )
    assert str(refused.value) == (
        "Glue refused a request on crawler crawler-gold-data: AccessDeniedException: not authorized to "
        "perform glue:GetCrawler"
    )


def test_the_crawl_waited_for_is_the_one_started_not_the_last_one_shown_before_it():
    """Right after StartCrawler the crawler may still read READY with its previous crawl (here a
    FAILED one): only a READY crawler whose last crawl started later is done."""
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    name = {"Name": "crawler-gold-data"}
    old = {"Status": "FAILED", "ErrorMessage": "old failure", "StartTime": OLD_CRAWL}
    glue.add_response("get_crawler", crawler("READY", old), name)
    glue.add_response("start_crawler", {}, name)
    glue.add_response("get_crawler", crawler("READY", old), name)
    glue.add_response("get_crawler", crawler("RUNNING", old), name)
    glue.add_response("get_crawler", crawler("READY", {"Status": "SUCCEEDED", "StartTime": NEW_CRAWL}), name)
    since = {"FieldName": "START_TIME", "FilterOperator": "GE", "FieldValue": str(int(NEW_CRAWL.timestamp() * 1000))}
    summary = json.dumps({"PARTITION": {"ADD": {"Count": 1}, "UPDATE": {"Count": 1200}}})
    glue.add_response(
        "list_crawls",
        {"Crawls": [{"CrawlId": "c-2", "StartTime": NEW_CRAWL, "Summary": summary, "DPUHour": 0.25}]},
        {"CrawlerName": "crawler-gold-data", "MaxResults": 100, "Filters": [since]},
    )
    glue.add_response("get_partitions", {"Partitions": [{"Values": ["2024", "1"]}]}, GOLD_TABLE)
    progress: list[str] = []
    with glue:
        outcome = register(stack, "crawler", progress.append)

    assert progress == ["crawler crawler-gold-data started"]
    assert outcome.to_dict() == {
        "method": "crawler",
        "partitions": ["ano=2024/mes=1"],
        "partition_count": 1,
        "detail": "crawl SUCCEEDED: 1 partition added, 1,200 updated; 1 partition in the catalog",
        "crawl": {
            "status": "SUCCEEDED",
            "crawl_id": "c-2",
            "dpu_hours": 0.25,
            "partitions_added": 1,
            "partitions_updated": 1200,
        },
        "query": {},
    }


def test_a_crawl_that_failed_without_a_message_or_log_names_the_stacks_crawler_log():
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    name = {"Name": "crawler-gold-data"}
    glue.add_response("get_crawler", crawler("READY"), name)
    glue.add_response("start_crawler", {}, name)
    glue.add_response("get_crawler", crawler("READY", {"Status": "CANCELLED", "StartTime": NEW_CRAWL}), name)
    with glue, pytest.raises(CrawlFailed) as failed:
        register(stack, "crawler")

    assert str(failed.value) == (
        "crawler crawler-gold-data's crawl ended CANCELLED: no error message "
        "(log: /aws-glue/crawlers stream crawler-gold-data)"
    )


# -- the crawl's summary ---------------------------------------------------------------------------
def test_the_newest_crawl_wins_on_any_page_and_a_crawl_without_id_or_start_is_read():
    """ListCrawls' CrawlerHistory makes every member optional in botocore's model: a crawl may
    come without CrawlId or StartTime, and a page without Crawls."""
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    request = {"CrawlerName": "crawler-gold-data", "MaxResults": 100}
    newest = {"StartTime": NEW_CRAWL, "DPUHour": 0.5, "Summary": json.dumps({"PARTITION": {"ADD": 2}})}
    glue.add_response("list_crawls", {"Crawls": [{"CrawlId": "c-undated"}, newest], "NextToken": "p2"}, request)
    glue.add_response("list_crawls", {"NextToken": "p3"}, {**request, "NextToken": "p2"})
    glue.add_response(
        "list_crawls", {"Crawls": [{"CrawlId": "c-old", "StartTime": OLD_CRAWL}]}, {**request, "NextToken": "p3"}
    )
    with glue:
        summary = last_crawl_summary(stack)

    assert summary == {"crawl_id": "", "dpu_hours": 0.5, "partitions_added": 2}


def test_a_refused_or_empty_crawl_history_reports_nothing():
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    glue.add_client_error("list_crawls", "AccessDeniedException", "not authorized to perform glue:ListCrawls")
    glue.add_response("list_crawls", {"Crawls": []}, {"CrawlerName": "crawler-gold-data", "MaxResults": 100})
    with glue:
        assert last_crawl_summary(stack) == {}
        assert last_crawl_summary(stack) == {}


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        # The section's name in either spelling and any case; a count as a number, a numeric string
        # (JSON or not: a leading zero or plus sign), a float, or the action's whole value.
        (
            {"Partitions": {"add": {"count": "07"}, "Update": {"COUNT": "+3"}}},
            {"partitions_added": 7, "partitions_updated": 3},
        ),
        ({"PARTITION": {"ADD": 2.0, "UPDATE": {"Count": 5}}}, {"partitions_added": 2, "partitions_updated": 5}),
        ({"PARTITION": {"ADD": {"Count": 4}}}, {"partitions_added": 4}),  # no UPDATE section
        ({"partition": json.dumps(json.dumps({"add": 1}))}, {"partitions_added": 1}),  # a string in a string
        # What is not a count is left out: a boolean, a word, a list.
        ({"PARTITION": {"ADD": {"Count": True}, "UPDATE": "many"}}, {}),
        ({"PARTITION": {"ADD": [1]}}, {}),
        ({"TABLE": {"ADD": {"Count": 1}}}, {}),  # no PARTITION section
        ({"PARTITION": "not json"}, {}),
        ([{"PARTITION": {"ADD": 1}}], {}),  # not an object
    ],
)
def test_a_crawl_summary_reads_what_it_can_and_leaves_out_the_rest(summary, expected):
    assert crawl_partition_changes(json.dumps(summary)) == expected


def test_a_crawl_without_a_summary_reports_no_partition_changes():
    assert crawl_partition_changes(None) == {}
    assert crawl_partition_changes("not json") == {}


def test_a_refused_gold_listing_or_catalog_read_names_what_was_refused():
    stack, (glue, s3) = stubbed_stack(STUB_OUTPUTS, "glue", "s3")
    glue.add_response("get_partitions", {"Partitions": []}, GOLD_TABLE)
    s3.add_client_error("list_objects_v2", "AccessDenied", "Access Denied")
    glue.add_client_error("get_partitions", "AccessDeniedException", "not authorized to perform glue:GetPartitions")
    with glue, s3:
        with pytest.raises(Exception) as unlisted:
            register(stack, "job")
        with pytest.raises(Exception) as unread:
            register(stack, "job")

    assert str(unlisted.value) == ("cannot list s3://lake/gold/sample_data_aggregated/: AccessDenied: Access Denied")
    assert str(unread.value) == (
        "the Glue catalog refused a request on gold_data.sample_data_aggregated: AccessDeniedException: "
        "not authorized to perform glue:GetPartitions"
    )


def test_a_crawl_still_running_after_thirty_minutes_is_given_up_naming_the_crawler(monkeypatch):
    """`register` passes no timeout: 30 minutes. Looks come 2 s apart, then 1.5 times longer each
    time up to 30 s: 2 + 3 + 4.5 + 6.75 + 10.125 + 15.1875 + 22.78125 = 64.34375 s in 7 sleeps,
    then 57 of 30 s (1774.34 s), then the 25.66 s left: the 66th look is at 1800 s and the last."""
    now = [0.0]
    monkeypatch.setattr("automation.aws.session.time.monotonic", lambda: now[0])
    monkeypatch.setattr("automation.aws.session.time.sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    name = {"Name": "crawler-gold-data"}
    glue.add_response("get_crawler", crawler("READY"), name)
    glue.add_response("start_crawler", {}, name)
    for _ in range(66):
        glue.add_response("get_crawler", crawler("RUNNING"), name)
    with glue, pytest.raises(WaitTimeout) as gave_up:
        register(stack, "crawler")
    glue.assert_no_pending_responses()

    assert str(gave_up.value) == (
        "gave up waiting for crawler crawler-gold-data to finish its crawl and be READY after 1800 s (66 checks)"
    )


def test_a_crawl_without_a_status_is_not_taken_for_a_success_and_names_its_own_log():
    """LastCrawlInfo's members are all optional in botocore's model of Glue; a crawler with a
    security configuration logs to a group of its own, not the stack's `/aws-glue/crawlers`."""
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    name = {"Name": "crawler-gold-data"}
    last = {"StartTime": NEW_CRAWL, "LogGroup": "/aws-glue/crawlers-role-secconf", "LogStream": "crawler-gold-data-1"}
    glue.add_response("get_crawler", crawler("READY"), name)
    glue.add_response("start_crawler", {}, name)
    glue.add_response("get_crawler", crawler("READY", last), name)
    with glue, pytest.raises(CrawlFailed) as failed:
        register(stack, "crawler")

    assert str(failed.value) == (
        "crawler crawler-gold-data's crawl ended UNKNOWN: no error message "
        "(log: /aws-glue/crawlers-role-secconf stream crawler-gold-data-1)"
    )


@pytest.mark.parametrize(
    ("partitions", "changes"),
    [
        ({"UPDATE": {"Count": 3}}, "0 partitions added, 3 updated"),
        ({"ADD": {"Count": 2}}, "2 partitions added, 0 updated"),
    ],
)
def test_a_crawl_that_only_updated_or_only_added_partitions_says_none_of_the_other(partitions, changes):
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    name = {"Name": "crawler-gold-data"}
    glue.add_response("get_crawler", crawler("READY"), name)
    glue.add_response("start_crawler", {}, name)
    glue.add_response("get_crawler", crawler("READY", {"Status": "SUCCEEDED", "StartTime": NEW_CRAWL}), name)
    crawl = {"CrawlId": "c-3", "StartTime": NEW_CRAWL, "Summary": json.dumps({"PARTITION": partitions})}
    glue.add_response("list_crawls", {"Crawls": [crawl]}, None)
    glue.add_response("get_partitions", {"Partitions": [{"Values": ["2024", "1"]}]}, GOLD_TABLE)
    with glue:
        outcome = register(stack, "crawler")

    assert outcome.detail == f"crawl SUCCEEDED: {changes}; 1 partition in the catalog"
