"""GitHub Actions' access to a stack: the roles' trust in the account's GitHub OIDC provider, and
what the deploy role may do (what `pulumi up` of this stack manages, on this stack's names).

Trust. A workflow job asks GitHub for an OIDC token and trades it for the role's credentials
(sts:AssumeRoleWithWebIdentity). The token's `sub` says which workflow asks:
`repo:OWNER/NAME:ref:refs/heads/BRANCH` for a job on a branch, `repo:OWNER/NAME:environment:ENV`
for a job in a GitHub environment, `repo:OWNER/NAME:pull_request` for a pull request's
("OpenID Connect reference", Example subject claims,
https://docs.github.com/en/actions/reference/security/oidc); its `aud` is `sts.amazonaws.com`
with aws-actions/configure-aws-credentials. IAM recommends conditioning every role that trusts
GitHub's provider on `token.actions.githubusercontent.com:sub`, and `StringEquals` (no wildcard)
holds the role to the listed subjects exactly ("Configuring a role for GitHub OIDC identity
provider", IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub).

Permissions. Only what the Pulumi AWS provider calls for the resources as the stack declares them:
the stack sets no tags, so the provider reads tags (Get/List) but never writes them.
IAM actions and the resource types each is authorized on are the Service
Authorization Reference's (https://docs.aws.amazon.com/service-authorization/latest/reference/);
`tests/ci/test_deploy_policy.py` holds every action and resource here to parliament's copy of it.
Where an action has no resource type, its only resource is "*": glue:CreateCrawler and glue's
security-configuration actions, kms:CreateKey and kms:ListAliases, logs:DescribeLogGroups, sns:Unsubscribe and
Get/SetSubscriptionAttributes (a subscription has no ARN of its own there). KMS key ids are
random: what could harm a key is granted on the key the stack's alias names, the reads on every key
of the account and region. Pure; no Pulumi.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from infra.policies.statements import Statement, allow, bucket_arn, document, log_group_arns

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# The audience aws-actions/configure-aws-credentials asks GitHub for (its README, OIDC quick start).
AUDIENCE = "sts.amazonaws.com"
MAIN_BRANCH = "main"
# The Terraform AWS provider (which pulumi-aws bridges) names a bucket from `bucket_prefix` with a
# 26-character unique suffix (terraform-plugin-sdk helper/id, `UniqueIDSuffixLength`): 26 `?`
# match exactly that, so `silver-to-gold-dev-` does not also match stack `dev-x`'s buckets.
UNIQUE_SUFFIX = "?" * 26


def oidc_provider_arn(account: str) -> str:
    """The account's GitHub OIDC provider: IAM names a provider by its URL, one per URL per account."""
    return f"arn:aws:iam::{account}:oidc-provider/{GITHUB_OIDC_HOST}"


def deploy_subjects(repository: str, environment: str) -> list[str]:
    """Who may deploy: a job on the main branch, or one in the stack's GitHub environment."""
    return [f"repo:{repository}:ref:refs/heads/{MAIN_BRANCH}", f"repo:{repository}:environment:{environment}"]


def preview_subjects(repository: str) -> list[str]:
    """Who may preview: the repository's pull-request jobs (a fork's get no token: see docs/ci.md)."""
    return [f"repo:{repository}:pull_request"]


