"""The rejects table on a real Hive metastore: the job registers each run's partition, a run
that rejects nothing or changes nothing registers none, runs past the retention lose their
partition and files, and on AWS the run ends with its metrics line.

Silver files are written by pyarrow; counts are checked against values written out here and
against DuckDB reading the quarantine files (an independent engine).
"""

from __future__ import annotations

import json
import os
import time

import duckdb
import pytest

from etl import job, quarantine
from etl.arguments import build_job_arguments, to_argv
from etl.errors import RejectRatioExceeded
from etl.rejects import rejects_by_month_sql, rejects_by_reason_sql, runs_beyond_last
from etl.schema import REJECTS, create_table_sql

VALID = [dict(idade=30 + i % 3, ativo=i % 2 == 0, salario=1000.0 + i, nome=f"p{i}") for i in range(8)]
# Four rejected rows, five reasons: one row fails two rules.
JANUARY_BAD = [
    dict(idade=200, ativo=True, salario=10.0, nome="too-old"),
    dict(idade=40, ativo=None, salario=-5.0, nome="negative-and-no-ativo"),
]
FEBRUARY_BAD = [
    dict(idade=None, ativo=True, salario=10.0, nome="no-age"),
    dict(idade=300, ativo=False, salario=10.0, nome="older"),
]
REASONS = {"idade outside 0..120": 2, "ativo is null": 1, "idade is null": 1, "salario is negative": 1}


@pytest.fixture
def rejects(lake):
    """The rejects table in the local catalog, declared from etl.schema at the quarantine location."""
    lake.spark.sql(f"DROP TABLE IF EXISTS {REJECTS.qualified_name}")
    lake.spark.sql(create_table_sql(REJECTS, lake.layout.quarantine))
    yield REJECTS
    lake.spark.sql(f"DROP TABLE IF EXISTS {REJECTS.qualified_name}")


def run(lake, run_id: str, max_reject_ratio: float = 0.5, **options):
    lake.register()
    arguments = build_job_arguments(lake.layout, max_reject_ratio=max_reject_ratio, **options)
    arguments["--JOB_RUN_ID"] = run_id
    return job.main(to_argv(arguments), spark=lake.spark)


def partitions(lake) -> list[str]:
    return sorted(r[0] for r in lake.spark.sql(f"SHOW PARTITIONS {REJECTS.qualified_name}").collect())


def count(lake, run_id: str) -> int:
    return lake.spark.sql(f"SELECT count(*) FROM {REJECTS.qualified_name} WHERE run_id = '{run_id}'").first()[0]


def quarantine_dir(lake, run_id: str):
    return lake.root / "quarantine" / "sample_data_aggregated" / f"run_id={run_id}"


def duckdb_count(folder) -> int:
    return duckdb.sql(f"SELECT count(*) FROM read_parquet('{folder}/*.parquet')").fetchall()[0][0]


def write_silver_with_rejects(lake) -> None:
    lake.write_partition(2024, 1, VALID + JANUARY_BAD)
    lake.write_partition(2024, 2, VALID[:5] + FEBRUARY_BAD)


def test_a_run_registers_its_partition_and_the_table_counts_its_rejected_rows(lake, rejects):
    write_silver_with_rejects(lake)
    report = run(lake, "run-a")

    assert report.rows_rejected == 4
    assert report.rejects_partition == "run_id=run-a"
    assert partitions(lake) == ["run_id=run-a"]
    assert count(lake, "run-a") == 4 == duckdb_count(quarantine_dir(lake, "run-a"))
    by_reason = lake.spark.sql(rejects_by_reason_sql(rejects, "run-a")).collect()
    assert {r["reason"]: r["rejected_rows"] for r in by_reason} == REASONS
    by_month = [tuple(r) for r in lake.spark.sql(rejects_by_month_sql(rejects, "run-a")).collect()]
    assert by_month == [(2024, 1, 2), (2024, 2, 2)]
    # The Athena text of the same question, run by DuckDB on the files, gives the same counts.
    con = duckdb.connect()
    con.sql("CREATE SCHEMA gold_data")
    con.sql(
        "CREATE VIEW gold_data.sample_data_aggregated_rejects AS SELECT * FROM read_parquet("
        f"'{lake.root}/quarantine/sample_data_aggregated/*/*.parquet', hive_partitioning = true)"
    )
    athena = con.sql(rejects_by_reason_sql(rejects, "run-a", dialect="athena")).fetchall()
    assert dict(athena) == REASONS
    assert athena[0] == ("idade outside 0..120", 2)


def test_a_run_with_no_rejects_registers_nothing(lake, rejects):
    lake.write_partition(2024, 1, VALID)
    report = run(lake, "run-clean")
    assert report.status == "succeeded" and report.rows_rejected == 0
    assert report.rejects_partition == ""
    assert partitions(lake) == []
    assert not quarantine_dir(lake, "run-clean").exists()


def test_an_incremental_run_that_changes_nothing_registers_nothing(lake, rejects):
    write_silver_with_rejects(lake)
    first = run(lake, "run-first")
    again = run(lake, "run-again")
    assert first.rejects_partition == "run_id=run-first"
    assert again.plan == "incremental" and again.partitions_processed == 0
    assert (again.rows_rejected, again.rejects_partition) == (0, "")
    assert partitions(lake) == ["run_id=run-first"]
    assert count(lake, "run-first") == 4


