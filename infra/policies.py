"""IAM, bucket, topic and key policy documents as plain dicts: pure, unit-tested, linted offline.

Least privilege for the Glue job's role: read silver and artifacts; write and delete only
under gold/, quarantine/ and temp/; list the bucket only by those prefixes; the Glue
catalog only on the catalog, the two databases and the two tables, with no table or
database creation or deletion -- except what Spark's Glue catalog client needs on the
`default` database; logs only in the job's and crawler's log groups; metrics only in
the Glue namespace; KMS only on the stack's key.
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
# With --enable-glue-datacatalog, Spark's Glue catalog client calls GetDatabase on
# `default` when the session starts; on EntityNotFoundException it calls CreateDatabase,
# and any other error (AccessDenied) fails the job with "Unable to verify existence of
# default database" (AWSCatalogMetastoreClient.doesDefaultDBExist / createDefaultDatabase,
# https://github.com/awslabs/aws-glue-data-catalog-client-for-apache-hive-metastore/blob/master/aws-glue-datacatalog-spark-client/src/main/java/com/amazonaws/glue/catalog/metastore/AWSCatalogMetastoreClient.java).
# Both actions need the catalog and the database ARN ("AWS Glue API permissions: actions and resources reference",
# https://docs.aws.amazon.com/glue/latest/dg/api-permissions-reference.html).
DEFAULT_DATABASE = "default"
DEFAULT_DATABASE_ACTIONS = ("glue:GetDatabase", "glue:CreateDatabase")
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


def default_database_arns(region: str, account: str) -> list[str]:
    base = f"arn:aws:glue:{region}:{account}"
    return [f"{base}:catalog", f"{base}:database/{DEFAULT_DATABASE}"]


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
    encrypted_log_groups: list[str] | tuple[str, ...] = (),
) -> dict:
    """The job (and crawler) role's permissions.

    Args:
        bucket: the lake bucket's name.
        region: AWS region.
        account: AWS account id.
        silver: (database, table) read by the job.
        gold: (database, table) whose partitions the job and the crawler maintain.
        log_groups: the log groups the job and crawler write to (see `infra.names`).
        kms_key_arn: the stack's key (bucket, bookmarks, logs), or empty.
        encrypted_log_groups: the stack's own groups when the security configuration
            encrypts CloudWatch logs: Glue associates the key with them
            (logs:AssociateKmsKey, which Glue needs for encrypted logs: "Security
            configuration with continuous logging",
            https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging-enable.html).
            Never the shared /aws-glue/crawlers: the stack's key must not be associated
            with every crawler's group.
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
            "Sid": "SparkCatalogClientDefaultDatabase",
            "Effect": "Allow",
            "Action": list(DEFAULT_DATABASE_ACTIONS),
            "Resource": default_database_arns(region, account),
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
                "Action": list(KEY_USE_ACTIONS),
                "Resource": [kms_key_arn],
            }
        )
    if encrypted_log_groups:
        statements.append(
            {
                "Sid": "EncryptOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:AssociateKmsKey"],
                "Resource": log_group_arns(region, account, list(encrypted_log_groups)),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


# What the role does with the key: S3 SSE-KMS reads and writes (Decrypt, GenerateDataKey),
# CSE-KMS job bookmarks (Encrypt, Decrypt), and describing it.
KEY_USE_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
# What CloudWatch Logs does with a log group's key ("Encrypt log data in CloudWatch Logs
# using AWS KMS", step 2: the key policy,
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html);
# named one by one instead of the page's Encrypt*/Decrypt*/ReEncrypt*/GenerateDataKey*.
LOGS_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
)
# EventBridge publishing to an encrypted topic: "Why isn't my SNS topic receiving
# EventBridge notifications?", https://repost.aws/knowledge-center/sns-not-getting-eventbridge-notification
EVENTBRIDGE_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def lake_key_policy(*, account: str, region: str, role_arn: str, log_groups: list[str]) -> dict:
    """The key policy of the stack's customer-managed key.

    Args:
        account: AWS account id.
        region: the stack's region (CloudWatch Logs is a regional service principal).
        role_arn: the Glue job and crawler role.
        log_groups: the stack's log groups; CloudWatch Logs may use the key only with an
            encryption context naming one of them.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                # The account's administrators manage the key through IAM; without this
                # statement the key can become unmanageable (KMS default key policy,
                # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
                "Sid": "AccountAdministrators",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsForStackLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": list(LOGS_KEY_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": [
                            f"arn:aws:logs:{region}:{account}:log-group:{name}" for name in log_groups
                        ]
                    }
                },
            },
            {
                "Sid": "GlueJobAndCrawlerRole",
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": list(KEY_USE_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "EventBridgeForAlertsTopic",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": list(EVENTBRIDGE_KEY_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
            cloudwatch_alarms_key_statement(),
        ],
    }


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


def access_log_bucket_policy(log_bucket: str, lake_bucket: str, account: str, prefix: str) -> dict:
    """The access-log bucket: TLS only, and S3's logging service may write the lake's logs.

    The logging service principal, limited to the lake bucket of this account
    ("Permissions for log delivery",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
    """
    logs = bucket_arn(log_bucket)
    tls_only = deny_insecure_transport_policy(log_bucket)["Statement"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            *tls_only,
            {
                "Sid": "S3ServerAccessLogsFromTheLake",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{logs}/{prefix}*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": bucket_arn(lake_bucket)},
                    "StringEquals": {"aws:SourceAccount": account},
                },
            },
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


# -- rejected rows and the pipeline's health (issue 16) ------------------------------------


def rejects_partitions_statement(region: str, account: str, database: str, table: str) -> dict:
    """The job role on the rejects table: its partitions only, as on gold's.

    The job registers each run's partition and drops those past the retention through
    Spark's catalog (GetTable, GetPartition(s), BatchCreatePartition, DeletePartition, ...);
    never the table itself. Glue authorizes a partition call on the catalog, the database
    and the table ("AWS Glue API permissions: actions and resources reference",
    https://docs.aws.amazon.com/glue/latest/dg/api-permissions-reference.html).
    """
    return {
        "Sid": "MaintainRejectsPartitions",
        "Effect": "Allow",
        "Action": list(CATALOG_READ + CATALOG_PARTITION_WRITE),
        "Resource": catalog_arns(region, account, database, table),
    }


def alarm_arns(region: str, account: str, names: list[str] | tuple[str, ...]) -> list[str]:
    return [f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}" for name in names]


def cloudwatch_alarms_publish_statement(topic_arn: str, account: str, region: str, alarm_names: list[str]) -> dict:
    """Topic policy: CloudWatch may publish to the alerts topic for the stack's own alarms only.

    The service principal with `aws:SourceArn` naming the alarms ("Why didn't I receive an SNS
    notification for my CloudWatch alarm trigger?",
    https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger).
    """
    return {
        "Sid": "CloudWatchAlarmsPublish",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": {
            "ArnLike": {"aws:SourceArn": alarm_arns(region, account, alarm_names)},
            "StringEquals": {"aws:SourceAccount": account},
        },
    }


# CloudWatch alarms publishing to a topic encrypted with a customer-managed key: "add the
# following statement to the KMS policy" with the service principal, kms:GenerateDataKey* and
# kms:Decrypt ("Enable compatibility between event sources from AWS services and encrypted
# topics", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services;
# "How do I configure a CloudWatch alarm with an encrypted SNS topic?",
# https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns). Named without the
# wildcard, as EventBridge's; no condition, as AWS documents it (the topic policy names the alarms).
CLOUDWATCH_ALARMS_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def cloudwatch_alarms_key_statement() -> dict:
    return {
        "Sid": "CloudWatchAlarmsForAlertsTopic",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": list(CLOUDWATCH_ALARMS_KEY_ACTIONS),
        "Resource": "*",
    }
