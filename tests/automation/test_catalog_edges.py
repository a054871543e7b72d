"""`register --method job|crawler|msck` on a deployed stack (`automation.aws.catalog`), in process:
the edges mutmut found no fast-tier test reaching or guarding (issue 25, docs/testing.md; the e2e
tests in `tests/e2e/test_aws_cli.py` start the CLI as a subprocess, out of mutmut's reach).

On the emulator (moto) as the operator (`as_operator`): gold's files and catalog partitions are
put there by hand, so each test says exactly what is on each side. What moto cannot answer (a
refused listing, a saved query Athena does not know) is botocore's Stubber, checked against each
service's model; the crawler's are in `test_crawler_edges.py`. Every expected value is written out.
"""

from __future__ import annotations

import json

import pytest

from automation.aws.catalog import register
from automation.aws.session import WaitTimeout
from automation.cli import main
from etl.errors import PipelineError
from infra import outputs as out
from tests.stubs import STUB_OUTPUTS, stubbed_stack

GOLD_TABLE = {"DatabaseName": "gold_data", "TableName": "sample_data_aggregated"}


pytestmark = pytest.mark.usefixtures("instant_waits")


def gold_files(seeded, *specs: str) -> None:
    """One gold data file in each `ano=/mes=` folder."""
    bucket, prefix = seeded.bucket_and_prefix(out.GOLD_URI)
    for spec in specs:
        seeded.emulator.client("s3").put_object(Bucket=bucket, Key=f"{prefix}{spec}/part-00000.parquet", Body=b"x")


def gold_partitions(seeded, *values: tuple[int, int]) -> None:
    """Catalog partitions of the gold table, each with its table's storage descriptor."""
    glue = seeded.emulator.client("glue")
    table = glue.get_table(DatabaseName=seeded[out.GOLD_DATABASE], Name=seeded[out.GOLD_TABLE])["Table"]
    glue.batch_create_partition(
        DatabaseName=seeded[out.GOLD_DATABASE],
        TableName=seeded[out.GOLD_TABLE],
        PartitionInputList=[
            {"Values": [str(ano), str(mes)], "StorageDescriptor": table["StorageDescriptor"]} for ano, mes in values
        ],
    )


def register_json(seeded, method: str, capsys) -> dict:
    assert main(["register", "--method", method, "--outputs-file", str(seeded.outputs_file), "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


# -- register --method job -----------------------------------------------------------------------
def test_register_job_reports_the_partitions_the_catalog_and_s3_agree_on(as_operator, capsys):
    gold_files(as_operator, "ano=2024/mes=2", "ano=2024/mes=10", "ano=2024/mes=9")
    gold_partitions(as_operator, (2024, 10), (2024, 2), (2024, 9))

    assert register_json(as_operator, "job", capsys) == {
        "method": "job",
        "partitions": ["ano=2024/mes=2", "ano=2024/mes=9", "ano=2024/mes=10"],
        "partition_count": 3,
        "detail": "3 partitions in the catalog match the S3 folders",
        "crawl": {},
        "query": {},
    }


def test_register_job_prints_the_agreement_and_the_partitions(as_operator, capsys):
    gold_files(as_operator, "ano=2024/mes=1")
    gold_partitions(as_operator, (2024, 1))

    assert main(["register", "--method", "job", "--outputs-file", str(as_operator.outputs_file)]) == 0

    assert capsys.readouterr().out.splitlines()[-2:] == [
        "job: 1 partition in the catalog match the S3 folders",
        "partitions: ano=2024/mes=1",
    ]


def test_register_job_names_the_first_five_partitions_on_each_side_in_partition_order(as_operator, capsys):
    # In the catalog only: 2023 months 8 to 12 and 2024/1 (as text, mes=10 would come before mes=8).
    gold_partitions(as_operator, (2024, 1), (2023, 12), (2023, 11), (2023, 10), (2023, 9), (2023, 8))
    # In S3 only: 2025 months 1 to 7.
    gold_files(as_operator, *(f"ano=2025/mes={mes}" for mes in (7, 6, 5, 4, 3, 2, 1)))

    code = main(["register", "--method", "job", "--outputs-file", str(as_operator.outputs_file)])

    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: gold partitions do not match: catalog partitions with no files in S3: ano=2023/mes=8, "
        "ano=2023/mes=9, ano=2023/mes=10, ano=2023/mes=11, ano=2023/mes=12; S3 folders the catalog lacks: "
        "ano=2025/mes=1, ano=2025/mes=2, ano=2025/mes=3, ano=2025/mes=4, ano=2025/mes=5 (register them with "
        "--method crawler or msck)"
    )


def test_register_job_names_catalog_partitions_without_files_alone(as_operator, capsys):
    gold_files(as_operator, "ano=2024/mes=1")
    gold_partitions(as_operator, (2024, 1), (2024, 2))

    code = main(["register", "--method", "job", "--outputs-file", str(as_operator.outputs_file)])

    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: gold partitions do not match: catalog partitions with no files in S3: ano=2024/mes=2"
    )


