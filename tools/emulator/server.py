"""moto's server on a loopback port, its control API, and what moto does not do by itself:
run the Glue job and answer Athena's queries.

The server sits one WSGI layer in front of moto (`Emulated`):

- moto runs no query: `GetQueryResults` answers from a queue filled through its control API
  `/moto-api/static/athena/query-results`, and `StartQueryExecution` takes the next queued
  result for the query it starts. When a `StartQueryExecution` arrives, its SQL is run in
  DuckDB over the tables of the emulated Glue catalog (`tools.emulator.lake`) and the answer
  queued just before moto sees the request, so the query gets its own result. A query DuckDB
  cannot run (a DDL statement such as MSCK REPAIR TABLE) queues nothing: moto's empty result.
- moto runs no job: before a `StartJobRun` reaches moto, the emulator's `on_job_run` (the
  played job, `tools.emulator.player`) does the job's work; once moto's answer names the
  new run, and before that answer goes back, the run's own files are written: nobody sees
  the run before its output is in place, and moto's clock for its states starts after the
  work (so every run is seen STARTING, RUNNING, then SUCCEEDED).
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import boto3
import sqlglot

from tools.emulator.iam import SIMULATOR_ACTIONS, answer_simulator, caller_of
from tools.emulator.on_behalf import Read, reads_of, refusal

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Job runs go STARTING -> RUNNING -> SUCCEEDED and crawls finish, this many seconds a step.
STEP_SECONDS = 2

log = logging.getLogger("tools.emulator")


@dataclass
class Emulator:
    """moto's server: its URL, control API and clients pointed at it."""

    url: str
    _clients: dict[str, Any] = field(default_factory=dict)
    # Called with (job name, the run's arguments) before moto starts a job run (the player);
    # what it returns is called with the run's id once moto has started it.
    on_job_run: Callable[[str, dict[str, str]], Callable[[str], None] | None] | None = None
    # Added to every environment `env()` gives (tests add their API-call recorder here).
    extra_env: dict[str, str] = field(default_factory=dict)
    calls_file: Path | None = None
    # What Athena read as the caller for each query (the tests hold them to the verbs'
    # declaration), the reads of the query being started, and the queries refused, with why.
    athena_reads: list[dict[str, str]] = field(default_factory=list)
    pending_reads: list[Any] = field(default_factory=list)
    refused_queries: dict[str, str] = field(default_factory=dict)
    # The log group prefix each played run wrote to: GetJobRun(s) answer it as the run's
    # LogGroupName, where moto answers "test/log" for every run (FakeJobRun.as_dict).
    run_log_group_names: dict[str, str] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.Session(
                aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
            ).client(service, endpoint_url=self.url)
        return self._clients[service]

    def control(self, path: str, body: dict | None = None) -> None:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body or {}).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).read()

    def reset(self) -> None:
        """Forget every resource; runs and crawls then move a state every STEP_SECONDS."""
        self.control("/moto-api/reset")
        self.athena_reads, self.pending_reads, self.refused_queries = [], [], {}
        self.run_log_group_names = {}
        for model in ("glue::job_run", "glue::crawl"):
            self.set_progression(model, {"progression": "time", "seconds": STEP_SECONDS})

    def set_progression(self, model: str, transition: dict[str, Any]) -> None:
        """How moto's state manager moves `model`'s states (`glue::job_run`, `glue::crawl`):
        `{"progression": "immediate"}` (the last state at the first look), `"manual"` with `times`
        (a state every that many looks) or `"time"` with `seconds`; `reset` restores the timed steps."""
        self.control("/moto-api/state-manager/set-transition", {"model_name": model, "transition": transition})

    def seed_athena_results(self, columns: list[tuple[str, str]], rows: list[list[Any]]) -> None:
        """Queue one query result (header row first, as Athena returns a SELECT's)."""

        def row(values: list[Any]) -> dict:
            return {"Data": [{} if v is None else {"VarCharValue": athena_text(v)} for v in values]}

        self.control(
            "/moto-api/static/athena/query-results",
            {
                "region": REGION,
                "results": [
                    {
                        "rows": [row([name for name, _ in columns])] + [row(r) for r in rows],
                        "column_info": [
                            {"CatalogName": "hive", "Name": name, "Label": name, "Type": type_, "Nullable": "UNKNOWN"}
                            for name, type_ in columns
                        ],
                    }
                ],
            },
        )

    def env(self, **extra: str) -> dict[str, str]:
        """The environment a user's shell would have: endpoint, credentials, no profile files."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(FAKE_CREDENTIALS)
        env.update(
            AWS_ENDPOINT_URL=self.url,
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_EC2_METADATA_DISABLED="true",
            PYTHONPATH=str(PROJECT_ROOT),
        )
        env.update(self.extra_env)
        env.update(extra)
        return env


def athena_text(value: Any) -> str:
    """A value as Athena's GetQueryResults writes it (VarCharValue)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # an array: [a, b], as Athena prints one
        return "[" + ", ".join(athena_text(v) for v in value) + "]"
    return str(value)


