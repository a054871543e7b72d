"""The pipeline's steps on a deployed stack: Glue, S3, Athena and CloudWatch Logs via boto3.

`AwsBackend` implements `automation.pipeline.Backend`, so `run_pipeline` runs the same
steps and the same checks on AWS as on the local backend. The functions below it are the
operations the CLI's verbs call one by one (run, status, register, query, logs,
load-silver). They take clients (`automation.aws.AwsClients`) and the stack's outputs
(`automation.stack_outputs.StackOutputs`), never build sessions, and never create or delete
what Pulumi owns (databases, tables, the job, the crawler): they start runs, crawls and
queries, upload silver data and register partitions.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from botocore.exceptions import ClientError

from automation.aws import AwsClients, AwsError, Poll, error_code, error_message, paginate, wait_for
from automation.costs import AthenaQueryCost, GlueRunCost, UnknownWorkerType, athena_query_cost, glue_run_cost
from automation.pipeline import QueryResult, VerificationError
from automation.stack_outputs import StackOutputs, split_s3_uri
from etl.errors import PipelineError
from etl.incremental import parse_partition_spec, partition_key_of_file, partition_sort_key, partition_spec
from etl.report import RunReport
from infra import outputs as out

# Glue job run states ("AWS Glue job run statuses",
# https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html; EXPIRED from the API's
# JobRunState enum). A run in an active state blocks the next one: the job allows one
# concurrent run (ExecutionProperty.MaxConcurrentRuns = 1).
RUN_ACTIVE_STATES = ("STARTING", "RUNNING", "STOPPING", "WAITING")
RUN_SUCCEEDED = "SUCCEEDED"
RUN_FAILED_STATES = ("FAILED", "TIMEOUT", "ERROR", "STOPPED", "EXPIRED")
# Extra wait beyond the run's own timeout: Glue's start-up (STARTING, WAITING) is not in it.
WAIT_MARGIN_MINUTES = 10
DEFAULT_JOB_TIMEOUT_MINUTES = 2880  # Glue's default when a job sets none

# Athena query states: QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED.
QUERY_DONE_STATES = ("SUCCEEDED", "FAILED", "CANCELLED")
# A crawler's last crawl: SUCCEEDED, CANCELLED or FAILED (the emulator says COMPLETED).
CRAWL_OK_STATES = ("SUCCEEDED", "COMPLETED")

# Catalog calls take at most 100 partitions per BatchCreatePartition request.
BATCH_CREATE_PARTITION_LIMIT = 100
ERROR_LINE = re.compile(r"\bERROR\b|Traceback \(most recent call last\)|Exception:")

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


class JobRunFailed(AwsError):
    """A Glue run ended FAILED, TIMEOUT, ERROR, STOPPED or EXPIRED."""


class JobAlreadyRunning(AwsError):
    """The job has a run in progress and allows one at a time."""


class CrawlFailed(AwsError):
    """The crawler's crawl failed or was cancelled."""


class CrawlerBusy(AwsError):
    """The crawler is already crawling."""


class QueryFailed(AwsError):
    """An Athena query ended FAILED or CANCELLED."""


class SilverPathError(PipelineError):
    """`--silver-path` is not a Parquet dataset in ano=/mes= folders."""