def test_register_job_names_s3_folders_the_catalog_lacks_in_partition_order(as_operator, capsys):
    # In S3 only, none in the catalog: 2024 months 9 to 12, then 2025/1 and 2025/2 (as text,
    # mes=10, mes=11 and mes=12 would come before mes=9).
    gold_files(as_operator, "ano=2025/mes=2", "ano=2024/mes=12", "ano=2025/mes=1")
    gold_files(as_operator, "ano=2024/mes=10", "ano=2024/mes=9", "ano=2024/mes=11")

    code = main(["register", "--method", "job", "--outputs-file", str(as_operator.outputs_file)])

    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: gold partitions do not match: S3 folders the catalog lacks: ano=2024/mes=9, ano=2024/mes=10, "
        "ano=2024/mes=11, ano=2024/mes=12, ano=2025/mes=1 (register them with --method crawler or msck)"
    )


def test_register_on_a_stack_whose_gold_table_is_gone_asks_for_a_deploy(as_operator, capsys):
    """GetPartitions on a table the catalog does not have: EntityNotFoundException."""
    as_operator.emulator.client("glue").delete_table(
        DatabaseName=as_operator[out.GOLD_DATABASE], Name=as_operator[out.GOLD_TABLE]
    )

    code = main(["register", "--method", "job", "--outputs-file", str(as_operator.outputs_file)])

    assert code == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: the table gold_data.sample_data_aggregated is not in the Glue catalog: deploy the stack "
        "(`python -m automation deploy --stack NAME`) before this step"
    )


