"""infra/terraform_plan.py on hand-written synth renderings: the plan fragments written out."""

from __future__ import annotations

import json

import pytest

from infra.terraform_plan import PROVIDER_NAME, singular, skipped_resources, snake, terraform_type, to_plan


@pytest.mark.parametrize(
    "token, expected",
    [
        ("aws:s3/bucket:Bucket", "aws_s3_bucket"),
        ("aws:s3/bucketV2:BucketV2", "aws_s3_bucket"),
        ("aws:s3/bucketVersioning:BucketVersioning", "aws_s3_bucket_versioning"),
        ("aws:s3/bucketVersioningV2:BucketVersioningV2", "aws_s3_bucket_versioning"),
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws_s3_bucket_server_side_encryption_configuration",
        ),
        ("aws:s3/bucketObjectv2:BucketObjectv2", "aws_s3_object"),
        ("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "aws_s3_bucket_replication_configuration"),
        ("aws:glue/catalogTable:CatalogTable", "aws_glue_catalog_table"),
        ("aws:glue/securityConfiguration:SecurityConfiguration", "aws_glue_security_configuration"),
        ("aws:cloudwatch/logGroup:LogGroup", "aws_cloudwatch_log_group"),
        ("aws:cloudwatch/eventRule:EventRule", "aws_cloudwatch_event_rule"),
        ("aws:kms/key:Key", "aws_kms_key"),
        ("aws:kms/alias:Alias", "aws_kms_alias"),
        ("aws:iam/rolePolicy:RolePolicy", "aws_iam_role_policy"),
        ("aws:sns/topicSubscription:TopicSubscription", "aws_sns_topic_subscription"),
        ("aws:athena/namedQuery:NamedQuery", "aws_athena_named_query"),
        ("silver-to-gold:index:SilverToGoldPipeline", None),
        ("pulumi:providers:aws", None),
        ("random:index/randomId:RandomId", None),
    ],
)
def test_terraform_type(token, expected):
    assert terraform_type(token) == expected


@pytest.mark.parametrize(
    "name, expected",
    [
        ("retentionInDays", "retention_in_days"),
        ("serDeInfo", "ser_de_info"),
        ("s3Encryption", "s3_encryption"),
        ("kmsMasterKeyId", "kms_master_key_id"),
        ("bucket", "bucket"),
    ],
)
def test_snake(name, expected):
    assert snake(name) == expected


@pytest.mark.parametrize(
    "plural, expected",
    [
        ("rules", "rule"),
        ("catalog_targets", "catalog_target"),
        ("s3_targets", "s3_target"),
        ("noncurrent_version_transitions", "noncurrent_version_transition"),
        ("inline_policies", "inline_policy"),
        ("partition_indices", "partition_index"),
        ("target_grants", "target_grant"),
        ("partition_keys", "partition_keys"),  # Terraform's own name is plural
        ("columns", "columns"),
        ("ingress", "ingress"),
        ("status", "status"),
    ],
)
def test_singular(plural, expected):
    assert singular(plural) == expected


