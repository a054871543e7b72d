"""An AWS API emulator (moto in server mode) seeded from the Pulumi program itself.

`aws_emulator` (session) starts moto's server on 127.0.0.1 and a free port; it is reached
over HTTP through AWS_ENDPOINT_URL with fake credentials, exactly as the CLI reaches AWS.
`aws_stack` (per test) resets the emulator and creates what `automation synth --stack dev
--json` declares (bucket with its versioning and encryption, the job's code, catalog
databases and tables, Glue job with its DefaultArguments, crawler, Athena workgroup and saved
queries, log groups with retention, the alerts topic), then writes the rendered outputs
as an outputs file, with the ids the emulator gave (saved query ids) put in place of the
mocks' ids. Seeding goes by resource type, so resources the program adds later are seeded
too. Job runs and crawls move through their states by the emulator's state manager
(two seconds a step). `GluePlayer` plays the Glue job for a test: when a run appears it
reads silver from the emulated S3 with pyarrow, writes the gold Parquet objects, the
catalog partitions, the run report and log events where the job would.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import boto3
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from automation.stack import mock_state as rendered_state
from etl.report import RunReport
from etl.schema import SILVER
from infra import outputs as out

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
STEP_SECONDS = 2
API_CALL_RECORDER = Path(__file__).resolve().parent / "api_calls"


@dataclass
class Emulator:
    """moto's server: its URL, control API and clients pointed at it; `calls_file` collects the
    AWS API calls of the CLI subprocesses started with `env()` (`tests/api_calls`)."""

    url: str
    calls_file: Path | None = None
    _clients: dict[str, Any] = field(default_factory=dict)

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
        self.control("/moto-api/reset")
        # Runs go STARTING -> RUNNING -> SUCCEEDED and crawls finish, two seconds a step.
        for model in ("glue::job_run", "glue::crawl"):
            self.control(
                "/moto-api/state-manager/set-transition",
                {"model_name": model, "transition": {"progression": "time", "seconds": STEP_SECONDS}},
            )

    def seed_athena_results(self, columns: list[tuple[str, str]], rows: list[list[Any]]) -> None:
        """Queue one query result (header row first, as Athena returns a SELECT's)."""

        def row(values: list[Any]) -> dict:
            return {"Data": [{} if v is None else {"VarCharValue": _athena_text(v)} for v in values]}

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
        if self.calls_file is not None:  # the recorder's sitecustomize first on the path
            env.update(
                SILVER_TO_GOLD_API_CALLS=str(self.calls_file),
                PYTHONPATH=os.pathsep.join([str(API_CALL_RECORDER), str(PROJECT_ROOT)]),
            )
        env.update(extra)
        return env

    def recorded_calls(self) -> list[dict[str, Any]]:
        """The CLI's AWS API calls since the last `forget_calls`, in order."""
        if self.calls_file is None or not self.calls_file.exists():
            return []
        return [json.loads(line) for line in self.calls_file.read_text().splitlines() if line.strip()]

    def forget_calls(self) -> None:
        if self.calls_file is not None:
            self.calls_file.write_text("")


def _athena_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@pytest.fixture(scope="session")
def aws_emulator(tmp_path_factory) -> Emulator:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield Emulator(f"http://{host}:{port}", calls_file=tmp_path_factory.mktemp("api-calls") / "calls.jsonl")
    server.stop()


@pytest.fixture(scope="session")
def dev_rendering() -> dict[str, Any]:
    """`python -m automation synth --stack dev --json`, run once as a user would."""
    result = subprocess.run(
        [sys.executable, "-m", "automation", "synth", "--stack", "dev", "--json"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- seeding: one function per resource type the CLI acts on ---------------------------------
def _bucket(emulator: Emulator, inputs: dict, state: dict) -> None:
    emulator.client("s3").create_bucket(Bucket=state["bucket"])


def _database(emulator: Emulator, inputs: dict, state: dict) -> None:
    emulator.client("glue").create_database(
        DatabaseInput={"Name": inputs["name"], "Description": inputs.get("description", "")}
    )


def _columns(items: list[dict]) -> list[dict]:
    return [{"Name": c["name"], "Type": c["type"], "Comment": c.get("comment", "")} for c in items or []]


def _table(emulator: Emulator, inputs: dict, state: dict) -> None:
    descriptor = inputs.get("storageDescriptor") or {}
    serde = descriptor.get("serDeInfo") or {}
    emulator.client("glue").create_table(
        DatabaseName=inputs["databaseName"],
        TableInput={
            "Name": inputs["name"],
            "Description": inputs.get("description", ""),
            "TableType": inputs.get("tableType", "EXTERNAL_TABLE"),
            "Parameters": inputs.get("parameters") or {},
            "PartitionKeys": _columns(inputs.get("partitionKeys")),
            "StorageDescriptor": {
                "Columns": _columns(descriptor.get("columns")),
                "Location": descriptor.get("location", ""),
                "InputFormat": descriptor.get("inputFormat", ""),
                "OutputFormat": descriptor.get("outputFormat", ""),
                "Compressed": bool(descriptor.get("compressed", False)),
                "SerdeInfo": {
                    "SerializationLibrary": serde.get("serializationLibrary", ""),
                    "Parameters": serde.get("parameters") or {},
                },
            },
        },
    )


def _job(emulator: Emulator, inputs: dict, state: dict) -> None:
    command = inputs["command"]
    emulator.client("glue").create_job(
        Name=inputs["name"],
        Description=inputs.get("description", ""),
        Role=inputs["roleArn"],
        Command={
            "Name": command["name"],
            "ScriptLocation": command["scriptLocation"],
            "PythonVersion": str(command.get("pythonVersion", "3")),
        },
        DefaultArguments=inputs.get("defaultArguments") or {},
        ExecutionProperty={
            "MaxConcurrentRuns": int((inputs.get("executionProperty") or {}).get("maxConcurrentRuns", 1))
        },
        GlueVersion=inputs.get("glueVersion", "5.0"),
        ExecutionClass=inputs.get("executionClass", "STANDARD"),
        MaxRetries=int(inputs.get("maxRetries", 0)),
        Timeout=int(inputs.get("timeout", 480)),  # Glue 5.0's default (API_Job.html)
        WorkerType=inputs["workerType"],
        NumberOfWorkers=int(inputs["numberOfWorkers"]),
        SecurityConfiguration=inputs.get("securityConfiguration", ""),
        Tags=inputs.get("tags") or {},
    )


def _crawler(emulator: Emulator, inputs: dict, state: dict) -> None:
    targets = {
        "CatalogTargets": [
            {"DatabaseName": t["databaseName"], "Tables": list(t["tables"])} for t in inputs.get("catalogTargets", [])
        ],
        "S3Targets": [{"Path": t["path"]} for t in inputs.get("s3Targets", [])],
    }
    policy = inputs.get("schemaChangePolicy") or {}
    emulator.client("glue").create_crawler(
        Name=inputs["name"],
        Role=inputs["role"],
        DatabaseName=inputs.get("databaseName", ""),
        Description=inputs.get("description", ""),
        Targets=targets,
        SchemaChangePolicy={
            "UpdateBehavior": policy.get("updateBehavior", "LOG"),
            "DeleteBehavior": policy.get("deleteBehavior", "LOG"),
        },
        RecrawlPolicy={
            "RecrawlBehavior": (inputs.get("recrawlPolicy") or {}).get("recrawlBehavior", "CRAWL_EVERYTHING")
        },
        Configuration=inputs.get("configuration", ""),
        CrawlerSecurityConfiguration=inputs.get("securityConfiguration", ""),
    )


def _workgroup(emulator: Emulator, inputs: dict, state: dict) -> None:
    configuration = inputs.get("configuration") or {}
    results = configuration.get("resultConfiguration") or {}
    emulator.client("athena").create_work_group(
        Name=inputs["name"],
        Description=inputs.get("description", ""),
        Configuration={
            "ResultConfiguration": {
                "OutputLocation": results.get("outputLocation", ""),
                **_result_encryption(results.get("encryptionConfiguration") or {}),
            },
            "EnforceWorkGroupConfiguration": bool(configuration.get("enforceWorkgroupConfiguration", True)),
            "PublishCloudWatchMetricsEnabled": bool(configuration.get("publishCloudwatchMetricsEnabled", False)),
            "BytesScannedCutoffPerQuery": int(configuration.get("bytesScannedCutoffPerQuery", 10 * 2**20)),
            "EngineVersion": {
                "SelectedEngineVersion": (configuration.get("engineVersion") or {}).get("selectedEngineVersion", "AUTO")
            },
        },
    )


def _result_encryption(encryption: dict) -> dict:
    if not encryption:
        return {}
    key = {"KmsKey": encryption["kmsKeyArn"]} if encryption.get("kmsKeyArn") else {}
    return {"EncryptionConfiguration": {"EncryptionOption": encryption["encryptionOption"], **key}}


def _named_query(emulator: Emulator, inputs: dict, state: dict) -> str:
    return emulator.client("athena").create_named_query(
        Name=inputs["name"],
        Description=inputs.get("description", ""),
        Database=inputs["database"],
        QueryString=inputs["query"],
        WorkGroup=inputs.get("workgroup", "primary"),
    )["NamedQueryId"]


def _log_group(emulator: Emulator, inputs: dict, state: dict) -> None:
    _create_log_group(emulator, inputs["name"], inputs.get("kmsKeyId"))
    if inputs.get("retentionInDays"):
        emulator.client("logs").put_retention_policy(
            logGroupName=inputs["name"], retentionInDays=int(inputs["retentionInDays"])
        )


def _bucket_versioning(emulator: Emulator, inputs: dict, state: dict) -> None:
    emulator.client("s3").put_bucket_versioning(
        Bucket=inputs["bucket"], VersioningConfiguration={"Status": inputs["versioningConfiguration"]["status"]}
    )


def _bucket_encryption(emulator: Emulator, inputs: dict, state: dict) -> None:
    rules = []
    for rule in inputs["rules"]:
        default = rule["applyServerSideEncryptionByDefault"]
        rules.append(
            {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": default["sseAlgorithm"],
                    **({"KMSMasterKeyID": default["kmsMasterKeyId"]} if default.get("kmsMasterKeyId") else {}),
                },
                "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled", False)),
            }
        )
    emulator.client("s3").put_bucket_encryption(
        Bucket=inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
    )


