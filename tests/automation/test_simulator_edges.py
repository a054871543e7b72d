"""IAM's policy simulator as `doctor` asks it (`automation.aws.simulator`): the answers that are
not a verdict. The operator policy gone from the account, a principal IAM does not know, a
simulator that refuses or whose answer is not IAM's XML: each is one cross saying what to do.

Edges mutation testing found unguarded (docs/testing.md). The account is the emulator's (moto
over HTTP, seeded from `synth --stack dev`); what it cannot produce is played on the one client
it concerns: botocore's Stubber for IAM's refusals, and a `before-send` hook for an endpoint
whose simulator answers a page that is not IAM's XML. Every expected line is written out.
"""

from __future__ import annotations

import json
import urllib.parse

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from automation.aws.needs import Need
from automation.aws.session import AwsClients
from automation.aws.simulator import policy_document, simulate_operator_policy, simulate_principal
from infra import outputs as out

ACCOUNT = "123456789012"
REDEPLOY_POLICY = (
    "the deployed operator policy lacks it: redeploy (`python -m automation deploy --stack NAME`, or "
    "`pulumi up`) to put the stack's policy back"
)
# What is asked does not matter on these paths (no verdict comes back); one need stands for all.
NEEDS = [Need("run", "glue:StartJobRun", f"arn:aws:glue:us-east-1:{ACCOUNT}:job/job-transform-silver-to-gold")]
HTML_PAGE = b"<html><body><h1>404 Not Found</h1>\n</body></html"


@pytest.fixture
def operator_clients(aws_stack, monkeypatch) -> AwsClients:
    """Clients as the CLI makes them, pointed at the emulator, with the operator's credentials."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_stack.emulator.url)
    session = boto3.Session(
        aws_access_key_id=aws_stack.emulator.extra_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=aws_stack.emulator.extra_env["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    return AwsClients(session)


class _Body:
    def __init__(self, content: bytes):
        self.content = content

    def stream(self, **_: object):
        yield self.content


def answer_simulator_with_a_page(clients: AwsClients) -> None:
    """The simulator's two operations answered 200 with an HTML page (an endpoint without IAM's
    simulator); every other IAM call goes on to the emulator."""

    def page(request, **_: object) -> AWSResponse:
        return AWSResponse(request.url, 200, {}, _Body(HTML_PAGE))

    iam = clients.client("iam")
    for operation in ("SimulatePrincipalPolicy", "SimulateCustomPolicy"):
        iam.meta.events.register(f"before-send.iam.{operation}", page)


def stubbed_iam(clients: AwsClients) -> Stubber:
    client = clients.session.client("iam")
    clients.use("iam", client)
    return Stubber(client)


def test_an_operator_policy_deleted_from_the_account_is_not_found_and_asks_for_a_redeploy(aws_stack, operator_clients):
    """IAM answers GetPolicy for a policy it does not hold with NoSuchEntity
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicy.html, "Errors")."""
    arn = aws_stack[out.OPERATOR_POLICY_ARN]
    iam = aws_stack.emulator.client("iam")
    iam.detach_user_policy(UserName="operator", PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)

    checks = simulate_operator_policy(operator_clients, arn, NEEDS)

    assert [(c.name, c.ok, c.detail, c.fix) for c in checks] == [
        ("operator policy", False, f"{arn} not found", REDEPLOY_POLICY)
    ]


def test_a_simulator_that_answers_a_page_is_one_cross_each_with_the_pages_first_line(aws_stack, operator_clients):
    answer_simulator_with_a_page(operator_clients)
    role = aws_stack[out.STACK_SETTINGS]["roleArn"]

    role_checks = simulate_principal(operator_clients, "job role", role, NEEDS, "fix")
    policy_checks = simulate_operator_policy(operator_clients, aws_stack[out.OPERATOR_POLICY_ARN], NEEDS)

    # botocore's ResponseParserError: a first line, then the body it could not read.
    unread = (
        "the policy simulator did not answer: Unable to parse response (unclosed token: line 2, column 7), "
        "invalid XML received. Further retries may succeed:"
    )
    assert [(c.name, c.ok, c.detail, c.fix) for c in role_checks + policy_checks] == [
        ("job role's permissions", False, unread, ""),
        ("operator policy's permissions", False, unread, ""),
    ]


def test_a_principal_iam_does_not_know_is_told_to_give_a_roles_full_arn(aws_stack, operator_clients):
    """SimulatePrincipalPolicy answers a principal it does not hold with NoSuchEntity
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html, "Errors");
    the emulator's simulator answers every principal, so the Stubber plays it."""
    principal = f"arn:aws:iam::{ACCOUNT}:role/AWSReservedSSO_Operators_0123456789abcdef"
    stubber = stubbed_iam(operator_clients)
    stubber.add_client_error(
        "simulate_principal_policy", "NoSuchEntity", f"The role with name {principal} cannot be found."
    )
    with stubber:
        checks = simulate_principal(operator_clients, principal, principal, NEEDS, "fix")

    assert [(c.name, c.ok, c.detail, c.fix) for c in checks] == [
        (
            f"{principal}'s permissions",
            False,
            f"the policy simulator refused {principal}: NoSuchEntity: The role with name {principal} cannot be found.",
            "a role with a path (an SSO role) needs its full ARN: arn:aws:iam::ACCOUNT:role/PATH/NAME",
        )
    ]


