"""`Stack.connect` and what a stack's resource AWS does not find reads as, against the emulator:
a session in another region than the stack's (`AWS_REGION` left set from other work) is told
which region the stack is in.

Edges mutation testing found unguarded (docs/testing.md): `not_deployed`'s other-region sentence
was only reached by the CLI's subprocess tests, which mutmut does not run.
"""

from __future__ import annotations

import pytest

from automation.aws.deployed import Stack
from automation.aws.job_runs import latest_job_run
from automation.aws.session import AwsError
from automation.outputs import StackOutputs
from infra import outputs as out


def test_a_job_looked_for_in_another_region_than_the_stacks_names_both(as_operator, monkeypatch):
    """The emulator holds the dev stack in us-east-1; AWS_REGION points the session elsewhere,
    where Glue answers GetJobRuns with EntityNotFoundException
    (https://docs.aws.amazon.com/glue/latest/webapi/API_GetJobRuns.html)."""
    assert as_operator[out.REGION] == "us-east-1"
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    stack = Stack.connect(StackOutputs.from_values(as_operator.outputs, "outputs.json"), out.JOB_NAME)

    with pytest.raises(AwsError) as raised:
        latest_job_run(stack)

    assert str(raised.value) == (
        "the Glue job 'job-transform-silver-to-gold' does not exist in region eu-west-1, and the stack is in "
        "us-east-1 (its region output): region eu-west-1 has no such stack; unset AWS_REGION or set it to us-east-1"
    )


def test_the_same_stack_in_its_own_region_is_found(as_operator):
    stack = Stack.connect(StackOutputs.from_values(as_operator.outputs, "outputs.json"), out.JOB_NAME)

    with pytest.raises(AwsError) as raised:  # the job is there, it never ran
        latest_job_run(stack)

    assert str(raised.value) == "job job-transform-silver-to-gold has no runs yet: start one with `run`"
