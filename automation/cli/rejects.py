"""`python -m automation rejects [--run-id ID]`: what a run rejected and why, on a local lake
(`--lake DIR`) or a stack (`--stack` / `--outputs-file`, through Athena in its workgroup).

One call into the backend (`automation.local.lake_rejects` or `automation.aws.stack_rejects`),
both answering with `automation.rejects.RejectsSummary`; this module only shows it.
"""

from __future__ import annotations

import argparse

from rich.table import Table

from automation import aws
from automation.cli.console import EXIT_OK, Screen, cell, spinner
from automation.cli.options import Subcommands, add_stack_options, open_stack, source_flags
from automation.local import SparkInterrupt, lake_rejects
from automation.rejects import RejectsSummary
from automation.wording import mode_text, plural


def add_parser(commands: Subcommands) -> None:
    rejects = commands.add_parser(
        "rejects",
        help="what a run rejected and why: by reason, by month, rows to trace (local lake or AWS)",
        description="Ask the rejects table about one run (default: the latest, from the job's latest.json): "
        "rejected rows by reason and by month, the ratio against the gate, and the first rows to trace back "
        "to their silver file. Locally through the lake's catalog (--lake), on a stack through Athena.",
    )
    add_stack_options(rejects, lake=True)
    rejects.add_argument("--run-id", help="a job run id (default: the latest run, from the run report latest.json)")
    rejects.set_defaults(handler=rejects_command)


def rejects_command(args: argparse.Namespace) -> int:
    """`rejects [--run-id ID]`: one call into the lake's or the stack's backend, then the answer."""
    screen = Screen(args.json)
    if args.lake is not None:
        with SparkInterrupt() as interrupt, spinner(screen, f"asking the local catalog in {args.lake}"):
            summary = lake_rejects(args.lake, args.run_id, interrupt=interrupt)
        source = {"backend": "local", "lake": str(args.lake)}
    else:
        stack = open_stack(args, *aws.REJECTS_OUTPUTS)
        with spinner(screen, "waiting for Athena"):
            summary = aws.stack_rejects(stack, args.run_id, progress=screen.progress)
        source = {"backend": "aws", "outputs": stack.outputs.source}
    again = f"--lake {args.lake}" if args.lake is not None else source_flags(args)
    screen.result({**summary.to_dict(), **source}, lambda: render_rejects(screen, summary, again))
    return EXIT_OK


def render_rejects(screen: Screen, summary: RejectsSummary, again: str = "") -> None:
    """The summary as tables; `again`: the flags naming the lake or stack, for the next command."""
    out = screen.out
    report = summary.report
    overview = Table(title=f"Rejected rows of run {summary.run_id}", title_justify="left", show_header=False)
    overview.add_column("item")
    overview.add_column("value", overflow="fold")
    if report is not None:
        overview.add_row("status", report.status)
        overview.add_row("mode", mode_text(report))
        overview.add_row("rows rejected", f"{report.rows_rejected:,} of {report.rows_read:,} read")
    else:
        overview.add_row("run report", "not found: counts from the table only")
    if summary.reject_ratio is not None and report is not None and report.rows_read:
        overview.add_row("reject ratio", _against_gate(summary.reject_ratio, summary.gate, report.status))
    if summary.queried:
        overview.add_row("table", f"{summary.table} ({plural(summary.rows_in_table, 'row')} of this run)")
    else:
        overview.add_row("table", f"{summary.table} (not asked: the run registered no partition)")
    if report is not None and report.quarantine_location:
        overview.add_row("quarantine", report.quarantine_location)
    out.print(overview)
    if summary.by_reason:
        table = Table(title="By reason (a row failing two rules counts under both)", title_justify="left")
        table.add_column("reason")
        table.add_column("rejected rows", justify="right")
        for reason, count in summary.by_reason:
            table.add_row(cell(reason), f"{count:,}")
        out.print(table)
    if summary.by_month:
        table = Table(title="By month", title_justify="left")
        for column in ("ano", "mes", "rejected rows"):
            table.add_column(column, justify="right")
        for ano, mes, count in summary.by_month:
            table.add_row(cell(ano), cell(mes), f"{count:,}")
        out.print(table)
    if summary.trace:
        table = Table(title="Rows to trace (pyarrow.parquet.read_table(silver_file).slice(silver_row, 1))")
        table.title_justify = "left"
        for column in summary.trace[0]:
            table.add_column(column, overflow="fold")
        for row in summary.trace:
            table.add_row(*[cell(v) for v in row.values()])
        out.print(table)
    if summary.note:
        out.print(summary.note, markup=False)
    if summary.last_rejecting_run:
        out.print(
            f"its rejects: python -m automation rejects --run-id {summary.last_rejecting_run} {again}".rstrip(),
            markup=False,
        )
    if summary.cost:
        cost = summary.cost
        out.print(
            f"{cost['athena_queries']} Athena queries in {cost['workgroup']}; scanned "
            f"{aws.format_bytes(cost['data_scanned_bytes'])}, billed {aws.format_bytes(cost['billed_bytes'])}: "
            f"${cost['cost_usd']:.8f} (queries {', '.join(cost['query_ids'])})"
        )


def _against_gate(ratio: float, gate: float | None, status: str) -> str:
    if gate is None:
        return f"{ratio:.2%}"
    if ratio > gate:
        failed = ": the run failed before writing gold" if status == "failed" else ""
        return f"{ratio:.2%}, above the gate of {gate:.2%}{failed}"
    share = f" ({ratio / gate:.0%} of it)" if gate else ""
    return f"{ratio:.2%}, under the gate of {gate:.2%}{share}"
