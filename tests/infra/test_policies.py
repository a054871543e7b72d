"""The policy builders (`infra.policies`), without the Pulumi runtime: what each document
allows and refuses, asked of the project's evaluator with ARNs written out here, never a
copy of the document. The rendered stacks' policies are judged in test_policies_rendered.py."""

from __future__ import annotations

from dataclasses import replace

from infra.policies import (
    access_log_bucket_policy,
    alerts_topic_policy,
    allow,
    deny,
    glue_job_policy,
    glue_trust_policy,
    lake_key_policy,
    operator_policy,
)
from infra.policies.verbs import StackResources, Table
from tests.iam_policy import allows
from tests.infra.policy_checks import allows_in_context, by_principal, statements

ACCOUNT = "123456789012"
GLUE = f"arn:aws:glue:us-east-1:{ACCOUNT}"
LOGS = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"
LOGS_EU = f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group"


def alone(statement: dict) -> dict:
    """One statement of a resource's policy as a document the evaluator reads (it ignores Principal)."""
    return {"Version": "2012-10-17", "Statement": [{k: v for k, v in statement.items() if k != "Principal"}]}


def role_policy(**overrides) -> dict:
    arguments = {
        "bucket": "lake",
        "region": "us-east-1",
        "account": ACCOUNT,
        "silver": ("s", "st"),
        "gold": ("g", "gt"),
        "log_groups": ["/a/output", "/aws-glue/crawlers", "/aws-glue/jobs-r-sc/*"],
    }
    return glue_job_policy(**{**arguments, **overrides})


def test_allow_and_deny_keep_iams_order_and_the_shape_they_are_given():
    statement = allow("S", "s3:GetObject", "arn:aws:s3:::b/*", {"Bool": {"k": "v"}}, principal={"Service": "x"})
    assert list(statement) == ["Sid", "Effect", "Principal", "Action", "Resource", "Condition"]
    assert (statement["Action"], statement["Resource"]) == ("s3:GetObject", "arn:aws:s3:::b/*")
    listed = allow("L", ("s3:GetObject",), ("arn:aws:s3:::b/*",))
    assert (listed["Action"], listed["Resource"]) == (["s3:GetObject"], ["arn:aws:s3:::b/*"])
    assert list(allow(None, "sts:AssumeRole", None, principal={"Service": "x"})) == ["Effect", "Principal", "Action"]
    assert deny("D", "s3:*", ["arn:aws:s3:::b"], principal="*")["Effect"] == "Deny"


def test_the_role_reads_silver_and_code_and_writes_only_gold_quarantine_temp():
    document = role_policy()
    for key in ("silver/t/ano=2024/f.parquet", "artifacts/etl/job.py", "gold/t/f.parquet"):
        assert allows(document, "s3:GetObject", f"arn:aws:s3:::lake/{key}"), key
    for key in ("gold/t/f", "quarantine/t/f", "temp/spark/f"):
        assert allows(document, "s3:PutObject", f"arn:aws:s3:::lake/{key}")
        assert allows(document, "s3:DeleteObject", f"arn:aws:s3:::lake/{key}")
    for key in ("silver/t/f", "artifacts/etl/job.py", "bronze/f"):
        assert not allows(document, "s3:PutObject", f"arn:aws:s3:::lake/{key}"), key
    assert not allows(document, "s3:GetObject", "arn:aws:s3:::other/silver/f")


def test_the_role_lists_the_lake_without_a_prefix_condition():
    """A HEAD of a missing key answers 404 only with s3:ListBucket, and a HEAD carries no s3:prefix:
    the evaluator counts only unconditional grants."""
    document = role_policy()
    assert allows(document, "s3:ListBucket", "arn:aws:s3:::lake")
    assert allows(document, "s3:GetBucketLocation", "arn:aws:s3:::lake")  # the crawler's
    assert not allows(document, "s3:ListBucket", "arn:aws:s3:::other")


def test_the_role_may_create_only_the_default_database_and_change_no_table():
    document = role_policy()
    assert allows(document, "glue:CreateDatabase", f"{GLUE}:database/default")
    assert allows(document, "glue:GetDatabase", f"{GLUE}:database/default")
    assert not allows(document, "glue:CreateDatabase", f"{GLUE}:database/g")
    for action in ("glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable", "glue:DeleteDatabase"):
        assert not allows(document, action, f"{GLUE}:table/g/gt"), action
    assert allows(document, "glue:BatchCreatePartition", f"{GLUE}:table/g/gt")
    assert not allows(document, "glue:BatchCreatePartition", f"{GLUE}:table/s/st")  # silver is read-only
    assert allows(document, "glue:GetPartitions", f"{GLUE}:table/s/st")


