"""The Automation API layer: preview, deploy, destroy and read the outputs of a stack.

Drives the Pulumi CLI through `pulumi.automation`: a `LocalWorkspace` on the project
folder (`Pulumi.yaml`, `Pulumi.<stack>.yaml`), the stack created or selected, config set
as `pulumi config set` sets it, the engine's events turned into progress. The SDK runs
`pulumi` from PATH; without it every function here raises `DeployError` before the SDK
is touched. Errors reach the user as one line (`DeployError`), never a traceback.

This module must not call AWS, never writes stack files (the CLI owns the state and the
SDK speaks to the CLI) and shows nothing: it is the only module that imports
`pulumi.automation`, and the CLI (`automation.cli`) draws its progress. `--config` values
are validated first by `automation.stack.config`, before `pulumi config set` saves them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from automation.stack.config import PROJECT_DIR, DeployError, check_config
from automation.stack.events import (
    ChangeSummary,
    DeployResult,
    EngineEvents,
    ProgressCallback,
    clean,
    first_line,
    op_name,
)
from automation.stack.state_backend import check_state_backend
from infra import outputs as out

if TYPE_CHECKING:  # the SDK is imported when used: `--help` and the offline verbs need no Pulumi CLI
    from pulumi import automation as auto

INSTALL_URL = "https://www.pulumi.com/docs/install/"
MISSING_CLI = (
    f"the Pulumi CLI is not on PATH: install it ({INSTALL_URL}); without it, the operations verbs work "
    "with --outputs-file FILE (the JSON of `pulumi stack output --json`)"
)
# The program declares no provider of its own and uses one package (pulumi_aws): its state holds
# one default provider, `pulumi:providers:aws::default_<version>` (events.is_default_provider).
DEFAULT_PROVIDERS = 1
# --- the workspace and the stack ---------------------------------------------------------


def require_pulumi_cli() -> str:
    """The Pulumi CLI the Automation API will run, or DeployError.

    The SDK runs plain `pulumi` through PATH (`PulumiCommand()` with no root); PULUMI_HOME
    is only handed to the CLI as its state folder, never searched. So: PATH, as the SDK does.
    """
    found = shutil.which("pulumi")
    if found is None:
        raise DeployError(MISSING_CLI)
    return found


def _workspace(stack: str) -> auto.LocalWorkspace:
    """A LocalWorkspace on the project folder (runs `pulumi version` for the SDK's version check).

    First the CLI on PATH, then what it needs for `stack` without a prompt (a backend login, a
    passphrase: `automation.stack.state_backend`), so a missing one is one line before any command runs.
    """
    require_pulumi_cli()
    check_state_backend(stack)
    from pulumi import automation as auto

    try:
        return auto.LocalWorkspace(work_dir=str(PROJECT_DIR))
    except auto.InvalidVersionError as error:
        raise DeployError(f"the Pulumi CLI on PATH is not usable by this SDK: {error}") from None
    except (subprocess.CalledProcessError, OSError) as error:
        reason = first_line(str(error))
        raise DeployError(f"`pulumi version` failed ({reason}): is the Pulumi CLI on PATH working?") from None


def _select(workspace: auto.LocalWorkspace, stack: str) -> auto.Stack:
    from pulumi import automation as auto

    try:
        return auto.Stack.select(stack, workspace)
    except auto.StackNotFoundError:
        known = sorted(summary.name for summary in workspace.list_stacks())
        if known:
            raise DeployError(f"unknown stack {stack!r} (known stacks: {', '.join(known)})") from None
        raise DeployError(
            f"unknown stack {stack!r}: this backend has no stacks yet (create one with "
            f"`python -m automation deploy --stack {stack}`)"
        ) from None


def _create_or_select(workspace: auto.LocalWorkspace, stack: str, config: Mapping[str, str]) -> auto.Stack:
    from pulumi import automation as auto

    selected = auto.Stack.create_or_select(stack, workspace)
    if config:
        selected.set_all_config({key: auto.ConfigValue(value=value) for key, value in config.items()})
    return selected


# --- engine events -----------------------------------------------------------------------


@contextmanager
def _engine_errors(stack: str, action: str, events: EngineEvents | None = None) -> Iterator[None]:
    """CommandErrors from the SDK as one-line DeployErrors, the engine's own message first."""
    from pulumi import automation as auto

    try:
        yield
    except DeployError:
        raise
    except auto.ConcurrentUpdateError:
        raise DeployError(
            f"stack {stack!r} is locked by another update: wait for it to finish, or run "
            f"`pulumi cancel --stack {stack}` if none is running"
        ) from None
    except auto.StackNotFoundError:
        raise DeployError(f"unknown stack {stack!r}") from None
    except auto.CommandError as error:
        reason = events.errors[0] if events is not None and events.errors else _command_error_line(str(error))
        raise DeployError(f"{action} of stack {stack!r} failed: {reason}") from None


def _command_error_line(text: str) -> str:
    """The first `error:` line of a failed command's output, else its exit code."""
    for line in clean(text).splitlines():
        line = re.sub(r"^(stdout|stderr):", "", line.strip()).strip()  # str(CommandError) labels the streams
        if line.startswith("error:"):
            return line[len("error:") :].strip()
    code = re.search(r"code: (-?\d+)", text)
    return f"the Pulumi CLI exited with code {code.group(1)}" if code else first_line(text)


# --- the operations ----------------------------------------------------------------------


def stack_outputs(stack: str) -> dict[str, Any]:
    """The stack's outputs as plain values (secrets shown), through the Automation API.

    Raises:
        DeployError: no Pulumi CLI, an unknown stack (naming the known ones), or a CLI failure.
    """
    workspace = _workspace(stack)
    with _engine_errors(stack, "reading the outputs"):
        selected = _select(workspace, stack)
        return {key: value.value for key, value in selected.outputs().items()}


def preview(
    stack: str, config: Mapping[str, str] | None = None, on_progress: ProgressCallback | None = None
) -> ChangeSummary:
    """What `up` would do: create-or-select the stack, set `config`, preview.

    Raises:
        DeployError: as `up`.
    """
    keys = check_config(stack, config)
    workspace = _workspace(stack)
    with _engine_errors(stack, "preview"):
        selected = _create_or_select(workspace, stack, keys)
        return _preview(selected, on_progress)


def _preview(selected: auto.Stack, on_progress: ProgressCallback | None) -> ChangeSummary:
    events = EngineEvents(None, on_progress)
    with _engine_errors(selected.name, "preview", events):
        result = selected.preview(on_event=events, color="never")
    if events.counts is None:
        events.counts = {op_name(op): int(n) for op, n in result.change_summary.items()}
    return events.summary(selected.name)


def deploy(
    stack: str,
    config: Mapping[str, str] | None = None,
    on_progress: ProgressCallback | None = None,
    confirm: Callable[[ChangeSummary], bool] | None = None,
) -> DeployResult:
    """Preview, then (if `confirm` accepts the preview, or there is no `confirm`) update.

    The preview gives the update's step count, so progress reads "done of total"; it is
    what `pulumi up` does before it asks "Do you want to perform this update?".

    Raises:
        DeployError: no Pulumi CLI, a bad `--config`, or the engine's failure in one line.
    """
    keys = check_config(stack, config)
    workspace = _workspace(stack)
    with _engine_errors(stack, "deploy"):
        selected = _create_or_select(workspace, stack, keys)
        planned = _preview(selected, None)
        if confirm is not None and not confirm(planned):
            return DeployResult(planned, applied=False)
        events = EngineEvents(planned.total, on_progress)
        with _engine_errors(stack, "deploy", events):
            result = selected.up(on_event=events, color="never")
        outputs = {key: value.value for key, value in result.outputs.items()}
        return DeployResult(planned, applied=True, outputs=outputs, result=events.summary(stack))


def up(
    stack: str, config: Mapping[str, str] | None = None, on_progress: ProgressCallback | None = None
) -> dict[str, Any]:
    """Create-or-select the stack, set `config` as `pulumi config set` would, update; the outputs.

    Keys without a namespace get the project's (`workers` -> `silver-to-gold:workers`);
    `aws:region` style keys are kept. A preview runs first, as in `pulumi up`, for the step
    count; then `on_progress` gets a StepProgress as each resource starts and finishes.

    Raises:
        DeployError: no Pulumi CLI, a bad config key or value, or the engine's failure.
    """
    return deploy(stack, config, on_progress).outputs


def destroy(
    stack: str,
    on_progress: ProgressCallback | None = None,
    confirm: Callable[[dict[str, Any]], bool] | None = None,
) -> ChangeSummary | None:
    """Delete the stack's resources; what happens to the lake bucket is the `lakeOnDestroy` output.

    `confirm` gets the stack's outputs (to tell the user about the lake first); when it
    declines, nothing is destroyed and None is returned.

    Raises:
        DeployError: no Pulumi CLI, an unknown stack, or the engine's failure.
    """
    workspace = _workspace(stack)
    with _engine_errors(stack, "destroy"):
        selected = _select(workspace, stack)
        outputs = {key: value.value for key, value in selected.outputs().items()}
        if confirm is not None and not confirm(outputs):
            return None
        count = next((s.resource_count for s in workspace.list_stacks() if s.name == stack), None)
        # `stack ls` counts every resource of the state, the default AWS provider included (the
        # program's only provider); its delete is internal, so neither counted nor shown.
        total = None if count is None else max(count - DEFAULT_PROVIDERS, 0)
        events = EngineEvents(total, on_progress)
        with _engine_errors(stack, "destroy", events):
            selected.destroy(on_event=events, color="never")
        return events.summary(stack)


def lake_notice(stack: str, outputs: Mapping[str, Any]) -> str:
    """What `destroy` does to the lake bucket and its data, from the stack's outputs."""
    bucket = outputs.get(out.BUCKET)
    if not outputs or not bucket:
        return f"Stack {stack!r} has no outputs (never deployed, or already destroyed): no lake bucket to lose."
    where = f"s3://{bucket}"
    policy = outputs.get(out.LAKE_ON_DESTROY)
    if policy == "retained":
        return (
            f"The lake bucket {where} and all its data are KEPT ({out.LAKE_ON_DESTROY}=retained): Pulumi stops "
            f"managing it; delete it yourself (aws s3 rb {where} --force) when nobody needs the data."
        )
    if policy == "deleted":
        return (
            f"The lake bucket {where} is DELETED with all its data: silver, gold, quarantine and run reports "
            f"({out.LAKE_ON_DESTROY}=deleted)."
        )
    return (
        f"The stack does not say what destroy does to the lake bucket {where} (no {out.LAKE_ON_DESTROY} output: "
        "deployed by an older version): assume its data is deleted; copy what you need first."
    )
