"""IAM's policy simulator for `doctor`: the stack's role, the stack's operator policy as
deployed, and (asked for by name) a principal.

- The job role: `iam:SimulatePrincipalPolicy` on the role's ARN, which evaluates every policy
  attached to it (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html).
- The operator policy: its deployed document (`iam:GetPolicy` for the default version,
  `iam:GetPolicyVersion` for the document) simulated with `iam:SimulateCustomPolicy`, which
  takes policies "provided as strings" and no principal
  (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html). So
  someone who holds only the operator policy can run every check: the policy grants these
  three on itself and on "*" (SimulateCustomPolicy has no resource type), and no caller ARN is
  needed -- a user, a role's session, an SSO session alike. It answers "does the stack's policy,
  as it is in the account now, still allow what each verb touches"; what else limits a given
  person (a permissions boundary, an SCP) is `--principal-arn`'s question.

The questions and the verdicts are pure (`automation.aws.needs`); this module asks, page by
page, one resource per request.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from automation.aws.doctor_checks import Check
from automation.aws.needs import Need, check_simulation
from automation.aws.session import AwsClients, error_code, error_message, paginate

REDEPLOY_POLICY = (
    "the deployed operator policy lacks it: redeploy (`python -m automation deploy --stack NAME`, or "
    "`pulumi up`) to put the stack's policy back"
)


def simulation_requests(needs: list[Need], **source: Any) -> list[dict[str, Any]]:
    """Simulator requests: one per resource (and its context), its actions listed; `source` is
    what is simulated (`PolicySourceArn=...` or `PolicyInputList=[...]`).

    One resource a call keeps every answer unambiguous: the simulator evaluates each action
    against each resource of the call, and a Glue or S3 action's resources differ by type.
    """
    groups: dict[tuple[str, tuple[tuple[str, str], ...]], list[str]] = {}
    for need in needs:
        actions = groups.setdefault((need.resource, need.context), [])
        if need.action not in actions:
            actions.append(need.action)
    requests = []
    for (resource, context), actions in groups.items():
        request: dict[str, Any] = {**source, "ActionNames": actions, "ResourceArns": [resource]}
        if context:
            request["ContextEntries"] = [
                {"ContextKeyName": name, "ContextKeyValues": [value], "ContextKeyType": "string"}
                for name, value in context
            ]
        requests.append(request)
    return requests


def _decisions(iam: Any, operation: str, requests: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """Every page of every request's answer: (action, resource) -> EvalDecision."""
    decisions: dict[tuple[str, str], str] = {}
    for request in requests:
        resource = request["ResourceArns"][0]
        for result in paginate(iam, operation, "EvaluationResults", **request):
            decisions[(result["EvalActionName"], resource)] = result["EvalDecision"]
    return decisions


def _unanswered(subject: str, error: Exception) -> list[Check]:
    """No simulator at this endpoint (an emulator without one): one line saying so."""
    detail = f"the policy simulator did not answer: {str(error).splitlines()[0]}"
    return [Check(f"{subject}'s permissions", False, detail)]


def simulate_principal(clients: AwsClients, subject: str, principal: str, needs: list[Need], fix: str) -> list[Check]:
    """Ask the simulator about every need of `principal` (a user's or role's ARN); one line per purpose."""
    try:
        decisions = _decisions(
            clients.client("iam"), "simulate_principal_policy", simulation_requests(needs, PolicySourceArn=principal)
        )
    except (BotoCoreError, ResponseParserError) as error:
        return _unanswered(subject, error)
    except ClientError as error:
        hint = (
            "a role with a path (an SSO role) needs its full ARN: arn:aws:iam::ACCOUNT:role/PATH/NAME"
            if error_code(error) == "NoSuchEntity"
            else f"allow iam:SimulatePrincipalPolicy on {principal} (the operator policy allows it on the stack's role)"
        )
        detail = f"the policy simulator refused {principal}: {error_message(error)}"
        return [Check(f"{subject}'s permissions", False, detail, hint)]
    return check_simulation(subject, needs, decisions, fix)


def policy_document(clients: AwsClients, policy_arn: str) -> str:
    """The default version's document of a managed policy, as JSON text.

    GetPolicyVersion returns it URL-encoded (RFC 3986,
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyVersion.html); botocore decodes
    it to an object, an endpoint that does not may leave it encoded text.
    """
    iam = clients.client("iam")
    version = iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=policy_arn, VersionId=version)["PolicyVersion"]["Document"]
    if isinstance(document, str):
        return urllib.parse.unquote(document)
    return json.dumps(document)


def simulate_operator_policy(clients: AwsClients, policy_arn: str, needs: list[Need]) -> list[Check]:
    """The operator policy as deployed, simulated over what each verb touches; one line per verb."""
    subject = "operator policy"
    try:
        document = policy_document(clients, policy_arn)
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return [Check(subject, False, f"{policy_arn} not found", REDEPLOY_POLICY)]
        hint = f"allow iam:GetPolicy and iam:GetPolicyVersion on {policy_arn} (the operator policy allows them)"
        return [Check(subject, False, f"AWS refused {error.operation_name}: {error_message(error)}", hint)]
    try:
        decisions = _decisions(
            clients.client("iam"), "simulate_custom_policy", simulation_requests(needs, PolicyInputList=[document])
        )
    except (BotoCoreError, ResponseParserError) as error:
        return _unanswered(subject, error)
    except ClientError as error:
        hint = "allow iam:SimulateCustomPolicy on * (the operator policy allows it)"
        return [Check(subject, False, f"the policy simulator refused: {error_message(error)}", hint)]
    return check_simulation(subject, needs, decisions, REDEPLOY_POLICY, verb="allows")
