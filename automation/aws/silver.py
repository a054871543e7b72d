"""Silver data for a deployed stack: upload a local dataset (or the sample) under the
stack's silver location and register its partitions in the silver table (idempotent).

The sample is made by a function the caller hands in (`make_sample`: the local backend's
Spark generator), so this module needs neither Spark nor the local backend.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from botocore.exceptions import ClientError

from automation.aws.catalog import catalog_error, catalog_partitions
from automation.aws.deployed import Stack
from automation.aws.session import AwsError, error_message, paginate, transfer_config
from automation.lake import SAMPLE_MARKER, SilverFile, silver_files, spec_order
from automation.outputs import StackOutputs, split_s3_uri
from automation.pipeline import Notify, silent
from etl.errors import PipelineError
from etl.incremental import parse_partition_spec
from etl.sample import SampleSpec

# Catalog calls take at most 100 partitions per BatchCreatePartition request.
BATCH_CREATE_PARTITION_LIMIT = 100
# Makes the sample silver files in a scratch folder: (spec, folder, progress) -> files.
SampleMaker = Callable[[SampleSpec, Path, Notify], list[SilverFile]]


@dataclass
class SilverLoadOutcome:
    """What load-silver uploaded and registered."""

    source: str
    files: int
    uploaded: int
    skipped: int
    bytes_uploaded: int
    partitions: int
    partitions_added: int
    location: str
    generated: bool = False  # the sample was generated (False when it was already uploaded whole)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        return (
            f"{self.source}: {self.uploaded} of {self.files} files uploaded ({self.skipped} already there), "
            f"{self.partitions_added} of {self.partitions} partitions added to the silver table"
        )


def silver_objects(stack: Stack) -> dict[str, int]:
    """Every object under silverUri: key -> size."""
    bucket, prefix = split_s3_uri(stack.outputs.silver_uri)
    try:
        return {
            item["Key"]: int(item.get("Size", 0))
            for item in paginate(stack.clients.s3, "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix)
        }
    except ClientError as error:
        raise AwsError(f"cannot list s3://{bucket}/{prefix}: {error_message(error)}") from None


def pending_uploads(outputs: StackOutputs, files: Sequence[SilverFile], existing: dict[str, int]) -> list[SilverFile]:
    """The files not already under silverUri with the same key and size."""
    _, prefix = split_s3_uri(outputs.silver_uri)
    return [file for file in files if existing.get(prefix + file.key) != file.size]


def upload_silver(
    stack: Stack,
    files: Sequence[SilverFile],
    on_bytes: Callable[[int], None] | None = None,
    multipart_threshold: int = 64 * 2**20,
    existing: dict[str, int] | None = None,
) -> tuple[int, int, int]:
    """Upload files under silverUri with managed transfers; skip keys already there with the same size.

    Args:
        existing: the objects under silverUri (key -> size), when the caller listed them already.

    Returns:
        (uploaded, skipped, bytes uploaded).
    """
    bucket, prefix = split_s3_uri(stack.outputs.silver_uri)
    existing = silver_objects(stack) if existing is None else existing
    pending = pending_uploads(stack.outputs, files, existing)
    transfer = transfer_config(multipart_threshold)
    extra = upload_encryption(stack.outputs)
    sent = 0
    for file in pending:
        key = prefix + file.key
        try:
            stack.clients.s3.upload_file(
                str(file.path), bucket, key, ExtraArgs=extra or None, Config=transfer, Callback=on_bytes
            )
        except Exception as error:  # boto3's S3UploadFailedError wraps the ClientError
            raise AwsError(f"uploading {file.path} to s3://{bucket}/{key} failed: {error}") from None
        sent += file.size
    return len(pending), len(files) - len(pending), sent


def _sample_marker(files: Sequence[SilverFile], sample: SampleSpec) -> bytes:
    """What `_sample.json` under silverUri says: the sample's options and every file it wrote."""
    document = {"sample": sample.to_dict(), "files": {f.key: f.size for f in files}}
    return json.dumps(document, sort_keys=True).encode()


def _uploaded_sample(stack: Stack, sample: SampleSpec, existing: dict[str, int]) -> dict[str, int] | None:
    """The files (key under silverUri -> size) of `sample` when it is already uploaded whole:
    the marker names this sample and every file it lists is there with its size."""
    bucket, prefix = split_s3_uri(stack.outputs.silver_uri)
    if prefix + SAMPLE_MARKER not in existing:
        return None
    try:
        document = json.loads(stack.clients.s3.get_object(Bucket=bucket, Key=prefix + SAMPLE_MARKER)["Body"].read())
    except (ClientError, ValueError):
        return None
    if not isinstance(document, dict):  # a marker written by hand, or by something else: not ours
        return None
    files = document.get("files")
    if document.get("sample") != sample.to_dict() or not isinstance(files, dict) or not files:
        return None
    if any(existing.get(prefix + key) != size for key, size in files.items()):
        return None
    return files


def upload_encryption(outputs: StackOutputs) -> dict[str, str]:
    """The encryption headers an upload sends when the stack has a KMS key (`kmsKeyArn`):
    SSE-KMS with that key. A bucket policy may refuse a PutObject without them (the
    `s3:x-amz-server-side-encryption` and `s3:x-amz-server-side-encryption-aws-kms-key-id`
    condition keys, "Bucket policy examples using condition keys",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html); the
    bucket's default encryption is applied only "If a PUT Object request doesn't specify any
    server-side encryption" (ServerSideEncryptionRule,
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionRule.html), which
    such a policy refuses."""
    key = outputs.kms_key_arn
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key} if key else {}


