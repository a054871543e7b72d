"""The operations verbs on a deployed stack, one call each into `automation.aws`: run,
status, register, query (and its local twin, `query --lake`), logs.

Each verb reads the stack's outputs (`--stack` or `--outputs-file`), checks the ones it
needs and the credentials before touching anything (`automation.cli.options.open_stack`),
and shows the result: tables on stdout, progress on stderr, or with `--json` one JSON object
on the last line of stdout. Failures reach the one handler in `automation.cli`; Ctrl-C while
waiting stops the wait, never the job, and exits 130.
"""

from __future__ import annotations

import argparse

from rich.table import Table

from automation import aws
from automation.cli.console import EXIT_OK, Interrupted, Screen, rows_table, spinner
from automation.cli.options import Subcommands, add_run_options, add_stack_options, open_stack, source_flags
from automation.local import SparkInterrupt, query_lake
from automation.wording import mode_text, plural
from etl.schema import GOLD, preview_sql
from infra import outputs as out
from infra.settings import REGISTRATION_METHODS

RUN_OUTPUTS = (out.JOB_NAME, out.REPORTS_URI, out.PRICE_PER_DPU_HOUR, out.JOB_ERROR_LOG_GROUP)
QUERY_OUTPUTS = (out.ATHENA_WORKGROUP, out.GOLD_DATABASE)
LOGS_OUTPUTS = (out.JOB_NAME, out.JOB_ERROR_LOG_GROUP, out.JOB_OUTPUT_LOG_GROUP)


def add_parsers(commands: Subcommands) -> None:
    run = commands.add_parser(
        "run",
        help="start the stack's Glue job and wait for it (AWS)",
        description="Start the stack's Glue job (refused while a run is in progress), wait with its state and "
        "elapsed time, then show Glue's view of the run, the job's own report and what the run cost.",
    )
    add_stack_options(run)
    add_run_options(run)
    run.add_argument("--no-wait", action="store_true", help="print the run id and return at once")
    run.set_defaults(handler=run_command)

    status = commands.add_parser(
        "status",
        help="the last (or a given) job run: state, report, cost (AWS)",
        description="Show the newest (or the given) run of the stack's Glue job as `run` shows it; --wait waits "
        "for a run started elsewhere (--no-wait, a schedule, the console). Exit 1 when the run did not succeed.",
    )
    add_stack_options(status)
    status.add_argument("--run-id", help="a job run id (default: the newest run)")
    status.add_argument("--wait", action="store_true", help="wait for the run to finish, as `run` does")
    status.set_defaults(handler=status_command)

    register = commands.add_parser(
        "register",
        help="make gold's partitions visible in the Glue catalog (AWS)",
        description="Make the gold partitions visible in the Glue catalog: check what the job registered against "
        "the ano=/mes= folders in S3 (job), run the stack's crawler (crawler), or run the saved MSCK REPAIR "
        "TABLE query in Athena (msck).",
    )
    add_stack_options(register)
    register.add_argument(
        "--method",
        choices=REGISTRATION_METHODS,
        default="job",
        help="job: check what the job registered against S3 (default); crawler: run the crawler; "
        "msck: run the saved MSCK REPAIR TABLE query",
    )
    register.set_defaults(handler=register_command)

    query = commands.add_parser(
        "query",
        help="run SQL in the stack's Athena workgroup (AWS), or in a local lake's catalog (--lake)",
        description="Run SQL (default: the preview query) in the stack's Athena workgroup against the gold "
        "database, or with --lake through a local lake's catalog; print the rows as a table and, on AWS, what "
        "the query scanned and costs.",
    )
    add_stack_options(query, lake=True)
    query.add_argument("--sql", help="the SQL to run (default: the stack's preview query, or the lake's)")
    query.set_defaults(handler=query_command)

    logs = commands.add_parser(
        "logs",
        help="a job run's log streams in the Glue 5.0 log groups (AWS)",
        description="List a job run's streams (<run id>-driver, <run id>-<executor>) in the stack's Glue 5.0 log "
        "groups with their event counts, times and ERROR lines; --follow prints the driver's log while the "
        "run goes on.",
    )
    add_stack_options(logs)
    logs.add_argument("--run-id", help="a job run id (default: the newest run)")
    logs.add_argument("--follow", action="store_true", help="print the driver's log while the run goes on")
    logs.set_defaults(handler=logs_command)


