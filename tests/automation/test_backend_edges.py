"""`pipeline --skip-deploy` on a deployed stack (`automation.aws.backend.AwsBackend`), in process:
the edges mutmut found no fast-tier test reaching (issue 25, docs/testing.md; the e2e pipeline
tests in `tests/e2e/test_aws_cli.py` start the CLI as a subprocess, out of mutmut's reach).

On the emulator (moto) as the operator, with a local silver dataset (no Spark) and `GluePlayer`
playing the job. Expected figures are worked out by hand: moto reports every run with
ExecutionTime 123 s on the job's G.1X x 2 workers, so 2 DPU x 123 s = 246 DPU-s, 246 / 3600 x
$0.44 = $0.030067; every query scans 0 bytes, a SELECT is billed the 10 MB minimum (10_485_760 /
2**40 x $5 = $0.00004768), MSCK REPAIR TABLE (DDL) nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from automation.aws.athena import QueryFailed
from automation.aws.backend import AwsBackend, AwsOptions
from automation.aws.deployed import Stack
from automation.aws.job_runs import JobAlreadyRunning
from automation.aws.session import AwsError, WaitTimeout
from automation.cli import main
from automation.lake import silver_files
from automation.outputs import StackOutputs
from etl.errors import PipelineError
from etl.sample import SampleSpec
from infra import outputs as out
from tests.automation.test_doctor import operator_stack
from tests.automation.test_run_attempts import long_run
from tests.aws_emulator import GluePlayer, write_silver_dataset
from tests.stubs import STUB_OUTPUTS, FakeClock, stubbed_clients, stubbed_stack

# Three silver rows in two months; the second breaks a quality rule (idade is null).
SILVER = {
    (2024, 1): [
        {"idade": 30, "ativo": True, "salario": 1000.0, "nome": "a"},
        {"idade": None, "ativo": True, "salario": 1.0, "nome": "b"},
    ],
    (2024, 2): [{"idade": 40, "ativo": False, "salario": 2000.0, "nome": "c"}],
}


def pipeline(seeded, *args: str) -> list[str]:
    return ["pipeline", "--skip-deploy", *args, "--outputs-file", str(seeded.outputs_file), "--json"]


def test_a_pipeline_registering_by_msck_counts_all_three_queries_and_its_run_in_the_cost(as_operator, tmp_path, capsys):
    silver = write_silver_dataset(tmp_path / "silver", SILVER)
    with GluePlayer(as_operator) as player:
        assert main(pipeline(as_operator, "--silver-path", str(silver), "--method", "msck")) == 0
    printed = capsys.readouterr()
    report = json.loads(printed.out.strip().splitlines()[-1])
    (run_id,) = player.played

    assert report["cost"] == {
        "glue_run_id": run_id,
        "glue_state": "SUCCEEDED",
        "glue_execution_seconds": 123,
        "glue_worker_type": "G.1X",
        "glue_workers": 2,
        "glue_dpu_seconds": 246,
        "glue_usd": 0.030067,
        "athena_queries": 3,  # the repair, the preview, the rejects by reason
        "athena_data_scanned_bytes": 0,
        "athena_billed_bytes": 2 * 10_485_760,
        "athena_usd": 0.00009536,
        "total_usd": 0.030162,  # 0.030067 + 0.00009536, to 6 digits
    }
    assert report["links"] == {
        "job": as_operator[out.JOB_CONSOLE_URL],
        "athena": "https://us-east-1.console.aws.amazon.com/athena/home?region=us-east-1#/query-editor",
    }
    assert report["gold_partitions"] == ["ano=2024/mes=1", "ano=2024/mes=2"]
    assert report["files_per_partition"] == {"ano=2024/mes=1": 1, "ano=2024/mes=2": 1}
    assert report["preview"] == [
        {"ano": 2024, "ativo": True, "idade": 30, "mes": 1, "salario_medio": 1000.0},
        {"ano": 2024, "ativo": False, "idade": 40, "mes": 2, "salario_medio": 2000.0},
    ]
    # Each query says where it started: the repair, the preview and the rejects' question.
    started = [line for line in printed.err.splitlines() if " started in workgroup silver-to-gold-dev" in line]
    assert len(started) == 3
    assert f"  started job run {run_id}" in printed.err.splitlines()
    assert "✓ load silver" in printed.err
    assert "2 of 2 files uploaded (0 already there), 2 of 2 partitions added to the silver table" in printed.err


def test_a_pipeline_over_silver_already_registered_says_how_many_partitions_it_found(as_operator, tmp_path, capsys):
    silver = write_silver_dataset(tmp_path / "silver", SILVER)
    assert main(["load-silver", "--silver-path", str(silver), "--outputs-file", str(as_operator.outputs_file)]) == 0
    capsys.readouterr()
    with GluePlayer(as_operator):
        assert main(pipeline(as_operator)) == 0

    step = [line for line in capsys.readouterr().err.splitlines() if line.startswith("✓ load silver")]
    assert len(step) == 1
    assert step[0].endswith(
        f"2 partitions already in {as_operator[out.SILVER_DATABASE]}.{as_operator[out.SILVER_TABLE]}"
    )


def test_a_pipeline_interrupted_says_whether_a_job_run_goes_on(as_operator):
    backend = AwsBackend(AwsOptions(), operator_stack(as_operator))
    assert backend.interrupt_note() == "no job run was started"

    backend.started_run_id = "jr_1"
    assert backend.interrupt_note() == ("job run jr_1 goes on in Glue: follow it with `status --run-id jr_1 --wait`")


def test_a_link_the_stack_has_no_url_for_is_left_out():
    athena = "https://us-east-1.console.aws.amazon.com/athena/home?region=us-east-1#/query-editor"
    stack, _ = stubbed_stack({**STUB_OUTPUTS, out.JOB_CONSOLE_URL: "", out.ATHENA_CONSOLE_URL: athena})

    assert AwsBackend(AwsOptions(), stack).links() == {"athena": athena}


# -- start: what the first step's line says ---------------------------------------------------
def stubbed_caller(account: str = "123456789012"):
    """A stack of `STUB_OUTPUTS` (read from `outputs.json`) whose STS answers as `account`."""
    clients, (sts,) = stubbed_clients("sts")
    stack = Stack(StackOutputs.from_values(STUB_OUTPUTS, "outputs.json"), clients)
    caller = {"Account": account, "Arn": f"arn:aws:iam::{account}:user/operator", "UserId": "AIDAOPERATOR"}
    sts.add_response("get_caller_identity", caller)
    return stack, sts


def test_the_start_line_names_the_account_the_region_and_that_the_verb_deployed():
    stack, sts = stubbed_caller()
    with sts:
        line = AwsBackend(AwsOptions(deployed=True), stack).start()
    assert line == "account 123456789012, region us-east-1; deployed"


def test_the_start_line_of_skip_deploy_names_where_the_outputs_came_from():
    stack, sts = stubbed_caller()
    with sts:
        line = AwsBackend(AwsOptions(deployed=False), stack).start()
    assert line == "account 123456789012, region us-east-1; outputs from outputs.json"


# -- load silver: a silver table with nothing in it ---------------------------------------------
def test_a_pipeline_over_an_empty_silver_table_says_to_load_silver(as_operator):
    backend = AwsBackend(AwsOptions(), operator_stack(as_operator))
    with pytest.raises(PipelineError) as failure:
        backend.load_silver()
    assert str(failure.value) == (
        "the silver table silver_data_dev.sample_data_partitioned has no partitions: add --load-silver "
        "(or run `load-silver`) so the job has something to read"
    )


# -- load silver: a generated sample ---------------------------------------------------------------
def test_load_silver_generates_the_sample_asked_for_with_the_maker_handed_in(as_operator, tmp_path):
    """`pipeline --load-silver --sample-rows 3 --sample-months 2`: the backend hands the
    sample's size to the generator it was given, and says what it uploaded as it goes."""
    asked = []

    def make_sample(spec: SampleSpec, scratch: Path, progress) -> list:
        asked.append(spec)
        return silver_files(write_silver_dataset(scratch, SILVER))

    lines: list[str] = []
    options = AwsOptions(load_silver=True, sample=SampleSpec(rows=3, months=2))
    backend = AwsBackend(options, operator_stack(as_operator), lines.append, make_sample=make_sample)

    described = backend.load_silver()

    assert asked == [SampleSpec(rows=3, months=2)]
    assert described == (
        "sample of 3 rows over 2 months: 2 of 2 files uploaded (0 already there), "
        "2 of 2 partitions added to the silver table"
    )
    uploading = [line for line in lines if line.startswith("uploading 2 of 2 files (")]
    assert len(uploading) == 1
    assert uploading[0].endswith(f"to {as_operator[out.SILVER_URI]}; 0 already there")


