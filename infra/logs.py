"""The CloudWatch log groups the job and the crawler write to, declared with retention.

Created up front so retention (and the key) apply from the first run: a group Glue
creates itself never expires. It never reads configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class JobLogsArgs:
    """The groups to declare (key -> name), their retention and key."""

    groups: dict[str, str]
    retention_days: int
    kms_key_arn: pulumi.Input[str] | None = None


class JobLogs(pulumi.ComponentResource):
    """One log group per entry of `args.groups`, each with retention."""

    groups: dict[str, aws.cloudwatch.LogGroup]

    def __init__(self, name: str, args: JobLogsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:JobLogs", name, None, opts)
        self.groups = {
            key: aws.cloudwatch.LogGroup(
                f"{name}-{key}-logs",
                aws.cloudwatch.LogGroupArgs(
                    name=group, retention_in_days=args.retention_days, kms_key_id=args.kms_key_arn
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for key, group in args.groups.items()
        }
        self.register_outputs({key: group.name for key, group in self.groups.items()})
