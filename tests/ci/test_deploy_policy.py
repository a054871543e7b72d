"""What the deploy role may do: what `pulumi up` of its stack manages, on its stack's names, and
not its own role. Each action and resource is held to parliament's copy of the Service
Authorization Reference, the whole policy to parliament and to IAM's size quota, and the scope to
the evaluator of tests/iam_policy.py (conditions included, `tests/infra/policy_checks.py`)."""

from __future__ import annotations

import json

import parliament
import pytest

from tests.iam_policy import allows
from tests.infra.policy_checks import allows_in_context, glob_matches, listed, statements

ACCOUNT = "123456789012"
REGION = "us-east-1"
GLUE = f"arn:aws:glue:{REGION}:{ACCOUNT}"
# IAM's quota on a role's inline policies, whitespace not counted ("IAM and AWS STS quotas",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
INLINE_POLICY_QUOTA = 10_240


def deploy_policy(rendered) -> dict:
    (policy,) = [p for p in rendered.of_type("aws:iam/rolePolicy:RolePolicy") if p["role"].endswith("-deploy")]
    return json.loads(policy["policy"])


def definition(action: str) -> dict:
    """The action's entry in parliament's copy of the Service Authorization Reference."""
    prefix, name = action.split(":")
    found = [
        privilege
        for service in parliament.iam_definition
        if service["prefix"] == prefix
        for privilege in service["privileges"]
        if privilege["privilege"].lower() == name.lower()
    ]
    assert found, f"{action} is not an IAM action"
    return found[0]


def arn_patterns(action: str) -> list[str]:
    """The ARN formats of the resource types `action` is authorized on, as globs (`${X}` -> `*`)."""
    prefix = action.split(":")[0]
    types = {t["resource_type"].rstrip("*") for t in definition(action)["resource_types"]} - {""}
    patterns = []
    for service in parliament.iam_definition:
        if service["prefix"] != prefix:
            continue
        for resource in service["resources"]:
            if resource["resource"] in types:
                arn = resource["arn"]
                while "${" in arn:
                    start = arn.index("${")
                    arn = arn[:start] + "*" + arn[arn.index("}", start) + 1 :]
                patterns.append(arn)
    return patterns


@pytest.fixture(scope="module", params=["dev", "prod"])
def policy(request, with_github) -> dict:
    return deploy_policy(with_github(request.param))


def test_every_action_is_authorized_on_the_resources_it_names(policy):
    """Each resource of each statement is of a type its actions are authorized on; "*" only for an
    action with no resource type (Service Authorization Reference, via parliament)."""
    for statement in statements(policy):
        for action in listed(statement["Action"]):
            patterns = arn_patterns(action)
            for resource in listed(statement["Resource"]):
                if resource == "*":
                    has_type = [t for t in definition(action)["resource_types"] if t["resource_type"]]
                    conditioned = "Condition" in statement
                    assert not has_type or conditioned, f"{statement['Sid']}: {action} on * but it has resource types"
                    continue
                concrete = resource.replace("?", "x")
                assert any(glob_matches(p, concrete) for p in patterns), (statement["Sid"], action, resource, patterns)


# Parliament's findings that are parliament's, not the policy's. (1) It wants, in a statement granting
# an action, a resource of every resource type the Service Authorization Reference marks required
# for it; athena:ListTagsForResource lists the tags of one capacity reservation, data catalog or
# workgroup, and the stack has only a workgroup. (2) It checks a condition key against the action's
# own keys only, where the reference lists kms:ResourceAliases among the `key` resource type's
# condition keys (parliament's own copy says so: `resources`, kms `key`).
NOT_THE_POLICYS = {
    *(
        ("UNKNOWN_CONDITION_FOR_ACTION", json.dumps(f"Unknown condition kms:ResourceAliases for action {action}"))
        for action in ("kms:PutKeyPolicy", "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion")
    ),
    (
        "RESOURCE_MISMATCH",
        json.dumps(
            [
                {"action": "athena:ListTagsForResource", "required_format": "arn:*:athena:*:*:capacity-reservation/*"},
                {"action": "athena:ListTagsForResource", "required_format": "arn:*:athena:*:*:datacatalog/*"},
            ]
        ),
    ),
}


