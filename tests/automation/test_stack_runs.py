"""`runs` and the run ids `rejects` names, on a deployed stack, in process (issue 25: the e2e
tests in `tests/e2e/test_runs_cli.py` start the CLI as a subprocess, out of mutmut's reach).

The stack is the emulator's dev stack, read as the operator (`test_doctor`'s fixture); runs are
played by `GluePlayer` (which writes each run's report) or started without it (a run that wrote
no report, as one Glue ended before the job's code ran). moto ends a run at once here
("immediate" progression, as `as_operator` sets it) or keeps it STARTING ("manual"); what moto
cannot answer (a failed run and its message, a run with no start) is botocore's Stubber.

Expected figures are worked out by hand: moto reports every run with ExecutionTime 123 s on the
job's G.1X x 2 workers, so 2 DPU x 123 s = 246 DPU-s, 246 / 3600 x $0.44 = $0.030067. The order
asserted is by StartedOn, which `newest_job_runs` sorts on itself: it holds whether GetJobRuns
lists the newest first (AWS) or the oldest (moto).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from automation.aws.runs import recent_reports, stack_runs
from automation.cli import main
from automation.outputs import OutputsError
from automation.runs import RunRow
from etl.report import RunReport
from infra import outputs as out
from tests.automation.test_doctor import operator_stack
from tests.aws_emulator import GluePlayer, write_silver_dataset
from tests.stubs import STUB_OUTPUTS, stubbed_stack

# Three silver rows, one rejected (idade is null): a played run reads 3, rejects 1, writes 2 rows
# in 2 partitions (the two months).
SILVER = {
    (2024, 1): [{"idade": 30, "ativo": True, "salario": 1000.0}, {"idade": None, "ativo": True, "salario": 1.0}],
    (2024, 2): [{"idade": 40, "ativo": False, "salario": 2000.0}],
}
COST = 0.030067


def started_utc(seeded, run_id: str) -> str:
    """The run's StartedOn as Glue answers it, in ISO 8601 UTC to the second."""
    run = seeded.emulator.client("glue").get_job_run(JobName=seeded[out.JOB_NAME], RunId=run_id)["JobRun"]
    return run["StartedOn"].astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@pytest.fixture
def four_runs(as_operator, tmp_path):
    """Oldest first: two played runs (incremental, then full), a run that wrote no report, and a
    run still STARTING (started with `--mode full`, no report yet)."""
    silver = write_silver_dataset(tmp_path / "silver", SILVER)
    assert main(["load-silver", "--silver-path", str(silver), "--outputs-file", str(as_operator.outputs_file)]) == 0
    glue, job = as_operator.emulator.client("glue"), as_operator[out.JOB_NAME]
    with GluePlayer(as_operator) as player:
        played = [glue.start_job_run(JobName=job)["JobRunId"]]
        played.append(glue.start_job_run(JobName=job, Arguments={"--mode": "full"})["JobRunId"])
    assert list(player.played) == played
    unreported = glue.start_job_run(JobName=job)["JobRunId"]
    assert {run["JobRunState"] for run in glue.get_job_runs(JobName=job)["JobRuns"]} == {"SUCCEEDED"}
    as_operator.emulator.set_progression("glue::job_run", {"progression": "manual", "times": 1000})
    starting = glue.start_job_run(JobName=job, Arguments={"--mode": "full"})["JobRunId"]
    return [*played, unreported, starting]


