"""`load-silver` and `pipeline`: the verbs that need more than the AWS backend. This is the
one place that wires the backends together: the stack is deployed through the Automation
API's `up` (unless `--skip-deploy`), and the AWS backend is handed the stack and the sample
maker (the local backend's Spark generator).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.table import Table

from automation import aws
from automation.cli.console import EXIT_OK, ConsoleProgress, ProgressDisplay, Screen, byte_progress, print_summary
from automation.cli.options import (
    Subcommands,
    add_run_options,
    add_sample_options,
    add_stack_options,
    open_stack,
    outputs_of,
    sample_spec,
)
from automation.lake import read_silver
from automation.local import generate_sample
from automation.outputs import StackOutputs
from automation.pipeline import PipelineResult, run_pipeline
from automation.stack import StepProgress, parse_config_pairs, up
from etl.errors import PipelineError
from infra import outputs as out
from infra.settings import REGISTRATION_METHODS

LOAD_SILVER_OUTPUTS = (out.SILVER_URI, out.SILVER_DATABASE, out.SILVER_TABLE)


def _silver_path_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--silver-path",
        type=Path,
        metavar="DIR",
        help="upload this local Parquet dataset in ano=/mes= folders (default: the sample, from the options above)",
    )


def add_parsers(commands: Subcommands) -> None:
    load = commands.add_parser(
        "load-silver",
        help="upload silver data and register its partitions (AWS)",
        description="Upload the sample silver data of `make demo` (or --silver-path DIR) under the stack's silver "
        "location and add its partitions to the silver table. Idempotent: files already there are skipped, and "
        "a sample already uploaded is not generated again.",
    )
    add_stack_options(load)
    add_sample_options(load, short_help=True)
    _silver_path_option(load)
    load.set_defaults(handler=load_silver_command)

    pipeline = commands.add_parser(
        "pipeline",
        help="deploy, load silver, run, register, verify and query on AWS: `make demo` for a stack",
        description="Run the pipeline's steps on a stack, as `make demo` runs them locally: deploy (unless "
        "--skip-deploy), load silver (with --load-silver or --silver-path), run the Glue job, register the gold "
        "partitions, verify them against S3 and query the preview in Athena; then the report, cost and links.",
    )
    add_stack_options(pipeline)
    pipeline.add_argument("--skip-deploy", action="store_true", help="use the stack as deployed (no `pulumi up`)")
    pipeline.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="stack config to set before deploying (repeatable; default: none)",
    )
    pipeline.add_argument("--load-silver", action="store_true", help="upload the sample (or --silver-path) first")
    pipeline.add_argument(
        "--method",
        choices=REGISTRATION_METHODS,
        default="job",
        help="how gold partitions get registered, as `register --method` (default: job)",
    )
    add_run_options(pipeline)
    add_sample_options(pipeline, short_help=True)
    _silver_path_option(pipeline)
    pipeline.set_defaults(handler=pipeline_command)


def load_silver_command(args: argparse.Namespace) -> int:
    """`load-silver [--rows N | --silver-path DIR]`."""
    screen = Screen(args.json)
    if args.silver_path is not None:
        read_silver(args.silver_path)  # a bad path or schema fails before any AWS call
    stack = open_stack(args, *LOAD_SILVER_OUTPUTS)
    with byte_progress(screen) as bytes_progress:
        outcome = aws.load_silver(
            stack,
            silver_path=args.silver_path,
            sample=sample_spec(args),
            make_sample=generate_sample,
            progress=screen.progress,
            bytes_progress=bytes_progress,
        )
    screen.result(outcome.to_dict(), lambda: screen.out.print(f"{outcome.describe()} ({outcome.location})"))
    return EXIT_OK


def pipeline_command(args: argparse.Namespace) -> int:
    """`pipeline`: deploy (unless --skip-deploy), load silver if asked, run, register, verify, query."""
    screen = Screen(args.json)
    if args.outputs_file and not args.skip_deploy:
        raise PipelineError(
            "--outputs-file describes a stack that is already deployed: add --skip-deploy, or deploy with --stack NAME"
        )
    config = parse_config_pairs(args.config)
    if args.silver_path is not None:
        read_silver(args.silver_path)  # a bad path or schema fails before the deploy
    outputs = outputs_of(args) if args.skip_deploy else _deploy(screen, args.stack, config)
    options = aws.AwsOptions(
        deployed=not args.skip_deploy,
        load_silver=args.load_silver,
        silver_path=args.silver_path,
        sample=sample_spec(args),
        method=args.method,
        mode=args.mode,
        timeout_minutes=args.timeout_minutes,
    )
    stack = aws.Stack.connect(outputs, *aws.pipeline_outputs(args.method))
    backend = aws.AwsBackend(options, stack, progress=screen.progress, make_sample=generate_sample)
    try:
        result = run_pipeline(backend, ConsoleProgress(screen.err))
    except PipelineError:
        _print_spent(screen, backend.cost())  # a failed run or a cancelled query is billed too
        raise
    result.cost = backend.cost()
    result.links = backend.links()
    screen.result(result.to_dict(), lambda: _print_pipeline_summary(screen, result))
    return EXIT_OK


def _print_spent(screen: Screen, cost: dict[str, Any]) -> None:
    """What the failed pipeline was billed before it stopped (stderr), when anything."""
    if not cost["glue_usd"] and not cost["athena_billed_bytes"]:
        return
    screen.progress(
        f"billed before the failure: Glue {cost['glue_dpu_seconds']:g} DPU-seconds ${cost['glue_usd']:.6f}; "
        f"Athena {cost['athena_queries']} queries, billed {aws.format_bytes(cost['athena_billed_bytes'])} "
        f"${cost['athena_usd']:.8f}; total ${cost['total_usd']:.6f}"
    )


def _deploy(screen: Screen, stack: str, config: dict[str, str]) -> StackOutputs:
    """Deploy `stack` with `config` set first, its resource progress drawn as `python -m
    automation deploy` draws it; its outputs."""
    display: list[ProgressDisplay] = []

    def show(step: StepProgress) -> None:
        if not display:
            display.append(ProgressDisplay(screen.err))
        display[0](step)

    return StackOutputs.from_values(up(stack, config or None, show), f"stack {stack!r}")


def _print_pipeline_summary(screen: Screen, result: PipelineResult) -> None:
    print_summary(screen.out, result)
    cost = result.cost
    table = Table(title="Cost and links", title_justify="left", show_header=False)
    table.add_column("item")
    table.add_column("value")
    table.add_row("job run", f"{cost['glue_run_id']} {cost['glue_state']}")
    table.add_row(
        "Glue",
        f"{cost['glue_dpu_seconds']:g} DPU-seconds ({cost['glue_worker_type']} x {cost['glue_workers']}, "
        f"{cost['glue_execution_seconds']} s): ${cost['glue_usd']:.6f}",
    )
    table.add_row(
        "Athena",
        f"{cost['athena_queries']} queries, scanned {aws.format_bytes(cost['athena_data_scanned_bytes'])}, "
        f"billed {aws.format_bytes(cost['athena_billed_bytes'])}: ${cost['athena_usd']:.8f}",
    )
    table.add_row("total", f"${cost['total_usd']:.6f}")
    for name, url in result.links.items():
        table.add_row(f"{name} console", url)
    screen.out.print(table)