# -- register --method msck ----------------------------------------------------------------------
def test_register_msck_runs_the_saved_query_where_it_was_saved_and_reports_the_partitions(as_operator, capsys):
    """The dev stack's saved query: `MSCK REPAIR TABLE gold_data.sample_data_aggregated` in the
    stack's workgroup and database. The emulator runs no DDL (partitions are put there by hand)
    and reports every query's scan as 0 bytes; DDL is free ("Amazon Athena pricing")."""
    gold_partitions(as_operator, (2024, 3), (2024, 1))

    found = register_json(as_operator, "msck", capsys)

    athena = as_operator.emulator.client("athena")
    (query_id,) = athena.list_query_executions(WorkGroup="silver-to-gold-dev")["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert execution["QueryExecutionContext"] == {"Database": "gold_data"}
    assert found == {
        "method": "msck",
        "partitions": ["ano=2024/mes=1", "ano=2024/mes=3"],
        "partition_count": 2,
        "detail": f"MSCK REPAIR TABLE gold_data.sample_data_aggregated succeeded (query {query_id}); "
        "2 partitions in the catalog",
        "crawl": {},
        "query": {
            "query_id": query_id,
            "sql": "MSCK REPAIR TABLE gold_data.sample_data_aggregated",
            "state": "SUCCEEDED",
            "statement_type": "DDL",
            "workgroup": "silver-to-gold-dev",
            "columns": [],
            "rows": [],
            "data_scanned_bytes": 0,
            "billed_bytes": 0,
            "cost_usd": 0.0,
        },
    }


def test_register_msck_of_a_saved_query_without_workgroup_or_database_uses_the_stacks(capsys):
    """A saved query's WorkGroup and Database are optional in GetNamedQuery's answer (NamedQuery
    requires only Name, Database and QueryString in the API reference; botocore's model requires
    Name, Database, QueryString): a saved query that names no workgroup runs in the stack's."""
    stack, (athena, glue) = stubbed_stack(STUB_OUTPUTS | {out.REPAIR_QUERY_ID: "nq-1"}, "athena", "glue")
    saved = {"Name": "repair", "Database": "gold_data", "QueryString": "MSCK REPAIR TABLE gold_data.t"}
    athena.add_response("get_named_query", {"NamedQuery": saved}, {"NamedQueryId": "nq-1"})
    athena.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-1"},
        {
            "QueryString": "MSCK REPAIR TABLE gold_data.t",
            "WorkGroup": "silver-to-gold-dev",
            "QueryExecutionContext": {"Database": "gold_data"},
        },
    )
    athena.add_response(
        "get_query_execution",
        {"QueryExecution": {"QueryExecutionId": "q-1", "Status": {"State": "SUCCEEDED"}, "StatementType": "DDL"}},
        {"QueryExecutionId": "q-1"},
    )
    athena.add_response("get_query_results", {}, {"QueryExecutionId": "q-1"})
    glue.add_response("get_partitions", {"Partitions": [{"Values": ["2024", "1"]}]}, GOLD_TABLE)
    progress: list[str] = []
    with athena, glue:
        outcome = register(stack, "msck", progress.append)

    assert progress == ["query q-1 started in workgroup silver-to-gold-dev"]
    assert outcome.detail == "MSCK REPAIR TABLE gold_data.t succeeded (query q-1); 1 partition in the catalog"


def test_register_msck_runs_a_saved_query_in_the_workgroup_and_database_it_was_saved_with(capsys):
    """A saved query edited (or saved) outside the stack's workgroup and gold database runs where it
    was saved, not where the stack's outputs point."""
    stack, (athena, glue) = stubbed_stack(STUB_OUTPUTS | {out.REPAIR_QUERY_ID: "nq-2"}, "athena", "glue")
    saved = {
        "Name": "repair",
        "Database": "gold_archive",
        "WorkGroup": "analysts",
        "QueryString": "MSCK REPAIR TABLE gold_archive.t",
    }
    athena.add_response("get_named_query", {"NamedQuery": saved}, {"NamedQueryId": "nq-2"})
    athena.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-2"},
        {
            "QueryString": "MSCK REPAIR TABLE gold_archive.t",
            "WorkGroup": "analysts",
            "QueryExecutionContext": {"Database": "gold_archive"},
        },
    )
    athena.add_response(
        "get_query_execution",
        {"QueryExecution": {"QueryExecutionId": "q-2", "Status": {"State": "SUCCEEDED"}, "StatementType": "DDL"}},
        {"QueryExecutionId": "q-2"},
    )
    athena.add_response("get_query_results", {}, {"QueryExecutionId": "q-2"})
    glue.add_response("get_partitions", {"Partitions": []}, GOLD_TABLE)
    progress: list[str] = []
    with athena, glue:
        outcome = register(stack, "msck", progress.append)
        athena.assert_no_pending_responses()

    assert progress == ["query q-2 started in workgroup analysts"]
    assert outcome.query["workgroup"] == "analysts"


