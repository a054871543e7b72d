"""The emulator's statements of what AWS does, each against values written out here: which
tables a statement names (sqlglot, Athena's dialect), the reads Athena makes for them as the
caller, the refusal Athena reports, the metric filters' patterns, and the simulator's answer to
a query-protocol request. The end-to-end behaviour is in tests/e2e/test_operator_access.py."""

from __future__ import annotations

import json
import urllib.parse
from xml.etree import ElementTree

import pytest

from tools.emulator.iam import access_key_of, answer_simulator, caller_of
from tools.emulator.metric_filters import matches
from tools.emulator.on_behalf import Read, named_tables, reads_of, refusal, repaired_table

GLUE = "arn:aws:glue:us-east-1:123456789012"


@pytest.mark.parametrize(
    "sql, tables",
    [
        ("SELECT * FROM gold_data.sample_data_aggregated LIMIT 10", [("gold_data", "sample_data_aggregated")]),
        ('SELECT count(*) FROM "gold_data"."t_rejects" WHERE run_id = \'jr_1\'', [("gold_data", "t_rejects")]),
        ("SELECT a FROM t JOIN other.u ON t.k = u.k", [("ctx", "t"), ("other", "u")]),
        ("WITH c AS (SELECT * FROM gold_data.t) SELECT * FROM c", [("gold_data", "t")]),
        (
            "SELECT r, count(*) FROM gold_data.t CROSS JOIN UNNEST(reject_reasons) AS x(r) GROUP BY r",
            [("gold_data", "t")],
        ),
        ("SELECT 1", []),
    ],
)
def test_a_select_names_its_tables_in_athenas_dialect(sql, tables):
    assert named_tables(sql, "ctx") == tables


def test_msck_repair_names_its_table():
    assert repaired_table("MSCK REPAIR TABLE gold_data.sample_data_aggregated", None) == (
        "gold_data",
        "sample_data_aggregated",
    )
    assert repaired_table("msck repair table t;", "ctx") == ("ctx", "t")
    assert repaired_table("SELECT 1", "ctx") is None


