"""The AWS verbs of the CLI: run, status, register, query, logs, load-silver, pipeline.

Each verb reads the stack's outputs (`--stack` or `--outputs-file`), checks the ones it
needs and the credentials before touching anything, calls `automation.aws_backend`, and
shows the result: tables on stdout, progress on stderr, or with `--json` one JSON object on
the last line of stdout. Failures are one line on stderr and exit 1; Ctrl-C while waiting
stops the wait, never the job, and exits 130.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table

from automation import aws_backend as ops
from automation.aws import AwsClients, build_session, error_message
from automation.costs import format_bytes
from automation.stack_outputs import StackOutputs, stack_outputs
from etl.errors import PipelineError
from infra import outputs as out

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130

RUN_OUTPUTS = (out.JOB_NAME, out.REPORTS_URI, out.PRICE_PER_DPU_HOUR, out.JOB_ERROR_LOG_GROUP)
REGISTER_OUTPUTS = {
    "job": (out.GOLD_DATABASE, out.GOLD_TABLE, out.GOLD_URI),
    "crawler": (out.GOLD_DATABASE, out.GOLD_TABLE, out.GOLD_URI, out.CRAWLER_NAME),
    "msck": (out.GOLD_DATABASE, out.GOLD_TABLE, out.GOLD_URI, out.REPAIR_QUERY_ID, out.ATHENA_WORKGROUP),
}
QUERY_OUTPUTS = (out.ATHENA_WORKGROUP, out.GOLD_DATABASE)
LOGS_OUTPUTS = (out.JOB_NAME, out.JOB_ERROR_LOG_GROUP, out.JOB_OUTPUT_LOG_GROUP)
LOAD_SILVER_OUTPUTS = (out.SILVER_URI, out.SILVER_DATABASE, out.SILVER_TABLE)


class Screen:
    """Where a verb shows things: results on stdout, progress and errors on stderr."""

    def __init__(self, as_json: bool):
        self.as_json = as_json
        self.out = Console(highlight=False, soft_wrap=True)
        if not self.out.is_terminal:  # logs and pipes: no truncated run ids or URIs
            self.out.width = 200
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)

    def progress(self, message: str) -> None:
        self.err.print(f"  {message}")

    def result(self, document: dict[str, Any], render: Callable[[], None]) -> None:
        if self.as_json:
            print(json.dumps(document, sort_keys=True, default=str), flush=True)
        else:
            render()

    def error(self, message: str) -> None:
        self.err.print(f"error: {message}")


def _source_flags(args: argparse.Namespace) -> str:
    return f"--outputs-file {args.outputs_file}" if args.outputs_file else f"--stack {args.stack}"


def _connect(args: argparse.Namespace, *needed: str) -> tuple[StackOutputs, AwsClients]:
    """Outputs (checked for `needed`), then a session in the stack's region with working credentials."""
    outputs = stack_outputs(args.stack, args.outputs_file)
    outputs.require(*needed)
    clients = AwsClients(build_session(outputs.get(out.REGION)))
    clients.check_credentials()
    return outputs, clients


