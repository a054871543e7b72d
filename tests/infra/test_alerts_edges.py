"""The alerts as the rendered stacks declare them, where mutation testing of `infra/alerts.py` found
them unguarded: which Glue events the failure rule lets through (judged by EventBridge's matching
rules, below, on events shaped as Glue sends them), the rule's and the alarms' descriptions (what
the mail says), the subscription's address, the resources' logical names and parents (a new one is
a replacement on a deployed stack), the warning a weekly schedule gets, and the seven-day bound of
the freshness alarm. Every expected value is written out.
"""

from __future__ import annotations

import json

import pytest

from infra.alerts import freshness_periods

ACCOUNT = "123456789012"
JOBS = {"dev": "job-transform-silver-to-gold", "prod": "job-transform-silver-to-gold-prod"}
CRAWLERS = {"dev": "crawler-gold-data", "prod": "crawler-gold-data-prod"}


def stack_name(stack) -> str:
    return "dev" if stack.one("aws:iam/role:Role")["name"] == "silver-to-gold-dev-glue" else "prod"


# -- the failure rule, judged as EventBridge matches ------------------------------------------


def _matches(pattern: dict, event: dict) -> bool:
    """EventBridge's matching, for the pattern parts the stack uses ("Creating event patterns",
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html): every field
    of the pattern must match; a list of values matches when the event's value is one of them; a
    nested object matches the event's nested object; `$or` matches when any of its patterns does
    ("Or matching", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html)."""
    for field, wanted in pattern.items():
        if field == "$or":
            if not any(_matches(alternative, event) for alternative in wanted):
                return False
        elif isinstance(wanted, dict):
            if not isinstance(event.get(field), dict) or not _matches(wanted, event[field]):
                return False
        elif field not in event or event[field] not in wanted:
            return False
    return True


def glue_job_event(job: str, state: str, source: str = "aws.glue") -> dict:
    """A "Glue Job State Change" event as Glue sends it (SUCCEEDED, FAILED, TIMEOUT, STOPPED:
    "Automating AWS Glue with EventBridge",
    https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html)."""
    return {
        "version": "0",
        "detail-type": "Glue Job State Change",
        "source": source,
        "account": ACCOUNT,
        "region": "us-east-1",
        "detail": {"jobName": job, "severity": "ERROR", "state": state, "jobRunId": "jr_1", "message": "..."},
    }


def glue_crawler_event(crawler: str, state: str) -> dict:
    """A "Glue Crawler State Change" event (Started, Succeeded, Failed; same page)."""
    return {
        "version": "0",
        "detail-type": "Glue Crawler State Change",
        "source": "aws.glue",
        "account": ACCOUNT,
        "region": "us-east-1",
        "detail": {"crawlerName": crawler, "state": state, "message": f"Crawler {state}"},
    }


def test_the_failure_rule_lets_through_only_the_jobs_and_crawlers_failures(stack):
    name = stack_name(stack)
    job, crawler = JOBS[name], CRAWLERS[name]
    pattern = json.loads(stack.one("aws:cloudwatch/eventRule:EventRule")["eventPattern"])
    for state in ("FAILED", "TIMEOUT", "ERROR"):
        assert _matches(pattern, glue_job_event(job, state)), state
    for state in ("SUCCEEDED", "STOPPED"):
        assert not _matches(pattern, glue_job_event(job, state)), state
    assert not _matches(pattern, glue_job_event("another-job", "FAILED"))
    assert not _matches(pattern, glue_job_event(job, "FAILED", source="aws.glue-dataquality"))
    assert _matches(pattern, glue_crawler_event(crawler, "Failed"))
    for state in ("Started", "Succeeded"):
        assert not _matches(pattern, glue_crawler_event(crawler, state)), state
    assert not _matches(pattern, glue_crawler_event("another-crawler", "Failed"))
    # A job named like the crawler is not the crawler: each detail goes with its own detail-type.
    assert not _matches(pattern, glue_job_event(crawler, "Failed"))
    assert not _matches(pattern, {**glue_crawler_event(crawler, "Failed"), "detail-type": "Glue Job State Change"})


def test_the_failure_rule_is_described_and_targets_the_topic_by_name(dev, prod):
    for stack, name in ((dev, "dev"), (prod, "prod")):
        rule = stack.one("aws:cloudwatch/eventRule:EventRule")
        assert rule["name"] == f"silver-to-gold-{name}-failures"
        assert rule["description"] == f"{JOBS[name]} failed, timed out or errored, or {CRAWLERS[name]} failed"
        assert stack.one("aws:cloudwatch/eventTarget:EventTarget") == {
            "rule": f"silver-to-gold-{name}-failures",
            "arn": f"arn:aws:sns:us-east-1:{ACCOUNT}:silver-to-gold-{name}-alerts",
        }


