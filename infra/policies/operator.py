"""The operator's policy: what the operations CLI touches on this stack, directly and through
Athena, and nothing else.

Rendered from the one declaration of what each verb touches (`infra.policies.verbs`): one
statement per sid there, its actions and resources united; `operator_statements` refuses a
union that would grant a pair no verb declared. sts:GetCallerIdentity (the CLI's credentials
check) needs no permission ("No permissions are required to perform this operation",
https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
"""

from __future__ import annotations

from typing import Any

from infra.policies.statements import allow, document
from infra.policies.verbs import StackResources, operator_statements


def operator_policy(stack: StackResources) -> dict[str, Any]:
    """What the operations verbs touch on `stack`'s resources (IAM action names), one statement per sid."""
    return document(*(allow(sid, actions, resources) for sid, actions, resources in operator_statements(stack)))
