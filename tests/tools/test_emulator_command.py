"""`python -m tools.emulator` (`make emulator`) as a newcomer runs it: it says what to set,
writes the outputs file and env.sh, answers the verbs, refuses a port in use, stops on TERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tools.docs.scenarios import free_port

# Runs the CLI as a subprocess: in `make test`, not in `make check`.
pytestmark = pytest.mark.cli


def test_the_emulator_command_drives_the_verbs_and_stops_cleanly(tmp_path, project_root):
    env = {**os.environ, "PYTHONPATH": str(project_root)}
    port = free_port()
    emulator = subprocess.Popen(
        [sys.executable, "-m", "tools.emulator", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        startup = []
        for line in emulator.stdout:
            startup.append(line)
            if "Ctrl-C stops the emulator" in line:
                break
        text = "".join(startup)
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}" in text
        assert "played by the emulator" in text
        outputs = json.loads((tmp_path / ".emulator" / "outputs.json").read_text())
        assert outputs["jobName"] == "job-transform-silver-to-gold"
        exports = (tmp_path / ".emulator" / "env.sh").read_text()
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}\n" in exports

        shell = f"source .emulator/env.sh && {sys.executable} -m automation"
        query = subprocess.run(
            ["bash", "-c", f"{shell} query --sql 'SELECT 40 + 2 AS n' --json --outputs-file .emulator/outputs.json"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert query.returncode == 0, query.stderr
        assert json.loads(query.stdout.splitlines()[-1])["rows"] == [{"n": 42}]  # DuckDB answered

        second = subprocess.run(
            [sys.executable, "-m", "tools.emulator", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert second.stderr.strip() == f"error: port {port} is in use: pass --port N (make emulator PORT=N)"
    finally:
        emulator.send_signal(signal.SIGTERM)
        out, err = emulator.communicate(timeout=60)
    assert emulator.returncode == 0, err
    assert out.strip().endswith("emulator stopped") and "Traceback" not in err