# Answers a query: (sql, database) -> (columns with Athena types, rows), or None when it cannot.
Answer = Callable[[str, str | None], tuple[list[tuple[str, str]], list[list[Any]]] | None]


class Emulated:
    """WSGI middleware in front of moto: Athena's queries answered (and refused, as Athena
    refuses them, when the caller may not read what they name), the Glue job played, IAM's
    policy simulator answered."""

    def __init__(self, app: Any, emulator: Callable[[], Emulator | None], answer: Answer):
        self.app = app
        self.emulator = emulator
        self.answer = answer

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        if "/iam/aws4_request" in authorization:
            return self._iam(environ, start_response)
        if target.endswith(".GetQueryExecution"):
            return self._query_state(environ, start_response)
        if target.endswith((".GetJobRun", ".GetJobRuns")):
            return self._job_runs(environ, start_response)
        if not target.endswith((".StartQueryExecution", ".StartJobRun")):
            return self.app(environ, start_response)
        body = _body(environ)
        if target.endswith(".StartQueryExecution"):
            refused = self._refusal(body, authorization)
            if refused is None:
                self._prepare_answer(body)
            answered = _call(self.app, environ, start_response)
            self._started(answered.body, refused)
            return answered.send(start_response)
        publish = self._play(body)
        answered_run = _call(self.app, environ, start_response)
        if publish is not None:
            try:
                run_id = json.loads(answered_run.body).get("JobRunId")
            except ValueError:
                run_id = None
            if run_id:  # not a refusal (ConcurrentRunsExceededException, ...)
                publish(run_id)
        return answered_run.send(start_response)

    # -- IAM: the policy simulator moto lacks ----------------------------------------------
    def _iam(self, environ: dict, start_response: Callable) -> Any:
        body = _body(environ)
        form = urllib.parse.parse_qs(body.decode())
        emulator = self.emulator()
        if emulator is None or form.get("Action", [""])[0] not in SIMULATOR_ACTIONS:
            return self.app(environ, start_response)
        answer = answer_simulator(emulator, form).encode()
        start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(answer)))])
        return [answer]

    # -- Athena: the caller's reads, checked; a refused query FAILED -------------------------
    def _refusal(self, body: bytes, authorization: str) -> tuple[str, list[Read]] | None:
        """Athena's reason to fail the query, when the caller (an IAM user of the emulator) may
        not make every read it needs; each read is recorded for the tests."""
        emulator = self.emulator()
        if emulator is None:
            return None
        caller = caller_of(emulator, authorization)
        request = json.loads(body)
        database = (request.get("QueryExecutionContext") or {}).get("Database")
        account = caller.arn.split(":")[4] if caller else ACCOUNT
        try:
            reads = reads_of(emulator, request["QueryString"], database, _region(authorization), account)
        except sqlglot.errors.ParseError as error:
            log.info("Athena query not parsed: %s", str(error).splitlines()[0])
            return None
        emulator.pending_reads = reads
        if caller is None:  # the emulator's own credentials: an administrator
            return None
        reason = refusal(caller.arn, reads, caller.decision)
        return (reason, reads) if reason else None

    def _started(self, answered: bytes, refused: tuple[str, list[Read]] | None) -> None:
        emulator = self.emulator()
        if emulator is None:
            return
        try:
            query_id = json.loads(answered).get("QueryExecutionId")
        except ValueError:
            query_id = None
        reads, emulator.pending_reads = emulator.pending_reads, []
        if not query_id:
            return
        emulator.athena_reads += [{"query_id": query_id, **asdict(read)} for read in reads]
        if refused is not None:
            emulator.refused_queries[query_id] = refused[0]

    def _query_state(self, environ: dict, start_response: Callable) -> Any:
        """A refused query reads FAILED with Athena's reason (QueryExecutionStatus: State,
        StateChangeReason, AthenaError with ErrorCategory 2, the user's error,
        https://docs.aws.amazon.com/athena/latest/APIReference/API_AthenaError.html)."""
        emulator = self.emulator()
        request = json.loads(_body(environ) or b"{}")
        reason = emulator.refused_queries.get(request.get("QueryExecutionId", "")) if emulator else None
        answered = _call(self.app, environ, start_response)
        if reason is not None and answered.status.startswith("200"):
            document = json.loads(answered.body)
            status = document["QueryExecution"]["Status"]
            status.update(
                State="FAILED",
                StateChangeReason=reason,
                AthenaError={"ErrorCategory": 2, "ErrorMessage": reason, "Retryable": False},
            )
            answered.body = json.dumps(document).encode()
        return answered.send(start_response)

    # -- Glue: a played run names the log groups it wrote to -------------------------------
    def _job_runs(self, environ: dict, start_response: Callable) -> Any:
        """GetJobRun / GetJobRuns with each played run's `LogGroupName` the prefix of the groups
        its logs went to (`<prefix>/output`, `<prefix>/error`, as Glue 5.0 writes them:
        https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html)."""
        emulator = self.emulator()
        answered = _call(self.app, environ, start_response)
        if emulator is None or not emulator.run_log_group_names or not answered.status.startswith("200"):
            return answered.send(start_response)
        document = json.loads(answered.body)
        runs = [document["JobRun"]] if "JobRun" in document else document.get("JobRuns", [])
        for run in runs:
            named = emulator.run_log_group_names.get(run.get("Id", ""))
            if named:
                run["LogGroupName"] = named
        answered.body = json.dumps(document).encode()
        return answered.send(start_response)

    def _prepare_answer(self, body: bytes) -> None:
        emulator = self.emulator()
        if emulator is None:
            return
        try:
            request = json.loads(body)
            database = (request.get("QueryExecutionContext") or {}).get("Database")
            answered = self.answer(request["QueryString"], database)
        except Exception as error:  # noqa: BLE001 - an unanswerable query gets moto's empty result
            log.info("Athena query not answered (%s): %s", type(error).__name__, str(error).splitlines()[0])
            return
        if answered is not None:
            emulator.seed_athena_results(*answered)

    def _play(self, body: bytes) -> Callable[[str], None] | None:
        emulator = self.emulator()
        if emulator is None or emulator.on_job_run is None:
            return None
        request = json.loads(body)
        return emulator.on_job_run(request["JobName"], request.get("Arguments") or {})