def test_runs_lists_each_run_newest_first_with_the_jobs_figures_or_glues(as_operator, four_runs, capsys):
    incremental, full, unreported, starting = four_runs

    assert main(["runs", "--outputs-file", str(as_operator.outputs_file), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["runs"]

    started = {run_id: started_utc(as_operator, run_id) for run_id in four_runs}
    assert listed == [
        {
            "run_id": starting,
            "started": started[starting],
            "state": "STARTING",
            "mode": "full",
            "rows_read": None,
            "rows_rejected": None,
            "rows_written": None,
            "partitions_written": None,
            "seconds": None,
            "cost_usd": None,
            "error": "",
        },
        {
            "run_id": unreported,
            "started": started[unreported],
            "state": "SUCCEEDED",
            "mode": "incremental",  # the job's default: moto copies DefaultArguments into the run's
            "rows_read": None,
            "rows_rejected": None,
            "rows_written": None,
            "partitions_written": None,
            "seconds": 123.0,
            "cost_usd": COST,
            "error": "",
        },
        {
            "run_id": full,
            "started": started[full],
            "state": "SUCCEEDED",
            "mode": "full",
            "rows_read": 3,
            "rows_rejected": 1,
            "rows_written": 2,
            "partitions_written": 2,
            "seconds": 123.0,
            "cost_usd": COST,
            "error": "",
        },
        {
            "run_id": incremental,
            "started": started[incremental],
            "state": "SUCCEEDED",
            "mode": "incremental",
            "rows_read": 3,
            "rows_rejected": 1,
            "rows_written": 2,
            "partitions_written": 2,
            "seconds": 123.0,
            "cost_usd": COST,
            "error": "",
        },
    ]
    # Glue's duration, as a figure with a fraction in the JSON, whatever the job measured itself.
    assert [type(run["seconds"]) for run in listed[1:]] == [float, float, float]


def test_runs_lists_only_the_newest_the_limit_allows(as_operator, four_runs, capsys):
    assert main(["runs", "--limit", "2", "--outputs-file", str(as_operator.outputs_file), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["runs"]

    assert [run["run_id"] for run in listed] == [four_runs[3], four_runs[2]]


def test_rejects_of_an_unknown_run_names_the_newest_runs_that_wrote_a_report(as_operator, four_runs, capsys):
    incremental, full, _, _ = four_runs

    assert main(["rejects", "--run-id", "jr_bogus", "--outputs-file", str(as_operator.outputs_file)]) == 1

    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: no run jr_bogus in {as_operator[out.REPORTS_URI].rstrip('/')}/ (no run report of that id): the "
        f"latest runs are {full}, {incremental}; list them with `python -m automation runs --outputs-file "
        f"{as_operator.outputs_file}`"
    ]
    # The limit counts runs, reported or not: the three newest hold one report.
    stack = operator_stack(as_operator)
    assert [(r.run_id, r.mode, r.rows_read) for r in recent_reports(stack, limit=3)] == [(full, "full", 3)]
    assert [r.run_id for r in recent_reports(stack, limit=4)] == [full, incremental]


def test_a_stack_without_its_reports_location_is_refused_naming_it():
    stack, _ = stubbed_stack({k: v for k, v in STUB_OUTPUTS.items() if k != out.REPORTS_URI})

    with pytest.raises(OutputsError) as refused:
        stack_runs(stack)

    assert str(refused.value) == (
        "stack outputs from test lack 'runReportsUri': redeploy the stack (pulumi up) or regenerate the file "
        "with `pulumi stack output --json`"
    )


def test_runs_glue_ended_before_the_job_wrote_a_report_show_glues_own_view():
    """Runs Glue stopped or failed before the job's code ran write no report: their rows are
    Glue's own, the error its ErrorMessage's first line, the mode the run's `--mode` if it was
    given one. JobRun's StartedOn is optional in Glue's API model: a run without it lists with no
    start (and last)."""
    stack, (glue, s3) = stubbed_stack(STUB_OUTPUTS, "glue", "s3")
    job = STUB_OUTPUTS[out.JOB_NAME]
    stopped = {
        "Id": "jr_stopped",
        "JobName": job,
        "JobRunState": "STOPPED",
        "StartedOn": dt.datetime(2026, 11, 26, 10, 0, 7, tzinfo=dt.UTC),
        "ExecutionTime": 90,
        "WorkerType": "G.1X",
        "NumberOfWorkers": 2,
    }
    failed = {
        "Id": "jr_failed",
        "JobName": job,
        "JobRunState": "FAILED",
        "ExecutionTime": 30,
        "WorkerType": "G.2X",
        "NumberOfWorkers": 3,
        "Arguments": {"--mode": "full"},
        "ErrorMessage": "ResourceNumberLimitExceededException: not enough IPs in the subnet\nsecond line",
    }
    glue.add_response("get_job_runs", {"JobRuns": [failed, stopped]}, {"JobName": job})
    for run_id in ("jr_stopped", "jr_failed"):
        s3.add_client_error(
            "get_object",
            "NoSuchKey",
            http_status_code=404,
            expected_params={"Bucket": "lake", "Key": f"gold/_reports/sample_data_aggregated/{run_id}.json"},
        )

    with glue, s3:
        rows = stack_runs(stack)

    assert rows == [
        # 2 DPU x 90 s = 180 DPU-s = 0.05 DPU-hour x $0.44
        RunRow(run_id="jr_stopped", started="2026-11-26T10:00:07+00:00", state="STOPPED", seconds=90.0, cost_usd=0.022),
        # 30 s billed as Glue's 1-minute minimum: 3 workers x 2 DPU x 60 s = 0.1 DPU-hour x $0.44
        RunRow(
            run_id="jr_failed",
            started="",
            state="FAILED",
            mode="full",
            seconds=30.0,
            cost_usd=0.044,
            error="ResourceNumberLimitExceededException: not enough IPs in the subnet",
        ),
    ]


def test_the_last_run_that_rejected_rows_is_looked_for_among_the_twenty_newest_runs(as_operator, tmp_path, capsys):
    """`rejects` of a run that rejected nothing names the newest run that did, reading the
    reports of the job's 20 newest runs (each a GetObject): one further back is not looked for."""
    silver = write_silver_dataset(tmp_path / "silver", SILVER)
    assert main(["load-silver", "--silver-path", str(silver), "--outputs-file", str(as_operator.outputs_file)]) == 0
    glue, s3, job = as_operator.emulator.client("glue"), as_operator.emulator.client("s3"), as_operator[out.JOB_NAME]
    bucket, prefix = as_operator[out.REPORTS_URI].removeprefix("s3://").split("/", 1)
    with GluePlayer(as_operator) as player:
        rejecting = glue.start_job_run(JobName=job)["JobRunId"]
    assert player.played[rejecting].rows_rejected == 1

    def no_op_run() -> str:
        """A run that found nothing new in silver, its report written as the job writes it."""
        run_id = glue.start_job_run(JobName=job)["JobRunId"]
        report = RunReport(run_id, "incremental", "succeeded", seconds={"total": 1.0}, plan="incremental")
        for name in (f"{run_id}.json", "latest.json"):
            s3.put_object(Bucket=bucket, Key=f"{prefix}{name}", Body=report.to_json().encode())
        return run_id

    def last_rejecting_run() -> str | None:
        assert main(["rejects", "--outputs-file", str(as_operator.outputs_file), "--json"]) == 0
        return json.loads(capsys.readouterr().out.strip().splitlines()[-1])["last_rejecting_run"]

    for _ in range(18):  # runs that wrote no report: they count among the 20 all the same
        glue.start_job_run(JobName=job)
    no_op_run()
    assert len(glue.get_job_runs(JobName=job)["JobRuns"]) == 20
    assert last_rejecting_run() == rejecting

    no_op_run()  # the 21st: the rejecting run is now the 21st newest
    assert last_rejecting_run() is None