def test_the_role_writes_and_creates_only_its_log_groups():
    document = role_policy()
    for group in ("/a/output", "/aws-glue/crawlers", "/aws-glue/jobs-r-sc/error"):
        assert allows(document, "logs:CreateLogGroup", f"{LOGS}:{group}"), group
        assert allows(document, "logs:PutLogEvents", f"{LOGS}:{group}:log-stream:jr_1-driver"), group
    assert not allows(document, "logs:PutLogEvents", f"{LOGS}:/a/error:log-stream:s")
    assert not allows(document, "logs:PutLogEvents", f"{LOGS}:/aws-glue/jobs-other-sc/output:log-stream:s")


def test_metrics_only_in_glues_namespace():
    document = role_policy()
    assert allows_in_context(document, "cloudwatch:PutMetricData", "*", [("cloudwatch:namespace", "Glue")])
    assert not allows_in_context(document, "cloudwatch:PutMetricData", "*", [("cloudwatch:namespace", "Other")])


def test_without_a_key_the_role_has_no_kms_and_associates_no_key():
    document = role_policy()
    assert not any(a.startswith("kms:") for s in statements(document) for a in s["Action"])
    assert not allows(document, "logs:AssociateKmsKey", f"{LOGS}:/a/output")


def test_with_a_key_the_role_uses_only_it_and_encrypts_only_the_groups_it_is_told():
    document = role_policy(kms_key_arn=KEY, encrypted_log_groups=["/a/output"])
    for action in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"):
        assert allows(document, action, KEY), action
        assert not allows(document, action, f"arn:aws:kms:us-east-1:{ACCOUNT}:key/other"), action
    assert not allows(document, "kms:ReEncryptFrom", KEY)
    assert allows(document, "logs:AssociateKmsKey", f"{LOGS}:/a/output")
    assert not allows(document, "logs:AssociateKmsKey", f"{LOGS}:/aws-glue/crawlers")


def test_the_rejects_table_gets_partitions_only():
    document = role_policy(rejects=("g", "gt_rejects"))
    assert allows(document, "glue:BatchDeletePartition", f"{GLUE}:table/g/gt_rejects")
    assert allows(document, "glue:GetTable", f"{GLUE}:table/g/gt_rejects")
    assert not allows(document, "glue:DeleteTable", f"{GLUE}:table/g/gt_rejects")
    assert not allows(role_policy(), "glue:BatchDeletePartition", f"{GLUE}:table/g/gt_rejects")


def test_only_the_glue_service_may_assume_the_role_and_without_conditions():
    (statement,) = statements(glue_trust_policy())
    assert (statement["Effect"], statement["Principal"], statement["Action"]) == (
        "Allow",
        {"Service": "glue.amazonaws.com"},
        "sts:AssumeRole",
    )
    # No aws:SourceAccount: no AWS page says Glue sends the key (infra.policies.glue_role).
    assert "Condition" not in statement


