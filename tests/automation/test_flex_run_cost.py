"""The cost `run` and `status` show for a FLEX or auto-scaled Glue run: the DPU-seconds Glue
reports for it, not workers x time.

GetJobRun reports `DPUSeconds` for runs with FLEX execution class or auto scaling, "the total time
each executor ran during the lifecycle of a job run in seconds, multiplied by a DPU factor"
(JobRun, https://docs.aws.amazon.com/glue/latest/webapi/API_JobRun.html). Glue's answer comes
from botocore's Stubber, which checks it against Glue's service model.
"""

from __future__ import annotations

from botocore.stub import Stubber

from automation.aws.deployed import Stack
from automation.aws.job_runs import describe_job_run
from infra import outputs as out
from tests.stubs import stubbed_stack

JOB = "job-transform-silver-to-gold"


def stack_and_s3() -> tuple[Stack, Stubber]:
    values = {
        out.JOB_NAME: JOB,
        out.REPORTS_URI: "s3://lake/gold/_reports/sample_data_aggregated/",
        out.PRICE_PER_DPU_HOUR: 0.29,
    }
    stack, (s3,) = stubbed_stack(values, "s3")
    return stack, s3


def test_a_flex_run_costs_the_dpu_seconds_glue_reports():
    """10 G.1X workers for 600 s would be 6000 DPU-s; executors released early ran 1800 DPU-s."""
    stack, s3 = stack_and_s3()
    run = {
        "Id": "jr_1",
        "JobName": JOB,
        "JobRunState": "SUCCEEDED",
        "ExecutionClass": "FLEX",
        "WorkerType": "G.1X",
        "NumberOfWorkers": 10,
        "ExecutionTime": 600,
        "DPUSeconds": 1800.0,
    }
    s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)

    with s3:
        outcome = describe_job_run(stack, run)

    cost = outcome.cost
    assert (cost.dpu_seconds, cost.from_dpu_seconds) == (1800.0, True)
    assert cost.usd == 0.145  # 1800 / 3600 DPU-hours x $0.29


def test_a_retried_flex_run_adds_each_attempts_own_dpu_seconds():
    stack, s3 = stack_and_s3()
    flex = {"JobName": JOB, "ExecutionClass": "FLEX", "WorkerType": "G.2X", "NumberOfWorkers": 5}
    first = {**flex, "Id": "jr_1", "JobRunState": "FAILED", "ExecutionTime": 300, "DPUSeconds": 900.0}
    second = {**flex, "Id": "jr_2", "JobRunState": "SUCCEEDED", "ExecutionTime": 400, "DPUSeconds": 2700.0}
    second["PreviousRunId"] = "jr_1"
    s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)

    with s3:
        outcome = describe_job_run(stack, second, [first], max_attempts=2)

    # 900 + 2700, where workers x time would be 10 DPU x (300 + 400) s = 7000
    assert (outcome.cost.dpu_seconds, outcome.cost.attempts) == (3600.0, 2)
    assert outcome.cost.usd == 0.29
