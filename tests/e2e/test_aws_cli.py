"""The AWS verbs end to end, as a user runs them: `python -m automation VERB --outputs-file F`
as a subprocess against moto's server (over HTTP through AWS_ENDPOINT_URL), seeded from
`automation synth --stack dev --json`. A `GluePlayer` thread plays the Glue job: it writes
gold, the catalog partitions, the log events and the run report where the job would.

Expected numbers are worked out by hand in each test: the emulator reports every run with
ExecutionTime 123 s and the job's G.1X x 2 workers, and 0 bytes scanned by every query.
"""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from automation.outputs import OPTIONAL_OUTPUTS, OUTPUT_FIELDS, StackOutputs
from infra import outputs as out
from tests.aws_emulator import PROJECT_ROOT, GluePlayer, SeededStack, forget_calls, write_silver_dataset

pytestmark = pytest.mark.e2e

# Three silver rows in two months; the second row breaks a quality rule (idade is null).
SILVER_ROWS = {
    (2024, 1): [
        {"idade": 30, "ativo": True, "salario": 1000.0, "nome": "a"},
        {"idade": None, "ativo": True, "salario": 1.0, "nome": "b"},
    ],
    (2024, 2): [{"idade": 40, "ativo": False, "salario": 2000.0, "nome": "c"}],
}


def cli(stack: SeededStack, *args: str, outputs_file: Path | None = None, env: dict | None = None, timeout: int = 300):
    return subprocess.run(
        [sys.executable, "-m", "automation", *args, "--outputs-file", str(outputs_file or stack.outputs_file)],
        capture_output=True,
        text=True,
        env=env or stack.emulator.env(),
        cwd=PROJECT_ROOT,
        timeout=timeout,
    )


