"""The Automation API layer: preview, deploy, destroy and read the outputs of a stack.

Drives the Pulumi CLI through `pulumi.automation`: a `LocalWorkspace` on the project
folder (`Pulumi.yaml`, `Pulumi.<stack>.yaml`), the stack created or selected, config set
as `pulumi config set` sets it, the engine's events turned into progress. The SDK runs
`pulumi` from PATH; without it every function here raises `DeployError` before the SDK
is touched. Errors reach the user as one line (`DeployError`), never a traceback.

This module must not call AWS and never writes stack files: the CLI owns the state and
the SDK speaks to the CLI. It reads `Pulumi.<stack>.yaml` once, to validate `--config`
values before `pulumi config set` saves them there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etl.errors import PipelineError, describe_failure
from infra import outputs as out
from infra.settings import PROJECT, SettingsError, settings_from_config

PROJECT_DIR = Path(__file__).resolve().parents[1]
INSTALL_URL = "https://www.pulumi.com/docs/install/"
MISSING_CLI = (
    f"the Pulumi CLI is not on PATH: install it ({INSTALL_URL}); without it, the operations verbs work "
    "with --outputs-file FILE (the JSON of `pulumi stack output --json`)"
)
# Counted as "changes"; everything else the engine reports (same, read, refresh...) is not.
CHANGE_OPS = ("create", "update", "replace", "delete")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|<\{%[^%]*%\}>")


class DeployError(PipelineError):
    """A deploy, preview, destroy or outputs request failed; the message is one line for the user."""


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


# --- config -----------------------------------------------------------------------------


def parse_config_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """`KEY=VALUE` strings (the CLI's `--config`) to a dict, in order; DeployError naming a bad one."""
    config: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise DeployError(f"--config {pair!r} is not KEY=VALUE (e.g. --config workers=4 or aws:region=eu-west-1)")
        config[key] = value
    return config


def namespaced(key: str) -> str:
    """The key as `pulumi config set` stores it: `workers` -> `silver-to-gold:workers`; `aws:region` kept."""
    parts = key.split(":")
    if len(parts) == 1:
        return f"{PROJECT}:{key}"
    if len(parts) == 2 and all(parts):
        return key
    raise DeployError(f"config key {key!r} is not NAME or NAMESPACE:NAME (e.g. workers or aws:region)")


def check_config(stack: str, config: Mapping[str, str] | None) -> dict[str, str]:
    """Namespace the keys and validate the stack's config with them, before Pulumi stores any.

    `pulumi config set` writes into `Pulumi.<stack>.yaml`: a bad value would be saved and
    then fail every update. The merged config goes through the program's own settings
    validation, so the message is the one the program would give (key, value, allowed).
    """
    keys = {namespaced(key): str(value) for key, value in (config or {}).items()}
    # Encrypted values (`secure:` mappings) cannot be checked here; the program checks them.
    in_file = {key: value for key, value in _stack_file_config(stack).items() if not isinstance(value, Mapping)}
    project = {key.split(":", 1)[1]: value for key, value in in_file.items() if key.startswith(f"{PROJECT}:")}
    region = in_file.get("aws:region")
    for key, value in keys.items():
        if key.startswith(f"{PROJECT}:"):
            project[key.split(":", 1)[1]] = value
        elif key == "aws:region":
            region = value
    try:
        settings_from_config(stack, project, region)
    except SettingsError as error:
        raise DeployError(str(error)) from None
    return keys


def _stack_file_config(stack: str) -> dict[str, Any]:
    import yaml

    path = PROJECT_DIR / f"Pulumi.{stack.split('/')[-1]}.yaml"  # org/project/dev -> Pulumi.dev.yaml, as the SDK
    if not path.exists():
        return {}
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise DeployError(f"{path.name} is not valid YAML: {str(error).splitlines()[0]}") from None
    return dict(document.get("config") or {})


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


def _workspace():
    """A LocalWorkspace on the project folder (runs `pulumi version` for the SDK's version check)."""
    require_pulumi_cli()
    from pulumi import automation as auto

    try:
        return auto.LocalWorkspace(work_dir=str(PROJECT_DIR))
    except auto.InvalidVersionError as error:
        raise DeployError(f"the Pulumi CLI on PATH is not usable by this SDK: {error}") from None
    except (subprocess.CalledProcessError, OSError) as error:
        reason = _first_line(str(error))
        raise DeployError(f"`pulumi version` failed ({reason}): is the Pulumi CLI on PATH working?") from None


def _select(workspace, stack: str):
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


def _create_or_select(workspace, stack: str, config: Mapping[str, str]):
    from pulumi import automation as auto

    selected = auto.Stack.create_or_select(stack, workspace)
    if config:
        selected.set_all_config({key: auto.ConfigValue(value=value) for key, value in config.items()})
    return selected


# --- engine events -----------------------------------------------------------------------


def _clean(text: str) -> str:
    return _ANSI.sub("", text or "")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in _clean(text).splitlines() if line.strip()]
    return lines[0] if lines else ""


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
    lines = [line.strip() for line in _clean(message).splitlines() if line.strip()]
    if not lines:
        return ""
    if any(line.startswith("Traceback (most recent call last)") for line in lines):
        return lines[-1]
    first = lines[0]
    return first[len("error: ") :] if first.startswith("error: ") else first


