"""CloudWatch Logs of a job run: its streams in the Glue 5.0 log groups, their ERROR lines,
and the driver's log followed while the run goes on.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Callable, Sequence

from botocore.exceptions import ClientError

from automation.aws.job_runs import RUN_ACTIVE_STATES, driver_stream, get_job_run
from automation.aws.session import AwsClients, AwsError, error_code, error_message, paginate
from automation.outputs import StackOutputs
from infra import outputs as out

ERROR_LINE = re.compile(r"\bERROR\b|Traceback \(most recent call last\)|Exception:")


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
