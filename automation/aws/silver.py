"""Silver data for a deployed stack: upload a local dataset (or the sample) under the
stack's silver location and register its partitions in the silver table (idempotent).

The sample is made by a function the caller hands in (`make_sample`: the local backend's
Spark generator), so this module needs neither Spark nor the local backend.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from botocore.exceptions import ClientError

from automation.aws.catalog import catalog_error, catalog_partitions
from automation.aws.session import AwsClients, AwsError, error_message, paginate, transfer_config
from automation.lake import SilverFile, silver_files, spec_order
from automation.outputs import StackOutputs, split_s3_uri
from automation.pipeline import Notify, silent
from etl.errors import PipelineError
from etl.incremental import parse_partition_spec
from etl.sample import SampleSpec
from infra import outputs as out

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

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def describe(self) -> str:
        return (
            f"{self.source}: {self.uploaded} of {self.files} files uploaded ({self.skipped} already there), "
            f"{self.partitions_added} of {self.partitions} partitions added to the silver table"
        )


def upload_silver(
    clients: AwsClients,
    outputs: StackOutputs,
    files: Sequence[SilverFile],
    on_bytes: Callable[[int], None] | None = None,
    multipart_threshold: int = 64 * 2**20,
) -> tuple[int, int, int]:
    """Upload files under silverUri with managed transfers; skip keys already there with the same size.

    Returns:
        (uploaded, skipped, bytes uploaded).
    """
    bucket, prefix = split_s3_uri(outputs.uri(out.SILVER_URI))
    existing = {}
    try:
        for item in paginate(clients.s3, "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix):
            existing[item["Key"]] = int(item.get("Size", 0))
    except ClientError as error:
        raise AwsError(f"cannot list s3://{bucket}/{prefix}: {error_message(error)}") from None
    transfer = transfer_config(multipart_threshold)
    extra = upload_encryption(outputs)
    uploaded = skipped = sent = 0
    for file in files:
        key = prefix + file.key
        if existing.get(key) == file.size:
            skipped += 1
            if on_bytes:
                on_bytes(file.size)
            continue
        try:
            clients.s3.upload_file(
                str(file.path), bucket, key, ExtraArgs=extra or None, Config=transfer, Callback=on_bytes
            )
        except Exception as error:  # boto3's S3UploadFailedError wraps the ClientError
            raise AwsError(f"uploading {file.path} to s3://{bucket}/{key} failed: {error}") from None
        uploaded += 1
        sent += file.size
    return uploaded, skipped, sent


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
    key = outputs.get(out.KMS_KEY_ARN)
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key} if key else {}


def register_silver_partitions(clients: AwsClients, outputs: StackOutputs, specs: Iterable[str]) -> tuple[int, int]:
    """Add the silver table's missing partitions (batches of 100); existing ones are left alone.

    Returns:
        (partitions wanted, partitions added).
    """
    database, table = outputs[out.SILVER_DATABASE], outputs[out.SILVER_TABLE]
    glue = clients.glue
    try:
        descriptor = glue.get_table(DatabaseName=database, Name=table)["Table"]["StorageDescriptor"]
    except ClientError as error:
        raise catalog_error(error, database, table) from None
    wanted = sorted(set(specs), key=spec_order)
    existing = set(catalog_partitions(clients, database, table))
    missing = [spec for spec in wanted if spec not in existing]
    location = outputs.uri(out.SILVER_URI)
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


def check_silver_table(clients: AwsClients, outputs: StackOutputs) -> None:
    """Fail before any upload when the silver table is not in the catalog."""
    database, table = outputs[out.SILVER_DATABASE], outputs[out.SILVER_TABLE]
    try:
        clients.glue.get_table(DatabaseName=database, Name=table)
    except ClientError as error:
        raise catalog_error(error, database, table) from None


def load_silver(
    clients: AwsClients,
    outputs: StackOutputs,
    *,
    silver_path: Path | None = None,
    sample: SampleSpec | None = None,
    make_sample: SampleMaker | None = None,
    progress: Notify = silent,
    bytes_progress: Callable[[int], Callable[[int], None]] | None = None,
) -> SilverLoadOutcome:
    """Upload sample or local silver data under silverUri and register its partitions.

    Args:
        silver_path: a local Parquet dataset in ano=/mes= folders; else the sample.
        sample: the sample to generate when no `silver_path`.
        make_sample: generates `sample` into a scratch folder (needed without `silver_path`).
        bytes_progress: given the total bytes, returns a callback for bytes sent.
    """
    check_silver_table(clients, outputs)
    with tempfile.TemporaryDirectory(prefix="silver-to-gold-sample-") as scratch:
        if silver_path is not None:
            files = silver_files(silver_path)
            source = str(silver_path)
        else:
            if make_sample is None:
                raise PipelineError("no sample generator was handed in: pass --silver-path DIR")
            sample = sample or SampleSpec()
            files = make_sample(sample, Path(scratch), progress)
            source = f"sample of {sample.rows:,} rows over {sample.months} months"
        total = sum(f.size for f in files)
        on_bytes = bytes_progress(total) if bytes_progress else None
        progress(f"uploading {len(files)} files ({math.ceil(total / 1024):,} KiB) to {outputs.uri(out.SILVER_URI)}")
        uploaded, skipped, sent = upload_silver(clients, outputs, files, on_bytes)
    wanted, added = register_silver_partitions(clients, outputs, (f.spec for f in files))
    return SilverLoadOutcome(
        source=source,
        files=len(files),
        uploaded=uploaded,
        skipped=skipped,
        bytes_uploaded=sent,
        partitions=wanted,
        partitions_added=added,
        location=outputs.uri(out.SILVER_URI),
    )
