"""Reading the shipped workflows in tests: their jobs, steps and the commands their `run:` scripts run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any, Iterator

from tools.workflow_check import WORKFLOWS, load_workflow

ROOT = WORKFLOWS.parents[1]
# What a `run:` script may call besides make targets and the project's CLI: shell built-ins and
# coreutils every runner has.
SHELL = {"echo", "cat", "tee", "test", "{", "}"}


def workflow(name: str) -> dict[str, Any]:
    return load_workflow(WORKFLOWS / name)


def all_workflows() -> dict[str, dict[str, Any]]:
    return {path.name: load_workflow(path) for path in sorted(WORKFLOWS.glob("*.yml"))}


def jobs(name: str) -> dict[str, dict[str, Any]]:
    return workflow(name)["jobs"]


def run_lines(script: str) -> list[str]:
    """A `run:` script's command lines (blank lines and comments left out)."""
    return [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]


def commands(line: str) -> Iterator[list[str]]:
    """Each simple command of a line (split at `|`, `;`, `&&`, `||` and redirections), as words."""
    for segment in re.split(r"\|\||&&|[|;]", line):
        words = shlex.split(re.sub(r">>?\s*\S+", "", segment))
        if words:
            yield words


def every_command() -> Iterator[tuple[str, str, list[str]]]:
    """(workflow, job, words) of every command of every `run:` step."""
    for name, document in all_workflows().items():
        for job_id, job in document["jobs"].items():
            for step in job.get("steps") or []:
                for line in run_lines(step.get("run", "")):
                    for words in commands(line):
                        yield name, job_id, words


def make_targets(makefile: Path = ROOT / "Makefile") -> set[str]:
    return {m.group(1) for m in re.finditer(r"^([A-Za-z][\w-]*):", makefile.read_text(), re.MULTILINE)}
