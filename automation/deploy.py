"""Placeholder for the Pulumi Automation API layer (built on the `deploy` branch).

Resolve merges in favour of the real module: it keeps these two functions' signatures.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from etl.errors import PipelineError


class DeployError(PipelineError):
    """The Pulumi CLI or a stack operation failed."""


def stack_outputs(stack: str) -> dict[str, Any]:
    raise DeployError("the Pulumi Automation API layer is not merged yet: use --outputs-file")


def up(stack: str, config: Mapping[str, str] | None = None, on_progress: Callable | None = None) -> dict[str, Any]:
    raise DeployError("the Pulumi Automation API layer is not merged yet: use --skip-deploy with --outputs-file")
