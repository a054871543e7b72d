"""CloudWatch Logs' metric filters, played: moto stores a group's metric filters but publishes
nothing when an event matches one, so the played job hands each line it writes here.

A JSON filter pattern of this stack's form -- `{ ($.field = "text") && ($.other = *) && ... }`,
conditions joined by `&&` -- matches an event whose message is a JSON object meeting every
condition (`= *`: the field is there); the filter then publishes its metric value (`$.field`)
under its namespace, with its dimensions taken from the event's fields ("Filter pattern syntax
for metric filters",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntaxForMetricFilters.html;
MetricTransformation, https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_MetricTransformation.html).
A pattern of another form matches nothing here.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, Mapping

CONDITION = re.compile(r"\(\s*\$\.(?P<field>\w+)\s*=\s*(?P<value>\*|\"(?:[^\"\\]|\\.)*\"|-?[\d.]+)\s*\)")
WHOLE = re.compile(r"^\{\s*(?:\(\s*\$\.\w+\s*=\s*(?:\*|\"(?:[^\"\\]|\\.)*\"|-?[\d.]+)\s*\)\s*(?:&&\s*)?)+\}$")


def matches(pattern: str, message: str) -> dict[str, Any] | None:
    """The event's JSON object when `message` meets every condition of `pattern`, else None."""
    if not WHOLE.match(pattern.strip()):
        return None
    try:
        event = json.loads(message)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    for condition in CONDITION.finditer(pattern):
        field, wanted = condition["field"], condition["value"]
        if field not in event:
            return None
        if wanted != "*" and event[field] != json.loads(wanted):
            return None
    return event


def _field(event: Mapping[str, Any], selector: str) -> Any:
    return event.get(selector.removeprefix("$."))


def publish_matches(emulator: Any, group: str, message: str, timestamp_ms: int) -> int:
    """Publish every metric a filter of `group` extracts from one event; how many were published."""
    published = 0
    filters = emulator.client("logs").describe_metric_filters(logGroupName=group).get("metricFilters", [])
    for metric_filter in filters:
        event = matches(metric_filter.get("filterPattern", ""), message)
        if event is None:
            continue
        for transformation in metric_filter.get("metricTransformations", []):
            value = _field(event, transformation["metricValue"])
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            dimensions = [  # by name, as doctor asks (moto matches dimensions only in the order published)
                {"Name": name, "Value": str(_field(event, selector))}
                for name, selector in sorted((transformation.get("dimensions") or {}).items())
            ]
            datum: dict[str, Any] = {
                "MetricName": transformation["metricName"],
                "Dimensions": dimensions,
                "Timestamp": datetime.fromtimestamp(timestamp_ms / 1000, UTC),
                "Value": float(value),
            }
            if transformation.get("unit"):
                datum["Unit"] = transformation["unit"]
            emulator.client("cloudwatch").put_metric_data(
                Namespace=transformation["metricNamespace"], MetricData=[datum]
            )
            published += 1
    return published
