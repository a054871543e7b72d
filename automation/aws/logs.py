"""CloudWatch Logs of a job run: its streams in the Glue 5.0 log groups, their ERROR lines,
and the driver's log followed while the run goes on.

The groups are the ones GetJobRun names (`JobRun.LogGroupName`), then the stack's own
(`automation.aws.job_runs.job_log_groups`); a group that does not exist is skipped, and so
is one the caller may not read (the operator policy grants the stack's groups and AWS's
documented encrypted form, not every name GetJobRun may give) unless no group is readable.
Streams come from DescribeLogStreams; ERROR lines from FilterLogEvents with a filter
pattern, so CloudWatch Logs sends only the matching events, not every event of the run.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Callable

from botocore.exceptions import ClientError

from automation.aws.deployed import Stack
from automation.aws.job_runs import RUN_ACTIVE_STATES, driver_stream, get_job_run, job_log_groups
from automation.aws.session import AwsError, error_code, error_message, paginate

# Events with any of these terms ("?term" is OR; terms are case-sensitive): "Filter pattern
# syntax for metric filters, subscription filters, filter log events, and Live Tail",
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html.
ERROR_FILTER_PATTERN = "?ERROR ?Exception ?Traceback"
# What counts as an ERROR line among the events the pattern sends (it matches terms, and an
# emulator may ignore it): checked again here.
ERROR_LINE = re.compile(r"\bERROR\b|Traceback \(most recent call last\)|Exception:")


@dataclass
class StreamSummary:
    """One log stream of a run: when it logged, and its ERROR lines."""

    group: str
    stream: str
    first_event: str = ""
    last_event: str = ""
    error_count: int = 0
    error_lines: list[str] = field(default_factory=list)  # the first `max_error_lines`

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "stream": self.stream,
            "first_event": self.first_event,
            "last_event": self.last_event,
            "error_count": self.error_count,
            "error_lines": self.error_lines,
        }


@dataclass
class RunLogs:
    """A run's logs: the groups read, the candidate groups that do not exist or may not be
    read, the streams."""

    groups: list[str]
    missing_groups: list[str]
    streams: list[StreamSummary]
    denied_groups: list[str] = field(default_factory=list)


# A candidate group skipped: not there, or not readable by the caller.
SKIPPED_GROUP_ERRORS = ("ResourceNotFoundException", "AccessDeniedException")


def _millis_iso(millis: int | None) -> str:
    if millis is None:
        return ""
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="milliseconds")


def run_logs(stack: Stack, run: dict[str, Any], max_error_lines: int = 20) -> RunLogs:
    """The run's streams (`<run id>-driver`, `<run id>-<executor>`) in each of its log groups
    (`job_log_groups`) that exists, with their ERROR lines."""
    run_id = run["Id"]
    groups = job_log_groups(stack.outputs, run)
    logs = stack.clients.logs
    found: list[str] = []
    missing: list[str] = []
    denied: list[str] = []
    summaries: dict[tuple[str, str], StreamSummary] = {}
    for group in groups:
        try:
            for stream in paginate(
                logs, "describe_log_streams", "logStreams", logGroupName=group, logStreamNamePrefix=run_id
            ):
                name = stream["logStreamName"]
                if name.startswith(f"{run_id}-"):
                    summaries[(group, name)] = StreamSummary(
                        group,
                        name,
                        first_event=_millis_iso(stream.get("firstEventTimestamp")),
                        last_event=_millis_iso(stream.get("lastEventTimestamp")),
                    )
            for event in paginate(
                logs,
                "filter_log_events",
                "events",
                logGroupName=group,
                logStreamNamePrefix=run_id,
                filterPattern=ERROR_FILTER_PATTERN,
            ):
                name, message = event["logStreamName"], event.get("message", "").rstrip()
                if not name.startswith(f"{run_id}-") or not ERROR_LINE.search(message):
                    continue
                summary = summaries.setdefault((group, name), StreamSummary(group, name))
                summary.error_count += 1
                if len(summary.error_lines) < max_error_lines:
                    summary.error_lines.append(message)
        except ClientError as error:
            if error_code(error) not in SKIPPED_GROUP_ERRORS:
                raise AwsError(f"cannot read log group {group}: {error_message(error)}") from None
            # not this run's group, not created yet, or not the caller's to read
            (missing if error_code(error) == "ResourceNotFoundException" else denied).append(group)
            continue
        found.append(group)
    if denied and not found:
        raise AwsError(f"may not read the run's log groups {', '.join(denied)}: attach the stack's operatorPolicyArn")
    streams = sorted(summaries.values(), key=lambda s: (s.group, not s.stream.endswith("-driver"), s.stream))
    return RunLogs(found, missing, streams, denied)


def follow_driver_log(
    stack: Stack,
    run_id: str,
    emit: Callable[[str], None],
    poll_seconds: float = 2.0,
    timeout_minutes: float = 24 * 60,
    sleep: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """Print the driver's new log events while the run is active, and once more after it
    ends (events reach CloudWatch Logs after they are written); return the final JobRun."""
    sleep = sleep or time.sleep
    stream = driver_stream(run_id)
    seen: set[str] = set()
    since: dict[str, int] = {}  # newest event time printed per group: each poll reads on from it
    deadline = time.monotonic() + timeout_minutes * 60
    ended = False
    while True:
        run = get_job_run(stack, run_id)  # read before the events: nothing logged before the end is missed
        # A poll's new events from every group, printed in time order: the driver writes to the
        # error and the output group at once, and a group read after the other must not put its
        # earlier lines last.
        fresh: list[tuple[int, int, dict[str, Any]]] = []
        for order, group in enumerate(job_log_groups(stack.outputs, run)):
            try:
                for event in paginate(
                    stack.clients.logs,
                    "filter_log_events",
                    "events",
                    logGroupName=group,
                    logStreamNames=[stream],
                    startTime=since.get(group, 0),
                ):
                    if event["eventId"] not in seen:
                        seen.add(event["eventId"])
                        since[group] = max(since.get(group, 0), int(event.get("timestamp", 0)))
                        fresh.append((int(event.get("timestamp", 0)), order, event))
            except ClientError as error:
                if error_code(error) not in SKIPPED_GROUP_ERRORS:
                    raise AwsError(f"cannot read log group {group}: {error_message(error)}") from None
        for _, _, event in sorted(fresh, key=lambda item: (item[0], item[1])):
            emit(f"{_millis_iso(event.get('timestamp'))} {event.get('message', '').rstrip()}")
        if ended or time.monotonic() > deadline:
            return run
        # One more read after the run ends: its last lines may still be on their way.
        ended = run.get("JobRunState") not in RUN_ACTIVE_STATES
        sleep(poll_seconds)
