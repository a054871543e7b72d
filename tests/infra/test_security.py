"""Security rules on the rendered program, each named after the Checkov rule it mirrors."""

from __future__ import annotations

import json

from parliament import analyze_policy_string

ACCOUNT = "123456789012"


def statements(document: dict) -> list[dict]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def role_policy(stack) -> dict:
    return json.loads(stack.one("aws:iam/rolePolicy:RolePolicy")["policy"])


def test_CKV_AWS_21_lake_bucket_versioning_enabled(stack):
    assert stack.one("aws:s3/bucketVersioning:BucketVersioning")["versioningConfiguration"]["status"] == "Enabled"


def test_CKV_AWS_145_lake_bucket_encrypted_by_default(stack):
    rule = stack.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")["rules"][
        0
    ]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] in ("AES256", "aws:kms")


def test_CKV2_AWS_6_CKV_AWS_53_54_55_56_public_access_block_all_four(stack):
    block = stack.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert (
        block["blockPublicAcls"],
        block["blockPublicPolicy"],
        block["ignorePublicAcls"],
        block["restrictPublicBuckets"],
    ) == (True, True, True, True)


def test_CKV_AWS_379_bucket_policy_denies_non_tls(stack):
    policy = json.loads(stack.one("aws:s3/bucketPolicy:BucketPolicy")["policy"])
    deny = [s for s in statements(policy) if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny[0]["Action"] == "s3:*"


def test_CKV2_AWS_61_lifecycle_expires_scratch_and_noncurrent_and_aborts_uploads(stack):
    rules = {r["id"]: r for r in stack.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["rules"]}
    assert rules["expire-temp"]["filter"]["prefix"] == "temp/" and rules["expire-temp"]["expiration"]["days"] > 0
    assert rules["expire-athena-results"]["filter"]["prefix"] == "athena-results/"
    assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"]["noncurrentDays"] > 0
    assert rules["expire-noncurrent-versions"]["abortIncompleteMultipartUpload"]["daysAfterInitiation"] > 0


def test_CKV_AWS_66_log_groups_have_retention(stack):
    groups = stack.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert sorted(g["name"] for g in groups) == [
        "/aws-glue/crawlers/crawler-gold-data",
        "/aws-glue/jobs/job-transform-silver-to-gold",
    ]
    assert all(g["retentionInDays"] >= 14 for g in groups)


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


def test_CKV_AWS_26_alerts_topic_encrypted(stack):
    assert stack.one("aws:sns/topic:Topic")["kmsMasterKeyId"]


def test_CKV_AWS_60_61_trust_policy_only_glue_of_this_account(stack):
    trust = json.loads(stack.one("aws:iam/role:Role")["assumeRolePolicy"])
    (statement,) = statements(trust)
    assert statement["Principal"] == {"Service": "glue.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_CKV_AWS_63_no_wildcard_actions(stack):
    for name, document in stack.policies().items():
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
        "glue:CreateDatabase",
        "glue:DeleteDatabase",
        "glue:UpdateDatabase",
        "iam:PassRole",
        "s3:DeleteBucket",
    }
    assert not actions & forbidden


def test_least_privilege_s3_prefixes(stack):
    by_sid = {s["Sid"]: s for s in statements(role_policy(stack))}
    bucket = stack.one("aws:s3/bucket:Bucket")["bucketPrefix"]
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
    listing = by_sid["ListLakePrefixes"]
    assert "s3:prefix" in listing["Condition"]["StringLike"]


def test_catalog_access_limited_to_the_two_databases_and_tables(stack):
    resources = {
        r
        for s in statements(role_policy(stack))
        if s["Sid"] in ("ReadSilverCatalog", "MaintainGoldPartitions")
        for r in s["Resource"]
    }
    assert resources == {
        f"arn:aws:glue:us-east-1:{ACCOUNT}:catalog",
        f"arn:aws:glue:us-east-1:{ACCOUNT}:database/silver_data",
        f"arn:aws:glue:us-east-1:{ACCOUNT}:table/silver_data/sample_data_partitioned",
        f"arn:aws:glue:us-east-1:{ACCOUNT}:database/gold_data",
        f"arn:aws:glue:us-east-1:{ACCOUNT}:table/gold_data/sample_data_aggregated",
    }
    silver_actions = next(s for s in statements(role_policy(stack)) if s["Sid"] == "ReadSilverCatalog")["Action"]
    assert all(a.startswith("glue:Get") or a.startswith("glue:BatchGet") for a in silver_actions)


def test_logs_only_on_the_jobs_own_groups(stack):
    logs = next(s for s in statements(role_policy(stack)) if s["Sid"] == "WriteOwnLogs")
    assert all(
        ":log-group:/aws-glue/jobs/job-transform-silver-to-gold" in r
        or ":log-group:/aws-glue/crawlers/crawler-gold-data" in r
        for r in logs["Resource"]
    )


def test_every_policy_passes_parliament_with_no_findings(stack):
    policies = stack.policies()
    assert len(policies) == 4  # role trust, role permissions, bucket policy, topic policy
    for name, document in policies.items():
        if name.endswith(".assumeRolePolicy"):
            # Parliament reads identity policies; a trust policy has no Resource by design,
            # so it is linted as if it applied to the role itself.
            role = f"arn:aws:iam::{ACCOUNT}:role/silver-to-gold-glue-role"
            document = {**document, "Statement": [{**s, "Resource": role} for s in statements(document)]}
        findings = analyze_policy_string(json.dumps(document)).findings
        assert findings == [], (name, [(f.issue, f.detail) for f in findings])
