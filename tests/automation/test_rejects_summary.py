"""`automation.rejects`, the answer `rejects` gives on every backend, with a fake catalog: which
run, when the table is asked (and when not: no query is spent on a run that registered
nothing), the answer's shape; and the AWS side's table name and gate with Stubber."""

from __future__ import annotations

import pytest

from automation.aws.rejects import job_max_reject_ratio, stack_rejects_table
from automation.outputs import StackOutputs
from automation.pipeline import QueryResult
from automation.rejects import (
    RejectsError,
    describe_reasons,
    find_run,
    gate_of,
    summarize_rejects,
    top_reasons,
)
from etl.report import RunReport
from etl.schema import REJECTS
from infra import outputs as out
from tests.stubs import stubbed_stack


class FakeCatalog:
    """Answers each question with the next canned result and records the SQL it was asked."""

    def __init__(self, *results: QueryResult):
        self.results = list(results)
        self.asked: list[str] = []

    def __call__(self, sql: str) -> QueryResult:
        self.asked.append(sql)
        return self.results.pop(0)


def nothing_to_ask(sql: str) -> QueryResult:
    raise AssertionError(f"the table was asked: {sql}")


REASONS = QueryResult(("reason", "rejected_rows"), (("idade is null", 3), ("salario is negative", 2)))
MONTHS = QueryResult(("ano", "mes", "rejected_rows"), ((2024, 1, 3), (2024, 2, 1), (None, None, 1)))
TRACE = QueryResult(
    ("id", "silver_file", "silver_row", "reject_reasons"),
    ((7, "file:/s/ano=2024/mes=1/part-0.parquet", 4, ["idade is null"]),),
)


def registered(run_id: str = "run-1", **fields) -> RunReport:
    values = dict(
        run_id=run_id,
        mode="incremental",
        status="succeeded",
        rows_read=100,
        rows_rejected=5,
        partitions_processed=2,
        quarantine_location=f"file:///lake/quarantine/t/run_id={run_id}/",
        rejects_partition=f"run_id={run_id}",
    )
    return RunReport(**{**values, **fields})


# -- which run ---------------------------------------------------------------------------
def test_the_default_run_is_the_one_latest_json_names():
    latest = registered("local-20250101T040000Z-abcdef")
    asked = []

    def read(name):
        asked.append(name)
        return latest if name == "latest" else None

    assert find_run(None, read, "file:///lake/reports/") == ("local-20250101T040000Z-abcdef", latest)
    assert asked == ["latest"]


def test_no_latest_report_is_one_line_saying_what_to_do():
    with pytest.raises(RejectsError) as error:
        find_run(None, lambda name: None, "s3://lake/gold/_reports/t/")
    assert str(error.value) == (
        "no run report at s3://lake/gold/_reports/t/latest.json: run the job first, or name a run with --run-id"
    )


def test_a_named_run_is_read_by_its_id_and_may_have_no_report():
    assert find_run("jr_1", lambda name: None, "s3://r/") == ("jr_1", None)
    with pytest.raises(RejectsError, match="cannot name a partition"):
        find_run("jr_1' OR '1'='1", lambda name: None, "s3://r/")


def test_the_gate_is_the_reports_else_the_default():
    assert gate_of(registered(max_reject_ratio=0.2), 0.05) == 0.2
    assert gate_of(registered(), 0.05) == 0.05  # a report from before the gate was recorded
    assert gate_of(None, None) is None


# -- asking the table ---------------------------------------------------------------------
def test_a_registered_run_is_asked_by_reason_by_month_and_for_rows_to_trace():
    catalog = FakeCatalog(REASONS, MONTHS, TRACE)
    report = registered(max_reject_ratio=0.05)

    summary = summarize_rejects(REJECTS, "run-1", report, catalog, dialect="spark", gate=0.05, trace_rows=3)

    assert len(catalog.asked) == 3
    assert all("WHERE run_id = 'run-1'" in sql for sql in catalog.asked)
    assert "LATERAL VIEW explode(reject_reasons)" in catalog.asked[0]
    assert catalog.asked[2].endswith("LIMIT 3")
    document = summary.to_dict()
    assert document["by_reason"] == [
        {"reason": "idade is null", "rejected_rows": 3},
        {"reason": "salario is negative", "rejected_rows": 2},
    ]
    assert document["by_month"] == [
        {"ano": 2024, "mes": 1, "rejected_rows": 3},
        {"ano": 2024, "mes": 2, "rejected_rows": 1},
        {"ano": None, "mes": None, "rejected_rows": 1},
    ]
    assert document["rows_in_table"] == 5
    assert document["trace"] == [
        {
            "id": 7,
            "silver_file": "file:/s/ano=2024/mes=1/part-0.parquet",
            "silver_row": 4,
            "reject_reasons": ["idade is null"],
        }
    ]
    assert (document["rows_read"], document["rows_rejected"], document["reject_ratio"]) == (100, 5, 0.05)
    assert document["max_reject_ratio"] == 0.05
    assert document["queried"] is True and document["note"] == ""
    assert "cost" not in document


