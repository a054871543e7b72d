"""Render each stack once per test session with `python -m automation synth --json` (a
subprocess: Pulumi's mock runtime keeps global state), and index the resources."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest


def synth(stack: str, project_root, env) -> dict:
    """`{"resources": [{type, name, inputs}, ...], "outputs": {...}}` of one stack."""
    return _json_of([sys.executable, "-m", "automation", "synth", "--stack", stack, "--json"], project_root, env)


# Renders a stack from a config given inline (not a Pulumi.<stack>.yaml), in a subprocess.
_RENDER_CONFIG = """
import json, sys
from automation.stack import render
from infra.settings import settings_from_config
stack, config = sys.argv[1], json.loads(sys.argv[2])
print(json.dumps(render(settings_from_config(stack, config, "us-east-1"), config).to_dict(), default=str))
"""


def synth_config(stack: str, config: dict, project_root, env) -> dict:
    """Like `synth`, for a stack named `stack` with project config `config`."""
    return _json_of([sys.executable, "-c", _RENDER_CONFIG, stack, json.dumps(config)], project_root, env)


def _json_of(argv: list[str], project_root, env) -> dict:
    """Run `argv` in a subprocess (Pulumi's mock runtime keeps global state); its JSON stdout.
    Under mutmut's recording pass, the functions the subprocess called come back with it
    (`tests/mutmut_hits`) under the key HITS_KEY; `Rendered` adds them to the running test's record."""
    recording = os.environ.get("MUTANT_UNDER_TEST") == "stats"
    with tempfile.TemporaryDirectory() as scratch:
        if recording:
            hits_file = Path(scratch, "hits")
            env = {
                **env,
                "MUTMUT_HITS_FILE": str(hits_file),
                "PYTHONPATH": os.pathsep.join([str(MUTMUT_HITS_DIR), env.get("PYTHONPATH", "")]),
            }
        result = subprocess.run(argv, capture_output=True, text=True, cwd=project_root, env=env, timeout=300)
        assert result.returncode == 0, result.stderr
        rendering = json.loads(result.stdout)
        rendering[STDERR_KEY] = result.stderr  # what `pulumi preview` would show: the program's warnings
        if recording and hits_file.exists():
            rendering[HITS_KEY] = hits_file.read_text().split()  # noted by each `Rendered` made of it
    return rendering


MUTMUT_HITS_DIR = Path(__file__).resolve().parents[1] / "mutmut_hits"
HITS_KEY = "_mutmut_hits"
STDERR_KEY = "_stderr"


def note_hits(rendering: dict) -> None:
    """Add the functions a rendering called to mutmut's record of the running test (its
    recording pass only), so each test that reads the rendering is run against their mutants."""
    hits = rendering.get(HITS_KEY)
    if hits:
        from mutmut.state import state

        state()._stats.update(hits)


class Rendered:
    def __init__(self, rendering: dict):
        self.resources = rendering["resources"]
        self.outputs = rendering["outputs"]
        self.stderr = rendering.get(STDERR_KEY, "")
        note_hits(rendering)

    def of_type(self, type_token: str) -> list[dict]:
        return [r["inputs"] for r in self.resources if r["type"] == type_token]

    def one(self, type_token: str) -> dict:
        found = self.of_type(type_token)
        assert len(found) == 1, (type_token, len(found))
        return found[0]

    def named(self, name: str) -> dict:
        """The inputs of the resource the program named `name` (e.g. silver-to-gold-lake)."""
        (found,) = [r["inputs"] for r in self.resources if r["name"] == name]
        return found

    def names_of(self, type_token: str) -> list[str]:
        return [r["inputs"]["name"] for r in self.resources if r["type"] == type_token]

    def policies(self) -> dict[str, dict]:
        """Every IAM-style policy document the program declares, by resource name."""
        found = {}
        for r in self.resources:
            for key in ("policy", "assumeRolePolicy"):
                if key in r["inputs"]:
                    found[f"{r['name']}.{key}"] = json.loads(r["inputs"][key])
        return found


# Each stack is rendered once a session; `dev`, `prod` and `stack` are per test so that, under
# mutmut's recording pass, every test that reads a rendering is recorded as reaching what it called.
@pytest.fixture(scope="session")
def dev_rendered(project_root, cli_env) -> dict:
    return synth("dev", project_root, cli_env)


@pytest.fixture(scope="session")
def prod_rendered(project_root, cli_env) -> dict:
    return synth("prod", project_root, cli_env)


@pytest.fixture
def dev(dev_rendered) -> Rendered:
    return Rendered(dev_rendered)


@pytest.fixture
def prod(prod_rendered) -> Rendered:
    return Rendered(prod_rendered)


@pytest.fixture(params=["dev", "prod"])
def stack(request) -> Rendered:
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def render_config(project_root, cli_env):
    """`render_config(stack, config)` -> Rendered, for configurations no stack file has."""
    return lambda stack, config: Rendered(synth_config(stack, config, project_root, cli_env))
