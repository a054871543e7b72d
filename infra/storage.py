"""The lake bucket: versioned, encrypted, private, TLS-only, with scratch lifecycles and
server access logs to a bucket of their own.

`LakeStorage` wires the buckets' resources; what they say (prefixes, lifecycle rules,
bucket policies) are plain values and pure functions. It never reads configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.policies import access_log_bucket_policy, deny_insecure_transport_policy

LAKE_PREFIXES = ("bronze/", "silver/", "gold/", "quarantine/", "temp/", "artifacts/", "athena-results/")
ACCESS_LOG_PREFIX = "lake/"  # where the lake's access logs go in the access-log bucket


@dataclass(frozen=True)
class LakeStorageArgs:
    """What the lake needs: an existing bucket or the prefix of a new one, and its key."""

    existing_bucket: str  # empty: create one
    bucket_prefix: str
    access_log_bucket_prefix: str
    account_id: pulumi.Input[str]
    access_log_retention_days: int
    kms_key_arn: pulumi.Input[str] | None = None  # None: SSE-S3
    # What `pulumi destroy` does to a created bucket: "retain" leaves the bucket, its
    # settings and its data in the account (removed from the stack only); "delete" empties
    # it (every object version) and deletes it.
    on_destroy: str = "retain"
    # Days rejected rows are kept under quarantine/ (quarantineRetentionDays).
    quarantine_retention_days: int = 30


class LakeStorage(pulumi.ComponentResource):
    """The lake bucket (or an existing one, untouched) and its prefixes."""

    bucket_name: pulumi.Output[str]

    def __init__(self, name: str, args: LakeStorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:LakeStorage", name, None, opts)
        if args.existing_bucket:
            # An existing bucket is the owner's: we only add our prefixes and code to it.
            self.bucket_name = pulumi.Output.from_input(args.existing_bucket)
        else:
            self.bucket_name = self._create_bucket(name, args)
        self.register_outputs({"bucketName": self.bucket_name})

    def _create_bucket(self, n: str, args: LakeStorageArgs) -> pulumi.Output[str]:
        delete = args.on_destroy == "delete"
        # Retained, the bucket keeps its settings too (a retained bucket whose public access
        # block or TLS-only policy was deleted would be less protected than before).
        child = pulumi.ResourceOptions(parent=self, retain_on_delete=not delete)
        bucket = aws.s3.Bucket(
            f"{n}-lake",
            # force_destroy: delete every object and version first; without it S3 refuses to
            # delete a non-empty bucket (BucketNotEmpty) and destroy stops there.
            aws.s3.BucketArgs(bucket_prefix=args.bucket_prefix, force_destroy=delete),
            opts=child,
        )
        self._create_access_logs(n, args, bucket, child, delete)
        kms = args.kms_key_arn
        sse = (
            aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=kms
            )
            if kms is not None
            else aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="AES256"
            )
        )
        # Versioning keeps overwritten gold and job code recoverable.
        access_block = self._make_private(f"{n}-lake", bucket, sse, kms is not None, child)
        aws.s3.BucketPolicy(
            f"{n}-lake-tls-only",
            aws.s3.BucketPolicyArgs(
                bucket=bucket.id, policy=bucket.bucket.apply(lambda b: json.dumps(deny_insecure_transport_policy(b)))
            ),
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=not delete, depends_on=[access_block]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{n}-lake-lifecycle",
            aws.s3.BucketLifecycleConfigurationArgs(
                bucket=bucket.id, rules=lifecycle_rules(args.quarantine_retention_days)
            ),
            opts=child,
        )
        # A folder-like placeholder for each prefix the console should show, but none under a
        # prefix a rule expires: S3 would delete it, and every `pulumi up` after a refresh
        # would create it again.
        for prefix in placeholder_prefixes(args.quarantine_retention_days):
            aws.s3.BucketObjectv2(
                f"{n}-prefix-{prefix.rstrip('/')}",
                aws.s3.BucketObjectv2Args(bucket=bucket.id, key=prefix, content=""),
                opts=child,
            )
        return bucket.bucket

    def _make_private(
        self,
        name: str,
        bucket: aws.s3.Bucket,
        sse: aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs,
        bucket_key: bool | None,
        child: pulumi.ResourceOptions,
    ) -> aws.s3.BucketPublicAccessBlock:
        """Versioning, default encryption and a public access block: what every bucket of
        the stack has. Returns the access block, which bucket policies must wait for."""
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            aws.s3.BucketVersioningInitArgs(
                bucket=bucket.id,
                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            ),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            aws.s3.BucketServerSideEncryptionConfigurationInitArgs(
                bucket=bucket.id,
                rules=[
                    aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                        apply_server_side_encryption_by_default=sse, bucket_key_enabled=bucket_key
                    )
                ],
            ),
            opts=child,
        )
        # Never public, whatever a later ACL or policy says.
        return aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            aws.s3.BucketPublicAccessBlockArgs(
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
            ),
            opts=child,
        )

    def _create_access_logs(
        self, n: str, args: LakeStorageArgs, lake: aws.s3.Bucket, child: pulumi.ResourceOptions, delete: bool
    ) -> aws.s3.Bucket:
        """Server access logs of the lake (who read or changed which object), in a bucket of
        their own: a bucket logging to itself logs its own log deliveries."""
        logs = aws.s3.Bucket(
            f"{n}-access-logs",
            aws.s3.BucketArgs(bucket_prefix=args.access_log_bucket_prefix, force_destroy=delete),
            opts=child,
        )
        # SSE-S3, not the stack's key: "Default server-side encryption with AWS Key Management
        # Service (AWS KMS) keys (SSE-KMS) is not supported for server access logging target
        # buckets" ("Troubleshoot server access logging",
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshooting-server-access-logging.html).
        # aws/aws-cdk#25350 reports delivery works with a customer-managed key whose policy lets
        # logging.s3.amazonaws.com use it, but no AWS page says so and its test never checks a
        # log arrives: logs silently lost would be worse (docs/infrastructure.md).
        sse_s3 = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="AES256"
        )
        access_block = self._make_private(f"{n}-access-logs", logs, sse_s3, None, child)
        aws.s3.BucketPolicy(
            f"{n}-access-logs-policy",
            aws.s3.BucketPolicyArgs(
                bucket=logs.id,
                policy=pulumi.Output.all(logs.bucket, lake.bucket, args.account_id).apply(
                    lambda values: json.dumps(
                        access_log_bucket_policy(values[0], values[1], values[2], ACCESS_LOG_PREFIX)
                    )
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=not delete, depends_on=[access_block]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{n}-access-logs-lifecycle",
            aws.s3.BucketLifecycleConfigurationArgs(
                bucket=logs.id, rules=access_log_lifecycle_rules(args.access_log_retention_days)
            ),
            opts=child,
        )
        aws.s3.BucketLogging(
            f"{n}-lake-logging",
            aws.s3.BucketLoggingInitArgs(bucket=lake.id, target_bucket=logs.id, target_prefix=ACCESS_LOG_PREFIX),
            opts=child,
        )
        return logs


def access_log_lifecycle_rules(days: int) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Access logs are kept as long as the stack's other logs (logRetentionDays)."""
    return [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-access-logs",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=1
            ),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=7
            ),
        )
    ]


