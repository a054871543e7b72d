"""The alerts topic's policy: who may publish to it."""

from __future__ import annotations

from typing import Any, Sequence

from infra.policies.statements import Statement, alarm_arns, allow, document, service


def eventbridge_publish_statement(topic_arn: str, account: str) -> Statement:
    """EventBridge, for rules of this account (the failure rule)."""
    return allow(
        "EventBridgePublish",
        "sns:Publish",
        topic_arn,
        {"StringEquals": {"aws:SourceAccount": account}},
        principal=service("events.amazonaws.com"),
    )


def cloudwatch_alarms_publish_statement(
    topic_arn: str, account: str, region: str, alarm_names: Sequence[str]
) -> Statement:
    """CloudWatch, for the stack's own alarms only.

    The service principal with `aws:SourceArn` naming the alarms ("Why didn't I receive an SNS
    notification for my CloudWatch alarm trigger?",
    https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger).
    """
    return allow(
        "CloudWatchAlarmsPublish",
        "sns:Publish",
        topic_arn,
        {
            "ArnLike": {"aws:SourceArn": alarm_arns(region, account, alarm_names)},
            "StringEquals": {"aws:SourceAccount": account},
        },
        principal=service("cloudwatch.amazonaws.com"),
    )


def alerts_topic_policy(
    topic_arn: str, account: str, region: str = "", alarm_names: Sequence[str] = ()
) -> dict[str, Any]:
    """Only EventBridge for this account's rules, and CloudWatch for `alarm_names` (if any), may publish."""
    statements = [eventbridge_publish_statement(topic_arn, account)]
    if alarm_names:
        statements.append(cloudwatch_alarms_publish_statement(topic_arn, account, region, alarm_names))
    return document(*statements)
