"""`doctor`'s edges that mutation testing found unguarded (issue 25): a lake bucket gone, refused
or not the stack's own; the job script by its exact key; a saved query and a key the account
lacks; every read AWS refuses; a stack with a KMS key; the run's own log stream; a metrics query
CloudWatch accepts and an answer without its lists. Each line is written out.

The stack is the emulator's dev stack, run as the operator (the fixtures and helpers of
`test_doctor.py`); what the emulator cannot produce (a refusal, an unknown saved query, an answer
without lists) is botocore's Stubber on that one service's client. The simulator's answers are
the emulator's, from the policies in its IAM, never from the needs under test.
"""

from __future__ import annotations

import json
import re

import boto3
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from automation.aws.deployed import Stack
from automation.aws.doctor import run_doctor
from automation.cli import main
from automation.outputs import StackOutputs
from infra import outputs as out
from tests.automation.test_doctor import OPERATOR, lines, operator_stack, replace_operator_policy
from tests.aws_emulator import GluePlayer, write_silver_dataset

ATTACH = "attach the stack's operator policy (output operatorPolicyArn) to the role or user running doctor"
REDEPLOY = "redeploy to put the stack's settings back (`python -m automation deploy --stack NAME`, or `pulumi up`)"
RECREATE = "it was deleted outside Pulumi: `pulumi refresh`, then redeploy to recreate it"


def stack_with(seeded, **changed) -> Stack:
    """The seeded stack's handle as the operator, its outputs changed (a stack deployed otherwise)."""
    clients = operator_stack(seeded).clients
    return Stack(StackOutputs.from_values({**seeded.outputs, **changed}, "test"), clients)


def stubbed(service: str) -> tuple[object, Stubber]:
    client = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1").client(service)
    return client, Stubber(client)


def test_a_lake_bucket_that_is_gone_is_one_cross_and_its_settings_are_not_asked(as_operator):
    gone = "silver-to-gold-dev-gone"
    found = lines(run_doctor(stack_with(as_operator, lakeBucket=gone)))

    assert found[f"bucket {gone}"].line() == (
        f"✗ bucket {gone}: not found -- fix: the lake bucket is gone: restore it from backups"
    )
    assert f"bucket {gone} encryption" not in found and f"bucket {gone} versioning" not in found


def test_a_lake_bucket_the_stack_does_not_manage_is_a_tick_whatever_its_settings(as_operator):
    """An existing bucket handed to the stack: its owner's encryption and versioning are not judged."""
    bucket = as_operator[out.BUCKET]
    as_operator.emulator.client("s3").delete_bucket_encryption(Bucket=bucket)
    settings = {**as_operator[out.STACK_SETTINGS], "bucketManaged": False}

    report = run_doctor(stack_with(as_operator, stackSettings=settings))

    found = lines(report)
    assert found[f"bucket {bucket}"].line() == (
        f"✓ bucket {bucket}: exists (an existing bucket: its owner sets encryption and versioning)"
    )
    assert not [name for name in found if name.startswith(f"bucket {bucket} ")]
    assert report.ok, [c.line() for c in report.failed]


def test_a_refused_head_bucket_names_the_call_and_the_policy_to_attach(as_operator):
    bucket = as_operator[out.BUCKET]
    script = as_operator[out.STACK_SETTINGS]["job"]["scriptLocation"]
    script_key = script.removeprefix(f"s3://{bucket}/")
    client, stubber = stubbed("s3")
    stubber.add_client_error("head_bucket", "403", "Forbidden", http_status_code=403)
    stubber.add_response("list_objects_v2", {"Contents": [{"Key": script_key, "Size": 2048}]})
    stack = operator_stack(as_operator)
    stack.clients.use("s3", client)

    with stubber:
        found = lines(run_doctor(stack))

    assert (
        found[f"bucket {bucket}"].line()
        == f"✗ bucket {bucket}: AWS refused HeadBucket: 403: Forbidden -- fix: {ATTACH}"
    )
    assert f"bucket {bucket} encryption" not in found
    assert found["job script"].line() == f"✓ job script: {script} (2,048 bytes)"
    stubber.assert_no_pending_responses()


