"""The CLI's smaller promises, without Spark or AWS (issue 23): a typo is refused with the
nearest verb or option (argparse abbreviations off), a hint can be pasted as it is, counts
say `1 row`, a run's mode is said once, a missing outputs file says how to make one, and
`logs --follow` prints in time order. Expected texts are written out here."""

from __future__ import annotations

import inspect
import io
import json
import re
import time

import pytest
from botocore.stub import Stubber
from rich.console import Console

from automation.aws.logs import follow_driver_log
from automation.cli import build_parser, main, pasteable
from automation.cli.console import HEARTBEAT_SECONDS, heartbeat
from automation.wording import mode_text, plural
from etl.report import RunReport
from infra import outputs as out
from tests.automation.test_aws_backend import OUTPUTS, no_sleep, stubbed, stubbed_too


def usage_error(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(list(argv))
    assert exited.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_mistyped_verb_names_the_nearest_one(capsys):
    line = usage_error(capsys, "rn", "--stack", "dev")
    assert line.startswith("error: argument COMMAND: invalid choice: 'rn' (choose from ")
    assert line.endswith("; did you mean 'run'? (see python -m automation --help)")


def test_an_abbreviated_option_is_refused_with_the_whole_one(capsys):
    # With argparse's abbreviations on, `--mod full` would quietly be `--mode full`.
    line = usage_error(capsys, "local", "--mod", "full")
    assert line == (
        "error: unrecognized arguments: --mod full; did you mean --mode? (see python -m automation local --help)"
    )


def test_a_mistyped_choice_and_a_far_off_option(capsys):
    line = usage_error(capsys, "local", "--mode", "ful")
    assert line == (
        "error: argument --mode: invalid choice: 'ful' (choose from 'incremental', 'full'); did you mean 'full'? "
        "(see python -m automation local --help)"
    )
    # Nothing is near `--bogus`: no suggestion, rather than a wrong one.
    line = usage_error(capsys, "status", "--stack", "dev", "--bogus")
    assert line == "error: unrecognized arguments: --bogus (see python -m automation status --help)"


def test_a_hint_becomes_a_command_with_the_user_s_own_source():
    message = "job j already has run jr_1 RUNNING: follow it with `status --run-id jr_1 --wait`"
    assert pasteable(message, "--outputs-file out.json") == (
        "job j already has run jr_1 RUNNING: follow it with "
        "`python -m automation status --run-id jr_1 --wait --outputs-file out.json`"
    )
    assert pasteable("list them with `runs`", "--stack dev") == "list them with `python -m automation runs --stack dev`"
    # A lake names a local verb only; a command that names its source, or is whole, is left as it is.
    assert pasteable("see `status --run-id x`", "--lake .lake") == "see `python -m automation status --run-id x`"
    assert pasteable("`runs --stack prod`", "--stack dev") == "`python -m automation runs --stack prod`"
    assert pasteable("`python -m automation deploy --stack NAME`", "--stack dev") == (
        "`python -m automation deploy --stack NAME`"
    )


def test_counts_take_their_noun_in_the_singular_or_plural():
    assert plural(1, "row") == "1 row"
    assert plural(0, "row") == "0 rows"
    assert plural(1234, "partition") == "1,234 partitions"
    assert plural(2, "query") == "2 queries"
    assert plural(1, "gold partition") == "1 gold partition"


@pytest.mark.parametrize(
    "report, shown",
    [
        (
            RunReport("r", "incremental", "succeeded", plan="incremental", partitions_processed=3),
            "incremental (3 changed partitions recomputed)",
        ),
        (
            RunReport(
                "r", "incremental", "succeeded", plan="incremental", partitions_processed=1, partitions_dropped=1
            ),
            "incremental (1 changed partition recomputed, 1 partition dropped)",
        ),
        (RunReport("r", "incremental", "succeeded", plan="incremental"), "incremental (nothing changed in silver)"),
        (RunReport("r", "full", "succeeded", plan="full refresh"), "full (full refresh)"),
        (RunReport("r", "incremental", "failed", plan=""), "incremental"),
    ],
)
def test_a_run_s_mode_is_said_once(report, shown):
    assert mode_text(report) == shown


def test_a_missing_outputs_file_says_how_to_make_one(tmp_path, capsys):
    missing = tmp_path / "outputs.json"
    assert main(["status", "--outputs-file", str(missing)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        f"error: the outputs file {missing} does not exist: write it from a deployed stack with "
        f"`pulumi stack output --json --stack NAME > {missing}` (or `python -m automation outputs --stack NAME "
        f"--json > {missing}`); `make emulator` writes .emulator/outputs.json"
    )


def test_follow_prints_each_poll_in_time_order_across_the_groups():
    """The driver writes to the error and the output group at once: a poll reads the error
    group first, yet the output group's earlier line is printed first."""
    stack, glue = stubbed("glue")
    logs: Stubber = stubbed_too(stack, "logs")
    job = OUTPUTS[out.JOB_NAME]
    ended = {"Id": "jr_9", "JobRunState": "SUCCEEDED"}
    error_group, output_group = OUTPUTS[out.JOB_ERROR_LOG_GROUP], OUTPUTS[out.JOB_OUTPUT_LOG_GROUP]
    read = {"logStreamNames": ["jr_9-driver"]}

    def event(event_id: str, at: int, message: str) -> dict:
        return {"logStreamName": "jr_9-driver", "message": message, "eventId": event_id, "timestamp": at}

    glue.add_response("get_job_run", {"JobRun": ended}, {"JobName": job, "RunId": "jr_9"})
    errors = [event("e1", 1000, "INFO reading silver"), event("e2", 3000, "INFO gold written")]
    output = [event("o1", 2000, '{"metric": "rows_read"}')]
    logs.add_response("filter_log_events", {"events": errors}, {"logGroupName": error_group, **read, "startTime": 0})
    logs.add_response("filter_log_events", {"events": output}, {"logGroupName": output_group, **read, "startTime": 0})
    glue.add_response("get_job_run", {"JobRun": ended}, {"JobName": job, "RunId": "jr_9"})
    logs.add_response("filter_log_events", {"events": []}, {"logGroupName": error_group, **read, "startTime": 3000})
    logs.add_response("filter_log_events", {"events": []}, {"logGroupName": output_group, **read, "startTime": 2000})
    lines: list[str] = []
    with glue, logs:
        follow_driver_log(stack, "jr_9", lines.append, sleep=no_sleep)
    assert [line.split(" ", 1)[1] for line in lines] == [
        "INFO reading silver",
        '{"metric": "rows_read"}',
        "INFO gold written",
    ]
    assert json.loads(lines[1].split(" ", 1)[1]) == {"metric": "rows_read"}


def test_a_long_step_in_a_log_keeps_talking_until_it_ends_then_says_nothing_more():
    """In a log or a pipe a step says when it starts and then beats every `every` seconds until
    it ends (issue 23: a log hears from a long piece of work at least every 10 s). The step here
    ends only once the log holds three beats, so no wall-clock bound decides the test."""
    log = io.StringIO()
    console = Console(file=log, width=200)  # a file: not a terminal, so no spinner
    deadline = time.monotonic() + 60  # generous: a busy machine's threads wake up late

    def beats() -> list[str]:
        return [line for line in log.getvalue().splitlines() if line.startswith("· ")]

    with heartbeat(console, "run job", every=0.01):
        while len(beats()) < 3:
            assert time.monotonic() < deadline, log.getvalue()
            time.sleep(0.01)
    ended = log.getvalue()
    time.sleep(0.05)  # five intervals more: a beat thread still running would add a line
    assert log.getvalue() == ended
    lines = ended.splitlines()
    assert lines[0] == "→ run job"
    assert all(re.fullmatch(r"· run job: still running after \d+ s", line) for line in lines[1:]), lines
    assert len(lines) >= 4


def test_a_step_in_a_log_beats_every_eight_seconds_at_most():
    """The promise's figure: a heartbeat at most every 10 s, from a beat every 8 s."""
    assert HEARTBEAT_SECONDS <= 8.0
    assert inspect.signature(heartbeat).parameters["every"].default == HEARTBEAT_SECONDS
