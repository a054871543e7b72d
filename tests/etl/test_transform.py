"""The transformation on small inline DataFrames, expected values written out."""

import math

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from etl.transform import (
    SummaryCounts,
    aggregate,
    gold_rows,
    partitions_to_rescan,
    quarantined_rows,
    rejected_rows,
    summarize,
    summarize_with_rejects,
    summary_counts,
)


def with_origin(silver):
    """Inline rows have no file: stand-ins for the origin columns the job reads from `_metadata`."""
    return silver.select("*", F.lit("inline").alias("silver_file"), F.monotonically_increasing_id().alias("silver_row"))


SILVER = "idade int, ativo boolean, salario double, ano int, mes int, nome string"
GOLD = "idade int, ativo boolean, salario_medio double, ano int, mes int"


def test_aggregate_averages_salario_by_idade_ativo_ano_mes(spark):
    silver = spark.createDataFrame(
        [
            (30, True, 1000.0, 2024, 1, "a"),
            (30, True, 2000.0, 2024, 1, "b"),
            (30, True, 4000.0, 2024, 2, "c"),
            (30, False, 500.0, 2024, 1, "d"),
            (41, True, 10.0, 2023, 12, "e"),
            (41, True, 20.0, 2023, 12, "f"),
            (41, True, 60.0, 2023, 12, "g"),
        ],
        SILVER,
    )
    expected = spark.createDataFrame(
        [
            (30, True, 1500.0, 2024, 1),
            (30, True, 4000.0, 2024, 2),
            (30, False, 500.0, 2024, 1),
            (41, True, 30.0, 2023, 12),
        ],
        GOLD,
    )
    assertDataFrameEqual(aggregate(silver), expected)


def test_invalid_rows_are_left_out_of_gold_and_kept_whole_in_an_all_columns_quarantine(spark):
    silver = spark.createDataFrame(
        [
            (30, True, 1000.0, 2024, 1, "ok-1"),
            (30, True, 3000.0, 2024, 1, "ok-2"),
            (30, True, -5.0, 2024, 1, "negative"),
            (30, True, math.nan, 2024, 1, "nan"),
            (None, True, 99999.0, 2024, 1, "no-age"),
            (30, None, 99999.0, 2024, 1, "no-ativo"),
            (200, True, 99999.0, 2024, 13, "old-and-bad-month"),
        ],
        SILVER,
    )
    summary = summarize(silver)
    assertDataFrameEqual(gold_rows(summary), spark.createDataFrame([(30, True, 2000.0, 2024, 1)], GOLD))
    quarantine = {r["nome"]: r for r in quarantined_rows(with_origin(silver), "all").collect()}
    assert sorted(quarantine) == ["nan", "negative", "no-age", "no-ativo", "old-and-bad-month"]
    assert quarantine["negative"]["reject_reasons"] == ["salario is negative"]
    assert quarantine["nan"]["reject_reasons"] == ["salario is NaN"]
    assert quarantine["no-age"]["reject_reasons"] == ["idade is null"]
    assert quarantine["no-ativo"]["reject_reasons"] == ["ativo is null"]
    assert quarantine["old-and-bad-month"]["reject_reasons"] == ["mes outside 1..12", "idade outside 0..120"]
    # Rejected rows keep their original values and extra columns.
    assert quarantine["old-and-bad-month"]["idade"] == 200
    assert quarantine["negative"]["salario"] == -5.0
    assert (summary_counts(summary).rows_read, summary_counts(summary).rows_rejected) == (7, 5)


def test_identical_invalid_rows_are_each_quarantined(spark):
    silver = spark.createDataFrame([(None, True, 1.0, 2024, 1, "same")] * 3, SILVER)
    summary = summarize(silver)
    assert quarantined_rows(with_origin(silver)).count() == 3
    assert (summary_counts(summary).rows_read, summary_counts(summary).rows_rejected) == (3, 3)
    assert gold_rows(summary).count() == 0


def test_wider_source_types_are_read_as_the_gold_types(spark):
    silver = spark.createDataFrame(
        [(30, True, 1000, 2024, 1), (30, True, 2001, 2024, 1)],
        "idade bigint, ativo boolean, salario bigint, ano bigint, mes smallint",
    )
    assertDataFrameEqual(aggregate(silver), spark.createDataFrame([(30, True, 1500.5, 2024, 1)], GOLD))


def test_out_of_int_range_age_is_rejected_not_wrapped(spark):
    silver = spark.createDataFrame(
        [(2**32 + 30, True, 1.0, 2024, 1)], "idade bigint, ativo boolean, salario double, ano int, mes int"
    )
    summary = summarize(silver)
    assert (summary_counts(summary).rows_read, summary_counts(summary).rows_rejected) == (1, 1)
    assert quarantined_rows(with_origin(silver)).first()["idade"] == 2**32 + 30
    assert gold_rows(summary).count() == 0


