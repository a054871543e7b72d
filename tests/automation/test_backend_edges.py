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

from automation.aws.backend import AwsBackend, AwsOptions
from automation.aws.deployed import Stack
from automation.cli import main
from automation.lake import silver_files
from automation.outputs import StackOutputs
from etl.errors import PipelineError
from etl.sample import SampleSpec
from infra import outputs as out
from tests.automation.test_doctor import operator_stack
from tests.aws_emulator import GluePlayer, write_silver_dataset
from tests.stubs import STUB_OUTPUTS, stubbed_clients, stubbed_stack

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
