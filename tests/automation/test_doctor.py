"""`doctor`: the account against the stack, read-only.

The resources come from moto's server seeded from `synth --stack dev` (`tests.aws_emulator`):
what exists reads ✓, and a resource deleted or changed behind the stack's back reads ✗ with a
fix. moto has no IAM policy simulator, so `iam:SimulatePrincipalPolicy` is played by botocore's
Stubber with the answers AWS documents (`EvaluationResult.EvalDecision`: allowed, explicitDeny,
implicitDeny, https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html).
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from automation.aws.deployed import Stack
from automation.aws.doctor import run_doctor, simulation_requests
from automation.aws.doctor_checks import (
    Check,
    DoctorReport,
    check_bucket_encryption,
    check_job,
    check_key,
    check_log_group,
)
from automation.aws.needs import (
    Need,
    caller_principal,
    check_simulation,
    job_role_needs,
    operator_needs,
    run_log_groups,
)
from automation.aws.session import AwsClients
from automation.cli import main
from automation.outputs import StackOutputs
from infra import outputs as out

CALLER = "arn:aws:iam::123456789012:user/ana"
SERVICES = ("s3", "glue", "logs", "athena", "sns", "sts")


def iam_stub() -> tuple[object, Stubber]:
    client = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1").client("iam")
    return client, Stubber(client)


def answer_simulator(stubber: Stubber, principal: str, needs: list[Need], denied: dict | None = None) -> None:
    """Queue the simulator's answers for `needs`, in the order doctor asks: allowed unless `denied`
    names the (action, resource) with its decision."""
    denied = denied or {}
    for request in simulation_requests(principal, needs):
        resource = request["ResourceArns"][0]
        results = [
            {
                "EvalActionName": action,
                "EvalResourceName": resource,
                "EvalDecision": denied.get((action, resource), "allowed"),
            }
            for action in request["ActionNames"]
        ]
        stubber.add_response("simulate_principal_policy", {"EvaluationResults": results, "IsTruncated": False}, request)


def doctor_stack(stack, stubber_client) -> Stack:
    """The seeded stack, its clients the emulator's but IAM's (`stubber_client`)."""
    clients = AwsClients(
        boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    )
    for service in SERVICES:
        clients.use(service, stack.emulator.client(service))
    clients.use("iam", stubber_client)
    return Stack(StackOutputs.from_values(stack.outputs, "test"), clients)


def run(stack, denied_role: dict | None = None, denied_caller: dict | None = None) -> DoctorReport:
    outputs = StackOutputs.from_values(stack.outputs, "test")
    client, stubber = iam_stub()
    role = stack[out.STACK_SETTINGS]["roleArn"]
    groups, _ = run_log_groups(_newest_run(stack), outputs)
    answer_simulator(stubber, role, job_role_needs(outputs, groups), denied_role)
    answer_simulator(stubber, CALLER, operator_needs(outputs), denied_caller)
    with stubber:
        report = run_doctor(doctor_stack(stack, client), CALLER)
        stubber.assert_no_pending_responses()
    return report


def _newest_run(stack):
    glue = stack.emulator.client("glue")
    try:
        runs = glue.get_job_runs(JobName=stack[out.JOB_NAME]).get("JobRuns", [])
    except glue.exceptions.EntityNotFoundException:
        return None
    return runs[0] if runs else None


def lines(report: DoctorReport) -> dict[str, Check]:
    return {check.name: check for check in report.checks}


# --- against the emulator ---------------------------------------------------------------------


def test_a_stack_as_deployed_is_all_checks_passed(aws_stack):
    report = run(aws_stack)

    assert report.ok, [c.line() for c in report.failed]
    found = lines(report)
    bucket = aws_stack[out.BUCKET]
    assert found["caller"].detail == "arn:aws:sts::123456789012:user/moto in account 123456789012"
    assert found["region"].detail == "us-east-1"
    assert found[f"bucket {bucket} encryption"].line() == f"✓ bucket {bucket} encryption: AES256"
    assert found[f"bucket {bucket} versioning"].detail == "Enabled"
    job = found["job job-transform-silver-to-gold"]
    arguments = len(aws_stack[out.STACK_SETTINGS]["job"]["defaultArguments"])
    assert (
        job.detail == f"Glue 5.0, G.1X x 2 STANDARD, timeout 30 min, {arguments} arguments and the script as deployed"
    )
    assert found["job script"].detail.startswith(f"s3://{bucket}/artifacts/etl/job-")
    assert found["log group /aws-glue/jobs/job-transform-silver-to-gold/error"].detail == "14 days, no key"
    assert found["crawler crawler-gold-data"].ok
    assert found["workgroup silver-to-gold-dev"].detail.startswith(
        f"enforced; results s3://{bucket}/athena-results/ SSE_S3; cutoff 1,073,741,824 bytes"
    )
    assert found["alerts topic silver-to-gold-dev-alerts"].ok
    assert found["table gold_data.sample_data_aggregated"].detail == (
        f"at s3://{bucket}/gold/sample_data_aggregated/, partitioned by ano, mes"
    )
    assert found["saved repair query"].detail == (
        "gold-register-partitions: MSCK REPAIR TABLE gold_data.sample_data_aggregated"
    )
    assert found["job role may HEAD the missing state file"].detail == (
        "s3:GetObject, s3:ListBucket allowed on 2 resources"
    )
    assert found["caller may check the stack (doctor)"].ok
    assert all(check.line().startswith("✓ ") for check in report.checks)


def test_resources_changed_or_deleted_behind_the_stacks_back_are_each_a_cross_with_a_fix(aws_stack):
    emulator, bucket = aws_stack.emulator, aws_stack[out.BUCKET]
    glue, logs, s3 = emulator.client("glue"), emulator.client("logs"), emulator.client("s3")
    # Someone edits the job in the console (moto has no UpdateJob: recreated with the edits).
    job = glue.get_job(JobName=aws_stack[out.JOB_NAME])["Job"]
    glue.delete_job(JobName=job["Name"])
    glue.create_job(
        Name=job["Name"],
        Role=job["Role"],
        Command=job["Command"],
        DefaultArguments={**job["DefaultArguments"], "--mode": "full"},
        GlueVersion=job["GlueVersion"],
        WorkerType="G.2X",
        NumberOfWorkers=10,
        Timeout=job["Timeout"],
        MaxRetries=job["MaxRetries"],
        SecurityConfiguration=job["SecurityConfiguration"],
        ExecutionClass=job["ExecutionClass"],
    )
    logs.delete_log_group(logGroupName="/aws-glue/jobs/job-transform-silver-to-gold/output")
    logs.delete_retention_policy(logGroupName="/aws-glue/jobs/job-transform-silver-to-gold/error")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_bucket_encryption(Bucket=bucket)
    glue.delete_crawler(Name=aws_stack[out.CRAWLER_NAME])
    emulator.client("sns").delete_topic(TopicArn=aws_stack[out.ALERTS_TOPIC_ARN])

    found = lines(run(aws_stack))

    assert found["job job-transform-silver-to-gold"].line() == (
        "✗ job job-transform-silver-to-gold: WorkerType 'G.2X' (the stack set 'G.1X'); NumberOfWorkers 10 "
        "(the stack set 2); argument --mode 'full' (the stack set 'incremental') -- fix: redeploy to put the "
        "stack's settings back (`python -m automation deploy --stack NAME`, or `pulumi up`)"
    )
    output_group = found["log group /aws-glue/jobs/job-transform-silver-to-gold/output"]
    assert (output_group.ok, output_group.detail) == (False, "not found")
    assert output_group.fix.startswith("it was deleted outside Pulumi: `pulumi refresh`, then redeploy")
    error_group = found["log group /aws-glue/jobs/job-transform-silver-to-gold/error"]
    assert error_group.detail == "retention never expire (the stack set 14 days)"
    assert found[f"bucket {bucket} versioning"].detail == "Suspended (the stack set Enabled)"
    assert found[f"bucket {bucket} encryption"].detail == "no default encryption configured"
    assert found["crawler crawler-gold-data"].detail == "not found"
    assert found["alerts topic silver-to-gold-dev-alerts"].detail == "not found"
    assert found["workgroup silver-to-gold-dev"].ok  # what was not touched still passes


def test_a_deleted_job_and_workgroup_are_not_found_with_how_to_recreate_them(aws_stack):
    aws_stack.emulator.client("glue").delete_job(JobName=aws_stack[out.JOB_NAME])
    aws_stack.emulator.client("athena").delete_work_group(WorkGroup=aws_stack[out.ATHENA_WORKGROUP])
    aws_stack.emulator.client("glue").delete_table(DatabaseName="gold_data", Name="sample_data_aggregated")

    found = lines(run(aws_stack))

    assert found["table silver_data_dev.sample_data_partitioned"].ok
    for name in ("job job-transform-silver-to-gold", "workgroup silver-to-gold-dev"):
        assert (found[name].ok, found[name].detail) == (False, "not found")
        assert found[name].fix == "it was deleted outside Pulumi: `pulumi refresh`, then redeploy to recreate it"
    assert found["table gold_data.sample_data_aggregated"].detail == "not found"


def test_simulator_denials_name_the_action_and_the_resource(aws_stack):
    bucket = f"arn:aws:s3:::{aws_stack[out.BUCKET]}"
    workgroup = "arn:aws:athena:us-east-1:123456789012:workgroup/silver-to-gold-dev"

    report = run(
        aws_stack,
        denied_role={("s3:ListBucket", bucket): "implicitDeny"},
        denied_caller={("athena:GetWorkGroup", workgroup): "explicitDeny"},
    )

    found = lines(report)
    assert (
        found["job role may HEAD the missing state file"]
        .line()
        .startswith(
            f"✗ job role may HEAD the missing state file: denied s3:ListBucket on {bucket} (implicitDeny) -- fix: "
            "the role's policy lacks it: redeploy to restore it"
        )
    )
    assert found["caller may check the stack (doctor)"].line() == (
        f"✗ caller may check the stack (doctor): denied athena:GetWorkGroup on {workgroup} (explicitDeny) -- fix: "
        "attach the stack's operator policy (output operatorPolicyArn) to the role or user running doctor"
    )
    assert found["job role may read silver"].ok
    assert [c.name for c in report.failed] == [
        "job role may HEAD the missing state file",
        "caller may check the stack (doctor)",
    ]


def test_a_simulator_that_refuses_the_caller_is_one_cross_with_what_to_allow(aws_stack):
    outputs = StackOutputs.from_values(aws_stack.outputs, "test")
    client, stubber = iam_stub()
    role = aws_stack[out.STACK_SETTINGS]["roleArn"]
    answer_simulator(stubber, role, job_role_needs(outputs, run_log_groups(None, outputs)[0]))
    stubber.add_client_error(
        "simulate_principal_policy", "AccessDenied", "not authorized to perform: iam:SimulatePrincipalPolicy"
    )
    with stubber:
        report = run_doctor(doctor_stack(aws_stack, client), CALLER)
    assert report.failed[0].line() == (
        f"✗ caller's permissions: the policy simulator refused {CALLER}: AccessDenied: not authorized to perform: "
        f"iam:SimulatePrincipalPolicy -- fix: allow iam:SimulatePrincipalPolicy on {CALLER} (the operator policy "
        "allows it on the stack's role)"
    )


def test_the_job_role_is_simulated_on_the_log_groups_its_newest_run_names(aws_stack):
    outputs = StackOutputs.from_values(aws_stack.outputs, "test")
    groups, source = run_log_groups({"Id": "jr_2", "LogGroupName": "/aws-glue/jobs-r-sc/"}, outputs)
    assert (groups, source) == (["/aws-glue/jobs-r-sc/output", "/aws-glue/jobs-r-sc/error"], "GetJobRun jr_2")
    streams = {n.resource for n in job_role_needs(outputs, groups) if n.action == "logs:PutLogEvents"}
    assert streams == {
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws-glue/jobs-r-sc/output:log-stream:jr_doctor-driver",
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws-glue/jobs-r-sc/error:log-stream:jr_doctor-driver",
    }
    assert run_log_groups(None, outputs)[0] == [outputs.job_output_log_group, outputs.job_error_log_group]


# --- the verb ----------------------------------------------------------------------------------


@pytest.fixture
def doctor_verb(aws_stack, monkeypatch):
    """`python -m automation doctor` in process, its AWS calls to the emulator, the simulator stubbed."""
    from automation.cli import doctor as verb

    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_stack.emulator.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client, stubber = iam_stub()
    real_open_stack = verb.open_stack

    def open_stack(args, *needed):
        stack = real_open_stack(args, *needed)
        stack.clients.use("iam", client)
        return stack

    monkeypatch.setattr(verb, "open_stack", open_stack)
    return stubber


def test_the_verb_prints_one_line_per_check_and_exits_0(aws_stack, doctor_verb, capsys):
    outputs = StackOutputs.from_values(aws_stack.outputs, "test")
    role = aws_stack[out.STACK_SETTINGS]["roleArn"]
    answer_simulator(doctor_verb, role, job_role_needs(outputs, run_log_groups(None, outputs)[0]))
    answer_simulator(doctor_verb, CALLER, operator_needs(outputs))
    with doctor_verb:
        code = main(["doctor", "--outputs-file", str(aws_stack.outputs_file), "--principal-arn", CALLER])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    rows = printed.out.splitlines()
    assert rows[0] == "✓ caller: arn:aws:sts::123456789012:user/moto in account 123456789012"
    assert all(row.startswith("✓ ") for row in rows[:-1])
    assert rows[-1] == f"{len(rows) - 1} checks, 0 failed"


def test_the_verb_exits_1_on_any_cross_and_json_reports_it(aws_stack, doctor_verb, capsys):
    aws_stack.emulator.client("s3").put_bucket_versioning(
        Bucket=aws_stack[out.BUCKET], VersioningConfiguration={"Status": "Suspended"}
    )
    outputs = StackOutputs.from_values(aws_stack.outputs, "test")
    role = aws_stack[out.STACK_SETTINGS]["roleArn"]
    answer_simulator(doctor_verb, role, job_role_needs(outputs, run_log_groups(None, outputs)[0]))
    answer_simulator(doctor_verb, CALLER, operator_needs(outputs))
    with doctor_verb:
        code = main(["doctor", "--outputs-file", str(aws_stack.outputs_file), "--principal-arn", CALLER, "--json"])
    printed = capsys.readouterr()
    assert code == 1
    document = json.loads(printed.out.strip().splitlines()[-1])
    assert document["ok"] is False and document["failed"] == 1
    (failed,) = [c for c in document["checks"] if not c["ok"]]
    assert failed["check"] == f"bucket {aws_stack[out.BUCKET]} versioning"
    assert printed.err == (
        f"error: doctor: 1 of {len(document['checks'])} checks failed (bucket {aws_stack[out.BUCKET]} versioning)\n"
    )


def test_an_outputs_file_from_before_stack_settings_asks_for_a_redeploy(aws_stack, tmp_path, capsys):
    old = aws_stack.write_outputs(tmp_path / "old.json", drop=(out.STACK_SETTINGS,))
    assert main(["doctor", "--outputs-file", str(old)]) == 1
    assert "lack 'stackSettings': redeploy the stack" in capsys.readouterr().err


# --- pure judgements ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arn, principal",
    [
        ("arn:aws:iam::123456789012:user/ana", "arn:aws:iam::123456789012:user/ana"),
        ("arn:aws:sts::123456789012:assumed-role/ci-deployer/run-42", "arn:aws:iam::123456789012:role/ci-deployer"),
        ("arn:aws-cn:sts::123456789012:assumed-role/ops/x", "arn:aws-cn:iam::123456789012:role/ops"),
        ("arn:aws:iam::123456789012:root", None),
        ("arn:aws:sts::123456789012:federated-user/bob", None),
    ],
)
def test_the_caller_is_simulated_as_its_user_or_role(arn, principal):
    assert caller_principal(arn) == principal


def test_encryption_with_another_key_or_algorithm_is_a_cross():
    kms = "arn:aws:kms:us-east-1:1:key/a"
    rules = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms}}]
    assert check_bucket_encryption("b", rules, kms).ok
    assert check_bucket_encryption("b", rules, "").detail == f"aws:kms with key {kms} (the stack set AES256)"
    other = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k2"}}]
    assert (
        check_bucket_encryption("b", other, kms).detail == f"aws:kms with key k2 (the stack set aws:kms with key {kms})"
    )


def test_a_key_pending_deletion_or_disabled_is_a_cross(aws_emulator):
    kms = aws_emulator.client("kms")
    key = kms.create_key(Description="lake")["KeyMetadata"]["Arn"]
    assert (
        check_key(key, kms.describe_key(KeyId=key)["KeyMetadata"]).line() == f"✓ key {key}: Enabled, customer managed"
    )
    kms.disable_key(KeyId=key.rsplit("/", 1)[-1])  # moto's DisableKey takes the id, not the ARN
    disabled = check_key(key, kms.describe_key(KeyId=key)["KeyMetadata"])
    assert (disabled.ok, disabled.detail) == (False, "Disabled (the stack needs it Enabled)")
    assert disabled.fix.startswith("enable it (aws kms enable-key)")
    pending = check_key(key, {"KeyState": "PendingDeletion"})  # moto cannot schedule a deletion
    assert pending.detail == "PendingDeletion (the stack needs it Enabled)"
    assert check_key(key, None).detail == "not found"


def test_a_log_group_with_another_key_is_a_cross():
    group = {"logGroupName": "g", "retentionInDays": 14, "kmsKeyId": "k-old"}
    assert check_log_group("g", group, 14, "k-new").detail == "key k-old (the stack set k-new)"
    assert check_log_group("g", {**group, "kmsKeyId": "k-new"}, 14, "k-new").ok


def test_a_job_argument_added_behind_the_stacks_back_is_named():
    settings = {
        "roleArn": "r",
        "job": {
            "glueVersion": "5.0",
            "workerType": "G.1X",
            "numberOfWorkers": 2,
            "executionClass": "STANDARD",
            "timeout": 30,
            "maxRetries": 0,
            "securityConfiguration": "sc",
            "scriptLocation": "s3://b/job.py",
            "defaultArguments": {"--mode": "incremental"},
        },
    }
    job = {
        "Role": "r",
        "GlueVersion": "5.0",
        "WorkerType": "G.1X",
        "NumberOfWorkers": 2,
        "Timeout": 30,
        "MaxRetries": 0,
        "SecurityConfiguration": "sc",
        "Command": {"ScriptLocation": "s3://b/job.py"},
        "DefaultArguments": {"--mode": "incremental", "--conf": "spark.x=1"},
    }
    assert check_job("j", job, settings).detail == "argument --conf not set by the stack"
    assert check_job("j", None, settings).detail == "not found"


def test_a_need_the_simulator_did_not_evaluate_is_a_denial():
    needs = [Need("read", "s3:GetObject", "arn:aws:s3:::b/k")]
    (check,) = check_simulation("job role", needs, {}, "fix it")
    assert check.line() == "✗ job role may read: denied s3:GetObject on arn:aws:s3:::b/k (not evaluated) -- fix: fix it"


def test_simulation_requests_ask_about_one_resource_each_with_its_context():
    needs = [
        Need("a", "s3:GetObject", "arn:aws:s3:::b/k"),
        Need("a", "s3:PutObject", "arn:aws:s3:::b/k"),
        Need("m", "cloudwatch:PutMetricData", "*", (("cloudwatch:namespace", "Glue"),)),
    ]
    assert simulation_requests("arn:aws:iam::1:role/r", needs) == [
        {
            "PolicySourceArn": "arn:aws:iam::1:role/r",
            "ActionNames": ["s3:GetObject", "s3:PutObject"],
            "ResourceArns": ["arn:aws:s3:::b/k"],
        },
        {
            "PolicySourceArn": "arn:aws:iam::1:role/r",
            "ActionNames": ["cloudwatch:PutMetricData"],
            "ResourceArns": ["*"],
            "ContextEntries": [
                {"ContextKeyName": "cloudwatch:namespace", "ContextKeyValues": ["Glue"], "ContextKeyType": "string"}
            ],
        },
    ]
