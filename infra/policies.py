"""IAM, bucket, topic and key policy documents as plain dicts: pure, unit-tested, linted offline.

Least privilege for the Glue job's role: read silver and artifacts; write and delete only
under gold/, quarantine/ and temp/; list the bucket (so a missing key reads as missing);
the Glue catalog only on the catalog, the two databases and the two tables, with no table
or database creation or deletion -- except what Spark's Glue catalog client needs on the
`default` database; logs only in the job's and crawler's log groups; metrics only in the
Glue namespace; KMS only on the stack's key. The operator's policy (`operator_policy`)
holds exactly what the operations CLI calls, on the stack's own resources.
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
    """The group's ARN and its streams' (`:*`); a pattern ending in `*` covers both already."""
    arns = []
    for name in names:
        arns.append(f"arn:aws:logs:{region}:{account}:log-group:{name}")
        if not name.endswith("*"):
            arns.append(f"arn:aws:logs:{region}:{account}:log-group:{name}:*")
    return arns


def glue_trust_policy() -> dict:
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
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "glue.amazonaws.com"},
                "Action": "sts:AssumeRole",
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

    The crawler's are a scoped-down AWSGlueServiceRole, as "Crawler prerequisites" asks of
    a role that is not the managed policy
    (https://docs.aws.amazon.com/glue/latest/dg/crawler-prereqs.html; the policy's actions
    in "Step 1: Create an IAM policy for the AWS Glue service",
    https://docs.aws.amazon.com/glue/latest/dg/create-service-policy.html): the catalog
    on the gold table, s3:ListBucket and s3:GetBucketLocation on the bucket, s3:GetObject
    under gold/, and logs:CreateLogGroup/CreateLogStream/PutLogEvents on its log groups --
    `/aws-glue/crawlers` does not exist in a fresh account until a crawler creates it.

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
            # Unconditional: without s3:ListBucket on the bucket, S3 answers a GET or HEAD of a
            # missing key with 403 (AccessDenied) instead of 404 ("Permissions" in the
            # HeadObject and GetObject API references,
            # https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html,
            # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). A HEAD
            # carries no s3:prefix, so a prefix-conditioned grant does not count: the job's
            # first run HEADs its state file, which does not exist yet. GetBucketLocation is
            # the crawler's (AWSGlueServiceRole grants both, see the docstring).
            "Sid": "ListLakeBucket",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": [lake],
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
            # CreateLogGroup as AWSGlueServiceRole grants it on /aws-glue/*, scoped to the
            # groups this role writes: /aws-glue/crawlers and AWS's documented encrypted job
            # groups are Glue's to create; on a group the stack declared it is a no-op.
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
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
        log_groups: the stack's log groups, and patterns of the groups Glue creates
            (`/aws-glue/jobs-<role>-<security configuration>/*`); CloudWatch Logs may use
            the key only with an encryption context naming one of them (ArnLike: exact
            ARNs match themselves, patterns their groups).
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
                    "ArnLike": {
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


# The Athena query-results location, as AWS's managed Athena policy grants it to a caller
# whose queries write there (AmazonAthenaFullAccess, statement for the results buckets,
# https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAthenaFullAccess.html).
ATHENA_RESULTS_OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)


def operator_policy(
    *,
    bucket: str,
    region: str,
    account: str,
    job: str,
    crawler: str,
    workgroup: str,
    silver: tuple[str, str],
    gold: tuple[str, str],
    prefixes: dict[str, str],
    log_groups: list[str],
    topic: str,
    role: str,
    kms_key_arn: str = "",
) -> dict:
    """What the operations CLI calls, on this stack's resources only (IAM action names).

    From automation's calls: `run`/`status` (glue:StartJobRun, GetJobRun, GetJobRuns,
    GetJob), `register` (StartCrawler, GetCrawler, ListCrawls; the saved MSCK query through
    Athena, which adds partitions as the caller: glue:BatchCreatePartition), `load-silver`
    (ListObjectsV2 -> s3:ListBucket, uploads -> s3:PutObject and, multipart,
    s3:AbortMultipartUpload; glue:GetTable, GetPartitions, BatchCreatePartition on silver),
    verification (ListObjectsV2 on gold), the run report (GetObject; a missing report
    answers 404 only with s3:ListBucket, see `glue_job_policy`), `query` (Athena's
    StartQueryExecution, GetQueryExecution, GetQueryResults, GetNamedQuery; Athena reads the
    catalog and gold and writes its results as the caller), `logs` (FilterLogEvents,
    GetLogEvents, DescribeLogStreams), and a `doctor` verb's read-only checks (bucket
    encryption and versioning, GetJob, GetCrawler, DescribeLogGroups, GetWorkGroup,
    GetTopicAttributes, iam:SimulatePrincipalPolicy on the stack's role). sts:GetCallerIdentity
    needs no permission ("No permissions are required to perform this operation",
    https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).

    Args:
        bucket: the lake bucket.
        region: AWS region.
        account: AWS account id.
        job: the Glue job's name.
        crawler: the Glue crawler's name.
        workgroup: the Athena workgroup.
        silver: (database, table) the operator loads and registers partitions in.
        gold: (database, table) the operator queries and repairs.
        prefixes: keys under the bucket, each ending in "/": silver, gold, reports,
            athena_results.
        log_groups: the job's and crawler's log groups or patterns (`names.role_log_groups`).
        topic: the alerts topic's name.
        role: the Glue role's name (for the policy simulator).
        kms_key_arn: the stack's key, when objects and query results are SSE-KMS.
    """
    lake = bucket_arn(bucket)
    glue = f"arn:aws:glue:{region}:{account}"
    statements = [
        {
            "Sid": "RunAndFollowTheJob",
            "Effect": "Allow",
            "Action": ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:GetJob"],
            "Resource": [f"{glue}:job/{job}"],
        },
        {
            "Sid": "RunTheCrawler",
            "Effect": "Allow",
            "Action": ["glue:StartCrawler", "glue:GetCrawler", "glue:ListCrawls"],
            "Resource": [f"{glue}:crawler/{crawler}"],
        },
        {
            # Athena reads the catalog as the caller for every query; partitions are added to
            # silver by load-silver and to gold by the saved MSCK REPAIR TABLE query.
            "Sid": "ReadCatalogAndAddPartitions",
            "Effect": "Allow",
            "Action": [*CATALOG_READ, "glue:BatchCreatePartition"],
            # The catalog ARN once, then each database and table.
            "Resource": catalog_arns(region, account, *silver) + catalog_arns(region, account, *gold)[1:],
        },
        {
            "Sid": "QueryInTheWorkgroup",
            "Effect": "Allow",
            "Action": [
                "athena:StartQueryExecution",
                "athena:GetQueryExecution",
                "athena:GetQueryResults",
                "athena:GetNamedQuery",
                "athena:GetWorkGroup",
            ],
            "Resource": [f"arn:aws:athena:{region}:{account}:workgroup/{workgroup}"],
        },
        {
            # Unconditional ListBucket: a GET of a missing run report answers 404, not 403
            # (see glue_job_policy). GetBucketLocation and ListBucketMultipartUploads are
            # Athena's on its results bucket (AmazonAthenaFullAccess); the encryption and
            # versioning reads are the doctor's.
            "Sid": "LakeBucket",
            "Effect": "Allow",
            "Action": [
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:ListBucketMultipartUploads",
                "s3:GetEncryptionConfiguration",
                "s3:GetBucketVersioning",
            ],
            "Resource": [lake],
        },
        {
            "Sid": "ReadSilverGoldAndReports",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [f"{lake}/{prefixes[key]}*" for key in ("silver", "gold", "reports")],
        },
        {
            "Sid": "UploadSilver",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
            "Resource": [f"{lake}/{prefixes['silver']}*"],
        },
        {
            "Sid": "AthenaQueryResults",
            "Effect": "Allow",
            "Action": list(ATHENA_RESULTS_OBJECT_ACTIONS),
            "Resource": [f"{lake}/{prefixes['athena_results']}*"],
        },
        {
            "Sid": "ReadRunLogs",
            "Effect": "Allow",
            "Action": ["logs:FilterLogEvents", "logs:GetLogEvents", "logs:DescribeLogStreams"],
            "Resource": log_group_arns(region, account, log_groups),
        },
        {
            # DescribeLogGroups has no resource type: "*" is the only resource it accepts
            # ("Actions, resources, and condition keys for Amazon CloudWatch Logs",
            # https://docs.aws.amazon.com/IAM/latest/UserGuide/list_amazoncloudwatchlogs.html).
            "Sid": "DescribeLogGroups",
            "Effect": "Allow",
            "Action": ["logs:DescribeLogGroups"],
            "Resource": ["*"],
        },
        {
            "Sid": "CheckTheAlertsTopic",
            "Effect": "Allow",
            "Action": ["sns:GetTopicAttributes"],
            "Resource": [f"arn:aws:sns:{region}:{account}:{topic}"],
        },
        {
            "Sid": "SimulateTheStacksRole",
            "Effect": "Allow",
            "Action": ["iam:SimulatePrincipalPolicy"],
            "Resource": [f"arn:aws:iam::{account}:role/{role}"],
        },
    ]
    if kms_key_arn:
        statements.append(
            {
                # SSE-KMS objects: reading decrypts, writing (uploads, Athena results)
                # generates a data key; DescribeKey is the doctor's (is the key Enabled).
                "Sid": "UseTheStacksKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                "Resource": [kms_key_arn],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


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
