"""GitHub Actions' access to the stack, with no long-lived key: two roles trusted through the
account's GitHub OIDC provider, made only when the stack sets `githubRepository`.

- The deploy role (output `deployRoleArn`): trusted by the repository's main branch and its
  GitHub environment named after the stack; holds what `pulumi up` of this stack manages
  (`infra.policies.github.deploy_policy`, an inline policy) and the stack's operator policy,
  attached, for the run steps (`pipeline`, `doctor`).
- The preview role (output `previewRoleArn`): trusted by the repository's pull requests, and
  granted nothing: a preview without `--refresh` computes its diff from the Pulumi state and
  the program, and the AWS calls it makes (sts:GetCallerIdentity, for the provider and the
  program's account id) need no permission ("No permissions are required to perform this
  operation", https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).

The OIDC provider is reused, never declared: IAM holds one provider per URL in an account, and
two stacks share an account (dev and prod here), so the stack that declared it would own what
every stack trusts, and its `destroy` would cut the others off (the same reason the crawlers'
shared log group is granted, not declared: `infra.pipeline.declared_log_groups`). docs/ci.md
creates it once per account, before the first `up` with `githubRepository`. This module never
reads configuration: `scope_of` takes the validated `Settings`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws

from infra import names
from infra import outputs as out
from infra.policies.github import (
    DeployScope,
    deploy_policy,
    deploy_subjects,
    github_trust_policy,
    oidc_provider_arn,
    preview_subjects,
)
from infra.settings import Settings


def scope_of(
    settings: Settings, *, account: str, declared_log_groups: list[str], alarms: tuple[str, ...]
) -> DeployScope:
    """The names `pulumi up` of this stack manages, as the deploy role's policy scopes them."""
    s = settings
    databases = [s.gold_database] + ([s.silver_database] if s.creates_silver else [])
    tables = [(s.gold_database, s.gold_table), (s.gold_database, f"{s.gold_table}_rejects")]
    if s.creates_silver:
        tables.append((s.silver_database, s.silver_table))
    crawls_after_job = s.registration_method == "crawler"
    triggers = [names.schedule_trigger_name(s.job_name)] if s.schedule else []
    if crawls_after_job:
        triggers += [names.crawler_trigger_name(s.crawler_name), names.on_demand_trigger_name(s.job_name)]
    return DeployScope(
        stack=s.stack,
        region=s.region,
        account=account,
        bucket_prefixes=(names.bucket_prefix(s.stack), names.access_log_bucket_prefix(s.stack))
        if s.creates_bucket
        else (),
        existing_bucket=s.lake_bucket,
        # The job's code under artifacts/ and nothing else: an existing bucket's prefixes are the user's.
        existing_bucket_keys=("artifacts/*",) if s.lake_bucket else (),
        job=s.job_name,
        crawler=s.crawler_name,
        triggers=tuple(triggers),
        databases=tuple(dict.fromkeys(databases)),
        tables=tuple(tables),
        log_groups=tuple(declared_log_groups),
        alarms=alarms,
        dashboard=names.dashboard_name(s.stack),
        rule=names.failure_rule_name(s.stack),
        topic=names.alerts_topic_name(s.stack),
        workgroup=names.workgroup_name(s.stack),
        glue_role=s.role_name,
        operator_policy=names.operator_policy_name(s.stack),
        deploy_role=names.deploy_role_name(s.stack),
        ci_roles=(names.deploy_role_name(s.stack), names.preview_role_name(s.stack)),
        key_alias=names.key_alias(s.stack) if s.creates_key else "",
    )


@dataclass(frozen=True)
class GitHubAccessArgs:
    """The repository, the stack's environment, its scope (without the account) and its operator policy."""

    repository: str
    environment: str
    deploy_role_name: str
    preview_role_name: str
    account_id: pulumi.Input[str]
    scope: DeployScope  # its `account` is replaced by `account_id` once known
    operator_policy_arn: pulumi.Input[str]


class GitHubAccess(pulumi.ComponentResource):
    """The deploy role (inline deploy policy, operator policy attached) and the preview role."""

    deploy_role: aws.iam.Role
    preview_role: aws.iam.Role

    def __init__(self, name: str, args: GitHubAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:GitHubAccess", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = pulumi.Output.from_input(args.account_id)

        def trust(subjects: list[str]) -> pulumi.Output[str]:
            return account.apply(lambda a: json.dumps(github_trust_policy(oidc_provider_arn(a), subjects)))

        # Deploys from main and from the stack's environment (where a team puts required reviewers).
        self.deploy_role = aws.iam.Role(
            f"{name}-deploy-role",
            aws.iam.RoleArgs(
                name=args.deploy_role_name,
                description=f"GitHub Actions of {args.repository}: deploy and operate stack {args.environment}",
                assume_role_policy=trust(deploy_subjects(args.repository, args.environment)),
                max_session_duration=3600,
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-deploy-role-policy",
            aws.iam.RolePolicyArgs(
                name=names.deploy_policy_name(args.environment),
                role=self.deploy_role.id,
                policy=account.apply(lambda a: json.dumps(deploy_policy(replace(args.scope, account=a)))),
            ),
            opts=child,
        )
        # The run steps (pipeline, doctor) need exactly what an operator does.
        aws.iam.RolePolicyAttachment(
            f"{name}-deploy-role-operator",
            aws.iam.RolePolicyAttachmentArgs(role=self.deploy_role.name, policy_arn=args.operator_policy_arn),
            opts=child,
        )
        # Previews of pull requests: trusted by them, granted nothing (see the module's docstring).
        self.preview_role = aws.iam.Role(
            f"{name}-preview-role",
            aws.iam.RoleArgs(
                name=args.preview_role_name,
                description=f"GitHub Actions of {args.repository}: preview stack {args.environment} on pull requests",
                assume_role_policy=trust(preview_subjects(args.repository)),
                max_session_duration=3600,
            ),
            opts=child,
        )
        self.register_outputs({"deployRoleArn": self.deploy_role.arn, "previewRoleArn": self.preview_role.arn})


def github_access(
    name: str,
    settings: Settings,
    operator_policy_arn: pulumi.Input[str],
    declared_log_groups: list[str],
    alarms: tuple[str, ...],
) -> GitHubAccess | None:
    """The stack's GitHubAccess when it sets `githubRepository`, else None (no resource at all)."""
    s = settings
    if not s.github_ci:
        return None
    scope = scope_of(s, account="", declared_log_groups=declared_log_groups, alarms=alarms)
    args = GitHubAccessArgs(
        repository=s.github_repository,
        environment=s.stack,
        deploy_role_name=names.deploy_role_name(s.stack),
        preview_role_name=names.preview_role_name(s.stack),
        account_id=aws.get_caller_identity_output().account_id,
        scope=scope,
        operator_policy_arn=operator_policy_arn,
    )
    return GitHubAccess(name, args)


def github_outputs(access: GitHubAccess | None) -> dict[str, pulumi.Input[str]]:
    """The `deployRoleArn` and `previewRoleArn` outputs: the roles' ARNs, or "" without `githubRepository`."""
    if access is None:
        return {out.DEPLOY_ROLE_ARN: "", out.PREVIEW_ROLE_ARN: ""}
    return {out.DEPLOY_ROLE_ARN: access.deploy_role.arn, out.PREVIEW_ROLE_ARN: access.preview_role.arn}
