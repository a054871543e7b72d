"""How an example is written: steps (commands with what to do around them) and how their output
becomes a Markdown block. The registry itself is `tools.docs.examples`.

`Example` and `Step` are generic in their scenario's class, so a set-up that needs the emulator
(or the stand-in) cannot be given to an example of another scenario without mypy saying so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, TypeVar

from tools.docs.scenarios import Ran, Scenario

S = TypeVar("S", bound=Scenario)


@dataclass
class Step(Generic[S]):
    """One command of an example.

    Attributes:
        command: as the docs show it (`python -m automation ...`); `{name}` is filled from
            values an earlier step captured.
        exit: the exit code the example documents; a run that exits otherwise stops the
            generator (the example would be wrong).
        before, after: done around the command (set up a situation; capture a value).
        merged: stdout and stderr as a terminal shows them, interleaved (else `# stdout:` and
            `# stderr:` apart, as the AWS verbs' examples show them).
        keep: (first, last) output lines kept, the ones between cut to `...`.
        transform: applied to stdout before masking (e.g. abridge a JSON document).
        env: environment changes; a value of None unsets the variable.
    """

    command: str
    exit: int = 0
    before: Callable[[S], None] | None = None
    after: Callable[[S, Ran], None] | None = None
    merged: bool = False
    keep: tuple[int, int] | None = None
    transform: Callable[[str], str] | None = None
    env: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Example(Generic[S]):
    """A block of the docs: the output of its steps in a `scenario` (or what `render` makes)."""

    name: str
    scenario: type[S]
    steps: list[Step[S]] = field(default_factory=list)
    fence: str = "text"
    render: Callable[[S], str] | None = None  # Markdown of its own (a table)
    note: bool = True  # the scenario's one-line note above the block


class ExampleFailed(RuntimeError):
    """A step exited with another code than its example documents."""


def run_step(scenario: S, step: Step[S]) -> str:
    """Run one step; its text for the block, masked."""
    if step.before:
        step.before(scenario)
    env = {k: v for k, v in step.env.items() if v is not None}
    unset = [k for k, v in step.env.items() if v is None]
    saved = {k: scenario.env.pop(k) for k in unset if k in scenario.env}
    if step.merged:
        env["PYTHONUNBUFFERED"] = "1"  # stdout as a terminal gets it, between the progress lines
        ran = scenario.run(step.command, env=env, merged=True)
    else:
        ran = scenario.run(step.command, env=env)
    scenario.env.update(saved)
    if ran.exit_code != step.exit:
        raise ExampleFailed(
            f"`{ran.command}` exited {ran.exit_code}, the example documents {step.exit}:\n{ran.stdout}\n{ran.stderr}"
        )
    if step.after:
        step.after(scenario, ran)
    stdout = step.transform(ran.stdout) if step.transform else ran.stdout
    # An abridged block says so on its command line: what the transform kept, `...` for cut lines.
    abridged = [getattr(step.transform, "abridged", "abridged")] if step.transform else []
    if step.merged:
        body, cut = _cut(stdout, step.keep)
        notes = ([f"exit {ran.exit_code}"] if ran.exit_code else []) + abridged + ([cut] if cut else [])
        text = f"$ {ran.command}{_comment(notes)}\n" + body
    else:
        out, cut_out = _cut(stdout, step.keep)
        err, cut_err = _cut(ran.stderr, step.keep)
        cut = cut_out or cut_err
        text = f"$ {ran.command}{_comment([f'exit {ran.exit_code}', *abridged, *([cut] if cut else [])])}\n"
        if stdout.strip():
            text += "# stdout:\n" + out
        if ran.stderr.strip():
            text += "# stderr:\n" + err
    return scenario.masker(text.rstrip("\n"))


def _comment(notes: list[str]) -> str:
    return f"   # {'; '.join(notes)}" if notes else ""


def _cut(text: str, keep: tuple[int, int] | None) -> tuple[str, str]:
    """The text with the lines between the first and last `keep` cut to `...`, and a note
    saying so ("" when nothing was cut)."""
    lines = text.rstrip("\n").split("\n")
    if keep and len(lines) > keep[0] + keep[1] + 1:
        lines = lines[: keep[0]] + ["..."] + (lines[-keep[1] :] if keep[1] else [])
        return "\n".join(lines) + "\n", "abridged: ... marks lines left out"
    return "\n".join(lines) + "\n", ""


def render_example(example: Example[S], scenario: S) -> str:
    """The Markdown between the example's markers."""
    if example.render is not None:
        body = example.render(scenario)
    else:
        outputs = [run_step(scenario, step) for step in example.steps]
        body = f"```{example.fence}\n" + "\n\n".join(outputs) + "\n```"
    note = f"*{scenario.note}*\n\n" if example.note and scenario.note else ""
    return note + body


def lines_starting(*prefixes: str) -> Callable[[str], str]:
    """Only the output lines that start with one of `prefixes` (a step's line of a long run)."""

    def transform(stdout: str) -> str:
        return "".join(line + "\n" for line in stdout.splitlines() if line.startswith(prefixes))

    transform.abridged = f"abridged: only the {' and '.join(repr(p) for p in prefixes)} line"  # type: ignore[attr-defined]
    return transform


def pick_json(keys: list[str], items: int = 2) -> Callable[[str], str]:
    """The last line's JSON object, indented: only `keys` (in that order), lists cut to their
    first `items` entries and "...", so a long document reads as an example."""

    def shorten(value: Any) -> Any:
        if isinstance(value, list) and len(value) > items:
            return value[:items] + ["..."]
        return value

    def transform(stdout: str) -> str:
        document = json.loads(stdout.strip().splitlines()[-1])
        missing = [key for key in keys if key not in document]
        if missing:
            raise ExampleFailed(f"the JSON has no {missing}")
        picked = {key: shorten(document[key]) for key in keys}
        return json.dumps(picked, indent=2) + "\n"

    transform.abridged = (  # type: ignore[attr-defined]
        f"abridged: only the keys shown, lists cut to {items} items and ..."
    )
    return transform
