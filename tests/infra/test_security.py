"""Security rules on the rendered program, each named after the Checkov rule it mirrors."""

from __future__ import annotations

import json

from parliament import analyze_policy_string

from tests.iam_policy import allows

ACCOUNT = "123456789012"


def statements(document: dict) -> list[dict]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def role_policy(stack) -> dict:
    return json.loads(stack.one("aws:iam/rolePolicy:RolePolicy")["policy"])


def test_CKV_AWS_21_lake_bucket_versioning_enabled(stack):
    assert stack.named("silver-to-gold-lake-versioning")["versioningConfiguration"]["status"] == "Enabled"


def test_CKV_AWS_145_lake_bucket_encrypted_by_default(stack):
    rule = stack.named("silver-to-gold-lake-encryption")["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] in ("AES256", "aws:kms")


def test_CKV2_AWS_6_CKV_AWS_53_54_55_56_public_access_block_all_four(stack):
    block = stack.named("silver-to-gold-lake-public-access-block")
    assert (
        block["blockPublicAcls"],
        block["blockPublicPolicy"],
        block["ignorePublicAcls"],
        block["restrictPublicBuckets"],
    ) == (True, True, True, True)


def test_CKV_AWS_18_lake_access_logs_go_to_their_own_private_bucket(stack, dev, prod):
    logging = stack.named("silver-to-gold-lake-logging")
    log_bucket = stack.named("silver-to-gold-access-logs")
    assert log_bucket["bucketPrefix"] == f"silver-to-gold-logs-{'dev' if stack is dev else 'prod'}-"
    assert logging["targetBucket"] == f"{log_bucket['bucketPrefix']}20261124abcdef"
    assert logging["bucket"] == f"{stack.named('silver-to-gold-lake')['bucketPrefix']}20261124abcdef"
    assert logging["targetPrefix"] == "lake/"
    block = stack.named("silver-to-gold-access-logs-public-access-block")
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    assert stack.named("silver-to-gold-access-logs-versioning")["versioningConfiguration"]["status"] == "Enabled"
    # S3 delivers access logs only to SSE-S3 buckets, so not the stack's key.
    rule = stack.named("silver-to-gold-access-logs-encryption")["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    (expire,) = stack.named("silver-to-gold-access-logs-lifecycle")["rules"]
    assert expire["expiration"]["days"] == (14 if stack is dev else 365)
    policy = json.loads(stack.named("silver-to-gold-access-logs-policy")["policy"])
    deny, allow = statements(policy)
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"} and allow["Action"] == "s3:PutObject"
    assert allow["Resource"] == f"arn:aws:s3:::{logging['targetBucket']}/lake/*"
    assert allow["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{logging['bucket']}"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }


def test_CKV_AWS_379_bucket_policy_denies_non_tls(stack):
    policy = json.loads(stack.named("silver-to-gold-lake-tls-only")["policy"])
    deny = [s for s in statements(policy) if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny[0]["Action"] == "s3:*"


def test_CKV2_AWS_61_lifecycle_expires_scratch_and_noncurrent_and_aborts_uploads(stack):
    rules = {r["id"]: r for r in stack.named("silver-to-gold-lake-lifecycle")["rules"]}
    assert rules["expire-temp"]["filter"]["prefix"] == "temp/" and rules["expire-temp"]["expiration"]["days"] > 0
    assert rules["expire-athena-results"]["filter"]["prefix"] == "athena-results/"
    assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"]["noncurrentDays"] > 0
    assert rules["expire-noncurrent-versions"]["abortIncompleteMultipartUpload"]["daysAfterInitiation"] > 0


def test_CKV_AWS_66_log_groups_have_retention(stack):
    groups = stack.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert len(groups) in (2, 3)  # the job's two, and the crawler's own when encrypted
    assert all(g["retentionInDays"] >= 14 for g in groups)


def test_CKV_AWS_158_CKV_AWS_338_prod_log_groups_encrypted_and_kept_a_year(prod):
    key = prod.one("aws:kms/key:Key")
    assert key  # the key whose ARN the groups carry
    for group in prod.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert group["kmsKeyId"].startswith("arn:aws:kms:us-east-1:123456789012:key/")
        assert group["retentionInDays"] >= 365


def test_CKV_AWS_99_prod_security_configuration_encrypts_everything_with_kms(prod):
    config = prod.one("aws:glue/securityConfiguration:SecurityConfiguration")["encryptionConfiguration"]
    assert config["s3Encryption"]["s3EncryptionMode"] == "SSE-KMS"
    assert config["cloudwatchEncryption"]["cloudwatchEncryptionMode"] == "SSE-KMS"
    assert config["jobBookmarksEncryption"]["jobBookmarksEncryptionMode"] == "CSE-KMS"


def test_CKV_AWS_145_prod_bucket_kms_by_default(prod):
    rule = prod.named("silver-to-gold-lake-encryption")["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"


def test_CKV_AWS_7_CKV_AWS_33_key_rotated_and_no_wildcard_principal(prod):
    key = prod.one("aws:kms/key:Key")
    assert key["enableKeyRotation"] is True
    for statement in statements(json.loads(key["policy"])):
        assert statement["Principal"] != "*" and "*" not in as_list(statement["Principal"].get("AWS", []))


def test_CKV_AWS_99_CKV_AWS_195_glue_security_configuration_encrypts_and_is_attached(stack):
    config = stack.one("aws:glue/securityConfiguration:SecurityConfiguration")["encryptionConfiguration"]
    assert config["s3Encryption"]["s3EncryptionMode"] in ("SSE-S3", "SSE-KMS")
    assert "cloudwatchEncryption" in config and "jobBookmarksEncryption" in config
    name = stack.one("aws:glue/securityConfiguration:SecurityConfiguration")["name"]
    assert stack.one("aws:glue/job:Job")["securityConfiguration"] == name
    assert stack.one("aws:glue/crawler:Crawler")["securityConfiguration"] == name


def test_CKV_AWS_82_athena_workgroup_enforces_configuration(stack):
    config = stack.one("aws:athena/workgroup:Workgroup")["configuration"]
    assert config["enforceWorkgroupConfiguration"] is True


def test_CKV_AWS_159_athena_results_encrypted(stack):
    result = stack.one("aws:athena/workgroup:Workgroup")["configuration"]["resultConfiguration"]
    assert result["encryptionConfiguration"]["encryptionOption"] in ("SSE_S3", "SSE_KMS", "CSE_KMS")
    assert result["outputLocation"].endswith("/athena-results/")


def test_CKV_AWS_26_prod_alerts_topic_encrypted_with_the_stacks_key(prod):
    assert prod.one("aws:sns/topic:Topic")["kmsMasterKeyId"].startswith("arn:aws:kms:us-east-1:123456789012:key/")


def test_eventbridge_can_publish_to_the_alerts_topic(stack):
    """The topic policy lets EventBridge of this account publish, and the topic's key (if
    any) lets EventBridge use it: never alias/aws/sns, whose policy cannot grant it
    (https://repost.aws/knowledge-center/sns-not-getting-eventbridge-notification)."""
    topic = stack.one("aws:sns/topic:Topic")
    assert topic.get("kmsMasterKeyId", "") != "alias/aws/sns"
    publish, _alarms = statements(json.loads(stack.one("aws:sns/topicPolicy:TopicPolicy")["policy"]))
    assert (publish["Principal"], publish["Action"]) == ({"Service": "events.amazonaws.com"}, "sns:Publish")
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    if "kmsMasterKeyId" in topic:
        key_policy = json.loads(stack.one("aws:kms/key:Key")["policy"])
        (events,) = [s for s in statements(key_policy) if s["Principal"] == {"Service": "events.amazonaws.com"}]
        assert events["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
        assert events["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_CKV_AWS_60_61_trust_policy_only_the_glue_service(stack):
    trust = json.loads(stack.one("aws:iam/role:Role")["assumeRolePolicy"])
    assert [(s["Effect"], s["Principal"], s["Action"]) for s in statements(trust)] == [
        ("Allow", {"Service": "glue.amazonaws.com"}, "sts:AssumeRole")
    ]
    # No aws:SourceAccount condition: no AWS page says Glue sends the key (infra.policies.glue_role).
    assert not [s for s in statements(trust) if "Condition" in s]


def iam_policies(stack) -> dict[str, dict]:
    """Every policy but the key policy (whose account-root `kms:*` is KMS's default)."""
    return {name: doc for name, doc in stack.policies().items() if "-key." not in name}


def test_CKV_AWS_63_no_wildcard_actions(stack):
    for name, document in iam_policies(stack).items():
        for statement in statements(document):
            if statement["Effect"] == "Allow":
                assert all("*" not in action for action in as_list(statement["Action"])), name


def test_CKV_AWS_355_no_wildcard_resource_except_metric_data_by_namespace(stack):
    for statement in statements(role_policy(stack)):
        if "*" in as_list(statement["Resource"]):
            assert as_list(statement["Action"]) == ["cloudwatch:PutMetricData"]
            assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Glue"}}


def test_CKV_AWS_62_289_290_no_table_or_database_creation_or_deletion(stack):
    actions = {a for s in statements(role_policy(stack)) for a in as_list(s["Action"])}
    forbidden = {
        "glue:CreateTable",
        "glue:DeleteTable",
        "glue:UpdateTable",
        "glue:DeleteDatabase",
        "glue:UpdateDatabase",
        "iam:PassRole",
        "s3:DeleteBucket",
    }
    assert not actions & forbidden
    # CreateDatabase only for Spark's Glue catalog client, only on `default`.
    creating = [s for s in statements(role_policy(stack)) if "glue:CreateDatabase" in as_list(s["Action"])]
    assert {r for s in creating for r in s["Resource"]} == {
        f"arn:aws:glue:us-east-1:{ACCOUNT}:catalog",
        f"arn:aws:glue:us-east-1:{ACCOUNT}:database/default",
    }
    assert {a for s in creating for a in s["Action"]} == {"glue:GetDatabase", "glue:CreateDatabase"}


def test_least_privilege_s3_prefixes(stack):
    by_sid = {s["Sid"]: s for s in statements(role_policy(stack))}
    bucket = stack.named("silver-to-gold-lake")["bucketPrefix"]
    read = by_sid["ReadSilverAndJobCode"]
    assert as_list(read["Action"]) == ["s3:GetObject"]
    assert [r.split(":::", 1)[1].split("/", 1)[1] for r in read["Resource"]] == ["silver/*", "artifacts/*"]
    write = by_sid["WriteGoldQuarantineTemp"]
    assert [r.split("/", 1)[1] for r in (x.split(":::", 1)[1] for x in write["Resource"])] == [
        "gold/*",
        "quarantine/*",
        "temp/*",
    ]
    assert all(r.split(":::", 1)[1].startswith(bucket) for r in read["Resource"] + write["Resource"])
    # Unconditional (the evaluator counts no conditional grant): a HEAD of the job's
    # not-yet-written state file must answer 404, not 403.
    lake = f"arn:aws:s3:::{stack.outputs['lakeBucket']}"
    assert lake == f"arn:aws:s3:::{bucket}20261124abcdef"
    assert allows(role_policy(stack), "s3:ListBucket", lake)
    assert [s["Resource"] for s in statements(role_policy(stack)) if "s3:ListBucket" in s["Action"]] == [[lake]]


CATALOG = {
    "dev": ("silver_data_dev", "gold_data"),
    "prod": ("silver_data", "gold_data_prod"),
}


def test_catalog_access_limited_to_default_and_the_two_databases_and_tables(dev, prod):
    for stack, (silver, gold) in ((dev, CATALOG["dev"]), (prod, CATALOG["prod"])):
        glue = [s for s in statements(role_policy(stack)) if any(a.startswith("glue:") for a in as_list(s["Action"]))]
        assert sorted(s["Sid"] for s in glue) == [
            "MaintainGoldPartitions",
            "MaintainRejectsPartitions",
            "ReadSilverCatalog",
            "SparkCatalogClientDefaultDatabase",
        ]
        resources = {r for s in glue for r in s["Resource"]}
        assert resources == {
            f"arn:aws:glue:us-east-1:{ACCOUNT}:catalog",
            f"arn:aws:glue:us-east-1:{ACCOUNT}:database/default",
            f"arn:aws:glue:us-east-1:{ACCOUNT}:database/{silver}",
            f"arn:aws:glue:us-east-1:{ACCOUNT}:table/{silver}/sample_data_partitioned",
            f"arn:aws:glue:us-east-1:{ACCOUNT}:database/{gold}",
            f"arn:aws:glue:us-east-1:{ACCOUNT}:table/{gold}/sample_data_aggregated",
            f"arn:aws:glue:us-east-1:{ACCOUNT}:table/{gold}/sample_data_aggregated_rejects",
        }


def test_silver_catalog_is_read_only(stack):
    silver_actions = next(s for s in statements(role_policy(stack)) if s["Sid"] == "ReadSilverCatalog")["Action"]
    assert all(a.startswith("glue:Get") or a.startswith("glue:BatchGet") for a in silver_actions)


def _group_arns(*names: str) -> list[str]:
    arns = []
    for name in names:
        arns += [
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{name}",
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{name}:*",
        ]
    return arns


DEV_LOG_GROUPS = (
    "/aws-glue/jobs/job-transform-silver-to-gold/output",
    "/aws-glue/jobs/job-transform-silver-to-gold/error",
    "/aws-glue/crawlers",
)
PROD_LOG_GROUPS = (
    "/aws-glue/jobs/job-transform-silver-to-gold-prod/output",
    "/aws-glue/jobs/job-transform-silver-to-gold-prod/error",
    "/aws-glue/crawlers-role/silver-to-gold-prod-glue-silver-to-gold-prod-442134bc",
)
# AWS's documented form of encrypted job log groups (JobRun.LogGroupName), which Glue creates.
PROD_DOCUMENTED_JOB_GROUPS = "/aws-glue/jobs-silver-to-gold-prod-glue-silver-to-gold-prod-442134bc/*"


def test_logs_only_in_the_glue_5_groups_and_the_crawler_group(dev, prod):
    dev_logs = next(s for s in statements(role_policy(dev)) if s["Sid"] == "WriteOwnLogs")
    # CreateLogGroup: a fresh account has no /aws-glue/crawlers until a crawler creates it.
    assert dev_logs["Action"] == ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    assert dev_logs["Resource"] == _group_arns(*DEV_LOG_GROUPS)
    assert not [s for s in statements(role_policy(dev)) if s["Sid"] == "EncryptOwnLogs"]
    prod_logs = next(s for s in statements(role_policy(prod)) if s["Sid"] == "WriteOwnLogs")
    documented = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{PROD_DOCUMENTED_JOB_GROUPS}"
    assert prod_logs["Resource"] == [*_group_arns(*PROD_LOG_GROUPS, "/aws-glue/crawlers"), documented]
    # Glue associates the key with the stack's encrypted groups and the ones it creates in AWS's
    # documented form (logs:AssociateKmsKey), never with the shared /aws-glue/crawlers.
    encrypt = next(s for s in statements(role_policy(prod)) if s["Sid"] == "EncryptOwnLogs")
    assert (encrypt["Action"], encrypt["Resource"]) == (
        ["logs:AssociateKmsKey"],
        [*_group_arns(*PROD_LOG_GROUPS), documented],
    )


def test_prod_key_policy_grants_exactly_admins_logs_role_eventbridge_and_alarms(prod):
    policy = json.loads(prod.one("aws:kms/key:Key")["policy"])
    by_sid = {s["Sid"]: s for s in statements(policy)}
    assert sorted(by_sid) == [
        "AccountAdministrators",
        "CloudWatchAlarmsForAlertsTopic",
        "CloudWatchLogsForStackLogGroups",
        "EventBridgeForAlertsTopic",
        "GlueJobAndCrawlerRole",
    ]
    assert by_sid["AccountAdministrators"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    logs = by_sid["CloudWatchLogsForStackLogGroups"]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": [
                f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{name}"
                for name in (*PROD_LOG_GROUPS, PROD_DOCUMENTED_JOB_GROUPS)
            ]
        }
    }
    assert by_sid["GlueJobAndCrawlerRole"]["Principal"] == {
        "AWS": f"arn:aws:iam::{ACCOUNT}:role/silver-to-gold-prod-glue"
    }
    assert by_sid["EventBridgeForAlertsTopic"]["Principal"] == {"Service": "events.amazonaws.com"}
    alarms = by_sid["CloudWatchAlarmsForAlertsTopic"]
    assert (alarms["Principal"], sorted(alarms["Action"])) == (
        {"Service": "cloudwatch.amazonaws.com"},
        ["kms:Decrypt", "kms:GenerateDataKey"],
    )


def test_prod_role_uses_only_the_stacks_key(prod):
    key_arn = prod.outputs["kmsKeyArn"]
    (use,) = [s for s in statements(role_policy(prod)) if s["Sid"] == "UseLakeKey"]
    assert use["Resource"] == [key_arn]
    assert use["Action"] == ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]


def test_every_policy_passes_parliament_with_no_findings(stack):
    policies = iam_policies(stack)
    # role trust, role permissions, lake and access-log bucket policies, topic policy, operator policy
    assert len(policies) == 6
    for name, document in policies.items():
        if name.endswith(".assumeRolePolicy"):
            # Parliament reads identity policies; a trust policy has no Resource by design,
            # so it is linted as if it applied to the role itself.
            role = f"arn:aws:iam::{ACCOUNT}:role/silver-to-gold-glue-role"
            document = {**document, "Statement": [{**s, "Resource": role} for s in statements(document)]}
        findings = analyze_policy_string(json.dumps(document)).findings
        assert findings == [], (name, [(f.issue, f.detail) for f in findings])


def operator_policy_document(stack) -> dict:
    return json.loads(stack.one("aws:iam/policy:Policy")["policy"])


def test_the_operator_policy_is_created_and_exported(dev, prod):
    for stack, name in ((dev, "silver-to-gold-dev-operator"), (prod, "silver-to-gold-prod-operator")):
        policy = stack.one("aws:iam/policy:Policy")
        assert policy["name"] == name
        # synth's mocks give every IAM resource a role-style ARN; the name is what identifies it here.
        assert stack.outputs["operatorPolicyArn"].endswith(f"/{name}")
        assert not [r for r in stack.resources if r["type"].startswith("aws:iam/") and "Attachment" in r["type"]]


def test_the_operator_policy_is_scoped_to_the_stacks_resources(dev, prod):
    for stack, job, workgroup in (
        (dev, "job-transform-silver-to-gold", "silver-to-gold-dev"),
        (prod, "job-transform-silver-to-gold-prod", "silver-to-gold-prod"),
    ):
        by_sid = {s["Sid"]: s for s in statements(operator_policy_document(stack))}
        assert by_sid["RunAndFollowTheJob"]["Resource"] == [f"arn:aws:glue:us-east-1:{ACCOUNT}:job/{job}"]
        assert by_sid["QueryInTheWorkgroup"]["Resource"] == [
            f"arn:aws:athena:us-east-1:{ACCOUNT}:workgroup/{workgroup}"
        ]
        lake = f"arn:aws:s3:::{stack.outputs['lakeBucket']}"
        assert by_sid["LakeBucket"]["Resource"] == [lake] and "Condition" not in by_sid["LakeBucket"]
        # "*" only where the action has no resource type: doctor's log-group listing, its
        # simulation of the deployed policy, its read of the run's datapoint.
        on_star = [s for s in statements(operator_policy_document(stack)) if "*" in as_list(s["Resource"])]
        assert sorted(a for s in on_star for a in s["Action"]) == [
            "cloudwatch:GetMetricData",
            "iam:SimulateCustomPolicy",
            "logs:DescribeLogGroups",
        ]
    assert "UseTheStacksKey" not in {s["Sid"] for s in statements(operator_policy_document(dev))}
    (use,) = [s for s in statements(operator_policy_document(prod)) if s["Sid"] == "UseTheStacksKey"]
    assert use["Resource"] == [prod.outputs["kmsKeyArn"]]