def test_a_simulator_that_refuses_the_deployed_policy_says_what_to_allow(aws_stack, operator_clients):
    arn = aws_stack[out.OPERATOR_POLICY_ARN]
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "glue:*", "Resource": "*"}]}
    stubber = stubbed_iam(operator_clients)
    stubber.add_response("get_policy", {"Policy": {"Arn": arn, "DefaultVersionId": "v2"}}, {"PolicyArn": arn})
    stubber.add_response(
        "get_policy_version",  # IAM sends the document URL-encoded (botocore decodes it)
        {"PolicyVersion": {"Document": urllib.parse.quote(json.dumps(document)), "VersionId": "v2"}},
        {"PolicyArn": arn, "VersionId": "v2"},
    )
    stubber.add_client_error(
        "simulate_custom_policy", "AccessDenied", "not authorized to perform: iam:SimulateCustomPolicy"
    )
    with stubber:
        checks = simulate_operator_policy(operator_clients, arn, NEEDS)

    assert [(c.name, c.ok, c.detail, c.fix) for c in checks] == [
        (
            "operator policy",
            False,
            "the policy simulator refused: AccessDenied: not authorized to perform: iam:SimulateCustomPolicy",
            "allow iam:SimulateCustomPolicy on * (the operator policy allows it)",
        )
    ]


def test_a_refused_read_of_the_deployed_policy_names_the_call_and_what_to_allow(aws_stack, operator_clients):
    arn = aws_stack[out.OPERATOR_POLICY_ARN]
    stubber = stubbed_iam(operator_clients)
    stubber.add_client_error("get_policy", "AccessDenied", f"not authorized to perform: iam:GetPolicy on {arn}")
    with stubber:
        checks = simulate_operator_policy(operator_clients, arn, NEEDS)

    assert [(c.name, c.ok, c.detail, c.fix) for c in checks] == [
        (
            "operator policy",
            False,
            f"AWS refused GetPolicy: AccessDenied: not authorized to perform: iam:GetPolicy on {arn}",
            f"allow iam:GetPolicy and iam:GetPolicyVersion on {arn} (the operator policy allows them)",
        )
    ]


def test_the_deployed_document_is_read_from_the_policys_default_version(aws_stack, operator_clients):
    """Someone edits the policy in the console: the new default version is the one simulated."""
    arn = aws_stack[out.OPERATOR_POLICY_ARN]
    edited = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    aws_stack.emulator.client("iam").create_policy_version(
        PolicyArn=arn, PolicyDocument=json.dumps(edited), SetAsDefault=True
    )

    assert json.loads(policy_document(operator_clients, arn)) == edited
