"""The rejects table's pure parts (etl.rejects), its DDL (etl.schema) and the metrics line
(etl.metrics): values written out by hand."""

from __future__ import annotations

import json

import pytest

from etl.arguments import LakeLayout, build_job_arguments, parse_job_arguments, to_argv
from etl.errors import JobArgumentError
from etl.metrics import RUN_METRICS, run_metrics_line, run_metrics_record
from etl.rejects import (
    DAY_MS,
    add_partition_sql,
    drop_partition_sql,
    expired_runs,
    newest_file_by_run,
    rejects_by_month_sql,
    rejects_by_reason_sql,
    rejects_sample_sql,
    run_id_of_path,
    run_id_of_spec,
    run_location,
    runs_beyond_last,
    schema_problems,
)
from etl.report import RunReport
from etl.schema import GOLD, REJECTS, TableSchema, create_table_sql, rejects_table_schema

NOW = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def test_the_rejects_table_is_named_after_gold_in_golds_database_with_the_lean_columns():
    assert REJECTS.qualified_name == "gold_data.sample_data_aggregated_rejects"
    assert [(c.name, c.type) for c in REJECTS.columns] == [
        ("id", "bigint"),
        ("silver_file", "string"),
        ("silver_row", "bigint"),
        ("idade", "int"),
        ("ativo", "boolean"),
        ("salario", "double"),
        ("ano", "int"),
        ("mes", "int"),
        ("reject_reasons", "array<string>"),
    ]
    assert [(c.name, c.type) for c in REJECTS.partition_columns] == [("run_id", "string")]
    other = rejects_table_schema(TableSchema("gold_data_prod", "people_by_age", GOLD.columns, GOLD.partition_columns))
    assert other.qualified_name == "gold_data_prod.people_by_age_rejects"


def test_create_table_sql_for_the_rejects_table():
    assert create_table_sql(REJECTS, "file:///lake/quarantine/sample_data_aggregated/") == (
        "CREATE EXTERNAL TABLE IF NOT EXISTS gold_data.sample_data_aggregated_rejects ("
        "`id` bigint, `silver_file` string, `silver_row` bigint, `idade` int, `ativo` boolean, "
        "`salario` double, `ano` int, `mes` int, `reject_reasons` array<string>) "
        "PARTITIONED BY (`run_id` string) STORED AS PARQUET "
        "LOCATION 'file:///lake/quarantine/sample_data_aggregated/' "
        "TBLPROPERTIES ('classification'='parquet', 'parquet.compression'='SNAPPY')"
    )


def test_partition_statements():
    location = run_location("s3://lake/quarantine/sample_data_aggregated/", "jr_0a1b")
    assert location == "s3://lake/quarantine/sample_data_aggregated/run_id=jr_0a1b/"
    assert add_partition_sql(REJECTS, "jr_0a1b", location) == (
        "ALTER TABLE gold_data.sample_data_aggregated_rejects ADD IF NOT EXISTS PARTITION (run_id = 'jr_0a1b') "
        "LOCATION 's3://lake/quarantine/sample_data_aggregated/run_id=jr_0a1b/'"
    )
    assert drop_partition_sql(REJECTS, "local-20260101T040000Z-1a2b3c") == (
        "ALTER TABLE gold_data.sample_data_aggregated_rejects DROP IF EXISTS PARTITION "
        "(run_id = 'local-20260101T040000Z-1a2b3c')"
    )


@pytest.mark.parametrize("run_id", ["x'; DROP TABLE t; --", "a/b", "run_id=x", "", "a b"])
def test_a_run_id_that_cannot_name_a_partition_is_refused(run_id):
    with pytest.raises(ValueError, match="cannot name a partition"):
        add_partition_sql(REJECTS, run_id, "s3://x/")


def test_run_ids_from_partition_specs_and_paths():
    assert run_id_of_spec("run_id=jr_1") == "jr_1"
    assert run_id_of_spec("run_id=a%3Ab") == "a:b"  # Hive escapes ':' in partition values
    with pytest.raises(ValueError):
        run_id_of_spec("ano=2024/mes=1")
    assert run_id_of_path("s3://b/quarantine/t/run_id=jr_1/part-0.snappy.parquet") == "jr_1"
    assert run_id_of_path("file:/l/quarantine/t/run_id=r2/_temporary/0/_temporary/x.parquet") == "r2"
    assert run_id_of_path("s3://b/quarantine/t/stray.parquet") is None


