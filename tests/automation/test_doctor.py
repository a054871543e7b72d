"""`doctor`: the account against the stack, read-only, run as someone who holds only the stack's
operator policy.

The resources come from moto's server seeded from `synth --stack dev` (`tests.aws_emulator`),
the caller is the emulator's IAM user holding only the operator policy, and IAM's policy
simulator is answered by the emulator from the policies as they are in its IAM (the role's
policy, the operator policy's default version) with the project's evaluator
(`tools.emulator.policy`) -- never from the needs under test. What the emulator cannot produce
(a simulator that refuses, answers in pages) is played by botocore's Stubber, its answers too
computed by the evaluator from the rendered policies. Every expected line is written out.
"""

from __future__ import annotations

import json

import boto3
from botocore.stub import Stubber

from automation.aws.deployed import Stack
from automation.aws.doctor import run_doctor
from automation.aws.doctor_checks import (
    Check,
    DoctorReport,
    check_bucket_encryption,
    check_job,
    check_key,
    check_log_group,
    check_workgroup,
)
from automation.aws.needs import Need, check_simulation, job_role_needs, run_log_groups
from automation.aws.session import AwsClients
from automation.aws.simulator import simulate_principal, simulation_requests
from automation.cli import main
from automation.outputs import StackOutputs
from infra import outputs as out
from tests.aws_emulator import GluePlayer, write_silver_dataset
from tests.iam_policy import decision

ACCOUNT = "123456789012"
GLUE = f"arn:aws:glue:us-east-1:{ACCOUNT}"
OPERATOR = f"arn:aws:iam::{ACCOUNT}:user/operator"
REDEPLOY_POLICY = (
    "the deployed operator policy lacks it: redeploy (`python -m automation deploy --stack NAME`, or "
    "`pulumi up`) to put the stack's policy back"
)


def operator_stack(stack, iam=None) -> Stack:
    """The seeded stack's handle, its clients the operator's (`iam` handed in: a Stubber's)."""
    session = boto3.Session(
        aws_access_key_id=stack.emulator.extra_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=stack.emulator.extra_env["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    clients = AwsClients(session)
    if iam is not None:
        clients.use("iam", iam)
    return Stack(StackOutputs.from_values(stack.outputs, "test"), clients)


def lines(report: DoctorReport) -> dict[str, Check]:
    return {check.name: check for check in report.checks}


def replace_operator_policy(stack, edit) -> None:
    """Someone edits the deployed operator policy in the console: a new default version."""
    iam = stack.emulator.client("iam")
    arn = stack[out.OPERATOR_POLICY_ARN]
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    edit(document)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document), SetAsDefault=True)


def statement(document: dict, sid: str) -> dict:
    (found,) = [s for s in document["Statement"] if s["Sid"] == sid]
    return found


# --- against the emulator ---------------------------------------------------------------------


def test_an_operator_policy_holder_sees_every_check_pass_on_the_stack_as_deployed(as_operator):
    report = run_doctor(operator_stack(as_operator))

    assert report.ok, [c.line() for c in report.failed]
    found = lines(report)
    bucket = as_operator[out.BUCKET]
    assert found["caller"].detail == f"{OPERATOR} in account {ACCOUNT}"
    assert found[f"bucket {bucket} encryption"].line() == f"✓ bucket {bucket} encryption: AES256"
    assert found["table gold_data.sample_data_aggregated_rejects"].detail == (
        f"at s3://{bucket}/quarantine/sample_data_aggregated/, partitioned by run_id"
    )
    assert found["job role may maintain the rejects table's partitions"].detail == "10 actions allowed on 3 resources"
    assert found["job role may HEAD the missing state file"].detail == (
        "s3:GetObject, s3:ListBucket allowed on 2 resources"
    )
    verbs = [c.name for c in report.checks if c.name.startswith("operator policy allows ")]
    expected = ("run", "status", "logs", "runs", "load-silver", "register", "query", "rejects", "doctor", "pipeline")
    assert verbs == [f"operator policy allows {verb}" for verb in expected]
    assert "run metrics" not in found  # no run yet


