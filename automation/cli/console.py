"""What the CLI shows while it works: step progress, the deploy's resource progress, the
run summary, spinners and transfer bars, confirmation questions and Ctrl-C during a deploy.

Presentation only: this package (`automation.cli`) is the only one that imports Rich. Results
go to stdout, progress and errors to stderr; logs and pipes get plain lines, never cut: where a
terminal shows a spinner, a log gets a line when the work starts (`→ run job`), a heartbeat
while it goes on (`· run job: still running after 16 s`, every `HEARTBEAT_SECONDS`) and, for a
step, its outcome line.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from contextlib import contextmanager
from time import perf_counter
from types import FrameType
from typing import Any, Callable, Iterator, Mapping, Sequence

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from automation.pipeline import PipelineResult
from automation.rejects import describe_reasons
from automation.stack import ChangeSummary, DeployError, StepProgress
from automation.wording import mode_text
from etl.errors import PipelineError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2  # argparse's own, for a bad command line
EXIT_INTERRUPTED = 130

# A log or a pipe hears from a long piece of work at least every 10 s (issue 23); 8 s leaves
# room for a busy machine's late wake-ups.
HEARTBEAT_SECONDS = 8.0


class Interrupted(PipelineError):
    """The user pressed Ctrl-C; the message says what goes on (a Glue run keeps running)."""

    exit_code = EXIT_INTERRUPTED


def error_console() -> Console:
    """Where the one error line goes: stderr, printed as is (no markup, no wrapping)."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(message: str) -> None:
    error_console().print(f"error: {message}", markup=False)


def consoles() -> tuple[Console, Console]:
    """stdout and stderr consoles; logs and pipes get wide lines, never cut or wrapped at 80 columns."""
    found = []
    for stderr in (False, True):
        console = Console(stderr=stderr)
        found.append(console if console.is_terminal else Console(stderr=stderr, width=200))
    return found[0], found[1]


# -- progress where there is no spinner: logs and pipes -------------------------------------


def plain_line(console: Console, text: str) -> None:
    """One line as written, no markup, no highlighting (a log keeps what it is sent)."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@contextmanager
def heartbeat(console: Console, title: str, every: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    """`→ title` now, then `· title: still running after N s` every `every` seconds until the
    block ends (from a thread of its own: the work may be blocked in a call that says nothing)."""
    plain_line(console, f"→ {title}")
    stop = threading.Event()
    started = perf_counter()

    def beat() -> None:
        while not stop.wait(every):
            plain_line(console, f"· {title}: still running after {perf_counter() - started:.0f} s")

    thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


# -- the pipeline's steps -------------------------------------------------------------------


class ConsoleProgress:
    """Steps on stderr: on a terminal a spinner with elapsed time while running; in a log a
    line when the step starts and heartbeats while it runs; then one line with its outcome."""

    def __init__(self, console: Console):
        self.console = console

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        if not self.console.is_terminal:
            with heartbeat(self.console, title):
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


def print_summary(console: Console, result: PipelineResult) -> None:
    report = result.report
    if report is None:  # run_pipeline returns only after the job step gave its report
        raise PipelineError("the pipeline ended without the job's run report")
    if result.preview is not None:
        # The query above its table, whole: a title longer than the table would be wrapped.
        console.print(result.preview_sql, markup=False, highlight=False, soft_wrap=True)
        console.print(rows_table(result.preview.columns, result.preview.rows))
    summary = Table(title="Run summary", title_justify="left", show_header=False)
    summary.add_column("item")
    summary.add_column("value")
    rows = [
        ("status", report.status),
        ("mode", mode_text(report)),
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
        ("top reject reasons", describe_reasons(result.reject_reasons, report)),
    ]
    for item, value in rows:
        summary.add_row(item, value)
    console.print(summary)


# -- the AWS verbs' screen ---------------------------------------------------------------


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


@contextmanager
def spinner(screen: Screen, title: str) -> Iterator[Callable[[str], None]]:
    """A spinner with the latest state on a terminal; in logs and pipes `→ title` and heartbeats."""
    if not screen.err.is_terminal:
        with heartbeat(screen.err, title):
            yield lambda _text: None
        return
    with screen.err.status(title) as status:
        yield lambda text: status.update(text)


@contextmanager
def byte_progress(screen: Screen) -> Iterator[Callable[[int], Callable[[int], None]] | None]:
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


def cell(value: Any) -> str:
    """A query result's value as a table shows it (an Athena array, `[a, b]`, is text, not markup)."""
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.2f}"
    return escape(str(value))