def test_newest_file_by_run_counts_every_file_hidden_ones_too():
    files = [
        ("s3://b/q/t/run_id=a/part-0.parquet", 100),
        ("s3://b/q/t/run_id=a/part-1.parquet", 300),
        ("s3://b/q/t/run_id=a/_SUCCESS", 200),
        ("s3://b/q/t/run_id=b/_temporary/0/part-0.parquet", 900),
        ("s3://b/q/t/loose.parquet", 5000),
    ]
    assert newest_file_by_run(files) == {"a": 300, "b": 900}


def test_runs_expire_a_day_before_the_lifecycle_rule_and_registered_runs_without_files_too():
    newest = {
        "old": NOW - 29 * DAY_MS,  # exactly retention - 1 day old: goes
        "almost": NOW - 29 * DAY_MS + 1,  # a millisecond younger: stays
        "recent": NOW - DAY_MS,
        "current": NOW - 100 * DAY_MS,  # the run under way is never expired
        "unregistered-old": NOW - 45 * DAY_MS,
    }
    registered = ["old", "almost", "recent", "gone-from-s3"]
    assert expired_runs(newest, registered, NOW, 30, keep=["current"]) == ["gone-from-s3", "old", "unregistered-old"]
    assert expired_runs({"x": NOW - DAY_MS - 1}, [], NOW, 3) == []
    assert expired_runs({"x": NOW - DAY_MS - 1}, [], NOW, 2) == ["x"]
    with pytest.raises(ValueError, match="at least 2 days"):
        expired_runs({}, [], NOW, 1)


def test_keeping_the_last_runs_removes_the_oldest_first():
    newest = {"a": 300, "b": 100, "c": 200, "d": 200}
    assert runs_beyond_last(newest, 2) == ["b", "c"]  # equal times: by run id
    assert runs_beyond_last(newest, 10) == []
    assert runs_beyond_last(newest, 0) == ["b", "c", "d", "a"]
    with pytest.raises(ValueError):
        runs_beyond_last(newest, -1)


def test_schema_problems_name_each_column_of_another_type_and_ignore_missing_and_extra_ones():
    stored = {"idade": "bigint", "salario": "double", "nome": "string", "ID": "string"}
    assert schema_problems(stored, REJECTS) == [
        "id is string in the files, bigint in gold_data.sample_data_aggregated_rejects",
        "idade is bigint in the files, int in gold_data.sample_data_aggregated_rejects",
    ]
    assert schema_problems({"salario": "double", "reject_reasons": "array<string>"}, REJECTS) == []


def test_rejects_queries_in_both_dialects():
    assert rejects_by_reason_sql(REJECTS, "jr_1") == (
        "SELECT reason, count(*) AS rejected_rows FROM gold_data.sample_data_aggregated_rejects "
        "LATERAL VIEW explode(reject_reasons) reasons AS reason WHERE run_id = 'jr_1' "
        "GROUP BY reason ORDER BY rejected_rows DESC, reason"
    )
    assert rejects_by_reason_sql(REJECTS, dialect="athena") == (
        "SELECT reason, count(*) AS rejected_rows FROM gold_data.sample_data_aggregated_rejects "
        "CROSS JOIN UNNEST(reject_reasons) AS reasons (reason) "
        "GROUP BY reason ORDER BY rejected_rows DESC, reason"
    )
    assert rejects_by_month_sql(REJECTS, "jr_1") == (
        "SELECT ano, mes, count(*) AS rejected_rows FROM gold_data.sample_data_aggregated_rejects "
        "WHERE run_id = 'jr_1' GROUP BY ano, mes ORDER BY ano NULLS LAST, mes NULLS LAST"
    )
    assert rejects_sample_sql(REJECTS, "jr_1", limit=3) == (
        "SELECT id, silver_file, silver_row, reject_reasons FROM gold_data.sample_data_aggregated_rejects "
        "WHERE run_id = 'jr_1' ORDER BY silver_file, silver_row LIMIT 3"
    )
    with pytest.raises(ValueError, match="dialect"):
        rejects_by_reason_sql(REJECTS, dialect="duckdb")
    with pytest.raises(ValueError):
        rejects_sample_sql(REJECTS, "")


