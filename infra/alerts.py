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


def freshness_alarm_args(
    alarm_name: str, stack: str, job: str, hours: int, schedule: str, topic_arn: pulumi.Input[str]
) -> aws.cloudwatch.MetricAlarmArgs:
    """No successful run in the last `hours` hours. Each hour with no data counts as a breach
    (`breaching`): a schedule that stopped firing leaves no data at all. Every one of the
    `hours` periods must breach, so one success in the window keeps the alarm OK."""
    return aws.cloudwatch.MetricAlarmArgs(
        name=alarm_name,
        alarm_description=(
            f"No successful run of {job} ({stack}) in the last {hours} hours; the schedule is {schedule} (UTC)."
        ),
        namespace=METRIC_NAMESPACE,
        metric_name=METRICS_BY_NAME["RunsSucceeded"].name,
        dimensions=metric_dimensions(stack, job),
        statistic="Sum",
        period=ALARM_PERIOD_SECONDS,
        evaluation_periods=hours,
        datapoints_to_alarm=hours,
        threshold=1,
        comparison_operator="LessThanThreshold",
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
                    args.freshness_alarm_name, args.stack, args.job_name, hours, args.schedule, args.topic_arn
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
