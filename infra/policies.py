"""IAM and bucket policy documents as plain dicts: pure, unit-tested, linted offline.

Least privilege for the Glue job's role: read silver and artifacts; write and delete only
under gold/, quarantine/ and temp/; list the bucket only by those prefixes; the Glue
catalog only on the catalog, the two databases and the two tables, with no table or
database creation or deletion; logs only on the job's own log groups; metrics only in
the Glue namespace; KMS only on the configured key.
"""

from __future__ import annotations

READ_PREFIXES = ("silver/", "artifacts/")
WRITE_PREFIXES = ("gold/", "quarantine/", "temp/")
CATALOG_READ = (
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
)
CATALOG_PARTITION_WRITE = (
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:DeletePartition",
    "glue:BatchDeletePartition",
)


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def catalog_arns(region: str, account: str, database: str, table: str) -> list[str]:
    base = f"arn:aws:glue:{region}:{account}"
    return [f"{base}:catalog", f"{base}:database/{database}", f"{base}:table/{database}/{table}"]


def log_group_arns(region: str, account: str, names: list[str]) -> list[str]:
    arns = []
    for name in names:
        arns += [
            f"arn:aws:logs:{region}:{account}:log-group:{name}",
            f"arn:aws:logs:{region}:{account}:log-group:{name}:*",
        ]
    return arns


def glue_trust_policy(account: str) -> dict:
    """Only the Glue service, and only on behalf of this account, may assume the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "glue.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        ],
    }


def glue_job_policy(
    *,
    bucket: str,
    region: str,
    account: str,
    silver: tuple[str, str],
    gold: tuple[str, str],
    log_groups: list[str],
    kms_key_arn: str = "",
) -> dict:
    """The job (and crawler) role's permissions.

    Args:
        bucket: the lake bucket's name.
        region: AWS region.
        account: AWS account id.
        silver: (database, table) read by the job.
        gold: (database, table) whose partitions the job and the crawler maintain.
        log_groups: the log groups the job and crawler write to.
        kms_key_arn: the key for SSE-KMS, or empty.
    """
    lake = bucket_arn(bucket)
    statements = [
        {
            "Sid": "ReadSilverAndJobCode",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [f"{lake}/{prefix}*" for prefix in READ_PREFIXES],
        },
        {
            "Sid": "WriteGoldQuarantineTemp",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": [f"{lake}/{prefix}*" for prefix in WRITE_PREFIXES],
        },
        {
            "Sid": "ListLakePrefixes",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [lake],
            "Condition": {
                "StringLike": {
                    "s3:prefix": [f"{p}*" for p in READ_PREFIXES + WRITE_PREFIXES]
                    + [p.rstrip("/") for p in READ_PREFIXES + WRITE_PREFIXES]
                }
            },
        },
        {
            "Sid": "ReadSilverCatalog",
            "Effect": "Allow",
            "Action": list(CATALOG_READ),
            "Resource": catalog_arns(region, account, *silver),
        },
        {
            "Sid": "MaintainGoldPartitions",
            "Effect": "Allow",
            "Action": list(CATALOG_READ + CATALOG_PARTITION_WRITE),
            "Resource": catalog_arns(region, account, *gold),
        },
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": log_group_arns(region, account, log_groups),
        },
        {
            "Sid": "GlueMetricsOnly",
            "Effect": "Allow",
            "Action": ["cloudwatch:PutMetricData"],
            "Resource": ["*"],  # PutMetricData has no resource type; the namespace condition confines it
            "Condition": {"StringEquals": {"cloudwatch:namespace": "Glue"}},
        },
    ]
    if kms_key_arn:
        statements.append(
            {
                "Sid": "UseLakeKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": [kms_key_arn],
            }
        )
        statements.append(
            {
                "Sid": "EncryptOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:AssociateKmsKey"],
                "Resource": log_group_arns(region, account, log_groups),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def deny_insecure_transport_policy(bucket: str) -> dict:
    """Bucket policy: refuse every request not made over TLS."""
    lake = bucket_arn(bucket)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [lake, f"{lake}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def alerts_topic_policy(topic_arn: str, account: str) -> dict:
    """Only EventBridge, for rules of this account, may publish alerts."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgePublish",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        ],
    }