def test_athenas_dialect_unnests():
    catalog = FakeCatalog(REASONS, MONTHS, TRACE)
    summarize_rejects(REJECTS, "jr_1", registered("jr_1"), catalog, dialect="athena", gate=None)
    assert "CROSS JOIN UNNEST(reject_reasons) AS reasons (reason)" in catalog.asked[0]


def test_a_run_that_rejected_nothing_is_not_asked():
    noop = registered(rows_read=0, rows_rejected=0, partitions_processed=0, rejects_partition="", plan="no change")
    summary = summarize_rejects(REJECTS, "run-1", noop, nothing_to_ask, dialect="spark", gate=0.05)
    assert summary.note == "run run-1 rejected nothing: nothing changed in silver since the run before it"
    assert summary.queried is False and summary.by_reason == [] and summary.rows_in_table == 0

    clean = registered(rows_rejected=0, rejects_partition="")
    note = summarize_rejects(REJECTS, "run-1", clean, nothing_to_ask, dialect="spark", gate=0.05).note
    assert note == "run run-1 rejected nothing"


def test_rejected_rows_the_job_did_not_register_are_pointed_at_in_the_quarantine():
    unregistered = registered(rejects_partition="")
    summary = summarize_rejects(REJECTS, "run-1", unregistered, nothing_to_ask, dialect="spark", gate=0.05)
    assert summary.note == (
        "run run-1 rejected 5 rows but registered no partition in gold_data.sample_data_aggregated_rejects "
        "(the job's log says why): read them in file:///lake/quarantine/t/run_id=run-1/"
    )


def test_a_run_the_table_no_longer_holds_says_so():
    empty = QueryResult(("x",), ())
    catalog = FakeCatalog(empty, empty, empty)
    summary = summarize_rejects(REJECTS, "run-0", None, catalog, dialect="spark", gate=0.05)
    assert len(catalog.asked) == 3  # no report: the table is asked anyway
    assert summary.note.startswith("gold_data.sample_data_aggregated_rejects holds no rows of run run-0")
    assert summary.to_dict()["rows_read"] is None


# -- the pipeline's last step ---------------------------------------------------------------
def test_top_reasons_ask_only_about_a_registered_run():
    catalog = FakeCatalog(REASONS)
    assert top_reasons(REJECTS, registered(), catalog, "spark") == [("idade is null", 3), ("salario is negative", 2)]
    assert top_reasons(REJECTS, registered(rejects_partition=""), nothing_to_ask, "spark") == []


def test_reasons_described_in_one_line():
    reasons = [("a", 1234), ("b", 20), ("c", 3), ("d", 2), ("e", 1)]
    assert describe_reasons(reasons, registered()) == "a 1,234; b 20; c 3 (+2 more)"
    assert describe_reasons(reasons[:2], registered()) == "a 1,234; b 20"
    assert describe_reasons([], registered(rows_rejected=0)) == "nothing rejected"
    assert describe_reasons([], registered(rejects_partition="")) == (
        "5 rows rejected, not in the rejects table (see file:///lake/quarantine/t/run_id=run-1/)"
    )


# -- the stack's side ------------------------------------------------------------------------
def test_the_stacks_rejects_table_is_its_output_in_the_gold_database():
    values = {out.GOLD_DATABASE: "gold_prod", out.GOLD_TABLE: "agg"}
    assert stack_rejects_table(StackOutputs.from_values(values, "t")).qualified_name == "gold_prod.agg_rejects"
    named = StackOutputs.from_values({**values, out.REJECTS_TABLE: "agg_bad_rows"}, "t")
    table = stack_rejects_table(named)
    assert table.qualified_name == "gold_prod.agg_bad_rows"
    assert table.columns == REJECTS.columns and table.partition_columns == REJECTS.partition_columns


def test_the_jobs_gate_is_read_from_its_default_arguments():
    stack, (stubber,) = stubbed_stack({out.JOB_NAME: "j"}, "glue")
    job = {"Name": "j", "Role": "r", "Command": {"Name": "glueetl"}}
    stubber.add_response(
        "get_job", {"Job": {**job, "DefaultArguments": {"--max_reject_ratio": "0.2"}}}, {"JobName": "j"}
    )
    stubber.add_response("get_job", {"Job": job}, {"JobName": "j"})
    with stubber:
        assert job_max_reject_ratio(stack) == 0.2
        assert job_max_reject_ratio(stack) == 0.05  # the job's default