# -- run job: what is asked of Glue, how long it is waited for, what is left behind ---------------
JOB = STUB_OUTPUTS[out.JOB_NAME]
RUN_JR_1 = {"JobName": JOB, "RunId": "jr_1"}


def stub_start(glue, request: dict, job_timeout_minutes: int = 30) -> None:
    """No run in progress; StartJobRun with exactly `request` answers jr_1; the job's own timeout."""
    glue.add_response("get_job_runs", {"JobRuns": []}, {"JobName": JOB})
    glue.add_response("start_job_run", {"JobRunId": "jr_1"}, request)
    glue.add_response("get_job", {"Job": {"Name": JOB, "Timeout": job_timeout_minutes}}, {"JobName": JOB})


def test_a_full_run_with_its_own_timeout_is_started_so_and_waited_for_that_long(monkeypatch):
    """`pipeline --mode full --timeout-minutes 5` on a job whose own timeout is 30 minutes: Glue is
    asked for a full run stopped after 5 minutes, and the wait for a run that never ends gives up
    after those 5 minutes and the 10-minute margin (900 s on the clock), not after 30 + 10."""
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    stub_start(glue, {"JobName": JOB, "Arguments": {"--mode": "full"}, "Timeout": 5})
    answer = long_run(glue, running_for_seconds=24 * 3600)
    clock = FakeClock(start=5000.0, on_sleep=answer)
    answer(clock)  # the first look
    monkeypatch.setattr("automation.aws.session.time.sleep", clock.sleep)
    monkeypatch.setattr("automation.aws.session.time.monotonic", clock)
    backend = AwsBackend(AwsOptions(mode="full", timeout_minutes=5), stack)

    with glue, pytest.raises(WaitTimeout) as timeout:
        backend.run_job()

    assert str(timeout.value).startswith(f"gave up waiting for job run jr_1 of {JOB} to finish after 900 s (")
    assert clock.elapsed == 900


