"""`AwsBackend`: the pipeline's steps (`automation.pipeline.Backend`) on a deployed stack.

`run_pipeline` runs the same steps and checks on AWS as on the local backend. The backend
is handed the stack (`automation.aws.deployed.Stack`: deployed first by the `pipeline` verb,
unless `--skip-deploy`) and what it cannot do by itself: the sample maker (the local
backend's Spark generator), so this package imports neither Spark nor the Automation API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
from automation.aws.deployed import Stack
from automation.aws.job_runs import JobRunFailed, JobRunOutcome, job_settings, start_job_run
from automation.aws.rejects import stack_rejects_table
from automation.aws.retries import follow_job_run, run_progress_printer
from automation.aws.session import AwsError
from automation.aws.silver import SampleMaker, load_silver
from automation.lake import read_silver
from automation.outputs import StackOutputs
from automation.pipeline import Notify, QueryResult, silent
from automation.wording import plural
from etl.errors import PipelineError
from etl.report import RunReport
from etl.sample import SampleSpec
from etl.schema import TableSchema
from infra import outputs as out

# Every output some step needs, beside the registration method's (`pipeline_outputs`).
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


def pipeline_outputs(method: str) -> tuple[str, ...]:
    """Every output the pipeline reads with registration `method`: checked once, before anything is started."""
    return (*PIPELINE_OUTPUTS, *REGISTER_OUTPUTS[method])


@dataclass
class AwsOptions:
    """What `python -m automation pipeline` was asked to do, beside the deploy."""

    deployed: bool = False  # the verb deployed the stack (else its outputs came from elsewhere)
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
        stack: Stack,
        progress: Notify = silent,
        *,
        make_sample: SampleMaker | None = None,
    ):
        """
        Args:
            options: what the `pipeline` verb was asked to do.
            stack: the deployed stack, its outputs checked for `pipeline_outputs(options.method)`.
            progress: progress lines.
            make_sample: generates sample silver (needed for `load_silver` without a path).
        """
        stack.outputs.require(*pipeline_outputs(options.method))
        self.options = options
        self.stack = stack
        self.progress = progress
        self._make_sample = make_sample
        self.account = ""
        self.run: JobRunOutcome | None = None
        self.started_run_id = ""  # the Glue run this pipeline started, once started
        self.registration: RegisterOutcome | None = None
        self.queries: list[QueryOutcome] = []

    @property
    def outputs(self) -> StackOutputs:
        return self.stack.outputs

    # -- steps ---------------------------------------------------------------------
    def start(self) -> str:
        if self.options.silver_path is not None:
            read_silver(self.options.silver_path)  # a bad path or schema fails before anything runs
        self.account = self.stack.check_credentials()
        deployed = "deployed" if self.options.deployed else "outputs from " + self.outputs.source
        return f"account {self.account}, region {self.stack.region}; {deployed}"

    def provision_catalog(self) -> str:
        # Pulumi owns the databases and tables: check they are there, create nothing.
        outputs = self.outputs
        for database, table in (
            (outputs.silver_database, outputs.silver_table),
            (outputs.gold_database, outputs.gold_table),
        ):
            try:
                self.stack.clients.glue.get_table(DatabaseName=database, Name=table)
            except ClientError as error:
                raise catalog_error(error, database, table) from None
        return (
            f"tables {outputs.silver_database}.{outputs.silver_table}, "
            f"{outputs.gold_database}.{outputs.gold_table} in the Glue catalog"
        )

    def load_silver(self) -> str:
        if self.options.load_silver or self.options.silver_path is not None:
            outcome = load_silver(
                self.stack,
                silver_path=self.options.silver_path,
                sample=self.options.sample,
                make_sample=self._make_sample,
                progress=self.progress,
            )
            return outcome.describe()
        database, table = self.outputs.silver_database, self.outputs.silver_table
        partitions = catalog_partitions(self.stack, database, table)
        if not partitions:
            raise PipelineError(
                f"the silver table {database}.{table} has no partitions: add --load-silver (or run `load-silver`) "
                "so the job has something to read"
            )
        return f"{plural(len(partitions), 'partition')} already in {database}.{table}"

    def run_job(self) -> RunReport:
        run_id = start_job_run(self.stack, self.options.mode, self.options.timeout_minutes)
        self.started_run_id = run_id
        self.progress(f"started job run {run_id}")
        settings = job_settings(self.stack).for_run(self.options.timeout_minutes)
        # The last attempt decides: its state, its report; the cost is every attempt's.
        self.run = follow_job_run(self.stack, run_id, settings, run_progress_printer(self.progress))
        if not self.run.succeeded:
            raise JobRunFailed(self.run.failure_message())
        if self.run.report is None:
            raise AwsError(f"job run {self.run.run_id} SUCCEEDED but wrote no report at {self.run.report_uri}")
        return self.run.report

    def register_partitions(self) -> list[str]:
        try:
            self.registration = register(self.stack, self.options.method, self.progress)
        except QueryFailed as failure:  # a cancelled MSCK REPAIR is billed: its cost stays counted
            self._count(failure)
            raise
        return self.registration.partitions

    def gold_files(self) -> dict[str, list[str]]:
        _, files = gold_layout(self.stack)
        return files

    def query(self, sql: str) -> QueryResult:
        try:
            outcome = run_query(self.stack, sql, progress=self.progress)
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

    def interrupt_note(self) -> str:
        """What Ctrl-C leaves on the stack: a started Glue run goes on (stopping the wait stops
        nothing in AWS)."""
        if not self.started_run_id:
            return "no job run was started"
        run_id = self.started_run_id
        return f"job run {run_id} goes on in Glue: follow it with `status --run-id {run_id} --wait`"

    @property
    def rejects_table(self) -> TableSchema:
        """The stack's rejects table (`rejectsTable` in `goldDatabase`)."""
        return stack_rejects_table(self.outputs)

    @property
    def preview_sql(self) -> str:
        """The stack's preview query (`previewSql`)."""
        return self.outputs.preview_sql

    # -- what the summary adds on AWS ------------------------------------------------
    def cost(self) -> dict[str, Any]:
        """Glue DPU-seconds and USD of the run, Athena bytes and USD of the queries."""
        glue = self.run.cost if self.run else None
        athena_scanned = sum(q.cost.scanned_bytes for q in self.queries)
        athena_billed = sum(q.cost.billed_bytes for q in self.queries)
        athena_usd = sum(q.cost.usd for q in self.queries)
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
        links = {"job": self.outputs.job_console_url, "athena": self.outputs.athena_console_url}
        return {name: url for name, url in links.items() if url}