# -- edges mutation testing found unguarded (docs/testing.md) ---------------------------------
def test_the_json_document_a_script_reads_is_written_out_whole():
    report = registered("jr_7", rows_read=3, rows_rejected=1, max_reject_ratio=0.05)
    summary = summarize_rejects(
        REJECTS, "jr_7", report, FakeCatalog(REASONS, MONTHS, TRACE), dialect="athena", gate=0.05
    )
    summary.cost = {"queries": 3, "usd": 0.00015}

    assert summary.to_dict() == {
        "run_id": "jr_7",
        "table": "gold_data.sample_data_aggregated_rejects",
        "queried": True,
        "note": "",
        "last_rejecting_run": None,
        "status": "succeeded",
        "rows_read": 3,
        "rows_rejected": 1,
        "reject_ratio": 0.333333,  # 1 of 3, to six places
        "max_reject_ratio": 0.05,
        "quarantine_location": "file:///lake/quarantine/t/run_id=jr_7/",
        "rows_in_table": 5,
        "by_reason": [
            {"reason": "idade is null", "rejected_rows": 3},
            {"reason": "salario is negative", "rejected_rows": 2},
        ],
        "by_month": [
            {"ano": 2024, "mes": 1, "rejected_rows": 3},
            {"ano": 2024, "mes": 2, "rejected_rows": 1},
            {"ano": None, "mes": None, "rejected_rows": 1},
        ],
        "trace": [
            {
                "id": 7,
                "silver_file": "file:/s/ano=2024/mes=1/part-0.parquet",
                "silver_row": 4,
                "reject_reasons": ["idade is null"],
            }
        ],
        "cost": {"queries": 3, "usd": 0.00015},
    }


def test_a_named_run_with_a_report_is_read_by_its_id():
    reports = {"jr_1": registered("jr_1")}
    asked = []

    def read(name):
        asked.append(name)
        return reports.get(name)

    assert find_run("jr_1", read, "s3://r/", recent=lambda: []) == ("jr_1", reports["jr_1"])
    assert asked == ["jr_1"]


def test_an_unknown_run_is_refused_naming_the_latest_and_the_location_keeps_its_name():
    recent = [registered("jr_2"), registered("jr_1")]
    with pytest.raises(RejectsError) as unknown:
        find_run("jr_9", lambda name: None, "s3://lake/reports/JOBX/", recent=lambda: recent)
    assert str(unknown.value) == (
        "no run jr_9 in s3://lake/reports/JOBX/ (no run report of that id): "
        "the latest runs are jr_2, jr_1; list them with `runs`"
    )
    with pytest.raises(RejectsError) as none_yet:
        find_run(None, lambda name: None, "s3://lake/reports/JOBX/")
    assert str(none_yet.value).startswith("no run report at s3://lake/reports/JOBX/latest.json: ")


def test_a_run_that_rejected_nothing_names_the_newest_run_that_did():
    noop = registered("run-3", rows_read=0, rows_rejected=0, partitions_processed=0, rejects_partition="")
    clean = registered("run-2", rows_rejected=0, rejects_partition="")  # newer than run-1, rejected nothing
    recent = [noop, clean, registered("run-1")]
    summary = summarize_rejects(
        REJECTS, "run-3", noop, nothing_to_ask, dialect="spark", gate=0.05, recent=lambda: recent
    )
    assert summary.last_rejecting_run == "run-1"
    assert summary.note == (
        "run run-3 rejected nothing: nothing changed in silver since the run before it; "
        "the last run that rejected rows is run-1"
    )

    alone = summarize_rejects(
        REJECTS, "run-3", noop, nothing_to_ask, dialect="spark", gate=0.05, recent=lambda: [noop, clean]
    )
    assert alone.last_rejecting_run is None
    assert alone.note.endswith("; no recent run rejected rows")


def test_the_note_for_a_run_the_table_no_longer_holds_says_why_it_may_be_gone():
    empty = QueryResult(("x",), ())
    summary = summarize_rejects(REJECTS, "run-0", None, FakeCatalog(empty, empty, empty), dialect="spark", gate=None)
    assert summary.note == (
        "gold_data.sample_data_aggregated_rejects holds no rows of run run-0: the run is unknown, or its "
        "partition was removed (quarantine retention, --keep-runs)"
    )


def test_top_reasons_ask_about_the_run_in_the_backends_dialect():
    catalog = FakeCatalog(REASONS)
    top_reasons(REJECTS, registered("jr_3"), catalog, "athena")
    assert catalog.asked == [
        "SELECT reason, count(*) AS rejected_rows FROM gold_data.sample_data_aggregated_rejects "
        "CROSS JOIN UNNEST(reject_reasons) AS reasons (reason) WHERE run_id = 'jr_3' "
        "GROUP BY reason ORDER BY rejected_rows DESC, reason"
    ]


def test_exactly_the_shown_reasons_say_no_more_and_one_hidden_says_so():
    reasons = [("a", 4), ("b", 3), ("c", 2), ("d", 1)]
    assert describe_reasons(reasons[:3], registered()) == "a 4; b 3; c 2"
    assert describe_reasons(reasons, registered()) == "a 4; b 3; c 2 (+1 more)"


def test_rejected_rows_without_a_quarantine_location_are_pointed_at_the_quarantine():
    report = registered(rejects_partition="", quarantine_location="")
    note = summarize_rejects(REJECTS, "run-1", report, nothing_to_ask, dialect="spark", gate=None).note
    assert note.endswith("(the job's log says why): read them in the quarantine location")
