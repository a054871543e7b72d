"""Alerts to the stack's SNS topic: an EventBridge rule on the job's and crawler's failures
(`FailureAlerts`), and CloudWatch alarms on the run metrics (`HealthAlarms`): a reject ratio
above the warning level, and no successful run within the schedule's period (freshness).

The event pattern, the topic policy, the freshness window and the alarms' arguments are pure
functions; the components wire them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime

import pulumi
import pulumi_aws as aws

from etl.metrics import METRIC_NAMESPACE, METRICS_BY_NAME
from infra.metrics import metric_dimensions
from infra.policies import alerts_topic_policy
from infra.schedule import schedule_period_seconds


@dataclass(frozen=True)
class FailureAlertsArgs:
    """Topic and rule names, which job and crawler to watch, who to email, the topic's key."""

    topic_name: str
    rule_name: str
    job_name: str
    crawler_name: str
    account_id: pulumi.Input[str]
    alert_email: str = ""
    # A customer-managed key whose policy lets EventBridge use it, or None (unencrypted).
    # Never alias/aws/sns: its key policy cannot grant EventBridge, so EventBridge's
    # publishes fail ("Why isn't my SNS topic receiving EventBridge notifications?",
    # https://repost.aws/knowledge-center/sns-not-getting-eventbridge-notification).
    kms_master_key_id: pulumi.Input[str] | None = None
    # The stack's CloudWatch alarms, which the topic policy lets publish (HealthAlarms).
    region: str = ""
    alarm_names: tuple[str, ...] = ()


class FailureAlerts(pulumi.ComponentResource):
    """SNS topic (EventBridge of this account may publish), rule, target, optional email."""

    def __init__(self, name: str, args: FailureAlertsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:FailureAlerts", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(
            f"{name}-alerts",
            aws.sns.TopicArgs(name=args.topic_name, kms_master_key_id=args.kms_master_key_id),
            opts=child,
        )
        aws.sns.TopicPolicy(
            f"{name}-alerts-policy",
            aws.sns.TopicPolicyArgs(
                arn=self.topic.arn,
                policy=pulumi.Output.all(self.topic.arn, args.account_id).apply(
                    lambda values: json.dumps(_topic_policy(values[0], values[1], args))
                ),
            ),
            opts=child,
        )
        if args.alert_email:
            aws.sns.TopicSubscription(
                f"{name}-alerts-email",
                aws.sns.TopicSubscriptionArgs(topic=self.topic.arn, protocol="email", endpoint=args.alert_email),
                opts=child,
            )
        rule = aws.cloudwatch.EventRule(
            f"{name}-failure-rule",
            aws.cloudwatch.EventRuleArgs(
                name=args.rule_name,
                description=f"{args.job_name} failed, timed out or errored, or {args.crawler_name} failed",
                event_pattern=json.dumps(failure_event_pattern(args.job_name, args.crawler_name)),
            ),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-failure-target", aws.cloudwatch.EventTargetArgs(rule=rule.name, arn=self.topic.arn), opts=child
        )
        self.register_outputs({"topicArn": self.topic.arn})


def _topic_policy(topic_arn: str, account: str, args: FailureAlertsArgs) -> dict:
    return alerts_topic_policy(topic_arn, account, args.region, list(args.alarm_names))


def failure_event_pattern(job_name: str, crawler_name: str) -> dict:
    """EventBridge pattern: the job's FAILED/TIMEOUT/ERROR runs and the crawler's failures."""
    return {
        "source": ["aws.glue"],
        "$or": [
            {
                "detail-type": ["Glue Job State Change"],
                "detail": {"jobName": [job_name], "state": ["FAILED", "TIMEOUT", "ERROR"]},
            },
            {
                "detail-type": ["Glue Crawler State Change"],
                "detail": {"crawlerName": [crawler_name], "state": ["Failed"]},
            },
        ],
    }


