"""The command line: `python -m automation VERB ...`; presentation only.

Each verb lives in a module of its own with its options beside its handler (`local`,
`stack`, `operations`, `pipeline`, `doctor`, `rejects`, `runs`); a handler makes one call into
the backends and hands the result to a renderer (`console`). This module builds the parser and holds the ONE error
handler: every failure a verb raises becomes one line on stderr and an exit code.

Exit codes: 0 success; 1 a failure (one line `error: ...` on stderr); 2 a bad command line
(one line too: what is wrong, and the verb's `--help`); 130 Ctrl-C. An unexpected error (a bug) prints one line naming
where its traceback was saved: `error_log_path()`, `$XDG_CACHE_HOME/silver-to-gold/last-error.log`
(`~/.cache/silver-to-gold/last-error.log` when XDG_CACHE_HOME is not set).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, NoReturn, Sequence

from automation.cli import doctor as doctor_verb
from automation.cli import local as local_verb
from automation.cli import operations as operations_verbs
from automation.cli import pipeline as pipeline_verbs
from automation.cli import rejects as rejects_verb
from automation.cli import runs as runs_verb
from automation.cli import stack as stack_verbs
from automation.cli.console import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, print_error
from etl.errors import PipelineError, describe_failure

__all__ = ["Parser", "build_parser", "error_log_path", "main", "pasteable", "run_handler", "source_of"]


class Parser(argparse.ArgumentParser):
    """argparse with a bad command line as one line, as every other failure: what is wrong,
    the nearest verb, choice or option when one is close ("did you mean"), and where the help
    is (exit 2). Subparsers are made of this class too.

    Abbreviations are off: argparse would take `--mod full` as `--mode full` and, once another
    option starting `--mod` is added, refuse it; a typo is said, never guessed at.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {message}{self._did_you_mean(message)} (see {self.prog} --help)\n")

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        """As argparse's, but an unknown option is refused by the verb that was given it, so the
        suggestion comes from that verb's options and the help named is the verb's."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            verb = _chosen_verb(self, parsed)
            (verb or self).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def _did_you_mean(self, message: str) -> str:
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message)
        if choice:
            close = difflib.get_close_matches(choice.group(1), re.findall(r"'([^']*)'", choice.group(2)), n=1)
            return f"; did you mean '{close[0]}'?" if close else ""
        unknown = re.search(r"unrecognized arguments: (.*)$", message)
        if unknown:
            # Compared without their dashes, which every option shares: `--bogus` is not near `--rows`.
            known = {flag.lstrip("-"): flag for action in self._actions for flag in action.option_strings}
            for word in unknown.group(1).split():
                name = word.split("=")[0].lstrip("-")
                close = difflib.get_close_matches(name, list(known), n=1) if word.startswith("-") else []
                if close:
                    return f"; did you mean {known[close[0]]}?"
        return ""


def _chosen_verb(parser: argparse.ArgumentParser, parsed: argparse.Namespace) -> argparse.ArgumentParser | None:
    """The verb's own parser (`local`, `run`, ...) the command line chose, if any."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = action.choices.get(getattr(parsed, action.dest or "", None) or "")
            return chosen if isinstance(chosen, argparse.ArgumentParser) else None
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m automation",
        description="Run the silver -> gold pipeline locally, render its infrastructure, or operate a deployed stack.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    local_verb.add_parser(commands)
    stack_verbs.add_parsers(commands)
    operations_verbs.add_parsers(commands)
    doctor_verb.add_parser(commands)
    pipeline_verbs.add_parsers(commands)
    rejects_verb.add_parser(commands)
    runs_verb.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_handler(lambda: args.handler(args), again=source_of(args))


# Verbs an error may name as the next thing to do (in backticks, `status --run-id X --wait`),
# and those of them that take `--lake`.
_HINTED_VERBS = ("runs", "run", "status", "rejects", "logs", "query", "register", "load-silver", "doctor")
_LAKE_VERBS = ("runs", "rejects", "query")
_HINT = re.compile(r"`(?P<verb>" + "|".join(_HINTED_VERBS) + r")(?P<rest>(?: [^`]*)?)`")
_SOURCE_FLAGS = ("--stack", "--outputs-file", "--lake")


def source_of(args: argparse.Namespace) -> str:
    """The flags that named the stack or lake on this command line (`--stack dev`,
    `--outputs-file F`, `--lake DIR`), for a hint the user can paste; "" without one."""
    for flag, value in (
        ("--outputs-file", getattr(args, "outputs_file", None)),
        ("--stack", getattr(args, "stack", None)),
        ("--lake", getattr(args, "lake", None)),
    ):
        if value is not None:
            return f"{flag} {value}"
    return ""


def pasteable(message: str, again: str) -> str:
    """A verb an error names in backticks becomes a whole command, with the user's own
    `--stack` / `--outputs-file` / `--lake` (`status --run-id X --wait` ->
    `python -m automation status --run-id X --wait --outputs-file F`)."""

    def whole(found: re.Match[str]) -> str:
        verb, rest = found.group("verb"), found.group("rest")
        flags = again
        if any(flag in rest.split() for flag in _SOURCE_FLAGS) or (
            again.startswith("--lake") and verb not in _LAKE_VERBS
        ):
            flags = ""
        return f"`python -m automation {verb}{rest}{' ' + flags if flags else ''}`"

    return _HINT.sub(whole, message)


def run_handler(handler: Callable[[], int], again: str = "") -> int:
    """Run a verb's handler; every failure becomes one line on stderr and its exit code.

    Args:
        again: the flags that name the stack or lake (`source_of`), added to the commands an
            error line suggests so they can be pasted as they are.
    """
    try:
        code = handler()
        sys.stdout.flush()  # a reader gone early shows here, not in the interpreter's last flush
        return code
    except BrokenPipeError:  # `synth | head`: the reader has what it wanted
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        print_error("interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - the one place every failure is turned into a line
        line, code = describe_error(error)
        print_error(pasteable(line, again))
        return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail again
    (the recipe of Python's `signal` documentation, "Note on SIGPIPE")."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def describe_error(error: Exception) -> tuple[str, int]:
    """The one line and the exit code of a failure; an unexpected one's traceback is saved."""
    if isinstance(error, PipelineError):
        return str(error), getattr(error, "exit_code", EXIT_FAILED)
    known = _aws_error_line(error)
    if known is not None:
        return known, EXIT_FAILED
    described = describe_failure(error)
    if getattr(error, "java_exception", None) is None:  # Spark's errors say it by their Java root cause
        described = f"{type(error).__name__}: {described}"
    return f"{described} (details: {save_traceback()})", EXIT_FAILED


def _aws_error_line(error: Exception) -> str | None:
    """botocore's failures that are not bugs: no credentials, a refused call, no endpoint."""
    if not type(error).__module__.startswith("botocore"):
        return None
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    from automation.aws import error_message

    if isinstance(error, NoCredentialsError):
        return "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    if isinstance(error, ClientError):
        return f"AWS refused {error.operation_name}: {error_message(error)}"
    if isinstance(error, BotoCoreError):  # endpoint unreachable, bad profile, ...
        return str(error)
    return None


def error_log_path() -> Path:
    """Where an unexpected error's traceback is saved: one file, replaced by the next one."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "silver-to-gold" / "last-error.log"


def save_traceback() -> str:
    """Save the traceback being handled to `error_log_path()`; where it went, for the error line."""
    log = error_log_path()
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(traceback.format_exc())
    except OSError as problem:
        return f"the traceback could not be saved to {log}: {problem.strerror or problem}"
    return str(log)


if __name__ == "__main__":
    sys.exit(main())