def test_ctrl_c_while_a_run_is_followed_leaves_a_note_naming_the_run(instant_waits):
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    stub_start(glue, {"JobName": JOB})
    running = {"Id": "jr_1", "JobName": JOB, "Attempt": 0, "JobRunState": "RUNNING"}
    glue.add_response("get_job_run", {"JobRun": running}, RUN_JR_1)

    def press_ctrl_c_at_running(line: str) -> None:
        if line.startswith("run jr_1: RUNNING"):
            raise KeyboardInterrupt

    backend = AwsBackend(AwsOptions(), stack, progress=press_ctrl_c_at_running)
    with glue, pytest.raises(KeyboardInterrupt):
        backend.run_job()

    assert backend.interrupt_note() == "job run jr_1 goes on in Glue: follow it with `status --run-id jr_1 --wait`"


def test_a_run_that_succeeded_without_a_report_says_where_the_report_should_be(instant_waits):
    stack, (glue, s3) = stubbed_stack(STUB_OUTPUTS, "glue", "s3")
    stub_start(glue, {"JobName": JOB})
    ended = {"Id": "jr_1", "JobName": JOB, "Attempt": 0, "JobRunState": "SUCCEEDED", "ExecutionTime": 60}
    glue.add_response("get_job_run", {"JobRun": {**ended, "WorkerType": "G.1X", "NumberOfWorkers": 2}}, RUN_JR_1)
    s3.add_client_error("get_object", "NoSuchKey", "The specified key does not exist.", 404)
    backend = AwsBackend(AwsOptions(), stack)

    with glue, s3, pytest.raises(AwsError) as failure:
        backend.run_job()

    assert str(failure.value) == (
        "job run jr_1 SUCCEEDED but wrote no report at s3://lake/gold/_reports/sample_data_aggregated/jr_1.json"
    )