def run_aws_command(args: argparse.Namespace) -> int:
    """Run one AWS verb; turn every failure into one line on stderr."""
    screen = Screen(args.json)
    handler = COMMANDS[args.command]
    try:
        return handler(args, screen)
    except KeyboardInterrupt:
        screen.error("interrupted")
        return EXIT_INTERRUPTED
    except PipelineError as error:
        screen.error(str(error))
    except NoCredentialsError:
        screen.error("no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    except ClientError as error:
        screen.error(f"AWS refused {error.operation_name}: {error_message(error)}")
    except BotoCoreError as error:  # endpoint unreachable, bad profile, ...
        screen.error(str(error))
    except Exception as error:  # a bug: one line here, the traceback in a file
        log = Path(tempfile.gettempdir()) / "silver-to-gold-last-error.log"
        log.write_text(traceback.format_exc())
        screen.error(f"{type(error).__name__}: {error} (details: {log})")
    return EXIT_FAILED


# -- run and status --------------------------------------------------------------------
def run_command(args: argparse.Namespace, screen: Screen) -> int:
    """`run`: start the job; wait for it unless --no-wait."""
    outputs, clients = _connect(args, *RUN_OUTPUTS)
    run_id = ops.start_job_run(clients, outputs, args.mode, args.timeout_minutes)
    screen.progress(f"started job run {run_id} of {outputs[out.JOB_NAME]}")
    if args.no_wait:
        document = {"run_id": run_id, "job_name": outputs[out.JOB_NAME], "state": "STARTING"}
        screen.result(
            document,
            lambda: screen.out.print(
                f"{run_id}\nfollow it with: python -m automation status --run-id {run_id} --wait {_source_flags(args)}"
            ),
        )
        return EXIT_OK
    timeout = args.timeout_minutes or ops.job_timeout_minutes(clients, outputs[out.JOB_NAME])
    return _wait_and_show(args, screen, outputs, clients, run_id, timeout + ops.WAIT_MARGIN_MINUTES)


def status_command(args: argparse.Namespace, screen: Screen) -> int:
    """`status`: the last (or given) run's state, report and cost; --wait waits for it."""
    outputs, clients = _connect(args, *RUN_OUTPUTS)
    job_name = outputs[out.JOB_NAME]
    run = ops.get_job_run(clients, job_name, args.run_id) if args.run_id else ops.latest_job_run(clients, job_name)
    if args.wait and run.get("JobRunState") in ops.RUN_ACTIVE_STATES:
        timeout = ops.job_timeout_minutes(clients, job_name) + ops.WAIT_MARGIN_MINUTES
        return _wait_and_show(args, screen, outputs, clients, run["Id"], timeout)
    return _show_run(screen, ops.describe_job_run(clients, outputs, run))


def _wait_and_show(
    args: argparse.Namespace,
    screen: Screen,
    outputs: StackOutputs,
    clients: AwsClients,
    run_id: str,
    timeout_minutes: float,
) -> int:
    job_name = outputs[out.JOB_NAME]
    try:
        with _spinner(screen, f"waiting for job run {run_id}") as update:
            printer = ops.run_progress_printer(screen.progress)

            def on_poll(poll) -> None:
                printer(poll)
                run = poll.value
                update(f"{run_id}: {run.get('JobRunState')} {poll.elapsed:.0f} s, attempt {run.get('Attempt', 0)}")

            run = ops.wait_for_job_run(clients, job_name, run_id, timeout_minutes, on_poll)
    except KeyboardInterrupt:
        screen.error(
            f"stopped waiting; job run {run_id} goes on. Follow it with: "
            f"python -m automation status --run-id {run_id} --wait {_source_flags(args)}"
        )
        return EXIT_INTERRUPTED
    return _show_run(screen, ops.describe_job_run(clients, outputs, run))


@contextmanager
def _spinner(screen: Screen, title: str) -> Iterator[Callable[[str], None]]:
    """A spinner with the latest state on a terminal; nothing extra in logs and pipes."""
    if not screen.err.is_terminal:
        yield lambda _text: None
        return
    with screen.err.status(title) as status:
        yield lambda text: status.update(text)


def _show_run(screen: Screen, run: ops.JobRunOutcome) -> int:
    def render() -> None:
        table = Table(title=f"Job run {run.run_id}", title_justify="left", show_header=False)
        table.add_column("item")
        table.add_column("value")
        rows = [
            ("state", run.state),
            ("attempt", str(run.attempt)),
            ("started", run.started_on),
            ("completed", run.completed_on or "-"),
            ("execution time", f"{run.execution_seconds} s"),
            ("workers", f"{run.worker_type} x {run.workers}"),
        ]
        if run.cost:
            rows += [
                (
                    "DPU-seconds",
                    f"{run.cost.dpu_seconds:g} ({run.cost.dpus:g} DPU x {run.cost.billed_seconds} s billed)",
                ),
                ("cost", f"${run.cost.usd:.6f} at ${run.cost.price_per_dpu_hour}/DPU-hour"),
            ]
        if run.report:
            report = run.report
            rows += [
                ("mode", f"{report.mode} ({report.plan})"),
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
    if run.state in ops.RUN_FAILED_STATES:
        screen.error(run.failure_message())
        return EXIT_FAILED
    return EXIT_OK


# -- register, query, logs ---------------------------------------------------------------
def register_command(args: argparse.Namespace, screen: Screen) -> int:
    """`register --method job|crawler|msck`."""
    outputs, clients = _connect(args, *REGISTER_OUTPUTS[args.method])
    with _spinner(screen, f"registering gold partitions ({args.method})"):
        outcome = ops.register(clients, outputs, args.method, screen.progress)

    def render() -> None:
        screen.out.print(f"{args.method}: {outcome.detail}")
        if outcome.partitions:
            screen.out.print("partitions: " + ", ".join(outcome.partitions))

    screen.result(outcome.to_dict(), render)
    return EXIT_OK


def query_command(args: argparse.Namespace, screen: Screen) -> int:
    """`query [--sql SQL]`: the stack's preview query by default."""
    needed = QUERY_OUTPUTS if args.sql else (*QUERY_OUTPUTS, out.PREVIEW_SQL)
    outputs, clients = _connect(args, *needed)
    sql = args.sql or outputs[out.PREVIEW_SQL]
    with _spinner(screen, "waiting for Athena"):
        outcome = ops.run_query(clients, outputs, sql, progress=screen.progress)

    def render() -> None:
        table = Table(title=sql, title_justify="left")
        for column in outcome.columns:
            table.add_column(column, justify="right")
        for row in outcome.rows:
            table.add_row(*[_cell(v) for v in row])
        screen.out.print(table)
        cost = outcome.cost
        screen.out.print(
            f"{len(outcome.rows)} rows; scanned {format_bytes(cost.scanned_bytes)}, "
            f"billed {format_bytes(cost.billed_bytes)}: ${cost.usd:.8f} (query {outcome.query_id})"
        )

    screen.result(outcome.to_dict(), render)
    return EXIT_OK


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def logs_command(args: argparse.Namespace, screen: Screen) -> int:
    """`logs [--run-id ID] [--follow]`: the run's streams in the Glue 5.0 log groups."""
    outputs, clients = _connect(args, *LOGS_OUTPUTS)
    job_name = outputs[out.JOB_NAME]
    run = ops.get_job_run(clients, job_name, args.run_id) if args.run_id else ops.latest_job_run(clients, job_name)
    run_id = run["Id"]
    if args.follow:
        try:
            run = ops.follow_driver_log(clients, outputs, run_id, lambda line: screen.err.print(line, markup=False))
        except KeyboardInterrupt:
            screen.error(f"stopped following; job run {run_id} goes on")
            return EXIT_INTERRUPTED
    groups = [outputs[out.JOB_ERROR_LOG_GROUP], outputs[out.JOB_OUTPUT_LOG_GROUP]]
    streams = ops.run_log_streams(clients, groups, run_id)
    document = {
        "run_id": run_id,
        "state": run.get("JobRunState"),
        "groups": groups,
        "streams": [s.to_dict() for s in streams],
    }

    def render() -> None:
        table = Table(title=f"Log streams of job run {run_id} ({run.get('JobRunState')})", title_justify="left")
        for column in ("group", "stream (run id-)", "events", "first event", "last event", "ERROR lines"):
            table.add_column(column)
        for s in streams:
            stream = s.stream[len(run_id) + 1 :] if s.stream.startswith(run_id + "-") else s.stream
            table.add_row(s.group, stream, str(s.events), s.first_event, s.last_event, str(len(s.error_lines)))
        screen.out.print(table)
        if not streams:
            screen.out.print(f"no log streams for {run_id} in {', '.join(groups)} (yet)")
        for s in streams:
            for line in s.error_lines:
                screen.out.print(f"{s.stream}: {line}", markup=False)

    screen.result(document, render)
    return EXIT_OK


# -- load-silver and pipeline ------------------------------------------------------------
def _sample_options(args: argparse.Namespace) -> ops.SampleOptions:
    return ops.SampleOptions(rows=args.rows, months=args.months, invalid_fraction=args.invalid_fraction, seed=args.seed)


@contextmanager
def _byte_progress(screen: Screen) -> Iterator[Callable[[int], Callable[[int], None]] | None]:
    """A transfer bar (bytes, speed) on a terminal; None for logs and pipes."""
    if not screen.err.is_terminal:
        yield None
        return
    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=screen.err,
        transient=True,
    )

    def start(total: int) -> Callable[[int], None]:
        bar.start()
        task = bar.add_task("uploading silver", total=total)
        return lambda sent: bar.update(task, advance=sent)

    try:
        yield start
    finally:
        bar.stop()


def load_silver_command(args: argparse.Namespace, screen: Screen) -> int:
    """`load-silver [--rows N | --silver-path DIR]`."""
    if args.silver_path is not None:
        ops.silver_files(args.silver_path)  # a bad path fails before any AWS call
    outputs, clients = _connect(args, *LOAD_SILVER_OUTPUTS)
    with _byte_progress(screen) as bytes_progress:
        outcome = ops.load_silver(
            clients,
            outputs,
            silver_path=args.silver_path,
            sample=_sample_options(args),
            progress=screen.progress,
            bytes_progress=bytes_progress,
        )
    screen.result(outcome.to_dict(), lambda: screen.out.print(f"{outcome.describe()} ({outcome.location})"))
    return EXIT_OK


def pipeline_command(args: argparse.Namespace, screen: Screen) -> int:
    """`pipeline`: deploy (unless --skip-deploy), load silver if asked, run, register, verify, query."""
    from automation.cli import ConsoleProgress
    from automation.pipeline import run_pipeline

    if args.outputs_file and not args.skip_deploy:
        raise PipelineError(
            "--outputs-file describes a stack that is already deployed: add --skip-deploy, or deploy with --stack NAME"
        )
    outputs = stack_outputs(args.stack, args.outputs_file) if args.skip_deploy else None
    options = ops.AwsOptions(
        stack=args.stack,
        skip_deploy=args.skip_deploy,
        config=dict(args.config or []),
        load_silver=args.load_silver,
        silver_path=args.silver_path,
        sample=_sample_options(args),
        method=args.method,
        mode=args.mode,
        timeout_minutes=args.timeout_minutes,
    )
    backend = ops.AwsBackend(
        options,
        outputs,
        lambda o: AwsClients(build_session(o.get(out.REGION))),
        progress=screen.progress,
        on_deploy_event=_deploy_progress(screen),
    )
    result = run_pipeline(backend, ConsoleProgress(screen.err))
    result.cost = backend.cost()
    result.links = backend.links()
    screen.result(result.to_dict(), lambda: _print_pipeline_summary(screen, result, backend))
    return EXIT_OK


def _deploy_progress(screen: Screen) -> Callable[[Any], None]:
    """The deploy step's resource progress, drawn as `python -m automation deploy` draws it."""

    def show(step: Any) -> None:
        from automation.deploy import ProgressDisplay  # lazily: only a deploy needs it

        if not hasattr(show, "display"):
            show.display = ProgressDisplay(screen.err)  # type: ignore[attr-defined]
        show.display(step)  # type: ignore[attr-defined]

    return show


def _print_pipeline_summary(screen: Screen, result, backend: ops.AwsBackend) -> None:
    from automation.cli import _print_summary

    _print_summary(screen.out, result)
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
        f"{cost['athena_queries']} queries, scanned {format_bytes(cost['athena_data_scanned_bytes'])}, "
        f"billed {format_bytes(cost['athena_billed_bytes'])}: ${cost['athena_usd']:.8f}",
    )
    table.add_row("total", f"${cost['total_usd']:.6f}")
    for name, url in result.links.items():
        table.add_row(f"{name} console", url)
    screen.out.print(table)


COMMANDS: dict[str, Callable[[argparse.Namespace, Screen], int]] = {
    "run": run_command,
    "status": status_command,
    "register": register_command,
    "query": query_command,
    "logs": logs_command,
    "load-silver": load_silver_command,
    "pipeline": pipeline_command,
}
