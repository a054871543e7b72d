"""Gold partitions on a deployed stack: the Glue catalog against S3, and the three ways to
register them (the job's own registration checked, the crawler, the saved MSCK REPAIR).

Takes the stack handle; never creates or deletes what Pulumi owns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from automation.aws.athena import run_query
from automation.aws.deployed import Stack
from automation.aws.session import AwsError, error_code, error_message, paginate, wait_for
from automation.lake import files_by_partition, sorted_specs, spec_order
from automation.outputs import split_s3_uri
from automation.pipeline import Notify, VerificationError, silent
from automation.wording import plural
from etl.errors import PipelineError
from etl.incremental import parse_partition_spec
from infra import outputs as out
from infra.settings import REGISTRATION_METHODS

# A crawler's last crawl: SUCCEEDED, CANCELLED or FAILED (the emulator says COMPLETED).
CRAWL_OK_STATES = ("SUCCEEDED", "COMPLETED")


# The stack outputs each registration method reads: checked before its first AWS call.
REGISTER_OUTPUTS = {
    "job": (out.GOLD_DATABASE, out.GOLD_TABLE, out.GOLD_URI),
    "crawler": (out.GOLD_DATABASE, out.GOLD_TABLE, out.GOLD_URI, out.CRAWLER_NAME),
    "msck": (out.GOLD_DATABASE, out.GOLD_TABLE, out.GOLD_URI, out.REPAIR_QUERY_ID, out.ATHENA_WORKGROUP),
}


class CrawlFailed(AwsError):
    """The crawler's crawl failed or was cancelled."""


class CrawlerBusy(AwsError):
    """The crawler is already crawling."""


def catalog_partitions(stack: Stack, database: str, table: str) -> list[str]:
    """The table's partitions in the Glue catalog, as sorted `ano=/mes=` specs."""
    try:
        values = [
            p["Values"]
            for p in paginate(
                stack.clients.glue, "get_partitions", "Partitions", DatabaseName=database, TableName=table
            )
        ]
    except ClientError as error:
        raise catalog_error(error, database, table) from None
    return sorted_specs(parse_partition_spec(f"ano={v[0]}/mes={v[1]}") for v in values)


def catalog_error(error: ClientError, database: str, table: str) -> AwsError:
    """One sentence for a refused catalog call on `database.table`."""
    if error_code(error) == "EntityNotFoundException":
        return AwsError(
            f"the table {database}.{table} is not in the Glue catalog: deploy the stack "
            "(`python -m automation deploy --stack NAME`) before this step"
        )
    return AwsError(f"the Glue catalog refused a request on {database}.{table}: {error_message(error)}")


def s3_data_files(stack: Stack, uri: str) -> dict[str, list[tuple[str, int]]]:
    """Data objects under `uri` by `ano=/mes=` folder: (name, size) pairs, sorted.

    What is data is the lake's rule (`automation.lake.is_data_path`): markers, state files,
    folder placeholders and anything under `_temporary/` or `.spark-staging-*/` are not.
    """
    bucket, prefix = split_s3_uri(uri)
    try:
        items = [
            (item["Key"][len(prefix) :], int(item.get("Size", 0)))
            for item in paginate(stack.clients.s3, "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix)
        ]
    except ClientError as error:
        raise AwsError(f"cannot list {uri}: {error_message(error)}") from None
    return files_by_partition(items)


def gold_layout(stack: Stack) -> tuple[list[str], dict[str, list[str]]]:
    """Gold partitions in the catalog, and gold data files by folder in S3."""
    partitions = gold_partitions(stack)
    files = {spec: [name for name, _ in items] for spec, items in s3_data_files(stack, stack.outputs.gold_uri).items()}
    return partitions, files


@dataclass
class RegisterOutcome:
    """What a registration method did, and the catalog's gold partitions after it."""

    method: str
    partitions: list[str]
    detail: str
    crawl: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "partitions": self.partitions,
            "partition_count": len(self.partitions),
            "detail": self.detail,
            "crawl": self.crawl,
            "query": self.query,
        }


def gold_partitions(stack: Stack) -> list[str]:
    """The gold table's partitions in the Glue catalog, as sorted `ano=/mes=` specs."""
    return catalog_partitions(stack, stack.outputs.gold_database, stack.outputs.gold_table)