def run_command(args: argparse.Namespace) -> int:
    """`run`: start the job; wait for it unless --no-wait."""
    screen = Screen(args.json)
    stack = open_stack(args, *RUN_OUTPUTS)
    run_id = aws.start_job_run(stack, args.mode, args.timeout_minutes)
    screen.progress(f"started job run {run_id} of {stack.outputs.job_name}")
    if args.no_wait:
        document = {"run_id": run_id, "job_name": stack.outputs.job_name, "state": "STARTING"}
        screen.result(
            document,
            lambda: screen.out.print(
                f"{run_id}\nfollow it with: python -m automation status --run-id {run_id} --wait {source_flags(args)}"
            ),
        )
        return EXIT_OK
    settings = aws.job_settings(stack).for_run(args.timeout_minutes)
    return _wait_and_show(args, screen, stack, run_id, settings)


def status_command(args: argparse.Namespace) -> int:
    """`status`: the last (or given) run's state, report and cost, followed to its last
    attempt when Glue retried it; --wait waits for it."""
    screen = Screen(args.json)
    stack = open_stack(args, *RUN_OUTPUTS)
    run = aws.get_job_run(stack, args.run_id) if args.run_id else aws.latest_job_run(stack)
    settings = aws.job_settings(stack)
    attempts = aws.all_attempts(stack, run)
    if args.wait and attempts[-1].get("JobRunState") in aws.RUN_ACTIVE_STATES:
        return _wait_and_show(args, screen, stack, attempts[-1]["Id"], settings)
    return show_run(screen, aws.describe_job_run(stack, attempts[-1], attempts[:-1], settings.max_attempts))


def _wait_and_show(
    args: argparse.Namespace, screen: Screen, stack: aws.Stack, run_id: str, settings: aws.JobSettings
) -> int:
    following = {"run_id": run_id}
    try:
        with spinner(screen, f"waiting for job run {run_id}") as update:
            printer = aws.run_progress_printer(screen.progress)

            def on_poll(poll: aws.Poll) -> None:
                printer(poll)
                attempt: aws.Attempt = poll.value
                following["run_id"] = attempt.run["Id"]
                update(f"{attempt.run['Id']}: {attempt.state} {poll.elapsed:.0f} s, {attempt.describe()}")

            outcome = aws.follow_job_run(stack, run_id, settings, on_poll)
    except KeyboardInterrupt:
        current = following["run_id"]
        raise Interrupted(
            f"stopped waiting; job run {current} goes on. Follow it with: "
            f"python -m automation status --run-id {current} --wait {source_flags(args)}"
        ) from None
    return show_run(screen, outcome)


def show_run(screen: Screen, run: aws.JobRunOutcome) -> int:
    def render() -> None:
        table = Table(title=f"Job run {run.run_id}", title_justify="left", show_header=False)
        table.add_column("item")
        table.add_column("value")
        rows = [
            ("state", run.state),
            (
                "attempt",
                run.attempts_text().removeprefix("attempt ")
                + (f" (after {', '.join(run.earlier_attempts)})" if run.earlier_attempts else ""),
            ),
            ("started", run.started_on),
            ("completed", run.completed_on or "-"),
            ("execution time", f"{run.execution_seconds} s"),
            ("workers", f"{run.worker_type} x {run.workers}"),
        ]
        if run.cost:
            cost = run.cost
            how = (
                "Glue's DPUSeconds" if cost.from_dpu_seconds else f"{cost.dpus:g} DPU x {cost.billed_seconds} s billed"
            )
            if cost.attempts > 1:
                how += f", {cost.attempts} attempts"
            rows += [
                ("DPU-seconds", f"{cost.dpu_seconds:g} ({how})"),
                ("cost", f"${cost.usd:.6f} at ${cost.price_per_dpu_hour}/DPU-hour"),
            ]
        if run.report:
            report = run.report
            rows += [
                ("mode", mode_text(report)),
                ("rows read", f"{report.rows_read:,}"),
                ("rows rejected", f"{report.rows_rejected:,} ({report.reject_ratio:.2%})"),
                ("rows written", f"{report.rows_written:,}"),
                ("partitions written", str(report.partitions_written)),
                ("partitions dropped", str(report.partitions_dropped)),
                ("job seconds", f"{report.seconds.get('job', 0.0):.1f}"),
                ("run report", run.report_uri),
            ]
        elif run.succeeded:
            rows.append(("run report", f"not found at {run.report_uri}"))
        if run.error_message:
            rows.append(("error", run.error_message))
        rows += [("driver log", f"{run.driver_log_group} {run.driver_log_stream}"), ("console", run.console_url)]
        for item, value in rows:
            table.add_row(item, value)
        screen.out.print(table)

    screen.result(run.to_dict(), render)
    if run.failed:
        raise aws.JobRunFailed(run.failure_message())
    return EXIT_OK


