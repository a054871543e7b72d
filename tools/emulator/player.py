"""Plays the Glue job in the emulator: there is no Glue here, so when a run of the stack's job
is started, `GluePlayer` does what the job does, for real, with pyarrow (the work before moto
starts the run, the run's own files once moto has named it, so a run is never seen before
its output is in place): it reads the silver
table through the emulated catalog (its registered partitions' objects), applies the job's
quality rules (the reasons of `etl.quality`, the ranges of `etl.schema`), averages salario
by idade, ativo, ano, mes over the valid rows, writes one snappy Parquet object per gold
partition (replacing the partition's objects), registers new gold partitions, writes the
rejected rows to the quarantine, the run report where the job writes it, and log events in
the Glue 5.0 log groups, stdout ending with the run's metrics line, which the stack's metric
filters turn into datapoints (`tools.emulator.metric_filters`). Every partition is
recomputed (no incremental state); the run's state is moto's (it cannot fail a run), so a run
the job would refuse is still SUCCEEDED.
"""

from __future__ import annotations

import io
import time
import uuid
from time import perf_counter
from typing import Any, Callable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from automation.lake import is_data_path
from etl.metrics import run_metrics_line
from etl.report import RunReport
from etl.schema import ANO_RANGE, IDADE_RANGE, MES_RANGE, SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN
from infra import outputs as out
from tools.emulator.lake import split_uri
from tools.emulator.metric_filters import publish_matches
from tools.emulator.seed import SeededStack

PLAYED = "played by the emulator, no Glue here: gold computed with pyarrow"


def _outside(column: pa.ChunkedArray, bounds: tuple[int, int]) -> pa.ChunkedArray:
    return pc.or_(pc.less(column, bounds[0]), pc.greater(column, bounds[1]))


def failed_rules(silver: pa.Table) -> list[tuple[str, pa.ChunkedArray]]:
    """Each quality rule's reason (as etl.quality words it) and where it fails (never null)."""
    salario = pc.cast(silver["salario"], pa.float64())
    rules = [
        ("ano is null", pc.is_null(silver["ano"])),
        (f"ano outside {ANO_RANGE[0]}..{ANO_RANGE[1]}", _outside(silver["ano"], ANO_RANGE)),
        ("mes is null", pc.is_null(silver["mes"])),
        (f"mes outside {MES_RANGE[0]}..{MES_RANGE[1]}", _outside(silver["mes"], MES_RANGE)),
        ("idade is null", pc.is_null(silver["idade"])),
        (f"idade outside {IDADE_RANGE[0]}..{IDADE_RANGE[1]}", _outside(silver["idade"], IDADE_RANGE)),
        ("ativo is null", pc.is_null(silver["ativo"])),
        ("salario is null", pc.is_null(salario)),
        ("salario is NaN", pc.is_nan(salario)),
        ("salario is infinite", pc.is_inf(salario)),
        ("salario is negative", pc.less(salario, 0)),
    ]
    return [(reason, pc.fill_null(fails, False)) for reason, fails in rules]


