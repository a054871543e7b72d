"""The rendered program's resources for dev and prod: the properties the issue names."""

from __future__ import annotations

import json

import botocore.session
import pytest

from infra.alerts import failure_event_pattern


def test_dev_job_is_the_tutorials_two_g1x_on_glue_5(dev):
    job = dev.one("aws:glue/job:Job")
    assert (job["name"], job["glueVersion"], job["workerType"], job["numberOfWorkers"]) == (
        "job-transform-silver-to-gold",
        "5.0",
        "G.1X",
        2,
    )
    assert job["command"]["name"] == "glueetl" and job["command"]["pythonVersion"] == "3"
    assert job["executionProperty"]["maxConcurrentRuns"] == 1
    assert job["timeout"] == 30 and job["maxRetries"] == 0


def test_prod_is_sized_up_with_longer_retention_and_email_alerts(prod, dev):
    job = prod.one("aws:glue/job:Job")
    assert job["workerType"] == "G.2X" and job["numberOfWorkers"] == 10
    assert job["timeout"] == 120
    assert {g["retentionInDays"] for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")} == {90}
    assert prod.one("aws:sns/topicSubscription:TopicSubscription")["protocol"] == "email"
    assert dev.of_type("aws:sns/topicSubscription:TopicSubscription") == []


def test_job_arguments_come_from_the_one_builder(stack):
    arguments = stack.one("aws:glue/job:Job")["defaultArguments"]
    bucket = stack.one("aws:s3/bucket:Bucket")["bucketPrefix"]
    assert arguments["--enable-glue-datacatalog"] == "true"
    assert arguments["--enable-continuous-cloudwatch-log"] == "true"
    assert arguments["--continuous-log-logGroup"] == "/aws-glue/jobs/job-transform-silver-to-gold"
    assert arguments["--enable-metrics"] == "true" and arguments["--enable-observability-metrics"] == "true"
    assert arguments["--spark-event-logs-path"].endswith("/temp/spark-ui/")
    assert arguments["--TempDir"].endswith("/temp/")
    assert arguments["--job-bookmark-option"] == "job-bookmark-disable"
    assert arguments["--extra-py-files"].startswith(f"s3://{bucket}") and arguments["--extra-py-files"].endswith(".zip")
    assert arguments["--quarantine_location"].endswith("/quarantine/sample_data_aggregated/")
    assert arguments["--report_location"].endswith("/gold/_reports/sample_data_aggregated/")
    assert (arguments["--source_database"], arguments["--source_table"]) == ("silver_data", "sample_data_partitioned")
    assert (arguments["--target_database"], arguments["--target_table"]) == ("gold_data", "sample_data_aggregated")


def test_job_code_is_uploaded_under_content_hash_keys(stack):
    objects = {o["key"]: o for o in stack.of_type("aws:s3/bucketObjectv2:BucketObjectv2")}
    job = stack.one("aws:glue/job:Job")
    script_key = job["command"]["scriptLocation"].split("/", 3)[3]
    package_key = job["defaultArguments"]["--extra-py-files"].split("/", 3)[3]
    assert script_key in objects and package_key in objects
    assert script_key.startswith("artifacts/etl/job-") and package_key.startswith("artifacts/etl/etl-")
    assert {"bronze/", "silver/", "gold/", "quarantine/", "temp/", "artifacts/", "athena-results/"} <= set(objects)


def test_gold_table_from_the_schema_module(stack):
    table = stack.one("aws:glue/catalogTable:CatalogTable")
    descriptor = table["storageDescriptor"]
    assert table["name"] == "sample_data_aggregated" and table["databaseName"] == "gold_data"
    assert table["tableType"] == "EXTERNAL_TABLE"
    assert [(c["name"], c["type"]) for c in descriptor["columns"]] == [
        ("idade", "int"),
        ("ativo", "boolean"),
        ("salario_medio", "double"),
    ]
    assert [(c["name"], c["type"]) for c in table["partitionKeys"]] == [("ano", "int"), ("mes", "int")]
    assert (
        descriptor["serDeInfo"]["serializationLibrary"] == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    )
    assert descriptor["location"].endswith("/gold/sample_data_aggregated/")
    assert table["parameters"]["parquet.compression"] == "SNAPPY"


def test_crawler_only_adds_partitions_to_the_existing_table(stack):
    crawler = stack.one("aws:glue/crawler:Crawler")
    assert crawler["name"] == "crawler-gold-data"
    assert crawler["catalogTargets"] == [{"databaseName": "gold_data", "tables": ["sample_data_aggregated"]}]
    assert "s3Targets" not in crawler
    assert crawler["schemaChangePolicy"] == {"deleteBehavior": "LOG", "updateBehavior": "LOG"}


def test_athena_workgroup_and_saved_queries(stack):
    workgroup = stack.one("aws:athena/workgroup:Workgroup")["configuration"]
    assert workgroup["engineVersion"]["selectedEngineVersion"] == "Athena engine version 3"
    assert workgroup["publishCloudwatchMetricsEnabled"] is True
    assert workgroup["bytesScannedCutoffPerQuery"] >= 10 * 1024 * 1024
    queries = sorted(q["query"] for q in stack.of_type("aws:athena/namedQuery:NamedQuery"))
    assert queries == [
        "MSCK REPAIR TABLE gold_data.sample_data_aggregated",
        "SELECT * FROM gold_data.sample_data_aggregated LIMIT 10",
    ]


def test_failure_alerts_route_to_the_topic(stack):
    pattern = json.loads(stack.one("aws:cloudwatch/eventRule:EventRule")["eventPattern"])
    assert pattern == failure_event_pattern("job-transform-silver-to-gold", "crawler-gold-data")
    job_states = pattern["$or"][0]["detail"]["state"]
    assert sorted(job_states) == ["ERROR", "FAILED", "TIMEOUT"]
    assert stack.one("aws:cloudwatch/eventTarget:EventTarget")["arn"].startswith("arn:aws:sns:us-east-1:123456789012:")


@pytest.fixture(scope="module")
def botocore_models():
    session = botocore.session.get_session()
    return {name: session.get_service_model(name) for name in ("glue", "athena")}


def _enum(model, shape: str) -> list[str]:
    return model.shape_for(shape).enum


def test_enumerated_values_are_ones_the_aws_api_accepts(stack, botocore_models):
    glue, athena = botocore_models["glue"], botocore_models["athena"]
    job = stack.one("aws:glue/job:Job")
    assert job["workerType"] in _enum(glue, "WorkerType")
    crawler = stack.one("aws:glue/crawler:Crawler")
    assert crawler["schemaChangePolicy"]["deleteBehavior"] in _enum(glue, "DeleteBehavior")
    assert crawler["schemaChangePolicy"]["updateBehavior"] in _enum(glue, "UpdateBehavior")
    assert crawler["recrawlPolicy"]["recrawlBehavior"] in _enum(glue, "RecrawlBehavior")
    security = stack.one("aws:glue/securityConfiguration:SecurityConfiguration")["encryptionConfiguration"]
    assert security["s3Encryption"]["s3EncryptionMode"] in _enum(glue, "S3EncryptionMode")
    assert security["cloudwatchEncryption"]["cloudwatchEncryptionMode"] in _enum(glue, "CloudWatchEncryptionMode")
    assert security["jobBookmarksEncryption"]["jobBookmarksEncryptionMode"] in _enum(glue, "JobBookmarksEncryptionMode")
    result = stack.one("aws:athena/workgroup:Workgroup")["configuration"]["resultConfiguration"]
    assert result["encryptionConfiguration"]["encryptionOption"] in _enum(athena, "EncryptionOption")


def test_settings_worker_types_are_all_known_to_botocore(botocore_models):
    from infra.settings import WORKER_TYPES

    assert set(WORKER_TYPES) <= set(_enum(botocore_models["glue"], "WorkerType"))


def test_synth_renders_every_stack_output(stack):
    from infra import outputs

    declared = {value for name, value in vars(outputs).items() if name.isupper()}
    assert set(stack.outputs) == declared
    assert stack.outputs["jobName"] == "job-transform-silver-to-gold" or stack.outputs["jobName"].startswith("job-")
    assert stack.outputs["previewSql"].startswith("SELECT * FROM ")