def test_the_job_script_is_found_by_its_exact_key_not_a_copy_beside_it(as_operator):
    bucket = as_operator[out.BUCKET]
    script = as_operator[out.STACK_SETTINGS]["job"]["scriptLocation"]
    key = script.removeprefix(f"s3://{bucket}/")
    s3 = as_operator.emulator.client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=b"#" * 1234)
    assert (
        lines(run_doctor(operator_stack(as_operator)))["job script"].line() == f"✓ job script: {script} (1,234 bytes)"
    )

    missing = f"✗ job script: {script} not found -- fix: {RECREATE} (the job cannot start without it)"
    s3.delete_object(Bucket=bucket, Key=key)
    assert lines(run_doctor(operator_stack(as_operator)))["job script"].line() == missing

    s3.put_object(Bucket=bucket, Key=f"{key}.bak", Body=b"#" * 99)
    assert lines(run_doctor(operator_stack(as_operator)))["job script"].line() == missing


def test_refused_glue_reads_are_a_cross_each_and_the_role_is_asked_about_the_stacks_log_groups(as_operator):
    """A caller without the operator policy's Glue reads: every Glue resource a ✗ naming the call,
    the rest of the report still made; with GetJobRuns refused too, no run is known, so the job
    role is asked about the log groups the stack's outputs name."""
    refused = "User: arn:aws:iam::123456789012:user/someone is not authorized"
    client, stubber = stubbed("glue")
    for operation in ("get_job", "get_table", "get_table", "get_table", "get_crawler", "get_job_runs"):
        stubber.add_client_error(operation, "AccessDeniedException", refused, http_status_code=400)
    stack = operator_stack(as_operator)
    stack.clients.use("glue", client)

    with stubber:
        report = run_doctor(stack)

    assert [c.line() for c in report.failed] == [
        f"✗ {name}: AWS refused {call}: AccessDeniedException: {refused} -- fix: {ATTACH}"
        for name, call in (
            ("job job-transform-silver-to-gold", "GetJob"),
            ("table silver_data_dev.sample_data_partitioned", "GetTable"),
            ("table gold_data.sample_data_aggregated", "GetTable"),
            ("table gold_data.sample_data_aggregated_rejects", "GetTable"),
            ("crawler crawler-gold-data", "GetCrawler"),
        )
    ]
    found = lines(report)
    assert json.loads(json.dumps(found["crawler crawler-gold-data"].to_dict())) == {
        "check": "crawler crawler-gold-data",
        "ok": False,
        "detail": f"AWS refused GetCrawler: AccessDeniedException: {refused}",
        "fix": ATTACH,
    }
    assert found["job role may write its logs (groups from the stack's outputs: no run yet)"].ok
    assert "run metrics" not in found
    stubber.assert_no_pending_responses()


def test_refused_athena_and_sns_reads_are_a_cross_each(as_operator):
    refused = "User: arn:aws:iam::123456789012:user/someone is not authorized"
    athena, athena_stub = stubbed("athena")
    athena_stub.add_client_error("get_work_group", "AccessDeniedException", refused, http_status_code=400)
    athena_stub.add_client_error("get_named_query", "AccessDeniedException", refused, http_status_code=400)
    athena_stub.add_client_error("get_named_query", "AccessDeniedException", refused, http_status_code=400)
    sns, sns_stub = stubbed("sns")
    sns_stub.add_client_error("get_topic_attributes", "AuthorizationError", refused, http_status_code=403)
    stack = operator_stack(as_operator)
    stack.clients.use("athena", athena)
    stack.clients.use("sns", sns)

    with athena_stub, sns_stub:
        report = run_doctor(stack)

    assert [c.line() for c in report.failed] == [
        f"✗ workgroup silver-to-gold-dev: AWS refused GetWorkGroup: AccessDeniedException: {refused} -- fix: {ATTACH}",
        f"✗ saved preview query: AWS refused GetNamedQuery: AccessDeniedException: {refused} -- fix: {ATTACH}",
        f"✗ saved repair query: AWS refused GetNamedQuery: AccessDeniedException: {refused} -- fix: {ATTACH}",
        f"✗ alerts topic: AWS refused GetTopicAttributes: AuthorizationError: {refused} -- fix: {ATTACH}",
    ]