RENDERING = {
    "resources": [
        {"type": "silver-to-gold:index:SilverToGoldPipeline", "name": "p", "inputs": {}},
        {"type": "aws:s3/bucket:Bucket", "name": "p-lake", "inputs": {"bucketPrefix": "p-dev-"}},
        {
            "type": "aws:s3/bucketVersioning:BucketVersioning",
            "name": "p-lake-versioning",
            "inputs": {"bucket": "p-dev-20261124abcdef", "versioningConfiguration": {"status": "Enabled"}},
        },
        {
            "type": "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "name": "p-lake-lifecycle",
            "inputs": {
                "bucket": "p-dev-20261124abcdef",
                "rules": [
                    {"expiration": {"days": 7.0}, "filter": {"prefix": "temp/"}, "id": "temp", "status": "Enabled"}
                ],
            },
        },
        {"type": "aws:kms/key:Key", "name": "p-key", "inputs": {"enableKeyRotation": True}},
        {
            "type": "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "name": "p-lake-encryption",
            "inputs": {
                "bucket": "p-dev-20261124abcdef",
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "kmsMasterKeyId": "arn:aws:kms:us-east-1:123456789012:key/p-key-id",
                            "sseAlgorithm": "aws:kms",
                        },
                        "bucketKeyEnabled": True,
                    }
                ],
            },
        },
        {
            "type": "aws:cloudwatch/logGroup:LogGroup",
            "name": "p-job-logs",
            "inputs": {"name": "/aws-glue/jobs/p/output", "retentionInDays": 14.0, "tags": {"Stack": "dev"}},
        },
        {"type": "aws:glue/catalogDatabase:CatalogDatabase", "name": "p-gold", "inputs": {"name": "gold_data"}},
        {
            "type": "aws:glue/catalogTable:CatalogTable",
            "name": "p-gold-table",
            "inputs": {
                "databaseName": "gold_data",
                "name": "agg",
                "parameters": {"EXTERNAL": "TRUE", "classification": "parquet"},
                "partitionKeys": [{"name": "ano", "type": "int"}],
                "storageDescriptor": {
                    "columns": [{"name": "idade", "type": "int"}],
                    "serDeInfo": {"parameters": {"serialization.format": "1"}},
                },
            },
        },
        {
            "type": "aws:glue/securityConfiguration:SecurityConfiguration",
            "name": "p-security",
            "inputs": {"name": "p-dev", "encryptionConfiguration": {"s3Encryption": {"s3EncryptionMode": "SSE-S3"}}},
        },
        {"type": "aws:athena/workgroup:Workgroup", "name": "p-workgroup", "inputs": {"name": "p-dev"}},
        {"type": "aws:iam/role:Role", "name": "p-role", "inputs": {"assumeRolePolicy": "{}"}},
        {
            "type": "aws:glue/job:Job",
            "name": "p-job",
            "inputs": {
                "roleArn": "arn:aws:iam::123456789012:role/p-role",
                "securityConfiguration": "p-dev",
                "defaultArguments": {"--enable-metrics": "true", "--TempDir": "s3://p-dev-20261124abcdef/temp/"},
                "numberOfWorkers": 2.0,
                "command": {"name": "glueetl", "scriptLocation": "s3://p-dev-20261124abcdef/job.py"},
            },
        },
        {
            "type": "aws:athena/namedQuery:NamedQuery",
            "name": "p-query",
            "inputs": {"name": "q", "database": "gold_data", "workgroup": "p-dev", "query": "SELECT 1"},
        },
        {
            "type": "aws:glue/crawler:Crawler",
            "name": "p-crawler",
            "inputs": {"catalogTargets": [{"databaseName": "gold_data", "tables": ["agg"]}], "name": "c"},
        },
        {"type": "aws:sns/topic:Topic", "name": "p-alerts", "inputs": {"kmsMasterKeyId": "alias/aws/sns"}},
        {
            "type": "aws:sns/topicSubscription:TopicSubscription",
            "name": "p-alerts-email",
            "inputs": {"topic": "arn:aws:sns:us-east-1:123456789012:p-alerts", "protocol": "email", "endpoint": "a@b"},
        },
    ],
    "outputs": {},
}


@pytest.fixture(scope="module")
def plan() -> dict:
    return to_plan(RENDERING, region="us-east-1")


def planned(plan: dict, address: str) -> dict:
    [found] = [r for r in plan["planned_values"]["root_module"]["resources"] if r["address"] == address]
    return found


def configured(plan: dict, address: str) -> dict:
    [found] = [r for r in plan["configuration"]["root_module"]["resources"] if r["address"] == address]
    return found


def test_plan_layout(plan):
    assert plan["format_version"] and plan["terraform_version"]
    resources = plan["planned_values"]["root_module"]["resources"]
    assert len(resources) == len(RENDERING["resources"]) - 1  # the component is not a Terraform resource
    bucket = planned(plan, "aws_s3_bucket.p_lake")
    assert bucket == {
        "address": "aws_s3_bucket.p_lake",
        "mode": "managed",
        "type": "aws_s3_bucket",
        "name": "p_lake",
        "provider_name": PROVIDER_NAME,
        "schema_version": 0,
        "values": {"bucket_prefix": "p-dev-"},
    }
    assert [c["address"] for c in plan["resource_changes"]] == [r["address"] for r in resources]
    assert {c["change"]["actions"][0] for c in plan["resource_changes"]} == {"create"}
    assert plan["configuration"]["provider_config"]["aws"]["expressions"]["region"] == {"constant_value": "us-east-1"}
    assert skipped_resources(RENDERING) == ["silver-to-gold:index:SilverToGoldPipeline p"]
    json.dumps(plan)  # serializable as is


def test_attached_resources_reference_the_bucket(plan):
    for address in (
        "aws_s3_bucket_versioning.p_lake_versioning",
        "aws_s3_bucket_lifecycle_configuration.p_lake_lifecycle",
        "aws_s3_bucket_server_side_encryption_configuration.p_lake_encryption",
    ):
        assert "bucket" not in planned(plan, address)["values"]  # unknown until apply, as in a real plan
        assert configured(plan, address)["expressions"]["bucket"] == {
            "references": ["aws_s3_bucket.p_lake.id", "aws_s3_bucket.p_lake"]
        }
    change = next(c for c in plan["resource_changes"] if c["address"] == "aws_s3_bucket_versioning.p_lake_versioning")
    assert change["change"]["after_unknown"] == {"bucket": True}


def test_blocks_become_singular_lists_and_numbers_integers(plan):
    assert planned(plan, "aws_s3_bucket_versioning.p_lake_versioning")["values"] == {
        "versioning_configuration": [{"status": "Enabled"}]
    }
    assert planned(plan, "aws_s3_bucket_lifecycle_configuration.p_lake_lifecycle")["values"] == {
        "rule": [{"expiration": [{"days": 7}], "filter": [{"prefix": "temp/"}], "id": "temp", "status": "Enabled"}]
    }


