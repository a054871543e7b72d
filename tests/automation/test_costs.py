"""Cost arithmetic with the expected values worked out by hand.

Glue: DPUs × billed seconds (whole seconds, 60 s minimum) × price / 3600.
Athena: billed bytes (whole MB up, 10 MB minimum) × $5 / TB, 1 MB = 2**20 B, 1 TB = 2**40 B.
"""

from __future__ import annotations

import pytest

from automation.aws.costs import (
    UnknownWorkerType,
    athena_query_cost,
    dpus_for,
    glue_billed_seconds,
    glue_run_cost,
    total_glue_cost,
)


def test_a_45_second_run_on_two_g1x_workers_is_billed_one_minute():
    cost = glue_run_cost("G.1X", 2, 45, 0.44)
    assert cost.dpus == 2
    assert cost.billed_seconds == 60
    assert cost.dpu_seconds == 120  # 2 DPU × 60 s
    assert cost.usd == 0.014667  # 120 / 3600 × 0.44 = 0.0146666...


def test_a_ten_minute_run_on_two_g1x_workers():
    cost = glue_run_cost("G.1X", 2, 600, 0.44)
    assert cost.billed_seconds == 600
    assert cost.dpu_seconds == 1200  # 2 DPU × 600 s
    assert cost.usd == 0.146667  # 1200 / 3600 × 0.44 = 0.1466666...


def test_an_hour_on_ten_g2x_workers():
    cost = glue_run_cost("G.2X", 10, 3600, 0.44)
    assert cost.dpus == 20
    assert cost.dpu_seconds == 72000  # 20 DPU × 3600 s
    assert cost.usd == 8.80  # 20 DPU-hours × 0.44


def test_partial_seconds_are_billed_as_whole_seconds():
    assert glue_billed_seconds(60.2) == 61
    assert glue_billed_seconds(0.4) == 60


def test_a_run_that_never_ran_costs_nothing_not_the_minute():
    cost = glue_run_cost("G.1X", 2, 0, 0.44)  # FAILED or STOPPED before it started: ExecutionTime 0
    assert (cost.billed_seconds, cost.dpu_seconds, cost.usd) == (0, 0, 0)


def test_a_flex_run_is_billed_by_glues_dpu_seconds_not_workers_times_time():
    # 10 G.1X workers for 600 s would be 6000 DPU-s; Glue says the executors used 1800.
    cost = glue_run_cost("G.1X", 10, 600, 0.29, dpu_seconds=1800.0)
    assert cost.dpu_seconds == 1800
    assert cost.from_dpu_seconds
    assert cost.usd == 0.145  # 1800 / 3600 x 0.29


def test_a_retried_run_costs_both_attempts():
    first = glue_run_cost("G.1X", 2, 45, 0.44)  # 120 DPU-s (the minute)
    second = glue_run_cost("G.1X", 2, 600, 0.44)  # 1200 DPU-s
    total = total_glue_cost([first, second])
    assert (total.attempts, total.execution_seconds, total.billed_seconds) == (2, 645, 660)
    assert total.dpu_seconds == 1320
    assert total.usd == 0.161333  # 1320 / 3600 x 0.44 = 0.16133...


@pytest.mark.parametrize(("worker_type", "dpus"), [("G.1X", 1), ("G.2X", 2), ("G.4X", 4), ("G.8X", 8)])
def test_dpus_per_worker_type(worker_type, dpus):
    assert dpus_for(worker_type, 3) == 3 * dpus


def test_an_unknown_worker_type_is_named():
    with pytest.raises(UnknownWorkerType, match="'Standard'"):
        dpus_for("Standard", 2)


def test_athena_bills_5_mb_as_the_10_mb_minimum():
    cost = athena_query_cost(5 * 1024 * 1024)
    assert cost.billed_bytes == 10_485_760  # 10 × 2**20
    assert cost.usd == 0.00004768  # 10 / 1024**2 TB × $5 = 0.0000476837...


