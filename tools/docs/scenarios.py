"""Where the examples' commands run, each as a user runs it (a subprocess, `python -m ...`):

- `LocalScenario`: a scratch folder as the working directory (`python -m automation local`
  puts its `.lake/` there).
- `EmulatorScenario`: `python -m tools.emulator` started as a user starts it (`make
  emulator`), in a scratch folder, on a free loopback port; commands get the environment it
  prints. Glue runs are played by it, Athena answered by DuckDB (see `tools.emulator`).
- `StandInScenario`: the Pulumi verbs against the stand-in `pulumi` the tests use
  (`tests/automation/fake_pulumi/pulumi.py`: the Pulumi CLI cannot be installed here), its
  stack's resources and outputs those `python -m automation synth --stack dev --json` renders.

A command is written as the docs show it (`python -m automation ...`, optionally `| head -3`
or `< /dev/null`); `python` is this interpreter.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.docs.masks import Masker
from tools.emulator import PROJECT_ROOT, Emulator

FAKE_PULUMI = PROJECT_ROOT / "tests" / "automation" / "fake_pulumi"


@dataclass(frozen=True)
class Ran:
    """One command's outcome."""

    command: str
    exit_code: int
    stdout: str
    stderr: str


class Scenario:
    """A working directory, an environment, and a masker shared by the scenario's examples."""

    name = "scenario"
    note = ""  # the one line said above each of its blocks
    scratch_in: str | None = None  # where the scratch folder goes (None: $TMPDIR)
    scratch_prefix = "silver-to-gold-docs-"

    def __init__(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix=self.scratch_prefix, dir=self.scratch_in))
        self.cwd = self.scratch
        self.env: dict[str, str] = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "COLUMNS": "200"}
        for name in ("FORCE_COLOR", "CLICOLOR_FORCE"):
            self.env.pop(name, None)
        self.masker = Masker({str(self.scratch): "/…", tempfile.gettempdir(): "/tmp"})
        self.values: dict[str, str] = {}

    def start(self) -> None:
        """Get ready (before the first command)."""

    def stop(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)

    def run(self, command: str, env: dict[str, str] | None = None, merged: bool = False, timeout: float = 600) -> Ran:
        """Run `command` as shown in the docs, with `{name}` filled from `self.values`;
        `merged`: stderr into stdout, in the order they were written (as a terminal shows)."""
        shown = command.format(**self.values)
        real = _real_command(shown)
        result = subprocess.run(
            ["bash", "-c", f"{{ {real}; }} 2>&1" if merged else real],
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return Ran(shown, result.returncode, result.stdout, result.stderr)


def _real_command(shown: str) -> str:
    """The shown command for bash, its `python` (or `.venv/bin/python`) this interpreter: the
    leading word of each pipeline stage, after any `NAME=value` assignments."""
    python = shlex.quote(sys.executable)
    stages = []
    for stage in shown.split(" | "):
        words = stage.split(" ")
        at = next((i for i, w in enumerate(words) if "=" not in w), 0)
        if words[at] in ("python", ".venv/bin/python"):
            words[at] = python
        stages.append(" ".join(words))
    return "set -o pipefail; " + " | ".join(stages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalScenario(Scenario):
    name = "local"
    # A scratch path of the same length on every machine: Spark's file names in a table (the
    # rows to trace of `rejects --lake`) then wrap, or not, the same way whatever $TMPDIR is.
    scratch_in = "/tmp"
    scratch_prefix = "s2g-"
    note = (
        "Output of the commands below from a local run (`python -m automation local`: local Spark, a Hive "
        "metastore and a directory lake in a scratch folder, no AWS); times, run ids and temporary paths are masked."
    )


class EmulatorScenario(Scenario):
    """`python -m tools.emulator` in a scratch folder; commands run there with its environment."""

    name = "emulator"
    note = (
        "Output of the commands below against the emulator (`python -m tools.emulator`, above): the Glue "
        "job is played by it with pyarrow; run and query ids, times and temporary paths are masked."
    )
    ready_line = "Ctrl-C stops the emulator."

    def start(self) -> None:
        self.port = free_port()
        self.startup: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tools.emulator", "--port", str(self.port)],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        stdout, stderr = self.process.stdout, self.process.stderr
        assert stdout is not None and stderr is not None  # both PIPE above
        for line in stdout:
            self.startup.append(line.rstrip("\n"))
            if self.ready_line in line:
                break
        else:
            raise RuntimeError("the emulator did not start: " + stderr.read())
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = Emulator(self.url).env(AWS_PROFILE="", AWS_REGION="")
        self.env.pop("AWS_PROFILE")
        self.env.pop("AWS_REGION")
        self.env["COLUMNS"] = "200"
        self.control = Emulator(self.url)

    def stop(self) -> None:
        if getattr(self, "process", None) is not None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        super().stop()


class StandInScenario(Scenario):
    """The Pulumi verbs against the tests' stand-in `pulumi`, first on PATH, answering for the
    dev stack as synth renders it."""

    name = "stand-in pulumi"
    note = (
        "Output of the commands below against the stand-in `pulumi` of the tests "
        "(`tests/automation/fake_pulumi/`; the Pulumi CLI cannot be installed on our build machines), "
        "answering with the resources and outputs `synth --stack dev` renders."
    )

    def start(self) -> None:
        from tools.emulator import render_stack

        rendering = render_stack("dev")
        bin_dir = self.scratch / "bin"
        bin_dir.mkdir()
        shutil.copy(FAKE_PULUMI / "pulumi.py", bin_dir / "pulumi")
        shutil.copy(FAKE_PULUMI / "project.json", bin_dir / "project.json")
        (bin_dir / "pulumi").chmod(0o755)
        self.state_file = self.scratch / "state.json"
        self.log_file = self.scratch / "commands.jsonl"
        self.log_file.write_text("")
        self.resources = _stand_in_resources(rendering["resources"])
        self.outputs = rendering["outputs"]
        self.write_state(
            {
                "version": "v3.272.0",
                "current": None,
                "stacks": {},
                "resources": self.resources,
                "template_outputs": self.outputs,
                "scenario": {},
            }
        )
        self.cwd = PROJECT_ROOT
        self.env = {
            **{k: v for k, v in self.env.items() if not k.startswith("PULUMI_")},
            "PATH": os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]]),
            "FAKE_PULUMI_STATE": str(self.state_file),
            "FAKE_PULUMI_LOG": str(self.log_file),
            # Logged in to Pulumi Cloud as CI is (a token in the environment), never with this
            # machine's own login (`automation/stack/backend.py` checks before Pulumi runs).
            "PULUMI_HOME": str(self.scratch / ".pulumi"),
            "PULUMI_ACCESS_TOKEN": "pul-docs-token",
        }
        self.project_files = _project_files()
        self.masker.rules = Masker({str(self.scratch): "/…"}, ids=False).rules

    def read_state(self) -> dict[str, Any]:
        return json.loads(self.state_file.read_text())

    def write_state(self, state: dict[str, Any]) -> None:
        self.state_file.write_text(json.dumps(state))

    def update(self, **changes: Any) -> None:
        state = self.read_state()
        state.update(changes)
        self.write_state(state)

    def deployed(self) -> None:
        """The dev stack as after a first `pulumi up`."""
        state = self.read_state()
        state["stacks"]["dev"] = {
            "deployed": True,
            "outputs": self.outputs,
            "config": {},
            "history": [
                {
                    "version": 1,
                    "kind": "update",
                    "startTime": "2026-11-20T08:00:00.000000Z",
                    "endTime": "2026-11-20T08:03:00.000000Z",
                    "message": "",
                    "environment": {"exec.kind": "auto.local"},
                    "config": {},
                    "result": "succeeded",
                    # the stack and its resources; the default provider is internal, not counted
                    "resourceChanges": {"create": len(self.resources) + 1},
                }
            ],
        }
        state["current"] = "dev"
        self.write_state(state)

    def fresh(self) -> None:
        """No stack yet; no scenario."""
        self.update(stacks={}, current=None, scenario={})
        self.log_file.write_text("")

    def commands(self) -> list[str]:
        return [" ".join(json.loads(line)["argv"]) for line in self.log_file.read_text().splitlines()]

    def stop(self) -> None:
        changed = _project_files() != getattr(self, "project_files", _project_files())
        super().stop()
        if changed:
            raise RuntimeError("a stand-in example changed Pulumi.yaml or a Pulumi.<stack>.yaml: it must not")


def _stand_in_resources(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Registration order as the program registers them: the top component, the components it
    makes, then their resources (sorted); every child's parent is the top component."""
    top = "silver-to-gold:index:SilverToGoldPipeline"
    components = sorted(r["type"] for r in resources if not r["type"].startswith("aws:") and r["type"] != top)
    custom = sorted((r["type"], r["name"]) for r in resources if r["type"].startswith("aws:"))
    listed = [{"type": top, "name": "silver-to-gold"}]
    listed += [{"type": t, "name": "silver-to-gold", "parent": top} for t in components]
    listed += [{"type": t, "name": n, "parent": top} for t, n in custom]
    return listed


def _project_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(PROJECT_ROOT.glob("Pulumi*.yaml"))}
