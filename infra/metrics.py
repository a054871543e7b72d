"""The run's metrics: CloudWatch Logs metric filters on the job's output log group.

Every run, successful or failed, ends with one JSON line on stdout (`etl.metrics`); on Glue
5.0 stdout is the job's output log group ("Logging for AWS Glue jobs",
https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html). One metric filter
per figure matches that line and publishes the figure under `etl.metrics.METRIC_NAMESPACE`,
with the stack and the job as dimensions.

Why a metric filter, not the embedded metric format (EMF) or PutMetricData:
- The job must not import boto3 (ARCHITECTURE), so PutMetricData would need a publisher
  handed to it from outside the job; on Glue there is no outside.
- EMF is extracted from log events sent with PutLogEvents, the `x-amzn-logs-format: json/emf`
  header being optional ("Using the PutLogEvents API to send manually-created embedded metric
  format logs", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Generation_PutLogEvents.html),
  but AWS's Glue documentation says nothing of EMF, and the namespace, names and dimensions
  would live in the job. A metric filter is documented to act on any event ingested into its
  group ("With metric filters, you can configure rules to extract metric data from log
  events ingested through PutLogEvents", PutMetricFilter,
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html),
  keeps the metric definitions in the stack, next to the alarms and the dashboard that read
  them, and needs no grant on the job's role.

The patterns are pure functions; `RunMetricFilters` wires them. It never reads configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from etl.metrics import (
    DIMENSIONS,
    EVENT_FIELD,
    JOB_FIELD,
    METRIC_NAMESPACE,
    RUN_EVENT,
    RUN_METRICS,
    STACK_FIELD,
    RunMetric,
)
from infra import names


def metric_dimensions(stack: str, job: str) -> dict[str, str]:
    """The dimensions every run metric carries: {"Stack": stack, "Job": job}."""
    values = {STACK_FIELD: stack, JOB_FIELD: job}
    return {dimension: values[field] for dimension, field in DIMENSIONS}


def run_metric_pattern(stack: str, job: str, metric: RunMetric) -> str:
    """The JSON filter pattern of one metric: the run line of this stack and job, with the figure.

    The figure's field is in the pattern (`= *`), as a value a metric filter publishes is
    ("Publishing numerical values found in log entries": `{ $.latency = * }`, metric value
    `$.latency`, https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntaxForMetricFilters.html).
    """
    return (
        f"{{ ($.{EVENT_FIELD} = {json.dumps(RUN_EVENT)}) && ($.{STACK_FIELD} = {json.dumps(stack)}) "
        f"&& ($.{JOB_FIELD} = {json.dumps(job)}) && ($.{metric.field} = *) }}"
    )


def run_metric_transformation(metric: RunMetric) -> aws.cloudwatch.LogMetricFilterMetricTransformationArgs:
    """Publish the figure under the project's namespace, dimensions from the line's own fields.

    No default value: it would be emitted for every other line of the group ("The value to
    emit when a filter pattern does not match a log event", MetricTransformation,
    https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_MetricTransformation.html),
    and a run that printed no line must leave no data point (the freshness alarm counts
    missing data as no success).
    """
    return aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
        name=metric.name,
        namespace=METRIC_NAMESPACE,
        value=f"$.{metric.field}",
        unit=metric.unit,
        dimensions={dimension: f"$.{field}" for dimension, field in DIMENSIONS},
    )


@dataclass(frozen=True)
class RunMetricFiltersArgs:
    """The stack and job the metrics are for, and the job's output log group."""

    stack: str
    job_name: str
    log_group_name: pulumi.Input[str]


class RunMetricFilters(pulumi.ComponentResource):
    """One metric filter per figure of `etl.metrics.RUN_METRICS` on the job's output log group."""

    filters: list[aws.cloudwatch.LogMetricFilter]

    def __init__(self, name: str, args: RunMetricFiltersArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:RunMetricFilters", name, None, opts)
        self.filters = [
            aws.cloudwatch.LogMetricFilter(
                f"{name}-{metric.name}-filter",
                aws.cloudwatch.LogMetricFilterArgs(
                    name=names.metric_filter_name(args.stack, metric.name),
                    log_group_name=args.log_group_name,
                    pattern=run_metric_pattern(args.stack, args.job_name, metric),
                    metric_transformation=run_metric_transformation(metric),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for metric in RUN_METRICS
        ]
        self.register_outputs({"namespace": METRIC_NAMESPACE})