def _bucket_object(emulator: Emulator, inputs: dict, state: dict) -> None:
    """The job's code (objects with a source); the empty prefix markers are left out, so
    listings see only what a test puts there."""
    if "source" in inputs:
        emulator.client("s3").put_object(Bucket=inputs["bucket"], Key=inputs["key"], Body=b"# job code\n")


def _topic(emulator: Emulator, inputs: dict, state: dict) -> None:
    attributes = {"KmsMasterKeyId": inputs["kmsMasterKeyId"]} if inputs.get("kmsMasterKeyId") else {}
    emulator.client("sns").create_topic(Name=inputs["name"], Attributes=attributes)


def _create_log_group(emulator: Emulator, name: str, kms_key_id: str | None = None) -> None:
    logs = emulator.client("logs")
    try:
        logs.create_log_group(logGroupName=name, **({"kmsKeyId": kms_key_id} if kms_key_id else {}))
    except logs.exceptions.ResourceAlreadyExistsException:
        pass


SEEDERS: dict[str, Callable[[Emulator, dict, dict], str | None]] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:glue/catalogDatabase:CatalogDatabase": _database,
    "aws:glue/catalogTable:CatalogTable": _table,
    "aws:glue/job:Job": _job,
    "aws:glue/crawler:Crawler": _crawler,
    "aws:athena/workgroup:Workgroup": _workgroup,
    "aws:athena/namedQuery:NamedQuery": _named_query,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:s3/bucketVersioning:BucketVersioning": _bucket_versioning,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _bucket_encryption,
    "aws:s3/bucketObjectv2:BucketObjectv2": _bucket_object,
    "aws:sns/topic:Topic": _topic,
}
# Creation order: what others refer to first (bucket, then databases before their tables).
ORDER = list(SEEDERS)


