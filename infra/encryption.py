"""The stack's customer-managed KMS key (when `kms` is `create`) and its alias.

One key per stack encrypts the lake bucket (SSE-KMS with a bucket key), the log groups,
the Glue security configuration (S3, CloudWatch logs, job bookmarks), Athena results and
the alerts topic. Its policy is `infra.policies.lake_key_policy` (pure, tested). The
component never reads configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.policies import lake_key_policy


@dataclass(frozen=True)
class LakeKeyArgs:
    """Alias, account, region, the Glue role and the log groups the key serves."""

    alias: str
    account_id: pulumi.Input[str]
    region: str
    role_arn: pulumi.Input[str]
    log_groups: list[str]
    description: str = ""


class LakeKey(pulumi.ComponentResource):
    """A symmetric key with yearly rotation and an alias."""

    arn: pulumi.Output[str]

    def __init__(self, name: str, args: LakeKeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:LakeKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        policy = pulumi.Output.all(args.account_id, args.role_arn).apply(
            lambda values: json.dumps(
                lake_key_policy(account=values[0], region=args.region, role_arn=values[1], log_groups=args.log_groups)
            )
        )
        # Rotation yearly (CKV_AWS_7); a 30-day deletion window leaves time to notice a
        # destroy that would make the lake's objects unreadable.
        self.key = aws.kms.Key(
            f"{name}-key",
            aws.kms.KeyArgs(
                description=args.description,
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=policy,
            ),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias", aws.kms.AliasArgs(name=args.alias, target_key_id=self.key.key_id), opts=child
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn})
