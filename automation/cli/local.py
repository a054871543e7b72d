"""`python -m automation local`: the whole pipeline on this machine (local Spark, a Hive
metastore, a directory lake; no AWS account)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from automation.cli.console import EXIT_OK, ConsoleProgress, consoles, print_summary
from automation.cli.options import Subcommands, add_sample_options, non_negative_int, positive_int, ratio
from automation.local import DEFAULT_KEEP_RUNS, LocalBackend, LocalOptions, SparkInterrupt
from automation.pipeline import run_pipeline
from etl.arguments import DEFAULT_MAX_REJECT_RATIO, MODES
from etl.schema import DEFAULT_QUARANTINE_COLUMNS, QUARANTINE_MODES


def add_parser(commands: Subcommands) -> None:
    local = commands.add_parser(
        "local",
        help="run the whole pipeline on this machine (local Spark, Hive metastore, no AWS)",
        description="Run the pipeline on the embedded local backend: start Spark, provision the "
        "catalog, load silver, run the job with the Glue job's arguments, verify gold.",
    )
    local.add_argument("--lake", type=Path, default=Path(".lake"), help="lake directory (default: .lake/)")
    add_sample_options(local)
    local.add_argument(
        "--silver-path",
        type=Path,
        help="an existing Parquet dataset in ano=/mes= folders to register as silver (default: sample data)",
    )
    local.add_argument("--mode", choices=MODES, default="incremental", help="incremental (default) or full recompute")
    local.add_argument(
        "--max-reject-ratio",
        type=ratio,
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
    local.add_argument("--workers", type=positive_int, default=2, help="local Spark cores (default: 2)")
    local.add_argument(
        "--keep-runs",
        type=non_negative_int,
        default=DEFAULT_KEEP_RUNS,
        metavar="N",
        help=f"after a successful run, keep the quarantine of the N newest runs and remove the older runs' files "
        f"and rejects-table partitions together; 0 keeps every run (default: {DEFAULT_KEEP_RUNS})",
    )
    local.add_argument("--json", action="store_true", help="print the run report as one JSON object on the last line")
    local.set_defaults(handler=local_command)


def local_command(args: argparse.Namespace) -> int:
    """`python -m automation local`: run every step on the local backend."""
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
        keep_runs=args.keep_runs,
    )
    console, err = consoles()  # logs and pipes get whole lines, never wrapped at 80 columns
    # Ctrl-C is noted and the running Spark jobs cancelled; the step then stops the pipeline
    # with one line (`interrupted during <step>; gold is unchanged`) and exit 130.
    with SparkInterrupt() as interrupt:
        result = run_pipeline(
            LocalBackend(options, interrupt), ConsoleProgress(err), interrupted=lambda: interrupt.requested
        )
    if args.json:
        print(json.dumps(result.to_dict(), sort_keys=True, default=str))
    else:
        print_summary(console, result)
    return EXIT_OK
