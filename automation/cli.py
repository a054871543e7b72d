"""Command line: `python -m automation local|synth ...`.

Each command is a thin function: parse options, call the library, show the result. Exit
codes are the contract: 0 on success; non-zero with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from etl.arguments import DEFAULT_MAX_REJECT_RATIO, MODES
from etl.errors import PipelineError, describe_failure
from etl.schema import DEFAULT_QUARANTINE_COLUMNS, QUARANTINE_MODES

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class ConsoleProgress:
    """Steps on stderr: a spinner with elapsed time while running, then one line each."""

    def __init__(self, console: Console):
        self.console = console

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        if not self.console.is_terminal:  # logs and pipes get the outcome lines only
            yield
            return
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        ) as progress:
            progress.add_task(title, total=None)
            yield

    def done(self, title: str, detail: str, seconds: float) -> None:
        self.console.print(f"[green]✓[/] {title:<20} {seconds:6.1f} s  {detail}", highlight=False)


def _positive_int(text: str) -> int:
    value = int(text.replace("_", ""))
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _ratio(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m automation",
        description="Run the silver -> gold pipeline locally, render its infrastructure, or operate a deployed stack.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    local = commands.add_parser(
        "local",
        help="run the whole pipeline on this machine (local Spark, Hive metastore, no AWS)",
        description="Run the pipeline on the embedded local backend: start Spark, provision the "
        "catalog, load silver, run the job with the Glue job's arguments, verify gold.",
    )
    local.add_argument("--lake", type=Path, default=Path(".lake"), help="lake directory (default: .lake/)")
    local.add_argument(
        "--rows", type=_positive_int, default=1_000_000, help="sample silver rows to generate (default: 1,000,000)"
    )
    local.add_argument("--months", type=_positive_int, default=36, help="months the sample spans (default: 36)")
    local.add_argument(
        "--invalid-fraction",
        type=_ratio,
        default=0.01,
        help="fraction of sample rows that break a quality rule (default: 0.01)",
    )
    local.add_argument("--seed", type=int, default=42, help="sample generator seed (default: 42)")
    local.add_argument(
        "--silver-path",
        type=Path,
        help="an existing Parquet dataset in ano=/mes= folders to register as silver, instead of sample data",
    )
    local.add_argument("--mode", choices=MODES, default="incremental", help="incremental (default) or full recompute")
    local.add_argument(
        "--max-reject-ratio",
        type=_ratio,
        default=DEFAULT_MAX_REJECT_RATIO,
        help=f"fail before writing gold above this share of rejected rows (default: {DEFAULT_MAX_REJECT_RATIO})",
    )
    local.add_argument(
        "--quarantine-columns",
        choices=QUARANTINE_MODES,
        default=DEFAULT_QUARANTINE_COLUMNS,
        help="what the quarantine keeps of a rejected row: lean (default: id, silver file and row, the rule "
        "columns, ano, mes, reasons) or all (the whole row)",
    )
    local.add_argument("--workers", type=_positive_int, default=2, help="local Spark cores (default: 2)")
    local.add_argument("--json", action="store_true", help="print the run report as one JSON object on the last line")

    synth = commands.add_parser(
        "synth",
        help="render every resource a stack would create, offline (Pulumi mocks, no AWS)",
        description="Run the Pulumi program under Pulumi's mock runtime with Pulumi.<stack>.yaml "
        "and print each resource's type, name and inputs.",
    )
    synth.add_argument("--stack", required=True, help="stack name, e.g. dev or prod")
    synth.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object: {"resources": [{type, name, inputs}], "outputs": {...}}',
    )
    _add_stack_commands(commands)
    _add_aws_commands(commands)
    return parser


STACK_COMMANDS = ("deploy", "destroy", "outputs")


def _add_stack_commands(commands) -> None:
    """deploy, destroy, outputs: the Pulumi Automation API (needs the Pulumi CLI); see automation.deploy."""
    deploy = commands.add_parser(
        "deploy",
        help="preview and deploy a stack with the Pulumi Automation API (needs the Pulumi CLI)",
        description="Create or select the stack, set --config values as `pulumi config set` does (saved in "
        "Pulumi.<stack>.yaml), preview, ask, update with progress, and print the stack outputs.",
    )
    deploy.add_argument("--stack", required=True, help="stack name, e.g. dev or prod")
    deploy.add_argument("--preview", action="store_true", help="only preview: print the changes, deploy nothing")
    deploy.add_argument("--yes", action="store_true", help="deploy without asking (required without a terminal)")
    deploy.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a config value first, e.g. workers=4 or aws:region=eu-west-1 (repeatable)",
    )
    deploy.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")

    destroy = commands.add_parser(
        "destroy",
        help="destroy a stack's resources (says first what happens to the lake bucket and its data)",
        description="Read the stack's outputs, say what destroy does to the lake bucket (the lakeOnDestroy "
        "output), ask for the stack name, then delete the stack's resources with progress.",
    )
    destroy.add_argument("--stack", required=True, help="stack name, e.g. dev")
    destroy.add_argument("--yes", action="store_true", help="destroy without asking (required without a terminal)")
    destroy.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")

    outputs = commands.add_parser(
        "outputs",
        help="print a stack's outputs; --json writes an outputs file for --outputs-file",
        description="The stack's outputs through the Automation API. --json prints what `pulumi stack output "
        "--json --show-secrets` prints: save it as an outputs file for machines without the Pulumi CLI.",
    )
    outputs.add_argument("--stack", required=True, help="stack name, e.g. dev")
    outputs.add_argument(
        "--json", action="store_true", help="print the outputs as JSON, as `pulumi stack output --json`"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in STACK_COMMANDS:
        from automation import deploy

        return {"deploy": deploy.deploy_command, "destroy": deploy.destroy_command, "outputs": deploy.outputs_command}[
            args.command
        ](args)
    if args.command == "synth":
        from automation.synth import synth_command

        return synth_command(args.stack, args.json)
    if args.command in AWS_COMMANDS:
        from automation.aws_commands import run_aws_command

        return run_aws_command(args)
    return local_command(args)


def local_command(args: argparse.Namespace) -> int:
    """`python -m automation local`: run every step on the local backend."""
    from automation.local import LocalBackend, LocalOptions
    from automation.pipeline import run_pipeline

    err = Console(stderr=True)
    options = LocalOptions(
        lake=args.lake,
        rows=args.rows,
        months=args.months,
        invalid_fraction=args.invalid_fraction,
        seed=args.seed,
        silver_path=args.silver_path,
        mode=args.mode,
        max_reject_ratio=args.max_reject_ratio,
        quarantine_columns=args.quarantine_columns,
        workers=args.workers,
    )
    try:
        result = run_pipeline(LocalBackend(options), ConsoleProgress(err))
    except PipelineError as error:
        err.print(f"error: {error}", highlight=False, soft_wrap=True)
        return EXIT_FAILED
    except Exception as error:  # Spark or Java failures: one line, details in a log file
        log = _save_traceback(options.lake)
        err.print(f"error: {describe_failure(error)} (details: {log})", highlight=False, soft_wrap=True)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(result.to_dict(), sort_keys=True, default=str))
    else:
        _print_summary(Console(), result)
    return EXIT_OK


def _save_traceback(lake: Path) -> Path:
    log = lake.resolve() / "logs" / "last-error.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(traceback.format_exc())
    return log


def _print_summary(console: Console, result) -> None:
    report = result.report
    if result.preview is not None:
        preview = Table(title=result.preview_sql, title_justify="left")
        for column in result.preview.columns:
            preview.add_column(column, justify="right")
        for row in result.preview.rows:
            preview.add_row(*["NULL" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v)) for v in row])
        console.print(preview)
    summary = Table(title="Run summary", title_justify="left", show_header=False)
    summary.add_column("item")
    summary.add_column("value")
    rows = [
        ("status", report.status),
        ("mode", f"{report.mode} ({report.plan})"),
        ("rows read", f"{report.rows_read:,}"),
        ("rows rejected", f"{report.rows_rejected:,} ({report.reject_ratio:.2%})"),
        ("rows written", f"{report.rows_written:,}"),
        ("partitions processed", str(report.partitions_processed)),
        ("partitions written", str(report.partitions_written)),
        ("partitions dropped", str(report.partitions_dropped)),
        ("files written", str(report.files_written)),
        ("gold partitions", str(len(result.partitions))),
        ("job seconds", f"{report.seconds.get('job', 0.0):.1f}"),
        ("pipeline seconds", f"{sum(result.steps.values()):.1f}"),
        ("gold location", report.gold_location),
        ("quarantine location", report.quarantine_location or "(nothing quarantined)"),
        ("run report", report.report_location),
    ]
    for item, value in rows:
        summary.add_row(item, value)
    console.print(summary)


# -- AWS verbs: operate a deployed stack (automation/aws_commands.py does the work) ----------
AWS_COMMANDS = ("run", "status", "register", "query", "logs", "load-silver", "pipeline")


def _stack_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="stack name (reads its outputs through the Pulumi Automation API)")
    source.add_argument(
        "--outputs-file",
        type=Path,
        metavar="FILE",
        help="the JSON of `pulumi stack output --json` (no Pulumi CLI needed)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")


def _sample_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rows", type=_positive_int, default=1_000_000, help="sample silver rows to generate (default: 1,000,000)"
    )
    parser.add_argument("--months", type=_positive_int, default=36, help="months the sample spans (default: 36)")
    parser.add_argument(
        "--invalid-fraction", type=_ratio, default=0.01, help="sample rows breaking a quality rule (default: 0.01)"
    )
    parser.add_argument("--seed", type=int, default=42, help="sample generator seed (default: 42)")
    parser.add_argument(
        "--silver-path",
        type=Path,
        metavar="DIR",
        help="upload this local Parquet dataset in ano=/mes= folders instead of the sample",
    )


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mode", choices=MODES, help="the run's --mode (default: the job's, incremental)")
    parser.add_argument(
        "--timeout-minutes",
        type=_positive_int,
        metavar="N",
        help="the run's Glue timeout; waiting gives up 10 minutes after it (default: the job's timeout)",
    )


def _add_aws_commands(commands) -> None:
    run = commands.add_parser("run", help="start the stack's Glue job and wait for it (AWS)")
    _stack_options(run)
    _run_options(run)
    run.add_argument("--no-wait", action="store_true", help="print the run id and return at once")

    status = commands.add_parser("status", help="the last (or a given) job run: state, report, cost (AWS)")
    _stack_options(status)
    status.add_argument("--run-id", help="a job run id (default: the newest run)")
    status.add_argument("--wait", action="store_true", help="wait for the run to finish, as `run` does")

    register = commands.add_parser("register", help="make gold's partitions visible in the Glue catalog (AWS)")
    _stack_options(register)
    register.add_argument(
        "--method",
        choices=("job", "crawler", "msck"),
        default="job",
        help="job: check what the job registered against S3 (default); crawler: run the crawler; "
        "msck: run the saved MSCK REPAIR TABLE query",
    )

    query = commands.add_parser("query", help="run SQL in the stack's Athena workgroup (AWS)")
    _stack_options(query)
    query.add_argument("--sql", help="the SQL to run (default: the stack's preview query)")

    logs = commands.add_parser("logs", help="a job run's log streams in the Glue 5.0 log groups (AWS)")
    _stack_options(logs)
    logs.add_argument("--run-id", help="a job run id (default: the newest run)")
    logs.add_argument("--follow", action="store_true", help="print the driver's log while the run goes on")

    load = commands.add_parser("load-silver", help="upload silver data and register its partitions (AWS)")
    _stack_options(load)
    _sample_options(load)

    pipeline = commands.add_parser(
        "pipeline",
        help="deploy, load silver, run, register, verify and query on AWS: `make demo` for a stack",
    )
    _stack_options(pipeline)
    pipeline.add_argument("--skip-deploy", action="store_true", help="use the stack as deployed (no `pulumi up`)")
    pipeline.add_argument(
        "--config",
        action="append",
        type=_key_value,
        metavar="KEY=VALUE",
        help="stack config to set before deploying (repeatable)",
    )
    pipeline.add_argument("--load-silver", action="store_true", help="upload the sample (or --silver-path) first")
    pipeline.add_argument(
        "--method", choices=("job", "crawler", "msck"), default="job", help="how gold partitions get registered"
    )
    _run_options(pipeline)
    _sample_options(pipeline)


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


if __name__ == "__main__":
    sys.exit(main())
