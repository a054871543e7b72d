"""The rendered program's resources for dev and prod: the properties the issues name.

Expected names and values are written out here, per stack, never computed with infra.
"""

from __future__ import annotations

import json

import botocore.session
import pytest

from infra.alerts import failure_event_pattern

ACCOUNT = "123456789012"
# The mocks' ARN of prod's key (automation/synth.py: uuid5 of region and resource name).
PROD_KEY = "arn:aws:kms:us-east-1:123456789012:key/37c8ed97-3281-5fd7-8ed1-0f086093a463"
PROD_SECURITY_CONFIGURATION = "silver-to-gold-prod-442134bc"
PROD_JOB_GROUPS = (
    "/aws-glue/jobs/job-transform-silver-to-gold-prod/output",
    "/aws-glue/jobs/job-transform-silver-to-gold-prod/error",
)
PROD_CRAWLER_GROUP = "/aws-glue/crawlers-role/silver-to-gold-prod-glue-silver-to-gold-prod-442134bc"

EXPECTED = {
    "dev": {
        "job": "job-transform-silver-to-gold",
        "crawler": "crawler-gold-data",
        "gold_database": "gold_data",
        "log_prefix": "/aws-glue/jobs/job-transform-silver-to-gold",
        "workgroup": "silver-to-gold-dev",
    },
    "prod": {
        "job": "job-transform-silver-to-gold-prod",
        "crawler": "crawler-gold-data-prod",
        "gold_database": "gold_data_prod",
        "log_prefix": "/aws-glue/jobs/job-transform-silver-to-gold-prod",
        "workgroup": "silver-to-gold-prod",
    },
}


def stack_name(stack) -> str:
    return "dev" if stack.one("aws:iam/role:Role")["name"] == "silver-to-gold-dev-glue" else "prod"


def test_dev_job_is_the_tutorials_two_g1x_on_glue_5(dev):
    job = dev.one("aws:glue/job:Job")
    assert (job["name"], job["glueVersion"], job["workerType"], job["numberOfWorkers"], job["executionClass"]) == (
        "job-transform-silver-to-gold",
        "5.0",
        "G.1X",
        2,
        "STANDARD",
    )
    assert job["command"]["name"] == "glueetl" and job["command"]["pythonVersion"] == "3"
    assert job["executionProperty"]["maxConcurrentRuns"] == 1
    assert job["timeout"] == 30 and job["maxRetries"] == 0