def test_a_grant_removed_from_the_deployed_operator_policy_is_a_cross_naming_it(as_operator):
    bucket = f"arn:aws:s3:::{as_operator[out.BUCKET]}"
    rejects = f"{GLUE}:table/gold_data/sample_data_aggregated_rejects"
    quarantine = f"{bucket}/quarantine/sample_data_aggregated/*"

    def without_the_rejects_reads(document: dict) -> None:
        catalog = statement(document, "ReadTheCatalog")
        catalog["Resource"] = [r for r in catalog["Resource"] if r != rejects]
        lake = statement(document, "ReadTheLake")
        lake["Resource"] = [r for r in lake["Resource"] if r != quarantine]

    replace_operator_policy(as_operator, without_the_rejects_reads)
    report = run_doctor(operator_stack(as_operator))

    found = lines(report)
    denied = "; ".join(
        [
            f"{action} on {rejects} (implicitDeny)"
            for action in (
                "glue:GetDatabase",
                "glue:GetTable",
                "glue:GetPartition",
                "glue:GetPartitions",
                "glue:BatchGetPartition",
            )
        ]
        + [f"s3:GetObject on {bucket}/quarantine/sample_data_aggregated/doctor-check (implicitDeny)"]
    )
    assert found["operator policy allows rejects"].line() == (
        f"✗ operator policy allows rejects: denied {denied} -- fix: {REDEPLOY_POLICY}"
    )
    assert found["operator policy allows run"].ok and found["operator policy allows load-silver"].ok
    assert [c.name for c in report.failed] == [
        "operator policy allows query",
        "operator policy allows rejects",
        "operator policy allows doctor",
        "operator policy allows pipeline",
    ]
    assert found["operator policy allows doctor"].detail == f"denied glue:GetTable on {rejects} (implicitDeny)"


def test_the_verb_under_the_operator_policy_alone_exits_0_then_1_when_a_grant_is_removed(as_operator, capsys):
    assert main(["doctor", "--outputs-file", str(as_operator.outputs_file)]) == 0
    printed = capsys.readouterr()
    rows = printed.out.splitlines()
    assert rows[0] == f"✓ caller: {OPERATOR} in account {ACCOUNT}"
    assert all(row.startswith("✓ ") for row in rows[:-1]), printed.out
    assert rows[-1] == f"{len(rows) - 1} checks, 0 failed"

    def without_forgetting_the_sample(document: dict) -> None:
        document["Statement"] = [s for s in document["Statement"] if s["Sid"] != "ForgetTheSample"]

    replace_operator_policy(as_operator, without_forgetting_the_sample)
    assert main(["doctor", "--outputs-file", str(as_operator.outputs_file)]) == 1
    printed = capsys.readouterr()
    marker = f"arn:aws:s3:::{as_operator[out.BUCKET]}/silver/sample_data_partitioned/_sample.json"
    crosses = [row for row in printed.out.splitlines() if row.startswith("✗ ")]
    assert crosses == [
        f"✗ operator policy allows {verb}: denied s3:DeleteObject on {marker} (implicitDeny) -- fix: {REDEPLOY_POLICY}"
        for verb in ("load-silver", "pipeline")
    ]
    assert printed.err == (
        f"error: doctor: 2 of {len(rows) - 1} checks failed (operator policy allows load-silver, "
        "operator policy allows pipeline)\n"
    )


