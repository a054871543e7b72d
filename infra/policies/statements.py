"""The two statement builders every policy document is made of, and the ARNs they name.

A statement is a plain dict whose keys come in IAM's documented order (Sid, Effect,
Principal, Action, Resource, Condition), so a rendered document reads, and diffs, the same
way every time. An action or resource given as one string stays a string; a sequence
becomes a list, as the policy's readers (IAM, Checkov, parliament) accept either.
"""

from __future__ import annotations

from typing import Any, Literal, Mapping, Sequence

VERSION = "2012-10-17"

Statement = dict[str, Any]
Principal = Mapping[str, str] | Literal["*"]


def _statement(
    effect: Literal["Allow", "Deny"],
    sid: str | None,
    actions: str | Sequence[str],
    resources: str | Sequence[str] | None,
    condition: Mapping[str, Any] | None,
    principal: Principal | None,
) -> Statement:
    statement: Statement = {} if sid is None else {"Sid": sid}
    statement["Effect"] = effect
    if principal is not None:
        statement["Principal"] = principal if isinstance(principal, str) else dict(principal)
    statement["Action"] = actions if isinstance(actions, str) else list(actions)
    if resources is not None:
        statement["Resource"] = resources if isinstance(resources, str) else list(resources)
    if condition is not None:
        statement["Condition"] = dict(condition)
    return statement


def allow(
    sid: str | None,
    actions: str | Sequence[str],
    resources: str | Sequence[str] | None,
    condition: Mapping[str, Any] | None = None,
    *,
    principal: Principal | None = None,
) -> Statement:
    """An Allow statement; `principal` only in a resource's policy, `resources` None only in a trust policy."""
    return _statement("Allow", sid, actions, resources, condition, principal)


def deny(
    sid: str,
    actions: str | Sequence[str],
    resources: str | Sequence[str],
    condition: Mapping[str, Any] | None = None,
    *,
    principal: Principal | None = None,
) -> Statement:
    """A Deny statement (it wins over every Allow)."""
    return _statement("Deny", sid, actions, resources, condition, principal)


def document(*statements: Statement) -> dict[str, Any]:
    """A policy document of `statements`, in order."""
    return {"Version": VERSION, "Statement": list(statements)}


def service(name: str) -> dict[str, str]:
    """An AWS service as the principal of a resource's policy (`events.amazonaws.com`)."""
    return {"Service": name}


def account_or_role(arn: str) -> dict[str, str]:
    """An account (`arn:aws:iam::<account>:root`) or a role as the principal of a resource's policy."""
    return {"AWS": arn}


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def catalog_arns(region: str, account: str, database: str, table: str) -> list[str]:
    """A table as Glue authorizes a call on it: the catalog, the database and the table."""
    base = f"arn:aws:glue:{region}:{account}"
    return [f"{base}:catalog", f"{base}:database/{database}", f"{base}:table/{database}/{table}"]


def log_group_arns(region: str, account: str, names: Sequence[str]) -> list[str]:
    """The group's ARN and its streams' (`:*`); a pattern ending in `*` covers both already."""
    arns = []
    for name in names:
        arns.append(f"arn:aws:logs:{region}:{account}:log-group:{name}")
        if not name.endswith("*"):
            arns.append(f"arn:aws:logs:{region}:{account}:log-group:{name}:*")
    return arns


def alarm_arns(region: str, account: str, names: Sequence[str]) -> list[str]:
    return [f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}" for name in names]