def parliament_findings(policy: dict) -> list[tuple[str, str]]:
    findings = parliament.analyze_policy_string(json.dumps(policy)).findings
    found = [(f.issue, json.dumps(f.detail)) for f in findings]
    return [finding for finding in found if finding not in NOT_THE_POLICYS]


def test_the_deploy_policy_passes_parliament(policy):
    assert parliament_findings(policy) == []


def test_parliament_still_judges_the_deploy_policy():
    """The exception above is one finding, not a blind spot: a bucket action on a job is still found."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:CreateBucket", "Resource": f"{GLUE}:job/x"}],
    }
    assert [issue for issue, _ in parliament_findings(policy)] == ["RESOURCE_MISMATCH"]


def test_the_deploy_policy_fits_iams_inline_policy_quota(policy):
    assert len("".join(json.dumps(policy).split())) < INLINE_POLICY_QUOTA


def test_the_deploy_role_manages_its_stacks_resources(with_github):
    policy = deploy_policy(with_github("prod"))
    bucket = "silver-to-gold-prod-20261124abcdef0123456789ab"  # the prefix and a 26-character suffix
    assert allows(policy, "s3:CreateBucket", f"arn:aws:s3:::{bucket}")
    assert allows(policy, "s3:PutObject", f"arn:aws:s3:::{bucket}/artifacts/etl/job.py")
    assert allows(policy, "glue:UpdateJob", f"{GLUE}:job/job-transform-silver-to-gold-prod")
    assert allows(policy, "glue:CreateTable", f"{GLUE}:table/gold_data_prod/sample_data_aggregated_rejects")
    assert allows(policy, "glue:UpdateTrigger", f"{GLUE}:trigger/job-transform-silver-to-gold-prod-schedule")
    assert allows(policy, "iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/silver-to-gold-prod-glue")
    assert allows(
        policy,
        "logs:PutRetentionPolicy",
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws-glue/crawlers-role/silver-to-gold-prod-glue-silver-to-gold-prod-442134bc",
    )
    assert allows(
        policy,
        "cloudwatch:PutMetricAlarm",
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:silver-to-gold-prod-freshness",
    )
    assert allows(policy, "athena:UpdateWorkGroup", f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/silver-to-gold-prod")


def test_the_deploy_role_cannot_touch_another_stacks_resources(with_github):
    policy = deploy_policy(with_github("dev"))
    # prod's, and a stack named dev-x whose names start like dev's.
    for action, resource in [
        ("s3:DeleteBucket", "arn:aws:s3:::silver-to-gold-prod-20261124abcdef0123456789ab"),
        ("s3:DeleteBucket", "arn:aws:s3:::silver-to-gold-dev-x-20261124abcdef0123456789ab"),
        ("s3:PutObject", "arn:aws:s3:::silver-to-gold-dev-x-20261124abcdef0123456789ab/artifacts/job.py"),
        ("glue:DeleteJob", f"{GLUE}:job/job-transform-silver-to-gold-prod"),
        ("glue:DeleteTable", f"{GLUE}:table/gold_data_prod/sample_data_aggregated"),
        ("glue:DeleteDatabase", f"{GLUE}:database/silver_data"),  # the shared silver a stack only reads
        ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/silver-to-gold-prod-glue"),
        ("logs:DeleteLogGroup", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws-glue/crawlers"),  # shared
        ("sns:DeleteTopic", f"arn:aws:sns:{REGION}:{ACCOUNT}:silver-to-gold-prod-alerts"),
        ("athena:DeleteWorkGroup", f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/primary"),
    ]:
        assert not allows(policy, action, resource), (action, resource)


def test_the_deploy_role_cannot_rewrite_the_ci_roles(with_github):
    """A role that could write its own policy could grant itself anything: the CI roles are read only."""
    policy = deploy_policy(with_github("prod"))
    for role in ("silver-to-gold-prod-deploy", "silver-to-gold-prod-preview"):
        arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
        assert allows(policy, "iam:GetRole", arn)
        for action in ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole"):
            assert not allows(policy, action, arn), (action, role)


def test_doctor_in_ci_may_simulate_the_deploy_role_and_nothing_else(with_github):
    """`doctor` simulates its caller; in CI that is the deploy role, whose attached operator policy
    grants the simulation of the Glue role only."""
    policy = deploy_policy(with_github("dev"))
    assert allows(policy, "iam:SimulatePrincipalPolicy", f"arn:aws:iam::{ACCOUNT}:role/silver-to-gold-dev-deploy")
    assert not allows(policy, "iam:SimulatePrincipalPolicy", f"arn:aws:iam::{ACCOUNT}:role/admin")


def test_the_glue_role_is_passed_to_glue_only(with_github):
    policy = deploy_policy(with_github("dev"))
    role = f"arn:aws:iam::{ACCOUNT}:role/silver-to-gold-dev-glue"
    assert allows_in_context(policy, "iam:PassRole", role, [("iam:PassedToService", "glue.amazonaws.com")])
    assert not allows_in_context(policy, "iam:PassRole", role, [("iam:PassedToService", "ec2.amazonaws.com")])
    assert not allows(policy, "iam:PassRole", role)


def test_what_could_harm_a_key_reaches_only_the_key_of_the_stacks_alias(with_github):
    policy = deploy_policy(with_github("prod"))
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7"
    ours = [("kms:ResourceAliases", ["alias/silver-to-gold-prod", "alias/other"])]
    theirs = [("kms:ResourceAliases", ["alias/silver-to-gold-dev"])]
    for action in ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:UpdateKeyDescription"):
        assert allows_in_context(policy, action, key, ours), action
        assert not allows_in_context(policy, action, key, theirs), action
        assert not allows_in_context(policy, action, key, [("kms:ResourceAliases", [])]), action
    # Read back and rotated before the alias exists.
    assert allows(policy, "kms:DescribeKey", key) and allows(policy, "kms:EnableKeyRotation", key)
    assert not allows(policy, "kms:DisableKeyRotation", key) and not allows(policy, "kms:Decrypt", key)
    assert allows(policy, "kms:CreateAlias", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/silver-to-gold-prod")
    assert not allows(policy, "kms:DeleteAlias", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/silver-to-gold-dev")
    # dev creates no key: no key grant at all.
    dev = deploy_policy(with_github("dev"))
    assert not any(a.startswith("kms:") for s in statements(dev) for a in listed(s["Action"]))


def test_a_stack_on_an_existing_bucket_writes_only_its_code_there(with_github, render_github_config):
    rendered = render_github_config("dev", {"lakeBucket": "team-lake", "silverCatalog": "reference"})
    policy = deploy_policy(rendered)
    assert allows(policy, "s3:PutObject", "arn:aws:s3:::team-lake/artifacts/etl/job.py")
    assert not allows(policy, "s3:PutObject", "arn:aws:s3:::team-lake/silver/ano=2024/mes=1/part-0.parquet")
    assert not allows(policy, "s3:DeleteBucket", "arn:aws:s3:::team-lake")
    assert not allows(policy, "s3:PutBucketPolicy", "arn:aws:s3:::team-lake")


def test_the_largest_deploy_policy_fits_iams_quota(render_github_config):
    """Every optional part on (key, schedule, crawler registration and its triggers, a created
    silver table, alerts by email) and a long stack name: the policy grows with the names."""
    config = {
        "kms": "create",
        "schedule": "cron(0 4 * * ? *)",
        "registrationMethod": "crawler",
        "silverCatalog": "create",
        "alertEmail": "team@example.com",
    }
    policy = deploy_policy(render_github_config("production-eu", config))
    assert len("".join(json.dumps(policy).split())) < INLINE_POLICY_QUOTA