def test_nested_references_line_up_with_their_blocks(plan):
    address = "aws_s3_bucket_server_side_encryption_configuration.p_lake_encryption"
    assert planned(plan, address)["values"] == {
        "rule": [
            {"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}], "bucket_key_enabled": True}
        ]
    }
    assert configured(plan, address)["expressions"]["rule"] == [
        {
            "apply_server_side_encryption_by_default": [
                {"kms_master_key_id": {"references": ["aws_kms_key.p_key.arn", "aws_kms_key.p_key"]}}
            ]
        }
    ]


def test_maps_stay_maps_and_plural_blocks_stay_plural(plan):
    assert planned(plan, "aws_cloudwatch_log_group.p_job_logs")["values"] == {
        "name": "/aws-glue/jobs/p/output",
        "retention_in_days": 14,
        "tags": {"Stack": "dev"},
    }
    table = planned(plan, "aws_glue_catalog_table.p_gold_table")["values"]
    assert table == {
        "name": "agg",
        "parameters": {"EXTERNAL": "TRUE", "classification": "parquet"},
        "partition_keys": [{"name": "ano", "type": "int"}],
        "storage_descriptor": [
            {
                "columns": [{"name": "idade", "type": "int"}],
                "ser_de_info": [{"parameters": {"serialization.format": "1"}}],
            }
        ],
    }
    job = planned(plan, "aws_glue_job.p_job")["values"]
    assert job["default_arguments"] == {"--enable-metrics": "true", "--TempDir": "s3://p-dev-20261124abcdef/temp/"}
    assert job["number_of_workers"] == 2 and isinstance(job["number_of_workers"], int)
    assert job["command"] == [{"name": "glueetl", "script_location": "s3://p-dev-20261124abcdef/job.py"}]
    assert planned(plan, "aws_glue_crawler.p_crawler")["values"] == {
        "catalog_target": [{"tables": ["agg"]}],
        "name": "c",
    }


def test_references_by_name_and_arn_pick_the_right_resource(plan):
    job = configured(plan, "aws_glue_job.p_job")["expressions"]
    assert job["role_arn"] == {"references": ["aws_iam_role.p_role.arn", "aws_iam_role.p_role"]}
    # The workgroup and the security configuration share the name p-dev: the attribute decides.
    assert job["security_configuration"]["references"][1] == "aws_glue_security_configuration.p_security"
    query = configured(plan, "aws_athena_named_query.p_query")["expressions"]
    assert query["workgroup"]["references"][1] == "aws_athena_workgroup.p_workgroup"
    assert query["database"]["references"][1] == "aws_glue_catalog_database.p_gold"
    crawler = configured(plan, "aws_glue_crawler.p_crawler")["expressions"]
    assert crawler["catalog_target"][0]["database_name"]["references"][1] == "aws_glue_catalog_database.p_gold"


def test_renamed_fields_and_unresolved_strings(plan):
    subscription = configured(plan, "aws_sns_topic_subscription.p_alerts_email")["expressions"]
    assert subscription == {"topic_arn": {"references": ["aws_sns_topic.p_alerts.arn", "aws_sns_topic.p_alerts"]}}
    # An AWS-managed alias names nothing in the stack: kept as written.
    assert planned(plan, "aws_sns_topic.p_alerts")["values"] == {"kms_master_key_id": "alias/aws/sns"}
    assert configured(plan, "aws_sns_topic.p_alerts")["expressions"] == {}


def test_same_pulumi_name_twice_gets_two_addresses():
    rendering = {
        "resources": [
            {"type": "aws:s3/bucket:Bucket", "name": "a-b", "inputs": {}},
            {"type": "aws:s3/bucket:Bucket", "name": "a_b", "inputs": {}},
        ]
    }
    addresses = [r["address"] for r in to_plan(rendering)["planned_values"]["root_module"]["resources"]]
    assert addresses == ["aws_s3_bucket.a_b", "aws_s3_bucket.a_b_2"]


def test_a_generated_kms_key_arn_points_at_the_stack_key():
    arn = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7"
    group = {"type": "aws:cloudwatch/logGroup:LogGroup", "name": "logs", "inputs": {"name": "/x", "kmsKeyId": arn}}
    key = {"type": "aws:kms/key:Key", "name": "key", "inputs": {}}
    with_key = to_plan({"resources": [key, group]})
    assert configured(with_key, "aws_cloudwatch_log_group.logs")["expressions"] == {
        "kms_key_id": {"references": ["aws_kms_key.key.arn", "aws_kms_key.key"]}
    }
    alias = {
        "type": "aws:kms/alias:Alias",
        "name": "alias",
        "inputs": {"name": "alias/x", "targetKeyId": "0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7"},
    }
    assert configured(to_plan({"resources": [key, alias]}), "aws_kms_alias.alias")["expressions"] == {
        "target_key_id": {"references": ["aws_kms_key.key.key_id", "aws_kms_key.key"]}
    }
    # A key the stack does not create (the `kms` setting is an existing key's ARN) stays a literal.
    without = to_plan({"resources": [group]})
    assert planned(without, "aws_cloudwatch_log_group.logs")["values"] == {"name": "/x", "kms_key_id": arn}