def test_register_msck_gives_up_on_a_repair_still_running_after_thirty_minutes(clock):
    """`register` passes no timeout: 30 minutes. Athena's looks come 0.5 s apart, then 1.5 times
    longer each time up to 10 s: 8 sleeps make 24.63 s, 177 of 10 s make 1794.63 s, the last
    sleeps the 5.37 s left: the 187th look is at 1800 s and the last."""
    stack, (athena,) = stubbed_stack(STUB_OUTPUTS | {out.REPAIR_QUERY_ID: "nq-3"}, "athena")
    saved = {"Name": "repair", "Database": "gold_data", "QueryString": "MSCK REPAIR TABLE gold_data.t"}
    athena.add_response("get_named_query", {"NamedQuery": saved}, {"NamedQueryId": "nq-3"})
    athena.add_response("start_query_execution", {"QueryExecutionId": "q-3"}, None)
    running = {"QueryExecution": {"QueryExecutionId": "q-3", "Status": {"State": "RUNNING"}}}
    for _ in range(187):
        athena.add_response("get_query_execution", running, {"QueryExecutionId": "q-3"})
    with athena:
        with pytest.raises(WaitTimeout) as gave_up:
            register(stack, "msck")
        athena.assert_no_pending_responses()

    assert str(gave_up.value) == "gave up waiting for Athena query q-3 to finish after 1800 s (187 checks)"
    assert clock.now == 1800


def test_register_msck_of_a_saved_query_athena_does_not_know_asks_for_a_deploy():
    """GetNamedQuery answers an unknown id with InvalidRequestException (its documented errors are
    that and InternalServerException,
    https://docs.aws.amazon.com/athena/latest/APIReference/API_GetNamedQuery.html)."""
    stack, (athena,) = stubbed_stack(STUB_OUTPUTS | {out.REPAIR_QUERY_ID: "nq-gone"}, "athena")
    athena.add_client_error("get_named_query", "InvalidRequestException", "NamedQuery nq-gone was not found")
    athena.add_client_error("get_named_query", "InternalServerException", "try again")
    with athena:
        with pytest.raises(Exception) as gone:
            register(stack, "msck")
        with pytest.raises(Exception) as refused:
            register(stack, "msck")

    assert str(gone.value) == "the saved query 'nq-gone' does not exist in region us-east-1: deploy the stack first"
    assert str(refused.value) == "cannot read the saved query nq-gone: InternalServerException: try again"


def test_an_unknown_registration_method_is_refused_naming_the_three():
    stack, _ = stubbed_stack(STUB_OUTPUTS)
    with pytest.raises(PipelineError) as unknown:
        register(stack, "manual")

    assert str(unknown.value) == "unknown registration method 'manual': use job, crawler, msck"


# -- register --method crawler -------------------------------------------------------------------
def test_register_crawler_on_the_emulator_reports_its_crawl_and_the_partitions(as_operator, capsys):
    """moto's crawl ends COMPLETED at once here, and ListCrawls gives it DPUHour 100.0 and no
    Summary: the partitions it changed are not reported."""
    gold_partitions(as_operator, (2024, 1))

    found = register_json(as_operator, "crawler", capsys)

    glue = as_operator.emulator.client("glue")
    (crawl,) = glue.list_crawls(CrawlerName="crawler-gold-data")["Crawls"]
    assert found == {
        "method": "crawler",
        "partitions": ["ano=2024/mes=1"],
        "partition_count": 1,
        "detail": "crawl COMPLETED: partition changes not reported; 1 partition in the catalog",
        "crawl": {"status": "COMPLETED", "crawl_id": crawl["CrawlId"], "dpu_hours": 100.0},
        "query": {},
    }


def test_a_refused_gold_listing_or_catalog_read_names_what_was_refused():
    stack, (glue, s3) = stubbed_stack(STUB_OUTPUTS, "glue", "s3")
    glue.add_response("get_partitions", {"Partitions": []}, GOLD_TABLE)
    s3.add_client_error("list_objects_v2", "AccessDenied", "Access Denied")
    glue.add_client_error("get_partitions", "AccessDeniedException", "not authorized to perform glue:GetPartitions")
    with glue, s3:
        with pytest.raises(Exception) as unlisted:
            register(stack, "job")
        with pytest.raises(Exception) as unread:
            register(stack, "job")

    assert str(unlisted.value) == ("cannot list s3://lake/gold/sample_data_aggregated/: AccessDenied: Access Denied")
    assert str(unread.value) == (
        "the Glue catalog refused a request on gold_data.sample_data_aggregated: AccessDeniedException: "
        "not authorized to perform glue:GetPartitions"
    )
