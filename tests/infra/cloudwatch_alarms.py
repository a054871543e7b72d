"""CloudWatch's documented alarm evaluation, written from AWS's pages (not from the product's
code), to judge a rendered `aws:cloudwatch/metricAlarm:MetricAlarm` over a timeline of datapoints.

What it follows:

- "Configuring how CloudWatch alarms treat missing data", "How alarm state is evaluated when
  data is missing" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data):
  CloudWatch retrieves more datapoints than Evaluation Periods (the *evaluation range*; its
  example retrieves 5 for 3, so `RANGE_EXTRA` = 2 here); with at least Evaluation Periods real
  datapoints it evaluates the most recent of them and the missing-data treatment is ignored;
  with fewer, every real datapoint of the range is evaluated and missing ones are filled with
  the treatment, "as few times as possible"; ALARM when at least Datapoints to Alarm of the
  evaluated points breach, else OK. With no datapoint at all, `missing` gives
  INSUFFICIENT_DATA and `ignore` keeps the current state. (The treatments `missing` and
  `ignore` with some datapoints present are not modelled: no alarm of the stack relies on them.)
- "Metric math syntax and functions" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html):
  in arithmetic "missing values in a time series are treated as 0"; a comparison gives 1 (true)
  or 0 (false) per point, a missing value on one side counting as 0; EPOCH takes "the period
  and range of the time series and return[s] a new non-sparse time series" of each point's
  timestamp in seconds. Only these (`+ - *`, `< <= > >= == !=`, `EPOCH`, metric ids, numbers)
  are understood; anything else raises.
"""

from __future__ import annotations

import ast
import operator
from typing import Callable, Mapping

RANGE_EXTRA = 2  # datapoints retrieved beyond Evaluation Periods (the page's example: 5 for 3)

_COMPARISONS: dict[type, Callable[[float, float], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_ARITHMETIC: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
}
_BREACHES: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}

Points = Mapping[int, float]  # period start (epoch seconds) -> the period's statistic


def _both_missing_or(values: list[float | None], combine: Callable[[float, float], float]) -> float | None:
    if all(v is None for v in values):
        return None
    left, right = (0.0 if v is None else v for v in values)
    return combine(left, right)


def _evaluate(node: ast.AST, at: int, points: Mapping[str, Points]) -> float | None:
    """One node of a metric math expression at the period starting at `at`."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, at, points)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name):
        return points[node.id].get(at)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "EPOCH":
        (argument,) = node.args
        if not isinstance(argument, ast.Name) or argument.id not in points:
            raise ValueError(f"EPOCH of {ast.unparse(argument)!r}: only a metric id is modelled")
        return float(at)  # non-sparse: every period of the range has its timestamp
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        values = [_evaluate(node.left, at, points), _evaluate(node.right, at, points)]
        return _both_missing_or(values, _ARITHMETIC[type(node.op)])
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARISONS:
        values = [_evaluate(node.left, at, points), _evaluate(node.comparators[0], at, points)]
        compare = _COMPARISONS[type(node.ops[0])]
        return _both_missing_or(values, lambda a, b: 1.0 if compare(a, b) else 0.0)
    raise ValueError(f"not modelled: {ast.unparse(node)!r}")


def metric_key(namespace: str, name: str, dimensions: Mapping[str, str]) -> tuple:
    """The key `alarm_series` and `alarm_state` look a metric's datapoints up by."""
    return (namespace, name, tuple(sorted(dimensions.items())))


def alarm_series(alarm: Mapping, data: Mapping[tuple, Points], period_starts: list[int]) -> list[float | None]:
    """The value the alarm watches for each period, from `data` (`metric_key(...)` -> points)."""
    queries = alarm.get("metricQueries")
    if not queries:
        points = data.get(metric_key(alarm["namespace"], alarm["metricName"], alarm.get("dimensions", {})), {})
        return [points.get(start) for start in period_starts]
    by_id: dict[str, Points] = {}
    for query in queries:
        if "metric" in query:
            metric = query["metric"]
            by_id[query["id"]] = data.get(
                metric_key(metric["namespace"], metric["metricName"], metric.get("dimensions", {})), {}
            )
    (watched,) = [q for q in queries if q.get("returnData", True) and "expression" in q]
    tree = ast.parse(watched["expression"], mode="eval")
    return [_evaluate(tree, start, by_id) for start in period_starts]


def alarm_period(alarm: Mapping) -> int:
    if alarm.get("metricQueries"):
        (period,) = {int(q["metric"]["period"]) for q in alarm["metricQueries"] if "metric" in q}
        return period
    return int(alarm["period"])


def alarm_state(alarm: Mapping, data: Mapping[tuple, Points], at: int, current: str = "INSUFFICIENT_DATA") -> str:
    """The state a rendered alarm takes when CloudWatch evaluates it at `at` (epoch seconds)."""
    period = alarm_period(alarm)
    wanted = int(alarm["evaluationPeriods"])
    to_alarm = int(alarm.get("datapointsToAlarm") or wanted)
    newest_start = (at // period) * period - period  # the last period that has ended
    starts = [newest_start - i * period for i in reversed(range(wanted + RANGE_EXTRA))]
    values = alarm_series(alarm, data, starts)
    existing = [v for v in values if v is not None]
    breaches = _BREACHES[alarm["comparisonOperator"]]
    threshold = float(alarm["threshold"])
    if len(existing) >= wanted:
        breaching = sum(breaches(v, threshold) for v in existing[-wanted:])
    else:
        treatment = alarm.get("treatMissingData", "missing")
        if treatment in ("missing", "ignore"):
            if existing:
                raise NotImplementedError(f"treatMissingData {treatment} with some datapoints is not modelled")
            return "INSUFFICIENT_DATA" if treatment == "missing" else current
        fills = wanted - len(existing)
        breaching = sum(breaches(v, threshold) for v in existing) + (fills if treatment == "breaching" else 0)
    return "ALARM" if breaching >= to_alarm else "OK"
