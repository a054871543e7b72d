"""`load-silver` on a deployed stack (`automation.aws.silver.load_silver`), in process: the edges
mutmut found no fast-tier test reaching or guarding (issue 25, docs/testing.md): the sample's
marker (`_sample.json` under silverUri) written, read and trusted only when it names the same
sample and every file it lists is there with its size; a local dataset uploaded over a sample
forgets the marker; the refusals' messages.

On the emulator (moto) as the operator. The sample maker handed in is a small pyarrow writer
(the CLI hands in the local backend's Spark generator, which these fast tests do not start); it
counts its calls, so a sample generated again is seen. What moto cannot answer (a refused
listing, a partition Glue refuses) is botocore's Stubber. Every expected value is written out
or read from the files themselves.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from automation.aws.deployed import Stack
from automation.aws.session import AwsError
from automation.aws.silver import load_silver, register_silver_partitions, silver_objects, upload_silver
from automation.lake import SilverFile, silver_files
from etl.errors import PipelineError
from etl.sample import SampleSpec
from infra import outputs as out
from tests.automation.test_doctor import operator_stack
from tests.aws_emulator import SILVER_ARROW_SCHEMA, write_silver_dataset
from tests.stubs import STUB_OUTPUTS, stubbed_stack

SAMPLE = SampleSpec(rows=4, months=2, first_year=2023, first_month=11)
ROWS = [{"idade": 30, "ativo": True, "salario": 1000.0, "nome": "a"}]


class Maker:
    """Writes a two-month dataset where the sample would be, counting its calls."""

    def __init__(self) -> None:
        self.calls: list[SampleSpec] = []

    def __call__(self, sample: SampleSpec, folder: Path, progress) -> list[SilverFile]:
        self.calls.append(sample)
        write_silver_dataset(folder, {(2023, 11): ROWS, (2023, 12): ROWS * 2})
        return silver_files(folder)


def marker(seeded) -> dict:
    bucket, prefix = seeded.bucket_and_prefix(out.SILVER_URI)
    body = seeded.emulator.client("s3").get_object(Bucket=bucket, Key=prefix + "_sample.json")["Body"].read()
    return json.loads(body)


def silver_keys(seeded) -> dict[str, int]:
    bucket, prefix = seeded.bucket_and_prefix(out.SILVER_URI)
    listing = seeded.emulator.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return {item["Key"][len(prefix) :]: item["Size"] for item in listing.get("Contents", [])}


def sizes_of_a_made_sample(tmp_path: Path) -> dict[str, int]:
    """The sizes of the files the maker writes, from the files themselves."""
    folder = write_silver_dataset(tmp_path / "reference", {(2023, 11): ROWS, (2023, 12): ROWS * 2})
    return {
        f"ano=2023/mes={mes}/part-0.parquet": (folder / f"ano=2023/mes={mes}/part-0.parquet").stat().st_size
        for mes in (11, 12)
    }


def test_a_sample_is_uploaded_with_its_marker_then_found_whole_and_not_generated_again(as_operator, tmp_path):
    stack, maker, location = operator_stack(as_operator), Maker(), as_operator[out.SILVER_URI]
    sizes = sizes_of_a_made_sample(tmp_path)
    total = sum(sizes.values())
    first_progress: list[str] = []

    first = load_silver(stack, sample=SAMPLE, make_sample=maker, progress=first_progress.append)

    assert first.to_dict() == {
        "source": "sample of 4 rows over 2 months",
        "files": 2,
        "uploaded": 2,
        "skipped": 0,
        "bytes_uploaded": total,
        "partitions": 2,
        "partitions_added": 2,
        "location": location,
        "generated": True,
    }
    assert first_progress == [
        f"uploading 2 of 2 files ({math.ceil(total / 1024):,} KiB) to {location}; 0 already there"
    ]
    assert marker(as_operator) == {
        "sample": {
            "rows": 4,
            "months": 2,
            "first_year": 2023,
            "first_month": 11,
            "invalid_fraction": 0.01,
            "seed": 42,
        },
        "files": sizes,
    }
    assert silver_keys(as_operator) == {**sizes, "_sample.json": silver_keys(as_operator)["_sample.json"]}

    again_progress: list[str] = []
    again = load_silver(stack, sample=SAMPLE, make_sample=maker, progress=again_progress.append)

    assert len(maker.calls) == 1
    assert again_progress == [f"the sample of 4 rows over 2 months is already in {location}: not generated again"]
    assert again.to_dict() == {
        "source": "sample of 4 rows over 2 months",
        "files": 2,
        "uploaded": 0,
        "skipped": 2,
        "bytes_uploaded": 0,
        "partitions": 2,
        "partitions_added": 0,
        "location": location,
        "generated": False,
    }
    assert again.describe() == (
        "sample of 4 rows over 2 months: 0 of 2 files uploaded (2 already there), "
        "0 of 2 partitions added to the silver table"
    )


def put_marker(seeded, body: bytes) -> None:
    bucket, prefix = seeded.bucket_and_prefix(out.SILVER_URI)
    seeded.emulator.client("s3").put_object(Bucket=bucket, Key=prefix + "_sample.json", Body=body)


def delete_silver(seeded, key: str) -> None:
    bucket, prefix = seeded.bucket_and_prefix(out.SILVER_URI)
    seeded.emulator.client("s3").delete_object(Bucket=bucket, Key=prefix + key)


@pytest.mark.parametrize(
    "change",
    [
        "another seed",
        "a file gone",
        "a file of another size",
        "a marker listing no files",
        "a marker that is not JSON",
        "a marker that is not an object",
    ],
)
def test_a_sample_is_generated_again_unless_the_marker_names_it_and_every_file_is_there(as_operator, change):
    stack, maker = operator_stack(as_operator), Maker()
    load_silver(stack, sample=SAMPLE, make_sample=maker)
    sample = SAMPLE
    sample_dict = marker(as_operator)["sample"]
    if change == "another seed":
        sample = SampleSpec(rows=4, months=2, first_year=2023, first_month=11, seed=7)
    elif change == "a file gone":
        delete_silver(as_operator, "ano=2023/mes=12/part-0.parquet")
    elif change == "a file of another size":
        bucket, prefix = as_operator.bucket_and_prefix(out.SILVER_URI)
        as_operator.emulator.client("s3").put_object(
            Bucket=bucket, Key=prefix + "ano=2023/mes=12/part-0.parquet", Body=b"PAR1"
        )
    elif change == "a marker listing no files":
        put_marker(as_operator, json.dumps({"sample": sample_dict, "files": {}}).encode())
    elif change == "a marker that is not JSON":
        put_marker(as_operator, b"{not json")
    elif change == "a marker that is not an object":
        put_marker(as_operator, b"[1, 2]")

    outcome = load_silver(stack, sample=sample, make_sample=maker)

    assert len(maker.calls) == 2
    assert outcome.generated is True
    assert marker(as_operator)["sample"]["seed"] == (7 if change == "another seed" else 42)


def test_a_local_dataset_uploaded_over_a_sample_forgets_the_marker_unless_nothing_was_uploaded(as_operator, tmp_path):
    stack = operator_stack(as_operator)
    load_silver(stack, sample=SAMPLE, make_sample=Maker())
    # The same files as the sample: nothing to upload, the location still holds exactly the sample.
    same = write_silver_dataset(tmp_path / "same", {(2023, 11): ROWS, (2023, 12): ROWS * 2})
    progress: list[str] = []
    kept = load_silver(stack, silver_path=same, progress=progress.append)

    assert (kept.source, kept.uploaded, kept.skipped, kept.generated) == (str(same), 0, 2, False)
    assert progress == [f"all 2 files are already in {as_operator[out.SILVER_URI]}: nothing to upload"]
    assert "_sample.json" in silver_keys(as_operator)

    more = write_silver_dataset(tmp_path / "more", {(2024, 1): ROWS})
    added = load_silver(stack, silver_path=more)

    assert (added.uploaded, added.partitions, added.partitions_added) == (1, 1, 1)
    assert sorted(silver_keys(as_operator)) == [
        "ano=2023/mes=11/part-0.parquet",
        "ano=2023/mes=12/part-0.parquet",
        "ano=2024/mes=1/part-0.parquet",
    ]


def test_a_sample_without_a_generator_is_refused_before_anything_is_uploaded(as_operator):
    stack = operator_stack(as_operator)

    with pytest.raises(PipelineError) as refused:
        load_silver(stack, sample=SAMPLE)

    assert str(refused.value) == "no sample generator was handed in: pass --silver-path DIR"
    assert silver_keys(as_operator) == {}


def test_a_refused_listing_of_silver_names_the_location():
    stack, (s3,) = stubbed_stack(STUB_OUTPUTS, "s3")
    s3.add_client_error("list_objects_v2", "AccessDenied", "Access Denied")
    with s3, pytest.raises(AwsError) as refused:
        silver_objects(stack)

    assert str(refused.value) == ("cannot list s3://lake/silver/sample_data_partitioned/: AccessDenied: Access Denied")


def test_a_partition_glue_refuses_is_named_and_one_already_there_is_not_an_error():
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    table = {"DatabaseName": "silver_data", "Name": "sample_data_partitioned"}
    descriptor = {"Location": "s3://lake/silver/sample_data_partitioned/", "Columns": [{"Name": "idade"}]}
    glue.add_response(
        "get_table", {"Table": {"Name": "sample_data_partitioned", "StorageDescriptor": descriptor}}, table
    )
    glue.add_response(
        "get_partitions", {"Partitions": []}, {"DatabaseName": "silver_data", "TableName": "sample_data_partitioned"}
    )
    glue.add_response(
        "batch_create_partition",
        {
            "Errors": [
                {"PartitionValues": ["2024", "1"], "ErrorDetail": {"ErrorCode": "AlreadyExistsException"}},
                {
                    "PartitionValues": ["2024", "2"],
                    "ErrorDetail": {"ErrorCode": "ResourceNumberLimitExceededException", "ErrorMessage": "too many"},
                },
            ]
        },
        {
            "DatabaseName": "silver_data",
            "TableName": "sample_data_partitioned",
            "PartitionInputList": [
                {
                    "Values": [str(ano), str(mes)],
                    "StorageDescriptor": {
                        "Columns": [{"Name": "idade"}],
                        "Location": f"s3://lake/silver/sample_data_partitioned/ano={ano}/mes={mes}/",
                    },
                }
                for ano, mes in ((2024, 1), (2024, 2))
            ],
        },
    )
    with glue, pytest.raises(AwsError) as refused:
        register_silver_partitions(stack, ["ano=2024/mes=2", "ano=2024/mes=1", "ano=2024/mes=2"])

    assert str(refused.value) == (
        "registering silver partition ['2024', '2'] failed: ResourceNumberLimitExceededException: too many"
    )


def test_the_byte_progress_is_told_the_bytes_to_send_and_each_part_sent_and_not_made_for_nothing(as_operator, tmp_path):
    stack = operator_stack(as_operator)
    sizes = sizes_of_a_made_sample(tmp_path)
    silver = write_silver_dataset(tmp_path / "silver", {(2023, 11): ROWS, (2023, 12): ROWS * 2})
    asked: list[int] = []
    sent: list[int] = []

    def bytes_progress(total: int):
        asked.append(total)
        return sent.append

    load_silver(stack, silver_path=silver, bytes_progress=bytes_progress)
    load_silver(stack, silver_path=silver, bytes_progress=bytes_progress)  # all there: no bar

    assert asked == [sum(sizes.values())]
    assert sum(sent) == sum(sizes.values())


def test_a_refused_upload_names_the_file_and_where_it_was_going(tmp_path):
    silver = write_silver_dataset(tmp_path / "silver", {(2024, 1): ROWS})
    stack, (s3,) = stubbed_stack(STUB_OUTPUTS, "s3")
    s3.add_client_error("put_object", "AccessDenied", "Access Denied")
    (file,) = silver_files(silver)
    with s3, pytest.raises(AwsError) as refused:
        upload_silver(stack, [file], existing={})

    key = "silver/sample_data_partitioned/ano=2024/mes=1/part-0.parquet"
    # boto3 wraps the refusal in S3UploadFailedError, whose text names the bucket and key too.
    assert str(refused.value) == (
        f"uploading {file.path} to s3://lake/{key} failed: Failed to upload {file.path} to lake/{key}: "
        "An error occurred (AccessDenied) when calling the PutObject operation: Access Denied"
    )


def test_a_stack_without_its_silver_table_is_told_to_deploy_and_nothing_is_uploaded(as_operator, tmp_path):
    stack = operator_stack(as_operator)
    as_operator.emulator.client("glue").delete_table(DatabaseName="silver_data_dev", Name="sample_data_partitioned")
    silver = write_silver_dataset(tmp_path / "silver", {(2024, 1): ROWS})

    with pytest.raises(AwsError) as refused:
        load_silver(stack, silver_path=silver)

    assert str(refused.value) == (
        "the table silver_data_dev.sample_data_partitioned is not in the Glue catalog: deploy the stack "
        "(`python -m automation deploy --stack NAME`) before this step"
    )
    assert silver_keys(as_operator) == {}


def test_a_local_dataset_is_uploaded_even_when_the_sample_options_name_the_sample_already_there(as_operator, tmp_path):
    # The CLI hands `load-silver --silver-path DIR` the sample options too (their defaults).
    stack = operator_stack(as_operator)
    load_silver(stack, sample=SAMPLE, make_sample=Maker())
    more = write_silver_dataset(tmp_path / "more", {(2024, 1): ROWS})
    progress: list[str] = []

    outcome = load_silver(stack, silver_path=more, sample=SAMPLE, progress=progress.append)

    assert (outcome.source, outcome.files, outcome.uploaded, outcome.skipped) == (str(more), 1, 1, 0)
    assert (outcome.partitions, outcome.partitions_added, outcome.generated) == (1, 1, False)
    assert "ano=2024/mes=1/part-0.parquet" in silver_keys(as_operator)
    assert "_sample.json" not in silver_keys(as_operator)
    assert progress[0].startswith("uploading 1 of 1 files (")


def silver_partition_locations(seeded) -> dict[tuple[str, ...], str]:
    glue = seeded.emulator.client("glue")
    partitions = glue.get_partitions(DatabaseName="silver_data_dev", TableName="sample_data_partitioned")["Partitions"]
    return {tuple(p["Values"]): p["StorageDescriptor"]["Location"] for p in partitions}


def test_a_sample_found_whole_registers_the_partitions_the_catalog_lost_at_their_folders(as_operator):
    stack, location = operator_stack(as_operator), as_operator[out.SILVER_URI]
    load_silver(stack, sample=SAMPLE, make_sample=Maker())
    as_operator.emulator.client("glue").batch_delete_partition(
        DatabaseName="silver_data_dev",
        TableName="sample_data_partitioned",
        PartitionsToDelete=[{"Values": ["2023", "11"]}, {"Values": ["2023", "12"]}],
    )

    again = load_silver(stack, sample=SAMPLE, make_sample=Maker())

    assert (again.generated, again.uploaded, again.partitions, again.partitions_added) == (False, 0, 2, 2)
    assert silver_partition_locations(as_operator) == {
        ("2023", "11"): f"{location}ano=2023/mes=11/",
        ("2023", "12"): f"{location}ano=2023/mes=12/",
    }


class ReportingMaker(Maker):
    """A maker that says what it writes, through the progress it is handed, newest month first."""

    def __call__(self, sample: SampleSpec, folder: Path, progress) -> list[SilverFile]:
        progress(f"writing {sample.rows} rows over {sample.months} months")
        return list(reversed(super().__call__(sample, folder, progress)))


def test_the_maker_is_asked_for_the_sample_and_its_progress_is_shown_before_the_upload(as_operator):
    stack, maker = operator_stack(as_operator), ReportingMaker()
    progress: list[str] = []

    load_silver(stack, sample=SAMPLE, make_sample=maker, progress=progress.append)

    assert maker.calls == [SampleSpec(rows=4, months=2, first_year=2023, first_month=11)]
    assert progress[0] == "writing 4 rows over 2 months"
    assert progress[1].startswith("uploading 2 of 2 files (")


def test_the_marker_is_the_same_bytes_whatever_order_the_maker_lists_its_files_in(as_operator, tmp_path):
    # Keys sorted: the same sample leaves the same object (and ETag) under silverUri however the
    # generator happened to list what it wrote (ReportingMaker lists the newest month first).
    stack = operator_stack(as_operator)
    sizes = sizes_of_a_made_sample(tmp_path)
    load_silver(stack, sample=SAMPLE, make_sample=ReportingMaker())

    bucket, prefix = as_operator.bucket_and_prefix(out.SILVER_URI)
    body = as_operator.emulator.client("s3").get_object(Bucket=bucket, Key=prefix + "_sample.json")["Body"].read()

    november, december = sizes["ano=2023/mes=11/part-0.parquet"], sizes["ano=2023/mes=12/part-0.parquet"]
    expected = (
        f'{{"files": {{"ano=2023/mes=11/part-0.parquet": {november}, '
        f'"ano=2023/mes=12/part-0.parquet": {december}}}, '
        '"sample": {"first_month": 11, "first_year": 2023, "invalid_fraction": 0.01, "months": 2, '
        '"rows": 4, "seed": 42}}'
    )
    assert body.decode() == expected


def test_a_refused_upload_of_a_sample_names_the_file_in_the_scratch_folder_of_silver_to_gold(tmp_path):
    stack, (glue, s3) = stubbed_stack(STUB_OUTPUTS, "glue", "s3")
    glue.add_response(
        "get_table",
        {"Table": {"Name": "sample_data_partitioned"}},
        {"DatabaseName": "silver_data", "Name": "sample_data_partitioned"},
    )
    s3.add_response("list_objects_v2", {"KeyCount": 0})
    s3.add_client_error("put_object", "AccessDenied", "Access Denied")

    with glue, s3, pytest.raises(AwsError) as refused:
        load_silver(stack, sample=SAMPLE, make_sample=Maker())

    # The scratch folder's name tells a user whose leftover it is: tempfile's folder, then
    # silver-to-gold-sample- and tempfile's random part.
    key = "silver/sample_data_partitioned/ano=2023/mes=11/part-0.parquet"
    scratch = re.escape(tempfile.gettempdir()) + r"/silver-to-gold-sample-[a-z0-9_]+"
    assert re.fullmatch(
        f"uploading {scratch}/ano=2023/mes=11/part-0.parquet to s3://lake/{re.escape(key)} failed: .*AccessDenied.*",
        str(refused.value),
    ), str(refused.value)


def write_silver_file_sized_between(root: Path, smallest: int, largest: int) -> Path:
    """One silver file of ROWS whose size is within [smallest, largest] bytes: padded with
    key-value metadata in its footer (pyarrow writes it twice, the second time in base64)."""
    file = root / "ano=2024" / "mes=1" / "part-0.parquet"
    file.parent.mkdir(parents=True)
    padding, middle = 0, (smallest + largest) // 2
    for _ in range(10):
        schema = SILVER_ARROW_SCHEMA.with_metadata({"padding": "x" * padding})
        pq.write_table(pa.Table.from_pylist(ROWS, schema=schema), file)
        size = file.stat().st_size
        if smallest <= size <= largest:
            return root
        padding += (middle - size) * 3 // 7
    raise AssertionError(f"could not write a file of {smallest} to {largest} bytes")


def test_the_upload_line_gives_the_size_in_kibibytes_rounded_up(as_operator, tmp_path):
    # 1,024,001 to 1,025,000 bytes are 1,001 KiB rounded up (1000.001 to 1000.98 KiB).
    silver = write_silver_file_sized_between(tmp_path / "silver", 1_024_001, 1_025_000)
    progress: list[str] = []

    load_silver(operator_stack(as_operator), silver_path=silver, progress=progress.append)

    assert progress == [f"uploading 1 of 1 files (1,001 KiB) to {as_operator[out.SILVER_URI]}; 0 already there"]


def test_a_load_lists_the_silver_location_once_and_nothing_else_of_the_bucket(as_operator, tmp_path):
    # A listing is a request a page, each page up to 1,000 objects ("Returns some or all (up to
    # 1,000) of the objects in a bucket with each request",
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html), and S3 bills LIST
    # requests (https://aws.amazon.com/s3/pricing/): the listing that chose what to upload is the
    # one the upload skips by, not a second one, which could also disagree with the progress line
    # if something wrote to the location in between; and it lists silverUri only, not the lake
    # bucket's gold data and reports as well.
    stack = operator_stack(as_operator)
    silver = write_silver_dataset(tmp_path / "silver", {(2024, 1): ROWS})
    s3_requests: list[tuple[str, str | None]] = []

    def record(params, model, **_) -> None:
        s3_requests.append((model.name, params.get("Prefix")))

    stack.clients.s3.meta.events.register("provide-client-params.s3", record)

    outcome = load_silver(stack, silver_path=silver)

    assert (outcome.uploaded, outcome.skipped) == (1, 0)
    _, prefix = as_operator.bucket_and_prefix(out.SILVER_URI)
    assert prefix.endswith("/sample_data_partitioned/")
    assert s3_requests == [("ListObjectsV2", prefix), ("PutObject", None)]


def test_the_sample_marker_is_put_with_the_stacks_kms_key_like_the_files(as_operator):
    # A bucket policy may refuse a PutObject without the SSE-KMS headers (silver.upload_encryption):
    # the marker is an object under silverUri like the files, so it carries them too.
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    seeded = operator_stack(as_operator)
    stack = Stack(replace(seeded.outputs, kms_key_arn=key_arn), seeded.clients)
    encryption_by_key: dict[str, tuple] = {}

    def record(params, **_) -> None:
        name = params["Key"].rsplit("/sample_data_partitioned/", 1)[1]
        encryption_by_key[name] = (params.get("ServerSideEncryption"), params.get("SSEKMSKeyId"))

    stack.clients.s3.meta.events.register("provide-client-params.s3.PutObject", record)

    load_silver(stack, sample=SAMPLE, make_sample=Maker())

    assert encryption_by_key == {
        "ano=2023/mes=11/part-0.parquet": ("aws:kms", key_arn),
        "ano=2023/mes=12/part-0.parquet": ("aws:kms", key_arn),
        "_sample.json": ("aws:kms", key_arn),
    }


SILVER_TABLE = {"DatabaseName": "silver_data", "Name": "sample_data_partitioned"}
SILVER_DESCRIPTOR = {"Location": "s3://lake/silver/sample_data_partitioned/", "Columns": [{"Name": "idade"}]}


def test_a_refused_read_of_the_silver_table_while_registering_names_the_table():
    # load-silver reads the table again to register (its storage descriptor): a refusal there,
    # throttling or a table deleted meanwhile, is one sentence, not a traceback.
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    glue.add_client_error("get_table", "ThrottlingException", "Rate exceeded", expected_params=SILVER_TABLE)
    with glue, pytest.raises(AwsError) as refused:
        register_silver_partitions(stack, ["ano=2024/mes=1"])

    assert str(refused.value) == (
        "the Glue catalog refused a request on silver_data.sample_data_partitioned: ThrottlingException: Rate exceeded"
    )


def glue_over_an_unpartitioned_silver_table():
    """A stack with a stubbed Glue whose silver table (`SILVER_DESCRIPTOR`) has no partition yet:
    the table read and the partition listing `register_silver_partitions` starts with, answered."""
    stack, (glue,) = stubbed_stack(STUB_OUTPUTS, "glue")
    silver_table = {"Name": "sample_data_partitioned", "StorageDescriptor": SILVER_DESCRIPTOR}
    glue.add_response("get_table", {"Table": silver_table}, SILVER_TABLE)
    glue.add_response("get_partitions", {"Partitions": []})
    return stack, glue


def partition_input(ano: int, mes: int) -> dict:
    location = f"s3://lake/silver/sample_data_partitioned/ano={ano}/mes={mes}/"
    return {"Values": [str(ano), str(mes)], "StorageDescriptor": {"Columns": [{"Name": "idade"}], "Location": location}}


def test_more_than_a_hundred_partitions_are_registered_oldest_first_in_batches_of_a_hundred():
    # 101 months, 2015-06 to 2023-10: the first request the 100 oldest, the second 2023-10 alone,
    # so a refusal of the second leaves every month to 2023-09 registered (as text, mes=10 would
    # sort before mes=2 and the second request would hold 2023-09).
    months = [((2015 * 12 + 5 + i) // 12, (5 + i) % 12 + 1) for i in range(101)]
    assert (months[0], months[99], months[100]) == ((2015, 6), (2023, 9), (2023, 10))
    stack, glue = glue_over_an_unpartitioned_silver_table()
    table = {"DatabaseName": "silver_data", "TableName": "sample_data_partitioned"}
    glue.add_response(
        "batch_create_partition", {}, {**table, "PartitionInputList": [partition_input(*m) for m in months[:100]]}
    )
    refusal = {"ErrorCode": "ResourceNumberLimitExceededException", "ErrorMessage": "too many"}
    glue.add_response(
        "batch_create_partition",
        {"Errors": [{"PartitionValues": ["2023", "10"], "ErrorDetail": refusal}]},
        {**table, "PartitionInputList": [partition_input(2023, 10)]},
    )
    specs = [f"ano={ano}/mes={mes}" for ano, mes in reversed(months)]
    with glue, pytest.raises(AwsError) as refused:
        register_silver_partitions(stack, specs)

    assert str(refused.value) == (
        "registering silver partition ['2023', '10'] failed: ResourceNumberLimitExceededException: too many"
    )


def test_a_refused_batch_of_partitions_names_the_silver_table():
    stack, glue = glue_over_an_unpartitioned_silver_table()
    glue.add_client_error(
        "batch_create_partition",
        "AccessDeniedException",
        "not authorized to perform glue:BatchCreatePartition",
        expected_params={
            "DatabaseName": "silver_data",
            "TableName": "sample_data_partitioned",
            "PartitionInputList": [partition_input(2024, 1)],
        },
    )
    with glue, pytest.raises(AwsError) as refused:
        register_silver_partitions(stack, ["ano=2024/mes=1"])

    assert str(refused.value) == (
        "the Glue catalog refused a request on silver_data.sample_data_partitioned: "
        "AccessDeniedException: not authorized to perform glue:BatchCreatePartition"
    )


def test_a_partition_registered_meanwhile_is_not_counted_as_added():
    # Another load registered 2024-01 between the listing of partitions and the batch: Glue
    # answers AlreadyExists for it, and only 2024-02 was added.
    stack, glue = glue_over_an_unpartitioned_silver_table()
    already = {"ErrorCode": "AlreadyExistsException", "ErrorMessage": "Partition already exists."}
    glue.add_response(
        "batch_create_partition",
        {"Errors": [{"PartitionValues": ["2024", "1"], "ErrorDetail": already}]},
        {
            "DatabaseName": "silver_data",
            "TableName": "sample_data_partitioned",
            "PartitionInputList": [partition_input(2024, 1), partition_input(2024, 2)],
        },
    )
    with glue:
        assert register_silver_partitions(stack, ["ano=2024/mes=1", "ano=2024/mes=2"]) == (2, 1)


def test_an_object_listed_without_a_size_counts_as_empty_not_as_a_traceback():
    # S3's model makes every member of a listed Object optional, Size too (botocore's s3 model:
    # Object has no required members): such an object is taken for 0 bytes, so a file of that key
    # is uploaded again rather than load-silver failing.
    stack, (s3,) = stubbed_stack(STUB_OUTPUTS, "s3")
    key = "silver/sample_data_partitioned/ano=2024/mes=1/part-0.parquet"
    s3.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": key}], "KeyCount": 1},
        {"Bucket": "lake", "Prefix": "silver/sample_data_partitioned/"},
    )
    with s3:
        assert silver_objects(stack) == {key: 0}