def test_prod_mails_the_configured_address_and_dev_mails_nobody(dev, prod):
    assert prod.one("aws:sns/topicSubscription:TopicSubscription") == {
        "topic": f"arn:aws:sns:us-east-1:{ACCOUNT}:silver-to-gold-prod-alerts",
        "protocol": "email",
        "endpoint": "data-platform-alerts@example.com",
    }
    assert dev.of_type("aws:sns/topicSubscription:TopicSubscription") == []
    assert dev.one("aws:sns/topic:Topic") == {"name": "silver-to-gold-dev-alerts"}


# -- what the alarms' mails say -----------------------------------------------------------------


def test_each_alarm_says_what_it_watches(dev, prod):
    alarms = {a["name"]: a for s in (dev, prod) for a in s.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert {name: alarm["alarmDescription"] for name, alarm in alarms.items()} == {
        "silver-to-gold-dev-reject-ratio": (
            "A run of job-transform-silver-to-gold (dev) rejected more than 2.50% of the rows it read; "
            "runs fail above 5.00% (maxRejectRatio). Ask the rejects table why."
        ),
        "silver-to-gold-prod-reject-ratio": (
            "A run of job-transform-silver-to-gold-prod (prod) rejected more than 2.50% of the rows it read; "
            "runs fail above 5.00% (maxRejectRatio). Ask the rejects table why."
        ),
        "silver-to-gold-prod-freshness": (
            "No successful run of job-transform-silver-to-gold-prod (prod) in the last 27 hours; "
            "the schedule is cron(0 4 * * ? *) (UTC). "
            "Quiet for the first hours after the deploy, until the first scheduled run has had its time."
        ),
    }


# -- logical names and parents: a change is a replacement on a deployed stack -------------------


def test_the_alert_resources_keep_their_names_and_parents(dev, prod):
    def tree(stack) -> set[tuple[str, str]]:
        found = set()
        for resource in stack.resources:
            qualified = resource["urn"].split("::")[2]  # <parent type>$<type>
            if qualified.split("$")[0] in ("silver-to-gold:index:FailureAlerts", "silver-to-gold:index:HealthAlarms"):
                found.add((qualified, resource["name"]))
            if resource["type"] in ("silver-to-gold:index:FailureAlerts", "silver-to-gold:index:HealthAlarms"):
                found.add((resource["type"], resource["name"]))
        return found

    alerts, health = "silver-to-gold:index:FailureAlerts", "silver-to-gold:index:HealthAlarms"
    common = {
        (alerts, "silver-to-gold"),
        (health, "silver-to-gold"),
        (f"{alerts}$aws:sns/topic:Topic", "silver-to-gold-alerts"),
        (f"{alerts}$aws:sns/topicPolicy:TopicPolicy", "silver-to-gold-alerts-policy"),
        (f"{alerts}$aws:cloudwatch/eventRule:EventRule", "silver-to-gold-failure-rule"),
        (f"{alerts}$aws:cloudwatch/eventTarget:EventTarget", "silver-to-gold-failure-target"),
        (f"{health}$aws:cloudwatch/metricAlarm:MetricAlarm", "silver-to-gold-reject-ratio-alarm"),
    }
    assert tree(dev) == common
    assert tree(prod) == common | {
        (f"{alerts}$aws:sns/topicSubscription:TopicSubscription", "silver-to-gold-alerts-email"),
        (f"{health}$aws:cloudwatch/metricAlarm:MetricAlarm", "silver-to-gold-freshness-alarm"),
    }


# -- the schedule's bound ---------------------------------------------------------------------------


def test_a_weekly_schedule_is_warned_about_and_an_unscheduled_stack_is_not(render_config, dev, prod):
    weekly = render_config("qa", {"schedule": "cron(0 4 ? * SUN *)"})
    assert weekly.stderr.strip() == (
        "cron(0 4 ? * SUN *) fires less often than a CloudWatch alarm can look back (7 days): "
        "no freshness alarm; the failure rule still reports failed runs"
    )
    assert "freshness" not in dev.stderr and "freshness" not in prod.stderr


@pytest.mark.parametrize(
    "timeout_minutes, hours",
    [
        # Saturday to Sunday is one day, Sunday to Saturday six: 144 h + 1410 min + 30 min = 168 h,
        # exactly the seven days (604,800 s) an alarm may look back (PutMetricAlarm, Period,
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
        (1410, 168),
        (1411, None),  # one minute more rounds up to 169 h: no alarm
        (1350, 167),
    ],
)
def test_the_freshness_window_may_be_exactly_seven_days(timeout_minutes, hours):
    assert freshness_periods("cron(0 4 ? * SUN,SAT *)", timeout_minutes) == hours
