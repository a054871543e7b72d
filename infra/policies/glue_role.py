"""The role the Glue job and the crawler run as: who may assume it, and what it may do.

Least privilege: read silver and artifacts; write and delete only under gold/, quarantine/
and temp/; list the bucket (so a missing key reads as missing); the Glue catalog only on the
catalog, the two databases and the tables, with no table or database creation or deletion --
except what Spark's Glue catalog client needs on the `default` database; logs only in the
job's and crawler's log groups; metrics only in the Glue namespace; KMS only on the stack's key.

The crawler's grants are a scoped-down AWSGlueServiceRole, as "Crawler prerequisites" asks of a
role that is not the managed policy (https://docs.aws.amazon.com/glue/latest/dg/crawler-prereqs.html;
the policy's actions in "Step 1: Create an IAM policy for the AWS Glue service",
https://docs.aws.amazon.com/glue/latest/dg/create-service-policy.html): the catalog on the gold
table, s3:ListBucket and s3:GetBucketLocation on the bucket, s3:GetObject under gold/, and
logs:CreateLogGroup/CreateLogStream/PutLogEvents on its log groups -- `/aws-glue/crawlers`
does not exist in a fresh account until a crawler creates it.
"""

from __future__ import annotations

from typing import Any, Sequence

from infra.policies.actions import CATALOG_PARTITION_WRITE, CATALOG_READ, KEY_USE_ACTIONS
from infra.policies.statements import (
    Statement,
    allow,
    bucket_arn,
    catalog_arns,
    document,
    log_group_arns,
    service,
)

READ_PREFIXES = ("silver/", "artifacts/")
WRITE_PREFIXES = ("gold/", "quarantine/", "temp/")
# With --enable-glue-datacatalog, Spark's Glue catalog client calls GetDatabase on
# `default` when the session starts; on EntityNotFoundException it calls CreateDatabase,
# and any other error (AccessDenied) fails the job with "Unable to verify existence of
# default database" (AWSCatalogMetastoreClient.doesDefaultDBExist / createDefaultDatabase,
# https://github.com/awslabs/aws-glue-data-catalog-client-for-apache-hive-metastore/blob/master/aws-glue-datacatalog-spark-client/src/main/java/com/amazonaws/glue/catalog/metastore/AWSCatalogMetastoreClient.java).
# Both actions need the catalog and the database ARN (the Glue API permissions reference above).
DEFAULT_DATABASE = "default"
DEFAULT_DATABASE_ACTIONS = ("glue:GetDatabase", "glue:CreateDatabase")


def default_database_arns(region: str, account: str) -> list[str]:
    base = f"arn:aws:glue:{region}:{account}"
    return [f"{base}:catalog", f"{base}:database/{DEFAULT_DATABASE}"]


def glue_trust_policy() -> dict[str, Any]:
    """Only the Glue service may assume the role.

    No `aws:SourceAccount` condition: a positive condition on a key the request does not
    carry is false, and no AWS page we found says Glue puts that key in its AssumeRole
    request (AWS's own setup picks "AWS Glue" as the role's trusted service and names no
    condition: "Step 2: Create an IAM role for AWS Glue",
    https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html).
    Who can hand the role to Glue is decided where it matters: only a principal allowed
    `iam:PassRole` on this role can name it in a job or crawler ("Grant a user permissions
    to pass a role to an AWS service",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html), and
    PassRole never crosses accounts.
    """
    return document(allow(None, "sts:AssumeRole", None, principal=service("glue.amazonaws.com")))


def rejects_partitions_statement(region: str, account: str, database: str, table: str) -> Statement:
    """The rejects table: its partitions only, as on gold's.

    The job registers each run's partition and drops those past the retention through
    Spark's catalog (GetTable, GetPartition(s), BatchCreatePartition, DeletePartition, ...);
    never the table itself.
    """
    return allow(
        "MaintainRejectsPartitions",
        CATALOG_READ + CATALOG_PARTITION_WRITE,
        catalog_arns(region, account, database, table),
    )


def glue_job_policy(
    *,
    bucket: str,
    region: str,
    account: str,
    silver: tuple[str, str],
    gold: tuple[str, str],
    log_groups: Sequence[str],
    kms_key_arn: str = "",
    encrypted_log_groups: Sequence[str] = (),
    rejects: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The job (and crawler) role's permissions.

    Args:
        bucket: the lake bucket's name.
        region: AWS region.
        account: AWS account id.
        silver: (database, table) read by the job.
        gold: (database, table) whose partitions the job and the crawler maintain.
        log_groups: the log groups (or IAM patterns) the job and crawler write to
            (`infra.names.role_log_groups`).
        kms_key_arn: the stack's key (bucket, bookmarks, logs), or empty.
        encrypted_log_groups: the stack's own groups (or patterns) when the security
            configuration encrypts CloudWatch logs: Glue associates the key with them
            (logs:AssociateKmsKey, which Glue needs for encrypted logs: "Security
            configuration with continuous logging",
            https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging-enable.html).
            Never the shared /aws-glue/crawlers: the stack's key must not be associated
            with every crawler's group.
        rejects: (database, table) of the rejects table, whose partitions the job maintains.
    """
    lake = bucket_arn(bucket)
    statements = [
        allow("ReadSilverAndJobCode", ["s3:GetObject"], [f"{lake}/{prefix}*" for prefix in READ_PREFIXES]),
        allow(
            "WriteGoldQuarantineTemp",
            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            [f"{lake}/{prefix}*" for prefix in WRITE_PREFIXES],
        ),
        # Unconditional: without s3:ListBucket on the bucket, S3 answers a GET or HEAD of a
        # missing key with 403 (AccessDenied) instead of 404 ("Permissions" in the HeadObject
        # API reference, https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
        # A HEAD carries no s3:prefix, so a prefix-conditioned grant does not count: the job's
        # first run HEADs its state file, which does not exist yet. GetBucketLocation is the
        # crawler's (AWSGlueServiceRole grants both, see the module's docstring).
        allow("ListLakeBucket", ["s3:ListBucket", "s3:GetBucketLocation"], [lake]),
        allow("ReadSilverCatalog", CATALOG_READ, catalog_arns(region, account, *silver)),
        allow("SparkCatalogClientDefaultDatabase", DEFAULT_DATABASE_ACTIONS, default_database_arns(region, account)),
        allow("MaintainGoldPartitions", CATALOG_READ + CATALOG_PARTITION_WRITE, catalog_arns(region, account, *gold)),
        # CreateLogGroup as AWSGlueServiceRole grants it on /aws-glue/*, scoped to the groups
        # this role writes: /aws-glue/crawlers and AWS's documented encrypted job groups are
        # Glue's to create; on a group the stack declared it is a no-op.
        allow(
            "WriteOwnLogs",
            ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            log_group_arns(region, account, log_groups),
        ),
        # PutMetricData has no resource type; the namespace condition confines it.
        allow(
            "GlueMetricsOnly",
            ["cloudwatch:PutMetricData"],
            ["*"],
            {"StringEquals": {"cloudwatch:namespace": "Glue"}},
        ),
    ]
    if kms_key_arn:
        statements.append(allow("UseLakeKey", KEY_USE_ACTIONS, [kms_key_arn]))
    if encrypted_log_groups:
        statements.append(
            allow("EncryptOwnLogs", ["logs:AssociateKmsKey"], log_group_arns(region, account, encrypted_log_groups))
        )
    if rejects is not None:
        statements.append(rejects_partitions_statement(region, account, *rejects))
    return document(*statements)