class _EngineEvents:
    """Turns the engine's event stream into StepProgress calls, and keeps what a summary needs."""

    def __init__(self, total: int | None, on_progress: ProgressCallback | None):
        self.total = total
        self.on_progress = on_progress
        self.done = 0
        self.counts: dict[str, int] | None = None
        self.steps: list[tuple[str, str, str]] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, event) -> None:
        with self._lock:
            if event.resource_pre_event is not None:
                meta = event.resource_pre_event.metadata
                op = _op(meta.op)
                type_, name = _urn_resource(meta.urn, meta.type)
                if op in CHANGE_OPS:  # a replacement's create-replacement/delete-replaced steps are one "replace"
                    self.steps.append((op, type_, name))
                self._report(op, f"{type_} {name}", finished=False)
            elif event.res_outputs_event is not None:
                meta = event.res_outputs_event.metadata
                type_, name = _urn_resource(meta.urn, meta.type)
                self.done += 1
                self._report(_op(meta.op), f"{type_} {name}", finished=True)
            elif event.res_op_failed_event is not None:
                meta = event.res_op_failed_event.metadata
                type_, name = _urn_resource(meta.urn, meta.type)
                self._report(_op(meta.op), f"{type_} {name}", finished=True, failed=True)
            elif event.diagnostic_event is not None and event.diagnostic_event.severity == "error":
                diagnostic = event.diagnostic_event
                summary = _error_summary(diagnostic.message)
                if summary:
                    type_, name = _urn_resource(diagnostic.urn or "")
                    where = f"{type_} {name}: " if diagnostic.urn and type_ != "pulumi:pulumi:Stack" else ""
                    self.errors.append(f"{where}{summary}")
            elif event.summary_event is not None:
                self.counts = {_op(op): int(n) for op, n in event.summary_event.resource_changes.items()}

    def _report(self, op: str, resource: str, finished: bool, failed: bool = False) -> None:
        if self.on_progress is None:
            return
        total = None if self.total is None else max(self.total, self.done)
        self.on_progress(StepProgress(self.done, total, op, resource, finished, failed))

    def summary(self, stack: str) -> ChangeSummary:
        return ChangeSummary(stack, dict(self.counts or {}), tuple(self.steps))


def _op(op: Any) -> str:
    return str(getattr(op, "value", op))


