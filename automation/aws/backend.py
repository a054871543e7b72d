"""`AwsBackend`: the pipeline's steps (`automation.pipeline.Backend`) on a deployed stack.

`run_pipeline` runs the same steps and checks on AWS as on the local backend. What the
backend cannot do by itself is handed in by the `pipeline` verb: the deploy (a function
returning the stack's outputs, through the Automation API) and the sample maker (the
local backend's Spark generator), so this package imports neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from botocore.exceptions import ClientError

from automation.aws.athena import QueryFailed, QueryOutcome, run_query
from automation.aws.catalog import (
    REGISTER_OUTPUTS,
    RegisterOutcome,
    catalog_error,
    catalog_partitions,
    gold_layout,
    register,
)
from automation.aws.job_runs import (
    WAIT_MARGIN_MINUTES,
    JobRunFailed,
    JobRunOutcome,
    describe_job_run,
    job_settings,
    start_job_run,
)
from automation.aws.rejects import stack_rejects_table
from automation.aws.retries import run_progress_printer, wait_for_job_run
from automation.aws.session import AwsClients, AwsError
from automation.aws.silver import SampleMaker, load_silver
from automation.lake import silver_files
from automation.outputs import StackOutputs
from automation.pipeline import Notify, QueryResult, silent
from etl.errors import PipelineError
from etl.report import RunReport
from etl.sample import SampleSpec
from etl.schema import TableSchema
from infra import outputs as out

# Deploys a stack and returns its outputs: (stack, config, on_progress) -> outputs.
Deploy = Callable[[str, Mapping[str, str] | None, Callable | None], Mapping[str, Any]]

# Every output some step needs: checked once, before anything is started.
PIPELINE_OUTPUTS = (
    out.REGION,
    out.JOB_NAME,
    out.REPORTS_URI,
    out.GOLD_URI,
    out.SILVER_URI,
    out.SILVER_DATABASE,
    out.SILVER_TABLE,
    out.GOLD_DATABASE,
    out.GOLD_TABLE,
    out.ATHENA_WORKGROUP,
    out.PRICE_PER_DPU_HOUR,
    out.JOB_ERROR_LOG_GROUP,
    out.PREVIEW_SQL,
)


@dataclass
class AwsOptions:
    """What `python -m automation pipeline` was asked to do."""

    stack: str | None = None
    skip_deploy: bool = True
    config: dict[str, str] = field(default_factory=dict)
    load_silver: bool = False
    silver_path: Path | None = None
    sample: SampleSpec = field(default_factory=SampleSpec)
    method: str = "job"
    mode: str | None = None
    timeout_minutes: int | None = None


class AwsBackend:
    """The pipeline's steps on a deployed stack (Glue, S3, Athena)."""

    name = "aws"
    sql_dialect = "athena"

    def __init__(
        self,
        options: AwsOptions,
        outputs: StackOutputs | None,
        clients_for: Callable[[StackOutputs], AwsClients],
        progress: Notify = silent,
        on_deploy_event: Callable | None = None,
        *,
        deploy: Deploy | None = None,
        make_sample: SampleMaker | None = None,
    ):
        """
        Args:
            options: what the `pipeline` verb was asked to do.
            outputs: the stack's outputs when it is not deployed here (`skip_deploy`).
            clients_for: builds the clients for the stack's outputs (its region).
            progress: progress lines.
            on_deploy_event: the deploy's resource progress.
            deploy: deploys the stack and returns its outputs (needed unless `skip_deploy`).
            make_sample: generates sample silver (needed for `load_silver` without a path).
        """
        self.options = options
        self.outputs = outputs
        self._clients_for = clients_for
        self.clients: AwsClients | None = None
        self.progress = progress
        self.on_deploy_event = on_deploy_event
        self._deploy = deploy
        self._make_sample = make_sample
        self.account = ""
        self.run: JobRunOutcome | None = None
        self.registration: RegisterOutcome | None = None
        self.queries: list[QueryOutcome] = []

    # -- steps ---------------------------------------------------------------------
    def start(self) -> str:
        if not self.options.skip_deploy:
            if self._deploy is None:
                raise PipelineError("no deploy function was handed in: use --skip-deploy with deployed outputs")
            values = self._deploy(self.options.stack, self.options.config or None, self.on_deploy_event)
            self.outputs = StackOutputs(values, f"stack {self.options.stack!r}")
        assert self.outputs is not None
        self.outputs.require(*PIPELINE_OUTPUTS, *REGISTER_OUTPUTS[self.options.method])
        if self.options.silver_path is not None:
            silver_files(self.options.silver_path)  # a bad path fails before anything runs
        self.clients = self._clients_for(self.outputs)
        self.account = self.clients.check_credentials()
        deployed = "deployed" if not self.options.skip_deploy else "outputs from " + self.outputs.source
        return f"account {self.account}, region {self.clients.region}; {deployed}"

    def provision_catalog(self) -> str:
        # Pulumi owns the databases and tables: check they are there, create nothing.
        outputs = self.outputs
        for database, table in (
            (outputs[out.SILVER_DATABASE], outputs[out.SILVER_TABLE]),
            (outputs[out.GOLD_DATABASE], outputs[out.GOLD_TABLE]),
        ):
            try:
                self.clients.glue.get_table(DatabaseName=database, Name=table)
            except ClientError as error:
                raise catalog_error(error, database, table) from None
        return (
            f"tables {outputs[out.SILVER_DATABASE]}.{outputs[out.SILVER_TABLE]}, "
            f"{outputs[out.GOLD_DATABASE]}.{outputs[out.GOLD_TABLE]} in the Glue catalog"
        )

    def load_silver(self) -> str:
        if self.options.load_silver or self.options.silver_path is not None:
            outcome = load_silver(
                self.clients,
                self.outputs,
                silver_path=self.options.silver_path,
                sample=self.options.sample,
                make_sample=self._make_sample,
                progress=self.progress,
            )
            return outcome.describe()
        database, table = self.outputs[out.SILVER_DATABASE], self.outputs[out.SILVER_TABLE]
        partitions = catalog_partitions(self.clients, database, table)
        if not partitions:
            raise PipelineError(
                f"the silver table {database}.{table} has no partitions: add --load-silver (or run `load-silver`) "
                "so the job has something to read"
            )
        return f"{len(partitions)} partitions already in {database}.{table}"

    def run_job(self) -> RunReport:
        job_name = self.outputs[out.JOB_NAME]
        run_id = start_job_run(self.clients, self.outputs, self.options.mode, self.options.timeout_minutes)
        self.progress(f"started job run {run_id}")
        settings = job_settings(self.clients, job_name)
        # Every attempt may take the run's timeout (Glue's retries are runs of their own).
        per_attempt = self.options.timeout_minutes or settings.timeout_minutes
        timeout = per_attempt * settings.max_attempts + WAIT_MARGIN_MINUTES
        attempts = wait_for_job_run(
            self.clients, job_name, run_id, timeout, run_progress_printer(self.progress), settings.max_attempts
        )
        # The last attempt decides: its state, its report; the cost is every attempt's.
        self.run = describe_job_run(self.clients, self.outputs, attempts[-1], attempts[:-1], settings.max_attempts)
        if not self.run.succeeded:
            raise JobRunFailed(self.run.failure_message())
        if self.run.report is None:
            raise AwsError(f"job run {self.run.run_id} SUCCEEDED but wrote no report at {self.run.report_uri}")
        return self.run.report

    def register_partitions(self) -> list[str]:
        try:
            self.registration = register(self.clients, self.outputs, self.options.method, self.progress)
        except QueryFailed as failure:  # a cancelled MSCK REPAIR is billed: its cost stays counted
            self._count(failure)
            raise
        return self.registration.partitions

    def gold_files(self) -> dict[str, list[str]]:
        _, files = gold_layout(self.clients, self.outputs)
        return files

    def query(self, sql: str) -> QueryResult:
        try:
            outcome = run_query(self.clients, self.outputs, sql, progress=self.progress)
        except QueryFailed as failure:  # a query the scan cutoff cancelled is billed: count it
            self._count(failure)
            raise
        self.queries.append(outcome)
        return outcome.result()

    def _count(self, failure: QueryFailed) -> None:
        if failure.outcome is not None:
            self.queries.append(failure.outcome)

    def stop(self) -> None:
        pass

    @property
    def rejects_table(self) -> TableSchema:
        """The stack's rejects table (`rejectsTable` in `goldDatabase`), once its outputs are known."""
        assert self.outputs is not None
        return stack_rejects_table(self.outputs)

    @property
    def preview_sql(self) -> str | None:
        """The stack's preview query (`previewSql`), once its outputs are known."""
        return self.outputs.get(out.PREVIEW_SQL) if self.outputs is not None else None

    # -- what the summary adds on AWS ------------------------------------------------
    def cost(self) -> dict[str, Any]:
        """Glue DPU-seconds and USD of the run, Athena bytes and USD of the queries."""
        glue = self.run.cost if self.run else None
        athena_scanned = sum(q.cost.scanned_bytes for q in self.queries if q.cost)
        athena_billed = sum(q.cost.billed_bytes for q in self.queries if q.cost)
        athena_usd = sum(q.cost.usd for q in self.queries if q.cost)
        if self.registration and self.registration.query:
            athena_scanned += self.registration.query.get("data_scanned_bytes", 0)
            athena_billed += self.registration.query.get("billed_bytes", 0)
            athena_usd += self.registration.query.get("cost_usd", 0.0)
        return {
            "glue_run_id": self.run.run_id if self.run else "",
            "glue_state": self.run.state if self.run else "",
            "glue_execution_seconds": self.run.execution_seconds if self.run else 0,
            "glue_worker_type": glue.worker_type if glue else "",
            "glue_workers": glue.workers if glue else 0,
            "glue_dpu_seconds": glue.dpu_seconds if glue else 0,
            "glue_usd": glue.usd if glue else 0.0,
            "athena_queries": len(self.queries) + (1 if self.registration and self.registration.query else 0),
            "athena_data_scanned_bytes": athena_scanned,
            "athena_billed_bytes": athena_billed,
            "athena_usd": round(athena_usd, 8),
            "total_usd": round((glue.usd if glue else 0.0) + athena_usd, 6),
        }

    def links(self) -> dict[str, str]:
        if self.outputs is None:
            return {}
        links = {
            "job": self.outputs.get(out.JOB_CONSOLE_URL, ""),
            "athena": self.outputs.get(out.ATHENA_CONSOLE_URL, ""),
        }
        return {name: url for name, url in links.items() if url}