def register_with_job(stack: Stack) -> RegisterOutcome:
    """Check the partitions the job registered against the `ano=/mes=` prefixes in S3.

    Raises:
        VerificationError: naming the partitions on one side only.
    """
    partitions, files = gold_layout(stack)
    missing = sorted(set(partitions) - set(files), key=spec_order)
    unregistered = sorted(set(files) - set(partitions), key=spec_order)
    problems = []
    if missing:
        problems.append(f"catalog partitions with no files in S3: {', '.join(missing[:5])}")
    if unregistered:
        problems.append(
            f"S3 folders the catalog lacks: {', '.join(unregistered[:5])} (register them with --method crawler or msck)"
        )
    if problems:
        raise VerificationError("gold partitions do not match: " + "; ".join(problems))
    matched = f"{plural(len(partitions), 'partition')} in the catalog match the S3 folders"
    return RegisterOutcome("job", partitions, matched)


def register_with_crawler(stack: Stack, timeout_minutes: float = 30, progress: Notify = silent) -> RegisterOutcome:
    """Start the stack's crawler, wait until it is READY again, report its last crawl.

    Raises:
        CrawlerBusy: the crawler is already crawling (nothing is started).
        CrawlFailed: the crawl failed or was cancelled, with Glue's message and log stream.
    """
    name = stack.outputs.crawler_name
    glue = stack.clients.glue
    crawler = _get_crawler(stack)
    if crawler.get("State") != "READY":
        raise CrawlerBusy(f"crawler {name} is {crawler.get('State')}: wait until it is READY, then run register again")
    previous = (crawler.get("LastCrawl") or {}).get("StartTime")
    try:
        glue.start_crawler(Name=name)
    except ClientError as error:
        if error_code(error) == "CrawlerRunningException":
            raise CrawlerBusy(
                f"crawler {name} is already running: wait until it is READY, then run register again"
            ) from None
        raise AwsError(f"Glue refused to start crawler {name}: {error_message(error)}") from None
    progress(f"crawler {name} started")

    def ready_after_our_crawl(found: dict[str, Any]) -> bool:
        last = found.get("LastCrawl") or {}
        return found.get("State") == "READY" and last.get("StartTime") not in (None, previous)

    crawler = wait_for(
        f"crawler {name} to finish its crawl and be READY",
        lambda: _get_crawler(stack),
        ready_after_our_crawl,
        timeout=timeout_minutes * 60,
        first_delay=2.0,
        max_delay=30.0,
    )
    last = crawler.get("LastCrawl") or {}
    status = last.get("Status", "UNKNOWN")
    if status not in CRAWL_OK_STATES:
        group = last.get("LogGroup") or stack.outputs.crawler_log_group
        raise CrawlFailed(
            f"crawler {name}'s crawl ended {status}: {last.get('ErrorMessage') or 'no error message'} "
            f"(log: {group} stream {last.get('LogStream', name)})"
        )
    summary = last_crawl_summary(stack, last.get("StartTime"))
    partitions = gold_partitions(stack)
    added, updated = summary.get("partitions_added"), summary.get("partitions_updated")
    changes = (
        f"{plural(added or 0, 'partition')} added, {updated or 0:,} updated"
        if added is not None or updated is not None
        else "partition changes not reported"
    )
    return RegisterOutcome(
        "crawler",
        partitions,
        f"crawl {status}: {changes}; {plural(len(partitions), 'partition')} in the catalog",
        crawl={"status": status, **summary},
    )


def _get_crawler(stack: Stack) -> dict[str, Any]:
    name = stack.outputs.crawler_name
    try:
        return stack.clients.glue.get_crawler(Name=name)["Crawler"]
    except ClientError as error:
        if error_code(error) == "EntityNotFoundException":
            raise stack.not_deployed(f"the crawler {name!r}") from None
        raise AwsError(f"Glue refused a request on crawler {name}: {error_message(error)}") from None