@contextmanager
def _engine_errors(stack: str, action: str, events: _EngineEvents | None = None) -> Iterator[None]:
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
    for line in _clean(text).splitlines():
        line = re.sub(r"^(stdout|stderr):", "", line.strip()).strip()  # str(CommandError) labels the streams
        if line.startswith("error:"):
            return line[len("error:") :].strip()
    code = re.search(r"code: (-?\d+)", text)
    return f"the Pulumi CLI exited with code {code.group(1)}" if code else _first_line(text)


# --- the operations ----------------------------------------------------------------------


def stack_outputs(stack: str) -> dict[str, Any]:
    """The stack's outputs as plain values (secrets shown), through the Automation API.

    Raises:
        DeployError: no Pulumi CLI, an unknown stack (naming the known ones), or a CLI failure.
    """
    workspace = _workspace()
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
    workspace = _workspace()
    with _engine_errors(stack, "preview"):
        selected = _create_or_select(workspace, stack, keys)
        return _preview(selected, on_progress)


def _preview(selected, on_progress: ProgressCallback | None) -> ChangeSummary:
    events = _EngineEvents(None, on_progress)
    with _engine_errors(selected.name, "preview", events):
        result = selected.preview(on_event=events, color="never")
    if events.counts is None:
        events.counts = {_op(op): int(n) for op, n in result.change_summary.items()}
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
    workspace = _workspace()
    with _engine_errors(stack, "deploy"):
        selected = _create_or_select(workspace, stack, keys)
        planned = _preview(selected, None)
        if confirm is not None and not confirm(planned):
            return DeployResult(planned, applied=False)
        events = _EngineEvents(planned.total, on_progress)
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
    workspace = _workspace()
    with _engine_errors(stack, "destroy"):
        selected = _select(workspace, stack)
        outputs = {key: value.value for key, value in selected.outputs().items()}
        if confirm is not None and not confirm(outputs):
            return None
        count = next((s.resource_count for s in workspace.list_stacks() if s.name == stack), None)
        events = _EngineEvents(count, on_progress)
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


# --- the CLI verbs: `python -m automation deploy|destroy|outputs` (parsers in automation.cli) ---

EXIT_OK = 0
EXIT_FAILED = 1
_PAST = {"create": "created", "update": "updated", "delete": "deleted", "replace": "replaced", "same": "unchanged"}
_DOING = {"create": "creating", "update": "updating", "delete": "deleting", "replace": "replacing", "same": "checking"}