# ---------------------------------------------------------------------------------------
# Glue job runs
# ---------------------------------------------------------------------------------------
@dataclass
class JobRunOutcome:
    """A Glue job run as the CLI shows it: Glue's view, the job's own report, the cost."""

    run_id: str
    state: str
    attempt: int = 0
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

    def failure_message(self) -> str:
        """One line for a run that did not succeed."""
        reason = self.error_message or "Glue gave no error message"
        return (
            f"job run {self.run_id} ended {self.state}: {reason} "
            f"(driver log: {self.driver_log_group} stream {self.driver_log_stream}; console: {self.console_url})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "state": self.state,
            "attempt": self.attempt,
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


def find_active_run(clients: AwsClients, job_name: str) -> dict[str, Any] | None:
    """The job's run that is starting, running, stopping or waiting, if any (newest first)."""
    for run in _job_runs(clients, job_name):
        if run.get("JobRunState") in RUN_ACTIVE_STATES:
            return run
    return None


def _job_runs(clients: AwsClients, job_name: str) -> Iterable[dict[str, Any]]:
    try:
        yield from paginate(clients.glue, "get_job_runs", "JobRuns", JobName=job_name)
    except ClientError as error:
        raise _glue_job_error(error, job_name) from None


def _glue_job_error(error: ClientError, job_name: str) -> AwsError:
    if error_code(error) == "EntityNotFoundException":
        return AwsError(f"the Glue job {job_name!r} does not exist in this account and region: deploy the stack first")
    return AwsError(f"Glue refused the request for job {job_name!r}: {error_message(error)}")


def start_job_run(
    clients: AwsClients, outputs: StackOutputs, mode: str | None = None, timeout_minutes: int | None = None
) -> str:
    """Start the stack's job; return the run id. Refuses while a run is in progress.

    Args:
        mode: `full` or `incremental` as the run's `--mode` (overrides the job's default).
        timeout_minutes: the run's own timeout (Glue stops it with TIMEOUT after it).

    Raises:
        JobAlreadyRunning: naming the run in progress.
    """
    job_name = outputs[out.JOB_NAME]
    active = find_active_run(clients, job_name)
    if active is not None:
        raise _already_running(job_name, active["Id"], active["JobRunState"])
    request: dict[str, Any] = {"JobName": job_name}
    if mode:
        request["Arguments"] = {"--mode": mode}
    if timeout_minutes:
        request["Timeout"] = timeout_minutes
    try:
        return clients.glue.start_job_run(**request)["JobRunId"]
    except ClientError as error:
        if error_code(error) == "ConcurrentRunsExceededException":
            active = find_active_run(clients, job_name)
            raise _already_running(job_name, active["Id"] if active else "(unknown)", "running") from None
        raise _glue_job_error(error, job_name) from None


def _already_running(job_name: str, run_id: str, state: str) -> JobAlreadyRunning:
    return JobAlreadyRunning(
        f"job {job_name} already has run {run_id} {state} and allows one run at a time: "
        f"follow it with `status --run-id {run_id} --wait`"
    )


def get_job_run(clients: AwsClients, job_name: str, run_id: str) -> dict[str, Any]:
    try:
        return clients.glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"]
    except ClientError as error:
        if error_code(error) == "EntityNotFoundException":
            raise AwsError(f"job {job_name} has no run {run_id}") from None
        raise _glue_job_error(error, job_name) from None


def latest_job_run(clients: AwsClients, job_name: str) -> dict[str, Any]:
    """The job's newest run. Raises AwsError when it never ran."""
    newest = None
    for page in clients.glue.get_paginator("get_job_runs").paginate(JobName=job_name):
        runs = page.get("JobRuns", [])
        if runs:  # Glue lists the newest runs first: the first page holds it
            newest = max(runs, key=lambda r: r["StartedOn"].timestamp() if r.get("StartedOn") else 0.0)
            break
    if newest is None:
        raise AwsError(f"job {job_name} has no runs yet: start one with `run`")
    return newest


def wait_for_job_run(
    clients: AwsClients,
    job_name: str,
    run_id: str,
    timeout_minutes: float,
    on_poll: Callable[[Poll], None] | None = None,
) -> dict[str, Any]:
    """Poll the run until it leaves the active states; return Glue's JobRun."""
    return wait_for(
        f"job run {run_id} of {job_name} to finish",
        lambda: get_job_run(clients, job_name, run_id),
        lambda run: run.get("JobRunState") not in RUN_ACTIVE_STATES,
        timeout=timeout_minutes * 60,
        on_poll=on_poll,
        first_delay=2.0,
        max_delay=30.0,
    )


def job_timeout_minutes(clients: AwsClients, job_name: str) -> int:
    """The job's own timeout (minutes), from its definition."""
    try:
        job = clients.glue.get_job(JobName=job_name)["Job"]
    except ClientError as error:
        raise _glue_job_error(error, job_name) from None
    return int(job.get("Timeout") or DEFAULT_JOB_TIMEOUT_MINUTES)


def read_run_report(clients: AwsClients, reports_uri: str, run_id: str) -> RunReport | None:
    """The job's own report `<runReportsUri><run id>.json`; None when it is not there."""
    bucket, prefix = split_s3_uri(reports_uri)
    key = f"{prefix}{run_id}.json"
    try:
        body = clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
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


def describe_job_run(clients: AwsClients, outputs: StackOutputs, run: dict[str, Any]) -> JobRunOutcome:
    """Glue's JobRun plus the job's report and the cost once the run is over."""
    run_id = run["Id"]
    outcome = JobRunOutcome(
        run_id=run_id,
        state=run.get("JobRunState", "UNKNOWN"),
        attempt=int(run.get("Attempt", 0)),
        started_on=_iso(run.get("StartedOn")),
        completed_on=_iso(run.get("CompletedOn")) if run.get("JobRunState") not in RUN_ACTIVE_STATES else "",
        execution_seconds=int(run.get("ExecutionTime", 0)),
        worker_type=run.get("WorkerType", ""),
        workers=int(run.get("NumberOfWorkers", 0)),
        error_message=run.get("ErrorMessage", ""),
        arguments=dict(run.get("Arguments", {})),
        driver_log_group=outputs.get(out.JOB_ERROR_LOG_GROUP, ""),
        driver_log_stream=driver_stream(run_id),
        console_url=outputs.get(out.JOB_CONSOLE_URL, ""),
    )
    if outcome.finished and outcome.worker_type and outcome.workers:
        try:
            outcome.cost = glue_run_cost(
                outcome.worker_type,
                outcome.workers,
                outcome.execution_seconds,
                float(outputs[out.PRICE_PER_DPU_HOUR]),
            )
        except UnknownWorkerType:
            outcome.cost = None
    if outcome.finished:  # the job publishes its report whether it succeeds or fails
        reports = outputs.uri(out.REPORTS_URI)
        outcome.report_uri = f"{reports}{run_id}.json"
        outcome.report = read_run_report(clients, reports, run_id)
    return outcome


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")


def run_progress_printer(progress: Progress) -> Callable[[Poll], None]:
    """A poll callback that reports the run's state when it changes (state, elapsed, attempt)."""
    last: dict[str, str] = {}

    def on_poll(poll: Poll) -> None:
        run = poll.value
        state = run.get("JobRunState", "?")
        if last.get("state") != state:
            last["state"] = state
            progress(f"run {run['Id']}: {state} after {poll.elapsed:.0f} s (attempt {run.get('Attempt', 0)})")

    return on_poll


# ---------------------------------------------------------------------------------------
# Partitions: catalog and S3
# ---------------------------------------------------------------------------------------
def catalog_partitions(clients: AwsClients, database: str, table: str) -> list[str]:
    """The table's partitions in the Glue catalog, as sorted `ano=/mes=` specs."""
    try:
        values = [
            p["Values"]
            for p in paginate(clients.glue, "get_partitions", "Partitions", DatabaseName=database, TableName=table)
        ]
    except ClientError as error:
        raise _catalog_error(error, database, table) from None
    keys = [parse_partition_spec(f"ano={v[0]}/mes={v[1]}") for v in values]
    return [partition_spec(key) for key in sorted(keys, key=partition_sort_key)]


def _catalog_error(error: ClientError, database: str, table: str) -> AwsError:
    if error_code(error) == "EntityNotFoundException":
        return AwsError(
            f"the table {database}.{table} is not in the Glue catalog: deploy the stack "
            "(`python -m automation deploy --stack NAME`) before this step"
        )
    return AwsError(f"the Glue catalog refused a request on {database}.{table}: {error_message(error)}")


def s3_data_files(clients: AwsClients, uri: str) -> dict[str, list[tuple[str, int]]]:
    """Data objects under `uri` by `ano=/mes=` folder: (name, size) pairs, sorted.

    Objects whose name starts with `_` or `.` (markers, state) and folder placeholders are
    not data, as Spark, Hive and Athena see it.
    """
    bucket, prefix = split_s3_uri(uri)
    found: dict[tuple, list[tuple[str, int]]] = {}
    try:
        for item in paginate(clients.s3, "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix):
            relative = item["Key"][len(prefix) :]
            name = relative.rsplit("/", 1)[-1]
            if not name or name.startswith(("_", ".")) or name.endswith("$folder$"):
                continue
            try:
                key = partition_key_of_file(relative)
            except ValueError:
                continue
            found.setdefault(key, []).append((name, int(item.get("Size", 0))))
    except ClientError as error:
        raise AwsError(f"cannot list {uri}: {error_message(error)}") from None
    return {partition_spec(k): sorted(found[k]) for k in sorted(found, key=partition_sort_key)}


def gold_layout(clients: AwsClients, outputs: StackOutputs) -> tuple[list[str], dict[str, list[str]]]:
    """Gold partitions in the catalog, and gold data files by folder in S3."""
    partitions = catalog_partitions(clients, outputs[out.GOLD_DATABASE], outputs[out.GOLD_TABLE])
    files = {
        spec: [name for name, _ in items] for spec, items in s3_data_files(clients, outputs.uri(out.GOLD_URI)).items()
    }
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


def register_with_job(clients: AwsClients, outputs: StackOutputs) -> RegisterOutcome:
    """Check the partitions the job registered against the `ano=/mes=` prefixes in S3.

    Raises:
        VerificationError: naming the partitions on one side only.
    """
    partitions, files = gold_layout(clients, outputs)
    missing = sorted(set(partitions) - set(files), key=_spec_order)
    unregistered = sorted(set(files) - set(partitions), key=_spec_order)
    problems = []
    if missing:
        problems.append(f"catalog partitions with no files in S3: {', '.join(missing[:5])}")
    if unregistered:
        problems.append(
            f"S3 folders the catalog lacks: {', '.join(unregistered[:5])} (register them with --method crawler or msck)"
        )
    if problems:
        raise VerificationError("gold partitions do not match: " + "; ".join(problems))
    return RegisterOutcome("job", partitions, f"{len(partitions)} partitions in the catalog match the S3 folders")


def _spec_order(spec: str) -> tuple:
    return partition_sort_key(parse_partition_spec(spec))


def register_with_crawler(
    clients: AwsClients, outputs: StackOutputs, timeout_minutes: float = 30, progress: Progress = _quiet
) -> RegisterOutcome:
    """Start the stack's crawler, wait until it is READY again, report its last crawl.

    Raises:
        CrawlerBusy: the crawler is already crawling (nothing is started).
        CrawlFailed: the crawl failed or was cancelled, with Glue's message and log stream.
    """
    name = outputs[out.CRAWLER_NAME]
    glue = clients.glue
    crawler = _get_crawler(clients, name)
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
        lambda: _get_crawler(clients, name),
        ready_after_our_crawl,
        timeout=timeout_minutes * 60,
        first_delay=2.0,
        max_delay=30.0,
    )
    last = crawler.get("LastCrawl") or {}
    status = last.get("Status", "UNKNOWN")
    if status not in CRAWL_OK_STATES:
        group = last.get("LogGroup") or outputs.get(out.CRAWLER_LOG_GROUP, "")
        raise CrawlFailed(
            f"crawler {name}'s crawl ended {status}: {last.get('ErrorMessage') or 'no error message'} "
            f"(log: {group} stream {last.get('LogStream', name)})"
        )
    summary = _last_crawl_summary(clients, name)
    partitions = catalog_partitions(clients, outputs[out.GOLD_DATABASE], outputs[out.GOLD_TABLE])
    added, updated = summary.get("partitions_added"), summary.get("partitions_updated")
    changes = (
        f"{added} partitions added, {updated} updated"
        if added is not None or updated is not None
        else "partition changes not reported"
    )
    return RegisterOutcome(
        "crawler",
        partitions,
        f"crawl {status}: {changes}; {len(partitions)} partitions in the catalog",
        crawl={"status": status, **summary},
    )


def _get_crawler(clients: AwsClients, name: str) -> dict[str, Any]:
    try:
        return clients.glue.get_crawler(Name=name)["Crawler"]
    except ClientError as error:
        if error_code(error) == "EntityNotFoundException":
            raise AwsError(
                f"crawler {name} does not exist in this account and region: deploy the stack first"
            ) from None
        raise AwsError(f"Glue refused a request on crawler {name}: {error_message(error)}") from None


def _last_crawl_summary(clients: AwsClients, name: str) -> dict[str, Any]:
    """Partitions added/updated by the latest crawl, from ListCrawls' run summary.

    ListCrawls has no paginator in botocore; one result (the newest crawl) is all we read.
    """
    try:
        history = clients.glue.list_crawls(CrawlerName=name, MaxResults=1).get("Crawls", [])
    except ClientError:
        return {}
    if not history:
        return {}
    crawl = history[0]
    summary: dict[str, Any] = {"crawl_id": crawl.get("CrawlId", ""), "dpu_hours": crawl.get("DPUHour")}
    try:
        document = json.loads(crawl.get("Summary") or "{}")
    except json.JSONDecodeError:
        return summary
    partitions = document.get("PARTITION") or document.get("Partitions") or {}
    if isinstance(partitions, dict):
        for action, key in (("ADD", "partitions_added"), ("UPDATE", "partitions_updated")):
            entry = partitions.get(action)
            if isinstance(entry, dict) and "Count" in entry:
                summary[key] = entry["Count"]
            elif isinstance(entry, int):
                summary[key] = entry
    return summary


def register_with_msck(
    clients: AwsClients, outputs: StackOutputs, timeout_minutes: float = 30, progress: Progress = _quiet
) -> RegisterOutcome:
    """Run the stack's saved `MSCK REPAIR TABLE` query in its workgroup."""
    query_id = outputs[out.REPAIR_QUERY_ID]
    try:
        saved = clients.athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
    except ClientError as error:
        raise AwsError(f"cannot read the saved query {query_id}: {error_message(error)}") from None
    result = run_query(
        clients,
        outputs,
        saved["QueryString"],
        database=saved.get("Database"),
        workgroup=saved.get("WorkGroup") or outputs[out.ATHENA_WORKGROUP],
        timeout_minutes=timeout_minutes,
        progress=progress,
    )
    partitions = catalog_partitions(clients, outputs[out.GOLD_DATABASE], outputs[out.GOLD_TABLE])
    return RegisterOutcome(
        "msck",
        partitions,
        f"{saved['QueryString']} {result.state.lower()} (query {result.query_id}); "
        f"{len(partitions)} partitions in the catalog",
        query=result.to_dict(),
    )


REGISTER_METHODS = ("job", "crawler", "msck")


def register(clients: AwsClients, outputs: StackOutputs, method: str, progress: Progress = _quiet) -> RegisterOutcome:
    if method == "job":
        return register_with_job(clients, outputs)
    if method == "crawler":
        return register_with_crawler(clients, outputs, progress=progress)
    if method == "msck":
        return register_with_msck(clients, outputs, progress=progress)
    raise PipelineError(f"unknown registration method {method!r}: use {', '.join(REGISTER_METHODS)}")


# ---------------------------------------------------------------------------------------
# Athena
# ---------------------------------------------------------------------------------------
@dataclass
class QueryOutcome:
    """An Athena query: its rows, what it scanned and what that costs."""

    query_id: str
    sql: str
    state: str
    statement_type: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    cost: AthenaQueryCost | None = None
    reason: str = ""
    workgroup: str = ""

    def result(self) -> QueryResult:
        return QueryResult(self.columns, self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query_id": self.query_id,
            "sql": self.sql,
            "state": self.state,
            "statement_type": self.statement_type,
            "workgroup": self.workgroup,
            "columns": list(self.columns),
            "rows": QueryResult(self.columns, self.rows).as_dicts(),
            "data_scanned_bytes": self.cost.scanned_bytes if self.cost else 0,
            "billed_bytes": self.cost.billed_bytes if self.cost else 0,
            "cost_usd": self.cost.usd if self.cost else 0.0,
        }


_ATHENA_INTEGERS = ("tinyint", "smallint", "integer", "int", "bigint")
_ATHENA_FLOATS = ("double", "float", "real", "decimal")


def _athena_value(text: str | None, type_name: str) -> Any:
    if text is None:
        return None
    kind = type_name.lower()
    try:
        if kind in _ATHENA_INTEGERS:
            return int(text)
        if kind in _ATHENA_FLOATS:
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return text.lower() == "true"
    return text


def run_query(
    clients: AwsClients,
    outputs: StackOutputs,
    sql: str,
    *,
    database: str | None = None,
    workgroup: str | None = None,
    timeout_minutes: float = 30,
    progress: Progress = _quiet,
) -> QueryOutcome:
    """Run `sql` in the stack's workgroup, wait, page through the results.

    Raises:
        QueryFailed: the query ended FAILED or CANCELLED, with Athena's reason.
    """
    athena = clients.athena
    workgroup = workgroup or outputs[out.ATHENA_WORKGROUP]
    database = database or outputs[out.GOLD_DATABASE]
    try:
        query_id = athena.start_query_execution(
            QueryString=sql, WorkGroup=workgroup, QueryExecutionContext={"Database": database}
        )["QueryExecutionId"]
    except ClientError as error:
        raise QueryFailed(f"Athena refused the query: {error_message(error)}") from None
    progress(f"query {query_id} started in workgroup {workgroup}")

    def look() -> dict[str, Any]:
        return athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]

    execution = wait_for(
        f"Athena query {query_id} to finish",
        look,
        lambda e: e["Status"]["State"] in QUERY_DONE_STATES,
        timeout=timeout_minutes * 60,
        first_delay=0.5,
        max_delay=10.0,
    )
    state = execution["Status"]["State"]
    statement_type = execution.get("StatementType", "DML")
    scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0) or 0)
    outcome = QueryOutcome(
        query_id=query_id,
        sql=sql,
        state=state,
        statement_type=statement_type,
        cost=athena_query_cost(scanned, statement_type, state),
        workgroup=workgroup,
    )
    if state != "SUCCEEDED":
        status = execution["Status"]
        reason = (
            (status.get("AthenaError") or {}).get("ErrorMessage")
            or status.get("StateChangeReason")
            or "no reason given"
        )
        outcome.reason = reason
        raise QueryFailed(f"Athena query {query_id} {state}: {reason}")
    columns: tuple[str, ...] = ()
    types: list[str] = []
    rows: list[tuple[Any, ...]] = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
        result_set = page.get("ResultSet", {})
        if not columns:
            info = result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])
            columns = tuple(c["Name"] for c in info)
            types = [c.get("Type", "varchar") for c in info]
        for row in result_set.get("Rows", []):
            texts = [d.get("VarCharValue") for d in row.get("Data", [])]
            if not rows and tuple(texts) == columns:  # a SELECT's first row repeats the column names
                continue
            rows.append(tuple(_athena_value(t, types[i] if i < len(types) else "varchar") for i, t in enumerate(texts)))
    outcome.columns, outcome.rows = columns, tuple(rows)
    return outcome