def last_crawl_summary(stack: Stack, started: Any = None) -> dict[str, Any]:
    """Partitions added/updated by the stack's crawler's newest crawl, from ListCrawls' run summary.

    ListCrawls does not say its crawls come newest first, and botocore has no paginator for
    it: every page is read (from `started` on, when given: "START_TIME ... The epoch
    timestamp in milliseconds", CrawlsFilter) and the crawl with the latest StartTime wins.
    """
    request: dict[str, Any] = {"CrawlerName": stack.outputs.crawler_name, "MaxResults": 100}
    if isinstance(started, datetime):
        millis = str(int(started.timestamp() * 1000))
        request["Filters"] = [{"FieldName": "START_TIME", "FilterOperator": "GE", "FieldValue": millis}]
    crawls: list[dict[str, Any]] = []
    try:
        while True:
            page = stack.clients.glue.list_crawls(**request)
            crawls += page.get("Crawls", [])
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    except ClientError:
        return {}
    if not crawls:
        return {}
    crawl = max(crawls, key=lambda c: _timestamp(c.get("StartTime")))
    summary: dict[str, Any] = {"crawl_id": crawl.get("CrawlId", ""), "dpu_hours": crawl.get("DPUHour")}
    summary.update(crawl_partition_changes(crawl.get("Summary")))
    return summary


def crawl_partition_changes(text: Any) -> dict[str, int]:
    """`partitions_added` / `partitions_updated` from a crawl's `Summary`.

    The Summary is a string, "A run summary for the specific crawl in JSON. Contains the
    catalog tables and partitions that were added, updated, or deleted" (CrawlerHistory in
    botocore's Glue model; https://docs.aws.amazon.com/glue/latest/webapi/API_ListCrawls.html
    shows `"Summary": "string"`). AWS documents no schema for its inside: a section
    (`PARTITION`) or an action in it (`ADD`) may itself be a JSON string rather than an
    object, and a count a number or a numeric string; all are read.
    """
    document = _json_value(text)
    if not isinstance(document, dict):
        return {}
    partitions = _json_value(_section(document, "PARTITION", "PARTITIONS"))
    if not isinstance(partitions, dict):
        return {}
    changes: dict[str, int] = {}
    for action, key in (("ADD", "partitions_added"), ("UPDATE", "partitions_updated")):
        entry = _json_value(_section(partitions, action))
        if isinstance(entry, dict):
            entry = _json_value(_section(entry, "COUNT"))
        count = _count(entry)
        if count is not None:
            changes[key] = count
    return changes


def _json_value(value: Any) -> Any:
    """A JSON document that may be nested in strings, decoded until it is not a string."""
    for _ in range(3):
        if not isinstance(value, str):
            break
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            break
    return value


def _section(document: dict[str, Any], *names: str) -> Any:
    wanted = {n.upper() for n in names}
    return next((value for key, value in document.items() if str(key).upper() in wanted), None)


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (str, float)):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None


def _timestamp(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value or 0)


def register_with_msck(stack: Stack, timeout_minutes: float = 30, progress: Notify = silent) -> RegisterOutcome:
    """Run the stack's saved `MSCK REPAIR TABLE` query in its workgroup."""
    query_id = stack.outputs.repair_query_id
    try:
        saved = stack.clients.athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
    except ClientError as error:
        # GetNamedQuery's documented errors are InternalServerException (a platform issue) and
        # InvalidRequestException (bad input, an unknown id among it)
        # (https://docs.aws.amazon.com/athena/latest/APIReference/API_GetNamedQuery.html).
        if error_code(error) == "InvalidRequestException":
            raise stack.not_deployed(f"the saved query {query_id!r}") from None
        raise AwsError(f"cannot read the saved query {query_id}: {error_message(error)}") from None
    result = run_query(
        stack,
        saved["QueryString"],
        database=saved.get("Database"),
        workgroup=saved.get("WorkGroup") or stack.outputs.athena_workgroup,
        timeout_minutes=timeout_minutes,
        progress=progress,
    )
    partitions = gold_partitions(stack)
    return RegisterOutcome(
        "msck",
        partitions,
        f"{saved['QueryString']} {result.state.lower()} (query {result.query_id}); "
        f"{plural(len(partitions), 'partition')} in the catalog",
        query=result.to_dict(),
    )


def register(stack: Stack, method: str, progress: Notify = silent) -> RegisterOutcome:
    """Make gold's partitions visible by `method`: `job`, `crawler` or `msck`."""
    if method == "job":
        return register_with_job(stack)
    if method == "crawler":
        return register_with_crawler(stack, progress=progress)
    if method == "msck":
        return register_with_msck(stack, progress=progress)
    raise PipelineError(f"unknown registration method {method!r}: use {', '.join(REGISTRATION_METHODS)}")
