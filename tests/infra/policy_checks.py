"""Reading policy documents in tests: who a statement names, what it grants, and whether a
request with a condition context is allowed. Built on the project's evaluator
(`tests/iam_policy.py`), which counts only unconditional Allow statements."""

from __future__ import annotations

import fnmatch
from typing import Any, Iterable, Mapping

import parliament

from tests.iam_policy import allows, condition_holds


def listed(value: Any) -> list:
    return [value] if isinstance(value, (str, dict)) else list(value or [])


def statements(document: Mapping[str, Any]) -> list[dict]:
    return listed(document["Statement"])


def allow_statements(document: Mapping[str, Any]) -> list[dict]:
    return [s for s in statements(document) if s["Effect"] == "Allow"]


def by_principal(document: Mapping[str, Any], principal: Any) -> list[dict]:
    """The statements of a resource's policy that name `principal` (`{"Service": ...}`, `"*"`)."""
    return [s for s in statements(document) if s.get("Principal") == principal]


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]) -> bool:
    """`tests.iam_policy.condition_holds`, with an operator it does not evaluate counted as not met."""
    try:
        return condition_holds(condition, context)
    except ValueError:
        return False


def allows_in_context(
    document: Mapping[str, Any], action: str, resource: str, context: Iterable[tuple[str, Any]] = ()
) -> bool:
    """`allows`, with each conditional Allow counted when `context` (condition key, value) meets its condition."""
    values = dict(context)
    kept = []
    for statement in statements(document):
        if "Condition" in statement and statement["Effect"] == "Allow":
            if not _condition_holds(statement["Condition"], values):
                continue
            statement = {k: v for k, v in statement.items() if k != "Condition"}
        kept.append(statement)
    return allows({**document, "Statement": kept}, action, resource)


def resource_types(action: str) -> list[str]:
    """The resource types IAM authorizes `action` on, from parliament's copy of the Service
    Authorization Reference ("" alone: the action has no resource type, `*` is its only resource)."""
    prefix, name = action.split(":")
    # parliament lists IAM twice (under two service names, the same privileges): the first.
    service = next(s for s in parliament.iam_definition if s["prefix"] == prefix)
    (privilege,) = [p for p in service["privileges"] if p["privilege"].lower() == name.lower()]
    return [t["resource_type"] for t in privilege["resource_types"]]


def glob_matches(pattern: str, resource: str) -> bool:
    """IAM's resource wildcards (`*` any run, `?` one character), case-sensitive."""
    return fnmatch.fnmatchcase(resource, pattern.replace("[", "[[]"))