@dataclass
class SeededStack:
    """The dev stack as seeded in the emulator, and its outputs file."""

    emulator: Emulator
    outputs: dict[str, Any]
    outputs_file: Path
    seeded: list[str]

    def __getitem__(self, name: str) -> Any:
        return self.outputs[name]

    def bucket_and_prefix(self, output_name: str) -> tuple[str, str]:
        uri = self.outputs[output_name]
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        return bucket, prefix

    def write_outputs(self, path: Path, drop: tuple[str, ...] = ()) -> Path:
        path.write_text(json.dumps({k: v for k, v in self.outputs.items() if k not in drop}, indent=2))
        return path


def seed_stack(emulator: Emulator, rendering: dict[str, Any], folder: Path) -> SeededStack:
    """Create every resource of `rendering` the CLI acts on; return the adjusted outputs."""
    outputs = dict(rendering["outputs"])
    region = outputs.get(out.REGION, REGION)
    resources = sorted(
        (r for r in rendering["resources"] if r["type"] in SEEDERS), key=lambda r: ORDER.index(r["type"])
    )
    seeded = []
    declared_tables = set()
    for resource in resources:
        state = rendered_state(resource["type"], resource["name"], resource["inputs"], region)
        created_id = SEEDERS[resource["type"]](emulator, resource["inputs"], state)
        seeded.append(f"{resource['type']} {resource['name']}")
        if resource["type"] == "aws:glue/catalogTable:CatalogTable":
            declared_tables.add((resource["inputs"]["databaseName"], resource["inputs"]["name"]))
        if created_id and created_id != state["id"]:
            # The emulator named it differently from the mocks: the outputs carry its id.
            outputs = {k: (created_id if v == state["id"] else v) for k, v in outputs.items()}
    # A stack configured with `silverCatalog` other than `create` reads a silver table that
    # already exists in the account: create it as the tutorial does, from etl.schema.
    if (outputs[out.SILVER_DATABASE], outputs[out.SILVER_TABLE]) not in declared_tables:
        _seed_silver_table(emulator, outputs)
        seeded.append("silver database and table (from etl.schema)")
    # Glue itself creates the Glue 5.0 job log groups and the crawler log group on first use.
    for name in (out.JOB_OUTPUT_LOG_GROUP, out.JOB_ERROR_LOG_GROUP, out.CRAWLER_LOG_GROUP):
        _create_log_group(emulator, outputs[name])
    outputs_file = folder / "outputs.json"
    outputs_file.write_text(json.dumps(outputs, indent=2, sort_keys=True))
    return SeededStack(emulator, outputs, outputs_file, seeded)


