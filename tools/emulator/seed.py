"""The dev stack, as `python -m automation synth --stack dev --json` renders it, created in the
emulator: bucket, catalog databases and tables, the Glue job with its DefaultArguments,
crawler, Athena workgroup and saved queries, log groups and their metric filters, the Glue
role with its policy and the operator policy (`tools.emulator.iam`). Seeding goes by resource type, so
resources the program adds later are seeded too. The rendered outputs, with the ids the
emulator gave (saved query ids) in place of the mocks' ids, are written as the outputs file
the CLI reads (`--outputs-file`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from automation.stack import mock_state as rendered_state
from etl.schema import SILVER
from infra import outputs as out
from tools.emulator.iam import seed_policy, seed_role, seed_role_policy
from tools.emulator.server import PROJECT_ROOT, REGION, Emulator


def render_stack(stack: str = "dev") -> dict[str, Any]:
    """`python -m automation synth --stack STACK --json`, run as a user runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "automation", "synth", "--stack", stack, "--json"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"synth --stack {stack} failed: {result.stderr.strip()}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- seeding: one function per resource type the CLI acts on ---------------------------------
def _bucket(emulator: Emulator, inputs: dict, state: dict) -> None:
    emulator.client("s3").create_bucket(Bucket=state["bucket"])


def _database(emulator: Emulator, inputs: dict, state: dict) -> None:
    emulator.client("glue").create_database(
        DatabaseInput={"Name": inputs["name"], "Description": inputs.get("description", "")}
    )


def _columns(items: list[dict] | None) -> list[dict]:
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
    listings see only what is put there."""
    if "source" in inputs:
        emulator.client("s3").put_object(Bucket=inputs["bucket"], Key=inputs["key"], Body=b"# job code\n")


def _topic(emulator: Emulator, inputs: dict, state: dict) -> None:
    attributes = {"KmsMasterKeyId": inputs["kmsMasterKeyId"]} if inputs.get("kmsMasterKeyId") else {}
    emulator.client("sns").create_topic(Name=inputs["name"], Attributes=attributes)


def _metric_filter(emulator: Emulator, inputs: dict, state: dict) -> None:
    """The stack's metric filters, which the played job's metrics line is matched against."""
    _create_log_group(emulator, inputs["logGroupName"])
    transformation = inputs["metricTransformation"]
    emulator.client("logs").put_metric_filter(
        logGroupName=inputs["logGroupName"],
        filterName=inputs["name"],
        filterPattern=inputs["pattern"],
        metricTransformations=[
            {
                "metricName": transformation["name"],
                "metricNamespace": transformation["namespace"],
                "metricValue": transformation["value"],
                **({"dimensions": transformation["dimensions"]} if transformation.get("dimensions") else {}),
                **({"unit": transformation["unit"]} if transformation.get("unit") else {}),
            }
        ],
    )


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
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": _metric_filter,
    "aws:iam/role:Role": seed_role,
    "aws:iam/rolePolicy:RolePolicy": seed_role_policy,
    "aws:iam/policy:Policy": seed_policy,
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


def seed_stack(emulator: Emulator, rendering: dict[str, Any], outputs_file: Path) -> SeededStack:
    """Create every resource of `rendering` the CLI acts on; write the adjusted outputs to
    `outputs_file` and return them."""
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
    outputs_file.parent.mkdir(parents=True, exist_ok=True)
    outputs_file.write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
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