class ProgressDisplay:
    """Engine steps on stderr: a progress bar on a terminal (done of total, the resource in
    flight), else one line per finished change, `[ 5/34] created  <type> <name>`."""

    def __init__(self, console):
        self.console = console
        self.progress = None
        self.task = None
        self.in_flight: list[str] = []

    def __call__(self, step: StepProgress) -> None:
        if step.finished and step.resource in self.in_flight:
            self.in_flight.remove(step.resource)
        elif not step.finished:
            self.in_flight.append(step.resource)
        if self.console.is_terminal:
            self._bar(step)
        elif step.failed:
            self._line(f"{self._count(step)} failed   {step.op} {step.resource}")
        elif step.finished and step.op != "same":
            self._line(f"{self._count(step)} {_PAST.get(step.op, step.op):<9}{step.resource}")

    def _line(self, text: str) -> None:
        self.console.print(text, highlight=False, soft_wrap=True, markup=False)

    def _count(self, step: StepProgress) -> str:
        total = "?" if step.total is None else str(step.total)
        return f"[{step.done:>{len(total)}}/{total}]"

    def _bar(self, step: StepProgress) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        if self.progress is None:
            self.progress = Progress(
                SpinnerColumn(),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=self.console,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("", total=step.total)
        current = self.in_flight[-1] if self.in_flight else step.resource
        doing = _DOING.get(step.op, step.op) if self.in_flight else _PAST.get(step.op, step.op)
        self.progress.update(self.task, completed=step.done, total=step.total, description=f"{doing} {current}")
        if step.failed:
            self.progress.console.print(f"[red]✗[/] {step.op} {step.resource} failed", highlight=False)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _consoles():
    """stdout and stderr consoles; logs and pipes get wide lines, never cut or wrapped at 80 columns."""
    from rich.console import Console

    consoles = []
    for stderr in (False, True):
        console = Console(stderr=stderr)
        consoles.append(console if console.is_terminal else Console(stderr=stderr, width=200))
    return consoles


def _fail(err, message: str) -> int:
    err.print(f"error: {message}", highlight=False, soft_wrap=True, markup=False)
    return EXIT_FAILED


def _interrupted(stack: str) -> str:
    return (
        f"interrupted: Pulumi stops after the steps in flight; run the same command again to finish stack "
        f"{stack!r} (`pulumi refresh --stack {stack}` if Pulumi reports pending operations)"
    )


def _print_preview(console, summary: ChangeSummary) -> None:
    console.print(f"Preview of stack {summary.stack!r}: {summary.line()}", highlight=False, soft_wrap=True)
    for op, type_, name in summary.steps:
        console.print(f"  {op:<9}{type_} {name}", highlight=False, soft_wrap=True, markup=False)


def _print_outputs(console, stack: str, outputs: Mapping[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"Outputs of stack {stack!r}", title_justify="left")
    table.add_column("output")
    table.add_column("value", overflow="fold")
    for key in sorted(outputs):
        table.add_row(key, str(outputs[key]))
    console.print(table)


def _stdin_is_terminal() -> bool:
    import sys

    return sys.stdin is not None and sys.stdin.isatty()


class _CtrlC:
    """Ctrl-C during an engine operation: let Pulumi stop gracefully, then say so in one line.

    In a terminal, Ctrl-C reaches the whole process group: the Pulumi CLI gets it too and
    cancels after the steps in flight. Raising KeyboardInterrupt here instead would close
    the CLI's output pipes under it (the SDK reads them) and could kill it mid-cancel, so
    the first Ctrl-C only takes note; a second one quits at once, as Pulumi's own does.
    """

    def __init__(self, console):
        self.console = console
        self.interrupted = False
        self._previous = None

    def __enter__(self):
        import signal

        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        import signal

        signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum, frame) -> None:
        if self.interrupted:
            import threading

            threading.excepthook = lambda args: None  # the SDK's pipe readers die with the pipes: no noise
            raise KeyboardInterrupt
        self.interrupted = True
        self.console.print("Ctrl-C: Pulumi stops after the steps in flight (Ctrl-C again to quit now)", highlight=False)

    @contextmanager
    def prompt(self) -> Iterator[None]:
        """Ctrl-C at a question quits at once: nothing is running."""
        import signal

        handler = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, handler)


def _ask(err, ctrl_c, args, action: str, question: str) -> str | None:
    """The user's answer to `question`; None when `--yes` answered it already.

    Raises:
        DeployError: nobody can answer (stdin is not a terminal) and `--yes` was not given.
    """
    if args.yes:
        return None
    if not _stdin_is_terminal():
        raise DeployError(
            f"refusing to {action} stack {args.stack!r} without confirmation: stdin is not a terminal; rerun with --yes"
        )
    with ctrl_c.prompt():
        return err.input(question, markup=False)


def _failure_line(error: Exception, stack: str, action: str, interrupted: bool) -> str:
    """The one line a failed deploy or destroy prints: ours as they are, the SDK's own
    failures (no summary event, gRPC) summarized, never a traceback."""
    if isinstance(error, DeployError):
        return _interrupted(stack) if interrupted else str(error)
    return f"{action} of stack {stack!r} failed: {describe_failure(error)}"


