"""Planning which partitions a run recomputes, and the stored state's round trip."""

import pytest

from etl.incremental import (
    SilverPartition,
    State,
    parse_partition_spec,
    partition_key_of_file,
    partition_spec,
    plan_run,
)

SRC, TGT = "silver_data.s", "gold_data.g"
FP_A = (("part-0.parquet", 100, 1),)
FP_A2 = (("part-0.parquet", 120, 2),)


def silver(*pairs):
    return [SilverPartition(key, fp) for key, fp in pairs]


def state(fingerprints, with_gold=None):
    return State(SRC, TGT, fingerprints, frozenset(fingerprints if with_gold is None else with_gold))


def test_partition_specs_round_trip_and_normalise():
    assert partition_spec((2024, 1)) == "ano=2024/mes=1"
    assert parse_partition_spec("ano=2024/mes=01") == (2024, 1)
    assert parse_partition_spec("ano=__HIVE_DEFAULT_PARTITION__/mes=3") == (None, 3)
    assert partition_key_of_file("s3://b/silver/t/ano=2023/mes=12/part-1.snappy.parquet") == (2023, 12)
    with pytest.raises(ValueError, match="not inside ano=/mes="):
        partition_key_of_file("s3://b/silver/t/part-1.parquet")
    with pytest.raises(ValueError, match="not an integer"):
        parse_partition_spec("ano=x/mes=1")


def test_without_state_everything_is_recomputed():
    plan = plan_run("incremental", silver(((2024, 1), FP_A), ((2024, 2), FP_A)), [], None, SRC, TGT)
    assert plan.recompute == ((2024, 1), (2024, 2))
    assert plan.drop == ()


def test_only_a_new_month_is_recomputed():
    previous = state({(2024, 1): FP_A})
    plan = plan_run("incremental", silver(((2024, 1), FP_A), ((2024, 2), FP_A)), [(2024, 1)], previous, SRC, TGT)
    assert plan.recompute == ((2024, 2),)
    assert plan.unchanged == ((2024, 1),)


def test_a_changed_partition_is_recomputed():
    previous = state({(2024, 1): FP_A, (2024, 2): FP_A})
    current = silver(((2024, 1), FP_A2), ((2024, 2), FP_A))
    plan = plan_run("incremental", current, [(2024, 1), (2024, 2)], previous, SRC, TGT)
    assert plan.recompute == ((2024, 1),)


def test_a_removed_partition_is_dropped_from_gold():
    previous = state({(2024, 1): FP_A, (2024, 2): FP_A})
    plan = plan_run("incremental", silver(((2024, 1), FP_A)), [(2024, 1), (2024, 2)], previous, SRC, TGT)
    assert plan.recompute == ()
    assert plan.drop == ((2024, 2),)


def test_nothing_changed_is_a_noop():
    previous = state({(2024, 1): FP_A})
    plan = plan_run("incremental", silver(((2024, 1), FP_A)), [(2024, 1)], previous, SRC, TGT)
    assert plan.is_noop


def test_a_lost_gold_partition_is_recomputed():
    previous = state({(2024, 1): FP_A, (2024, 2): FP_A})
    plan = plan_run("incremental", silver(((2024, 1), FP_A), ((2024, 2), FP_A)), [(2024, 1)], previous, SRC, TGT)
    assert plan.recompute == ((2024, 2),)


def test_a_partition_that_never_had_gold_rows_is_not_recomputed_for_missing_gold():
    previous = state({(2024, 1): FP_A}, with_gold=[])
    plan = plan_run("incremental", silver(((2024, 1), FP_A)), [], previous, SRC, TGT)
    assert plan.is_noop


def test_full_mode_recomputes_all_and_drops_orphans():
    previous = state({(2024, 1): FP_A})
    plan = plan_run("full", silver(((2024, 1), FP_A)), [(2024, 1), (2020, 5)], previous, SRC, TGT)
    assert plan.recompute == ((2024, 1),)
    assert plan.drop == ((2020, 5),)


def test_state_of_another_table_is_not_used():
    previous = State("silver_data.other", TGT, {(2024, 1): FP_A}, frozenset())
    plan = plan_run("incremental", silver(((2024, 1), FP_A)), [(2024, 1)], previous, SRC, TGT)
    assert plan.recompute == ((2024, 1),)


def test_state_round_trips_through_json():
    original = State(SRC, TGT, {(2024, 1): FP_A, (2023, 12): FP_A2}, frozenset({(2024, 1)}))
    assert State.from_json(original.to_json()) == original


@pytest.mark.parametrize("text", ["", "{", "[]", '{"version": 99}', '{"version": 1, "partitions": {"x": {}}}'])
def test_unreadable_state_means_recompute_everything(text):
    assert State.from_json(text) is None
