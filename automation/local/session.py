"""The local Spark session: where its JVM logs, how it starts inside a lake, and what Ctrl-C
does to it.

Everything Spark writes lives in the lake (`logs/spark.log`): log4j's lines, and the JVM's own
stderr (an uncaught Java exception, a Python worker's traceback the JVM copies to its stderr),
so the terminal shows only the CLI's lines. Ctrl-C (`SparkInterrupt`) never calls into the JVM
from the signal handler: pyspark's own handler does (`cancelAllJobs` on the connection the
interrupted call is using), which is what printed py4j tracebacks and blamed silver.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Iterator

from etl.errors import PipelineError
from etl.tuning import local_session_settings

if TYPE_CHECKING:  # imported when a session starts: `--help` and the AWS verbs need no Spark
    from pyspark.sql import SparkSession

LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")
# Where Spark's own log lines go (log4j2.properties), and the JVM's stderr: never the terminal.
SPARK_LOG = Path("logs", "spark.log")
# The local session's JVM is a short batch job on a few cores: the throughput collector
# instead of G1 (Java 17's default) made the cold one-pass scan at 5e7 rows about 20 %
# faster and kept the driver's peak flatter (docs/benchmarks.md). On Glue the JVM is Glue's.
LOCAL_JVM_OPTIONS: tuple[str, ...] = ("-XX:+UseParallelGC",)
# After Ctrl-C, how often the running Spark jobs are cancelled again: a job the interrupted
# step starts after the first cancel is stopped within this time.
CANCEL_EVERY_SECONDS = 0.2
SECOND_CTRL_C_LINE = "error: interrupted twice: stopped at once (gold is replaced only whole, at commit)\n"


class SetupError(PipelineError):
    """The local environment or an input path is not usable."""


def local_uri(path: Path) -> str:
    """`file://` URI of a local path, without percent-encoding.

    Hadoop takes the path part literally: `Path.as_uri()` would turn `rows=5` into a folder
    named `rows%3D5` and a space into `%20`.
    """
    return "file://" + str(path.resolve())


def find_java() -> str:
    """The java executable Spark will use.

    Raises:
        SetupError: when none is found.
    """
    java_home = os.environ.get("JAVA_HOME")
    if java_home and Path(java_home, "bin", "java").exists():
        return str(Path(java_home, "bin", "java"))
    found = shutil.which("java")
    if not found:
        raise SetupError(
            "Java 17 is required to run Spark and was not found: install it "
            "(Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    return found


def spark_log(lake: Path) -> Path:
    """The file Spark's JVM logs to for a session started on `lake`."""
    return lake.resolve() / SPARK_LOG


@contextmanager
def _stderr_into(log: Path) -> Iterator[None]:
    """File descriptor 2 points at `log` (appending) while the JVM is launched, so the JVM and
    every process it starts inherit the log as their stderr. This process's own writes
    (`sys.stderr`: the CLI's progress and heartbeat lines, from any thread) go meanwhile to a
    copy of the original descriptor, and fd 2 is put back after."""
    sys.stderr.flush()
    saved = os.dup(2)
    target = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    previous = sys.stderr
    own = open(saved, "w", buffering=1, encoding=previous.encoding, errors=previous.errors, closefd=False)
    sys.stderr = own
    try:
        os.dup2(target, 2)
        yield
    finally:
        own.flush()
        os.dup2(saved, 2)
        sys.stderr = previous
        own.close()
        os.close(saved)
        os.close(target)


