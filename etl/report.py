"""The run report: what a run read, rejected, wrote and dropped, and how long it took.

Pure: a dataclass and its JSON form. The job writes it; the CLI prints it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields


@dataclass
class RunReport:
    """One run of the job. `seconds` holds at least `job` and `total`."""

    run_id: str
    mode: str
    status: str = "running"
    rows_read: int = 0
    rows_rejected: int = 0
    rows_written: int = 0
    partitions_processed: int = 0
    partitions_written: int = 0
    partitions_dropped: int = 0
    files_written: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    gold_location: str = ""
    quarantine_location: str = ""
    report_location: str = ""
    plan: str = ""
    error: str = ""
    # The rejects table: the partition this run registered (`run_id=<id>`, empty when the run
    # rejected nothing or the table does not exist), and how many old runs it expired.
    rejects_partition: str = ""
    quarantine_runs_expired: int = 0
    # The gate the run was judged by (`--max_reject_ratio`); None in reports from before it was recorded.
    max_reject_ratio: float | None = None

    @property
    def reject_ratio(self) -> float:
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0

    def to_dict(self) -> dict:
        document = asdict(self)
        document["reject_ratio"] = round(self.reject_ratio, 6)
        document["seconds"] = {k: round(v, 3) for k, v in self.seconds.items()}
        return document

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> RunReport:
        """A report from its JSON (derived keys such as `reject_ratio`, and unknown ones, are dropped)."""
        document = json.loads(text)
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in document.items() if key in names})
