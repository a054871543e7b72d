"""The policies of the rendered stacks, judged by properties rather than copies:

- every need the code declares (`automation/aws/needs.py`: what the job does; what each
  operations verb touches, directly and through Athena, from `infra/policies/verbs.py`) is
  granted;
- `*` is a resource only for actions that have no resource type;
- no statement is broader than its need: each action and each resource of a statement is
  used by a declared need, or by one of the further needs written out below (the crawler,
  Glue creating its groups, log groups the outputs do not name), each with the reason it exists.

The stacks' names and ARNs are written out here, not derived from infra.
"""

from __future__ import annotations

import json

import pytest

from automation.aws.needs import Need, job_role_needs, operator_needs, run_log_groups
from automation.outputs import StackOutputs
from tests.infra.policy_checks import allow_statements, allows_in_context, glob_matches, listed, resource_types

ACCOUNT = "123456789012"
GLUE = f"arn:aws:glue:us-east-1:{ACCOUNT}"
LOGS = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group"
DEV_BUCKET = "arn:aws:s3:::silver-to-gold-dev-20261124abcdef"
PROD_BUCKET = "arn:aws:s3:::silver-to-gold-prod-20261124abcdef"
PROD_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/37c8ed97-3281-5fd7-8ed1-0f086093a463"
PROD_JOB_GROUP = "/aws-glue/jobs/job-transform-silver-to-gold-prod"
PROD_CRAWLER_GROUP = "/aws-glue/crawlers-role/silver-to-gold-prod-glue-silver-to-gold-prod-442134bc"
# AWS's documented form of an encrypted job's groups (JobRun.LogGroupName), which Glue creates.
PROD_DOCUMENTED_GROUP = "/aws-glue/jobs-silver-to-gold-prod-glue-silver-to-gold-prod-442134bc/output"
STREAM = "log-stream:jr_1-driver"


def _needs(purpose: str, actions: list[str], resources: list[str]) -> list[Need]:
    return [Need(purpose, action, resource) for action in actions for resource in resources]


def _job_role_extra(bucket: str, gold_database: str, job_groups: list[str], crawler_groups: list[str]) -> list[Need]:
    rejects = f"{GLUE}:table/{gold_database}/sample_data_aggregated_rejects"
    return [
        *_needs("the crawler reads gold and the bucket's region", ["s3:GetBucketLocation"], [bucket]),
        *_needs(
            "Glue creates a group it writes to if missing",
            ["logs:CreateLogGroup"],
            [f"{LOGS}:{group}" for group in job_groups + crawler_groups],
        ),
        *_needs(
            "the crawler writes its stream",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [f"{LOGS}:{group}:log-stream:crawler" for group in crawler_groups],
        ),
        *_needs("maintain the rejects table's partitions", ["glue:BatchCreatePartition", "glue:GetTable"], [rejects]),
    ]


def _operator_extra(groups: list[str]) -> list[Need]:
    """The log groups the operator may read that the stack's outputs do not name (the crawler's
    encrypted group, AWS's documented encrypted job groups): `logs` reads whichever exists."""
    return [
        *_needs("logs reads a run's stream", ["logs:GetLogEvents"], [f"{LOGS}:{group}:{STREAM}" for group in groups]),
        *_needs(
            "logs reads the groups",
            ["logs:FilterLogEvents", "logs:DescribeLogStreams"],
            [f"{LOGS}:{group}" for group in groups],
        ),
    ]


EXTRA = {
    "dev": {
        "role": _job_role_extra(
            DEV_BUCKET,
            "gold_data",
            [f"/aws-glue/jobs/job-transform-silver-to-gold/{name}" for name in ("output", "error")],
            ["/aws-glue/crawlers"],
        ),
        "operator": _operator_extra(["/aws-glue/crawlers"]),
    },
    "prod": {
        "role": _job_role_extra(
            PROD_BUCKET,
            "gold_data_prod",
            [f"{PROD_JOB_GROUP}/{name}" for name in ("output", "error")],
            [PROD_CRAWLER_GROUP, "/aws-glue/crawlers"],
        )
        + _needs(
            "Glue writes the documented encrypted groups",
            ["logs:PutLogEvents"],
            [f"{LOGS}:{PROD_DOCUMENTED_GROUP}:{STREAM}"],
        )
        + _needs("CSE-KMS bookmarks and describing the key", ["kms:Encrypt", "kms:DescribeKey"], [PROD_KEY])
        # Both forms of a group's ARN: without and with the trailing `:*` that IAM policies use
        # "for most API actions" (LogGroup.arn in botocore's CloudWatch Logs model).
        + _needs(
            "Glue associates the key with its encrypted groups",
            ["logs:AssociateKmsKey"],
            [
                f"{LOGS}:{group}{form}"
                for group in (f"{PROD_JOB_GROUP}/output", f"{PROD_JOB_GROUP}/error", PROD_CRAWLER_GROUP)
                for form in ("", ":*")
            ]
            + [f"{LOGS}:{PROD_DOCUMENTED_GROUP}"],
        ),
        "operator": _operator_extra(["/aws-glue/crawlers", PROD_DOCUMENTED_GROUP]),
    },
}


def _name(stack, dev) -> str:
    return "dev" if stack is dev else "prod"