def test_a_pipeline_refused_its_run_reports_nothing_spent():
    """A run already in progress: the pipeline starts none, runs no query, and its cost says so
    (the CLI prints "billed before the failure" only when Glue or Athena billed something)."""
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    other = {"Id": "jr_0", "JobName": JOB, "Attempt": 0, "JobRunState": "RUNNING"}
    glue.add_response("get_job_runs", {"JobRuns": [other]}, {"JobName": JOB})
    backend = AwsBackend(AwsOptions(), stack)

    with glue, pytest.raises(JobAlreadyRunning):
        backend.run_job()

    assert backend.cost() == {
        "glue_run_id": "",
        "glue_state": "",
        "glue_execution_seconds": 0,
        "glue_worker_type": "",
        "glue_workers": 0,
        "glue_dpu_seconds": 0,
        "glue_usd": 0.0,
        "athena_queries": 0,
        "athena_data_scanned_bytes": 0,
        "athena_billed_bytes": 0,
        "athena_usd": 0.0,
        "total_usd": 0.0,
    }
    assert backend.interrupt_note() == "no job run was started"


# -- register partitions by the saved MSCK REPAIR ----------------------------------------------------
MSCK_OUTPUTS = {**STUB_OUTPUTS, out.REPAIR_QUERY_ID: "nq-repair"}
REPAIR_SQL = "MSCK REPAIR TABLE sample_data_aggregated"


def stub_repair(athena, state: str, statement_type: str, scanned: int, reason: str = "") -> None:
    """The saved repair query, started as q-1 in the stack's workgroup, ending `state`."""
    saved = {"Name": "repair", "Database": "gold_data", "QueryString": REPAIR_SQL, "WorkGroup": "silver-to-gold-dev"}
    athena.add_response("get_named_query", {"NamedQuery": saved}, {"NamedQueryId": "nq-repair"})
    request = {
        "QueryString": REPAIR_SQL,
        "WorkGroup": "silver-to-gold-dev",
        "QueryExecutionContext": {"Database": "gold_data"},
    }
    athena.add_response("start_query_execution", {"QueryExecutionId": "q-1"}, request)
    status = {"State": state, **({"StateChangeReason": reason} if reason else {})}
    execution = {"QueryExecutionId": "q-1", "StatementType": statement_type, "Status": status}
    execution["Statistics"] = {"DataScannedInBytes": scanned}
    athena.add_response("get_query_execution", {"QueryExecution": execution}, {"QueryExecutionId": "q-1"})


def test_a_cancelled_repair_fails_with_athenas_reason_and_stays_counted(instant_waits):
    stack, (athena,) = stubbed_stack(MSCK_OUTPUTS, "athena")
    stub_repair(athena, "CANCELLED", "DDL", 0, reason="Query was cancelled by user")
    backend = AwsBackend(AwsOptions(method="msck"), stack)

    with athena, pytest.raises(QueryFailed) as failure:
        backend.register_partitions()

    assert str(failure.value) == "Athena query q-1 CANCELLED: Query was cancelled by user"
    assert backend.cost()["athena_queries"] == 1


def test_what_athena_billed_for_the_repair_is_in_the_pipelines_cost(instant_waits):
    """The summary counts every Athena query the pipeline ran, the registration's too. MSCK
    REPAIR TABLE is DDL, which Athena does not bill; here Athena reports the repair as a billed
    statement that scanned 1 GiB (1024 MB billed at $5 per 2**40 B: $0.0048828125), so a
    registration query left out of the sums shows."""
    stack, (athena, glue) = stubbed_stack(MSCK_OUTPUTS, "athena", "glue")
    stub_repair(athena, "SUCCEEDED", "DML", 1_073_741_824)
    athena.add_response("get_query_results", {"ResultSet": {"Rows": []}}, {"QueryExecutionId": "q-1"})
    partitions = [{"Values": ["2024", "1"]}, {"Values": ["2024", "2"]}]
    glue.add_response("get_partitions", {"Partitions": partitions})
    backend = AwsBackend(AwsOptions(method="msck"), stack)

    with athena, glue:
        assert backend.register_partitions() == ["ano=2024/mes=1", "ano=2024/mes=2"]

    cost = backend.cost()
    assert (cost["athena_queries"], cost["athena_data_scanned_bytes"], cost["athena_billed_bytes"]) == (
        1,
        1_073_741_824,
        1_073_741_824,
    )
    assert (cost["athena_usd"], cost["total_usd"]) == (0.00488281, 0.004883)
