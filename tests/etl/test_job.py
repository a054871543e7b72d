"""The job end to end on a real catalog and real Parquet files.

Silver files are written by pyarrow, results are checked by DuckDB (an independent engine)
or against values written out here.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from etl import job
from etl.arguments import build_job_arguments, to_argv
from etl.errors import (
    EmptySilverError,
    LakeWriteError,
    PipelineError,
    RejectRatioExceeded,
    SchemaContractError,
    SilverReadError,
)
from etl.sample import SampleSpec
from etl.schema import QUARANTINE_LEAN_COLUMNS
from tests.etl.spark_sample import generate_silver, write_silver


def people(n: int, seed: int, salary_base: float = 1000.0) -> list[dict]:
    rng = random.Random(seed)
    return [
        dict(
            idade=rng.randint(20, 23), ativo=rng.random() < 0.5, salario=salary_base + rng.random() * 1000, nome=f"p{i}"
        )
        for i in range(n)
    ]


def gold_by_key(lake) -> dict[tuple, float]:
    rows = duckdb.sql(
        f"SELECT idade, ativo, ano, mes, salario_medio FROM read_parquet('{lake.gold_dir}/*/*/*.parquet', "
        "hive_partitioning = true)"
    ).fetchall()
    return {(r[0], r[1], r[2], r[3]): r[4] for r in rows}


DUCKDB_RULES = """
    ano BETWEEN 1900 AND 2100 AND mes BETWEEN 1 AND 12 AND idade BETWEEN 0 AND 120
    AND ativo IS NOT NULL AND salario IS NOT NULL AND NOT isnan(salario) AND NOT isinf(salario)
    AND salario >= 0