def test_prod_is_sized_up_with_a_year_of_logs_and_email_alerts(prod, dev):
    job = prod.one("aws:glue/job:Job")
    assert job["workerType"] == "G.2X" and job["numberOfWorkers"] == 10
    assert job["timeout"] == 120
    assert {g["retentionInDays"] for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")} == {365}
    assert {g["retentionInDays"] for g in dev.of_type("aws:cloudwatch/logGroup:LogGroup")} == {14}
    assert prod.one("aws:sns/topicSubscription:TopicSubscription")["protocol"] == "email"
    assert dev.of_type("aws:sns/topicSubscription:TopicSubscription") == []


def test_job_arguments_come_from_the_one_builder(stack):
    expected = EXPECTED[stack_name(stack)]
    arguments = stack.one("aws:glue/job:Job")["defaultArguments"]
    bucket = stack.named("silver-to-gold-lake")["bucketPrefix"]
    assert arguments["--enable-glue-datacatalog"] == "true"
    # Glue 5.0: a per-stack log group prefix, no Glue 4.0 continuous-logging arguments.
    assert arguments["--custom-logGroup-prefix"] == expected["log_prefix"]
    assert "--enable-continuous-cloudwatch-log" not in arguments and "--continuous-log-logGroup" not in arguments
    assert arguments["--enable-metrics"] == "true" and arguments["--enable-observability-metrics"] == "true"
    assert arguments["--spark-event-logs-path"].endswith("/temp/spark-ui/")
    assert arguments["--TempDir"].endswith("/temp/")
    assert arguments["--job-bookmark-option"] == "job-bookmark-disable"
    assert arguments["--extra-py-files"].startswith(f"s3://{bucket}") and arguments["--extra-py-files"].endswith(".zip")
    assert arguments["--quarantine_location"].endswith("/quarantine/sample_data_aggregated/")
    assert arguments["--report_location"].endswith("/gold/_reports/sample_data_aggregated/")
    silver = "silver_data_dev" if stack_name(stack) == "dev" else "silver_data"
    assert (arguments["--source_database"], arguments["--source_table"]) == (silver, "sample_data_partitioned")
    assert (arguments["--target_database"], arguments["--target_table"]) == (
        expected["gold_database"],
        "sample_data_aggregated",
    )


def test_job_code_is_uploaded_under_content_hash_keys(stack):
    objects = {o["key"]: o for o in stack.of_type("aws:s3/bucketObjectv2:BucketObjectv2")}
    job = stack.one("aws:glue/job:Job")
    script_key = job["command"]["scriptLocation"].split("/", 3)[3]
    package_key = job["defaultArguments"]["--extra-py-files"].split("/", 3)[3]
    assert script_key in objects and package_key in objects
    assert script_key.startswith("artifacts/etl/job-") and package_key.startswith("artifacts/etl/etl-")
    # Placeholders only where no lifecycle rule expires objects (tests/infra/test_retention.py).
    assert {k for k in objects if k.endswith("/")} == {"bronze/", "silver/", "gold/", "artifacts/"}


def test_gold_table_from_the_schema_module(stack):
    expected = EXPECTED[stack_name(stack)]
    (table,) = [t for t in stack.of_type("aws:glue/catalogTable:CatalogTable") if t["name"] == "sample_data_aggregated"]
    descriptor = table["storageDescriptor"]
    assert table["databaseName"] == expected["gold_database"]
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


def test_dev_declares_the_silver_table_a_fresh_account_lacks(dev):
    assert sorted(dev.names_of("aws:glue/catalogDatabase:CatalogDatabase")) == ["gold_data", "silver_data_dev"]
    (table,) = [t for t in dev.of_type("aws:glue/catalogTable:CatalogTable") if t["name"] == "sample_data_partitioned"]
    descriptor = table["storageDescriptor"]
    assert table["databaseName"] == "silver_data_dev" and table["tableType"] == "EXTERNAL_TABLE"
    assert [(c["name"], c["type"]) for c in descriptor["columns"]] == [
        ("id", "bigint"),
        ("nome", "string"),
        ("idade", "int"),
        ("ativo", "boolean"),
        ("salario", "double"),
    ]
    assert [(c["name"], c["type"]) for c in table["partitionKeys"]] == [("ano", "int"), ("mes", "int")]
    assert descriptor["location"] == "s3://silver-to-gold-dev-20261124abcdef/silver/sample_data_partitioned/"
    assert descriptor["inputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"


def test_prod_references_the_existing_silver_table(prod):
    assert prod.names_of("aws:glue/catalogDatabase:CatalogDatabase") == ["gold_data_prod"]
    assert prod.names_of("aws:glue/catalogTable:CatalogTable") == [
        "sample_data_aggregated",
        "sample_data_aggregated_rejects",
    ]


def test_crawler_only_adds_partitions_to_the_existing_table(stack):
    expected = EXPECTED[stack_name(stack)]
    crawler = stack.one("aws:glue/crawler:Crawler")
    assert crawler["name"] == expected["crawler"]
    assert crawler["catalogTargets"] == [
        {"databaseName": expected["gold_database"], "tables": ["sample_data_aggregated"]}
    ]
    assert "s3Targets" not in crawler
    assert crawler["schemaChangePolicy"] == {"deleteBehavior": "LOG", "updateBehavior": "LOG"}


def test_athena_workgroup_and_saved_queries(stack):
    expected = EXPECTED[stack_name(stack)]
    workgroup = stack.one("aws:athena/workgroup:Workgroup")
    assert workgroup["name"] == expected["workgroup"]
    configuration = workgroup["configuration"]
    assert configuration["engineVersion"]["selectedEngineVersion"] == "Athena engine version 3"
    assert configuration["publishCloudwatchMetricsEnabled"] is True
    assert configuration["bytesScannedCutoffPerQuery"] >= 10 * 1024 * 1024
    queries = sorted(q["query"] for q in stack.of_type("aws:athena/namedQuery:NamedQuery"))
    table = f"{expected['gold_database']}.sample_data_aggregated"
    assert queries == [f"MSCK REPAIR TABLE {table}", f"SELECT * FROM {table} LIMIT 10"]


def test_failure_alerts_route_to_the_topic(stack):
    expected = EXPECTED[stack_name(stack)]
    rule = stack.one("aws:cloudwatch/eventRule:EventRule")
    pattern = json.loads(rule["eventPattern"])
    assert pattern == failure_event_pattern(expected["job"], expected["crawler"])
    assert pattern["$or"][0]["detail"] == {"jobName": [expected["job"]], "state": ["FAILED", "TIMEOUT", "ERROR"]}
    assert pattern["$or"][1]["detail"] == {"crawlerName": [expected["crawler"]], "state": ["Failed"]}
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:silver-to-gold-{stack_name(stack)}-alerts"
    assert stack.one("aws:cloudwatch/eventTarget:EventTarget")["arn"] == topic


def test_prod_has_one_rotated_key_with_an_alias(prod, dev):
    key = prod.one("aws:kms/key:Key")
    assert key["enableKeyRotation"] is True and key["deletionWindowInDays"] == 30
    alias = prod.one("aws:kms/alias:Alias")
    assert alias["name"] == "alias/silver-to-gold-prod"
    assert alias["targetKeyId"] == PROD_KEY.rsplit("/", 1)[1]
    assert dev.of_type("aws:kms/key:Key") == [] and dev.of_type("aws:kms/alias:Alias") == []


def test_prod_key_encrypts_bucket_logs_glue_athena_and_topic(prod):
    rule = prod.named("silver-to-gold-lake-encryption")["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": PROD_KEY}
    assert rule["bucketKeyEnabled"] is True
    assert {g["kmsKeyId"] for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")} == {PROD_KEY}
    security = prod.one("aws:glue/securityConfiguration:SecurityConfiguration")
    assert security["name"] == PROD_SECURITY_CONFIGURATION
    assert security["encryptionConfiguration"] == {
        "s3Encryption": {"s3EncryptionMode": "SSE-KMS", "kmsKeyArn": PROD_KEY},
        "cloudwatchEncryption": {"cloudwatchEncryptionMode": "SSE-KMS", "kmsKeyArn": PROD_KEY},
        "jobBookmarksEncryption": {"jobBookmarksEncryptionMode": "CSE-KMS", "kmsKeyArn": PROD_KEY},
    }
    result = prod.one("aws:athena/workgroup:Workgroup")["configuration"]["resultConfiguration"]
    assert result["encryptionConfiguration"] == {"encryptionOption": "SSE_KMS", "kmsKeyArn": PROD_KEY}
    assert prod.one("aws:sns/topic:Topic")["kmsMasterKeyId"] == PROD_KEY


def test_dev_without_a_key_uses_s3_managed_encryption_and_no_key_anywhere(dev):
    rule = dev.named("silver-to-gold-lake-encryption")["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert all("kmsKeyId" not in g for g in dev.of_type("aws:cloudwatch/logGroup:LogGroup"))
    assert dev.one("aws:glue/securityConfiguration:SecurityConfiguration")["encryptionConfiguration"] == {
        "s3Encryption": {"s3EncryptionMode": "SSE-S3"},
        "cloudwatchEncryption": {"cloudwatchEncryptionMode": "DISABLED"},
        "jobBookmarksEncryption": {"jobBookmarksEncryptionMode": "DISABLED"},
    }
    # An unencrypted topic, which EventBridge can publish to (alias/aws/sns would block it).
    assert "kmsMasterKeyId" not in dev.one("aws:sns/topic:Topic")


def test_glue_5_log_groups_declared_per_stack(dev, prod):
    dev_groups = {g["name"]: g for g in dev.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert sorted(dev_groups) == [
        "/aws-glue/jobs/job-transform-silver-to-gold/error",
        "/aws-glue/jobs/job-transform-silver-to-gold/output",
    ]
    prod_groups = {g["name"]: g for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert sorted(prod_groups) == sorted([*PROD_JOB_GROUPS, PROD_CRAWLER_GROUP])
    # The account-wide crawler group is never declared (it would be this stack's to delete).
    assert "/aws-glue/crawlers" not in dev_groups and "/aws-glue/crawlers" not in prod_groups


def test_prod_runs_daily_on_a_scheduled_trigger(prod, dev):
    trigger = prod.one("aws:glue/trigger:Trigger")
    assert trigger["name"] == "job-transform-silver-to-gold-prod-schedule"
    assert (trigger["type"], trigger["schedule"], trigger["startOnCreation"]) == (
        "SCHEDULED",
        "cron(0 4 * * ? *)",
        True,
    )
    assert trigger["actions"] == [{"jobName": "job-transform-silver-to-gold-prod"}]
    assert dev.of_type("aws:glue/trigger:Trigger") == []


def test_bucket_retained_on_destroy_by_default(stack):
    bucket = stack.named("silver-to-gold-lake")
    assert bucket.get("forceDestroy") is False
    assert stack.outputs["lakeOnDestroy"] == "retained"


def test_crawler_registration_flex_and_delete_on_destroy(render_config):
    staging = render_config(
        "staging",
        {
            "registrationMethod": "crawler",
            "executionClass": "FLEX",
            "lakeOnDestroy": "delete",
            "schedule": "cron(30 2 ? * MON-FRI *)",
        },
    )
    job = staging.one("aws:glue/job:Job")
    assert (job["name"], job["executionClass"]) == ("job-transform-silver-to-gold-staging", "FLEX")
    triggers = {t["type"]: t for t in staging.of_type("aws:glue/trigger:Trigger")}
    assert sorted(triggers) == ["CONDITIONAL", "ON_DEMAND", "SCHEDULED"]
    assert triggers["CONDITIONAL"]["name"] == "crawler-gold-data-staging-after-job"
    assert triggers["CONDITIONAL"]["predicate"] == {
        "conditions": [
            {"jobName": "job-transform-silver-to-gold-staging", "state": "SUCCEEDED", "logicalOperator": "EQUALS"}
        ]
    }
    assert triggers["CONDITIONAL"]["actions"] == [{"crawlerName": "crawler-gold-data-staging"}]
    assert triggers["ON_DEMAND"]["name"] == "job-transform-silver-to-gold-staging-run"
    assert triggers["ON_DEMAND"]["actions"] == [{"jobName": "job-transform-silver-to-gold-staging"}]
    assert staging.named("silver-to-gold-lake")["forceDestroy"] is True
    assert staging.outputs["lakeOnDestroy"] == "deleted"
    assert staging.outputs["pricePerDpuHour"] == 0.29
    assert staging.outputs["jobRunTrigger"] == "job-transform-silver-to-gold-staging-run"


def test_an_existing_key_arn_is_used_everywhere_and_no_key_is_created(render_config):
    arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    qa = render_config("qa", {"kms": arn, "lakeBucket": "existing-lake"})
    assert qa.of_type("aws:kms/key:Key") == [] and qa.of_type("aws:s3/bucket:Bucket") == []
    assert {g["kmsKeyId"] for g in qa.of_type("aws:cloudwatch/logGroup:LogGroup")} == {arn}
    assert qa.one("aws:sns/topic:Topic")["kmsMasterKeyId"] == arn
    assert qa.outputs["kmsKeyArn"] == arn and qa.outputs["lakeBucket"] == "existing-lake"
    assert qa.outputs["lakeOnDestroy"] == "retained"


def _physical_names(rendered) -> set[tuple[str, str]]:
    """(type, name) of every resource whose name must be unique in an account and region.

    Catalog tables are unique within their database; saved queries and bucket objects are
    scoped by their workgroup and bucket, which are compared themselves.
    """
    found = set()
    for resource in rendered.resources:
        kind, inputs = resource["type"], resource["inputs"]
        if kind.startswith("silver-to-gold:") or kind in (
            "aws:athena/namedQuery:NamedQuery",
            "aws:s3/bucketObjectv2:BucketObjectv2",
        ):
            continue
        if kind == "aws:glue/catalogTable:CatalogTable":
            found.add((kind, f"{inputs['databaseName']}.{inputs['name']}"))
        elif kind == "aws:s3/bucket:Bucket":
            found.add((kind, inputs["bucketPrefix"]))
        elif "name" in inputs:
            found.add((kind, inputs["name"]))
    return found


def test_dev_and_prod_share_no_physical_name(dev, prod):
    dev_names, prod_names = _physical_names(dev), _physical_names(prod)
    assert ("aws:glue/job:Job", "job-transform-silver-to-gold") in dev_names
    assert ("aws:s3/bucket:Bucket", "silver-to-gold-prod-") in prod_names
    assert len(dev_names) >= 12 and len(prod_names) >= 14
    assert dev_names & prod_names == set()


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
    assert job["executionClass"] in _enum(glue, "ExecutionClass")
    crawler = stack.one("aws:glue/crawler:Crawler")
    assert crawler["schemaChangePolicy"]["deleteBehavior"] in _enum(glue, "DeleteBehavior")
    assert crawler["schemaChangePolicy"]["updateBehavior"] in _enum(glue, "UpdateBehavior")
    assert crawler["recrawlPolicy"]["recrawlBehavior"] in _enum(glue, "RecrawlBehavior")
    security = stack.one("aws:glue/securityConfiguration:SecurityConfiguration")["encryptionConfiguration"]
    assert security["s3Encryption"]["s3EncryptionMode"] in _enum(glue, "S3EncryptionMode")
    assert security["cloudwatchEncryption"]["cloudwatchEncryptionMode"] in _enum(glue, "CloudWatchEncryptionMode")
    assert security["jobBookmarksEncryption"]["jobBookmarksEncryptionMode"] in _enum(glue, "JobBookmarksEncryptionMode")
    for trigger in stack.of_type("aws:glue/trigger:Trigger"):
        assert trigger["type"] in _enum(glue, "TriggerType")
    result = stack.one("aws:athena/workgroup:Workgroup")["configuration"]["resultConfiguration"]
    assert result["encryptionConfiguration"]["encryptionOption"] in _enum(athena, "EncryptionOption")


def test_settings_worker_types_are_all_known_to_botocore(botocore_models):
    from infra.aws_reference import FLEX_WORKER_TYPES, WORKER_TYPES

    assert set(WORKER_TYPES) <= set(_enum(botocore_models["glue"], "WorkerType"))
    assert set(FLEX_WORKER_TYPES) <= set(WORKER_TYPES)


def test_synth_renders_every_stack_output(stack):
    from infra import outputs

    declared = {value for name, value in vars(outputs).items() if name.isupper()}
    assert set(stack.outputs) == declared
    assert stack.outputs["previewSql"].startswith("SELECT * FROM ")


def test_dev_outputs(dev):
    # The operator policy's ARN is checked in test_security (synth's mocks give IAM ARNs a role/ path).
    # stackSettings is checked against the resources in test_stack_settings_are_what_the_resources_set.
    ignored = ("previewQueryId", "repairQueryId", "operatorPolicyArn", "stackSettings")
    assert {k: v for k, v in dev.outputs.items() if k not in ignored} == {
        "alertsTopicArn": "arn:aws:sns:us-east-1:123456789012:silver-to-gold-dev-alerts",
        "athenaConsoleUrl": "https://us-east-1.console.aws.amazon.com/athena/home?region=us-east-1#/query-editor",
        "athenaWorkgroup": "silver-to-gold-dev",
        "crawlerLogGroup": "/aws-glue/crawlers",
        "crawlerName": "crawler-gold-data",
        "dashboardName": "silver-to-gold-dev",
        "deployRoleArn": "",  # no githubRepository: no GitHub Actions roles (tests/ci)
        "dashboardUrl": "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#dashboards/dashboard/silver-to-gold-dev",
        "goldDatabase": "gold_data",
        "goldTable": "sample_data_aggregated",
        "goldUri": "s3://silver-to-gold-dev-20261124abcdef/gold/sample_data_aggregated/",
        "jobConsoleUrl": "https://us-east-1.console.aws.amazon.com/gluestudio/home?region=us-east-1"
        "#/editor/job/job-transform-silver-to-gold/runs",
        "jobErrorLogGroup": "/aws-glue/jobs/job-transform-silver-to-gold/error",
        "jobName": "job-transform-silver-to-gold",
        "jobOutputLogGroup": "/aws-glue/jobs/job-transform-silver-to-gold/output",
        "jobRunTrigger": "",
        "kmsKeyArn": "",
        "lakeBucket": "silver-to-gold-dev-20261124abcdef",
        "lakeOnDestroy": "retained",
        "previewRoleArn": "",
        "previewSql": "SELECT * FROM gold_data.sample_data_aggregated LIMIT 10",
        "pricePerDpuHour": 0.44,
        "quarantineUri": "s3://silver-to-gold-dev-20261124abcdef/quarantine/sample_data_aggregated/",
        "region": "us-east-1",
        "rejectsTable": "sample_data_aggregated_rejects",
        "runReportsUri": "s3://silver-to-gold-dev-20261124abcdef/gold/_reports/sample_data_aggregated/",
        "silverDatabase": "silver_data_dev",
        "silverTable": "sample_data_partitioned",
        "silverUri": "s3://silver-to-gold-dev-20261124abcdef/silver/sample_data_partitioned/",
    }


def test_stack_settings_are_what_the_resources_set(stack):
    """`doctor` compares the account against this output: it must say what the resources say."""
    settings = stack.outputs["stackSettings"]
    job = stack.one("aws:glue/job:Job")
    assert settings["job"] == {
        "glueVersion": job["glueVersion"],
        "workerType": job["workerType"],
        "numberOfWorkers": job["numberOfWorkers"],
        "executionClass": job["executionClass"],
        "timeout": job["timeout"],
        "maxRetries": job["maxRetries"],
        "securityConfiguration": job["securityConfiguration"],
        "scriptLocation": job["command"]["scriptLocation"],
        "defaultArguments": job["defaultArguments"],
    }
    role = stack.one("aws:iam/role:Role")
    assert settings["roleName"] == role["name"] and settings["roleArn"].endswith(f":role/{role['name']}")
    assert stack.one("aws:glue/crawler:Crawler")["role"] == settings["roleArn"]
    groups = stack.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert settings["logGroups"] == sorted(g["name"] for g in groups)
    assert {g["retentionInDays"] for g in groups} == {settings["logRetentionDays"]}
    workgroup = stack.one("aws:athena/workgroup:Workgroup")["configuration"]
    results = workgroup["resultConfiguration"]
    assert settings["athena"] == {
        "bytesScannedCutoffPerQuery": workgroup["bytesScannedCutoffPerQuery"],
        "outputLocation": results["outputLocation"],
        "encryptionOption": results["encryptionConfiguration"]["encryptionOption"],
        "engineVersion": workgroup["engineVersion"]["selectedEngineVersion"],
    }
    lake = stack.outputs["lakeBucket"]
    managed = [v for v in stack.of_type("aws:s3/bucketVersioning:BucketVersioning") if v["bucket"] == lake]
    assert settings["bucketManaged"] is bool(managed)


def test_prod_outputs_name_the_key_and_the_encrypted_log_groups(prod):
    assert prod.outputs["kmsKeyArn"] == PROD_KEY
    assert (prod.outputs["jobOutputLogGroup"], prod.outputs["jobErrorLogGroup"]) == PROD_JOB_GROUPS
    assert prod.outputs["crawlerLogGroup"] == PROD_CRAWLER_GROUP
    assert prod.outputs["silverDatabase"] == "silver_data" and prod.outputs["goldDatabase"] == "gold_data_prod"


# -- the resource tree (URNs) ------------------------------------------------------------------
COMPONENTS = {
    "FailureAlerts",
    "GlueJob",
    "GlueRole",
    "GoldQueries",
    "HealthAlarms",
    "JobCode",
    "JobLogs",
    "LakeCatalog",
    "LakeStorage",
    "OperatorAccess",
    "PipelineDashboard",
    "RunMetricFilters",
}


def parent_type(resource: dict) -> str:
    """The parent's type, from the URN (`...::<parent type>$<type>::<name>`)."""
    qualified = resource["urn"].split("::")[2]
    return qualified.rsplit("$", 1)[0] if "$" in qualified else ""


def test_every_resource_keeps_its_place_in_the_tree(stack):
    """A resource's URN holds its parent's type; a renamed component type or a lost `parent=`
    changes the URNs of everything under it, and on a deployed stack Pulumi replaces those
    resources. The tree as deployed today, written out: the pipeline under the stack, the
    components under the pipeline (prod adds the lake's key), every AWS resource under a component,
    and the log metric filters (the metrics the alarms read) under RunMetricFilters."""
    top = "silver-to-gold:index:SilverToGoldPipeline"
    by_type = {r["type"]: r for r in stack.resources if r["type"].startswith("silver-to-gold:")}
    expected = COMPONENTS | ({"LakeKey"} if "silver-to-gold:index:LakeKey" in by_type else set())
    assert {t.rsplit(":", 1)[1] for t in by_type} == expected | {"SilverToGoldPipeline"}
    assert parent_type(by_type[top]) == "pulumi:pulumi:Stack"
    for name in expected:
        assert parent_type(by_type[f"silver-to-gold:index:{name}"]) == top, name
    for resource in stack.resources:
        if resource["type"].startswith("aws:"):
            assert parent_type(resource).removeprefix("silver-to-gold:index:") in expected, resource["urn"]
    filters = [r for r in stack.resources if r["type"] == "aws:cloudwatch/logMetricFilter:LogMetricFilter"]
    assert len(filters) == 9
    assert {parent_type(r) for r in filters} == {"silver-to-gold:index:RunMetricFilters"}