def _seed_silver_table(emulator: Emulator, outputs: dict[str, Any]) -> None:
    glue = emulator.client("glue")
    try:
        glue.create_database(DatabaseInput={"Name": outputs[out.SILVER_DATABASE]})
    except glue.exceptions.AlreadyExistsException:
        pass
    _table(
        emulator,
        {
            "databaseName": outputs[out.SILVER_DATABASE],
            "name": outputs[out.SILVER_TABLE],
            "parameters": {"classification": "parquet", "EXTERNAL": "TRUE"},
            "partitionKeys": [{"name": c.name, "type": c.type} for c in SILVER.partition_columns],
            "storageDescriptor": {
                "columns": [{"name": c.name, "type": c.type} for c in SILVER.columns],
                "location": outputs[out.SILVER_URI],
                "inputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "outputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "serDeInfo": {"serializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
            },
        },
        {},
    )


@pytest.fixture
def aws_stack(aws_emulator: Emulator, dev_rendering: dict[str, Any], tmp_path: Path) -> SeededStack:
    """A freshly seeded dev stack for one test; afterwards, every AWS call the test's CLI
    subprocesses made must be one the stack's operator policy allows."""
    aws_emulator.reset()
    aws_emulator.forget_calls()
    stack = seed_stack(aws_emulator, dev_rendering, tmp_path)
    yield stack
    refused = calls_the_operator_policy_refuses(aws_emulator.recorded_calls(), dev_rendering, stack.outputs)
    assert not refused, "the operator policy does not allow:\n" + "\n".join(refused)


# Resources only the emulator names: moto's GetJobRun always answers LogGroupName "test/log"
# (moto/glue/models.py, FakeJobRun.as_dict), so `logs` looks for test/log/error and /output
# first. On AWS the run names its real groups; a candidate the operator may not read is
# skipped by `logs` (AccessDenied), so the operator policy need not, and does not, cover it.
EMULATOR_ONLY_RESOURCES = (":log-group:test/log/",)


def operator_policy_document(rendering: dict[str, Any]) -> dict[str, Any]:
    """The operator policy as synth rendered it (`infra.operator.OperatorAccess`)."""
    (policy,) = [r for r in rendering["resources"] if r["type"] == "aws:iam/policy:Policy"]
    return json.loads(policy["inputs"]["policy"])


def calls_the_operator_policy_refuses(
    calls: list[dict[str, Any]], rendering: dict[str, Any], outputs: dict[str, Any]
) -> list[str]:
    """One line per distinct (action, resource) a recorded call needs and the policy does not allow."""
    from tests.iam_policy import Stack, allows, iam_requests

    document = operator_policy_document(rendering)
    stack = Stack(
        region=outputs[out.REGION],
        account=outputs[out.STACK_SETTINGS]["roleArn"].split(":")[4],
        workgroup=outputs[out.ATHENA_WORKGROUP],
    )
    refused: dict[tuple[str, str], str] = {}
    for call in calls:
        for action, resource in iam_requests(call, stack):
            if any(part in resource for part in EMULATOR_ONLY_RESOURCES):
                continue
            if not allows(document, action, resource):
                refused.setdefault(
                    (action, resource), f"{action} on {resource} ({call['service']}:{call['operation']})"
                )
    return list(refused.values())


# -- playing the Glue job -----------------------------------------------------------------
SILVER_ARROW_SCHEMA = pa.schema(
    [("idade", pa.int32()), ("ativo", pa.bool_()), ("salario", pa.float64()), ("nome", pa.string())]
)


def write_silver_dataset(root: Path, partitions: dict[tuple[int, int], list[dict]]) -> Path:
    """A local silver dataset in ano=/mes= folders, written by pyarrow."""
    for (ano, mes), rows in partitions.items():
        folder = root / f"ano={ano}" / f"mes={mes}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=SILVER_ARROW_SCHEMA), folder / "part-0.parquet")
    return root


class GluePlayer:
    """Plays the Glue job against the emulator: for each new run of the stack's job, reads
    silver with pyarrow, writes gold (one Parquet object per partition), registers the
    gold partitions, puts log events and writes the run report where the job writes them."""

    def __init__(self, stack: SeededStack, register_partitions: bool = True, error_lines: int = 1):
        self.stack = stack
        self.register_partitions = register_partitions
        self.error_lines = error_lines
        self.played: dict[str, RunReport] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.failure: BaseException | None = None

    def __enter__(self) -> GluePlayer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        if self.failure is not None:
            raise self.failure

    def _loop(self) -> None:
        glue = self.stack.emulator.client("glue")
        try:
            while not self._stop.is_set():
                for run in glue.get_job_runs(JobName=self.stack[out.JOB_NAME]).get("JobRuns", []):
                    if run["Id"] not in self.played and run["JobRunState"] in ("STARTING", "RUNNING"):
                        self.played[run["Id"]] = self.play(run["Id"], run.get("Arguments", {}))
                time.sleep(0.1)
        except BaseException as error:  # surfaced in __exit__
            self.failure = error

    def silver_table(self) -> pa.Table:
        s3 = self.stack.emulator.client("s3")
        bucket, prefix = self.stack.bucket_and_prefix(out.SILVER_URI)
        tables = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                relative = item["Key"][len(prefix) :]
                if "/" not in relative or relative.rsplit("/", 1)[-1].startswith(("_", ".")):
                    continue
                ano, mes = (int(part.split("=")[1]) for part in relative.split("/")[:2])
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                table = pq.read_table(io.BytesIO(body), columns=["idade", "ativo", "salario"])
                table = table.append_column("ano", pa.array([ano] * len(table), pa.int32()))
                tables.append(table.append_column("mes", pa.array([mes] * len(table), pa.int32())))
        return pa.concat_tables(tables) if tables else pa.table({})

    def play(self, run_id: str, arguments: dict[str, str]) -> RunReport:
        stack, emulator = self.stack, self.stack.emulator
        silver = self.silver_table()
        rows_read = len(silver)
        idade, salario = pc.cast(silver["idade"], pa.int64()), silver["salario"]
        valid = pc.and_kleene(
            pc.and_kleene(pc.and_kleene(pc.is_valid(idade), pc.is_valid(silver["ativo"])), pc.is_valid(salario)),
            pc.and_kleene(
                pc.and_kleene(pc.greater_equal(idade, 0), pc.less_equal(idade, 120)),
                pc.and_kleene(pc.invert(pc.is_nan(salario)), pc.greater_equal(salario, 0)),
            ),
        )
        valid = pc.fill_null(valid, False)
        good = silver.filter(valid)
        gold = good.group_by(["idade", "ativo", "ano", "mes"]).aggregate([("salario", "mean")])
        gold = gold.rename_columns(["idade", "ativo", "ano", "mes", "salario_medio"])
        bucket, gold_prefix = stack.bucket_and_prefix(out.GOLD_URI)
        s3, glue = emulator.client("s3"), emulator.client("glue")
        keys = sorted({(a, m) for a, m in zip(gold["ano"].to_pylist(), gold["mes"].to_pylist(), strict=True)})
        for ano, mes in keys:
            # Dynamic partition overwrite: the partition's previous files are replaced.
            folder = f"{gold_prefix}ano={ano}/mes={mes}/"
            for item in s3.list_objects_v2(Bucket=bucket, Prefix=folder).get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=item["Key"])
            part = gold.filter(pc.and_(pc.equal(gold["ano"], ano), pc.equal(gold["mes"], mes)))
            buffer = io.BytesIO()
            pq.write_table(part.select(["idade", "ativo", "salario_medio"]), buffer, compression="snappy")
            s3.put_object(
                Bucket=bucket,
                Key=f"{gold_prefix}ano={ano}/mes={mes}/part-00000-{run_id[-8:]}.c000.snappy.parquet",
                Body=buffer.getvalue(),
            )
        registered = {
            tuple(p["Values"])
            for p in glue.get_partitions(DatabaseName=stack[out.GOLD_DATABASE], TableName=stack[out.GOLD_TABLE])[
                "Partitions"
            ]
        }
        new_keys = [(a, m) for a, m in keys if (str(a), str(m)) not in registered]
        if self.register_partitions and new_keys:
            table = glue.get_table(DatabaseName=stack[out.GOLD_DATABASE], Name=stack[out.GOLD_TABLE])["Table"]
            descriptor = table["StorageDescriptor"]
            glue.batch_create_partition(
                DatabaseName=stack[out.GOLD_DATABASE],
                TableName=stack[out.GOLD_TABLE],
                PartitionInputList=[
                    {
                        "Values": [str(ano), str(mes)],
                        "StorageDescriptor": {**descriptor, "Location": f"{stack[out.GOLD_URI]}ano={ano}/mes={mes}/"},
                    }
                    for ano, mes in new_keys
                ],
            )
        rejected = rows_read - len(good)
        # Where the job would write and register the rejected rows (the rows themselves are not
        # played: `rejects` reads them through Athena, whose results a test seeds). No
        # max_reject_ratio: `rejects` then falls back to the job's DefaultArguments.
        quarantine = f"{stack[out.QUARANTINE_URI]}run_id={run_id}/" if rejected else ""
        report = RunReport(
            run_id=run_id,
            mode=arguments.get("--mode", "incremental"),
            status="succeeded",
            rows_read=rows_read,
            rows_rejected=rejected,
            rows_written=len(gold),
            partitions_processed=len(keys),
            partitions_written=len(keys),
            files_written=len(keys),
            seconds={"job": 41.5, "total": 44.0},
            gold_location=stack[out.GOLD_URI],
            report_location=stack[out.REPORTS_URI],
            plan=f"{len(keys)} new partitions",
            quarantine_location=quarantine,
            rejects_partition=f"run_id={run_id}" if rejected else "",
        )
        reports_bucket, reports_prefix = stack.bucket_and_prefix(out.REPORTS_URI)
        for name in (run_id, "latest"):  # as the job does
            s3.put_object(Bucket=reports_bucket, Key=f"{reports_prefix}{name}.json", Body=report.to_json().encode())
        self._log(run_id, report)
        return report

    def _log(self, run_id: str, report: RunReport) -> None:
        logs = self.stack.emulator.client("logs")
        now = int(time.time() * 1000)
        streams = {
            (self.stack[out.JOB_ERROR_LOG_GROUP], f"{run_id}-driver"): [
                "INFO SparkContext: Running Spark version 3.5.4-amzn-0",
                *[f"ERROR TaskSetManager: Lost task {i}.0 in stage 1.0 (retrying)" for i in range(self.error_lines)],
                f"INFO etl.job: run report: {report.to_json()}",
            ],
            (self.stack[out.JOB_ERROR_LOG_GROUP], f"{run_id}-1"): ["INFO Executor: Running task 0.0 in stage 1.0"],
            (self.stack[out.JOB_OUTPUT_LOG_GROUP], f"{run_id}-driver"): ["reading silver_data.sample_data_partitioned"],
        }
        for (group, stream), messages in streams.items():
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)],
            )