def test_refused_s3_and_logs_reads_are_a_cross_each(as_operator):
    """HeadBucket allowed, the bucket's settings, the script's listing and the log groups refused."""
    bucket = as_operator[out.BUCKET]
    s3, s3_stub = stubbed("s3")
    s3_stub.add_response("head_bucket", {})
    for operation in ("get_bucket_encryption", "get_bucket_versioning", "list_objects_v2"):
        s3_stub.add_client_error(operation, "AccessDenied", "Access Denied", http_status_code=403)
    logs, logs_stub = stubbed("logs")
    for _ in range(2):
        logs_stub.add_client_error("describe_log_groups", "AccessDeniedException", "no")
    stack = operator_stack(as_operator)
    stack.clients.use("s3", s3)
    stack.clients.use("logs", logs)

    with s3_stub, logs_stub:
        report = run_doctor(stack)

    group = "/aws-glue/jobs/job-transform-silver-to-gold"
    assert [c.line() for c in report.failed] == [
        f"✗ bucket {bucket} encryption: AWS refused GetBucketEncryption: AccessDenied: Access Denied -- fix: {ATTACH}",
        f"✗ bucket {bucket} versioning: AWS refused GetBucketVersioning: AccessDenied: Access Denied -- fix: {ATTACH}",
        f"✗ job script: AWS refused ListObjectsV2: AccessDenied: Access Denied -- fix: {ATTACH}",
    ] + [
        f"✗ log group {group}/{kind}: AWS refused DescribeLogGroups: AccessDeniedException: no -- fix: {ATTACH}"
        for kind in ("error", "output")  # the stack's order (stackSettings.logGroups)
    ]


def test_a_principal_named_that_lacks_a_grant_is_told_to_attach_the_operator_policy(as_operator):
    def without_forgetting_the_sample(document: dict) -> None:
        document["Statement"] = [s for s in document["Statement"] if s["Sid"] != "ForgetTheSample"]

    replace_operator_policy(as_operator, without_forgetting_the_sample)
    found = lines(run_doctor(operator_stack(as_operator), principal_arn=OPERATOR))

    marker = f"arn:aws:s3:::{as_operator[out.BUCKET]}/silver/sample_data_partitioned/_sample.json"
    assert found[f"{OPERATOR} may load-silver"].line() == (
        f"✗ {OPERATOR} may load-silver: denied s3:DeleteObject on {marker} (implicitDeny) -- fix: {ATTACH}"
    )


def test_a_saved_query_the_account_does_not_hold_is_not_found(as_operator):
    """Athena answers an unknown NamedQueryId with InvalidRequestException; moto's server fails
    on one (and has no DeleteNamedQuery), so Athena's answers are the emulator's, replayed, and
    that one played."""
    emulator = as_operator.emulator.client("athena")
    workgroup = emulator.get_work_group(WorkGroup=as_operator[out.ATHENA_WORKGROUP])
    repair = emulator.get_named_query(NamedQueryId=as_operator[out.REPAIR_QUERY_ID])
    for answer in (workgroup, repair):
        answer.pop("ResponseMetadata")
    athena, stubber = stubbed("athena")
    stubber.add_response("get_work_group", workgroup)
    stubber.add_client_error("get_named_query", "InvalidRequestException", "NamedQuery not found")
    stubber.add_response("get_named_query", repair)
    stack = operator_stack(as_operator)
    stack.clients.use("athena", athena)

    with stubber:
        report = run_doctor(stack)

    assert [c.line() for c in report.failed] == [f"✗ saved preview query: not found -- fix: {RECREATE}"]
    assert lines(report)["saved repair query"].ok


def test_a_stack_with_a_key_has_every_resource_and_the_job_role_judged_by_it(as_operator):
    """The key set on the bucket, the output group and the topic, not on the error group or the
    workgroup (moto has no AssociateKmsKey, no UpdateWorkGroup); the role's policy, rendered
    without a key, does not let the job use it."""
    emulator, bucket = as_operator.emulator, as_operator[out.BUCKET]
    key = emulator.client("kms").create_key(Description="lake")["KeyMetadata"]["Arn"]
    by_key = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
    emulator.client("s3").put_bucket_encryption(
        Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": by_key}]}
    )
    logs, output = emulator.client("logs"), "/aws-glue/jobs/job-transform-silver-to-gold/output"
    error = "/aws-glue/jobs/job-transform-silver-to-gold/error"
    logs.delete_log_group(logGroupName=output)
    logs.create_log_group(logGroupName=output, kmsKeyId=key)
    logs.put_retention_policy(logGroupName=output, retentionInDays=14)
    emulator.client("sns").set_topic_attributes(
        TopicArn=as_operator[out.ALERTS_TOPIC_ARN], AttributeName="KmsMasterKeyId", AttributeValue=key
    )

    found = lines(run_doctor(stack_with(as_operator, kmsKeyArn=key)))

    assert [
        found[name].line()
        for name in (
            f"bucket {bucket} encryption",
            f"log group {output}",
            f"log group {error}",
            "workgroup silver-to-gold-dev",
            "alerts topic silver-to-gold-dev-alerts",
            f"key {key}",
            "job role may use the stack's key",
        )
    ] == [
        f"✓ bucket {bucket} encryption: aws:kms with key {key}",
        f"✓ log group {output}: 14 days, key {key}",
        f"✗ log group {error}: key none (the stack set {key}) -- fix: {REDEPLOY}",
        f"✗ workgroup silver-to-gold-dev: kmsKey None (the stack set {key!r}) -- fix: {REDEPLOY}",
        f"✓ alerts topic silver-to-gold-dev-alerts: key {key}",
        f"✓ key {key}: Enabled, customer managed",
        f"✗ job role may use the stack's key: denied kms:Decrypt on {key} (implicitDeny); kms:GenerateDataKey on {key} "
        "(implicitDeny) -- fix: the role's policy lacks it: redeploy to restore it; if the stack's policy has it, a "
        "permissions boundary or an SCP denies it",
    ]