def test_the_key_policy_names_each_principal_with_what_it_may_do():
    role = f"arn:aws:iam::{ACCOUNT}:role/silver-to-gold-prod-glue"
    document = lake_key_policy(account=ACCOUNT, region="eu-west-1", role_arn=role, log_groups=["/a", "/b/*"])
    principals = [s["Principal"] for s in statements(document)]
    assert principals == [
        {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        {"Service": "logs.eu-west-1.amazonaws.com"},
        {"AWS": role},
        {"Service": "events.amazonaws.com"},
        {"Service": "cloudwatch.amazonaws.com"},
    ]
    assert all(s["Resource"] == "*" for s in statements(document))  # in a key policy, the key itself
    (logs,) = by_principal(document, {"Service": "logs.eu-west-1.amazonaws.com"})
    context = "kms:EncryptionContext:aws:logs:arn"
    assert allows_in_context(alone(logs), "kms:GenerateDataKey", "*", [(context, f"{LOGS_EU}:/a")])
    assert allows_in_context(alone(logs), "kms:Decrypt", "*", [(context, f"{LOGS_EU}:/b/output")])
    assert not allows_in_context(alone(logs), "kms:Decrypt", "*", [(context, f"{LOGS_EU}:/c")])
    assert not allows_in_context(alone(logs), "kms:CreateGrant", "*", [(context, f"{LOGS_EU}:/a")])
    (glue,) = by_principal(document, {"AWS": role})
    assert sorted(glue["Action"]) == ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
    for service in ("events.amazonaws.com", "cloudwatch.amazonaws.com"):
        (publisher,) = by_principal(document, {"Service": service})
        assert sorted(publisher["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"], service
    (events,) = by_principal(document, {"Service": "events.amazonaws.com"})
    assert events["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_the_access_log_bucket_takes_tls_only_and_the_lakes_logs_from_s3():
    document = access_log_bucket_policy("logs-b", "lake-b", ACCOUNT, "lake/")
    (tls,) = by_principal(document, "*")
    assert (tls["Effect"], tls["Action"], tls["Condition"]) == (
        "Deny",
        "s3:*",
        {"Bool": {"aws:SecureTransport": "false"}},
    )
    assert tls["Resource"] == ["arn:aws:s3:::logs-b", "arn:aws:s3:::logs-b/*"]
    (delivery,) = by_principal(document, {"Service": "logging.s3.amazonaws.com"})
    context = [("aws:SourceArn", "arn:aws:s3:::lake-b"), ("aws:SourceAccount", ACCOUNT)]
    delivery_only = alone(delivery)
    assert allows_in_context(delivery_only, "s3:PutObject", "arn:aws:s3:::logs-b/lake/2024-01-01-x", context)
    assert not allows_in_context(delivery_only, "s3:PutObject", "arn:aws:s3:::logs-b/other/x", context)
    other_bucket = [("aws:SourceArn", "arn:aws:s3:::other"), ("aws:SourceAccount", ACCOUNT)]
    assert not allows_in_context(delivery_only, "s3:PutObject", "arn:aws:s3:::logs-b/lake/x", other_bucket)


def test_the_topic_takes_eventbridge_of_the_account_and_only_the_stacks_alarms():
    topic = f"arn:aws:sns:eu-west-1:{ACCOUNT}:t"
    document = alerts_topic_policy(topic, ACCOUNT, "eu-west-1", ["a1", "a2"])
    (events,) = by_principal(document, {"Service": "events.amazonaws.com"})
    assert allows_in_context(alone(events), "sns:Publish", topic, [("aws:SourceAccount", ACCOUNT)])
    assert not allows_in_context(alone(events), "sns:Publish", topic, [("aws:SourceAccount", "999999999999")])
    (alarms,) = by_principal(document, {"Service": "cloudwatch.amazonaws.com"})
    alarm = f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:"
    for name, allowed in (("a1", True), ("a2", True), ("a3", False)):
        context = [("aws:SourceArn", alarm + name), ("aws:SourceAccount", ACCOUNT)]
        assert allows_in_context(alone(alarms), "sns:Publish", topic, context) is allowed, name
    assert [s["Principal"] for s in statements(alerts_topic_policy(topic, ACCOUNT))] == [
        {"Service": "events.amazonaws.com"}
    ]


OPERATOR_STACK = StackResources(
    region="eu-west-1",
    account=ACCOUNT,
    bucket="lake-b",
    job="job-x",
    crawler="crawler-x",
    workgroup="wg-x",
    silver=Table("silver_data", "sample_data_partitioned", "silver/sample_data_partitioned/"),
    gold=Table("gold_x", "sample_data_aggregated", "gold/sample_data_aggregated/"),
    rejects=Table("gold_x", "sample_data_aggregated_rejects", "quarantine/sample_data_aggregated/"),
    reports="gold/_reports/sample_data_aggregated/",
    athena_results="athena-results/",
    log_groups=("/aws-glue/jobs/job-x/output", "/aws-glue/jobs-r-sc/*"),
    topic="topic-x",
    role="role-x",
    operator_policy="policy-x",
)
EU = f"eu-west-1:{ACCOUNT}"
# (action, resource) the operator may, and a neighbour of each it may not.
OPERATOR_MAY = [
    ("glue:StartJobRun", f"arn:aws:glue:{EU}:job/job-x"),
    ("glue:StartCrawler", f"arn:aws:glue:{EU}:crawler/crawler-x"),
    ("glue:BatchCreatePartition", f"arn:aws:glue:{EU}:table/silver_data/sample_data_partitioned"),
    ("glue:GetPartitions", f"arn:aws:glue:{EU}:table/gold_x/sample_data_aggregated"),
    ("athena:StartQueryExecution", f"arn:aws:athena:{EU}:workgroup/wg-x"),
    ("athena:GetWorkGroup", f"arn:aws:athena:{EU}:workgroup/wg-x"),
    ("s3:ListBucket", "arn:aws:s3:::lake-b"),
    ("s3:GetObject", "arn:aws:s3:::lake-b/gold/_reports/sample_data_aggregated/jr_1.json"),
    ("s3:PutObject", "arn:aws:s3:::lake-b/silver/sample_data_partitioned/ano=2024/mes=1/f.parquet"),
    ("s3:PutObject", "arn:aws:s3:::lake-b/athena-results/q.csv"),
    ("logs:GetLogEvents", f"arn:aws:logs:{EU}:log-group:/aws-glue/jobs/job-x/output:log-stream:jr_1-driver"),
    ("logs:FilterLogEvents", f"arn:aws:logs:{EU}:log-group:/aws-glue/jobs-r-sc/error"),
    ("logs:DescribeLogGroups", "*"),
    ("sns:GetTopicAttributes", f"arn:aws:sns:{EU}:topic-x"),
    ("iam:SimulatePrincipalPolicy", f"arn:aws:iam::{ACCOUNT}:role/role-x"),
    # Athena reads the rejects table as the caller (`rejects`), and load-silver forgets a sample.
    ("glue:GetPartitions", f"arn:aws:glue:{EU}:table/gold_x/sample_data_aggregated_rejects"),
    ("s3:GetObject", "arn:aws:s3:::lake-b/quarantine/sample_data_aggregated/run_id=jr_1/part-0.parquet"),
    ("s3:DeleteObject", "arn:aws:s3:::lake-b/silver/sample_data_partitioned/_sample.json"),
    ("iam:GetPolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/policy-x"),
    ("iam:SimulateCustomPolicy", "*"),
    ("cloudwatch:GetMetricData", "*"),
]
OPERATOR_MAY_NOT = [
    ("glue:StartJobRun", f"arn:aws:glue:{EU}:job/job-y"),
    ("glue:BatchCreatePartition", f"arn:aws:glue:{EU}:table/gold_x/other"),
    ("glue:DeletePartition", f"arn:aws:glue:{EU}:table/gold_x/sample_data_aggregated"),
    ("glue:UpdateTable", f"arn:aws:glue:{EU}:table/gold_x/sample_data_aggregated"),
    ("athena:StartQueryExecution", f"arn:aws:athena:{EU}:workgroup/primary"),
    ("s3:PutObject", "arn:aws:s3:::lake-b/gold/sample_data_aggregated/f.parquet"),
    ("s3:DeleteObject", "arn:aws:s3:::lake-b/silver/sample_data_partitioned/f.parquet"),
    ("s3:GetObject", "arn:aws:s3:::lake-b/quarantine/other_table/f.parquet"),
    ("glue:BatchCreatePartition", f"arn:aws:glue:{EU}:table/gold_x/sample_data_aggregated_rejects"),
    ("s3:DeleteObject", "arn:aws:s3:::lake-b/silver/sample_data_partitioned/ano=2024/mes=1/_sample.json"),
    ("iam:GetPolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/another-policy"),
    ("logs:GetLogEvents", f"arn:aws:logs:{EU}:log-group:/aws-glue/jobs/job-y/output:log-stream:s"),
    ("iam:SimulatePrincipalPolicy", f"arn:aws:iam::{ACCOUNT}:role/another-role"),
    ("kms:Decrypt", f"arn:aws:kms:{EU}:key/k"),
]


def test_the_operator_may_what_the_cli_calls_on_the_stacks_resources_and_nothing_beside():
    document = operator_policy(OPERATOR_STACK)
    assert [pair for pair in OPERATOR_MAY if not allows(document, *pair)] == []
    assert [pair for pair in OPERATOR_MAY_NOT if allows(document, *pair)] == []


def test_the_operator_uses_the_stacks_key_when_there_is_one():
    key = f"arn:aws:kms:{EU}:key/k"
    document = operator_policy(replace(OPERATOR_STACK, kms_key_arn=key))
    for action in ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"):
        assert allows(document, action, key), action
        assert not allows(document, action, f"arn:aws:kms:{EU}:key/other"), action
    assert not allows(document, "kms:Encrypt", key)
