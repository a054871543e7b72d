"""The prod freshness alarm on a deployed stack's first days, judged by CloudWatch's documented
evaluation rules (`tests/infra/cloudwatch_alarms.py`, written from AWS's pages) applied to the
alarm as `synth --stack prod` renders it, hour by hour over timelines of the job's metric.

Prod: `cron(0 4 * * ? *)`, `timeoutMinutes: 120`. The synth mocks say the stack (its Glue role)
was created at 2026-11-24 09:30 UTC, so the first scheduled run is due 2026-11-25 04:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.infra.cloudwatch_alarms import alarm_state, metric_key

RUNS_SUCCEEDED = metric_key(
    "SilverToGold", "RunsSucceeded", {"Stack": "prod", "Job": "job-transform-silver-to-gold-prod"}
)
DEPLOYED = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
FIRST_DUE = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def hourly(start: datetime, end: datetime) -> list[datetime]:
    """Every evaluation on the hour from `start` (rounded up) to `end`, inclusive."""
    moment = start.replace(minute=0, second=0, microsecond=0)
    if moment < start:
        moment += HOUR
    times = []
    while moment <= end:
        times.append(moment)
        moment += HOUR
    return times


def successes(*moments: datetime) -> dict[tuple, dict[int, float]]:
    """RunsSucceeded as the metric filter publishes it: Sum per hour of the runs that succeeded."""
    points: dict[int, float] = {}
    for moment in moments:
        start = epoch(moment.replace(minute=0, second=0, microsecond=0))
        points[start] = points.get(start, 0.0) + 1.0
    return {RUNS_SUCCEEDED: points}


@pytest.fixture
def freshness(prod) -> dict:
    (alarm,) = [a for a in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if a["name"].endswith("-freshness")]
    return alarm


def states(alarm: dict, data: dict, times: list[datetime]) -> dict[datetime, str]:
    state = "INSUFFICIENT_DATA"  # a new alarm's state ("Alarm states")
    seen = {}
    for moment in times:
        state = alarm_state(alarm, data, epoch(moment), state)
        seen[moment] = state
    return seen


def test_deploy_day_with_no_data_at_all_is_quiet_until_the_first_scheduled_run_had_its_time(freshness):
    # No datapoint has ever existed: the metric is first published by the first run.
    seen = states(freshness, {}, hourly(DEPLOYED, DEPLOYED + 3 * 24 * HOUR))
    before_due = {t: s for t, s in seen.items() if t <= FIRST_DUE}
    assert set(before_due.values()) == {"OK"}, before_due
    # Nothing ran at all: it fires once 27 whole hours have passed since the deploy (10:00 on
    # the 24th to 12:00 on the 25th all ended without a success) -- within the first due time
    # plus the schedule's period plus the margin (2026-11-26 06:30).
    assert seen[datetime(2026, 11, 25, 12, 0, tzinfo=UTC)] == "OK"
    assert seen[datetime(2026, 11, 25, 13, 0, tzinfo=UTC)] == "ALARM"
    assert datetime(2026, 11, 25, 13, 0, tzinfo=UTC) <= FIRST_DUE + timedelta(hours=24, minutes=150)


def test_a_daily_success_keeps_it_ok_and_it_fires_a_period_plus_the_margin_after_the_last(freshness):
    runs = [FIRST_DUE + timedelta(minutes=25) + day * 24 * HOUR for day in range(5)]  # 04:25, five days
    seen = states(freshness, successes(*runs), hourly(DEPLOYED, runs[-1] + 3 * 24 * HOUR))
    assert {s for t, s in seen.items() if t <= runs[-1] + 24 * HOUR} == {"OK"}
    # The last success was in the 04:00 hour of the 29th; the next run was due at 04:00 on the
    # 30th with 120 minutes to finish, plus 30 minutes: the 27 hours 05:00 (29th) - 07:00 (30th)
    # without a success end at 08:00.
    assert seen[datetime(2026, 11, 30, 7, 0, tzinfo=UTC)] == "OK"
    assert seen[datetime(2026, 11, 30, 8, 0, tzinfo=UTC)] == "ALARM"
    # It stays in ALARM while no run succeeds (one mail, on the change of state) ...
    assert {s for t, s in seen.items() if t >= datetime(2026, 11, 30, 8, 0, tzinfo=UTC)} == {"ALARM"}


def test_a_success_after_an_alarm_turns_it_ok_again(freshness):
    late = datetime(2026, 11, 26, 9, 10, tzinfo=UTC)  # someone reran the job by hand
    seen = states(freshness, successes(late), hourly(DEPLOYED, late + 2 * HOUR))
    assert seen[datetime(2026, 11, 26, 9, 0, tzinfo=UTC)] == "ALARM"
    assert seen[datetime(2026, 11, 26, 10, 0, tzinfo=UTC)] == "OK"


def test_the_evaluator_reads_the_pages_table(freshness):
    # The page's first table (Datapoints to Alarm = Evaluation Periods = 3, 5 retrieved; oldest
    # first): "0 - X - X" is OK and "- - - - -" is ALARM when missing data is breaching.
    alarm = {
        "namespace": "N",
        "metricName": "M",
        "period": 60,
        "evaluationPeriods": 3,
        "datapointsToAlarm": 3,
        "threshold": 1,
        "comparisonOperator": "GreaterThanThreshold",
        "treatMissingData": "breaching",
    }
    key = metric_key("N", "M", {})
    at = 600
    starts = [at - 60 * i for i in range(5, 0, -1)]  # the five periods before `at`, oldest first
    assert alarm_state(alarm, {key: {starts[0]: 0.0, starts[2]: 5.0, starts[4]: 5.0}}, at) == "OK"
    assert alarm_state(alarm, {}, at) == "ALARM"
    assert alarm_state({**alarm, "treatMissingData": "notBreaching"}, {}, at) == "OK"
    assert alarm_state({**alarm, "treatMissingData": "missing"}, {}, at) == "INSUFFICIENT_DATA"
    assert alarm_state({**alarm, "treatMissingData": "ignore"}, {}, at, "OK") == "OK"
    # "0 X X - X": enough real datapoints, the treatment is not needed: ALARM for all four.
    data = {key: {starts[0]: 0.0, starts[1]: 5.0, starts[2]: 5.0, starts[4]: 5.0}}
    for treatment in ("breaching", "notBreaching"):
        assert alarm_state({**alarm, "treatMissingData": treatment}, data, at) == "ALARM"