def documents(stack) -> dict[str, dict]:
    return {
        "role": json.loads(stack.one("aws:iam/rolePolicy:RolePolicy")["policy"]),
        "operator": json.loads(stack.one("aws:iam/policy:Policy")["policy"]),
    }


def declared_needs(stack) -> dict[str, list[Need]]:
    outputs = StackOutputs.from_values(stack.outputs, "synth")
    groups, source = run_log_groups(None, outputs)
    return {"role": job_role_needs(outputs, groups, source), "operator": operator_needs(outputs)}


@pytest.mark.parametrize("principal", ["role", "operator"])
def test_every_declared_need_is_granted(stack, principal):
    document, needs = documents(stack)[principal], declared_needs(stack)[principal]
    refused = [
        f"{n.action} on {n.resource}" for n in needs if not allows_in_context(document, n.action, n.resource, n.context)
    ]
    assert needs and refused == []


@pytest.mark.parametrize("principal", ["role", "operator"])
def test_the_further_needs_are_granted_too(stack, dev, principal):
    """The needs written out here are real: each is allowed (else it would justify nothing)."""
    document = documents(stack)[principal]
    extra = EXTRA[_name(stack, dev)][principal]
    assert [f"{n.action} on {n.resource}" for n in extra if not allows_in_context(document, n.action, n.resource)] == []


@pytest.mark.parametrize("principal", ["role", "operator"])
def test_star_only_for_actions_without_a_resource_type(stack, principal):
    on_star = [s for s in allow_statements(documents(stack)[principal]) if "*" in listed(s["Resource"])]
    assert on_star, "each policy has one action without a resource type (PutMetricData, DescribeLogGroups)"
    for statement in on_star:
        assert listed(statement["Resource"]) == ["*"], statement["Sid"]
        assert all(resource_types(action) == [""] for action in listed(statement["Action"])), statement["Sid"]


# Resources of another stack or of nobody: no grant of the role or the operator may reach them.
FOREIGN = [
    "arn:aws:s3:::silver-to-gold-qa-20261124abcdef",
    "arn:aws:s3:::silver-to-gold-qa-20261124abcdef/gold/sample_data_aggregated/f.parquet",
    "arn:aws:s3:::silver-to-gold-dev-20261124abcdef-copy/gold/f",
    f"{GLUE}:database/gold_data_qa",
    f"{GLUE}:table/gold_data_qa/sample_data_aggregated",
    f"{GLUE}:table/silver_data/another_table",
    f"{GLUE}:job/job-transform-silver-to-gold-qa",
    f"{GLUE}:crawler/crawler-gold-data-qa",
    f"arn:aws:athena:us-east-1:{ACCOUNT}:workgroup/primary",
    f"{LOGS}:/aws-glue/jobs/job-transform-silver-to-gold-qa/output:{STREAM}",
    f"{LOGS}:/aws-lambda/other:{STREAM}",
    f"arn:aws:kms:us-east-1:{ACCOUNT}:key/another-key",
    f"arn:aws:sns:us-east-1:{ACCOUNT}:silver-to-gold-qa-alerts",
    f"arn:aws:iam::{ACCOUNT}:role/silver-to-gold-qa-glue",
    f"arn:aws:glue:eu-west-1:{ACCOUNT}:catalog",
]


@pytest.mark.parametrize("principal", ["role", "operator"])
def test_no_grant_reaches_another_stacks_resources(stack, principal):
    reached = [
        f"{statement['Sid']}: {pattern} covers {arn}"
        for statement in allow_statements(documents(stack)[principal])
        for pattern in listed(statement["Resource"])
        if pattern != "*"  # the actions without a resource type, held by the test above
        for arn in FOREIGN
        if glob_matches(pattern, arn)
    ]
    assert reached == []


def unused_grants(document: dict, needs: list[Need]) -> list[str]:
    """Each action and each resource of an Allow statement that no need uses ("Sid: what")."""
    unused = []
    for statement in allow_statements(document):
        actions, resources = listed(statement["Action"]), listed(statement["Resource"])
        used = {(n.action, r) for n in needs for r in resources if n.action in actions and glob_matches(r, n.resource)}
        unused += [f"{statement['Sid']}: {a}" for a in actions if a not in {action for action, _ in used}]
        unused += [f"{statement['Sid']}: {r}" for r in resources if r not in {resource for _, resource in used}]
    return unused


@pytest.mark.parametrize("principal", ["role", "operator"])
def test_no_statement_is_broader_than_its_needs(stack, dev, principal):
    needs = declared_needs(stack)[principal] + EXTRA[_name(stack, dev)][principal]
    assert unused_grants(documents(stack)[principal], needs) == []


def test_a_stray_action_or_resource_is_an_unused_grant():
    needs = [Need("read", "s3:GetObject", f"{DEV_BUCKET}/silver/f")]
    statement = {"Sid": "S", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"{DEV_BUCKET}/silver/*"]}
    assert unused_grants({"Statement": [statement]}, needs) == []
    stray = {**statement, "Action": ["s3:GetObject", "s3:PutObject"], "Resource": [f"{DEV_BUCKET}/silver/*", "*"]}
    assert unused_grants({"Statement": [stray]}, needs) == ["S: s3:PutObject"]
    wider = {**statement, "Resource": [f"{DEV_BUCKET}/silver/*", f"{DEV_BUCKET}/gold/*"]}
    assert unused_grants({"Statement": [wider]}, needs) == [f"S: {DEV_BUCKET}/gold/*"]
