"""`python -m automation runs`: a job's recent runs, one row each, the same shape on every
backend. A local lake knows its runs from the job's run reports (`<run id>.json` beside
`latest.json`); a stack from Glue's job runs and the same reports in S3. Each backend lists
its runs newest first and hands `RunRow`s to the CLI.

Pure: no Spark, no boto3, no Rich.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Sequence

from etl.report import RunReport

# How many runs `runs` lists unless told (--limit).
DEFAULT_RUNS = 10
# How many run ids an error names when a run id is unknown.
NAMED_RUNS = 3
# A local run's id: `local-<UTC start, to the second>-<6 hex>` (automation.local.backend).
_LOCAL_RUN_ID = re.compile(r"^local-(\d{8}T\d{6}Z)-[0-9a-f]{6}$")


@dataclass(frozen=True)
class RunRow:
    """One run as `runs` lists it. Figures are None when the run wrote no report (it never
    reached the job's code, or is still going)."""

    run_id: str
    started: str  # ISO 8601 UTC, to the second; "" when unknown
    state: str  # the job's status locally (succeeded, failed); Glue's JobRunState on a stack
    mode: str = ""
    rows_read: int | None = None
    rows_rejected: int | None = None
    rows_written: int | None = None
    partitions_written: int | None = None
    seconds: float | None = None  # the run's duration: the job's total locally, Glue's ExecutionTime
    cost_usd: float | None = None  # on a stack, once the run is over
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def row_from_report(
    report: RunReport,
    started: str,
    state: str | None = None,
    seconds: float | None = None,
    cost_usd: float | None = None,
) -> RunRow:
    """A run's row from its report; `state` and `seconds` override the report's (Glue's own)."""
    return RunRow(
        run_id=report.run_id,
        started=started,
        state=state or report.status,
        mode=report.mode,
        rows_read=report.rows_read,
        rows_rejected=report.rows_rejected,
        rows_written=report.rows_written,
        partitions_written=report.partitions_written,
        seconds=seconds if seconds is not None else report.seconds.get("total"),
        cost_usd=cost_usd,
        error=first_line(report.error),
    )


def local_run_started(run_id: str) -> str | None:
    """When a local run started, from its id (`local-20250101T120000Z-ab12cd`), or None."""
    found = _LOCAL_RUN_ID.match(run_id)
    if not found:
        return None
    return datetime.strptime(found.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).isoformat(timespec="seconds")


def iso_utc(value: datetime | float) -> str:
    """A time as ISO 8601 in UTC, to the second (a datetime, or seconds since the epoch)."""
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def newest_first(rows: Sequence[RunRow]) -> list[RunRow]:
    """Rows by start time, newest first, those with none last; rows that started in the same
    second keep the order they came in (the backend's own, newest first)."""
    return sorted(rows, key=lambda row: row.started or "", reverse=True)


def named_ids(run_ids: Sequence[str], limit: int = NAMED_RUNS) -> str:
    """`a, b, c` (the first `limit`), or `none yet`: the runs an error names."""
    return ", ".join(run_ids[:limit]) if run_ids else "none yet"


def first_line(text: str, limit: int = 120) -> str:
    lines = text.strip().splitlines()
    return lines[0][:limit] if lines else ""