"""


def duckdb_expected(silver_glob: str) -> tuple[dict[tuple, float], int, int]:
    """Gold, rows read and rows rejected, computed by DuckDB from the silver files."""
    source = f"read_parquet('{silver_glob}', hive_partitioning = true)"
    rows = duckdb.sql(
        f"SELECT idade, ativo, ano, mes, avg(salario) FROM {source} WHERE {DUCKDB_RULES} GROUP BY ALL"
    ).fetchall()
    total = duckdb.sql(f"SELECT count(*) FROM {source}").fetchall()[0][0]
    valid = duckdb.sql(f"SELECT count(*) FROM {source} WHERE {DUCKDB_RULES}").fetchall()[0][0]
    return {(r[0], r[1], r[2], r[3]): r[4] for r in rows}, total, total - valid


def local_path(uri: str) -> str:
    """A `file:` URI as Spark writes it (percent-encoded) -> the local path."""
    return unquote(urlparse(uri).path)


def identities_with(quarantined):
    return [(local_path(f), r, reasons) for f, r, reasons in quarantined]


def duckdb_rejected_positions(silver_glob: str) -> list[tuple[str, int]]:
    """(file, 0-based row number) of every silver row failing the rules, as DuckDB reads them."""
    rows = duckdb.sql(
        f"SELECT filename, file_row_number FROM read_parquet('{silver_glob}', hive_partitioning = true, "
        f"filename = true, file_row_number = true) WHERE NOT coalesce({DUCKDB_RULES}, false)"
    ).fetchall()
    return sorted((str(Path(f).resolve()), int(r)) for f, r in rows)


def test_gold_equals_duckdbs_computation_on_sample_data_with_bad_rows(spark, lake):
    write_silver(
        generate_silver(spark, SampleSpec(rows=30_000, months=6, invalid_fraction=0.02, seed=7)), lake.layout.silver
    )
    # Rows the generator does not make: out-of-range months and years, infinite salaries.
    lake.write_partition(2023, 13, [dict(idade=30, ativo=True, salario=10.0, nome="bad-month")], name="extra.parquet")
    lake.write_partition(1800, 1, [dict(idade=30, ativo=True, salario=10.0, nome="bad-year")], name="extra.parquet")
    lake.write_partition(
        2023,
        1,
        [dict(idade=30, ativo=True, salario=math.inf, nome="inf"), dict(idade=30, ativo=True, salario=5.0, nome="ok")],
        name="extra.parquet",
    )
    report = lake.run(mode="full")

    expected, total, rejected = duckdb_expected(f"{lake.silver_dir}/*/*/*.parquet")
    actual = gold_by_key(lake)
    assert report.rows_read == total == 30_004
    assert report.rows_rejected == rejected
    assert rejected > 500  # the generator's 2% plus the hand-made rows
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, rel=1e-9), key
    # Every rejected row exactly once: the quarantine's (file, position) pairs are the ones
    # DuckDB finds failing the rules, each once.
    quarantined = duckdb.sql(
        f"SELECT silver_file, silver_row, reject_reasons FROM read_parquet('{lake.root}/quarantine/*/*/*.parquet')"
    ).fetchall()
    identities = [(local_path(f), r) for f, r, _ in quarantined]
    assert len(identities) == len(set(identities)) == rejected
    assert sorted(identities) == duckdb_rejected_positions(f"{lake.silver_dir}/*/*/*.parquet")
    assert all(reasons for _, _, reasons in quarantined)
    reasons = {
        (str(Path(f).relative_to(lake.silver_dir.resolve())), r): reasons
        for f, r, reasons in identities_with(quarantined)
    }
    assert reasons[("ano=2023/mes=13/extra.parquet", 0)] == ["mes outside 1..12"]
    assert reasons[("ano=1800/mes=1/extra.parquet", 0)] == ["ano outside 1900..2100"]
    assert reasons[("ano=2023/mes=1/extra.parquet", 0)] == ["salario is infinite"]
    assert report.rows_written == len(expected)


def test_one_snappy_file_per_gold_partition_registered_in_the_catalog(spark, lake):
    for mes in (1, 2, 3):
        for part in range(3):  # several silver files per partition
            lake.write_partition(2024, mes, people(200, seed=mes * 10 + part), name=f"part-{part}.parquet")
    report = lake.run()
    files = lake.gold_parquet_files()
    assert sorted(files) == ["ano=2024/mes=1", "ano=2024/mes=2", "ano=2024/mes=3"]
    assert all(len(paths) == 1 for paths in files.values()), files
    assert report.files_written == 3
    assert lake.catalog_partitions() == ["ano=2024/mes=1", "ano=2024/mes=2", "ano=2024/mes=3"]
    for (path,) in files.values():
        metadata = pq.ParquetFile(path).metadata
        codecs = {
            metadata.row_group(g).column(c).compression
            for g in range(metadata.num_row_groups)
            for c in range(metadata.num_columns)
        }
        assert codecs == {"SNAPPY"}


def test_results_written_out_by_hand(spark, lake):
    lake.write_partition(
        2024,
        1,
        [
            dict(idade=30, ativo=True, salario=1000.0, nome="a"),
            dict(idade=30, ativo=True, salario=2000.0, nome="b"),
            dict(idade=30, ativo=False, salario=700.0, nome="c"),
            dict(idade=31, ativo=None, salario=700.0, nome="rejected"),
        ],
    )
    lake.write_partition(2024, 2, [dict(idade=55, ativo=False, salario=3333.5, nome="d")])
    report = lake.run(max_reject_ratio=0.5)
    assert gold_by_key(lake) == {(30, True, 2024, 1): 1500.0, (30, False, 2024, 1): 700.0, (55, False, 2024, 2): 3333.5}
    assert (report.rows_read, report.rows_rejected, report.rows_written) == (5, 1, 3)
    assert report.status == "succeeded"


def test_incremental_new_changed_removed_and_unchanged(spark, lake):
    for mes in (1, 2, 3):
        lake.write_partition(2024, mes, people(100, seed=mes))
    first = lake.run()
    assert first.partitions_processed == 3
    before = lake.gold_files()

    # A new month: only it is processed; the other gold files are untouched.
    lake.write_partition(2024, 4, people(100, seed=4))
    second = lake.run()
    assert (second.partitions_processed, second.partitions_written, second.rows_read) == (1, 1, 100)
    after = lake.gold_files()
    for path, digest in before.items():
        if path.startswith(("ano=2024/mes=1/", "ano=2024/mes=2/", "ano=2024/mes=3/")):
            assert after[path] == digest, path

    # A changed month is recomputed from all of its rows.
    lake.write_partition(
        2024,
        2,
        [dict(idade=40, ativo=True, salario=10.0, nome="x"), dict(idade=40, ativo=True, salario=30.0, nome="y")],
    )
    third = lake.run()
    assert third.partitions_processed == 1
    gold = gold_by_key(lake)
    assert {k: v for k, v in gold.items() if k[3] == 2} == {(40, True, 2024, 2): 20.0}

    # A removed month is dropped from the catalog and from storage.
    for path in (lake.silver_dir / "ano=2024" / "mes=3").iterdir():
        path.unlink()
    (lake.silver_dir / "ano=2024" / "mes=3").rmdir()
    fourth = lake.run()
    assert (fourth.partitions_processed, fourth.partitions_dropped) == (0, 1)
    assert lake.catalog_partitions() == ["ano=2024/mes=1", "ano=2024/mes=2", "ano=2024/mes=4"]
    assert not (lake.gold_dir / "ano=2024" / "mes=3").exists()

    # Nothing changed: a successful no-op, gold byte-identical, state not rewritten.
    state_file = lake.root / "gold" / "_state" / "sample_data_aggregated" / "fingerprints.json"
    settled, state_mtime = lake.gold_files(), state_file.stat().st_mtime_ns
    fifth = lake.run()
    assert fifth.status == "succeeded"
    assert (fifth.partitions_processed, fifth.partitions_dropped, fifth.rows_read, fifth.files_written) == (0, 0, 0, 0)
    assert lake.gold_files() == settled
    assert state_file.stat().st_mtime_ns == state_mtime


def test_full_mode_recomputes_everything(spark, lake):
    for mes in (1, 2):
        lake.write_partition(2024, mes, people(50, seed=mes))
    lake.run()
    report = lake.run(mode="full")
    assert (report.partitions_processed, report.partitions_written, report.rows_read) == (2, 2, 100)
    assert all(len(p) == 1 for p in lake.gold_parquet_files().values())


def test_a_lost_gold_partition_is_rebuilt_by_the_next_incremental_run(spark, lake):
    for mes in (1, 2):
        lake.write_partition(2024, mes, people(50, seed=mes))
    lake.run()
    expected = gold_by_key(lake)
    spark.sql("ALTER TABLE gold_data.sample_data_aggregated DROP PARTITION (ano = 2024, mes = 2)")
    for path in (lake.gold_dir / "ano=2024" / "mes=2").iterdir():
        path.unlink()
    report = lake.run()
    assert report.partitions_processed == 1
    assert gold_by_key(lake) == pytest.approx(expected)


@pytest.mark.parametrize("mode", ["incremental", "full"])
def test_a_corrupt_silver_file_fails_the_run_and_leaves_gold_byte_identical(spark, lake, mode):
    for mes in (1, 2):
        lake.write_partition(2024, mes, people(50, seed=mes))
    lake.run()
    before = lake.gold_files()
    (lake.silver_dir / "ano=2024" / "mes=2" / "part-9.parquet").write_bytes(b"PAR1 this is not really parquet PAR1")
    with pytest.raises(SilverReadError) as error:
        lake.run(mode=mode)
    assert "part-9.parquet is a corrupt Parquet file" in str(error.value)
    assert lake.gold_files() == before
    assert lake.catalog_partitions() == ["ano=2024/mes=1", "ano=2024/mes=2"]


def test_empty_silver_fails_clearly_and_leaves_gold(spark, lake):
    lake.write_partition(2024, 1, people(20, seed=1))
    lake.run()
    before = lake.gold_files()
    for path in (lake.silver_dir / "ano=2024" / "mes=1").iterdir():
        path.unlink()
    with pytest.raises(EmptySilverError, match="has no data files: nothing was written and gold is unchanged"):
        lake.run()
    assert lake.gold_files() == before
    assert lake.catalog_partitions() == ["ano=2024/mes=1"]


def test_silver_with_files_but_no_rows_is_empty(spark, lake):
    lake.write_partition(2024, 1, [])
    with pytest.raises(EmptySilverError, match="has no rows"):
        lake.run()
    assert lake.gold_files() == {}


def test_schema_contract_violation_fails_before_anything_is_written(spark, lake):
    schema = pa.schema([("idade", pa.int32()), ("ativo", pa.bool_()), ("salario", pa.string())])
    lake.write_partition(2024, 1, [dict(idade=30, ativo=True, salario="1000")], schema=schema)
    with pytest.raises(SchemaContractError, match="salario has type string"):
        lake.run()
    assert lake.gold_files() == {}
    # The catalog's provisioning created the rejects table's (empty) location; the run wrote nothing there.
    assert not [p for p in (lake.root / "quarantine").rglob("*") if p.is_file()]


def test_too_many_rejects_fail_before_gold_is_written(spark, lake):
    lake.write_partition(2024, 1, people(50, seed=1))
    lake.run()
    before = lake.gold_files()
    bad = [dict(idade=None, ativo=True, salario=1.0, nome=f"bad{i}") for i in range(10)]
    lake.write_partition(2024, 1, people(40, seed=2) + bad)
    with pytest.raises(RejectRatioExceeded, match=r"10 of 50 rows \(20.00%\) failed the quality rules"):
        lake.run()
    assert lake.gold_files() == before
    quarantined = duckdb.sql(f"SELECT count(*) FROM read_parquet('{lake.root}/quarantine/*/*/*.parquet')").fetchall()[
        0
    ][0]
    assert quarantined == 10


@pytest.mark.parametrize("columns", ["lean", "all"])  # one pass; or a second scan of the partitions with rejects
def test_quarantine_holds_exactly_the_rejected_rows_when_only_some_partitions_have_them(spark, lake, columns):
    lake.write_partition(2024, 1, people(30, seed=1))
    lake.write_partition(2024, 2, people(30, seed=2) + [dict(idade=500, ativo=True, salario=1.0, nome="too-old")])
    lake.write_partition(2024, 3, people(30, seed=3))
    lake.write_partition(2024, 4, people(30, seed=4) + [dict(idade=30, ativo=True, salario=None, nome="no-pay")])
    report = lake.run(max_reject_ratio=0.5, quarantine_columns=columns)
    assert (report.rows_read, report.rows_rejected, report.partitions_written) == (122, 2, 4)
    quarantined = duckdb.sql(
        f"SELECT silver_file, silver_row, ano, mes, reject_reasons FROM "
        f"read_parquet('{lake.root}/quarantine/*/*/*.parquet') ORDER BY mes"
    ).fetchall()
    assert [(Path(local_path(f)).relative_to(lake.silver_dir.resolve()), *rest) for f, *rest in quarantined] == [
        (Path("ano=2024/mes=2/part-0.parquet"), 30, 2024, 2, ["idade outside 0..120"]),
        (Path("ano=2024/mes=4/part-0.parquet"), 30, 2024, 4, ["salario is null"]),
    ]


def test_a_failed_quarantine_write_fails_the_run_and_the_next_run_redoes_it(spark, lake):
    lake.write_partition(2024, 1, people(40, seed=1) + [dict(idade=None, ativo=True, salario=1.0, nome="bad")])
    taken = lake.root / "quarantine" / "sample_data_aggregated" / "run_id=fixed-run"
    taken.mkdir(parents=True)  # the quarantine is written with errorifexists
    with pytest.raises(LakeWriteError, match=r"writing the quarantine failed: .*already exists.*next run recomputes"):
        lake.run(run_id="fixed-run")
    state_file = lake.root / "gold" / "_state" / "sample_data_aggregated" / "fingerprints.json"
    assert not state_file.exists()
    report = lake.run()
    assert (report.partitions_processed, report.rows_rejected) == (1, 1)
    assert state_file.exists()
    assert gold_by_key(lake).keys() == {(idade, ativo, 2024, 1) for idade in range(20, 24) for ativo in (True, False)}


def test_run_report_is_written_as_json(spark, lake):
    import json

    lake.write_partition(2024, 1, people(10, seed=1))
    report = lake.run()
    stored = json.loads(
        (lake.root / "gold" / "_reports" / "sample_data_aggregated" / f"{report.run_id}.json").read_text()
    )
    assert stored["status"] == "succeeded"
    assert stored["rows_read"] == 10
    assert set(stored["seconds"]) >= {"job", "total"}
    for key in (
        "mode",
        "rows_rejected",
        "rows_written",
        "partitions_processed",
        "partitions_written",
        "partitions_dropped",
        "files_written",
        "gold_location",
        "quarantine_location",
    ):
        assert key in stored


def quarantine_rows(lake) -> list[dict]:
    relation = duckdb.sql(
        f"SELECT * FROM read_parquet('{lake.root}/quarantine/*/*/*.parquet', hive_partitioning = false)"
    )
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


WITH_ID = pa.schema(
    [("id", pa.int64()), ("idade", pa.int32()), ("ativo", pa.bool_()), ("salario", pa.float64()), ("nome", pa.string())]
)


def test_a_rejected_row_is_traced_back_to_its_silver_file_and_position_with_pyarrow(spark, lake):
    # Several files per partition, several row groups per file, rejects scattered through them.
    schema = WITH_ID
    rng = random.Random(5)
    for mes in (1, 2):
        for part in range(2):
            rows = []
            for i in range(500):
                row = dict(id=mes * 10_000 + part * 1_000 + i, idade=rng.randint(20, 60), ativo=True)
                row.update(salario=rng.random() * 1000, nome=f"p-{mes}-{part}-{i}")
                if i % 97 == 13:
                    row["salario"] = -1.0
                if i % 131 == 7:
                    row["idade"] = None
                rows.append(row)
            folder = lake.silver_dir / "ano=2024" / f"mes={mes}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                pa.Table.from_pylist(rows, schema=schema), folder / f"part-{part}.parquet", row_group_size=64
            )
    report = lake.run(max_reject_ratio=0.5)
    quarantined = quarantine_rows(lake)
    assert report.rows_rejected == len(quarantined) == 4 * (6 + 4)
    for row in quarantined:
        # Read the original row independently: pyarrow, the file named, the position given.
        original = pq.read_table(local_path(row["silver_file"])).slice(row["silver_row"], 1).to_pylist()[0]
        assert original["id"] == row["id"]
        assert original["idade"] == row["idade"]
        assert original["salario"] == row["salario"]
        assert original["ativo"] == row["ativo"]
        position = original["id"] % 1_000
        assert row["silver_row"] == position  # ids were written in file order
        assert original["nome"].endswith(f"-{position}")
        assert row["reject_reasons"] in (["idade is null"], ["salario is negative"])


@pytest.mark.parametrize("columns", ["lean", "all"])
def test_quarantine_columns_in_both_modes(spark, lake, columns):
    schema = WITH_ID
    rows = [
        dict(id=1, idade=30, ativo=True, salario=10.0, nome="ok"),
        dict(id=2, idade=30, ativo=None, salario=1.0, nome="x"),
    ]
    lake.write_partition(2024, 1, rows, schema=schema)
    lake.register()
    arguments = build_job_arguments(lake.layout, max_reject_ratio=0.9, quarantine_columns=columns)
    job.main(to_argv(arguments), spark=spark)
    described = duckdb.sql(
        f"DESCRIBE SELECT * FROM read_parquet('{lake.root}/quarantine/*/*/*.parquet', hive_partitioning = false)"
    ).fetchall()
    types = {name: type_ for name, type_, *_ in described}
    if columns == "lean":
        assert list(types) == [c.name for c in QUARANTINE_LEAN_COLUMNS]
        assert "nome" not in types
    else:
        assert list(types) == [
            "id",
            "idade",
            "ativo",
            "salario",
            "nome",
            "ano",
            "mes",
            "silver_file",
            "silver_row",
            "reject_reasons",
        ]
    assert (types["id"], types["silver_file"], types["silver_row"]) == ("BIGINT", "VARCHAR", "BIGINT")
    assert (types["idade"], types["ativo"], types["salario"], types["ano"], types["mes"]) == (
        "INTEGER",
        "BOOLEAN",
        "DOUBLE",
        "INTEGER",
        "INTEGER",
    )
    assert types["reject_reasons"] == "VARCHAR[]"
    (row,) = quarantine_rows(lake)
    assert (row["id"], row["silver_row"], row["reject_reasons"]) == (2, 1, ["ativo is null"])
    assert local_path(row["silver_file"]).endswith("silver/sample_data_partitioned/ano=2024/mes=1/part-0.parquet")


def test_the_quarantine_holds_every_rejected_row_exactly_once_by_count_and_identity(spark, lake):
    # Sample data as the benchmark makes it (ids, several files per partition), plus exact
    # duplicates of rejected rows in a file of their own: same id, same values, other rows.
    write_silver(
        generate_silver(spark, SampleSpec(rows=40_000, months=4, invalid_fraction=0.03, seed=11)), lake.layout.silver
    )
    duplicate = dict(id=7, nome="twin", idade=None, ativo=True, salario=1.0)
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("nome", pa.string()),
            ("idade", pa.int32()),
            ("ativo", pa.bool_()),
            ("salario", pa.float64()),
        ]
    )
    lake.write_partition(2023, 2, [duplicate] * 3, name="twins.parquet", schema=schema)
    report = lake.run(mode="full")
    silver_glob = f"{lake.silver_dir}/*/*/*.parquet"
    expected = duckdb.sql(
        f"SELECT filename, file_row_number, id FROM read_parquet('{silver_glob}', hive_partitioning = true, "
        f"filename = true, file_row_number = true) WHERE NOT coalesce({DUCKDB_RULES}, false)"
    ).fetchall()
    quarantined = duckdb.sql(
        f"SELECT silver_file, silver_row, id FROM read_parquet('{lake.root}/quarantine/*/*/*.parquet')"
    ).fetchall()
    assert report.rows_rejected == len(quarantined) == len(expected) > 1_000
    identities = sorted((local_path(f), r, i) for f, r, i in quarantined)
    assert len({(f, r) for f, r, _ in identities}) == len(identities)  # no row twice
    assert identities == sorted((str(Path(f).resolve()), int(r), i) for f, r, i in expected)
    assert sorted(r for f, r, i in identities if f.endswith("twins.parquet")) == [0, 1, 2]


def test_a_source_spark_cannot_give_positions_for_is_refused_clearly(spark, lake):
    lake.write_partition(2024, 1, people(20, seed=1) + [dict(idade=None, ativo=True, salario=1.0, nome="bad")])
    spark.conf.set("spark.sql.hive.convertMetastoreParquet", "false")  # Hive's SerDe reader: no _metadata
    try:
        with pytest.raises(PipelineError, match=r"cannot tell which file and row a rejected row .* came from"):
            lake.run(max_reject_ratio=0.5)
    finally:
        spark.conf.unset("spark.sql.hive.convertMetastoreParquet")
    assert lake.gold_files() == {}
