"""The operator policy (rendered for dev and prod) against the one declaration of what each verb
touches (`infra.policies.verbs`, which `doctor` asks the simulator about through
`automation.aws.needs.operator_needs`): every need granted, and the reads the issue found
missing written out here -- `rejects` reading the rejects table through Athena, `load-silver`
forgetting a sample's marker, `doctor` reading and simulating the policy itself. The policy
allows nothing on another stack's role or policy."""

from __future__ import annotations

import json

import pytest

from automation.aws.needs import operator_needs
from automation.outputs import StackOutputs
from infra.policies.verbs import VERBS, BroaderThanDeclared, StackResources, Table, merge_statements, verb_access
from tests.iam_policy import allows

ACCOUNT = "123456789012"
GLUE = f"arn:aws:glue:us-east-1:{ACCOUNT}"


def operator_document(stack) -> dict:
    return json.loads(stack.one("aws:iam/policy:Policy")["policy"])


def needs_of(stack) -> list:
    return operator_needs(StackOutputs.from_values(stack.outputs, "synth"))


def test_the_operator_policy_allows_every_need_of_every_verb(stack):
    document = operator_document(stack)
    needs = needs_of(stack)
    refused = [f"{n.purpose}: {n.action} on {n.resource}" for n in needs if not allows(document, n.action, n.resource)]
    assert refused == []
    assert {n.purpose for n in needs} == {*VERBS, "pipeline"}


def test_rejects_may_read_the_rejects_table_and_load_silver_may_forget_the_sample(dev):
    document = operator_document(dev)
    bucket = f"arn:aws:s3:::{dev.outputs['lakeBucket']}"
    rejects = f"{GLUE}:table/gold_data/sample_data_aggregated_rejects"
    for action in ("glue:GetTable", "glue:GetPartitions", "glue:GetDatabase"):
        assert allows(document, action, rejects), action
    assert allows(document, "s3:GetObject", f"{bucket}/quarantine/sample_data_aggregated/run_id=jr_1/part-0.parquet")
    assert allows(document, "s3:DeleteObject", f"{bucket}/silver/sample_data_partitioned/_sample.json")
    assert not allows(document, "s3:DeleteObject", f"{bucket}/silver/sample_data_partitioned/ano=2024/mes=1/p.parquet")
    assert not allows(document, "glue:BatchCreatePartition", rejects)  # only the job adds the rejects partitions


def test_each_verb_names_the_needs_it_has_and_not_the_others(dev):
    """`rejects` needs the rejects table and quarantine/, `load-silver` does not."""
    by_verb: dict[str, set] = {}
    for need in needs_of(dev):
        by_verb.setdefault(need.purpose, set()).add((need.action, need.resource))
    rejects_table = ("glue:GetTable", f"{GLUE}:table/gold_data/sample_data_aggregated_rejects")
    assert rejects_table in by_verb["rejects"] and rejects_table in by_verb["query"]
    assert rejects_table not in by_verb["load-silver"] and rejects_table not in by_verb["run"]
    assert (
        "s3:DeleteObject",
        f"arn:aws:s3:::{dev.outputs['lakeBucket']}/silver/sample_data_partitioned/_sample.json",
    ) in (by_verb["load-silver"])
    assert by_verb["pipeline"] >= by_verb["rejects"] | by_verb["load-silver"] | by_verb["register"]


def test_the_operator_may_simulate_its_own_policy_and_the_stacks_role_and_no_other(stack):
    document = operator_document(stack)
    role = stack.outputs["stackSettings"]["roleArn"]
    policy = f"arn:aws:iam::{ACCOUNT}:policy/" + stack.one("aws:iam/policy:Policy")["name"]
    assert allows(document, "iam:SimulatePrincipalPolicy", role)
    assert not allows(document, "iam:SimulatePrincipalPolicy", role.rsplit("/", 1)[0] + "/another-role")
    assert allows(document, "iam:GetPolicyVersion", policy) and allows(document, "iam:SimulateCustomPolicy", "*")
    assert not allows(document, "iam:GetPolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/another-policy")


SMALL = StackResources(
    region="us-east-1",
    account=ACCOUNT,
    bucket="lake",
    job="j",
    crawler="c",
    workgroup="w",
    silver=Table("s", "st", "silver/st/"),
    gold=Table("g", "gt", "gold/gt/"),
    rejects=Table("g", "gt_rejects", "quarantine/gt/"),
    reports="gold/_reports/gt/",
    athena_results="athena-results/",
    log_groups=("/g/output",),
    topic="t",
    role="r",
    operator_policy="p",
)


def test_one_sid_never_grants_more_than_its_verbs_declared():
    verbs = verb_access(SMALL)
    assert merge_statements(verbs)  # the real declaration merges cleanly
    (load,) = [a for a in verbs["load-silver"] if a.sid == "ForgetTheSample"]
    # A second access under ForgetTheSample, on another resource with another action: together
    # they would grant DeleteObject on every silver object.
    widened = {**verbs, "extra": [load.__class__("ForgetTheSample", ("s3:GetObject",), ("arn:aws:s3:::lake/x",))]}
    with pytest.raises(
        BroaderThanDeclared, match="statement ForgetTheSample would grant s3:DeleteObject on arn:aws:s3:::lake/x"
    ):
        merge_statements(widened)