def start_spark(lake: Path, workers: int = 2, app_name: str = "silver-to-gold-local") -> SparkSession:
    """Start a local Spark session with Hive support whose state lives inside `lake`.

    Spark's own log lines (log4j) and the JVM's stderr go to `spark_log(lake)`, never to the
    terminal.

    Args:
        lake: the lake directory (created if needed).
        workers: local cores to use (`local[N]`).
        app_name: Spark's application name.
    """
    find_java()
    from pyspark.sql import SparkSession  # imported late: `--help` should not need Spark

    lake = lake.resolve()
    for folder in ("warehouse", "tmp/spark", "tmp/hive", "logs"):
        (lake / folder).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    java_options = " ".join(
        [
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG.resolve().as_uri()}",
            f"-Dsilver_to_gold.spark_log={spark_log(lake)}",
            f"-Dderby.system.home={lake}",
            f"-Dderby.stream.error.file={lake / 'logs' / 'derby.log'}",
            *LOCAL_JVM_OPTIONS,
        ]
    )
    builder = (
        SparkSession.builder.master(f"local[{workers}]")
        .appName(app_name)
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.local.dir", str(lake / "tmp" / "spark"))
        .config("spark.sql.warehouse.dir", local_uri(lake / "warehouse"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={lake / 'metastore_db'};create=true",
        )
        .config("spark.hadoop.hive.exec.scratchdir", str(lake / "tmp" / "hive"))
        .config("spark.hadoop.hive.exec.local.scratchdir", str(lake / "tmp" / "hive"))
        .enableHiveSupport()
    )
    for key, value in local_session_settings(workers).items():
        builder = builder.config(key, value)
    with _stderr_into(spark_log(lake)):
        return builder.getOrCreate()


class SparkInterrupt:
    """Ctrl-C during a local command: noted, never raised inside a call into the JVM.

    The handler only takes note and, once a session is `attach`ed, cancels its running Spark
    jobs from a thread of its own (again every `CANCEL_EVERY_SECONDS`, so a job started after
    the first cancel stops too). The interrupted call then returns or fails, and the caller,
    seeing `requested`, stops at once and says so in one line. A call that starts no Spark job
    (the metastore's first start, a catalog statement) is waited for: breaking it would leave
    the metastore half-written. A second Ctrl-C ends the process at once, with one line (no
    unwinding through the interrupted call into Spark: its JVM ends with this process, when
    its stdin closes). Use as a context manager around the whole command (the previous
    handler is put back at the end); `attach` again after a session starts, since pyspark's
    SparkContext installs its own SIGINT handler (`pyspark/context.py`, `signal_handler`).
    """

    def __init__(self) -> None:
        self.requested = False
        self._spark: Any = None
        self._previous: Any = None  # what `signal.signal` returned: a handler, SIG_DFL or SIG_IGN
        self._installed = False
        self._stop = threading.Event()
        self._canceller: threading.Thread | None = None

    def __enter__(self) -> SparkInterrupt:
        if threading.current_thread() is threading.main_thread():  # Python's rule for signal handlers
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.detach()
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    def attach(self, spark: SparkSession) -> None:
        """Cancel `spark`'s jobs on Ctrl-C (and take SIGINT back from pyspark's handler)."""
        self._spark = spark
        if self._installed:
            signal.signal(signal.SIGINT, self._handle)
        if self.requested:
            self._start_cancelling()

    def detach(self) -> None:
        """Stop cancelling, before the session stops (a cancel must not race `spark.stop()`)."""
        self._stop.set()
        if self._canceller is not None:
            self._canceller.join(timeout=5)
            self._canceller = None
        self._spark = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            os.write(2, SECOND_CTRL_C_LINE.encode())
            os._exit(130)  # the CLI's code for Ctrl-C (automation.cli.console.EXIT_INTERRUPTED)
        self.requested = True
        self._start_cancelling()

    def _start_cancelling(self) -> None:
        if self._spark is None or self._canceller is not None:
            return
        self._stop.clear()
        self._canceller = threading.Thread(target=self._cancel, name="ctrl-c-cancel", daemon=True)
        self._canceller.start()

    def _cancel(self) -> None:
        spark = self._spark
        while spark is not None and not self._stop.is_set():
            try:
                spark.sparkContext.cancelAllJobs()
            except Exception:  # noqa: BLE001 - the session is stopping: nothing left to cancel
                return
            self._stop.wait(CANCEL_EVERY_SECONDS)