class GluePlayer:
    """Plays each run of the stack's job as it starts (see the module's docstring), while in
    its `with` block (`python -m tools.emulator` keeps one for good)."""

    def __init__(
        self,
        stack: SeededStack,
        register_partitions: bool = True,
        error_lines: int = 0,
        on_played: Callable[[RunReport], None] | None = None,
        output_group: str = "",
    ):
        """
        Args:
            stack: the seeded stack whose job runs are played.
            register_partitions: register new gold partitions, as the job does (False: leave
                them to `register --method crawler|msck`).
            error_lines: ERROR lines to add to each driver log (for tests of `logs`).
            on_played: told each played run's report.
            output_group: where the run's stdout goes (default: the stack's jobOutputLogGroup;
                another group plays a run whose logs miss the stack's metric filters).
        """
        self.stack = stack
        self.register_partitions = register_partitions
        self.error_lines = error_lines
        self.on_played = on_played
        self.output_group = output_group or stack[out.JOB_OUTPUT_LOG_GROUP]
        self.played: dict[str, RunReport] = {}
        self.failure: BaseException | None = None

    def __enter__(self) -> GluePlayer:
        self.stack.emulator.on_job_run = self.starting
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stack.emulator.on_job_run = None
        if self.failure is not None:
            raise self.failure

    def starting(self, job_name: str, run_arguments: dict[str, str]) -> Callable[[str], None] | None:
        """A run of `job_name` is about to start: compute and write gold now (unless a run is in
        progress: moto refuses the new one); return what publishes the run's report, quarantine
        and logs once moto has named it."""
        if job_name != self.stack[out.JOB_NAME]:
            return None
        runs = self.stack.emulator.client("glue").get_job_runs(JobName=job_name).get("JobRuns", [])
        if any(run["JobRunState"] in ("STARTING", "RUNNING", "STOPPING", "WAITING") for run in runs):
            return None
        try:
            played = self.play(run_arguments)
        except Exception as error:  # noqa: BLE001 - the run goes on in moto; the failure is kept
            self.failure = error
            return None

        def publish(run_id: str) -> None:
            try:
                self.played[run_id] = report = played(run_id)
            except Exception as error:  # noqa: BLE001
                self.failure = error
                return
            if self.on_played is not None:
                self.on_played(report)

        return publish

    def arguments(self, run_arguments: dict[str, str]) -> dict[str, str]:
        """The run's arguments as the job gets them: the job's DefaultArguments, then the run's."""
        job = self.stack.emulator.client("glue").get_job(JobName=self.stack[out.JOB_NAME])["Job"]
        return {**job.get("DefaultArguments", {}), **run_arguments}

    def read_silver(self, database: str, table: str) -> pa.Table:
        """The silver table's registered partitions, each object's rows with their origin."""
        emulator = self.stack.emulator
        s3, glue = emulator.client("s3"), emulator.client("glue")
        partitions = []
        for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table):
            partitions.extend(page.get("Partitions", []))
        pieces = []
        for partition in sorted(partitions, key=lambda p: [int(v) for v in p["Values"]]):
            ano, mes = (int(v) for v in partition["Values"])
            bucket, prefix = split_uri(partition["StorageDescriptor"]["Location"])
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    if not is_data_path(item["Key"][len(prefix) :]):
                        continue
                    body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                    piece = pq.read_table(io.BytesIO(body))
                    piece = piece.select([c for c in ("id", "idade", "ativo", "salario") if c in piece.column_names])
                    n = len(piece)
                    piece = piece.append_column("ano", pa.array([ano] * n, pa.int32()))
                    piece = piece.append_column("mes", pa.array([mes] * n, pa.int32()))
                    piece = piece.append_column(SOURCE_FILE_COLUMN, pa.array([f"s3://{bucket}/{item['Key']}"] * n))
                    pieces.append(piece.append_column(SOURCE_ROW_COLUMN, pa.array(range(n), pa.int64())))
        return pa.concat_tables(pieces, promote_options="permissive") if pieces else pa.table({})

    def play(self, run_arguments: dict[str, str]) -> Callable[[str], RunReport]:
        """Read silver, apply the rules, write gold and register it; return what writes the
        run's quarantine, report and logs, given its id."""
        started = perf_counter()
        arguments = self.arguments(run_arguments)
        stack, emulator = self.stack, self.stack.emulator
        s3, glue = emulator.client("s3"), emulator.client("glue")
        source = f"{arguments['--source_database']}.{arguments['--source_table']}"
        silver = self.read_silver(arguments["--source_database"], arguments["--source_table"])
        rules = failed_rules(silver) if len(silver) else []
        rejected_mask = pa.array([False] * len(silver))
        for _, fails in rules:
            rejected_mask = pc.or_(rejected_mask, fails)
        good = silver.filter(pc.invert(rejected_mask)) if len(silver) else silver
        gold = (
            good.group_by(["idade", "ativo", "ano", "mes"], use_threads=False)
            .aggregate([("salario", "mean")])
            .rename_columns(["idade", "ativo", "ano", "mes", "salario_medio"])
            .sort_by([("ano", "ascending"), ("mes", "ascending"), ("idade", "ascending"), ("ativo", "ascending")])
            if len(good)
            else None
        )
        keys = _write_gold(s3, stack[out.GOLD_URI], gold) if gold else []
        if self.register_partitions:
            self._register(glue, keys)
        rows_rejected = len(silver) - len(good)
        seconds = perf_counter() - started

        def publish(run_id: str) -> RunReport:
            quarantine = self._quarantine(s3, arguments, run_id, silver, rules, rejected_mask) if rows_rejected else ""
            if quarantine and self.register_partitions:
                self._register_rejects(glue, run_id, quarantine)
            report = RunReport(
                run_id=run_id,
                mode=arguments.get("--mode", "incremental"),
                status="succeeded",
                rows_read=len(silver),
                rows_rejected=rows_rejected,
                rows_written=len(gold) if gold else 0,
                partitions_processed=len(keys),
                partitions_written=len(keys),
                files_written=len(keys),
                seconds={"job": seconds, "total": seconds},
                gold_location=stack[out.GOLD_URI],
                quarantine_location=quarantine,
                rejects_partition=f"run_id={run_id}" if quarantine else "",
                report_location=arguments.get("--report_location", stack[out.REPORTS_URI]),
                plan=f"{len(keys)} partitions recomputed; {PLAYED}",
            )
            reports_bucket, reports_prefix = split_uri(report.report_location)
            for name in (f"{run_id}.json", "latest.json"):
                s3.put_object(Bucket=reports_bucket, Key=f"{reports_prefix}{name}", Body=report.to_json().encode())
            self._log(run_id, source, report, arguments.get("--stack", ""))
            return report

        return publish

    def _register(self, glue: Any, keys: list[tuple[int, int]]) -> None:
        stack = self.stack
        database, table = stack[out.GOLD_DATABASE], stack[out.GOLD_TABLE]
        registered = set()
        for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table):
            registered |= {tuple(p["Values"]) for p in page.get("Partitions", [])}
        new_keys = [(a, m) for a, m in keys if (str(a), str(m)) not in registered]
        if not new_keys:
            return
        descriptor = glue.get_table(DatabaseName=database, Name=table)["Table"]["StorageDescriptor"]
        for start in range(0, len(new_keys), 100):
            glue.batch_create_partition(
                DatabaseName=database,
                TableName=table,
                PartitionInputList=[
                    {
                        "Values": [str(ano), str(mes)],
                        "StorageDescriptor": {**descriptor, "Location": f"{stack[out.GOLD_URI]}ano={ano}/mes={mes}/"},
                    }
                    for ano, mes in new_keys[start : start + 100]
                ],
            )

    def _register_rejects(self, glue: Any, run_id: str, location: str) -> None:
        """The run's partition of the rejects table, as the job registers it (when the stack has the table)."""
        database, table = self.stack[out.GOLD_DATABASE], self.stack.outputs.get(out.REJECTS_TABLE)
        if not table:
            return
        try:
            descriptor = glue.get_table(DatabaseName=database, Name=table)["Table"]["StorageDescriptor"]
        except glue.exceptions.EntityNotFoundException:
            return
        glue.batch_create_partition(
            DatabaseName=database,
            TableName=table,
            PartitionInputList=[{"Values": [run_id], "StorageDescriptor": {**descriptor, "Location": location}}],
        )

    def _quarantine(
        self,
        s3: Any,
        arguments: dict[str, str],
        run_id: str,
        silver: pa.Table,
        rules: list[tuple[str, pa.ChunkedArray]],
        rejected_mask: pa.ChunkedArray,
    ) -> str:
        """The rejected rows with their reasons, as the lean quarantine keeps them."""
        rejected = silver.filter(rejected_mask)
        flags = [(reason, fails.filter(rejected_mask).to_pylist()) for reason, fails in rules]
        reasons = [[reason for reason, failed in flags if failed[i]] for i in range(len(rejected))]
        rejected = rejected.append_column("reject_reasons", pa.array(reasons, pa.list_(pa.string())))
        if "id" not in rejected.column_names:  # the lean quarantine keeps the row's id (null without one)
            rejected = rejected.append_column("id", pa.nulls(len(rejected), pa.int64()))
        location = f"{arguments['--quarantine_location'].rstrip('/')}/run_id={run_id}/"
        bucket, prefix = split_uri(location)
        buffer = io.BytesIO()
        pq.write_table(rejected, buffer, compression="snappy")
        s3.put_object(Bucket=bucket, Key=f"{prefix}part-00000.snappy.parquet", Body=buffer.getvalue())
        return location

    def _log(self, run_id: str, source: str, report: RunReport, stack_name: str) -> None:
        """The run's log streams; its stdout ends with the metrics line (when the job has its
        --stack argument, as on AWS), which the output group's metric filters turn into datapoints."""
        logs = self.stack.emulator.client("logs")
        # GetJobRun names the groups' prefix (JobRun.LogGroupName, "/aws-glue/jobs/" by default).
        self.stack.emulator.run_log_group_names[run_id] = self.output_group.rsplit("/", 1)[0] + "/"
        now = int(time.time() * 1000)
        stdout = [f"reading {source}"]
        if stack_name:
            stdout.append(run_metrics_line(report, stack_name, self.stack[out.JOB_NAME]))
        streams = {
            (self.stack[out.JOB_ERROR_LOG_GROUP], f"{run_id}-driver"): [
                f"INFO tools.emulator: job run {run_id} {PLAYED}",
                *[f"ERROR TaskSetManager: Lost task {i}.0 in stage 1.0 (retrying)" for i in range(self.error_lines)],
                f"INFO etl.job: run report: {report.to_json()}",
            ],
            (self.stack[out.JOB_ERROR_LOG_GROUP], f"{run_id}-1"): [f"INFO tools.emulator: executor 1 of {run_id}"],
            (self.output_group, f"{run_id}-driver"): stdout,
        }
        for (group, stream), messages in streams.items():
            try:
                logs.create_log_group(logGroupName=group)
            except logs.exceptions.ResourceAlreadyExistsException:
                pass
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            events = [{"timestamp": now + i, "message": m} for i, m in enumerate(messages)]
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
            for i, message in enumerate(messages):
                publish_matches(self.stack.emulator, group, message, now + i)


def _write_gold(s3: Any, gold_uri: str, gold: pa.Table) -> list[tuple[int, int]]:
    """Replace each (ano, mes) partition of `gold` under `gold_uri` with one file, as the job
    does; returns the partitions written."""
    keys = sorted(set(zip(gold["ano"].to_pylist(), gold["mes"].to_pylist(), strict=True)))
    bucket, gold_prefix = split_uri(gold_uri)
    token = uuid.uuid4().hex[:8]
    for ano, mes in keys:
        folder = f"{gold_prefix}ano={ano}/mes={mes}/"
        for item in s3.list_objects_v2(Bucket=bucket, Prefix=folder).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])  # the partition is replaced, as the job does
        part = gold.filter(pc.and_(pc.equal(gold["ano"], ano), pc.equal(gold["mes"], mes)))
        buffer = io.BytesIO()
        pq.write_table(part.select(["idade", "ativo", "salario_medio"]), buffer, compression="snappy")
        key = f"{folder}part-00000-{token}.c000.snappy.parquet"
        s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
    return keys