def test_rejected_rows_keep_columns_of_any_type(spark):
    silver = spark.createDataFrame(
        [(30, True, 10.0, 2024, 1, {"k": 1}), (30, True, -1.0, 2024, 1, {"k": 2})],
        "idade int, ativo boolean, salario double, ano int, mes int, tags map<string,int>",
    )
    summary = summarize(silver)
    rejected = quarantined_rows(with_origin(silver), "all").collect()
    assert [(r["tags"], r["reject_reasons"]) for r in rejected] == [({"k": 2}, ["salario is negative"])]
    assertDataFrameEqual(gold_rows(summary), spark.createDataFrame([(30, True, 10.0, 2024, 1)], GOLD))


def test_a_lean_quarantine_holds_identity_origin_rule_columns_and_reasons_only(spark):
    silver = spark.createDataFrame(
        [(7, "ana", 30, True, 10.0, 2024, 1, "f1", 0), (8, "bia", 30, True, -1.0, 2024, 1, "f1", 1)],
        "id bigint, nome string, idade int, ativo boolean, salario double, ano int, mes int, "
        "silver_file string, silver_row bigint",
    )
    lean = quarantined_rows(silver)
    assert lean.columns == [
        "id",
        "silver_file",
        "silver_row",
        "idade",
        "ativo",
        "salario",
        "ano",
        "mes",
        "reject_reasons",
    ]
    assert [tuple(r) for r in lean.collect()] == [(8, "f1", 1, 30, True, -1.0, 2024, 1, ["salario is negative"])]
    whole = quarantined_rows(silver, "all")
    assert whole.columns == [
        "id",
        "nome",
        "idade",
        "ativo",
        "salario",
        "ano",
        "mes",
        "silver_file",
        "silver_row",
        "reject_reasons",
    ]
    assert whole.first()["nome"] == "bia"


def test_a_lean_quarantine_of_silver_without_id_has_a_null_id(spark):
    silver = with_origin(spark.createDataFrame([(None, True, 1.0, 2024, 1, "x")], SILVER))
    row = quarantined_rows(silver).first()
    assert row["id"] is None
    assert dict(quarantined_rows(silver).dtypes)["id"] == "bigint"


def test_an_unknown_quarantine_mode_is_refused(spark):
    with pytest.raises(ValueError, match="quarantine columns must be one of lean, all, got 'some'"):
        quarantined_rows(with_origin(spark.createDataFrame([], SILVER)), "some")


def test_one_pass_gives_gold_and_every_rejected_row_with_its_identity(spark):
    silver = spark.createDataFrame(
        [
            (1, 30, True, 1000.0, 2024, 1, "f1", 0),
            (2, 30, True, 3000.0, 2024, 1, "f1", 1),
            (3, 30, True, -5.0, 2024, 1, "f1", 2),
            (3, 30, True, -5.0, 2024, 1, "f2", 2),  # the same values in another file: another row
            (4, None, True, 99999.0, 2024, 1, "f2", 0),
            (5, 200, None, math.nan, 2024, 13, "f3", 7),
            (6, 41, False, 10.0, 2023, 12, "f3", 8),
        ],
        "id bigint, idade int, ativo boolean, salario double, ano int, mes int, silver_file string, silver_row bigint",
    )
    summary = summarize_with_rejects(silver, partitions=3)
    assertDataFrameEqual(
        gold_rows(summary), spark.createDataFrame([(30, True, 2000.0, 2024, 1), (41, False, 10.0, 2023, 12)], GOLD)
    )
    counts = summary_counts(summary)
    assert (counts.rows_read, counts.rows_rejected, counts.gold_rows) == (7, 4, 2)

    def comparable(row):  # NaN != NaN: compare it as a marker
        return tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in row)

    rejected = sorted(comparable(r) for r in rejected_rows(summary).collect())
    assert rejected == [
        (3, "f1", 2, 30, True, -5.0, 2024, 1, ["salario is negative"]),
        (3, "f2", 2, 30, True, -5.0, 2024, 1, ["salario is negative"]),
        (4, "f2", 0, None, True, 99999.0, 2024, 1, ["idade is null"]),
        (
            5,
            "f3",
            7,
            200,
            None,
            "NaN",
            2024,
            13,
            ["mes outside 1..12", "idade outside 0..120", "ativo is null", "salario is NaN"],
        ),
    ]
    assert rejected_rows(summary).columns == quarantined_rows(silver).columns


@pytest.mark.parametrize("id_type, ids", [("bigint", (0, None, 0)), ("string", ("0", None, "0"))])
def test_one_pass_never_merges_a_rejected_row_into_the_valid_rows_group(spark, id_type, ids):
    # Valid rows group under a constant identity (empty file, position -1, id 0): a rejected
    # row with id 0 (or "0"), or a null id, at the first position of a file, in the same
    # (idade, ativo, ano, mes) as valid rows, stays a row of its own and out of gold.
    silver = spark.createDataFrame(
        [
            (ids[0], 30, True, -1.0, 2024, 1, "f", 0),
            (ids[1], 30, True, None, 2024, 1, "f", 1),
            (ids[2], 30, True, 10.0, 2024, 1, "f", 2),
            (ids[2], 30, True, 20.0, 2024, 1, "f", 3),
        ],
        f"id {id_type}, idade int, ativo boolean, salario double, ano int, mes int, "
        "silver_file string, silver_row bigint",
    )
    summary = summarize_with_rejects(silver)
    assertDataFrameEqual(gold_rows(summary), spark.createDataFrame([(30, True, 15.0, 2024, 1)], GOLD))
    rejected = sorted((r["silver_row"], r["id"], r["salario"]) for r in rejected_rows(summary).collect())
    assert rejected == [(0, ids[0], -1.0), (1, None, None)]
    assert dict(rejected_rows(summary).dtypes)["id"] == id_type
    assert summary_counts(summary).rows_rejected == 2


