"""A run's figures as CloudWatch metrics: the line the job prints and what the stack reads in it.

At the end of every run, successful or failed, the job prints one JSON line on stdout
(`run_metrics_line`). On Glue 5.0 stdout goes to the job's output log group, where the stack's
CloudWatch Logs metric filters (`infra.monitoring`) match the line by its `event` field and
publish each figure of RUN_METRICS under METRIC_NAMESPACE, with the stack and the job as
dimensions (DIMENSIONS). The job itself never calls CloudWatch (etl never imports boto3); why a
metric filter rather than the embedded metric format or PutMetricData is written down in
docs/infrastructure.md ("Metrics"). Locally the same figures are in the run report.

Standard library only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from etl.report import RunReport

METRIC_NAMESPACE = "SilverToGold"
RUN_EVENT = "silver-to-gold.run"
EVENT_FIELD = "event"
STACK_FIELD = "stack"
JOB_FIELD = "job"
RUN_ID_FIELD = "run_id"
STATUS_FIELD = "status"
# (CloudWatch dimension name, field of the line holding its value). Metric filters take
# dimension values from fields of the matched event ("dimensions: The fields to use as
# dimensions for the metric", MetricTransformation,
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_MetricTransformation.html).
DIMENSIONS: tuple[tuple[str, str], ...] = (("Stack", STACK_FIELD), ("Job", JOB_FIELD))


@dataclass(frozen=True)
class RunMetric:
    """One figure: its CloudWatch name and unit, and the field of the line that holds it."""

    name: str
    field: str
    unit: str
    description: str


RUN_METRICS: tuple[RunMetric, ...] = (
    RunMetric("RowsRead", "rows_read", "Count", "silver rows the run read"),
    RunMetric("RowsRejected", "rows_rejected", "Count", "rows the quality rules rejected"),
    RunMetric("RowsWritten", "rows_written", "Count", "gold rows written"),
    RunMetric("RejectRatio", "reject_ratio", "None", "rejected / read, 0..1"),
    RunMetric("PartitionsWritten", "partitions_written", "Count", "gold partitions written"),
    RunMetric("PartitionsDropped", "partitions_dropped", "Count", "gold partitions dropped"),
    RunMetric("JobSeconds", "job_seconds", "Seconds", "the run's wall time inside the job"),
    RunMetric("RunsSucceeded", "succeeded", "Count", "1 for a successful run, else 0"),
    RunMetric("RunsFailed", "failed", "Count", "1 for a failed run, else 0"),
)
METRICS_BY_NAME = {metric.name: metric for metric in RUN_METRICS}


def run_metrics_record(report: RunReport, stack: str, job: str) -> dict[str, object]:
    """The run's figures as the metric filters read them: one flat object, numbers only for
    the figures, the dimensions as strings."""
    failed = report.status != "succeeded"
    figures: dict[str, object] = {
        "rows_read": report.rows_read,
        "rows_rejected": report.rows_rejected,
        "rows_written": report.rows_written,
        "reject_ratio": round(report.reject_ratio, 6),
        "partitions_written": report.partitions_written,
        "partitions_dropped": report.partitions_dropped,
        "job_seconds": round(report.seconds.get("total", 0.0), 3),
        "succeeded": 0 if failed else 1,
        "failed": 1 if failed else 0,
    }
    return {
        EVENT_FIELD: RUN_EVENT,
        STACK_FIELD: stack,
        JOB_FIELD: job,
        RUN_ID_FIELD: report.run_id,
        STATUS_FIELD: report.status,
        **figures,
    }


def run_metrics_line(report: RunReport, stack: str, job: str) -> str:
    """`run_metrics_record` as one line of JSON, numbers in plain decimal notation.

    Metric filters do not read scientific notation in JSON log events ("Strings containing
    scientific notation are not supported", "Filter pattern syntax for metric filters",
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntaxForMetricFilters.html),
    and Python writes a reject ratio of 0.00001 as `1e-05`.
    """
    parts = []
    for key, value in run_metrics_record(report, stack, job).items():
        parts.append(f"{json.dumps(key)}: {_json_value(value)}")
    return "{" + ", ".join(parts) + "}"


def _json_value(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"
