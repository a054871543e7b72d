"""The Pulumi engine's event stream as the CLI shows it: steps started and finished
(`StepProgress`), what an operation changes (`ChangeSummary`), and the engine's error lines.

Pure: takes the SDK's event objects as they come, imports nothing from the SDK.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Counted as "changes"; everything else the engine reports (same, read, refresh...) is not.
CHANGE_OPS = ("create", "update", "replace", "delete")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|<\{%[^%]*%\}>")


@dataclass(frozen=True)
class StepProgress:
    """One engine step started or finished: `done` of `total` steps are finished.

    `total` is the step count of the preview the update or destroy follows (None when
    unknown); `resource` is "<type> <name>", as the engine names it.
    """

    done: int
    total: int | None
    op: str
    resource: str
    finished: bool
    failed: bool = False


ProgressCallback = Callable[[StepProgress], None]


@dataclass(frozen=True)
class ChangeSummary:
    """What an operation does (preview) or did: step counts by operation, and the changing steps."""

    stack: str
    counts: dict[str, int]
    steps: tuple[tuple[str, str, str], ...] = ()  # (op, type, name) of every step that changes something

    def count(self, op: str) -> int:
        return self.counts.get(op, 0)

    @property
    def total(self) -> int:
        """Every step, unchanged resources included: the length of the update that follows."""
        return sum(self.counts.values())

    @property
    def changes(self) -> int:
        return sum(self.count(op) for op in CHANGE_OPS)

    def line(self, done: bool = False) -> str:
        """`2 to create, 1 to update, 0 to replace, 0 to delete, 31 unchanged` (`2 created, ...` when done)."""
        parts = [f"{self.count(op)} {op}d" if done else f"{self.count(op)} to {op}" for op in CHANGE_OPS]
        return ", ".join([*parts, f"{self.count('same')} unchanged"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "changes": dict(sorted(self.counts.items())),
            "steps": [{"op": op, "type": type_, "name": name} for op, type_, name in self.steps],
        }


@dataclass(frozen=True)
class DeployResult:
    """A deploy: the preview it followed, whether it was applied, and the stack's outputs after it."""

    preview: ChangeSummary
    applied: bool
    outputs: dict[str, Any] = field(default_factory=dict)
    result: ChangeSummary | None = None  # the update's own summary, when applied

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.preview.stack,
            "applied": self.applied,
            "preview": self.preview.to_dict()["changes"],
            "changes": (self.result or self.preview).to_dict()["changes"],
            "outputs": self.outputs,
        }


def clean(text: str) -> str:
    return _ANSI.sub("", text or "")


def first_line(text: str) -> str:
    lines = [line.strip() for line in clean(text).splitlines() if line.strip()]
    return lines[0] if lines else ""


def is_default_provider(urn: str) -> bool:
    """A default provider's step (`pulumi:providers:<pkg>` named `default...`), which the engine
    treats as internal: the event log carries its events, but the summary's counts leave it out
    and Pulumi's own display hides it (pulumi/pulumi: sdk/go/common/providers/reference.go
    `IsDefaultProvider`; pkg/engine/update.go `isInternalStep`, steps counted only when
    `record && !isInternalStep`; pkg/backend/display/display.go filters `e.Internal()` after the
    event log is written)."""
    type_, name = _urn_resource(urn)
    return type_.startswith("pulumi:providers:") and name.startswith("default")


def _urn_resource(urn: str, type_: str = "") -> tuple[str, str]:
    """(type, name) from `urn:pulumi:<stack>::<project>::<parent$...$type>::<name>`."""
    parts = (urn or "").split("::", 3)
    if len(parts) == 4:
        return parts[2].rsplit("$", 1)[-1], parts[3]
    return type_, urn or ""


def _error_summary(message: str) -> str:
    """The line of an engine diagnostic that says what went wrong.

    A program's unhandled exception arrives as "Program failed ...:" plus a traceback: its
    last line is the exception. Otherwise the first line is the message.
    """
    lines = [line.strip() for line in clean(message).splitlines() if line.strip()]
    if not lines:
        return ""
    if any(line.startswith("Traceback (most recent call last)") for line in lines):
        return lines[-1]
    first = lines[0]
    return first[len("error: ") :] if first.startswith("error: ") else first


class EngineEvents:
    """Turns the engine's event stream into StepProgress calls, and keeps what a summary needs."""

    def __init__(self, total: int | None, on_progress: ProgressCallback | None):
        self.total = total
        self.on_progress = on_progress
        self.done = 0
        self.counts: dict[str, int] | None = None
        self.steps: list[tuple[str, str, str]] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()

    # `event` is the SDK's `pulumi.automation.EngineEvent`: only `automation_api` imports the SDK.
    def __call__(self, event: Any) -> None:
        with self._lock:
            step = event.resource_pre_event or event.res_outputs_event or event.res_op_failed_event
            if step is not None and is_default_provider(step.metadata.urn):
                return  # an internal step: neither counted by the engine nor shown by its display
            if event.resource_pre_event is not None:
                meta = event.resource_pre_event.metadata
                op = op_name(meta.op)
                type_, name = _urn_resource(meta.urn, meta.type)
                if op in CHANGE_OPS:  # a replacement's create-replacement/delete-replaced steps are one "replace"
                    self.steps.append((op, type_, name))
                self._report(op, f"{type_} {name}", finished=False)
            elif event.res_outputs_event is not None:
                meta = event.res_outputs_event.metadata
                type_, name = _urn_resource(meta.urn, meta.type)
                self.done += 1
                self._report(op_name(meta.op), f"{type_} {name}", finished=True)
            elif event.res_op_failed_event is not None:
                meta = event.res_op_failed_event.metadata
                type_, name = _urn_resource(meta.urn, meta.type)
                self._report(op_name(meta.op), f"{type_} {name}", finished=True, failed=True)
            elif event.diagnostic_event is not None and event.diagnostic_event.severity == "error":
                diagnostic = event.diagnostic_event
                summary = _error_summary(diagnostic.message)
                if summary:
                    type_, name = _urn_resource(diagnostic.urn or "")
                    where = f"{type_} {name}: " if diagnostic.urn and type_ != "pulumi:pulumi:Stack" else ""
                    self.errors.append(f"{where}{summary}")
            elif event.summary_event is not None:
                self.counts = {op_name(op): int(n) for op, n in event.summary_event.resource_changes.items()}

    def _report(self, op: str, resource: str, finished: bool, failed: bool = False) -> None:
        if self.on_progress is None:
            return
        total = None if self.total is None else max(self.total, self.done)
        self.on_progress(StepProgress(self.done, total, op, resource, finished, failed))

    def summary(self, stack: str) -> ChangeSummary:
        return ChangeSummary(stack, dict(self.counts or {}), tuple(self.steps))


def op_name(op: Any) -> str:
    return str(getattr(op, "value", op))
