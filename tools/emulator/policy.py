"""A small evaluator of IAM identity policies: the project's own, used by the emulator (Athena's
reads as the caller, the policy simulator it answers) and by the tests (`tests/iam_policy.py`).

What it follows ("Policy evaluation logic", "Determining whether a request is allowed or denied
within an account",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html):
an explicit Deny in any policy wins; else an Allow in any policy allows; else the request is
implicitly denied. Action names match case-insensitively, resource ARNs case-sensitively, with
`*` and `?` as wildcards ("IAM JSON policy elements: Action" and "Resource",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html). A
statement with a condition counts only when the request's context meets it, for the operators
this project's policies use (StringEquals, StringLike, ArnEquals, ArnLike); any other operator
is refused by name rather than guessed. NotAction and NotResource are refused the same way.

The decisions are named as the simulator names them (`EvalDecision`: allowed, explicitDeny,
implicitDeny, https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "allowed", "explicitDeny", "implicitDeny"
CONDITION_OPERATORS = ("StringEquals", "StringLike", "ArnEquals", "ArnLike")


class NotEvaluated(ValueError):
    """A policy element this evaluator does not read (NotAction, NotResource, another condition operator)."""


def _pattern(glob: str, case_sensitive: bool) -> re.Pattern[str]:
    """IAM's wildcards: `*` any run of characters, `?` one character, everything else literal."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE)


def listed(value: Any) -> list[Any]:
    return [value] if isinstance(value, (str, dict)) else list(value or [])


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return listed(document.get("Statement"))


def _condition_met(statement: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    for operator, keys in (statement.get("Condition") or {}).items():
        if operator not in CONDITION_OPERATORS:
            raise NotEvaluated(f"statement {statement.get('Sid')}: condition {operator} is not evaluated here")
        exact = operator in ("StringEquals", "ArnEquals")
        for key, wanted in keys.items():
            value = context.get(key)
            if value is None:  # a condition on a key the request does not carry is not met
                return False
            if not any(value == w if exact else _pattern(w, True).match(value) for w in listed(wanted)):
                return False
    return True


def _matches(statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]) -> bool:
    if "NotAction" in statement or "NotResource" in statement:
        raise NotEvaluated(f"statement {statement.get('Sid')}: NotAction/NotResource are not evaluated here")
    return (
        any(_pattern(a, False).match(action) for a in listed(statement.get("Action")))
        and any(_pattern(r, True).match(resource) for r in listed(statement.get("Resource")))
        and _condition_met(statement, context)
    )


def decision(
    documents: Iterable[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Iterable[tuple[str, str]] | Mapping[str, str] = (),
) -> str:
    """The simulator's EvalDecision for `action` on `resource` under every policy in `documents`."""
    values = dict(context)
    found = [s for document in documents for s in statements(document)]
    if any(s.get("Effect") == "Deny" and _matches(s, action, resource, values) for s in found):
        return EXPLICIT_DENY
    if any(s.get("Effect") == "Allow" and _matches(s, action, resource, values) for s in found):
        return ALLOWED
    return IMPLICIT_DENY


def allows(document: Mapping[str, Any], action: str, resource: str, context: Iterable[tuple[str, str]] = ()) -> bool:
    """Whether `document` alone allows `action` on `resource` (with the request's `context`)."""
    return decision([document], action, resource, context) == ALLOWED