def test_retention_and_stack_arguments_round_trip_and_bad_values_are_named():
    arguments = build_job_arguments(LakeLayout("s3://b"), stack="prod", quarantine_retention_days=90)
    assert (arguments["--stack"], arguments["--quarantine_retention_days"]) == ("prod", "90")
    parsed = parse_job_arguments(to_argv(arguments))
    assert (parsed.stack, parsed.quarantine_retention_days) == ("prod", 90)
    assert parsed.rejects.qualified_name == "gold_data.sample_data_aggregated_rejects"
    local = build_job_arguments(LakeLayout("file:///l"))
    assert "--stack" not in local and local["--quarantine_retention_days"] == "0"
    with pytest.raises(JobArgumentError, match="must be 0 .keep every run. or at least 2, got 1"):
        build_job_arguments(LakeLayout("s3://b"), quarantine_retention_days=1)
    with pytest.raises(JobArgumentError, match="whole number of days, got 'ever'"):
        parse_job_arguments(to_argv(local) + ["--quarantine_retention_days", "ever"])


def _report(**values) -> RunReport:
    report = RunReport(run_id="jr_42", mode="incremental", status="succeeded")
    for key, value in values.items():
        setattr(report, key, value)
    return report


def test_the_metrics_line_of_a_successful_run():
    report = _report(
        rows_read=200_000,
        rows_rejected=3,
        rows_written=480,
        partitions_written=12,
        partitions_dropped=1,
        seconds={"total": 73.25041},
    )
    line = run_metrics_line(report, "prod", "job-transform-silver-to-gold-prod")
    assert line == (
        '{"event": "silver-to-gold.run", "stack": "prod", "job": "job-transform-silver-to-gold-prod", '
        '"run_id": "jr_42", "status": "succeeded", "rows_read": 200000, "rows_rejected": 3, "rows_written": 480, '
        '"reject_ratio": 0.000015, "partitions_written": 12, "partitions_dropped": 1, "job_seconds": 73.25, '
        '"succeeded": 1, "failed": 0}'
    )
    assert "e-" not in line  # metric filters read no scientific notation
    assert json.loads(line)["reject_ratio"] == 0.000015


def test_a_failed_run_publishes_its_figures_too():
    record = run_metrics_record(
        _report(status="failed", rows_read=10, rows_rejected=6, seconds={"total": 5.0}), "dev", "job-x"
    )
    assert {k: record[k] for k in ("reject_ratio", "succeeded", "failed", "job_seconds", "rows_written")} == {
        "reject_ratio": 0.6,
        "succeeded": 0,
        "failed": 1,
        "job_seconds": 5.0,
        "rows_written": 0,
    }
    # Every metric the stack extracts has its field in the record.
    assert {m.field for m in RUN_METRICS} <= set(record)


# -- edges mutation testing found unguarded (docs/testing.md) ---------------------------------
def test_a_quarantine_location_ending_in_x_keeps_its_name():
    # Only the trailing "/" goes: a prefix ending in a letter that is also in the stripped set keeps it.
    assert run_location("s3://b/quarantine/TAX/", "jr_1") == "s3://b/quarantine/TAX/run_id=jr_1/"
    assert run_location("s3://b/quarantine/TAX", "jr_1") == "s3://b/quarantine/TAX/run_id=jr_1/"


def test_a_spec_with_slashes_and_an_id_ending_in_x_is_read_whole():
    assert run_id_of_spec("/run_id=jr_1/") == "jr_1"
    assert run_id_of_spec("run_id=jr_X/") == "jr_X"


def test_bad_arguments_say_what_was_wrong():
    with pytest.raises(ValueError) as spec:
        run_id_of_spec("ano=2024")
    assert str(spec.value) == "not a partition spec of run_id: 'ano=2024'"
    with pytest.raises(ValueError) as keep:
        runs_beyond_last({"a": 1}, -1)
    assert str(keep.value) == "keep must be 0 or more, got -1"
    with pytest.raises(ValueError) as dialect:
        rejects_by_reason_sql(REJECTS, "jr_1", dialect="presto")
    assert str(dialect.value) == "dialect must be one of spark, athena, got 'presto'"
    with pytest.raises(ValueError) as limit:
        rejects_sample_sql(REJECTS, "jr_1", limit=0)
    assert str(limit.value) == "limit must be at least 1, got 0"


def test_rows_to_trace_default_to_five_and_one_is_allowed():
    assert rejects_sample_sql(REJECTS, "jr_1").endswith(" LIMIT 5")
    assert rejects_sample_sql(REJECTS, "jr_1", limit=1).endswith(" LIMIT 1")
