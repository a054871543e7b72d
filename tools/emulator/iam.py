"""IAM in the emulator: the stack's role and policies seeded in moto, an operator who holds only
the operator policy, who a request's caller is and what their identity policies say, and the
policy simulator moto lacks, answered from the project's evaluator (`tools.emulator.policy`).

moto checks no permissions by default and has no `SimulatePrincipalPolicy` or
`SimulateCustomPolicy`; its IAM keeps users, roles, access keys and policy documents, and its
STS answers GetCallerIdentity with the user that owns the request's access key
(moto/sts/models.py). So the emulator knows a caller by the access key in the request's
signature, and reads that user's policies back from moto's IAM.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any, Mapping
from xml.sax.saxutils import escape

from botocore.exceptions import ClientError, ParamValidationError

from tools.emulator.policy import decision

OPERATOR_USER = "operator"


# -- seeding: the stack's IAM resources as synth renders them ---------------------------------
def seed_role(emulator: Any, inputs: dict, state: dict) -> None:
    emulator.client("iam").create_role(
        RoleName=inputs["name"],
        AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
        Description=inputs.get("description", ""),
    )


def seed_role_policy(emulator: Any, inputs: dict, state: dict) -> None:
    emulator.client("iam").put_role_policy(
        RoleName=inputs["role"], PolicyName=f"{inputs['role']}-policy", PolicyDocument=inputs["policy"]
    )


def seed_policy(emulator: Any, inputs: dict, state: dict) -> None:
    emulator.client("iam").create_policy(
        PolicyName=inputs["name"], PolicyDocument=inputs["policy"], Description=inputs.get("description", "")
    )


def create_operator(emulator: Any, policy_arn: str, name: str = OPERATOR_USER) -> dict[str, str]:
    """An IAM user holding only `policy_arn`; the environment its access key is used with."""
    iam = emulator.client("iam")
    iam.create_user(UserName=name)
    iam.attach_user_policy(UserName=name, PolicyArn=policy_arn)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


# -- who is calling ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Caller:
    """An IAM user of the emulator and its identity policies (inline and attached)."""

    arn: str
    policies: tuple[Mapping[str, Any], ...]

    def decision(self, action: str, resource: str) -> str:
        return decision(self.policies, action, resource)


def access_key_of(authorization: str) -> str:
    """The access key id in a SigV4 Authorization header (`... Credential=AKID/date/region/...`)."""
    _, _, rest = authorization.partition("Credential=")
    return rest.split("/", 1)[0] if rest else ""


def _document(value: Any) -> Mapping[str, Any]:
    return json.loads(urllib.parse.unquote(value)) if isinstance(value, str) else value


def user_policies(emulator: Any, user: str) -> tuple[Mapping[str, Any], ...]:
    iam = emulator.client("iam")
    documents = [
        _document(iam.get_user_policy(UserName=user, PolicyName=name)["PolicyDocument"])
        for name in iam.list_user_policies(UserName=user)["PolicyNames"]
    ]
    for attached in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]:
        documents.append(managed_document(emulator, attached["PolicyArn"]))
    return tuple(documents)


def role_policies(emulator: Any, role: str) -> tuple[Mapping[str, Any], ...]:
    iam = emulator.client("iam")
    documents = [
        _document(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    ]
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        documents.append(managed_document(emulator, attached["PolicyArn"]))
    return tuple(documents)


def managed_document(emulator: Any, policy_arn: str) -> Mapping[str, Any]:
    iam = emulator.client("iam")
    version = iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"]
    return _document(iam.get_policy_version(PolicyArn=policy_arn, VersionId=version)["PolicyVersion"]["Document"])


def caller_of(emulator: Any, authorization: str) -> Caller | None:
    """The IAM user whose access key signed the request, or None for a key moto does not know
    (the emulator's own `testing` credentials: an administrator, as an account's root is)."""
    key = access_key_of(authorization)
    if not key:
        return None
    iam = emulator.client("iam")
    try:
        user = iam.get_access_key_last_used(AccessKeyId=key)["UserName"]
    except (ClientError, ParamValidationError):  # a key no IAM user owns (`testing` is not even one's length)
        return None
    arn = iam.get_user(UserName=user)["User"]["Arn"]
    return Caller(arn, user_policies(emulator, user))


# -- the policy simulator --------------------------------------------------------------------------
SIMULATOR_ACTIONS = ("SimulatePrincipalPolicy", "SimulateCustomPolicy")
IAM_XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"


def _members(form: Mapping[str, list[str]], name: str) -> list[str]:
    """`Name.member.1`, `Name.member.2`, ... of a query-protocol request, in order."""
    numbered = [(int(k.rsplit(".", 1)[1]), v[0]) for k, v in form.items() if k.startswith(f"{name}.member.")]
    return [value for _, value in sorted(numbered)]


def _context(form: Mapping[str, list[str]]) -> dict[str, str]:
    """ContextEntries.member.N.ContextKeyName / ContextKeyValues.member.1 (one value each)."""
    context = {}
    for key, values in form.items():
        if key.startswith("ContextEntries.member.") and key.endswith(".ContextKeyName"):
            prefix = key[: -len("ContextKeyName")]
            value = form.get(f"{prefix}ContextKeyValues.member.1", [""])[0]
            context[values[0]] = value
    return context


def simulator_policies(emulator: Any, form: Mapping[str, list[str]]) -> tuple[Mapping[str, Any], ...]:
    """The policies a simulator request evaluates: the documents it carries
    (SimulateCustomPolicy's PolicyInputList), or the principal's (SimulatePrincipalPolicy's
    PolicySourceArn: a user's or a role's inline and attached policies), plus any it adds."""
    documents = [json.loads(text) for text in _members(form, "PolicyInputList")]
    source = form.get("PolicySourceArn", [""])[0]
    if source:
        kind, _, name = source.split(":", 5)[5].partition("/")
        name = name.rsplit("/", 1)[-1]
        documents += role_policies(emulator, name) if kind == "role" else user_policies(emulator, name)
    return tuple(documents)


def answer_simulator(emulator: Any, form: Mapping[str, list[str]]) -> str:
    """The simulator's XML answer to a SimulatePrincipalPolicy or SimulateCustomPolicy request:
    every action on every resource, decided by the project's evaluator, in one page."""
    action = form["Action"][0]
    policies = simulator_policies(emulator, form)
    context = _context(form)
    members = []
    for resource in _members(form, "ResourceArns") or ["*"]:
        for name in _members(form, "ActionNames"):
            decided = decision(policies, name, resource, context)
            members.append(
                "<member>"
                f"<EvalActionName>{escape(name)}</EvalActionName>"
                f"<EvalResourceName>{escape(resource)}</EvalResourceName>"
                f"<EvalDecision>{decided}</EvalDecision>"
                "<MatchedStatements/><MissingContextValues/>"
                "</member>"
            )
    return (
        f'<{action}Response xmlns="{IAM_XMLNS}"><{action}Result>'
        f"<IsTruncated>false</IsTruncated><EvaluationResults>{''.join(members)}</EvaluationResults>"
        f"</{action}Result><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
