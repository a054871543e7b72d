"""Option types and the option groups several verbs share (the stack to operate, the
sample to generate, a run's settings), and the stack those options name (`open_stack`).
Defaults come from where the rule lives: the sample's from `etl.sample.SampleSpec`, the
registration methods from `infra.settings`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TypeAlias

from automation import aws
from automation.outputs import OutputsError, StackOutputs, load_outputs
from automation.stack import stack_outputs as read_stack_outputs
from etl.arguments import MODES
from etl.sample import SEED_RANGE, SampleSpec

# What `add_subparsers` returns: each verb module adds its parsers to it.
Subcommands: TypeAlias = "argparse._SubParsersAction[Any]"


def positive_int(text: str) -> int:
    value = int(text.replace("_", ""))
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text.replace("_", ""))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def seed(text: str) -> int:
    value = int(text.replace("_", ""))
    if value not in SEED_RANGE:
        raise argparse.ArgumentTypeError(
            f"must fit in 64 bits ({SEED_RANGE.start} to {SEED_RANGE.stop - 1}), got {value}"
        )
    return value


def ratio(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def add_stack_options(parser: argparse.ArgumentParser, lake: bool = False) -> None:
    """--stack NAME | --outputs-file FILE, and --json: every verb on a deployed stack.

    With `lake`, `--lake DIR` is a third source: a local lake (`query`, `rejects`).
    """
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="stack name (reads its outputs through the Pulumi Automation API)")
    source.add_argument(
        "--outputs-file",
        type=Path,
        metavar="FILE",
        help="the JSON of `pulumi stack output --json` (no Pulumi CLI needed)",
    )
    if lake:
        source.add_argument(
            "--lake",
            type=Path,
            metavar="DIR",
            help="a local lake instead of a stack: the catalog `python -m automation local --lake DIR` left",
        )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")


def outputs_of(args: argparse.Namespace) -> StackOutputs:
    """The stack's outputs from `--outputs-file`, or from `--stack` through the Automation API.

    Raises:
        OutputsError: the outputs file does not exist, saying how to make one.
    """
    if args.outputs_file is not None and not args.outputs_file.exists():
        raise OutputsError(
            f"the outputs file {args.outputs_file} does not exist: write it from a deployed stack with "
            f"`pulumi stack output --json --stack NAME > {args.outputs_file}` (or `python -m automation outputs "
            f"--stack NAME --json > {args.outputs_file}`); `make emulator` writes .emulator/outputs.json"
        )
    return load_outputs(args.stack, args.outputs_file, read_stack_outputs)


def open_stack(args: argparse.Namespace, *needed: str) -> aws.Stack:
    """The stack `--stack` or `--outputs-file` names: its outputs checked for `needed`, then a
    session in its region with working credentials, before any other AWS call."""
    stack = aws.Stack.connect(outputs_of(args), *needed)
    stack.check_credentials()
    return stack


def source_flags(args: argparse.Namespace) -> str:
    """The flags that name the stack again, for a follow-up command."""
    return f"--outputs-file {args.outputs_file}" if args.outputs_file else f"--stack {args.stack}"


def add_sample_options(parser: argparse.ArgumentParser, short_help: bool = False) -> None:
    """The sample silver to generate: --rows, --months, --invalid-fraction, --seed."""
    defaults = SampleSpec()
    parser.add_argument(
        "--rows",
        type=positive_int,
        default=defaults.rows,
        help=f"sample silver rows to generate (default: {defaults.rows:,})",
    )
    parser.add_argument(
        "--months",
        type=positive_int,
        default=defaults.months,
        help=f"months the sample spans (default: {defaults.months})",
    )
    parser.add_argument(
        "--invalid-fraction",
        type=ratio,
        default=defaults.invalid_fraction,
        help=(
            f"sample rows breaking a quality rule (default: {defaults.invalid_fraction})"
            if short_help
            else f"fraction of sample rows that break a quality rule (default: {defaults.invalid_fraction})"
        ),
    )
    parser.add_argument(
        "--seed", type=seed, default=defaults.seed, help=f"sample generator seed (default: {defaults.seed})"
    )


def sample_spec(args: argparse.Namespace) -> SampleSpec:
    """The sample the options ask for."""
    return SampleSpec(rows=args.rows, months=args.months, invalid_fraction=args.invalid_fraction, seed=args.seed)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """A Glue run's --mode and --timeout-minutes."""
    parser.add_argument("--mode", choices=MODES, help="the run's --mode (default: the job's, incremental)")
    parser.add_argument(
        "--timeout-minutes",
        type=positive_int,
        metavar="N",
        help="the run's Glue timeout; waiting gives up 10 minutes after it (default: the job's timeout)",
    )
