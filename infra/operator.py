"""The operator's permissions as code: a customer-managed IAM policy for people and CI.

`OperatorAccess` creates one policy holding exactly what the operations CLI touches on this
stack, directly and through Athena (the document is `infra.policies.operator_policy`, made from
the declaration of each verb's accesses, `infra.policies.verbs`: pure and tested); the stack
exports its ARN (`operatorPolicyArn`) to attach to an operator's role or CI's. The stack
attaches it to nobody. It never reads configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.policies import operator_policy
from infra.policies.verbs import StackResources, Table


@dataclass(frozen=True)
class OperatorAccessArgs:
    """The policy's name and the stack's resources it is scoped to."""

    policy_name: str
    region: str
    account_id: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    job_name: str
    crawler_name: str
    workgroup_name: str
    silver: tuple[str, str]
    gold: tuple[str, str]
    rejects: tuple[str, str]
    prefixes: dict[str, str]  # silver, gold, quarantine, reports, athena_results: keys under the bucket
    log_groups: list[str]
    topic_name: str
    role_name: str
    kms_key_arn: pulumi.Input[str] | None = None
    description: str = ""


def stack_resources(args: OperatorAccessArgs, bucket: str, account: str, kms_key_arn: str) -> StackResources:
    """The stack's resources as the verbs' declaration names them, once the bucket and account are known."""
    prefixes = args.prefixes
    return StackResources(
        region=args.region,
        account=account,
        bucket=bucket,
        job=args.job_name,
        crawler=args.crawler_name,
        workgroup=args.workgroup_name,
        silver=Table(*args.silver, prefixes["silver"]),
        gold=Table(*args.gold, prefixes["gold"]),
        rejects=Table(*args.rejects, prefixes["quarantine"]),
        reports=prefixes["reports"],
        athena_results=prefixes["athena_results"],
        log_groups=tuple(args.log_groups),
        topic=args.topic_name,
        role=args.role_name,
        operator_policy=args.policy_name,
        kms_key_arn=kms_key_arn,
    )


class OperatorAccess(pulumi.ComponentResource):
    """One customer-managed policy: run and follow the job, load silver, register, query, read logs, doctor."""

    policy: aws.iam.Policy

    def __init__(self, name: str, args: OperatorAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:OperatorAccess", name, None, opts)
        document = pulumi.Output.all(args.bucket_name, args.account_id, args.kms_key_arn).apply(
            lambda values: json.dumps(operator_policy(stack_resources(args, values[0], values[1], values[2] or "")))
        )
        # A managed policy, not inline: it outlives any one operator and is attached by ARN.
        self.policy = aws.iam.Policy(
            f"{name}-operator-policy",
            aws.iam.PolicyArgs(name=args.policy_name, description=args.description, policy=document),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"arn": self.policy.arn})
