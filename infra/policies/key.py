"""The key policy of the stack's customer-managed key (`kms: create`).

In a key policy `"Resource": "*"` means the key itself. Each statement names one principal:
the account (through IAM), CloudWatch Logs for the stack's log groups, the Glue role, and the
two services that publish to the encrypted alerts topic (EventBridge, CloudWatch alarms).
"""

from __future__ import annotations

from typing import Any, Sequence

from infra.policies.actions import KEY_USE_ACTIONS
from infra.policies.statements import Statement, account_or_role, allow, document, service

# What CloudWatch Logs does with a log group's key ("Encrypt log data in CloudWatch Logs
# using AWS KMS", step 2: the key policy,
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html);
# named one by one instead of the page's Encrypt*/Decrypt*/ReEncrypt*/GenerateDataKey*.
LOGS_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
)
# EventBridge publishing to an encrypted topic: "Why isn't my SNS topic receiving
# EventBridge notifications?", https://repost.aws/knowledge-center/sns-not-getting-eventbridge-notification
EVENTBRIDGE_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
# CloudWatch alarms publishing to a topic encrypted with a customer-managed key: "add the
# following statement to the KMS policy" with the service principal, kms:GenerateDataKey* and
# kms:Decrypt ("Enable compatibility between event sources from AWS services and encrypted
# topics", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
# Named without the wildcard, as EventBridge's; no condition, as AWS documents it (the topic
# policy names the alarms).
CLOUDWATCH_ALARMS_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def cloudwatch_alarms_key_statement() -> Statement:
    return allow(
        "CloudWatchAlarmsForAlertsTopic",
        CLOUDWATCH_ALARMS_KEY_ACTIONS,
        "*",
        principal=service("cloudwatch.amazonaws.com"),
    )


def lake_key_policy(*, account: str, region: str, role_arn: str, log_groups: Sequence[str]) -> dict[str, Any]:
    """The key policy of the stack's customer-managed key.

    Args:
        account: AWS account id.
        region: the stack's region (CloudWatch Logs is a regional service principal).
        role_arn: the Glue job and crawler role.
        log_groups: the stack's log groups, and patterns of the groups Glue creates
            (`/aws-glue/jobs-<role>-<security configuration>/*`); CloudWatch Logs may use
            the key only with an encryption context naming one of them (ArnLike: exact
            ARNs match themselves, patterns their groups).
    """
    groups = [f"arn:aws:logs:{region}:{account}:log-group:{name}" for name in log_groups]
    return document(
        # The account's administrators manage the key through IAM; without this statement the
        # key can become unmanageable (KMS default key policy,
        # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
        allow("AccountAdministrators", "kms:*", "*", principal=account_or_role(f"arn:aws:iam::{account}:root")),
        allow(
            "CloudWatchLogsForStackLogGroups",
            LOGS_KEY_ACTIONS,
            "*",
            {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": groups}},
            principal=service(f"logs.{region}.amazonaws.com"),
        ),
        allow("GlueJobAndCrawlerRole", KEY_USE_ACTIONS, "*", principal=account_or_role(role_arn)),
        allow(
            "EventBridgeForAlertsTopic",
            EVENTBRIDGE_KEY_ACTIONS,
            "*",
            {"StringEquals": {"aws:SourceAccount": account}},
            principal=service("events.amazonaws.com"),
        ),
        cloudwatch_alarms_key_statement(),
    )