def github_trust_policy(provider_arn: str, subjects: Sequence[str]) -> dict[str, Any]:
    """The role's trust policy: GitHub's tokens for exactly `subjects`, with the STS audience."""
    condition = {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": AUDIENCE, f"{GITHUB_OIDC_HOST}:sub": list(subjects)}}
    return document(
        allow(
            "GitHubActionsOfTheRepository",
            "sts:AssumeRoleWithWebIdentity",
            None,
            condition,
            principal={"Federated": provider_arn},
        )
    )


@dataclass(frozen=True)
class DeployScope:
    """The names of what `pulumi up` of one stack manages (`infra.github.deploy_scope` builds it)."""

    stack: str
    region: str
    account: str
    bucket_prefixes: tuple[str, ...]  # the buckets the stack creates ((): it uses an existing one)
    existing_bucket: str  # the lake bucket the stack only writes objects to ("" when it creates it)
    existing_bucket_keys: tuple[str, ...]  # object keys or patterns the stack writes there
    job: str
    crawler: str
    triggers: tuple[str, ...]
    databases: tuple[str, ...]  # the catalog databases the stack creates
    tables: tuple[tuple[str, str], ...]  # (database, table) the stack creates
    log_groups: tuple[str, ...]  # the log groups the stack declares
    alarms: tuple[str, ...]
    dashboard: str
    rule: str
    topic: str
    workgroup: str
    glue_role: str
    operator_policy: str
    deploy_role: str  # the role this policy belongs to
    ci_roles: tuple[str, ...]  # the deploy and preview roles themselves: read, never written
    key_alias: str  # "" when the stack creates no KMS key


BUCKET_ACTIONS = (
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:GetBucketLocation",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketWebsite",
    "s3:GetBucketVersioning",
    "s3:PutBucketVersioning",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketLogging",
    "s3:PutBucketLogging",
    "s3:GetLifecycleConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:PutEncryptionConfiguration",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketTagging",
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:GetBucketPublicAccessBlock",
    "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketOwnershipControls",
)
OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:GetObjectTagging",
)
GLUE_RESOURCE_ACTIONS = {
    "job": ("glue:CreateJob", "glue:UpdateJob", "glue:GetJob", "glue:DeleteJob"),
    "crawler": ("glue:UpdateCrawler", "glue:GetCrawler", "glue:DeleteCrawler"),
    "trigger": (
        "glue:CreateTrigger",
        "glue:UpdateTrigger",
        "glue:GetTrigger",
        "glue:DeleteTrigger",
        "glue:StartTrigger",
        "glue:StopTrigger",
    ),
}
GLUE_TAG_ACTIONS = ("glue:GetTags",)
DATABASE_ACTIONS = ("glue:CreateDatabase", "glue:GetDatabase", "glue:UpdateDatabase")
TABLE_ACTIONS = ("glue:CreateTable", "glue:GetTable", "glue:UpdateTable", "glue:DeleteTable")
SECURITY_CONFIGURATION_ACTIONS = (
    "glue:CreateSecurityConfiguration",
    "glue:GetSecurityConfiguration",
    "glue:DeleteSecurityConfiguration",
)
ROLE_ACTIONS = (
    "iam:CreateRole",
    "iam:GetRole",
    "iam:UpdateRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:DeleteRole",
    "iam:PutRolePolicy",
    "iam:GetRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
)
POLICY_ACTIONS = (
    "iam:CreatePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:ListPolicyVersions",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicyVersion",
    "iam:DeletePolicy",
    "iam:ListEntitiesForPolicy",
)
# The CI roles are read by `up` (and refresh), never written: a role that could rewrite its own
# policy could grant itself anything, so changing them stays an administrator's `up` (docs/ci.md).
CI_ROLE_READ_ACTIONS = ("iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies")
LOG_GROUP_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:PutRetentionPolicy",
    "logs:DeleteRetentionPolicy",
    "logs:AssociateKmsKey",
    "logs:DisassociateKmsKey",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
)
METRIC_FILTER_ACTIONS = ("logs:PutMetricFilter", "logs:DeleteMetricFilter", "logs:DescribeMetricFilters")
ALARM_ACTIONS = (
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:DeleteAlarms",
    "cloudwatch:ListTagsForResource",
)
DASHBOARD_ACTIONS = ("cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards")
RULE_ACTIONS = (
    "events:PutRule",
    "events:DescribeRule",
    "events:DeleteRule",
    "events:PutTargets",
    "events:RemoveTargets",
    "events:ListTargetsByRule",
    "events:ListTagsForResource",
)
TOPIC_ACTIONS = (
    "sns:CreateTopic",
    "sns:DeleteTopic",
    "sns:GetTopicAttributes",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
    "sns:ListSubscriptionsByTopic",
    "sns:ListTagsForResource",
)
SUBSCRIPTION_ACTIONS = ("sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes")
WORKGROUP_ACTIONS = (
    "athena:CreateWorkGroup",
    "athena:GetWorkGroup",
    "athena:UpdateWorkGroup",
    "athena:DeleteWorkGroup",
    "athena:CreateNamedQuery",
    "athena:GetNamedQuery",
    "athena:DeleteNamedQuery",
    "athena:ListTagsForResource",  # the provider reads a workgroup's tags; the stack sets none
)
# Read back and rotated by the provider right after CreateKey, before the key has its alias.
KEY_READ_ACTIONS = (
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "kms:EnableKeyRotation",
)
# What could harm a key: only on the key the stack's alias names.
KEY_WRITE_ACTIONS = ("kms:PutKeyPolicy", "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion")
ALIAS_ACTIONS = ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias")


