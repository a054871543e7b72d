"""The operator policy and the verbs' declaration against the AWS calls the CLI really makes.

Every e2e test's CLI subprocesses record their AWS API calls, with the verb that made them
(`tests/api_calls/sitecustomize.py`), and the emulator records the reads Athena made as the
caller for each query; the `aws_stack` fixture maps each call to its IAM action and resource
(`tests/iam_policy.py`) and fails the test when the verb's declaration (`infra.policies.verbs`)
lacks one, or the stack's operator policy, as synth renders it for dev, does not allow one.
These tests check the pieces of that check, and that it can fail.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from tests.aws_emulator import (
    PROJECT_ROOT,
    calls_the_operator_policy_refuses,
    operator_policy_document,
    recorded_calls,
    undeclared_calls,
)
from tests.iam_policy import Stack, UnknownOperation, allows, decision, iam_requests

STACK = Stack(region="us-east-1", account="123456789012", workgroup="wg")


# --- the evaluator -----------------------------------------------------------------------------


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_actions_match_with_wildcards_and_without_case():
    document = policy({"Effect": "Allow", "Action": ["glue:Get*", "S3:listbucket"], "Resource": "*"})
    assert allows(document, "glue:GetPartitions", "arn:aws:glue:us-east-1:1:catalog")
    assert allows(document, "s3:ListBucket", "arn:aws:s3:::b")
    assert not allows(document, "glue:BatchCreatePartition", "arn:aws:glue:us-east-1:1:catalog")


def test_resources_match_with_star_and_question_mark_and_case():
    document = policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::lake/silver/*", "arn:aws:s3:::l?g"]}
    )
    assert allows(document, "s3:GetObject", "arn:aws:s3:::lake/silver/ano=2024/mes=1/part-0.parquet")
    assert allows(document, "s3:GetObject", "arn:aws:s3:::log")
    assert not allows(document, "s3:GetObject", "arn:aws:s3:::lake/gold/x")
    assert not allows(document, "s3:GetObject", "arn:aws:s3:::lake/SILVER/x")  # ARNs are case-sensitive
    assert not allows(document, "s3:GetObject", "arn:aws:s3:::lake")


def test_a_deny_wins_and_a_conditional_allow_is_not_counted():
    allow = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::lake/*"}
    assert not allows(policy(allow, deny), "s3:PutObject", "arn:aws:s3:::lake/k")
    assert allows(policy(allow, deny), "s3:GetObject", "arn:aws:s3:::lake/k")
    conditional = {**allow, "Condition": {"StringEquals": {"s3:prefix": "silver/"}}}
    assert not allows(policy(conditional), "s3:ListBucket", "arn:aws:s3:::lake")


def test_a_condition_counts_when_the_requests_context_meets_it():
    metrics = {
        "Effect": "Allow",
        "Action": "cloudwatch:PutMetricData",
        "Resource": "*",
        "Condition": {"StringEquals": {"cloudwatch:namespace": "Glue"}},
    }
    assert allows(policy(metrics), "cloudwatch:PutMetricData", "*", [("cloudwatch:namespace", "Glue")])
    assert not allows(policy(metrics), "cloudwatch:PutMetricData", "*", [("cloudwatch:namespace", "Other")])
    assert not allows(policy(metrics), "cloudwatch:PutMetricData", "*")
    logs = {
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:*:1:log-group:/aws-glue/*"}},
    }
    context = [("kms:EncryptionContext:aws:logs:arn", "arn:aws:logs:us-east-1:1:log-group:/aws-glue/jobs/x")]
    assert allows(policy(logs), "kms:Decrypt", "k", context)


def test_decisions_are_the_simulators_across_policies():
    allow = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}
    assert decision([policy(allow), policy(deny)], "s3:DeleteObject", "arn:aws:s3:::b/k") == "explicitDeny"
    assert decision([policy(allow), policy(deny)], "s3:GetObject", "arn:aws:s3:::b/k") == "allowed"
    assert decision([policy(deny)], "s3:GetObject", "arn:aws:s3:::b/k") == "implicitDeny"


def test_not_action_is_refused_rather_than_misread():
    with pytest.raises(ValueError, match="NotAction"):
        allows(policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), "s3:GetObject", "*")


# --- calls as IAM sees them --------------------------------------------------------------------


def call(service: str, operation: str, **params) -> dict:
    return {"service": service, "operation": operation, "region": "us-east-1", "params": params}


@pytest.mark.parametrize(
    "recorded, expected",
    [
        (call("s3", "ListObjectsV2", Bucket="lake", Prefix="gold/"), [("s3:ListBucket", "arn:aws:s3:::lake")]),
        (call("s3", "HeadBucket", Bucket="lake"), [("s3:ListBucket", "arn:aws:s3:::lake")]),
        (call("s3", "HeadObject", Bucket="lake", Key="a/b"), [("s3:GetObject", "arn:aws:s3:::lake/a/b")]),
        (call("s3", "UploadPart", Bucket="lake", Key="k"), [("s3:PutObject", "arn:aws:s3:::lake/k")]),
        (call("s3", "CompleteMultipartUpload", Bucket="lake", Key="k"), [("s3:PutObject", "arn:aws:s3:::lake/k")]),
        (
            call("s3", "GetBucketEncryption", Bucket="lake"),
            [("s3:GetEncryptionConfiguration", "arn:aws:s3:::lake")],
        ),
        (
            call("glue", "GetPartitions", DatabaseName="gold_data", TableName="t"),
            [
                ("glue:GetPartitions", "arn:aws:glue:us-east-1:123456789012:catalog"),
                ("glue:GetPartitions", "arn:aws:glue:us-east-1:123456789012:database/gold_data"),
                ("glue:GetPartitions", "arn:aws:glue:us-east-1:123456789012:table/gold_data/t"),
            ],
        ),
        (
            call("glue", "GetJobRuns", JobName="j"),
            [("glue:GetJobRuns", "arn:aws:glue:us-east-1:123456789012:job/j")],
        ),
        (
            call("athena", "GetQueryResults", QueryExecutionId="q"),
            [("athena:GetQueryResults", "arn:aws:athena:us-east-1:123456789012:workgroup/wg")],
        ),
        (
            call("logs", "GetLogEvents", logGroupName="/g", logStreamName="jr_1-driver"),
            [("logs:GetLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:/g:log-stream:jr_1-driver")],
        ),
        (call("logs", "DescribeLogGroups", logGroupNamePrefix="/g"), [("logs:DescribeLogGroups", "*")]),
        (call("sts", "GetCallerIdentity"), []),
        (
            call("iam", "GetPolicyVersion", PolicyArn="arn:aws:iam::123456789012:policy/p"),
            [("iam:GetPolicyVersion", "arn:aws:iam::123456789012:policy/p")],
        ),
        (call("iam", "SimulateCustomPolicy"), [("iam:SimulateCustomPolicy", "*")]),
        (call("cloudwatch", "GetMetricData"), [("cloudwatch:GetMetricData", "*")]),
    ],
)
def test_calls_map_to_their_documented_actions_and_resources(recorded, expected):
    assert iam_requests(recorded, STACK) == expected


def test_a_call_without_a_mapping_fails_by_name():
    with pytest.raises(UnknownOperation, match="no IAM action known for glue:DeleteTable"):
        iam_requests(call("glue", "DeleteTable", DatabaseName="d", Name="t"), STACK)


# --- the check, end to end ---------------------------------------------------------------------


def test_the_check_names_a_call_the_policy_lacks(dev_rendering):
    outputs = dev_rendering["outputs"]
    listing = call("s3", "ListObjectsV2", Bucket=outputs["lakeBucket"], Prefix="gold/")
    assert calls_the_operator_policy_refuses([listing], dev_rendering, outputs) == []

    without_list = copy.deepcopy(dev_rendering)
    (policy_resource,) = [r for r in without_list["resources"] if r["type"] == "aws:iam/policy:Policy"]
    document = operator_policy_document(without_list)
    for statement in document["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != "s3:ListBucket"]
    policy_resource["inputs"]["policy"] = json.dumps(document)

    assert calls_the_operator_policy_refuses([listing], without_list, outputs) == [
        f"s3:ListBucket on arn:aws:s3:::{outputs['lakeBucket']} (s3:ListObjectsV2)"
    ]


def test_a_call_or_an_athena_read_outside_its_verbs_declaration_is_named(dev_rendering):
    outputs = dev_rendering["outputs"]
    bucket = outputs["lakeBucket"]
    report = call("s3", "GetObject", Bucket=bucket, Key="gold/_reports/sample_data_aggregated/latest.json")
    assert undeclared_calls([{**report, "verb": "status"}], [], outputs) == []
    # `logs` reads no run report; `synth` calls no AWS at all.
    assert undeclared_calls([{**report, "verb": "logs"}, {**report, "verb": "synth"}], [], outputs) == [
        f"logs: s3:GetObject on arn:aws:s3:::{bucket}/gold/_reports/sample_data_aggregated/latest.json (s3:GetObject)",
        f"synth: s3:GetObject on arn:aws:s3:::{bucket}/gold/_reports/sample_data_aggregated/latest.json (s3:GetObject)",
    ]
    started = {**call("athena", "StartQueryExecution", WorkGroup=outputs["athenaWorkgroup"]), "query_id": "q1"}
    silver = "arn:aws:glue:us-east-1:123456789012:table/silver_data_dev/sample_data_partitioned"
    read = {"query_id": "q1", "action": "glue:GetTable", "resource": silver, "table": "silver_data_dev.t"}
    assert undeclared_calls([{**started, "verb": "query"}], [read], outputs) == []
    assert undeclared_calls([{**started, "verb": "rejects"}], [read], outputs) == [
        f"rejects: glue:GetTable on {silver} (Athena reading silver_data_dev.t)"
    ]


@pytest.mark.cli
def test_cli_subprocesses_record_their_calls(aws_stack):
    result = subprocess.run(
        [sys.executable, "-m", "automation", "logs", "--outputs-file", str(aws_stack.outputs_file)],
        capture_output=True,
        text=True,
        env=aws_stack.emulator.env(),
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert result.returncode == 1  # no run yet
    operations = [(c["verb"], c["service"], c["operation"]) for c in recorded_calls(aws_stack.emulator)]
    assert operations == [("logs", "sts", "GetCallerIdentity"), ("logs", "glue", "GetJobRuns")]