def rows_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> Table:
    """A query result as a table: its columns right-aligned, each value as `cell` shows it."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*[cell(v) for v in row])
    return table


# -- a deploy's progress, questions and Ctrl-C --------------------------------------------
_PAST = {"create": "created", "update": "updated", "delete": "deleted", "replace": "replaced", "same": "unchanged"}

_DOING = {"create": "creating", "update": "updating", "delete": "deleting", "replace": "replacing", "same": "checking"}


class ProgressDisplay:
    """Engine steps on stderr: a progress bar on a terminal (done of total, the resource in
    flight), else one line per finished change, `[ 5/34] created  <type> <name>`."""

    def __init__(self, console: Console):
        self.console = console
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.in_flight: list[str] = []

    def __call__(self, step: StepProgress) -> None:
        if step.finished and step.resource in self.in_flight:
            self.in_flight.remove(step.resource)
        elif not step.finished:
            self.in_flight.append(step.resource)
        if self.console.is_terminal:
            self._bar(step)
        elif step.failed:
            self._line(f"{self._count(step)} failed   {step.op} {step.resource}")
        elif step.finished and step.op != "same":
            self._line(f"{self._count(step)} {_PAST.get(step.op, step.op):<9}{step.resource}")

    def _line(self, text: str) -> None:
        self.console.print(text, highlight=False, soft_wrap=True, markup=False)

    def _count(self, step: StepProgress) -> str:
        total = "?" if step.total is None else str(step.total)
        return f"[{step.done:>{len(total)}}/{total}]"

    def _bar(self, step: StepProgress) -> None:
        if self.progress is None:
            self.progress = Progress(
                SpinnerColumn(),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=self.console,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("", total=step.total)
        assert self.task is not None  # set with the bar, above
        current = self.in_flight[-1] if self.in_flight else step.resource
        doing = _DOING.get(step.op, step.op) if self.in_flight else _PAST.get(step.op, step.op)
        self.progress.update(self.task, completed=step.done, total=step.total, description=f"{doing} {current}")
        if step.failed:
            self.progress.console.print(f"[red]✗[/] {step.op} {step.resource} failed", highlight=False)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def print_preview(console: Console, summary: ChangeSummary) -> None:
    console.print(f"Preview of stack {summary.stack!r}: {summary.line()}", highlight=False, soft_wrap=True)
    for op, type_, name in summary.steps:
        console.print(f"  {op:<9}{type_} {name}", highlight=False, soft_wrap=True, markup=False)


def print_outputs(console: Console, stack: str, outputs: Mapping[str, Any]) -> None:
    table = Table(title=f"Outputs of stack {stack!r}", title_justify="left")
    table.add_column("output")
    table.add_column("value", overflow="fold")
    for key in sorted(outputs):
        table.add_row(key, str(outputs[key]))
    console.print(table)


def stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


class CtrlC:
    """Ctrl-C during an engine operation: let Pulumi stop gracefully, then say so in one line.

    In a terminal, Ctrl-C reaches the whole process group: the Pulumi CLI gets it too and
    cancels after the steps in flight. Raising KeyboardInterrupt here instead would close
    the CLI's output pipes under it (the SDK reads them) and could kill it mid-cancel, so
    the first Ctrl-C only takes note; a second one quits at once, as Pulumi's own does.
    """

    def __init__(self, console: Console):
        self.console = console
        self.interrupted = False
        self._previous: Any = None  # what `signal.signal` returned: a handler, SIG_DFL or SIG_IGN

    def __enter__(self) -> CtrlC:
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.interrupted:
            threading.excepthook = lambda args: None  # the SDK's pipe readers die with the pipes: no noise
            raise KeyboardInterrupt
        self.interrupted = True
        self.console.print("Ctrl-C: Pulumi stops after the steps in flight (Ctrl-C again to quit now)", highlight=False)

    @contextmanager
    def prompt(self) -> Iterator[None]:
        """Ctrl-C at a question quits at once: nothing is running."""
        handler = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, handler)


def ask(err: Console, ctrl_c: CtrlC, args: argparse.Namespace, action: str, question: str) -> str | None:
    """The user's answer to `question`; None when `--yes` answered it already.

    Raises:
        DeployError: nobody can answer (stdin is not a terminal) and `--yes` was not given.
    """
    if args.yes:
        return None
    if not stdin_is_terminal():
        raise DeployError(
            f"refusing to {action} stack {args.stack!r} without confirmation: stdin is not a terminal; rerun with --yes"
        )
    with ctrl_c.prompt():
        return err.input(question, markup=False)