def test_a_key_the_account_no_longer_holds_is_not_found(as_operator):
    gone = "arn:aws:kms:us-east-1:123456789012:key/0000aaaa-00aa-00aa-00aa-000000aaaaaa"
    found = lines(run_doctor(stack_with(as_operator, kmsKeyArn=gone)))
    assert found[f"key {gone}"].line() == (
        f"✗ key {gone}: not found -- fix: the key the stack encrypts with is gone: restore it or redeploy"
    )


def test_a_refused_describe_key_names_the_call(as_operator):
    key = "arn:aws:kms:us-east-1:123456789012:key/0000aaaa-00aa-00aa-00aa-000000aaaaaa"
    kms, stubber = stubbed("kms")
    stubber.add_client_error("describe_key", "AccessDeniedException", "not authorized", http_status_code=400)
    stack = stack_with(as_operator, kmsKeyArn=key)
    stack.clients.use("kms", kms)

    with stubber:
        found = lines(run_doctor(stack))

    assert found[f"key {key}"].line() == (
        f"✗ key {key}: AWS refused DescribeKey: AccessDeniedException: not authorized -- fix: {ATTACH}"
    )


def test_a_stack_without_a_key_has_no_key_line(as_operator):
    found = lines(run_doctor(operator_stack(as_operator)))
    assert not [name for name in found if name.startswith("key ")]


def test_the_newest_runs_stream_is_looked_for_not_an_earlier_runs(as_operator, tmp_path):
    """The run logged elsewhere (moto's GetJobRun names LogGroupName "test/log"); an earlier run's
    stream in the group the metric filters read does not stand for it. A refused GetMetricData is
    a ✗ naming the call."""
    silver = write_silver_dataset(tmp_path / "silver", {(2024, 1): [{"idade": 30, "ativo": True, "salario": 1.0}]})
    outputs_file = str(as_operator.outputs_file)
    assert main(["load-silver", "--silver-path", str(silver), "--outputs-file", outputs_file]) == 0
    group = "/aws-glue/jobs/job-transform-silver-to-gold/output"
    as_operator.emulator.client("logs").create_log_stream(logGroupName=group, logStreamName="jr_earlier-driver")
    with GluePlayer(as_operator, output_group="test/log/output") as player:
        assert main(["run", "--outputs-file", outputs_file]) == 0
    (run_id,) = player.played

    report = run_doctor(operator_stack(as_operator))

    found = lines(report)
    assert found["run metrics"].line() == (
        f"✗ run metrics: run {run_id} left no stream in {group}, the group the metric filters read; it wrote to "
        "test/log/output (GetJobRun.LogGroupName) -- fix: make the stack's job output group test/log/output (the "
        "job's log group names are made in infra.names; the metric filters, the dashboard and `logs` follow) and "
        "redeploy"
    )
    # The job role is asked about the groups the run named, which its policy does not grant.
    streams = [
        f"arn:aws:logs:us-east-1:123456789012:log-group:test/log/{g}:log-stream:jr_doctor-driver"
        for g in ("output", "error")
    ]
    denied = "; ".join(
        f"{action} on {stream} (implicitDeny)"
        for stream in streams
        for action in ("logs:CreateLogStream", "logs:PutLogEvents")
    )
    assert found[f"job role may write its logs (groups from GetJobRun {run_id})"].detail == f"denied {denied}"

    cloudwatch, stubber = stubbed("cloudwatch")
    stubber.add_client_error("get_metric_data", "AccessDenied", "not authorized", http_status_code=403)
    stack = operator_stack(as_operator)
    stack.clients.use("cloudwatch", cloudwatch)
    with stubber:
        found = lines(run_doctor(stack))
    assert found["run metrics"].line() == (
        f"✗ run metrics: AWS refused GetMetricData: AccessDenied: not authorized -- fix: {ATTACH}"
    )


