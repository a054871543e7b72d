"""`register --method crawler` on a deployed stack (`automation.aws.catalog`): the crawler's
states, refusals and crawl history that moto cannot produce, as botocore's Stubber answers them
(checked against Glue's model); split from `test_catalog_edges.py` (issue 25, docs/testing.md).
Every expected value is written out.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from automation.aws.catalog import CrawlerBusy, CrawlFailed, crawl_partition_changes, last_crawl_summary, register
from automation.aws.session import WaitTimeout
from tests.stubs import STUB_OUTPUTS, stubbed_stack

GOLD_TABLE = {"DatabaseName": "gold_data", "TableName": "sample_data_aggregated"}
OLD_CRAWL = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
NEW_CRAWL = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


pytestmark = pytest.mark.usefixtures("instant_waits")


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
