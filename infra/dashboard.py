"""The stack's CloudWatch dashboard: the pipeline's health at a glance.

Runs and their state, duration, rows read/rejected/written, the reject ratio against the
warning and the gate, DPU-seconds, and the last ERROR lines of the job's error log group.
`dashboard_body` builds the widget JSON (pure, unit-tested; the format is "Dashboard body
structure and syntax",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html);
`PipelineDashboard` declares it. It never reads configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from etl.metrics import METRIC_NAMESPACE
from infra.aws_reference import DPUS_PER_WORKER
from infra.metrics import metric_dimensions

# DPUs per worker ("AWS Glue worker types", https://docs.aws.amazon.com/glue/latest/dg/worker-types.html):
PERIOD_SECONDS = 3600
ERROR_LINES = 20
WIDTH, HEIGHT = 12, 6


@dataclass(frozen=True)
class DashboardSpec:
    """What the dashboard shows, already decided."""

    region: str
    stack: str
    job_name: str
    error_log_group: str
    failure_rule_name: str
    dpus: float  # workers x DPU per worker: DPU-seconds = job seconds x dpus
    reject_ratio_warning: float
    max_reject_ratio: float


def dpus(worker_type: str, workers: int) -> float:
    """The job's DPUs: workers x the worker type's DPU."""
    return DPUS_PER_WORKER[worker_type] * workers


def _run_metric(spec: DashboardSpec, name: str, **options: object) -> list:
    dimensions = [part for pair in metric_dimensions(spec.stack, spec.job_name).items() for part in pair]
    return [METRIC_NAMESPACE, name, *dimensions, options] if options else [METRIC_NAMESPACE, name, *dimensions]


def _metric_widget(spec: DashboardSpec, x: int, y: int, title: str, stat: str, metrics: list, **extra: object) -> dict:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": title,
            "region": spec.region,
            "view": "timeSeries",
            "stacked": False,
            "period": PERIOD_SECONDS,
            "stat": stat,
            "metrics": metrics,
            **extra,
        },
    }


def error_lines_query(log_group: str, lines: int = ERROR_LINES) -> str:
    """Logs Insights: the last `lines` ERROR lines of the job's error log group."""
    return (
        f"SOURCE '{log_group}' | fields @timestamp, @logStream, @message "
        f"| filter @message like /ERROR/ | sort @timestamp desc | limit {lines}"
    )


def dashboard_body(spec: DashboardSpec) -> dict:
    """The dashboard's widgets, two to a row, the error lines across the bottom."""
    runs = _metric_widget(
        spec,
        0,
        0,
        "Runs",
        "Sum",
        [
            _run_metric(spec, "RunsSucceeded", label="succeeded", color="#2ca02c"),
            _run_metric(spec, "RunsFailed", label="failed (the job's own report)", color="#d62728"),
            [
                "AWS/Events",
                "TriggeredRules",
                "RuleName",
                spec.failure_rule_name,
                {"label": "failed, timed out or errored (EventBridge rule)", "color": "#ff7f0e"},
            ],
        ],
    )
    duration = _metric_widget(
        spec, WIDTH, 0, "Duration (seconds)", "Maximum", [_run_metric(spec, "JobSeconds", label="job seconds")]
    )
    rows = _metric_widget(
        spec,
        0,
        HEIGHT,
        "Rows",
        "Sum",
        [
            _run_metric(spec, "RowsRead", label="read"),
            _run_metric(spec, "RowsRejected", label="rejected"),
            _run_metric(spec, "RowsWritten", label="written to gold"),
        ],
    )
    ratio = _metric_widget(
        spec,
        WIDTH,
        HEIGHT,
        "Reject ratio",
        "Maximum",
        [_run_metric(spec, "RejectRatio", label="rejected / read")],
        annotations={
            "horizontal": [
                {"label": "warning (rejectRatioWarning)", "value": spec.reject_ratio_warning},
                {"label": "gate (maxRejectRatio)", "value": spec.max_reject_ratio},
            ]
        },
        yAxis={"left": {"min": 0}},
    )
    dpu_seconds = _metric_widget(
        spec,
        0,
        2 * HEIGHT,
        "DPU-seconds",
        "Sum",
        [
            [
                {
                    "expression": f"m1 * {spec.dpus:g}",
                    "label": f"job seconds x {spec.dpus:g} DPU (estimate; GetJobRun has the billed figure)",
                    "id": "e1",
                }
            ],
            _run_metric(spec, "JobSeconds", id="m1", visible=False),
        ],
    )
    partitions = _metric_widget(
        spec,
        WIDTH,
        2 * HEIGHT,
        "Gold partitions",
        "Sum",
        [
            _run_metric(spec, "PartitionsWritten", label="written"),
            _run_metric(spec, "PartitionsDropped", label="dropped"),
        ],
    )
    errors = {
        "type": "log",
        "x": 0,
        "y": 3 * HEIGHT,
        "width": 2 * WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": f"Last {ERROR_LINES} ERROR lines of {spec.error_log_group}",
            "region": spec.region,
            "view": "table",
            "query": error_lines_query(spec.error_log_group),
        },
    }
    return {"widgets": [runs, duration, rows, ratio, dpu_seconds, partitions, errors]}


def dashboard_url(region: str, name: str) -> str:
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{name}"


@dataclass(frozen=True)
class PipelineDashboardArgs:
    name: str
    spec: DashboardSpec


class PipelineDashboard(pulumi.ComponentResource):
    """The stack's CloudWatch dashboard."""

    dashboard: aws.cloudwatch.Dashboard
    url: str

    def __init__(self, name: str, args: PipelineDashboardArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:PipelineDashboard", name, None, opts)
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            aws.cloudwatch.DashboardArgs(
                dashboard_name=args.name, dashboard_body=json.dumps(dashboard_body(args.spec), sort_keys=True)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.url = dashboard_url(args.spec.region, args.name)
        self.register_outputs({"dashboardName": self.dashboard.dashboard_name, "url": self.url})
