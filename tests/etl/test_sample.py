"""The sample generator (numpy + pyarrow, no JVM) is the sample Spark's expressions define:
the same rows, row for row, read back by Spark from the files it wrote, for seeds that make
Spark's literals ints and bigints, months across a year's end, and every kind of bad row."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from etl.sample import SAMPLE_FILE, SampleSpec, write_sample
from tests.etl.spark_sample import generate_silver

SPECS = [
    SampleSpec(rows=5_000, months=3, invalid_fraction=0.1, seed=3),
    # Every row broken: all six kinds, in the proportions the hash picks.
    SampleSpec(rows=3_000, months=2, first_year=2024, first_month=11, invalid_fraction=1.0, seed=-5),
    # A seed past 32 bits is a bigint literal in Spark, hashed as a long.
    SampleSpec(rows=1_000, months=14, first_month=12, invalid_fraction=0.2, seed=2**40 + 9),
    SampleSpec(rows=2, months=5),  # fewer rows than months
]


@pytest.mark.spark
@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: f"rows={spec.rows},seed={spec.seed}")
def test_the_written_sample_is_the_rows_sparks_expressions_define(spark, tmp_path, spec):
    files = write_sample(spec, tmp_path / "silver")
    written = spark.read.parquet(str(tmp_path / "silver"))
    reference = generate_silver(spark, spec)
    columns = reference.columns
    assert sorted(written.columns) == sorted(columns)
    written = written.select(*columns)
    assert dict(written.dtypes) == dict(reference.dtypes)
    assert written.count() == spec.rows
    # exceptAll compares as Spark groups: NaN equals NaN, null equals null; both ways, so
    # neither side holds a row (or a duplicate) the other lacks.
    assert written.exceptAll(reference).count() == 0
    assert reference.exceptAll(written).count() == 0
    assert len(files) == min(spec.rows, spec.months)
    assert all(file.name == SAMPLE_FILE for file in files)


def test_a_sample_replaces_what_its_folder_held_and_big_months_go_in_row_groups(tmp_path, monkeypatch):
    import etl.sample

    folder = tmp_path / "silver"
    stale = folder / "ano=1999" / "mes=1" / "part-0.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    monkeypatch.setattr(etl.sample, "BATCH_ROWS", 100)  # a month of 500 rows in 5 row groups
    (only,) = write_sample(SampleSpec(rows=500, months=1, first_year=2025, first_month=7), folder)
    assert not stale.exists()
    assert only == folder / "ano=2025" / "mes=7" / SAMPLE_FILE
    parquet = pq.ParquetFile(only)
    assert parquet.metadata.num_row_groups == 5
    assert parquet.metadata.row_group(0).column(0).compression == "SNAPPY"
    ids = parquet.read(columns=["id"]).column("id").to_pylist()
    assert ids == list(range(500))


def test_the_same_spec_writes_the_same_bytes(tmp_path):
    spec = SampleSpec(rows=4_000, months=4)
    first = [p.read_bytes() for p in write_sample(spec, tmp_path / "a")]
    second = [p.read_bytes() for p in write_sample(spec, tmp_path / "b")]
    assert first == second


def test_the_asked_fraction_of_rows_breaks_one_rule_each_over_the_asked_months(tmp_path):
    """Read by DuckDB: 10 % asked, each bad row breaks exactly one rule, every kind appears."""
    import duckdb

    write_sample(SampleSpec(rows=20_000, months=3, first_month=12, invalid_fraction=0.1, seed=3), tmp_path)
    files = f"{tmp_path}/*/*/*.parquet"
    broken = duckdb.sql(
        "SELECT (idade IS NULL)::INT + coalesce(idade > 120, false)::INT + (ativo IS NULL)::INT"
        " + (salario IS NULL)::INT + coalesce(salario < 0, false)::INT + coalesce(isnan(salario), false)::INT AS rules,"
        " count(*) FROM read_parquet(?) GROUP BY rules ORDER BY rules",
        params=[files],
    ).fetchall()
    counts = dict(broken)
    assert set(counts) == {0, 1}  # never two rules broken in one row
    assert 1_800 <= counts[1] <= 2_200  # 10 % of 20,000, give or take the hash's spread
    kinds = duckdb.sql(
        "SELECT count(*) FILTER (idade IS NULL), count(*) FILTER (idade > 120), count(*) FILTER (ativo IS NULL),"
        " count(*) FILTER (salario IS NULL), count(*) FILTER (salario < 0), count(*) FILTER (isnan(salario))"
        " FROM read_parquet(?)",
        params=[files],
    ).fetchall()[0]
    assert all(250 <= n <= 420 for n in kinds), kinds  # a sixth of the bad rows each
    months = duckdb.sql(
        "SELECT ano, mes, count(*) FROM read_parquet(?, hive_partitioning = true) GROUP BY ALL ORDER BY ALL",
        params=[files],
    ).fetchall()
    assert months == [(2023, 12, 6_667), (2024, 1, 6_667), (2024, 2, 6_666)]