def test_a_role_that_may_only_read_golds_partitions_is_a_cross_naming_each_write(as_operator):
    """The job adds and drops gold's partitions: a role reduced to reads fails its runs."""
    iam = as_operator.emulator.client("iam")
    role = as_operator[out.STACK_SETTINGS]["roleName"]
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    statement(document, "MaintainGoldPartitions")["Action"] = [
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:GetPartition",
        "glue:GetPartitions",
        "glue:BatchGetPartition",
    ]
    iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(document))

    found = lines(run_doctor(operator_stack(as_operator)))

    check = found["job role may maintain gold's partitions"]
    writes = ("CreatePartition", "BatchCreatePartition", "UpdatePartition", "DeletePartition", "BatchDeletePartition")
    table = f"{GLUE}:table/gold_data/sample_data_aggregated"
    assert check.detail == "denied " + "; ".join(f"glue:{w} on {table} (implicitDeny)" for w in writes)
    assert found["job role may read the silver table"].ok


def test_after_a_run_the_metrics_chain_is_confirmed(as_operator, tmp_path):
    silver = write_silver_dataset(tmp_path / "silver", {(2024, 1): [{"idade": 30, "ativo": True, "salario": 1.0}]})
    assert main(["load-silver", "--silver-path", str(silver), "--outputs-file", str(as_operator.outputs_file)]) == 0
    with GluePlayer(as_operator) as player:
        assert main(["run", "--outputs-file", str(as_operator.outputs_file)]) == 0
    (run_id,) = player.played

    check = lines(run_doctor(operator_stack(as_operator)))["run metrics"]

    assert check.line() == (
        f"✓ run metrics: run {run_id}: stream in /aws-glue/jobs/job-transform-silver-to-gold/output, "
        "RowsRead in SilverToGold (Stack=dev, Job=job-transform-silver-to-gold)"
    )


def test_a_run_that_logged_where_the_metric_filters_do_not_read_names_the_group_it_wrote(as_operator, tmp_path):
    """moto's GetJobRun names LogGroupName "test/log": a run whose stdout went there, as a run
    of a guessed-wrong prod group would, leaves no stream and no datapoint the stack reads."""
    silver = write_silver_dataset(tmp_path / "silver", {(2024, 1): [{"idade": 30, "ativo": True, "salario": 1.0}]})
    assert main(["load-silver", "--silver-path", str(silver), "--outputs-file", str(as_operator.outputs_file)]) == 0
    with GluePlayer(as_operator, output_group="test/log/output") as player:
        assert main(["run", "--outputs-file", str(as_operator.outputs_file)]) == 0
    (run_id,) = player.played

    check = lines(run_doctor(operator_stack(as_operator)))["run metrics"]

    assert check.line() == (
        f"✗ run metrics: run {run_id} left no stream in /aws-glue/jobs/job-transform-silver-to-gold/output, the "
        "group the metric filters read; it wrote to test/log/output (GetJobRun.LogGroupName) -- fix: make the "
        "stack's job output group test/log/output (the job's log group names are made in infra.names; the "
        "metric filters, the dashboard and `logs` follow) and redeploy"
    )


def test_a_principal_named_is_simulated_beside_the_policy(as_operator):
    report = run_doctor(operator_stack(as_operator), principal_arn=OPERATOR)
    found = lines(report)
    assert found[f"{OPERATOR} may rejects"].ok and found[f"{OPERATOR} may load-silver"].ok
    assert report.ok


def test_resources_changed_or_deleted_behind_the_stacks_back_are_each_a_cross_with_a_fix(as_operator):
    emulator, bucket = as_operator.emulator, as_operator[out.BUCKET]
    glue, logs, s3 = emulator.client("glue"), emulator.client("logs"), emulator.client("s3")
    # Someone edits the job in the console (moto has no UpdateJob: recreated with the edits).
    job = glue.get_job(JobName=as_operator[out.JOB_NAME])["Job"]
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
    glue.delete_crawler(Name=as_operator[out.CRAWLER_NAME])
    emulator.client("sns").delete_topic(TopicArn=as_operator[out.ALERTS_TOPIC_ARN])

    found = lines(run_doctor(operator_stack(as_operator)))

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