# -- alarms on the run metrics --------------------------------------------------------------
ALARM_PERIOD_SECONDS = 3600
# "An alarm's total current evaluation period can be no longer than seven days, so Period
# multiplied by EvaluationPeriods can't be more than 604,800 seconds" (PutMetricAlarm, Period,
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
MAX_ALARM_EVALUATION_SECONDS = 604_800
# Between a scheduled firing and the run's start: Glue's start-up (and, with FLEX, waiting
# for spare capacity).
FRESHNESS_SLACK_MINUTES = 30


def freshness_periods(schedule: str, timeout_minutes: int) -> int | None:
    """Hours without a successful run after which the freshness alarm fires.

    The schedule's longest gap between firings, plus the job's timeout (a run started on time
    ends within it), plus FRESHNESS_SLACK_MINUTES, rounded up to whole hours. None without a
    schedule, or when that is longer than an alarm can look back (seven days): a weekly or
    monthly schedule gets no freshness alarm (docs/infrastructure.md).
    """
    if not schedule:
        return None
    period = schedule_period_seconds(schedule)
    if period is None:
        return None
    window = period + (timeout_minutes + FRESHNESS_SLACK_MINUTES) * 60
    periods = math.ceil(window / ALARM_PERIOD_SECONDS)
    return periods if periods * ALARM_PERIOD_SECONDS <= MAX_ALARM_EVALUATION_SECONDS else None


def reject_ratio_alarm_args(
    alarm_name: str, stack: str, job: str, warning: float, gate: float, topic_arn: pulumi.Input[str]
) -> aws.cloudwatch.MetricAlarmArgs:
    """A run rejected more than `warning` of the rows it read: before the gate (`gate`) fails
    runs. One data point a run; hours without a run are not a breach."""
    return aws.cloudwatch.MetricAlarmArgs(
        name=alarm_name,
        alarm_description=(
            f"A run of {job} ({stack}) rejected more than {warning:.2%} of the rows it read; "
            f"runs fail above {gate:.2%} (maxRejectRatio). Ask the rejects table why."
        ),
        namespace=METRIC_NAMESPACE,
        metric_name=METRICS_BY_NAME["RejectRatio"].name,
        dimensions=metric_dimensions(stack, job),
        statistic="Maximum",
        period=ALARM_PERIOD_SECONDS,
        evaluation_periods=1,
        threshold=warning,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        actions_enabled=True,
        alarm_actions=[topic_arn],
    )


# The freshness alarm's metric math: `succeeded` is RunsSucceeded per hour; `fresh` adds 1 to
# every hour that began before the stack was deployed.
FRESHNESS_METRIC_ID = "succeeded"
FRESHNESS_EXPRESSION_ID = "fresh"


def freshness_expression(watch_from_epoch: int) -> str:
    """`succeeded + (EPOCH(succeeded) < watch_from_epoch)`: an hour's successful runs, plus 1 for
    an hour that began before `watch_from_epoch` (the deploy), as a series with a value every hour.

    Why it has a value every hour, even before the metric was ever published (CloudWatch User
    Guide, "Metric math syntax and functions",
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html):
    EPOCH "take[s] the period and range of the time series and return[s] a new non-sparse time
    series"; a comparison of a series with a number gives 0 or 1 for each of its points; and in
    arithmetic "missing values in a time series are treated as 0". So an hour with no run is 0
    (breaching, below the threshold of 1) once the stack exists, and 1 before it did, and the
    alarm never falls back on its missing-data rule -- the rule that, with `breaching`, put it
    in ALARM the moment it was created.
    """
    return f"{FRESHNESS_METRIC_ID} + (EPOCH({FRESHNESS_METRIC_ID}) < {watch_from_epoch})"


def epoch_seconds(rfc3339: str) -> int:
    """`2026-11-24T09:30:00Z` -> seconds since 1970 (IAM's CreateDate is RFC 3339, UTC)."""
    return int(datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp())