def test_one_pass_keeps_rejected_values_as_stored_and_never_wraps_them(spark):
    silver = spark.createDataFrame(
        [
            (2**32 + 30, True, 1.0, 2024, 1, "f", 0),
            (30, True, 2.0, 2**32 + 2024, 1, "f", 1),
            (30, True, 3.0, 2024, 1, "f", 2),
        ],
        "idade bigint, ativo boolean, salario double, ano bigint, mes int, silver_file string, silver_row bigint",
    )
    summary = summarize_with_rejects(silver)
    rejected = {r["silver_row"]: r for r in rejected_rows(summary).collect()}
    assert rejected[0]["idade"] == 2**32 + 30 and rejected[0]["reject_reasons"] == ["idade outside 0..120"]
    assert rejected[1]["ano"] == 2**32 + 2024 and rejected[1]["reject_reasons"] == ["ano outside 1900..2100"]
    assert rejected[0]["id"] is None  # silver has no id column
    assertDataFrameEqual(gold_rows(summary), spark.createDataFrame([(30, True, 3.0, 2024, 1)], GOLD))


def test_summary_counts_per_gold_partition_and_per_silver_partition_with_rejects(spark):
    silver = spark.createDataFrame(
        [
            (30, True, 1.0, 2024, 1, "a"),
            (31, True, 1.0, 2024, 1, "b"),
            (30, False, 1.0, 2024, 2, "c"),
            (30, True, -1.0, 2024, 2, "rejected, valid keys"),
        ]
        + [(30, True, 1.0, 3000 + i, 13 + i, f"junk-{i}") for i in range(50)],
        SILVER,
    )
    counts = summary_counts(summarize(silver))
    assert counts.gold_rows_by_partition == {(2024, 1): 2, (2024, 2): 1}
    assert (counts.rows_read, counts.rows_rejected, counts.gold_rows) == (54, 51, 3)
    # Rejected rows are counted by the silver partition they came from.
    assert counts.rejected_by_partition == {(2024, 2): 1, **{(3000 + i, 13 + i): 1 for i in range(50)}}


def test_a_partitioned_summary_keeps_each_gold_partition_in_one_spark_partition(spark):
    silver = spark.createDataFrame(
        [(20 + i % 7, i % 2 == 0, float(i), 2020 + (i // 12) % 3, 1 + i % 12, f"p{i}") for i in range(600)]
        + [(None, True, 1.0, 2024, 1, f"bad{i}") for i in range(40)],
        SILVER,
    )
    summary = summarize(silver, partitions=5)
    placed = (
        gold_rows(summary)
        .withColumn("spark_partition", F.spark_partition_id())
        .groupBy("ano", "mes")
        .agg(F.countDistinct("spark_partition").alias("spark_partitions"))
        .collect()
    )
    assert len(placed) == 36
    assert {r["spark_partitions"] for r in placed} == {1}
    counts = summary_counts(summary)
    assert (counts.rows_read, counts.rows_rejected, len(counts.gold_rows_by_partition)) == (640, 40, 36)


def test_a_partition_value_the_gold_type_cannot_hold_is_counted_as_unknown_not_wrapped(spark):
    silver = spark.createDataFrame(
        [(30, True, 1.0, 2**32 + 2024, 1), (30, True, 1.0, 2024, 1)],
        "idade int, ativo boolean, salario double, ano bigint, mes int",
    )
    counts = summary_counts(summarize(silver))
    assert counts.rejected_by_partition == {(None, 1): 1}  # not wrapped to (2024, 1): the job scans everything
    assert counts.gold_rows_by_partition == {(2024, 1): 1}


def test_the_quarantine_rescans_only_partitions_with_rejects_unless_that_is_all_or_unknown():
    recomputed = [(2024, 1), (2024, 2), (2024, 3)]

    def counts(rejected: dict) -> SummaryCounts:
        return SummaryCounts(rows_read=0, rows_rejected=0, gold_rows_by_partition={}, rejected_by_partition=rejected)

    assert partitions_to_rescan(counts({(2024, 3): 1, (2024, 1): 4}), recomputed) == [(2024, 1), (2024, 3)]
    assert partitions_to_rescan(counts({key: 1 for key in recomputed}), recomputed) is None
    assert partitions_to_rescan(counts({(2024, 2): 1, (None, 1): 1}), recomputed) is None