def last_json(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def silver_objects(stack: SeededStack) -> dict[str, int]:
    bucket, prefix = stack.bucket_and_prefix(out.SILVER_URI)
    listing = stack.emulator.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return {item["Key"][len(prefix) :]: item["Size"] for item in listing.get("Contents", [])}


def catalog_partitions(stack: SeededStack, database: str, table: str) -> list[list[str]]:
    partitions = stack.emulator.client("glue").get_partitions(DatabaseName=stack[database], TableName=stack[table])
    return sorted(p["Values"] for p in partitions["Partitions"])


def load_and_run(stack: SeededStack, tmp_path: Path, **player: object) -> str:
    """Silver loaded, one run played to SUCCEEDED; returns the run id."""
    silver = write_silver_dataset(tmp_path / "silver", SILVER_ROWS)
    last_json(cli(stack, "load-silver", "--silver-path", str(silver), "--json"))
    with GluePlayer(stack, **player):
        return last_json(cli(stack, "run", "--json"))["run_id"]


# -- load-silver ------------------------------------------------------------------------
def test_load_silver_uploads_a_dataset_and_registers_its_partitions_once(aws_stack, tmp_path):
    silver = write_silver_dataset(tmp_path / "silver", SILVER_ROWS)

    first = last_json(cli(aws_stack, "load-silver", "--silver-path", str(silver), "--json"))
    assert first["files"] == 2 and first["uploaded"] == 2 and first["skipped"] == 0
    assert first["partitions"] == 2 and first["partitions_added"] == 2
    assert set(silver_objects(aws_stack)) == {"ano=2024/mes=1/part-0.parquet", "ano=2024/mes=2/part-0.parquet"}
    assert catalog_partitions(aws_stack, out.SILVER_DATABASE, out.SILVER_TABLE) == [["2024", "1"], ["2024", "2"]]
    partition = aws_stack.emulator.client("glue").get_partition(
        DatabaseName=aws_stack[out.SILVER_DATABASE],
        TableName=aws_stack[out.SILVER_TABLE],
        PartitionValues=["2024", "1"],
    )["Partition"]
    assert partition["StorageDescriptor"]["Location"] == aws_stack[out.SILVER_URI] + "ano=2024/mes=1/"

    again = last_json(cli(aws_stack, "load-silver", "--silver-path", str(silver), "--json"))
    assert again["uploaded"] == 0 and again["skipped"] == 2 and again["partitions_added"] == 0
    assert catalog_partitions(aws_stack, out.SILVER_DATABASE, out.SILVER_TABLE) == [["2024", "1"], ["2024", "2"]]


def test_load_silver_uploads_the_demo_sample_and_a_rerun_adds_nothing_twice(aws_stack):
    first_run = cli(aws_stack, "load-silver", "--rows", "2000", "--months", "2", "--json")
    first = last_json(first_run)
    objects = silver_objects(aws_stack)
    data = {key: size for key, size in objects.items() if key != "_sample.json"}
    assert first["uploaded"] == first["files"] == len(data) > 0 and first["generated"]
    assert {key.rsplit("/", 1)[0] for key in data} == {"ano=2023/mes=1", "ano=2023/mes=2"}
    assert all(key.rsplit("/", 1)[1].startswith("sample-") for key in data)
    assert catalog_partitions(aws_stack, out.SILVER_DATABASE, out.SILVER_TABLE) == [["2023", "1"], ["2023", "2"]]
    assert f"uploading {len(data)} of {len(data)} files" in first_run.stderr

    # The marker names the sample and its files: a rerun neither generates nor uploads it.
    again_run = cli(aws_stack, "load-silver", "--rows", "2000", "--months", "2", "--json")
    again = last_json(again_run)
    assert again["uploaded"] == 0 and again["skipped"] == first["files"] and again["partitions_added"] == 0
    assert not again["generated"]
    assert "generating" not in again_run.stderr and "uploading" not in again_run.stderr
    assert "already in s3://" in again_run.stderr and "not generated again" in again_run.stderr
    assert silver_objects(aws_stack) == objects

    # Another sample is generated; its files of the same name and size are not sent again.
    other = last_json(cli(aws_stack, "load-silver", "--rows", "2000", "--months", "2", "--seed", "7", "--json"))
    assert other["generated"]


def test_load_silver_says_what_it_uploads_and_what_is_there_already(aws_stack, tmp_path):
    silver = write_silver_dataset(tmp_path / "silver", SILVER_ROWS)
    first = cli(aws_stack, "load-silver", "--silver-path", str(silver))
    assert first.returncode == 0, first.stderr
    assert "uploading 2 of 2 files" in first.stderr and "0 already there" in first.stderr

    again = cli(aws_stack, "load-silver", "--silver-path", str(silver))
    assert again.returncode == 0, again.stderr
    assert "uploading" not in again.stderr
    assert "all 2 files are already in s3://" in again.stderr
    assert "0 of 2 files uploaded (2 already there)" in again.stdout


def test_load_silver_refuses_a_folder_that_is_not_parquet_and_uploads_nothing(aws_stack, tmp_path):
    folder = tmp_path / "csv" / "ano=2024" / "mes=1"
    folder.mkdir(parents=True)
    (folder / "part-0.csv").write_text("idade,ativo,salario\n30,true,1000\n")

    result = cli(aws_stack, "load-silver", "--silver-path", str(tmp_path / "csv"))

    assert_one_line_error(result, "is not Parquet", "ano=2024/mes=1/part-0.csv")
    assert silver_objects(aws_stack) == {}


def test_load_silver_refuses_a_folder_without_partition_folders(aws_stack, tmp_path):
    (tmp_path / "flat").mkdir()
    result = cli(aws_stack, "load-silver", "--silver-path", str(tmp_path / "flat"))
    assert_one_line_error(result, "has no ano=/mes= folders")


# -- run and status ---------------------------------------------------------------------
def test_run_waits_through_running_to_succeeded_and_reports_rows_and_cost(aws_stack, tmp_path):
    silver = write_silver_dataset(tmp_path / "silver", SILVER_ROWS)
    last_json(cli(aws_stack, "load-silver", "--silver-path", str(silver), "--json"))

    with GluePlayer(aws_stack):
        result = cli(aws_stack, "run", "--mode", "full", "--json")
    run = last_json(result)

    assert run["state"] == "SUCCEEDED"
    assert run["arguments"]["--mode"] == "full"  # a run argument overriding the job's default
    assert run["report"]["mode"] == "full"
    assert run["report"]["rows_read"] == 3 and run["report"]["rows_rejected"] == 1
    assert run["report"]["partitions_written"] == 2
    assert run["report_uri"] == f"{aws_stack[out.REPORTS_URI]}{run['run_id']}.json"
    # G.1X x 2 = 2 DPU for the emulator's 123 s: 246 DPU-s; 246 / 3600 x 0.44 = 0.0300666...
    assert run["cost"]["dpu_seconds"] == 246
    assert run["cost"]["usd"] == 0.030067
    assert run["driver_log_stream"] == f"{run['run_id']}-driver"
    states = [line.split(": ")[1].split(" after")[0] for line in result.stderr.splitlines() if "after" in line]
    assert states == ["STARTING", "RUNNING", "SUCCEEDED"]


def test_run_is_refused_while_another_run_is_in_progress(aws_stack):
    glue = aws_stack.emulator.client("glue")
    running = glue.start_job_run(JobName=aws_stack[out.JOB_NAME])["JobRunId"]

    result = cli(aws_stack, "run")

    assert_one_line_error(result, f"already has run {running}", "one run at a time", "status --run-id")
    assert [r["Id"] for r in glue.get_job_runs(JobName=aws_stack[out.JOB_NAME])["JobRuns"]] == [running]


def test_run_no_wait_returns_the_run_id_and_status_waits_for_it(aws_stack, tmp_path):
    silver = write_silver_dataset(tmp_path / "silver", SILVER_ROWS)
    last_json(cli(aws_stack, "load-silver", "--silver-path", str(silver), "--json"))
    with GluePlayer(aws_stack):
        started = last_json(cli(aws_stack, "run", "--no-wait", "--json"))
        assert started["state"] == "STARTING"
        waited = last_json(cli(aws_stack, "status", "--run-id", started["run_id"], "--wait", "--json"))
    assert waited["run_id"] == started["run_id"]
    assert waited["state"] == "SUCCEEDED"
    assert waited["report"]["rows_written"] == 2

    latest = last_json(cli(aws_stack, "status", "--json"))
    assert latest["run_id"] == started["run_id"]


def test_timeout_minutes_is_the_runs_own_glue_timeout(aws_stack):
    started = last_json(cli(aws_stack, "run", "--no-wait", "--timeout-minutes", "7", "--json"))
    run = aws_stack.emulator.client("glue").get_job_run(JobName=aws_stack[out.JOB_NAME], RunId=started["run_id"])
    assert run["JobRun"]["Timeout"] == 7


def as_a_terminal_starts_it() -> None:
    """In the child before exec: SIGINT at its default and unblocked, as a shell's foreground
    job has it, whatever this test worker was handed (an ignored SIGINT is inherited through
    exec, and Python then leaves Ctrl-C ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def test_ctrl_c_stops_the_wait_and_never_the_run(aws_stack):
    """Deterministic: the run stays STARTING (a minute a step), and Ctrl-C is sent only once
    the verb has printed its first poll, so it lands in the wait, whatever the load."""
    aws_stack.emulator.set_progression("glue::job_run", {"progression": "time", "seconds": 60})
    process = subprocess.Popen(
        [sys.executable, "-m", "automation", "run", "--outputs-file", str(aws_stack.outputs_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # On a hang, the SIGABRT below makes Python print every thread's stack (faulthandler).
        env={**aws_stack.emulator.env(), "PYTHONFAULTHANDLER": "1"},
        cwd=PROJECT_ROOT,
        preexec_fn=as_a_terminal_starts_it,
    )
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 1.0)
        if ready:
            line = process.stderr.readline()
            if not line:
                break  # the verb ended before it waited
            seen.append(line)
            if ": STARTING after " in line:  # printed from inside the wait
                break
    assert seen and ": STARTING after " in seen[-1], "".join(seen)
    process.send_signal(signal.SIGINT)
    try:
        _, rest = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        status = Path(f"/proc/{process.pid}/status")  # Linux: the signals it blocks, ignores, has pending
        lines = status.read_text().splitlines() if status.exists() else []
        signals = [line for line in lines if line.startswith(("Sig", "ShdPnd"))]
        process.send_signal(signal.SIGABRT)
        _, rest = process.communicate(timeout=30)
        pytest.fail(f"Ctrl-C did not end the wait in 60 s; its signals {signals}; its stacks:\n{''.join(seen)}{rest}")
    stderr = "".join(seen) + rest

    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "goes on" in stderr and "status --run-id" in stderr
    run = aws_stack.emulator.client("glue").get_job_runs(JobName=aws_stack[out.JOB_NAME])["JobRuns"][0]
    assert run["JobRunState"] == "STARTING"  # not STOPPING or STOPPED


# -- register ---------------------------------------------------------------------------
def test_register_job_checks_the_catalog_against_the_gold_folders(aws_stack, tmp_path):
    load_and_run(aws_stack, tmp_path)
    # A killed run's leftovers under gold: Spark's staging and temporary commit folders.
    bucket, gold = aws_stack.bucket_and_prefix(out.GOLD_URI)
    s3 = aws_stack.emulator.client("s3")
    s3.put_object(Bucket=bucket, Key=f"{gold}.spark-staging-4f1c/ano=2024/mes=9/part-00000.parquet", Body=b"x")
    s3.put_object(
        Bucket=bucket, Key=f"{gold}_temporary/0/_temporary/attempt_0/ano=2024/mes=9/part-0.parquet", Body=b"x"
    )
    result = last_json(cli(aws_stack, "register", "--method", "job", "--json"))
    assert result["partitions"] == ["ano=2024/mes=1", "ano=2024/mes=2"]


def test_register_job_names_gold_folders_the_catalog_lacks(aws_stack, tmp_path):
    load_and_run(aws_stack, tmp_path, register_partitions=False)
    result = cli(aws_stack, "register", "--method", "job")
    assert_one_line_error(result, "S3 folders the catalog lacks: ano=2024/mes=1, ano=2024/mes=2", "--method crawler")


def test_register_crawler_runs_the_crawler_until_ready(aws_stack, tmp_path):
    load_and_run(aws_stack, tmp_path)
    result = last_json(cli(aws_stack, "register", "--method", "crawler", "--json"))
    assert result["method"] == "crawler"
    assert result["crawl"]["status"] in ("SUCCEEDED", "COMPLETED")
    assert result["partition_count"] == 2
    crawler = aws_stack.emulator.client("glue").get_crawler(Name=aws_stack[out.CRAWLER_NAME])["Crawler"]
    assert crawler["State"] == "READY"


def test_register_crawler_refuses_a_crawler_already_running(aws_stack):
    # The crawl stays RUNNING until the test ends (moto's state manager, "manual" progression:
    # a state moves only after that many reads), not STEP_SECONDS: a CLI that starts slowly on a
    # busy machine would otherwise find it READY. The stack's reset restores the timed steps.
    aws_stack.emulator.set_progression("glue::crawl", {"progression": "manual", "times": 1000})
    aws_stack.emulator.client("glue").start_crawler(Name=aws_stack[out.CRAWLER_NAME])
    result = cli(aws_stack, "register", "--method", "crawler")
    assert_one_line_error(result, "crawler crawler-gold-data is RUNNING", "wait until it is READY")


def test_register_msck_runs_the_saved_repair_query_in_the_workgroup(aws_stack, tmp_path):
    load_and_run(aws_stack, tmp_path)
    result = last_json(cli(aws_stack, "register", "--method", "msck", "--json"))
    query = result["query"]
    assert query["sql"] == "MSCK REPAIR TABLE gold_data.sample_data_aggregated"
    assert query["workgroup"] == aws_stack[out.ATHENA_WORKGROUP]
    assert query["statement_type"] == "DDL" and query["cost_usd"] == 0  # partition statements are free
    execution = aws_stack.emulator.client("athena").get_query_execution(QueryExecutionId=query["query_id"])
    assert execution["QueryExecution"]["WorkGroup"] == "silver-to-gold-dev"
    assert result["partition_count"] == 2


# -- query and logs ---------------------------------------------------------------------
def test_query_runs_the_preview_and_reports_the_10_mb_minimum(aws_stack, tmp_path):
    load_and_run(aws_stack, tmp_path)

    result = last_json(cli(aws_stack, "query", "--json"))

    assert result["sql"] == "SELECT * FROM gold_data.sample_data_aggregated LIMIT 10"
    # Gold as the played job computed it from SILVER_ROWS (the row with a null idade rejected).
    assert result["rows"] == [
        {"idade": 30, "ativo": True, "salario_medio": 1000.0, "ano": 2024, "mes": 1},
        {"idade": 40, "ativo": False, "salario_medio": 2000.0, "ano": 2024, "mes": 2},
    ]
    # 0 bytes scanned is billed as the 10 MB minimum: 10 x 2**20 B at $5 per 2**40 B.
    assert result["data_scanned_bytes"] == 0
    assert result["billed_bytes"] == 10_485_760
    assert result["cost_usd"] == 0.00004768


def test_query_prints_a_table(aws_stack, tmp_path):
    load_and_run(aws_stack, tmp_path)
    result = cli(aws_stack, "query", "--sql", "SELECT count(*) AS n FROM gold_data.sample_data_aggregated")
    assert result.returncode == 0, result.stderr
    assert "│ 2 │" in result.stdout
    assert "1 row; scanned 0 B, billed 10.0 MB: $0.00004768" in result.stdout


# -- rejects -----------------------------------------------------------------------------
def test_rejects_after_a_played_run_returns_the_seeded_athena_results_with_bytes_scanned(aws_stack, tmp_path):
    run_id = load_and_run(aws_stack, tmp_path)
    emulator = aws_stack.emulator
    silver_file = f"{aws_stack[out.SILVER_URI]}ano=2024/mes=1/part-0.parquet"

    # Athena's answers come from the emulator (DuckDB over the rejects table the played job
    # registered): the three questions are by reason, by month, and the rows to trace.
    result = last_json(cli(aws_stack, "rejects", "--json"))

    assert result["run_id"] == run_id  # the latest run, from latest.json
    assert result["table"] == "gold_data.sample_data_aggregated_rejects" == f"gold_data.{aws_stack[out.REJECTS_TABLE]}"
    assert (result["rows_read"], result["rows_rejected"]) == (3, 1)
    assert result["reject_ratio"] == round(1 / 3, 6)
    assert result["max_reject_ratio"] == 0.05  # the job's DefaultArguments: the played report has none
    assert result["quarantine_location"] == f"{aws_stack[out.QUARANTINE_URI]}run_id={run_id}/"
    assert result["by_reason"] == [{"reason": "idade is null", "rejected_rows": 1}]
    assert result["by_month"] == [{"ano": 2024, "mes": 1, "rejected_rows": 1}]
    assert result["rows_in_table"] == 1
    assert result["trace"] == [
        {"id": None, "silver_file": silver_file, "silver_row": 1, "reject_reasons": "[idade is null]"}
    ]
    # Three queries in the stack's workgroup, each billed Athena's 10 MB minimum (0 B scanned).
    cost = result["cost"]
    assert cost["athena_queries"] == 3 and len(cost["query_ids"]) == 3
    assert cost["workgroup"] == aws_stack[out.ATHENA_WORKGROUP]
    assert cost["data_scanned_bytes"] == 0
    assert cost["billed_bytes"] == 3 * 10_485_760
    assert cost["cost_usd"] == 0.00014304  # 3 x $0.00004768
    athena = emulator.client("athena")
    sqls = [athena.get_query_execution(QueryExecutionId=q)["QueryExecution"]["Query"] for q in cost["query_ids"]]
    assert all(f"WHERE run_id = '{run_id}'" in sql for sql in sqls)
    assert "CROSS JOIN UNNEST(reject_reasons)" in sqls[0]  # Athena's dialect

    # The same run by id, as tables.
    shown = cli(aws_stack, "rejects", "--run-id", run_id)
    assert shown.returncode == 0, shown.stderr
    assert f"Rejected rows of run {run_id}" in shown.stdout
    assert "33.33%, above the gate of 5.00%" in shown.stdout  # the played job applies no gate: not "failed"
    assert "│ idade is null │             1 │" in shown.stdout
    assert f"│ NULL │ {silver_file} │ 1          │ [idade is null] │" in shown.stdout  # Athena's array, as text
    assert "3 Athena queries in" in shown.stdout and "billed 30.0 MB: $0.00014304" in shown.stdout


def test_rejects_before_any_run_says_so_in_one_line(aws_stack):
    result = cli(aws_stack, "rejects")
    assert_one_line_error(
        result, "no run report at s3://", "latest.json: run the job first, or name a run with --run-id"
    )


def test_query_answers_with_the_averages_of_the_loaded_silver(aws_stack, tmp_path):
    """The played job's gold, queried through Athena's API, equals DuckDB's own aggregate over
    the silver files that were loaded, with the job's quality rules."""
    rows = {
        (2024, month): [
            {
                "idade": 18 + (i * 7 + month) % 50,
                "ativo": (i + month) % 3 != 0,
                "salario": (1500.0 + (i * 37.5) % 900) if i % 17 else -1.0,  # every 17th breaks a rule
                "nome": f"p{i}",
            }
            for i in range(120)
        ]
        for month in (1, 2, 3)
    }
    rows[(2024, 2)].append({"idade": None, "ativo": True, "salario": 10.0, "nome": "x"})
    rows[(2024, 3)].append({"idade": 30, "ativo": None, "salario": float("nan"), "nome": "y"})
    silver = write_silver_dataset(tmp_path / "silver", rows)
    last_json(cli(aws_stack, "load-silver", "--silver-path", str(silver), "--json"))
    with GluePlayer(aws_stack):
        last_json(cli(aws_stack, "run", "--json"))
    sql = (
        "SELECT ano, mes, idade, ativo, salario_medio FROM gold_data.sample_data_aggregated "
        "ORDER BY ano, mes, idade, ativo"
    )

    answer = last_json(cli(aws_stack, "query", "--sql", sql, "--json"))["rows"]

    expected = duckdb.sql(
        f"SELECT ano, mes, idade, ativo, avg(salario) AS salario_medio "
        f"FROM read_parquet('{silver}/*/*/*.parquet', hive_partitioning = true) "
        "WHERE idade BETWEEN 0 AND 120 AND ativo IS NOT NULL AND salario >= 0 AND NOT isnan(salario) "
        "AND NOT isinf(salario) GROUP BY ALL ORDER BY ano, mes, idade, ativo"
    ).fetchall()
    assert len(answer) == len(expected) > 100
    for got, (ano, mes, idade, ativo, average) in zip(answer, expected, strict=True):
        assert (got["ano"], got["mes"], got["idade"], got["ativo"]) == (ano, mes, idade, ativo)
        assert got["salario_medio"] == pytest.approx(average, rel=1e-9)


def test_logs_lists_the_driver_and_executor_streams_with_their_error_lines(aws_stack, tmp_path):
    run_id = load_and_run(aws_stack, tmp_path, error_lines=2)
    with GluePlayer(aws_stack, error_lines=5):  # a later run whose streams must not be counted
        later = last_json(cli(aws_stack, "run", "--json"))["run_id"]

    result = last_json(cli(aws_stack, "logs", "--run-id", run_id, "--json"))

    assert result["run_id"] == run_id
    # The played run's GetJobRun names the stack's prefix (LogGroupName), so the groups it names
    # are the stack's own, read once.
    assert result["groups"] == [aws_stack[out.JOB_ERROR_LOG_GROUP], aws_stack[out.JOB_OUTPUT_LOG_GROUP]]
    assert result["groups_not_found"] == []
    streams = {(s["group"], s["stream"]): s for s in result["streams"]}
    error_group, output_group = aws_stack[out.JOB_ERROR_LOG_GROUP], aws_stack[out.JOB_OUTPUT_LOG_GROUP]
    assert set(streams) == {
        (error_group, f"{run_id}-driver"),
        (error_group, f"{run_id}-1"),
        (output_group, f"{run_id}-driver"),
    }
    driver = streams[(error_group, f"{run_id}-driver")]
    assert driver["error_count"] == 2
    assert driver["error_lines"] == [
        "ERROR TaskSetManager: Lost task 0.0 in stage 1.0 (retrying)",
        "ERROR TaskSetManager: Lost task 1.0 in stage 1.0 (retrying)",
    ]
    assert driver["first_event"] and driver["last_event"]
    assert streams[(error_group, f"{run_id}-1")]["error_count"] == 0

    newest = last_json(cli(aws_stack, "logs", "--json"))  # no --run-id: the newest run
    assert newest["run_id"] == later
    assert len(newest["streams"][0]["error_lines"]) == 5


def test_logs_follow_prints_the_driver_log_until_the_run_ends(aws_stack, tmp_path):
    run_id = load_and_run(aws_stack, tmp_path)
    result = cli(aws_stack, "logs", "--run-id", run_id, "--follow")
    assert result.returncode == 0, result.stderr
    assert f"INFO tools.emulator: job run {run_id} played by the emulator" in result.stderr
    silver = f"{aws_stack[out.SILVER_DATABASE]}.{aws_stack[out.SILVER_TABLE]}"
    assert f"reading {silver}" in result.stderr  # the output group's driver stream


# -- pipeline ---------------------------------------------------------------------------
def test_pipeline_skip_deploy_load_silver_prints_one_report(aws_stack):
    """The acceptance: sample silver (the `make demo` generator), run, register, verify, query."""

    with GluePlayer(aws_stack) as player:
        result = cli(
            aws_stack,
            "pipeline",
            "--skip-deploy",
            "--load-silver",
            "--rows",
            "3000",
            "--months",
            "3",
            "--json",
            timeout=600,
        )
    report = last_json(result)

    played = next(iter(player.played.values()))
    assert report["status"] == "succeeded"
    assert report["run_id"] == played.run_id
    assert report["rows_read"] == 3000
    assert report["rows_rejected"] == played.rows_rejected > 0  # the sample injects invalid rows
    assert report["gold_partitions"] == ["ano=2023/mes=1", "ano=2023/mes=2", "ano=2023/mes=3"]
    assert report["files_per_partition"] == {"ano=2023/mes=1": 1, "ano=2023/mes=2": 1, "ano=2023/mes=3": 1}
    assert len(report["preview"]) == 10
    assert report["preview_sql"] == aws_stack[out.PREVIEW_SQL]
    assert set(report["preview"][0]) == {"idade", "ativo", "salario_medio", "ano", "mes"}
    assert all(row["ano"] == 2023 and 1412 <= row["salario_medio"] <= 21412 for row in report["preview"])
    # The last step's question to the rejects table, answered from the played run's quarantine.
    assert sum(r["rejected_rows"] for r in report["rejects_by_reason"]) >= played.rows_rejected
    cost = report["cost"]
    assert cost["glue_dpu_seconds"] == 246 and cost["glue_usd"] == 0.030067
    # Two queries (the preview, the reasons), each billed the 10 MB minimum.
    assert cost["athena_queries"] == 2
    assert cost["athena_data_scanned_bytes"] == 0 and cost["athena_billed_bytes"] == 2 * 10_485_760
    assert cost["total_usd"] == round(0.030067 + 2 * 0.00004768, 6)
    assert report["links"]["job"] == aws_stack[out.JOB_CONSOLE_URL]
    for step in ("start", "provision catalog", "load silver", "run job", "register partitions", "verify", "rejects"):
        assert f"✓ {step}" in result.stderr
    top = report["rejects_by_reason"][0]
    assert f"{top['reason']} {top['rejected_rows']}" in result.stderr
    assert catalog_partitions(aws_stack, out.SILVER_DATABASE, out.SILVER_TABLE) == [
        ["2023", "1"],
        ["2023", "2"],
        ["2023", "3"],
    ]


def test_pipeline_without_silver_data_stops_before_starting_the_job(aws_stack):
    result = cli(aws_stack, "pipeline", "--skip-deploy")
    silver = f"{aws_stack[out.SILVER_DATABASE]}.{aws_stack[out.SILVER_TABLE]}"
    assert_one_line_error(result, f"{silver} has no partitions", "--load-silver")
    assert aws_stack.emulator.client("glue").get_job_runs(JobName=aws_stack[out.JOB_NAME])["JobRuns"] == []


def test_pipeline_that_cannot_deploy_is_one_line_and_starts_nothing(aws_stack):
    env = aws_stack.emulator.env(PATH="/nonexistent")  # no Pulumi CLI
    result = subprocess.run(
        [sys.executable, "-m", "automation", "pipeline", "--stack", "dev", "--load-silver"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert_one_line_error(result)
    assert aws_stack.emulator.client("glue").get_job_runs(JobName=aws_stack[out.JOB_NAME])["JobRuns"] == []


def test_pipeline_with_an_outputs_file_needs_skip_deploy(aws_stack):
    result = cli(aws_stack, "pipeline")
    assert_one_line_error(result, "add --skip-deploy")


# -- bad input --------------------------------------------------------------------------
def test_missing_credentials_are_one_line_and_nothing_starts(aws_stack):
    env = aws_stack.emulator.env()
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]

    result = cli(aws_stack, "run", env=env)

    assert_one_line_error(result, "no AWS credentials found", "AWS_PROFILE")
    assert aws_stack.emulator.client("glue").get_job_runs(JobName=aws_stack[out.JOB_NAME])["JobRuns"] == []


def test_an_outputs_file_without_a_needed_output_names_it(aws_stack, tmp_path):
    outputs_file = aws_stack.write_outputs(tmp_path / "partial.json", drop=(out.JOB_NAME,))
    result = cli(aws_stack, "run", outputs_file=outputs_file)
    assert_one_line_error(result, "lack 'jobName'", str(outputs_file))
    assert aws_stack.emulator.client("glue").get_job_runs(JobName=aws_stack[out.JOB_NAME])["JobRuns"] == []


def test_run_no_wait_checks_every_output_the_run_needs_before_starting_it(aws_stack, tmp_path):
    """`run --no-wait` reads only jobName, but the run's report (runReportsUri) is read later
    by `status`: a file lacking it is refused before a Glue run is started."""
    outputs_file = aws_stack.write_outputs(tmp_path / "partial.json", drop=(out.REPORTS_URI,))
    result = cli(aws_stack, "run", "--no-wait", outputs_file=outputs_file)
    assert_one_line_error(result, "lack 'runReportsUri'", str(outputs_file))
    assert aws_stack.emulator.client("glue").get_job_runs(JobName=aws_stack[out.JOB_NAME])["JobRuns"] == []


FIELD_OUTPUTS = {field: output for output, field in OUTPUT_FIELDS.items()}


class RecordingOutputs(StackOutputs):
    """Stack outputs that note which outputs a verb checks up front (`require`) and which
    it reads (an output's field) at any point."""

    checked: set[str] = set()
    used: set[str] = set()

    def require(self, *names: str) -> None:
        RecordingOutputs.checked.update(names)
        StackOutputs.require(self, *names)

    def __getattribute__(self, name: str):
        if name in FIELD_OUTPUTS:
            RecordingOutputs.used.add(FIELD_OUTPUTS[name])
        return object.__getattribute__(self, name)


def test_every_output_a_verb_reads_is_checked_before_it_calls_aws(aws_stack, tmp_path, monkeypatch, capsys):
    """Each verb in-process against the emulator, with outputs that record their use: every
    output a verb reads, beside the ones read with a fallback (`OPTIONAL_OUTPUTS`), must be among
    those it checks before its first AWS call (`open_stack`, `Stack.connect`), so a missing one
    never fails a verb half-way."""
    from automation.cli import main
    from automation.cli import options as option_groups
    from automation.cli import pipeline as pipeline_verbs

    for name, value in aws_stack.emulator.env().items():
        monkeypatch.setenv(name, value)
    recorded = RecordingOutputs.from_values(aws_stack.outputs, str(aws_stack.outputs_file))
    monkeypatch.setattr(option_groups, "outputs_of", lambda args: recorded)
    monkeypatch.setattr(pipeline_verbs, "outputs_of", lambda args: recorded)
    silver = write_silver_dataset(tmp_path / "silver", SILVER_ROWS)
    source = ["--outputs-file", str(aws_stack.outputs_file)]
    verbs = [
        ["load-silver", "--silver-path", str(silver)],
        ["run"],
        ["status"],
        ["register", "--method", "job"],
        ["register", "--method", "crawler"],
        ["register", "--method", "msck"],
        ["query"],
        ["query", "--sql", "SELECT 1"],
        ["logs"],
        ["pipeline", "--skip-deploy", "--method", "msck"],
    ]
    unchecked = {}
    with GluePlayer(aws_stack):
        for verb in verbs:
            # Athena's answers come from the emulator (DuckDB over the emulated catalog).
            RecordingOutputs.checked, RecordingOutputs.used = set(), set()
            assert main([*verb, *source]) == 0, capsys.readouterr().err
            assert RecordingOutputs.used, verb
            if RecordingOutputs.used - RecordingOutputs.checked - OPTIONAL_OUTPUTS:
                unchecked[" ".join(verb)] = sorted(RecordingOutputs.used - RecordingOutputs.checked - OPTIONAL_OUTPUTS)
    assert unchecked == {}


def test_every_output_rejects_reads_is_checked_before_it_calls_aws(aws_stack, tmp_path, monkeypatch, capsys):
    """`rejects` as the test above takes every other verb (it asks Athena three questions of
    its own, answered by the emulator from the played run's quarantine)."""
    from automation.cli import main
    from automation.cli import options as option_groups

    run_id = load_and_run(aws_stack, tmp_path)
    for name, value in aws_stack.emulator.env().items():
        monkeypatch.setenv(name, value)
    recorded = RecordingOutputs.from_values(aws_stack.outputs, str(aws_stack.outputs_file))
    monkeypatch.setattr(option_groups, "outputs_of", lambda args: recorded)
    RecordingOutputs.checked, RecordingOutputs.used = set(), set()

    assert main(["rejects", "--json", "--outputs-file", str(aws_stack.outputs_file)]) == 0, capsys.readouterr().err

    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["run_id"] == run_id
    assert RecordingOutputs.used and RecordingOutputs.used - OPTIONAL_OUTPUTS <= RecordingOutputs.checked


def test_an_outputs_file_that_is_not_json_is_one_line(aws_stack, tmp_path):
    bad = tmp_path / "outputs.json"
    bad.write_text("jobName: x\n")
    result = cli(aws_stack, "status", outputs_file=bad)
    assert_one_line_error(result, "is not JSON", "pulumi stack output --json")


def test_stack_without_the_pulumi_cli_is_one_line(aws_stack):
    env = aws_stack.emulator.env(PATH="/nonexistent")
    result = subprocess.run(
        [sys.executable, "-m", "automation", "status", "--stack", "dev"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert_one_line_error(result)


# -- a stack that is not there ------------------------------------------------------------
@pytest.mark.parametrize("verb", [["status"], ["logs"], ["run"], ["status", "--run-id", "jr_1"]])
def test_a_missing_job_is_deploy_the_stack_first_from_every_verb(aws_stack, verb):
    aws_stack.emulator.client("glue").delete_job(JobName=aws_stack[out.JOB_NAME])
    result = cli(aws_stack, *verb)
    assert_one_line_error(
        result, f"the Glue job '{aws_stack[out.JOB_NAME]}' does not exist in region us-east-1: deploy the stack first"
    )


def test_a_missing_workgroup_is_deploy_the_stack_first(aws_stack):
    aws_stack.emulator.client("athena").delete_work_group(
        WorkGroup=aws_stack[out.ATHENA_WORKGROUP], RecursiveDeleteOption=True
    )
    result = cli(aws_stack, "query")
    assert_one_line_error(
        result,
        f"the Athena workgroup '{aws_stack[out.ATHENA_WORKGROUP]}' does not exist in region us-east-1",
        "deploy the stack first",
    )


def test_a_missing_crawler_is_deploy_the_stack_first(aws_stack):
    aws_stack.emulator.client("glue").delete_crawler(Name=aws_stack[out.CRAWLER_NAME])
    result = cli(aws_stack, "register", "--method", "crawler")
    assert_one_line_error(result, f"the crawler '{aws_stack[out.CRAWLER_NAME]}' does not exist", "deploy the stack")


def test_a_region_without_the_stack_says_where_the_stack_is(aws_stack):
    result = cli(aws_stack, "status", env=aws_stack.emulator.env(AWS_REGION="eu-west-1"))
    # Calls in another region on purpose: the operator policy covers the stack's region only (on
    # AWS such a caller is refused with AccessDenied), so they are not held to it.
    forget_calls(aws_stack.emulator)
    assert_one_line_error(
        result,
        f"the Glue job '{aws_stack[out.JOB_NAME]}' does not exist in region eu-west-1",
        "the stack is in us-east-1",
        "unset AWS_REGION",
    )