def test_a_deleted_job_and_workgroup_are_not_found_with_how_to_recreate_them(as_operator):
    as_operator.emulator.client("glue").delete_job(JobName=as_operator[out.JOB_NAME])
    as_operator.emulator.client("athena").delete_work_group(WorkGroup=as_operator[out.ATHENA_WORKGROUP])
    as_operator.emulator.client("glue").delete_table(DatabaseName="gold_data", Name="sample_data_aggregated")

    found = lines(run_doctor(operator_stack(as_operator)))

    assert found["table silver_data_dev.sample_data_partitioned"].ok
    for name in ("job job-transform-silver-to-gold", "workgroup silver-to-gold-dev"):
        assert (found[name].ok, found[name].detail) == (False, "not found")
        assert found[name].fix == "it was deleted outside Pulumi: `pulumi refresh`, then redeploy to recreate it"
    assert found["table gold_data.sample_data_aggregated"].detail == "not found"


def test_a_disabled_workgroup_is_a_cross(as_operator):
    """moto cannot disable a workgroup (no UpdateWorkGroup): its own answer, with the state AWS
    gives a disabled one (WorkGroup.State, https://docs.aws.amazon.com/athena/latest/APIReference/API_WorkGroup.html)."""
    settings = as_operator[out.STACK_SETTINGS]
    name = as_operator[out.ATHENA_WORKGROUP]
    workgroup = as_operator.emulator.client("athena").get_work_group(WorkGroup=name)["WorkGroup"]
    assert check_workgroup(name, workgroup, settings, "").ok
    disabled = check_workgroup(name, {**workgroup, "State": "DISABLED"}, settings, "")
    assert (disabled.ok, disabled.detail) == (False, "state 'DISABLED' (the stack set 'ENABLED')")


# --- what the emulator cannot play: the simulator's pages and refusals (Stubber) ----------------


def iam_stub() -> tuple[object, Stubber]:
    client = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1").client("iam")
    return client, Stubber(client)


def rendered_policy(rendering: dict, type_token: str) -> dict:
    (policy,) = [r for r in rendering["resources"] if r["type"] == type_token]
    return json.loads(policy["inputs"]["policy"])