def deploy_policy(scope: DeployScope) -> dict[str, Any]:
    """What `pulumi up` of the stack calls, on the stack's own names (the run steps' grants are
    the operator policy, attached beside this one)."""
    s = scope
    glue = f"arn:aws:glue:{s.region}:{s.account}"
    statements: list[Statement] = []
    if s.bucket_prefixes:
        buckets = [bucket_arn(prefix + UNIQUE_SUFFIX) for prefix in s.bucket_prefixes]
        statements.append(allow("TheStacksBuckets", BUCKET_ACTIONS, buckets))
        statements.append(allow("TheStacksBucketObjects", OBJECT_ACTIONS, [f"{arn}/*" for arn in buckets]))
    if s.existing_bucket:
        existing = bucket_arn(s.existing_bucket)
        statements.append(allow("TheLakeBucketsListing", ["s3:ListBucket", "s3:ListBucketVersions"], [existing]))
        statements.append(
            allow(
                "TheStacksObjectsInTheLakeBucket", OBJECT_ACTIONS, [f"{existing}/{k}" for k in s.existing_bucket_keys]
            )
        )
    statements += [
        allow("TheJob", [*GLUE_RESOURCE_ACTIONS["job"], *GLUE_TAG_ACTIONS], [f"{glue}:job/{s.job}"]),
        allow("TheCrawler", [*GLUE_RESOURCE_ACTIONS["crawler"], *GLUE_TAG_ACTIONS], [f"{glue}:crawler/{s.crawler}"]),
    ]
    if s.triggers:
        statements.append(
            allow(
                "TheTriggers",
                [*GLUE_RESOURCE_ACTIONS["trigger"], *GLUE_TAG_ACTIONS],
                [f"{glue}:trigger/{name}" for name in s.triggers],
            )
        )
    # A database or table call is authorized on the catalog, the database and the table; deleting a
    # database deletes its tables and functions too.
    catalog = f"{glue}:catalog"
    databases = [f"{glue}:database/{name}" for name in s.databases]
    table_databases = [f"{glue}:database/{name}" for name in dict.fromkeys(d for d, _ in s.tables)]
    tables = [f"{glue}:table/{database}/{table}" for database, table in s.tables]
    statements += [
        allow("TheCatalogDatabases", DATABASE_ACTIONS, [catalog, *databases]),
        allow(
            "DeleteTheDatabasesAndTheirTables",
            "glue:DeleteDatabase",
            [
                catalog,
                *databases,
                *(f"{glue}:table/{name}/*" for name in s.databases),
                *(f"{glue}:userDefinedFunction/{name}/*" for name in s.databases),
            ],
        ),
        allow("TheCatalogTables", TABLE_ACTIONS, [catalog, *table_databases, *tables]),
        allow("CreateCrawlerHasNoResourceType", "glue:CreateCrawler", "*"),
        allow("GlueSecurityConfigurationsHaveNoResourceType", SECURITY_CONFIGURATION_ACTIONS, "*"),
        allow("TheGlueRole", ROLE_ACTIONS, [f"arn:aws:iam::{s.account}:role/{s.glue_role}"]),
        allow(
            "PassTheGlueRoleToGlueOnly",
            "iam:PassRole",
            [f"arn:aws:iam::{s.account}:role/{s.glue_role}"],
            {"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}},
        ),
        allow("TheOperatorPolicy", POLICY_ACTIONS, [f"arn:aws:iam::{s.account}:policy/{s.operator_policy}"]),
        allow("ReadTheCiRoles", CI_ROLE_READ_ACTIONS, [f"arn:aws:iam::{s.account}:role/{r}" for r in s.ci_roles]),
        # `doctor` simulates its caller over what the verbs call (the operator policy, attached): in
        # CI the caller is this role, and simulating a principal needs the action on it.
        allow(
            "DoctorSimulatesThisRole", "iam:SimulatePrincipalPolicy", f"arn:aws:iam::{s.account}:role/{s.deploy_role}"
        ),
        # The run metrics' filters are on the job's output group, one of the declared groups.
        allow(
            "TheLogGroupsAndMetricFilters",
            [*LOG_GROUP_ACTIONS, *METRIC_FILTER_ACTIONS],
            log_group_arns(s.region, s.account, s.log_groups),
        ),
        allow("DescribeLogGroupsHasNoResourceType", "logs:DescribeLogGroups", "*"),
        allow(
            "TheAlarms", ALARM_ACTIONS, [f"arn:aws:cloudwatch:{s.region}:{s.account}:alarm:{name}" for name in s.alarms]
        ),
        allow("TheDashboard", DASHBOARD_ACTIONS, [f"arn:aws:cloudwatch::{s.account}:dashboard/{s.dashboard}"]),
        allow("TheFailureRule", RULE_ACTIONS, [f"arn:aws:events:{s.region}:{s.account}:rule/{s.rule}"]),
        allow("TheAlertsTopic", TOPIC_ACTIONS, [f"arn:aws:sns:{s.region}:{s.account}:{s.topic}"]),
        allow("SubscriptionsHaveNoResourceType", SUBSCRIPTION_ACTIONS, "*"),
        allow("TheWorkgroup", WORKGROUP_ACTIONS, [f"arn:aws:athena:{s.region}:{s.account}:workgroup/{s.workgroup}"]),
    ]
    if s.key_alias:
        keys = f"arn:aws:kms:{s.region}:{s.account}:key/*"
        statements += [
            allow("CreateKeyHasNoResourceType", "kms:CreateKey", "*"),
            # Key ids are random and the new key has no alias yet when the provider reads it back:
            # reads (and enabling rotation, which weakens no key) on the account's keys.
            allow("ReadAndRotateKeys", KEY_READ_ACTIONS, keys),
            # The rest only on the key the stack's alias points to ("kms:ResourceAliases",
            # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-resource-aliases).
            allow(
                "TheKeyOfTheStacksAlias",
                KEY_WRITE_ACTIONS,
                keys,
                {"ForAnyValue:StringEquals": {"kms:ResourceAliases": s.key_alias}},
            ),
            # An alias call is authorized on the alias and on its key; pointing the stack's alias at a
            # key harms no key.
            allow("TheStacksKeyAlias", ALIAS_ACTIONS, [f"arn:aws:kms:{s.region}:{s.account}:{s.key_alias}", keys]),
            allow("ListAliasesHasNoResourceType", "kms:ListAliases", "*"),
        ]
    return document(*statements)