def as_cloudwatch_validates(params: dict, **_: object) -> None:
    """CloudWatch's rules for a GetMetricData query that moto does not check: an Id whose first
    character is a lowercase letter (MetricDataQuery, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html)
    and, for a metric of regular resolution such as the filters publish, a period that is a
    multiple of 60 (MetricStat, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html)."""
    for query in params["MetricDataQueries"]:
        period = query.get("MetricStat", {}).get("Period", 60)
        if not re.fullmatch(r"[a-z][a-zA-Z0-9_]*", query["Id"]) or period % 60:
            error = {"Code": "ValidationError", "Message": f"invalid query {query['Id']!r} (period {period})"}
            raise ClientError({"Error": error}, "GetMetricData")


def test_the_metrics_query_is_one_cloudwatch_accepts_and_its_answer_may_leave_out_lists(as_operator, tmp_path):
    silver = write_silver_dataset(tmp_path / "silver", {(2024, 1): [{"idade": 30, "ativo": True, "salario": 1.0}]})
    outputs_file = str(as_operator.outputs_file)
    assert main(["load-silver", "--silver-path", str(silver), "--outputs-file", outputs_file]) == 0
    with GluePlayer(as_operator) as player:
        assert main(["run", "--outputs-file", outputs_file]) == 0
    (run_id,) = player.played
    stack = operator_stack(as_operator)
    stack.clients.client("cloudwatch").meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData", as_cloudwatch_validates
    )

    check = lines(run_doctor(stack))["run metrics"]

    assert check.line() == (
        f"✓ run metrics: run {run_id}: stream in /aws-glue/jobs/job-transform-silver-to-gold/output, "
        "RowsRead in SilverToGold (Stack=dev, Job=job-transform-silver-to-gold)"
    )

    # No member of GetMetricData's answer is required (botocore's model of CloudWatch, which
    # speaks smithy-rpc-v2-cbor): an answer without the lists is no datapoint, not a failure.
    group = "/aws-glue/jobs/job-transform-silver-to-gold/output"
    no_datapoint = (
        f"✗ run metrics: run {run_id}'s stream is in {group}, but SilverToGold has no RowsRead datapoint for "
        "Stack=dev, Job=job-transform-silver-to-gold -- fix: the metric filters did not match the run's metrics "
        f"line: compare its last stdout line with a filter's pattern (aws logs describe-metric-filters "
        f"--log-group-name {group}; aws logs test-metric-filter)"
    )
    for answer in ({"MetricDataResults": [{"Id": "run", "StatusCode": "Complete"}]}, {}):
        cloudwatch, stubber = stubbed("cloudwatch")
        stubber.add_response("get_metric_data", answer)
        stack.clients.use("cloudwatch", cloudwatch)
        with stubber:
            assert lines(run_doctor(stack))["run metrics"].line() == no_datapoint


def test_a_workgroup_athena_says_is_not_found_is_not_found(as_operator):
    """Athena answers GetWorkGroup for a workgroup it does not hold with InvalidRequestException,
    "WorkGroup is not found." (seen on AWS: https://github.com/uber/athenadriver/pull/70); moto
    answers with `WorkGroup` null instead, so the Stubber plays Athena. Another
    InvalidRequestException is a refusal, named."""
    workgroup = as_operator[out.ATHENA_WORKGROUP]
    emulator = as_operator.emulator.client("athena")
    queries = [
        emulator.get_named_query(NamedQueryId=as_operator[o]) for o in (out.PREVIEW_QUERY_ID, out.REPAIR_QUERY_ID)
    ]
    for answer in queries:
        answer.pop("ResponseMetadata")
    for message, expected in (
        (f"WorkGroup {workgroup} is not found.", f"✗ workgroup {workgroup}: not found -- fix: {RECREATE}"),
        (
            "Rate of requests is too high",
            f"✗ workgroup {workgroup}: AWS refused GetWorkGroup: InvalidRequestException: Rate of requests is too "
            f"high -- fix: {ATTACH}",
        ),
    ):
        athena, stubber = stubbed("athena")
        stubber.add_client_error("get_work_group", "InvalidRequestException", message)
        for answer in queries:
            stubber.add_response("get_named_query", answer)
        stack = operator_stack(as_operator)
        stack.clients.use("athena", athena)

        with stubber:
            report = run_doctor(stack)

        assert [c.line() for c in report.failed] == [expected]
