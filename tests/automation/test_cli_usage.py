"""The command line as a newcomer meets it: every verb's `--help` says what the verb does and
every option its default; a bad command line is one line and exit 2; a closed pipe is no error."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from automation.cli import build_parser

# Runs the CLI as a subprocess: in `make test`, not in `make check`.
pytestmark = pytest.mark.cli

FLAGS = (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse._HelpAction)


def verbs() -> dict[str, argparse.ArgumentParser]:
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(commands.choices)


def undocumented_defaults(parser: argparse.ArgumentParser) -> list[str]:
    """Options taking a value whose help does not state a default (required ones need none)."""
    required_groups = [g for g in parser._mutually_exclusive_groups if g.required]
    missing = []
    for action in parser._actions:
        if not action.option_strings or isinstance(action, FLAGS) or action.required:
            continue
        if any(action in g._group_actions for g in required_groups):
            continue
        if "(default" not in (action.help or "") and "default:" not in (action.help or ""):
            missing.append(action.option_strings[-1])
    return missing


def test_there_are_verbs_to_walk():
    assert {"local", "synth", "run", "status", "register", "query", "logs", "load-silver", "pipeline"} <= set(verbs())


@pytest.mark.parametrize("verb", sorted(verbs()))
def test_every_verb_has_a_description_and_every_option_its_default(verb, capsys):
    parser = verbs()[verb]
    assert parser.description and len(parser.description) > 40, f"{verb} --help has no description"
    assert undocumented_defaults(parser) == []
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([verb, "--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"usage: python -m automation {verb}")
    assert " ".join(parser.description.split()[:5]) in " ".join(shown.split())


def test_the_check_finds_an_undocumented_default():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5, help="rows to make")
    parser.add_argument("--fast", action="store_true", help="go fast")
    assert undocumented_defaults(parser) == ["--rows"]


def _automation(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "automation", *args], capture_output=True, text=True, **kwargs)


@pytest.mark.parametrize(
    "args, message",
    [
        (["local", "--rows", "0"], "error: argument --rows: must be at least 1, got 0"),
        (
            ["load-silver", "--stack", "dev", "--seed", str(2**63)],
            f"error: argument --seed: must fit in 64 bits (-{2**63} to {2**63 - 1}), got {2**63}",
        ),
        (["status"], "error: one of the arguments --stack --outputs-file is required"),
        (["bogus"], "error: argument COMMAND: invalid choice: 'bogus'"),
    ],
)
def test_a_bad_command_line_is_one_line_and_exit_2(args, message, cli_env, project_root):
    result = _automation(*args, env=cli_env, cwd=project_root, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert lines[0].endswith("--help)")


def test_synth_into_a_pipe_closed_early_exits_0_quietly(cli_env, project_root):
    process = subprocess.Popen(
        [sys.executable, "-m", "automation", "synth", "--stack", "dev"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env,
        cwd=project_root,
    )
    first = process.stdout.readline()  # what `| head -1` reads, then it closes the pipe
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=300) == 0, stderr
    assert first and stderr == b""