def test_a_run_the_gate_fails_registers_the_rows_it_rejected(lake, rejects):
    write_silver_with_rejects(lake)
    with pytest.raises(RejectRatioExceeded):
        run(lake, "run-refused", max_reject_ratio=0.1)
    assert partitions(lake) == ["run_id=run-refused"]
    assert count(lake, "run-refused") == 4


def test_whole_row_quarantine_files_read_through_the_lean_table(lake, rejects):
    write_silver_with_rejects(lake)
    report = run(lake, "run-all", quarantine_columns="all")
    assert report.rejects_partition == "run_id=run-all"
    rows = lake.spark.sql(
        f"SELECT id, idade, salario, ano, mes, reject_reasons FROM {REJECTS.qualified_name} "
        "WHERE run_id = 'run-all' ORDER BY salario, idade NULLS LAST"
    ).collect()
    # silver has no id column: the table reads it as null; `nome` is in the files, not the table.
    assert [tuple(r) for r in rows] == [
        (None, 40, -5.0, 2024, 1, ["ativo is null", "salario is negative"]),
        (None, 200, 10.0, 2024, 1, ["idade outside 0..120"]),
        (None, 300, 10.0, 2024, 2, ["idade outside 0..120"]),
        (None, None, 10.0, 2024, 2, ["idade is null"]),
    ]
    files = f"{quarantine_dir(lake, 'run-all')}/*.parquet"
    assert "nome" in [row[0] for row in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{files}')").fetchall()]


def test_without_the_table_the_run_succeeds_and_the_rows_are_in_the_quarantine_only(lake):
    lake.spark.sql(f"DROP TABLE IF EXISTS {REJECTS.qualified_name}")
    write_silver_with_rejects(lake)
    report = run(lake, "run-no-table")
    assert report.status == "succeeded" and report.rejects_partition == ""
    assert duckdb_count(quarantine_dir(lake, "run-no-table")) == 4


def _age(folder, days: float) -> None:
    """Date every file under `folder` (Hadoop's .crc files too) `days` days back."""
    stamp = time.time() - days * 86_400
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (stamp, stamp))


def test_runs_past_the_retention_lose_their_partition_and_their_files(lake, rejects):
    write_silver_with_rejects(lake)
    run(lake, "run-old")
    run(lake, "run-recent", mode="full")
    _age(quarantine_dir(lake, "run-old"), 40)
    _age(quarantine_dir(lake, "run-recent"), 10)
    orphan = quarantine_dir(lake, "run-orphan")  # a folder no partition names
    orphan.mkdir()
    (orphan / "part-0.parquet").write_bytes(b"old")
    _age(orphan, 35)
    assert partitions(lake) == ["run_id=run-old", "run_id=run-recent"]

    # A run that changes nothing still applies the retention.
    report = run(lake, "run-now", quarantine_retention_days=30)
    assert report.partitions_processed == 0
    assert report.quarantine_runs_expired == 2
    assert partitions(lake) == ["run_id=run-recent"]
    assert not quarantine_dir(lake, "run-old").exists() and not orphan.exists()
    assert count(lake, "run-recent") == 4


def test_keeping_the_last_runs_removes_the_older_runs_partitions_and_files_together(lake, rejects):
    """What a local `--keep-runs` does with the job's public functions."""
    write_silver_with_rejects(lake)
    for age, run_id in ((3, "run-1"), (2, "run-2"), (1, "run-3")):
        run(lake, run_id, mode="full")
        _age(quarantine_dir(lake, run_id), age)
    newest, registered = quarantine.quarantine_runs(lake.spark, rejects, lake.layout.quarantine)
    assert sorted(registered) == ["run-1", "run-2", "run-3"] == sorted(newest)
    removed = quarantine.drop_quarantine_runs(
        lake.spark, rejects, lake.layout.quarantine, runs_beyond_last(newest, 1), registered
    )
    assert removed == ["run-1", "run-2"]
    assert partitions(lake) == ["run_id=run-3"]
    assert [p.name for p in (lake.root / "quarantine" / "sample_data_aggregated").iterdir()] == ["run_id=run-3"]


def test_on_aws_every_run_ends_with_its_metrics_line_on_stdout(lake, rejects, capsys):
    write_silver_with_rejects(lake)
    report = run(lake, "jr_0a1b", stack="dev")
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith('{"event"')]
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert {k: record[k] for k in ("event", "stack", "job", "run_id", "status", "succeeded", "failed")} == {
        "event": "silver-to-gold.run",
        "stack": "dev",
        "job": "job-transform-silver-to-gold",
        "run_id": "jr_0a1b",
        "status": "succeeded",
        "succeeded": 1,
        "failed": 0,
    }
    assert (record["rows_read"], record["rows_rejected"], record["rows_written"]) == (17, 4, report.rows_written)
    assert record["reject_ratio"] == 0.235294  # 4 / 17
    with pytest.raises(RejectRatioExceeded):
        run(lake, "jr_0a1c", stack="dev", max_reject_ratio=0.01, mode="full")
    (failed,) = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith('{"event"')]
    assert (failed["status"], failed["succeeded"], failed["failed"], failed["rows_rejected"]) == ("failed", 0, 1, 4)
    run(lake, "local-no-stack")
    assert '{"event"' not in capsys.readouterr().out
