"""`python -m automation local` end to end, as a user runs it: a subprocess, exit codes,
stdout and stderr. Rejected-row counts are checked against DuckDB over the silver files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.e2e


# What `local` writes on stderr in a log or a pipe besides its one error line: a step's start
# (`→`), its heartbeats (`·`) and its outcome (`✓`).
PROGRESS = ("→ ", "· ", "✓ ")


def run_cli(args: list[str], env: dict, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "automation", "local", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


def last_json_line(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def test_local_pipeline_end_to_end_then_query_and_rejects_then_a_noop_rerun(tmp_path, cli_env):
    """`make demo` as a user runs it; then the rejects table through `query --lake`, and
    `rejects --json` against DuckDB reading the quarantine files; then a rerun that does nothing."""
    lake = tmp_path / "lake"
    first = run_cli(["--lake", str(lake), "--rows", "20000", "--json"], cli_env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    report = last_json_line(first.stdout)

    silver = f"read_parquet('{lake}/silver/sample_data_partitioned/*/*/*.parquet', hive_partitioning = true)"
    invalid = duckdb.sql(
        f"SELECT count(*) FROM {silver} WHERE idade IS NULL OR idade > 120 OR ativo IS NULL "
        "OR salario IS NULL OR isnan(salario) OR salario < 0"
    ).fetchall()[0][0]
    assert report["status"] == "succeeded"
    assert report["rows_read"] == 20000
    assert report["rows_rejected"] == invalid > 0
    assert len(report["gold_partitions"]) == 36
    assert set(report["files_per_partition"].values()) == {1}
    assert len(report["preview"]) == 10
    assert set(report["preview"][0]) == {"idade", "ativo", "salario_medio", "ano", "mes"}
    assert report["preview_sql"] == "SELECT * FROM gold_data.sample_data_aggregated LIMIT 10"
    assert report["gold_location"].rstrip("/").endswith("gold/sample_data_aggregated")
    assert {"job", "total"} <= set(report["seconds"])
    # The quarantine is lean by default: no `nome`, the row's origin instead.
    quarantine = report["quarantine_location"].removeprefix("file://")
    described = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{quarantine}*.parquet', hive_partitioning = false)")
    columns = [c[0] for c in described.fetchall()]
    assert columns == ["id", "silver_file", "silver_row", "idade", "ativo", "salario", "ano", "mes", "reject_reasons"]
    # Every step is shown with its time on stderr.
    for step in ("start", "provision catalog", "load silver", "run job", "register partitions", "verify", "rejects"):
        assert f"✓ {step}" in first.stderr
    # Nothing lands in the working directory: metastore, derby.log and warehouse are in the lake.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake"]

    assert_query_and_rejects_answer_from_the_lake(lake, report, cli_env, tmp_path)

    second = run_cli(["--lake", str(lake), "--rows", "20000"], cli_env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "salario_medio" in second.stdout  # the preview table
    assert "Run summary" in second.stdout
    assert "nothing changed in silver" in second.stderr


def automation(args: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "automation", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def assert_query_and_rejects_answer_from_the_lake(lake: Path, report: dict, env: dict, cwd: Path) -> None:
    """After a run: the rejects table through `query --lake`, and `rejects --json` against
    DuckDB reading the quarantine files."""
    assert report["rows_rejected"] > 0 and report["rejects_partition"] == f"run_id={report['run_id']}"

    sql = "SELECT reject_reasons, count(*) FROM gold_data.sample_data_aggregated_rejects GROUP BY 1"
    query = automation(["query", "--lake", str(lake), "--sql", sql, "--json"], env, cwd)
    assert query.returncode == 0, query.stderr
    answer = last_json_line(query.stdout)
    assert answer["columns"] == ["reject_reasons", "count(1)"]
    assert sum(row["count(1)"] for row in answer["rows"]) == report["rows_rejected"]

    rejects = automation(["rejects", "--lake", str(lake), "--json"], env, cwd)
    assert rejects.returncode == 0, rejects.stderr
    summary = last_json_line(rejects.stdout)
    files = f"read_parquet('{report['quarantine_location'].removeprefix('file://')}*.parquet')"
    by_reason = duckdb.sql(
        f"SELECT reason, count(*) AS n FROM (SELECT unnest(reject_reasons) AS reason FROM {files}) "
        "GROUP BY reason ORDER BY n DESC, reason"
    ).fetchall()
    assert [(r["reason"], r["rejected_rows"]) for r in summary["by_reason"]] == by_reason
    assert report["rejects_by_reason"] == summary["by_reason"]  # the run's summary said the same
    assert summary["run_id"] == report["run_id"]  # the latest run, from latest.json
    assert summary["rows_in_table"] == summary["rows_rejected"] == report["rows_rejected"]
    assert summary["max_reject_ratio"] == 0.05
    assert len(summary["trace"]) == 5 and set(summary["trace"][0]) == {
        "id",
        "silver_file",
        "silver_row",
        "reject_reasons",
    }


def test_query_and_rejects_on_a_folder_without_a_lake_are_one_line(tmp_path, cli_env):
    for verb in ("query", "rejects"):
        result = automation([verb, "--lake", str(tmp_path / "nowhere")], cli_env, tmp_path)
        assert_one_line_error(result, "holds no local catalog: run `python -m automation local --lake")


def test_quarantine_columns_all_keeps_whole_rows(tmp_path, cli_env):
    lake = tmp_path / "lake"
    result = run_cli(
        ["--lake", str(lake), "--rows", "3000", "--months", "2", "--quarantine-columns", "all", "--json"],
        cli_env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    quarantine = last_json_line(result.stdout)["quarantine_location"].removeprefix("file://")
    rows = duckdb.sql(f"SELECT nome, id, silver_row FROM read_parquet('{quarantine}*.parquet')").fetchall()
    assert rows and all(nome == f"pessoa-{id_}" for nome, id_, _ in rows)


def test_registered_silver_path_with_text_salario_is_a_contract_violation(tmp_path, cli_env):
    silver = tmp_path / "my-silver"
    (silver / "ano=2024" / "mes=1").mkdir(parents=True)
    table = pa.table({"idade": pa.array([30], pa.int32()), "ativo": [True], "salario": ["1000"]})
    pq.write_table(table, silver / "ano=2024" / "mes=1" / "part-0.parquet")
    result = run_cli(["--lake", str(tmp_path / "lake"), "--silver-path", str(silver)], cli_env, cwd=tmp_path)
    assert_one_line_error(result, "schema contract violated", "salario has type string")


def test_a_corrupt_silver_file_is_one_line_naming_it_and_spark_s_log(tmp_path, cli_env):
    """Spark's own log lines (the executor's stack trace) go to the lake's log file, never the
    terminal: stderr holds the step lines and one error line, which names both files."""
    silver = tmp_path / "my-silver"
    rows = {
        "idade": pa.array(range(1000), pa.int32()),
        "ativo": [True] * 1000,
        "salario": [1.0 * i for i in range(1000)],
    }
    for mes in (1, 2):
        (silver / "ano=2024" / f"mes={mes}").mkdir(parents=True)
        pq.write_table(pa.table(rows), silver / "ano=2024" / f"mes={mes}" / "part-0.parquet")
    broken = silver / "ano=2024" / "mes=2" / "part-0.parquet"
    data = bytearray(broken.read_bytes())
    data[8:2000] = b"\xff" * 1992  # the data pages, not the frame: only Spark's read finds it
    broken.write_bytes(bytes(data))
    lake = tmp_path / "lake"

    result = run_cli(["--lake", str(lake), "--silver-path", str(silver)], cli_env, cwd=tmp_path)

    assert_one_line_error(result, f"{broken}", f"(Spark's log: {lake / 'logs' / 'spark.log'})")
    others = [line for line in result.stderr.splitlines() if not line.startswith(("error: ", *PROGRESS))]
    assert others == []
    assert "Encountered error while reading file" in (lake / "logs" / "spark.log").read_text()


def test_reject_ratio_exceeded_is_refused(tmp_path, cli_env):
    result = run_cli(
        ["--lake", str(tmp_path / "lake"), "--rows", "3000", "--months", "2", "--invalid-fraction", "0.5"],
        cli_env,
        cwd=tmp_path,
    )
    assert_one_line_error(result, "failed the quality rules, above max_reject_ratio 5.00%")
    assert not list((tmp_path / "lake" / "gold" / "sample_data_aggregated").glob("ano=*"))


def test_missing_silver_path(tmp_path, cli_env):
    result = run_cli(["--lake", str(tmp_path / "lake"), "--silver-path", str(tmp_path / "nope")], cli_env, cwd=tmp_path)
    assert_one_line_error(result, "--silver-path", "does not exist")


def test_silver_path_that_is_not_parquet(tmp_path, cli_env):
    folder = tmp_path / "csv" / "ano=2024" / "mes=1"
    folder.mkdir(parents=True)
    (folder / "data.csv").write_text("idade,ativo,salario\n30,true,1000\n")
    result = run_cli(["--lake", str(tmp_path / "lake"), "--silver-path", str(tmp_path / "csv")], cli_env, cwd=tmp_path)
    assert_one_line_error(result, "is not Parquet", "data.csv")


def test_silver_path_without_partition_folders(tmp_path, cli_env):
    (tmp_path / "flat").mkdir()
    result = run_cli(["--lake", str(tmp_path / "lake"), "--silver-path", str(tmp_path / "flat")], cli_env, cwd=tmp_path)
    assert_one_line_error(result, "has no ano=/mes= folders")


def test_java_missing_is_named(tmp_path, cli_env):
    env = {**cli_env, "PATH": str(tmp_path / "empty-bin")}
    env.pop("JAVA_HOME", None)
    result = run_cli(["--lake", str(tmp_path / "lake"), "--rows", "10"], env, cwd=tmp_path)
    assert_one_line_error(result, "Java 17 is required")


def test_bad_option_values_are_usage_errors(tmp_path, cli_env):
    result = run_cli(["--rows", "0"], cli_env, cwd=tmp_path)
    assert result.returncode == 2
    assert "--rows: must be at least 1" in result.stderr
    result = run_cli(["--quarantine-columns", "some"], cli_env, cwd=tmp_path)
    assert result.returncode == 2
    assert "--quarantine-columns: invalid choice: 'some' (choose from 'lean', 'all')" in result.stderr