def register_command(args: argparse.Namespace) -> int:
    """`register --method job|crawler|msck`."""
    screen = Screen(args.json)
    stack = open_stack(args, *aws.REGISTER_OUTPUTS[args.method])
    with spinner(screen, f"registering gold partitions ({args.method})"):
        outcome = aws.register(stack, args.method, screen.progress)

    def render() -> None:
        screen.out.print(f"{args.method}: {outcome.detail}")
        if outcome.partitions:
            screen.out.print("partitions: " + ", ".join(outcome.partitions))

    screen.result(outcome.to_dict(), render)
    return EXIT_OK


def query_command(args: argparse.Namespace) -> int:
    """`query [--sql SQL]`: the stack's preview query by default; `--lake` asks a local lake."""
    if args.lake is not None:
        return query_lake_command(args)
    screen = Screen(args.json)
    needed = QUERY_OUTPUTS if args.sql else (*QUERY_OUTPUTS, out.PREVIEW_SQL)
    stack = open_stack(args, *needed)
    sql = args.sql or stack.outputs.preview_sql
    with spinner(screen, "waiting for Athena"):
        outcome = aws.run_query(stack, sql, progress=screen.progress)

    def render() -> None:
        screen.out.print(rows_table(outcome.columns, outcome.rows, title=sql))
        cost = outcome.cost
        screen.out.print(
            f"{plural(len(outcome.rows), 'row')}; scanned {aws.format_bytes(cost.scanned_bytes)}, "
            f"billed {aws.format_bytes(cost.billed_bytes)}: ${cost.usd:.8f} (query {outcome.query_id})"
        )

    screen.result(outcome.to_dict(), render)
    return EXIT_OK


def query_lake_command(args: argparse.Namespace) -> int:
    """`query --lake DIR [--sql SQL]`: Spark SQL through the catalog a local run left (its Hive
    metastore), the AWS `query`'s local twin; the tutorial's preview by default."""
    screen = Screen(args.json)
    sql = args.sql or preview_sql(GOLD)
    with SparkInterrupt() as interrupt, spinner(screen, f"asking the local catalog in {args.lake}"):
        result = query_lake(args.lake, sql, interrupt=interrupt)
    document = {
        "backend": "local",
        "lake": str(args.lake),
        "sql": sql,
        "columns": list(result.columns),
        "rows": result.as_dicts(),
    }

    def render() -> None:
        screen.out.print(rows_table(result.columns, result.rows, title=sql))
        screen.out.print(f"{plural(len(result.rows), 'row')} (local catalog in {args.lake})")

    screen.result(document, render)
    return EXIT_OK


def logs_command(args: argparse.Namespace) -> int:
    """`logs [--run-id ID] [--follow]`: the run's streams in the Glue 5.0 log groups GetJobRun
    names (the stack's own groups too), with their ERROR lines."""
    screen = Screen(args.json)
    stack = open_stack(args, *LOGS_OUTPUTS)
    run = aws.get_job_run(stack, args.run_id) if args.run_id else aws.latest_job_run(stack)
    run_id = run["Id"]
    if args.follow:
        try:
            run = aws.follow_driver_log(stack, run_id, lambda line: screen.err.print(line, markup=False))
        except KeyboardInterrupt:
            raise Interrupted(f"stopped following; job run {run_id} goes on") from None
    logs = aws.run_logs(stack, run)
    document = {
        "run_id": run_id,
        "state": run.get("JobRunState"),
        "groups": logs.groups,
        "groups_not_found": logs.missing_groups,
        "groups_not_readable": logs.denied_groups,
        "streams": [s.to_dict() for s in logs.streams],
    }

    def render() -> None:
        table = Table(title=f"Log streams of job run {run_id} ({run.get('JobRunState')})", title_justify="left")
        for column in ("group", "stream (run id-)", "first event", "last event", "ERROR lines"):
            table.add_column(column)
        for s in logs.streams:
            stream = s.stream[len(run_id) + 1 :] if s.stream.startswith(run_id + "-") else s.stream
            table.add_row(s.group, stream, s.first_event, s.last_event, str(s.error_count))
        screen.out.print(table)
        if not logs.streams:
            searched = ", ".join(logs.groups + logs.missing_groups + logs.denied_groups)
            screen.out.print(f"no log streams for {run_id} in {searched} (yet)")
        for s in logs.streams:
            for line in s.error_lines:
                screen.out.print(f"{s.stream}: {line}", markup=False)

    screen.result(document, render)
    return EXIT_OK