# ---------------------------------------------------------------------------------------
# CloudWatch Logs
# ---------------------------------------------------------------------------------------
@dataclass
class StreamSummary:
    """One log stream of a run: how many events, when, and its ERROR lines."""

    group: str
    stream: str
    events: int = 0
    first_event: str = ""
    last_event: str = ""
    error_lines: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "stream": self.stream,
            "events": self.events,
            "first_event": self.first_event,
            "last_event": self.last_event,
            "error_lines": self.error_lines,
        }


def _millis_iso(millis: int | None) -> str:
    if millis is None:
        return ""
    from datetime import UTC

    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="milliseconds")


def run_log_streams(
    clients: AwsClients, groups: Sequence[str], run_id: str, max_error_lines: int = 20
) -> list[StreamSummary]:
    """The run's streams (`<run id>-driver`, `<run id>-<executor>`) in each group, summarised."""
    summaries: dict[tuple[str, str], StreamSummary] = {}
    for group in groups:
        try:
            for event in paginate(
                clients.logs, "filter_log_events", "events", logGroupName=group, logStreamNamePrefix=run_id
            ):
                stream = event["logStreamName"]
                if not stream.startswith(f"{run_id}-"):  # the prefix filter is the server's; check it here too
                    continue
                summary = summaries.setdefault((group, stream), StreamSummary(group, stream))
                summary.events += 1
                stamp = event.get("timestamp")
                if not summary.first_event or _millis_iso(stamp) < summary.first_event:
                    summary.first_event = _millis_iso(stamp)
                if _millis_iso(stamp) > summary.last_event:
                    summary.last_event = _millis_iso(stamp)
                message = event.get("message", "").rstrip()
                if ERROR_LINE.search(message) and len(summary.error_lines) < max_error_lines:
                    summary.error_lines.append(message)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                continue  # the group appears with the first run that logs to it
            raise AwsError(f"cannot read log group {group}: {error_message(error)}") from None
    return sorted(summaries.values(), key=lambda s: (s.group, not s.stream.endswith("-driver"), s.stream))