def answer_in_pages(stubber: Stubber, operation: str, requests: list[dict], documents: list[dict]) -> None:
    """Queue the simulator's answers, decided by the evaluator over `documents`, each request's
    results split in two pages (the second asked for with the first's Marker)."""
    for request in requests:
        resource = request["ResourceArns"][0]
        context = {e["ContextKeyName"]: e["ContextKeyValues"][0] for e in request.get("ContextEntries", [])}
        results = [
            {
                "EvalActionName": action,
                "EvalResourceName": resource,
                "EvalDecision": decision(documents, action, resource, context),
            }
            for action in request["ActionNames"]
        ]
        half = max(1, len(results) // 2)
        if len(results) > 1:
            first = {"EvaluationResults": results[:half], "IsTruncated": True, "Marker": "page-2"}
            stubber.add_response(operation, first, request)
            stubber.add_response(
                operation, {"EvaluationResults": results[half:], "IsTruncated": False}, {**request, "Marker": "page-2"}
            )
        else:
            stubber.add_response(operation, {"EvaluationResults": results, "IsTruncated": False}, request)


def test_a_denial_on_the_simulators_second_page_is_seen(as_operator, dev_rendering):
    outputs = StackOutputs.from_values(as_operator.outputs, "test")
    role = rendered_policy(dev_rendering, "aws:iam/rolePolicy:RolePolicy")
    # The role loses DeletePartition on gold: the last action asked about that table, on page 2.
    gold = statement(role, "MaintainGoldPartitions")
    gold["Action"] = [a for a in gold["Action"] if a != "glue:BatchDeletePartition"]
    client, stubber = iam_stub()
    needs = job_role_needs(outputs, run_log_groups(None, outputs)[0])
    arn = as_operator[out.STACK_SETTINGS]["roleArn"]
    answer_in_pages(stubber, "simulate_principal_policy", simulation_requests(needs, PolicySourceArn=arn), [role])
    with stubber:
        checks = simulate_principal(operator_stack(as_operator, client).clients, "job role", arn, needs, "fix")

    table = f"{GLUE}:table/gold_data/sample_data_aggregated"
    assert [c.line() for c in checks if not c.ok] == [
        f"✗ job role may maintain gold's partitions: denied glue:BatchDeletePartition on {table} (implicitDeny) "
        "-- fix: fix"
    ]
    stubber.assert_no_pending_responses()  # every page was asked for


def test_a_simulator_that_refuses_is_one_cross_with_what_to_allow(as_operator):
    client, stubber = iam_stub()
    arn = as_operator[out.OPERATOR_POLICY_ARN]
    stubber.add_client_error("simulate_principal_policy", "AccessDenied", "not authorized to perform: iam:Simulate")
    stubber.add_client_error("get_policy", "AccessDenied", f"not authorized to perform: iam:GetPolicy on {arn}")
    with stubber:
        report = run_doctor(operator_stack(as_operator, client))
    assert [c.line() for c in report.failed] == [
        "✗ job role's permissions: the policy simulator refused "
        f"{as_operator[out.STACK_SETTINGS]['roleArn']}: AccessDenied: not authorized to perform: iam:Simulate -- fix: "
        f"allow iam:SimulatePrincipalPolicy on {as_operator[out.STACK_SETTINGS]['roleArn']} (the operator policy "
        "allows it on the stack's role)",
        f"✗ operator policy: AWS refused GetPolicy: AccessDenied: not authorized to perform: iam:GetPolicy on {arn} "
        f"-- fix: allow iam:GetPolicy and iam:GetPolicyVersion on {arn} (the operator policy allows them)",
    ]


# --- the verb's failures ------------------------------------------------------------------------


def test_the_verb_json_reports_a_cross_and_exits_1(as_operator, capsys):
    as_operator.emulator.client("s3").put_bucket_versioning(
        Bucket=as_operator[out.BUCKET], VersioningConfiguration={"Status": "Suspended"}
    )
    code = main(["doctor", "--outputs-file", str(as_operator.outputs_file), "--json"])
    printed = capsys.readouterr()
    assert code == 1
    document = json.loads(printed.out.strip().splitlines()[-1])
    assert document["ok"] is False and document["failed"] == 1
    (failed,) = [c for c in document["checks"] if not c["ok"]]
    assert failed["check"] == f"bucket {as_operator[out.BUCKET]} versioning"
    assert printed.err == (
        f"error: doctor: 1 of {len(document['checks'])} checks failed (bucket {as_operator[out.BUCKET]} versioning)\n"
    )


def test_an_outputs_file_from_before_stack_settings_asks_for_a_redeploy(aws_stack, tmp_path, capsys):
    old = aws_stack.write_outputs(tmp_path / "old.json", drop=(out.STACK_SETTINGS,))
    assert main(["doctor", "--outputs-file", str(old)]) == 1
    assert "lack 'stackSettings': redeploy the stack" in capsys.readouterr().err


# --- pure judgements ---------------------------------------------------------------------------


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
    assert simulation_requests(needs, PolicyInputList=["{}"]) == [
        {
            "PolicyInputList": ["{}"],
            "ActionNames": ["s3:GetObject", "s3:PutObject"],
            "ResourceArns": ["arn:aws:s3:::b/k"],
        },
        {
            "PolicyInputList": ["{}"],
            "ActionNames": ["cloudwatch:PutMetricData"],
            "ResourceArns": ["*"],
            "ContextEntries": [
                {"ContextKeyName": "cloudwatch:namespace", "ContextKeyValues": ["Glue"], "ContextKeyType": "string"}
            ],
        },
    ]