# Days after which scratch prefixes expire (current versions).
SCRATCH_RETENTION_DAYS = {"temp/": 7, "athena-results/": 30}
QUARANTINE_PREFIX = "quarantine/"


def expiring_prefixes(quarantine_retention_days: int = 30) -> dict[str, int]:
    """Prefix -> days after which a lifecycle rule expires what is written there."""
    return {**SCRATCH_RETENTION_DAYS, QUARANTINE_PREFIX: quarantine_retention_days}


def placeholder_prefixes(quarantine_retention_days: int = 30) -> list[str]:
    """The lake's prefixes that get a placeholder object: those no lifecycle rule expires."""
    expiring = expiring_prefixes(quarantine_retention_days)
    return [p for p in LAKE_PREFIXES if not any(p.startswith(e) for e in expiring)]


def lifecycle_rules(quarantine_retention_days: int = 30) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """temp/ and athena-results/ are scratch; rejected rows are kept quarantine_retention_days;
    old versions, failed uploads and the delete markers they leave behind cost money."""
    return [
        *(_expire_prefix(f"expire-{p.rstrip('/')}", p, days) for p, days in SCRATCH_RETENTION_DAYS.items()),
        quarantine_rule(quarantine_retention_days),
        expired_delete_markers_rule(),
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-noncurrent-versions",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=90
            ),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=7
            ),
        ),
    ]


def expired_delete_markers_rule() -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    """Remove expired object delete markers everywhere in the lake.

    The bucket is versioned: deleting an object (a full refresh, a dropped gold partition, a
    replaced job file) leaves a delete marker over its old version; once
    `expire-noncurrent-versions` removes that version, the marker is an *expired object delete
    marker*, and S3 removes those only under a rule that expires current versions (`Days`) on
    that prefix or a rule with `ExpiredObjectDeleteMarker` ("Managing delete markers",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/ManagingDelMarkers.html). Without
    one, gold/, silver/ and artifacts/ collect markers forever and every listing walks them.
    A rule of its own: `ExpiredObjectDeleteMarker` "cannot be specified with Days or Date in a
    Lifecycle Expiration Policy" (LifecycleExpiration,
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html).
    """
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="remove-expired-delete-markers",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(expired_object_delete_marker=True),
    )


def _expire_prefix(rule_id: str, prefix: str, days: int) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=rule_id,
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=prefix),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days),
    )


def quarantine_rule(days: int) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    """Rejected rows hold row-level data: expire them `days` after they were written.

    S3 counts from the object's creation and rounds up to the next midnight UTC ("Lifecycle
    configuration elements", https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html);
    the job drops a run's rejects partition and files a day earlier (etl.rejects.expired_runs),
    so the catalog never lists expired files. The bucket is versioned: an expired object
    becomes a noncurrent version, removed a day later here -- the shorter of two overlapping
    expirations wins over the bucket-wide 90 days ("How Amazon S3 handles conflicts in
    lifecycle configurations", https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-conflicts.html).
    """
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="expire-quarantine",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=QUARANTINE_PREFIX),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days),
        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=1
        ),
    )