@dataclass
class _Answered:
    """moto's answer to one request, held so the middleware can read (and change) it before it goes back."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes

    def send(self, start_response: Callable) -> list[bytes]:
        headers = [(k, v) for k, v in self.headers if k.lower() != "content-length"]
        start_response(self.status, [*headers, ("Content-Length", str(len(self.body)))])
        return [self.body]


def _call(app: Any, environ: dict, start_response: Callable) -> _Answered:
    held: dict[str, Any] = {}

    def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
        held.update(status=status, headers=list(headers))
        return lambda data: None

    body = b"".join(app(environ, hold))
    return _Answered(held["status"], held["headers"], body)


def _body(environ: dict) -> bytes:
    """The request's body, read once and put back for moto."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _region(authorization: str) -> str:
    """The region of a SigV4 credential scope (`Credential=AKID/date/REGION/service/aws4_request`)."""
    scope = authorization.partition("Credential=")[2].split("/")
    return scope[2] if len(scope) > 2 else REGION


def start_server(port: int = 0, answer: Answer | None = None) -> tuple[Any, Emulator]:
    """Start moto's server on 127.0.0.1:`port` (0: a free one) in a thread; Athena's SELECTs
    are answered by `answer` (default: DuckDB over the emulated catalog's tables)."""
    from moto.server import DomainDispatcherApplication, ThreadedMotoServer, create_backend_app
    from werkzeug.serving import make_server

    from tools.emulator.lake import answer_with_duckdb

    if port:  # werkzeug would exit its thread on a port in use, leaving the start waiting for good
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))  # OSError EADDRINUSE: the caller says so
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    holder: dict[str, Emulator] = {}
    answering: Answer = answer or (lambda sql, database: answer_with_duckdb(holder["emulator"], sql, database))

    class AnsweringMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            from moto.moto_server.threaded_moto_server import MotoRequestHandler

            app = Emulated(DomainDispatcherApplication(create_backend_app), lambda: holder.get("emulator"), answering)
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    server = AnsweringMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    holder["emulator"] = Emulator(f"http://{host}:{bound}")
    return server, holder["emulator"]
