"""`doctor`'s edges that mutation testing found unguarded (issue 25): a lake bucket gone, refused
or not the stack's own, the job script missing beside a look-alike, saved queries and a key that
are gone, reads AWS refuses, each line written out.

The stack is the emulator's dev stack, run as the operator (the fixtures and helpers of
`test_doctor.py`); what the emulator cannot produce (a refused read) is botocore's Stubber on one
service's client. The simulator's answers are the emulator's, from the policies in its IAM.
"""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from automation.aws.deployed import Stack
from automation.aws.doctor import run_doctor
from automation.outputs import StackOutputs
from infra import outputs as out
from tests.automation import test_doctor
from tests.automation.test_doctor import lines, operator_stack

# The emulator's dev stack, its CLI environment the operator's: test_doctor's fixture, shared.
as_operator = test_doctor.as_operator

ATTACH = "attach the stack's operator policy (output operatorPolicyArn) to the role or user running doctor"
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

    s3.put_object(Bucket=bucket, Key=f"{key}.bak", Body=b"#" * 99)
    s3.delete_object(Bucket=bucket, Key=key)
    check = lines(run_doctor(operator_stack(as_operator)))["job script"]

    assert check.line() == f"✗ job script: {script} not found -- fix: {RECREATE} (the job cannot start without it)"
