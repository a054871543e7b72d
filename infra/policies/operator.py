"""The operator's policy: what the operations CLI calls, on this stack's resources only.

From automation's calls: `run`/`status` (glue:StartJobRun, GetJobRun, GetJobRuns, GetJob),
`register` (StartCrawler, GetCrawler, ListCrawls; the saved MSCK query through Athena, which
adds partitions as the caller: glue:BatchCreatePartition), `load-silver` (ListObjectsV2 ->
s3:ListBucket, uploads -> s3:PutObject and, multipart, s3:AbortMultipartUpload; glue:GetTable,
GetPartitions, BatchCreatePartition on silver), verification (ListObjectsV2 on gold), the run
report (GetObject; a missing report answers 404 only with s3:ListBucket, see `glue_role`),
`query` (Athena's StartQueryExecution, GetQueryExecution, GetQueryResults, GetNamedQuery; Athena
reads the catalog and gold and writes its results as the caller), `logs` (FilterLogEvents,
GetLogEvents, DescribeLogStreams), and the `doctor` verb's read-only checks (bucket encryption
and versioning, GetJob, GetCrawler, DescribeLogGroups, GetWorkGroup, GetTopicAttributes,
iam:SimulatePrincipalPolicy on the stack's role). sts:GetCallerIdentity needs no permission
("No permissions are required to perform this operation",
https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from infra.policies.actions import CATALOG_READ
from infra.policies.statements import allow, bucket_arn, catalog_arns, document, log_group_arns

# The Athena query-results location, as AWS's managed Athena policy grants it to a caller
# whose queries write there (AmazonAthenaFullAccess, statement for the results buckets,
# https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAthenaFullAccess.html).
ATHENA_RESULTS_OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
ATHENA_QUERY_ACTIONS = (
    "athena:StartQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetNamedQuery",
    "athena:GetWorkGroup",
)
# Unconditional ListBucket: a GET of a missing run report answers 404, not 403 (see
# `glue_role`). GetBucketLocation and ListBucketMultipartUploads are Athena's on its results
# bucket (AmazonAthenaFullAccess); the encryption and versioning reads are the doctor's.
LAKE_BUCKET_ACTIONS = (
    "s3:ListBucket",
    "s3:GetBucketLocation",
    "s3:ListBucketMultipartUploads",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketVersioning",
)
# SSE-KMS objects: reading decrypts, writing (uploads, Athena results) generates a data key;
# DescribeKey is the doctor's (is the key Enabled).
OPERATOR_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey")


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
    prefixes: Mapping[str, str],
    log_groups: Sequence[str],
    topic: str,
    role: str,
    kms_key_arn: str = "",
) -> dict[str, Any]:
    """What the operations CLI calls, on this stack's resources only (IAM action names).

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
        allow(
            "RunAndFollowTheJob",
            ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:GetJob"],
            [f"{glue}:job/{job}"],
        ),
        allow(
            "RunTheCrawler", ["glue:StartCrawler", "glue:GetCrawler", "glue:ListCrawls"], [f"{glue}:crawler/{crawler}"]
        ),
        # Athena reads the catalog as the caller for every query; partitions are added to
        # silver by load-silver and to gold by the saved MSCK REPAIR TABLE query. The catalog
        # ARN once, then each database and table.
        allow(
            "ReadCatalogAndAddPartitions",
            [*CATALOG_READ, "glue:BatchCreatePartition"],
            catalog_arns(region, account, *silver) + catalog_arns(region, account, *gold)[1:],
        ),
        allow(
            "QueryInTheWorkgroup", ATHENA_QUERY_ACTIONS, [f"arn:aws:athena:{region}:{account}:workgroup/{workgroup}"]
        ),
        allow("LakeBucket", LAKE_BUCKET_ACTIONS, [lake]),
        allow(
            "ReadSilverGoldAndReports",
            ["s3:GetObject"],
            [f"{lake}/{prefixes[key]}*" for key in ("silver", "gold", "reports")],
        ),
        allow("UploadSilver", ["s3:PutObject", "s3:AbortMultipartUpload"], [f"{lake}/{prefixes['silver']}*"]),
        allow("AthenaQueryResults", ATHENA_RESULTS_OBJECT_ACTIONS, [f"{lake}/{prefixes['athena_results']}*"]),
        allow(
            "ReadRunLogs",
            ["logs:FilterLogEvents", "logs:GetLogEvents", "logs:DescribeLogStreams"],
            log_group_arns(region, account, log_groups),
        ),
        # DescribeLogGroups has no resource type: "*" is the only resource it accepts
        # ("Actions, resources, and condition keys for Amazon CloudWatch Logs",
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/list_amazoncloudwatchlogs.html).
        allow("DescribeLogGroups", ["logs:DescribeLogGroups"], ["*"]),
        allow("CheckTheAlertsTopic", ["sns:GetTopicAttributes"], [f"arn:aws:sns:{region}:{account}:{topic}"]),
        allow("SimulateTheStacksRole", ["iam:SimulatePrincipalPolicy"], [f"arn:aws:iam::{account}:role/{role}"]),
    ]
    if kms_key_arn:
        statements.append(allow("UseTheStacksKey", OPERATOR_KEY_ACTIONS, [kms_key_arn]))
    return document(*statements)