def deploy_command(args) -> int:
    """`deploy --stack NAME [--preview] [--yes] [--config KEY=VALUE ...] [--json]`."""
    import json

    console, err = _consoles()
    display = ProgressDisplay(err)
    ctrl_c = _CtrlC(err)

    def confirm(summary: ChangeSummary) -> bool:
        _print_preview(console, summary)
        answer = _ask(err, ctrl_c, args, "deploy", f"Deploy these changes to stack {args.stack!r}? [y/N] ")
        return answer is None or answer.strip().lower() in ("y", "yes")

    try:
        config = parse_config_pairs(args.config or [])
        check_config(args.stack, config)
        require_pulumi_cli()
        with ctrl_c:
            if args.preview:
                summary = preview(args.stack, config)
            else:
                err.print(f"Previewing stack {args.stack!r} ...", highlight=False)
                try:
                    result = deploy(args.stack, config, display, confirm)
                finally:
                    display.close()
    except KeyboardInterrupt:
        display.close()
        return _fail(err, _interrupted(args.stack))
    except Exception as error:
        return _fail(err, _failure_line(error, args.stack, "deploy", ctrl_c.interrupted))
    if args.preview:
        _print_preview(console, summary)
        if args.json:
            print(json.dumps(summary.to_dict(), sort_keys=True))
        return EXIT_OK
    if not result.applied:
        kept = " (the --config values stay set in the stack's config)" if args.config else ""
        return _fail(err, f"deploy declined: stack {args.stack!r} not updated{kept}")
    done = result.result or result.preview
    console.print(f"Deployed stack {args.stack!r}: {done.line(done=True)}", highlight=False)
    _print_outputs(console, args.stack, result.outputs)
    if args.json:
        print(json.dumps(result.to_dict(), sort_keys=True, default=str))
    return EXIT_OK


def destroy_command(args) -> int:
    """`destroy --stack NAME [--yes] [--json]`: says what happens to the lake, then asks."""
    import json

    console, err = _consoles()
    display = ProgressDisplay(err)
    ctrl_c = _CtrlC(err)
    seen: dict[str, Any] = {}

    def confirm(outputs: dict[str, Any]) -> bool:
        seen.update(outputs)
        console.print(f"Destroying stack {args.stack!r} deletes every resource it manages.", highlight=False)
        console.print(lake_notice(args.stack, outputs), highlight=False, soft_wrap=True)
        answer = _ask(err, ctrl_c, args, "destroy", f"Type the stack name ({args.stack}) to destroy it: ")
        return answer is None or answer.strip() == args.stack

    try:
        with ctrl_c:
            try:
                result = destroy(args.stack, display, confirm)
            finally:
                display.close()
    except KeyboardInterrupt:
        display.close()
        return _fail(err, _interrupted(args.stack))
    except Exception as error:
        return _fail(err, _failure_line(error, args.stack, "destroy", ctrl_c.interrupted))
    if result is None:
        return _fail(err, f"destroy declined: stack {args.stack!r} unchanged")
    console.print(f"Destroyed stack {args.stack!r}: {result.count('delete')} resources deleted.", highlight=False)
    if args.json:
        report = {
            "stack": args.stack,
            "destroyed": True,
            "changes": dict(sorted(result.counts.items())),
            out.BUCKET: seen.get(out.BUCKET),
            out.LAKE_ON_DESTROY: seen.get(out.LAKE_ON_DESTROY),
        }
        print(json.dumps(report, sort_keys=True))
    return EXIT_OK


def outputs_command(args) -> int:
    """`outputs --stack NAME [--json]`: `--json` prints what `pulumi stack output --json --show-secrets` does."""
    import json

    console, err = _consoles()
    try:
        outputs = stack_outputs(args.stack)
    except DeployError as error:
        return _fail(err, str(error))
    except KeyboardInterrupt:
        return _fail(err, "interrupted")
    if args.json:
        # The Pulumi CLI's encoder: two-space indent, sorted keys, no HTML escaping.
        print(json.dumps(outputs, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        _print_outputs(console, args.stack, outputs)
    return EXIT_OK
