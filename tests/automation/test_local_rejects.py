"""The local backend's side of the rejects table, on a real Hive metastore: the catalog gets the
table, the job registers each run that rejected rows (and only those), `--keep-runs` removes
the oldest runs' files and partitions together, and the `rejects` answer through the local
catalog equals DuckDB reading the quarantine files (an independent engine).

Silver files are written by pyarrow (the `lake` fixture); the backend runs the real job.
"""

from __future__ import annotations

import duckdb

from automation.local import LocalBackend, LocalOptions, read_local_report, spark_query
from automation.rejects import summarize_rejects, top_reasons
from etl.schema import REJECTS

VALID = [dict(idade=30 + i % 3, ativo=i % 2 == 0, salario=1000.0 + i, nome=f"p{i}") for i in range(8)]
BAD = [
    dict(idade=200, ativo=True, salario=10.0, nome="too-old"),
    dict(idade=40, ativo=None, salario=-5.0, nome="negative-and-no-ativo"),
    dict(idade=None, ativo=True, salario=10.0, nome="no-age"),
]


def backend(lake, **options) -> LocalBackend:
    """A local backend on the fixture's lake and Spark session (the catalog provisioned)."""
    local = LocalBackend(LocalOptions(lake=lake.root, max_reject_ratio=0.5, **options))
    local.spark = lake.spark
    return local


def partitions(lake) -> list[str]:
    return sorted(r[0] for r in lake.spark.sql(f"SHOW PARTITIONS {REJECTS.qualified_name}").collect())


def run_folders(lake) -> list[str]:
    root = lake.root / "quarantine" / "sample_data_aggregated"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_the_local_catalog_declares_the_rejects_table_at_the_quarantine_location(lake):
    rows = lake.spark.sql(f"DESCRIBE TABLE EXTENDED {REJECTS.qualified_name}").collect()
    details = {row["col_name"]: row["data_type"] for row in rows}
    assert details["Location"].rstrip("/") == lake.layout.quarantine.rstrip("/").replace("file:///", "file:/")
    columns = [row["col_name"] for row in rows[: len(REJECTS.all_columns)]]
    assert columns == [c.name for c in REJECTS.all_columns]


def test_a_run_with_no_rejects_then_a_noop_run_register_nothing(lake):
    lake.write_partition(2024, 1, VALID)
    lake.register()
    local = backend(lake)

    clean = local.run_job()
    assert (clean.rows_rejected, clean.rejects_partition) == (0, "")
    assert partitions(lake) == [] and run_folders(lake) == []
    assert top_reasons(REJECTS, clean, local.query, "spark") == []

    noop = local.run_job()
    assert (noop.partitions_processed, noop.rejects_partition) == (0, "")
    assert partitions(lake) == [] and run_folders(lake) == []


def test_keep_runs_removes_the_oldest_runs_files_and_partitions_together(lake):
    lake.write_partition(2024, 1, VALID + BAD)
    lake.register()
    local = backend(lake, mode="full", keep_runs=2)

    reports = [local.run_job() for _ in range(3)]

    ids = [r.run_id for r in reports]
    assert [r.rejects_partition for r in reports] == [f"run_id={i}" for i in ids]
    assert [r.quarantine_runs_expired for r in reports] == [0, 0, 1]
    assert partitions(lake) == sorted(f"run_id={i}" for i in ids[1:])
    assert run_folders(lake) == sorted(f"run_id={i}" for i in ids[1:])
    # What the table still lists is still readable: 3 rows in each of the two newest runs.
    counts = spark_query(lake.spark, f"SELECT run_id, count(*) FROM {REJECTS.qualified_name} GROUP BY run_id")
    assert sorted(counts.rows) == sorted((i, 3) for i in ids[1:])


def test_keep_runs_0_keeps_every_run(lake):
    lake.write_partition(2024, 1, VALID + BAD)
    lake.register()
    local = backend(lake, mode="full", keep_runs=0)
    for _ in range(2):
        local.run_job()
    assert len(partitions(lake)) == 2 and len(run_folders(lake)) == 2


def test_the_rejects_answer_equals_duckdb_reading_the_quarantine_files(lake):
    lake.write_partition(2024, 1, VALID + BAD[:2])
    lake.write_partition(2024, 2, VALID[:4] + BAD[2:])
    lake.register()
    local = backend(lake)
    report = local.run_job()
    assert read_local_report(lake.root, "latest").run_id == report.run_id

    summary = summarize_rejects(
        REJECTS, report.run_id, report, lambda sql: spark_query(lake.spark, sql), dialect="spark", gate=0.5
    )

    files = f"read_parquet('{report.quarantine_location.removeprefix('file://')}*.parquet')"
    by_reason = duckdb.sql(
        f"SELECT reason, count(*) AS n FROM (SELECT unnest(reject_reasons) AS reason FROM {files}) "
        "GROUP BY reason ORDER BY n DESC, reason"
    ).fetchall()
    by_month = duckdb.sql(f"SELECT ano, mes, count(*) FROM {files} GROUP BY ALL ORDER BY ano, mes").fetchall()
    first = duckdb.sql(f"SELECT id, silver_file, silver_row FROM {files} ORDER BY silver_file, silver_row").fetchall()
    assert (
        summary.by_reason
        == by_reason
        == [
            ("ativo is null", 1),
            ("idade is null", 1),
            ("idade outside 0..120", 1),
            ("salario is negative", 1),
        ]
    )
    assert summary.by_month == by_month == [(2024, 1, 2), (2024, 2, 1)]
    assert summary.rows_in_table == report.rows_rejected == 3
    assert [(r["id"], r["silver_file"], r["silver_row"]) for r in summary.trace] == first
