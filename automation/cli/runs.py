"""`python -m automation runs`: the job's recent runs, newest first, on a local lake (`--lake`,
from its run reports) or a stack (`--stack` / `--outputs-file`, from Glue and the reports):
id, start, state, mode, rows read / rejected / written, partitions written, duration, and on a
stack the cost. One call into the backend (`automation.local.lake_runs`, `automation.aws.stack_runs`);
this module only shows the rows.
"""

from __future__ import annotations

import argparse

from rich.table import Table

from automation import aws
from automation.cli.console import EXIT_OK, Screen, spinner
from automation.cli.options import Subcommands, add_stack_options, open_stack, positive_int, source_flags
from automation.local import lake_runs
from automation.runs import DEFAULT_RUNS, RunRow


def add_parser(commands: Subcommands) -> None:
    runs = commands.add_parser(
        "runs",
        help="the job's recent runs, newest first: state, rows, duration (local lake or AWS)",
        description="List the job's recent runs, newest first: run id, start, state, mode, rows read, rejected "
        "and written, partitions written, duration and, on a stack, the cost. Locally from the lake's run reports "
        "(--lake; answers while a run goes on), on a stack from Glue's job runs and the reports in S3.",
    )
    add_stack_options(runs, lake=True)
    runs.add_argument(
        "--limit", type=positive_int, default=DEFAULT_RUNS, metavar="N", help=f"runs to list (default: {DEFAULT_RUNS})"
    )
    runs.set_defaults(handler=runs_command)


def runs_command(args: argparse.Namespace) -> int:
    """`runs [--limit N]`: one call into the lake's or the stack's backend, then the rows."""
    screen = Screen(args.json)
    if args.lake is not None:
        rows = lake_runs(args.lake, args.limit)
        source = {"backend": "local", "lake": str(args.lake)}
    else:
        stack = open_stack(args, *aws.RUNS_OUTPUTS)
        with spinner(screen, f"reading the runs of {stack.outputs.job_name} from Glue"):
            rows = aws.stack_runs(stack, args.limit)
        source = {"backend": "aws", "outputs": stack.outputs.source}
    document = {"runs": [row.to_dict() for row in rows], **source}
    screen.result(document, lambda: render_runs(screen, rows, args))
    return EXIT_OK


def render_runs(screen: Screen, rows: list[RunRow], args: argparse.Namespace) -> None:
    again = f"--lake {args.lake}" if args.lake is not None else source_flags(args)
    if not rows:
        where = f"the lake {args.lake}" if args.lake is not None else "the stack's job"
        screen.out.print(f"no runs yet in {where}", markup=False)
        return
    on_aws = args.lake is None
    table = Table(title=f"Runs, newest first ({len(rows)} shown)", title_justify="left")
    for column in ("run id", "started (UTC)", "state", "mode"):
        table.add_column(column, overflow="fold")
    for column in ("rows read", "rejected", "written", "partitions", "seconds", *(("cost",) if on_aws else ())):
        table.add_column(column, justify="right")
    for row in rows:
        cost = (f"${row.cost_usd:.6f}" if row.cost_usd is not None else "-",) if on_aws else ()
        table.add_row(
            row.run_id,
            row.started.replace("T", " ").removesuffix("+00:00") or "-",
            row.state,
            row.mode or "-",
            _count(row.rows_read),
            _count(row.rows_rejected),
            _count(row.rows_written),
            _count(row.partitions_written),
            f"{row.seconds:.1f}" if row.seconds is not None else "-",
            *cost,
        )
    screen.out.print(table)
    for row in rows:
        if row.error:
            screen.out.print(f"{row.run_id} {row.state}: {row.error}", markup=False)
    screen.out.print(
        f"what a run rejected: python -m automation rejects --run-id RUN_ID {again}", markup=False, highlight=False
    )


def _count(value: int | None) -> str:
    return f"{value:,}" if value is not None else "-"