def test_athena_reads_a_partitioned_tables_catalog_entries_and_every_data_object(aws_stack):
    s3, bucket = aws_stack.emulator.client("s3"), aws_stack["lakeBucket"]
    glue = aws_stack.emulator.client("glue")
    descriptor = glue.get_table(DatabaseName="gold_data", Name="sample_data_aggregated")["Table"]["StorageDescriptor"]
    location = f"s3://{bucket}/gold/sample_data_aggregated/ano=2024/mes=1/"
    glue.batch_create_partition(
        DatabaseName="gold_data",
        TableName="sample_data_aggregated",
        PartitionInputList=[{"Values": ["2024", "1"], "StorageDescriptor": {**descriptor, "Location": location}}],
    )
    for key in ("part-0.parquet", "_SUCCESS", ".hidden"):
        s3.put_object(Bucket=bucket, Key=f"gold/sample_data_aggregated/ano=2024/mes=1/{key}", Body=b"x")

    reads = reads_of(
        aws_stack.emulator, "SELECT * FROM sample_data_aggregated", "gold_data", "us-east-1", "123456789012"
    )

    table = f"{GLUE}:table/gold_data/sample_data_aggregated"
    ancestors = [f"{GLUE}:catalog", f"{GLUE}:database/gold_data"]
    assert [(r.action, r.resource) for r in reads] == [
        *[("glue:GetDatabase", arn) for arn in ancestors],
        *[("glue:GetTable", arn) for arn in [*ancestors, table]],
        *[("glue:GetPartitions", arn) for arn in [*ancestors, table]],
        ("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
        ("s3:GetObject", f"arn:aws:s3:::{bucket}/gold/sample_data_aggregated/ano=2024/mes=1/part-0.parquet"),
    ]
    assert {r.table for r in reads} == {"gold_data.sample_data_aggregated"}


def test_athenas_refusals_name_the_caller_the_action_and_the_resource():
    reads = [Read("glue:GetTable", f"{GLUE}:table/g/t", "g.t"), Read("s3:GetObject", "arn:aws:s3:::lake/q/f", "g.t")]
    user = "arn:aws:iam::123456789012:user/ana"
    assert refusal(user, reads, lambda action, resource: "allowed") is None
    assert refusal(
        user, reads, lambda action, resource: "implicitDeny" if action == "glue:GetTable" else "allowed"
    ) == (
        f"Insufficient permissions to execute the query. User: {user} is not authorized to perform: glue:GetTable "
        f"on resource: {GLUE}:table/g/t because no identity-based policy allows the glue:GetTable action "
        "(Service: AWSGlue; Status Code: 400; Error Code: AccessDeniedException)"
    )
    assert refusal(
        user, reads, lambda action, resource: "allowed" if action == "glue:GetTable" else "explicitDeny"
    ) == (
        "com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; Status Code: 403; "
        "Error Code: AccessDenied) (Path: s3://lake/q/f)"
    )


PATTERN = '{ ($.event = "silver-to-gold.run") && ($.stack = "dev") && ($.rows_read = *) }'


@pytest.mark.parametrize(
    "message, matched",
    [
        ('{"event": "silver-to-gold.run", "stack": "dev", "rows_read": 3}', True),
        ('{"event": "silver-to-gold.run", "stack": "prod", "rows_read": 3}', False),
        ('{"event": "silver-to-gold.run", "stack": "dev"}', False),
        ("reading silver_data.t", False),
        ('["silver-to-gold.run"]', False),
    ],
)
def test_a_metric_filter_matches_a_line_meeting_every_condition(message, matched):
    assert (matches(PATTERN, message) is not None) is matched


def test_a_pattern_of_another_form_matches_nothing():
    assert matches("[ip, user, ...]", '{"event": "silver-to-gold.run"}') is None


def test_the_access_key_is_read_from_the_signature():
    header = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/athena/aws4_request, SignedHeaders=host"
    assert access_key_of(header) == "AKIAEXAMPLE"
    assert access_key_of("") == ""


def test_the_caller_is_the_iam_user_owning_the_key_and_nobody_for_the_emulators_own(aws_stack):
    def signed(key: str) -> str:
        return f"AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/athena/aws4_request"

    operator = caller_of(aws_stack.emulator, signed(aws_stack.emulator.extra_env["AWS_ACCESS_KEY_ID"]))
    assert operator is not None and operator.arn == "arn:aws:iam::123456789012:user/operator"
    assert [p["Statement"][0]["Sid"] for p in operator.policies] == ["RunAndFollowTheJob"]
    assert caller_of(aws_stack.emulator, signed("testing")) is None  # too short to be a key: an administrator
    assert caller_of(aws_stack.emulator, signed("AKIAUNKNOWN000000000")) is None


def test_the_simulator_answers_every_action_on_every_resource_from_the_policies_given():
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lake/*"},
            {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lake/secret"},
            {
                "Effect": "Allow",
                "Action": "cloudwatch:PutMetricData",
                "Resource": "*",
                "Condition": {"StringEquals": {"cloudwatch:namespace": "Glue"}},
            },
        ],
    }
    form = urllib.parse.parse_qs(
        urllib.parse.urlencode(
            {
                "Action": "SimulateCustomPolicy",
                "PolicyInputList.member.1": json.dumps(policy),
                "ActionNames.member.1": "s3:GetObject",
                "ActionNames.member.2": "s3:PutObject",
                "ResourceArns.member.1": "arn:aws:s3:::lake/a",
                "ResourceArns.member.2": "arn:aws:s3:::lake/secret",
            }
        )
    )
    answer = ElementTree.fromstring(answer_simulator(None, form))
    ns = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/"}
    results = [
        (m.findtext("iam:EvalActionName", namespaces=ns), m.findtext("iam:EvalResourceName", namespaces=ns))
        + (m.findtext("iam:EvalDecision", namespaces=ns),)
        for m in answer.iterfind(".//iam:EvaluationResults/iam:member", ns)
    ]
    assert results == [
        ("s3:GetObject", "arn:aws:s3:::lake/a", "allowed"),
        ("s3:PutObject", "arn:aws:s3:::lake/a", "implicitDeny"),
        ("s3:GetObject", "arn:aws:s3:::lake/secret", "explicitDeny"),
        ("s3:PutObject", "arn:aws:s3:::lake/secret", "implicitDeny"),
    ]
    metric = {
        "Action": ["SimulateCustomPolicy"],
        "PolicyInputList.member.1": [json.dumps(policy)],
        "ActionNames.member.1": ["cloudwatch:PutMetricData"],
        "ResourceArns.member.1": ["*"],
        "ContextEntries.member.1.ContextKeyName": ["cloudwatch:namespace"],
        "ContextEntries.member.1.ContextKeyValues.member.1": ["Glue"],
    }
    assert "<EvalDecision>allowed</EvalDecision>" in answer_simulator(None, metric)
    metric["ContextEntries.member.1.ContextKeyValues.member.1"] = ["SilverToGold"]
    assert "<EvalDecision>implicitDeny</EvalDecision>" in answer_simulator(None, metric)