def test_athena_bills_3_tb_at_5_dollars_each():
    cost = athena_query_cost(3 * 1024**4)
    assert cost.billed_bytes == 3_298_534_883_328
    assert cost.usd == 15.0


def test_athena_rounds_up_to_the_next_megabyte():
    assert athena_query_cost(11 * 1024 * 1024 + 1).billed_bytes == 12 * 1024 * 1024


def test_athena_ddl_and_failed_queries_are_free():
    assert athena_query_cost(0, statement_type="DDL").usd == 0
    assert athena_query_cost(10 * 1024**3, state="FAILED").usd == 0
    # A cancelled query is billed for what it scanned.
    assert athena_query_cost(20 * 1024 * 1024, state="CANCELLED").billed_bytes == 20 * 1024 * 1024


# -- edges mutation testing found unguarded (docs/testing.md) ---------------------------------
def test_sizes_are_shown_in_binary_units_whole_bytes_then_one_decimal():
    from automation.aws.costs import format_bytes

    assert format_bytes(0) == "0 B"
    assert format_bytes(1023) == "1023 B"
    assert format_bytes(1024) == "1.0 KB"
    assert format_bytes(10 * 2**20) == "10.0 MB"
    assert format_bytes(3 * 2**30) == "3.0 GB"
    assert format_bytes(5 * 2**40) == "5.0 TB"
    assert format_bytes(2**50) == "1024.0 TB"  # no unit above TB


def test_bad_figures_are_refused_naming_them():
    with pytest.raises(UnknownWorkerType) as unknown:
        dpus_for("G.3X", 2)
    assert str(unknown.value) == (
        "unknown Glue worker type 'G.3X' (known: G.025X, G.1X, G.2X, G.4X, G.8X, G.12X, G.16X, R.1X, R.2X, "
        "R.4X, R.8X, Z.2X)"
    )
    with pytest.raises(ValueError) as workers:
        dpus_for("G.1X", 0)
    assert str(workers.value) == "a run has at least 1 worker, got 0"
    with pytest.raises(ValueError) as seconds:
        glue_billed_seconds(-1)
    assert str(seconds.value) == "execution time cannot be negative, got -1"
    with pytest.raises(ValueError) as dpu_seconds:
        glue_run_cost("G.1X", 2, 45, 0.44, dpu_seconds=-1)
    assert str(dpu_seconds.value) == "DPU-seconds cannot be negative, got -1"
    with pytest.raises(ValueError) as attempts:
        total_glue_cost([])
    assert str(attempts.value) == "no attempts to add up"
    with pytest.raises(ValueError) as scanned:
        athena_query_cost(-1)
    assert str(scanned.value) == "scanned bytes cannot be negative, got -1"


def test_one_worker_and_zero_or_fractional_dpu_seconds_are_valid():
    assert dpus_for("G.1X", 1) == 1
    assert glue_run_cost("G.1X", 2, 45, 0.44, dpu_seconds=0).usd == 0
    assert glue_run_cost("G.1X", 2, 45, 0.44, dpu_seconds=0.5).dpu_seconds == 0.5


def test_retries_are_billed_on_the_last_attempts_workers_and_say_when_glue_measured():
    first = glue_run_cost("G.1X", 2, 60, 0.44)
    second = glue_run_cost("G.1X", 4, 60, 0.44)
    last = glue_run_cost("G.2X", 3, 60, 0.44, dpu_seconds=360)  # Glue's DPUSeconds for the last
    total = total_glue_cost([first, second, last])
    assert (total.worker_type, total.workers, total.dpus) == ("G.2X", 3, 6)
    assert total.dpu_seconds == 120 + 240 + 360
    assert total.from_dpu_seconds is True and total.attempts == 3


def test_a_query_cost_as_json():
    assert athena_query_cost(3 * 2**20).to_dict() == {
        "scanned_bytes": 3 * 2**20,
        "billed_bytes": 10 * 2**20,  # the 10 MB minimum
        "usd": 0.00004768,  # 10 MB at $5 per 2**40 B: 5 * 10 / 2**20 = 0.0000476837
    }
