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
        description="Run the silver -> gold pipeline locally, or render its infrastructure.",
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "synth":
        from automation.synth import synth_command

        return synth_command(args.stack, args.json)
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


if __name__ == "__main__":
    sys.exit(main())