def register_silver_partitions(stack: Stack, specs: Iterable[str]) -> tuple[int, int]:
    """Add the silver table's missing partitions (batches of 100); existing ones are left alone.

    Returns:
        (partitions wanted, partitions added).
    """
    database, table = stack.outputs.silver_database, stack.outputs.silver_table
    glue = stack.clients.glue
    try:
        descriptor = glue.get_table(DatabaseName=database, Name=table)["Table"]["StorageDescriptor"]
    except ClientError as error:
        raise catalog_error(error, database, table) from None
    wanted = sorted(set(specs), key=spec_order)
    existing = set(catalog_partitions(stack, database, table))
    missing = [spec for spec in wanted if spec not in existing]
    location = stack.outputs.silver_uri
    inputs = []
    for spec in missing:
        ano, mes = parse_partition_spec(spec)
        partition_descriptor = {k: v for k, v in descriptor.items() if k != "Location"}
        partition_descriptor["Location"] = f"{location}{spec}/"
        inputs.append({"Values": [str(ano), str(mes)], "StorageDescriptor": partition_descriptor})
    added = 0
    for start in range(0, len(inputs), BATCH_CREATE_PARTITION_LIMIT):
        batch = inputs[start : start + BATCH_CREATE_PARTITION_LIMIT]
        try:
            response = glue.batch_create_partition(DatabaseName=database, TableName=table, PartitionInputList=batch)
        except ClientError as error:
            raise catalog_error(error, database, table) from None
        errors = [
            e for e in response.get("Errors", []) if e["ErrorDetail"].get("ErrorCode") != "AlreadyExistsException"
        ]
        if errors:
            first = errors[0]
            raise AwsError(
                f"registering silver partition {first['PartitionValues']} failed: "
                f"{first['ErrorDetail'].get('ErrorCode')}: {first['ErrorDetail'].get('ErrorMessage')}"
            )
        added += len(batch) - len(response.get("Errors", []))
    return len(wanted), added


def check_silver_table(stack: Stack) -> None:
    """Fail before any upload when the silver table is not in the catalog."""
    database, table = stack.outputs.silver_database, stack.outputs.silver_table
    try:
        stack.clients.glue.get_table(DatabaseName=database, Name=table)
    except ClientError as error:
        raise catalog_error(error, database, table) from None


def load_silver(
    stack: Stack,
    *,
    silver_path: Path | None = None,
    sample: SampleSpec | None = None,
    make_sample: SampleMaker | None = None,
    progress: Notify = silent,
    bytes_progress: Callable[[int], Callable[[int], None]] | None = None,
) -> SilverLoadOutcome:
    """Upload sample or local silver data under silverUri and register its partitions.

    A sample already uploaded whole (its marker `_sample.json` under silverUri names the same
    options and every file is there with its size) is not generated again.

    Args:
        silver_path: a local Parquet dataset in ano=/mes= folders; else the sample.
        sample: the sample to generate when no `silver_path`.
        make_sample: generates `sample` into a scratch folder (needed without `silver_path`).
        bytes_progress: given the bytes to send, returns a callback for bytes sent.
    """
    check_silver_table(stack)
    location = stack.outputs.silver_uri
    bucket, prefix = split_s3_uri(location)
    existing = silver_objects(stack)
    sample = sample or SampleSpec()
    source = f"sample of {sample.rows:,} rows over {sample.months} months"
    if silver_path is not None:
        source = str(silver_path)
    uploaded_sample = None if silver_path is not None else _uploaded_sample(stack, sample, existing)
    if uploaded_sample is not None:
        progress(f"the {source} is already in {location}: not generated again")
        specs = [key.rsplit("/", 1)[0] for key in uploaded_sample]
        outcome = SilverLoadOutcome(
            source,
            files=len(uploaded_sample),
            uploaded=0,
            skipped=len(uploaded_sample),
            bytes_uploaded=0,
            partitions=0,
            partitions_added=0,
            location=location,
        )
    else:
        with tempfile.TemporaryDirectory(prefix="silver-to-gold-sample-") as scratch:
            if silver_path is not None:
                files = silver_files(silver_path)
            else:
                if make_sample is None:
                    raise PipelineError("no sample generator was handed in: pass --silver-path DIR")
                files = make_sample(sample, Path(scratch), progress)
            pending = pending_uploads(stack.outputs, files, existing)
            size = sum(f.size for f in pending)
            if pending:
                progress(
                    f"uploading {len(pending)} of {len(files)} files ({math.ceil(size / 1024):,} KiB) to {location}; "
                    f"{len(files) - len(pending)} already there"
                )
            else:
                progress(f"all {len(files)} files are already in {location}: nothing to upload")
            on_bytes = bytes_progress(size) if bytes_progress and pending else None
            uploaded, skipped, sent = upload_silver(stack, files, on_bytes, existing=existing)
            if silver_path is None:
                marker = _sample_marker(files, sample)
                encryption = upload_encryption(stack.outputs)
                stack.clients.s3.put_object(Bucket=bucket, Key=prefix + SAMPLE_MARKER, Body=marker, **encryption)
            elif uploaded and prefix + SAMPLE_MARKER in existing:  # the location holds more than the sample now
                stack.clients.s3.delete_object(Bucket=bucket, Key=prefix + SAMPLE_MARKER)
        specs = [f.spec for f in files]
        outcome = SilverLoadOutcome(
            source,
            files=len(files),
            uploaded=uploaded,
            skipped=skipped,
            bytes_uploaded=sent,
            partitions=0,
            partitions_added=0,
            location=location,
        )
    outcome.partitions, outcome.partitions_added = register_silver_partitions(stack, specs)
    outcome.generated = silver_path is None and uploaded_sample is None
    return outcome
