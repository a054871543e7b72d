"""What `python -m automation synth` shows: every input in full, file assets as their path and
SHA-256, resources in a stable order; and `synth --json` is usable as an outputs file."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from automation.outputs import load_outputs_file

# Runs the CLI as a subprocess: in `make test`, not in `make check`.
pytestmark = pytest.mark.cli


@pytest.fixture(scope="module")
def synth_text(cli_env, project_root) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "automation", "synth", "--stack", "dev"],
        capture_output=True,
        text=True,
        env=cli_env,
        cwd=project_root,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_assets_are_shown_as_their_path_and_hash(synth_text, project_root):
    assert " object at 0x" not in synth_text
    sources = [json.loads(line.split(": ", 1)[1]) for line in synth_text.splitlines() if line.startswith("    source:")]
    assert {s["asset"] for s in sources} >= {"etl/job.py"}
    for source in sources:
        assert source["sha256"] == hashlib.sha256((project_root / source["asset"]).read_bytes()).hexdigest()


def test_every_input_is_shown_in_full(synth_text):
    assert not [line for line in synth_text.splitlines() if line.endswith("...")]
    policy = next(line for line in synth_text.splitlines() if line.startswith("    policy: "))
    json.loads(json.loads(policy.split(": ", 1)[1]))  # the whole policy document parses


def test_resources_are_sorted_by_type_and_name(synth_text):
    headers = [tuple(line.split("  ")) for line in synth_text.splitlines() if line and not line.startswith(" ")]
    resources = [h for h in headers if len(h) == 2]
    assert len(resources) > 40
    assert resources == sorted(resources)


def test_synth_json_is_accepted_as_an_outputs_file(tmp_path):
    synth_json = tmp_path / "dev.json"
    synth_json.write_text(json.dumps({"resources": [], "outputs": {"jobName": "job-x", "region": "us-east-1"}}))
    outputs = load_outputs_file(synth_json)
    assert outputs.job_name == "job-x"
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"jobName": "job-y"}))
    assert load_outputs_file(plain).job_name == "job-y"
