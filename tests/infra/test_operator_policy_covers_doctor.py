"""The operator policy (`infra.policies.operator_policy`, rendered for dev and prod) allows what
`doctor` says the operations verbs call (`automation.aws.needs.operator_needs`), including
iam:SimulatePrincipalPolicy on the stack's own role, so an operator holding only that policy
passes doctor's caller checks. The policy allows nothing on another stack's role."""

from __future__ import annotations

import json

from automation.aws.needs import operator_needs
from automation.outputs import StackOutputs
from tests.iam_policy import allows


def operator_document(stack) -> dict:
    return json.loads(stack.one("aws:iam/policy:Policy")["policy"])


def test_the_operator_policy_allows_every_call_doctor_lists(stack):
    document = operator_document(stack)
    needs = operator_needs(StackOutputs.from_values(stack.outputs, "synth"))
    refused = [f"{n.action} on {n.resource}" for n in needs if not allows(document, n.action, n.resource)]
    assert refused == []
    assert {n.action for n in needs} >= {"iam:SimulatePrincipalPolicy", "s3:ListBucket", "athena:GetWorkGroup"}


def test_the_operator_may_simulate_the_stacks_role_and_no_other(stack):
    document = operator_document(stack)
    role = stack.outputs["stackSettings"]["roleArn"]
    assert allows(document, "iam:SimulatePrincipalPolicy", role)
    assert not allows(document, "iam:SimulatePrincipalPolicy", role.rsplit("/", 1)[0] + "/another-role")
