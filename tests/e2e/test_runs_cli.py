"""`runs` and the run ids the AWS verbs name, end to end against the emulator (issue 23): the
played runs listed newest first with their figures and cost, an unknown id refused naming the
latest runs, and a refusal's hint pasteable as it is (it carries the user's --outputs-file).

Expected numbers are worked out by hand: the emulator reports every run with ExecutionTime
123 s on the job's G.1X x 2 workers (2 DPU x 123 s = 246 DPU-s; 246 / 3600 x $0.44 = $0.030067).
"""

from __future__ import annotations

import json

import pytest

from infra import outputs as out
from tests.aws_emulator import GluePlayer, write_silver_dataset
from tests.e2e.test_aws_cli import SILVER_ROWS, assert_one_line_error, cli, last_json

pytestmark = pytest.mark.e2e


def test_runs_lists_the_played_runs_newest_first_with_their_figures(aws_stack, tmp_path):
    silver = write_silver_dataset(tmp_path / "silver", SILVER_ROWS)
    last_json(cli(aws_stack, "load-silver", "--silver-path", str(silver), "--json"))
    with GluePlayer(aws_stack):
        first = last_json(cli(aws_stack, "run", "--json"))["run_id"]
        second = last_json(cli(aws_stack, "run", "--mode", "full", "--json"))["run_id"]

    listed = last_json(cli(aws_stack, "runs", "--json"))
    assert listed["backend"] == "aws"
    runs = listed["runs"]
    assert [run["run_id"] for run in runs] == [second, first]
    # Three silver rows, one rejected (idade is null), two months written, by either run.
    for run, mode in zip(runs, ("full", "incremental"), strict=True):
        assert run["state"] == "SUCCEEDED" and run["mode"] == mode
        assert (run["rows_read"], run["rows_rejected"], run["rows_written"], run["partitions_written"]) == (3, 1, 2, 2)
        assert run["seconds"] == 123.0 and run["cost_usd"] == 0.030067
        assert run["started"].endswith("+00:00")

    shown = cli(aws_stack, "runs")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.index(second) < shown.stdout.index(first)
    assert f"python -m automation rejects --run-id RUN_ID --outputs-file {aws_stack.outputs_file}" in shown.stdout


def test_an_unknown_run_id_is_refused_naming_the_latest_runs(aws_stack, tmp_path):
    silver = write_silver_dataset(tmp_path / "silver", SILVER_ROWS)
    last_json(cli(aws_stack, "load-silver", "--silver-path", str(silver), "--json"))
    with GluePlayer(aws_stack):
        older = last_json(cli(aws_stack, "run", "--json"))["run_id"]
        newer = last_json(cli(aws_stack, "run", "--json"))["run_id"]
    played = f"{newer}, {older}"  # newest first, whatever order Glue (or moto) lists them in
    job = aws_stack[out.JOB_NAME]
    runs = f"`python -m automation runs --outputs-file {aws_stack.outputs_file}`"

    line = assert_one_line_error(cli(aws_stack, "status", "--run-id", "jr_bogus"))
    assert line == f"error: job {job} has no run jr_bogus: its latest runs are {played}; list them with {runs}"

    line = assert_one_line_error(cli(aws_stack, "rejects", "--run-id", "jr_bogus"))
    assert line == (
        f"error: no run jr_bogus in {aws_stack[out.REPORTS_URI]} (no run report of that id): the latest runs are "
        f"{played}; list them with {runs}"
    )


def test_a_refused_run_s_hint_carries_the_outputs_file(aws_stack):
    glue = aws_stack.emulator.client("glue")
    running = glue.start_job_run(JobName=aws_stack[out.JOB_NAME])["JobRunId"]
    line = assert_one_line_error(cli(aws_stack, "run"))
    assert line.endswith(
        f"follow it with `python -m automation status --run-id {running} --wait "
        f"--outputs-file {aws_stack.outputs_file}`"
    )
    assert json.loads(aws_stack.outputs_file.read_text())[out.JOB_NAME] == aws_stack[out.JOB_NAME]