def follow_driver_log(
    clients: AwsClients,
    outputs: StackOutputs,
    run_id: str,
    emit: Callable[[str], None],
    poll_seconds: float = 2.0,
    timeout_minutes: float = 24 * 60,
    sleep: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """Print the driver's new log events while the run is active; return the final JobRun."""
    import time

    sleep = sleep or time.sleep
    job_name = outputs[out.JOB_NAME]
    groups = [outputs[out.JOB_ERROR_LOG_GROUP], outputs[out.JOB_OUTPUT_LOG_GROUP]]
    stream = driver_stream(run_id)
    seen: set[str] = set()
    since = {group: 0 for group in groups}  # newest event time printed per group: each poll reads on from it
    deadline = time.monotonic() + timeout_minutes * 60
    while True:
        run = get_job_run(clients, job_name, run_id)  # read before the events: nothing logged before the end is missed
        for group in groups:
            try:
                for event in paginate(
                    clients.logs,
                    "filter_log_events",
                    "events",
                    logGroupName=group,
                    logStreamNames=[stream],
                    startTime=since[group],
                ):
                    if event["eventId"] not in seen:
                        seen.add(event["eventId"])
                        since[group] = max(since[group], int(event.get("timestamp", 0)))
                        emit(f"{_millis_iso(event.get('timestamp'))} {event.get('message', '').rstrip()}")
            except ClientError as error:
                if error_code(error) != "ResourceNotFoundException":
                    raise AwsError(f"cannot read log group {group}: {error_message(error)}") from None
        if run.get("JobRunState") not in RUN_ACTIVE_STATES or time.monotonic() > deadline:
            return run
        sleep(poll_seconds)


# ---------------------------------------------------------------------------------------
# Silver data
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SilverFile:
    """A local silver file and where it goes: its partition and its key under silverUri."""

    path: Path
    spec: str
    key: str  # relative to the silver location: ano=2024/mes=1/part-0.parquet

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def silver_files(root: Path) -> list[SilverFile]:
    """The data files of a local Parquet dataset in `ano=/mes=` folders.

    Raises:
        SilverPathError: not a folder, no ano=/mes= folders, no data files, or a file that is
            not Parquet (checked by its magic bytes at both ends).
    """
    if not root.exists():
        raise SilverPathError(f"--silver-path {root} does not exist")
    if not root.is_dir():
        raise SilverPathError(f"--silver-path {root} is not a directory of ano=/mes= folders")
    folders = [f for f in root.glob("ano=*/mes=*") if f.is_dir()]
    if not folders:
        raise SilverPathError(f"--silver-path {root} has no ano=/mes= folders")
    found = []
    for folder in folders:
        try:
            key = partition_key_of_file(str(folder) + "/_")
        except ValueError as error:
            raise SilverPathError(f"--silver-path {root}: {error}") from None
        if None in key:
            raise SilverPathError(
                f"--silver-path {root}: {folder.relative_to(root)} is not an integer ano=/mes= folder"
            )
        for file in sorted(folder.iterdir()):
            if not file.is_file() or file.name.startswith(("_", ".")):
                continue
            _check_parquet(root, file)
            found.append(SilverFile(file, partition_spec(key), f"{partition_spec(key)}/{file.name}"))
    if not found:
        raise SilverPathError(f"--silver-path {root} has ano=/mes= folders but no data files")
    return sorted(found, key=lambda f: (_spec_order(f.spec), f.key))


def _check_parquet(root: Path, file: Path) -> None:
    size = file.stat().st_size
    with open(file, "rb") as handle:
        head = handle.read(4)
        handle.seek(max(0, size - 4))
        tail = handle.read(4)
    if size < 12 or head != b"PAR1" or tail != b"PAR1":
        raise SilverPathError(f"--silver-path {root} is not Parquet: {file.relative_to(root)} is not a Parquet file")


@dataclass(frozen=True)
class SampleOptions:
    """The sample to generate, as `make demo` does (etl.sample.SampleSpec)."""

    rows: int = 1_000_000
    months: int = 36
    invalid_fraction: float = 0.01
    seed: int = 42


def generate_sample(options: SampleOptions, folder: Path, progress: Progress = _quiet) -> list[SilverFile]:
    """Generate the sample silver rows with the same generator as `make demo` (local Spark).

    Files are named `sample-NNNNN.snappy.parquet` in each folder, so generating the same
    sample again gives the same keys and an upload of it adds nothing twice.
    """
    from automation.local import local_uri, start_spark
    from etl.sample import SampleSpec, generate_silver, write_silver

    spec = SampleSpec(
        rows=options.rows, months=options.months, invalid_fraction=options.invalid_fraction, seed=options.seed
    )
    progress(f"generating {spec.rows:,} sample rows over {spec.months} months with local Spark")
    spark = start_spark(folder / "spark", workers=2, app_name="silver-to-gold-sample")
    try:
        data = folder / "silver"
        write_silver(generate_silver(spark, spec), local_uri(data))
    finally:
        spark.stop()
    for partition in data.glob("ano=*/mes=*"):
        parts = sorted(p for p in partition.iterdir() if p.is_file() and not p.name.startswith(("_", ".")))
        for index, part in enumerate(parts):
            part.rename(partition / f"sample-{index:05d}.snappy.parquet")
    return silver_files(data)


@dataclass
class SilverLoadOutcome:
    """What load-silver uploaded and registered."""

    source: str
    files: int
    uploaded: int
    skipped: int
    bytes_uploaded: int
    partitions: int
    partitions_added: int
    location: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def describe(self) -> str:
        return (
            f"{self.source}: {self.uploaded} of {self.files} files uploaded ({self.skipped} already there), "
            f"{self.partitions_added} of {self.partitions} partitions added to the silver table"
        )


def upload_silver(
    clients: AwsClients,
    outputs: StackOutputs,
    files: Sequence[SilverFile],
    on_bytes: Callable[[int], None] | None = None,
    multipart_threshold: int = 64 * 2**20,
) -> tuple[int, int, int]:
    """Upload files under silverUri with managed transfers; skip keys already there with the same size.

    Returns:
        (uploaded, skipped, bytes uploaded).
    """
    from boto3.s3.transfer import TransferConfig

    bucket, prefix = split_s3_uri(outputs.uri(out.SILVER_URI))
    existing = {}
    try:
        for item in paginate(clients.s3, "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix):
            existing[item["Key"]] = int(item.get("Size", 0))
    except ClientError as error:
        raise AwsError(f"cannot list s3://{bucket}/{prefix}: {error_message(error)}") from None
    # Big files go multipart in 64 MiB parts, four at a time.
    transfer = TransferConfig(
        multipart_threshold=multipart_threshold, multipart_chunksize=multipart_threshold, max_concurrency=4
    )
    uploaded = skipped = sent = 0
    for file in files:
        key = prefix + file.key
        if existing.get(key) == file.size:
            skipped += 1
            if on_bytes:
                on_bytes(file.size)
            continue
        try:
            clients.s3.upload_file(str(file.path), bucket, key, Config=transfer, Callback=on_bytes)
        except Exception as error:  # boto3's S3UploadFailedError wraps the ClientError
            raise AwsError(f"uploading {file.path} to s3://{bucket}/{key} failed: {error}") from None
        uploaded += 1
        sent += file.size
    return uploaded, skipped, sent


def register_silver_partitions(clients: AwsClients, outputs: StackOutputs, specs: Iterable[str]) -> tuple[int, int]:
    """Add the silver table's missing partitions (batches of 100); existing ones are left alone.

    Returns:
        (partitions wanted, partitions added).
    """
    database, table = outputs[out.SILVER_DATABASE], outputs[out.SILVER_TABLE]
    glue = clients.glue
    try:
        descriptor = glue.get_table(DatabaseName=database, Name=table)["Table"]["StorageDescriptor"]
    except ClientError as error:
        raise _catalog_error(error, database, table) from None
    wanted = sorted(set(specs), key=_spec_order)
    existing = set(catalog_partitions(clients, database, table))
    missing = [spec for spec in wanted if spec not in existing]
    location = outputs.uri(out.SILVER_URI)
    inputs = []
    for spec in missing:
        ano, mes = parse_partition_spec(spec)
        partition_descriptor = {k: v for k, v in descriptor.items() if k != "Location"}
        partition_descriptor["Location"] = f"{location}{spec}/"
        inputs.append({"Values": [str(ano), str(mes)], "StorageDescriptor": partition_descriptor})
    added = 0
    for start in range(0, len(inputs), BATCH_CREATE_PARTITION_LIMIT):
        batch = inputs[start : start + BATCH_CREATE_PARTITION_LIMIT]
        try:
            response = glue.batch_create_partition(DatabaseName=database, TableName=table, PartitionInputList=batch)
        except ClientError as error:
            raise _catalog_error(error, database, table) from None
        errors = [
            e for e in response.get("Errors", []) if e["ErrorDetail"].get("ErrorCode") != "AlreadyExistsException"
        ]
        if errors:
            first = errors[0]
            raise AwsError(
                f"registering silver partition {first['PartitionValues']} failed: "
                f"{first['ErrorDetail'].get('ErrorCode')}: {first['ErrorDetail'].get('ErrorMessage')}"
            )
        added += len(batch) - len(response.get("Errors", []))
    return len(wanted), added


def check_silver_table(clients: AwsClients, outputs: StackOutputs) -> None:
    """Fail before any upload when the silver table is not in the catalog."""
    database, table = outputs[out.SILVER_DATABASE], outputs[out.SILVER_TABLE]
    try:
        clients.glue.get_table(DatabaseName=database, Name=table)
    except ClientError as error:
        raise _catalog_error(error, database, table) from None


def load_silver(
    clients: AwsClients,
    outputs: StackOutputs,
    *,
    silver_path: Path | None = None,
    sample: SampleOptions | None = None,
    progress: Progress = _quiet,
    bytes_progress: Callable[[int], Callable[[int], None]] | None = None,
) -> SilverLoadOutcome:
    """Upload sample or local silver data under silverUri and register its partitions.

    Args:
        silver_path: a local Parquet dataset in ano=/mes= folders; else the sample.
        sample: the sample to generate when no `silver_path`.
        bytes_progress: given the total bytes, returns a callback for bytes sent.
    """
    check_silver_table(clients, outputs)
    with tempfile.TemporaryDirectory(prefix="silver-to-gold-sample-") as scratch:
        if silver_path is not None:
            files = silver_files(silver_path)
            source = str(silver_path)
        else:
            sample = sample or SampleOptions()
            files = generate_sample(sample, Path(scratch), progress)
            source = f"sample of {sample.rows:,} rows over {sample.months} months"
        total = sum(f.size for f in files)
        on_bytes = bytes_progress(total) if bytes_progress else None
        progress(f"uploading {len(files)} files ({math.ceil(total / 1024):,} KiB) to {outputs.uri(out.SILVER_URI)}")
        uploaded, skipped, sent = upload_silver(clients, outputs, files, on_bytes)
    wanted, added = register_silver_partitions(clients, outputs, (f.spec for f in files))
    return SilverLoadOutcome(
        source=source,
        files=len(files),
        uploaded=uploaded,
        skipped=skipped,
        bytes_uploaded=sent,
        partitions=wanted,
        partitions_added=added,
        location=outputs.uri(out.SILVER_URI),
    )


# ---------------------------------------------------------------------------------------
# The Backend for run_pipeline
# ---------------------------------------------------------------------------------------
# Every output some step needs: checked once, before anything is started.
PIPELINE_OUTPUTS = (
    out.REGION,
    out.JOB_NAME,
    out.REPORTS_URI,
    out.GOLD_URI,
    out.SILVER_URI,
    out.SILVER_DATABASE,
    out.SILVER_TABLE,
    out.GOLD_DATABASE,
    out.GOLD_TABLE,
    out.ATHENA_WORKGROUP,
    out.PRICE_PER_DPU_HOUR,
    out.JOB_ERROR_LOG_GROUP,
    out.PREVIEW_SQL,
)
METHOD_OUTPUTS = {"job": (), "crawler": (out.CRAWLER_NAME,), "msck": (out.REPAIR_QUERY_ID,)}


@dataclass
class AwsOptions:
    """What `python -m automation pipeline` was asked to do."""

    stack: str | None = None
    skip_deploy: bool = True
    config: dict[str, str] = field(default_factory=dict)
    load_silver: bool = False
    silver_path: Path | None = None
    sample: SampleOptions = field(default_factory=SampleOptions)
    method: str = "job"
    mode: str | None = None
    timeout_minutes: int | None = None


class AwsBackend:
    """The pipeline's steps on a deployed stack (Glue, S3, Athena)."""

    name = "aws"

    def __init__(
        self,
        options: AwsOptions,
        outputs: StackOutputs | None,
        clients_for: Callable[[StackOutputs], AwsClients],
        progress: Progress = _quiet,
        on_deploy_event: Callable | None = None,
    ):
        self.options = options
        self.outputs = outputs
        self._clients_for = clients_for
        self.clients: AwsClients | None = None
        self.progress = progress
        self.on_deploy_event = on_deploy_event
        self.account = ""
        self.run: JobRunOutcome | None = None
        self.registration: RegisterOutcome | None = None
        self.queries: list[QueryOutcome] = []

    # -- steps ---------------------------------------------------------------------
    def start(self) -> str:
        if not self.options.skip_deploy:
            from automation import deploy  # lazily: needs the Pulumi CLI

            values = deploy.up(self.options.stack, config=self.options.config or None, on_progress=self.on_deploy_event)
            self.outputs = StackOutputs(values, f"stack {self.options.stack!r}")
        assert self.outputs is not None
        self.outputs.require(*PIPELINE_OUTPUTS, *METHOD_OUTPUTS.get(self.options.method, ()))
        if self.options.silver_path is not None:
            silver_files(self.options.silver_path)  # a bad path fails before anything runs
        self.clients = self._clients_for(self.outputs)
        self.account = self.clients.check_credentials()
        deployed = "deployed" if not self.options.skip_deploy else "outputs from " + self.outputs.source
        return f"account {self.account}, region {self.clients.region}; {deployed}"

    def provision_catalog(self) -> str:
        # Pulumi owns the databases and tables: check they are there, create nothing.
        outputs = self.outputs
        for database, table in (
            (outputs[out.SILVER_DATABASE], outputs[out.SILVER_TABLE]),
            (outputs[out.GOLD_DATABASE], outputs[out.GOLD_TABLE]),
        ):
            try:
                self.clients.glue.get_table(DatabaseName=database, Name=table)
            except ClientError as error:
                raise _catalog_error(error, database, table) from None
        return (
            f"tables {outputs[out.SILVER_DATABASE]}.{outputs[out.SILVER_TABLE]}, "
            f"{outputs[out.GOLD_DATABASE]}.{outputs[out.GOLD_TABLE]} in the Glue catalog"
        )

    def load_silver(self) -> str:
        if self.options.load_silver or self.options.silver_path is not None:
            outcome = load_silver(
                self.clients,
                self.outputs,
                silver_path=self.options.silver_path,
                sample=self.options.sample,
                progress=self.progress,
            )
            return outcome.describe()
        database, table = self.outputs[out.SILVER_DATABASE], self.outputs[out.SILVER_TABLE]
        partitions = catalog_partitions(self.clients, database, table)
        if not partitions:
            raise PipelineError(
                f"the silver table {database}.{table} has no partitions: add --load-silver (or run `load-silver`) "
                "so the job has something to read"
            )
        return f"{len(partitions)} partitions already in {database}.{table}"

    def run_job(self) -> RunReport:
        job_name = self.outputs[out.JOB_NAME]
        run_id = start_job_run(self.clients, self.outputs, self.options.mode, self.options.timeout_minutes)
        self.progress(f"started job run {run_id}")
        timeout = (self.options.timeout_minutes or job_timeout_minutes(self.clients, job_name)) + WAIT_MARGIN_MINUTES
        run = wait_for_job_run(self.clients, job_name, run_id, timeout, run_progress_printer(self.progress))
        self.run = describe_job_run(self.clients, self.outputs, run)
        if not self.run.succeeded:
            raise JobRunFailed(self.run.failure_message())
        if self.run.report is None:
            raise AwsError(f"job run {run_id} SUCCEEDED but wrote no report at {self.run.report_uri}")
        return self.run.report

    def register_partitions(self) -> list[str]:
        self.registration = register(self.clients, self.outputs, self.options.method, self.progress)
        return self.registration.partitions

    def gold_files(self) -> dict[str, list[str]]:
        _, files = gold_layout(self.clients, self.outputs)
        return files

    def query(self, sql: str) -> QueryResult:
        outcome = run_query(self.clients, self.outputs, sql, progress=self.progress)
        self.queries.append(outcome)
        return outcome.result()

    def stop(self) -> None:
        pass

    @property
    def preview_sql(self) -> str | None:
        """The stack's preview query (`previewSql`), once its outputs are known."""
        return self.outputs.get(out.PREVIEW_SQL) if self.outputs is not None else None

    # -- what the summary adds on AWS ------------------------------------------------
    def cost(self) -> dict[str, Any]:
        """Glue DPU-seconds and USD of the run, Athena bytes and USD of the queries."""
        glue = self.run.cost if self.run else None
        athena_scanned = sum(q.cost.scanned_bytes for q in self.queries if q.cost)
        athena_billed = sum(q.cost.billed_bytes for q in self.queries if q.cost)
        athena_usd = sum(q.cost.usd for q in self.queries if q.cost)
        if self.registration and self.registration.query:
            athena_scanned += self.registration.query.get("data_scanned_bytes", 0)
            athena_billed += self.registration.query.get("billed_bytes", 0)
            athena_usd += self.registration.query.get("cost_usd", 0.0)
        return {
            "glue_run_id": self.run.run_id if self.run else "",
            "glue_state": self.run.state if self.run else "",
            "glue_execution_seconds": self.run.execution_seconds if self.run else 0,
            "glue_worker_type": glue.worker_type if glue else "",
            "glue_workers": glue.workers if glue else 0,
            "glue_dpu_seconds": glue.dpu_seconds if glue else 0,
            "glue_usd": glue.usd if glue else 0.0,
            "athena_queries": len(self.queries) + (1 if self.registration and self.registration.query else 0),
            "athena_data_scanned_bytes": athena_scanned,
            "athena_billed_bytes": athena_billed,
            "athena_usd": round(athena_usd, 8),
            "total_usd": round((glue.usd if glue else 0.0) + athena_usd, 6),
        }

    def links(self) -> dict[str, str]:
        if self.outputs is None:
            return {}
        links = {
            "job": self.outputs.get(out.JOB_CONSOLE_URL, ""),
            "athena": self.outputs.get(out.ATHENA_CONSOLE_URL, ""),
        }
        return {name: url for name, url in links.items() if url}
