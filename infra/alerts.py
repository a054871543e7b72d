"""Failure alerts: an EventBridge rule on the job's and crawler's failures, to SNS.

The event pattern and the topic policy are pure functions; the component wires them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.policies import alerts_topic_policy


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
                    lambda values: json.dumps(alerts_topic_policy(values[0], values[1]))
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