def freshness_alarm_args(
    alarm_name: str,
    stack: str,
    job: str,
    hours: int,
    schedule: str,
    topic_arn: pulumi.Input[str],
    watch_from_epoch: pulumi.Input[int],
) -> aws.cloudwatch.MetricAlarmArgs:
    """No successful run in the last `hours` hours since the stack was deployed
    (`watch_from_epoch`, seconds since 1970).

    Every one of the last `hours` hourly values of `freshness_expression` must be below 1: one
    success in the window keeps the alarm OK, and so does any hour before the deploy. It can first
    be in ALARM `hours` hours after the deploy: `hours` is the schedule's longest gap plus the
    timeout plus a margin (`freshness_periods`), so the first scheduled run (at most one gap after
    the deploy) has had its time to succeed. A schedule that stops firing leaves hours of 0, which
    breach, as a run that fails does.
    """
    expression = pulumi.Output.from_input(watch_from_epoch).apply(freshness_expression)
    return aws.cloudwatch.MetricAlarmArgs(
        name=alarm_name,
        alarm_description=(
            f"No successful run of {job} ({stack}) in the last {hours} hours; the schedule is {schedule} (UTC). "
            "Quiet for the first hours after the deploy, until the first scheduled run has had its time."
        ),
        metric_queries=[
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=FRESHNESS_METRIC_ID,
                metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace=METRIC_NAMESPACE,
                    metric_name=METRICS_BY_NAME["RunsSucceeded"].name,
                    dimensions=metric_dimensions(stack, job),
                    stat="Sum",
                    period=ALARM_PERIOD_SECONDS,
                ),
                return_data=False,
            ),
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=FRESHNESS_EXPRESSION_ID,
                expression=expression,
                label="successful runs (hours before the deploy count as 1)",
                return_data=True,
            ),
        ],
        evaluation_periods=hours,
        datapoints_to_alarm=hours,
        threshold=1,
        comparison_operator="LessThanThreshold",
        # Not reached: the expression has a value every hour. Were it ever missing, breaching
        # says so loudly rather than hiding a pipeline that stopped.
        treat_missing_data="breaching",
        actions_enabled=True,
        alarm_actions=[topic_arn],
    )


@dataclass(frozen=True)
class HealthAlarmsArgs:
    """What the alarms watch and where they notify."""

    stack: str
    job_name: str
    topic_arn: pulumi.Input[str]
    reject_ratio_alarm_name: str
    reject_ratio_warning: float
    max_reject_ratio: float
    freshness_alarm_name: str
    # When the stack was first deployed, RFC 3339 (the Glue role's IAM CreateDate): the
    # freshness alarm counts hours without a successful run from then on.
    deployed_at: pulumi.Input[str]
    schedule: str = ""
    timeout_minutes: int = 60


class HealthAlarms(pulumi.ComponentResource):
    """The reject-ratio alarm, and the freshness alarm when the job runs on a schedule."""

    reject_ratio: aws.cloudwatch.MetricAlarm
    freshness: aws.cloudwatch.MetricAlarm | None

    def __init__(self, name: str, args: HealthAlarmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:HealthAlarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.reject_ratio = aws.cloudwatch.MetricAlarm(
            f"{name}-reject-ratio-alarm",
            reject_ratio_alarm_args(
                args.reject_ratio_alarm_name,
                args.stack,
                args.job_name,
                args.reject_ratio_warning,
                args.max_reject_ratio,
                args.topic_arn,
            ),
            opts=child,
        )
        self.freshness = None
        hours = freshness_periods(args.schedule, args.timeout_minutes)
        if hours is not None:
            self.freshness = aws.cloudwatch.MetricAlarm(
                f"{name}-freshness-alarm",
                freshness_alarm_args(
                    args.freshness_alarm_name,
                    args.stack,
                    args.job_name,
                    hours,
                    args.schedule,
                    args.topic_arn,
                    pulumi.Output.from_input(args.deployed_at).apply(epoch_seconds),
                ),
                opts=child,
            )
        elif args.schedule:
            pulumi.log.warn(
                f"{args.schedule} fires less often than a CloudWatch alarm can look back (7 days): "
                "no freshness alarm; the failure rule still reports failed runs",
                resource=self,
            )
        self.register_outputs({"rejectRatioAlarm": self.reject_ratio.name})
