"""Action sets more than one principal is granted (the job role, the operator, the key policy)."""

from __future__ import annotations

# Reading a table: Glue authorizes each on the catalog, the database and the table ("AWS Glue API
# permissions: actions and resources reference",
# https://docs.aws.amazon.com/glue/latest/dg/api-permissions-reference.html).
CATALOG_READ = (
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
)
# Maintaining a table's partitions, never the table itself.
CATALOG_PARTITION_WRITE = (
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:DeletePartition",
    "glue:BatchDeletePartition",
)
# What the job role does with the stack's key: S3 SSE-KMS reads and writes (Decrypt,
# GenerateDataKey), CSE-KMS job bookmarks (Encrypt, Decrypt), and describing it.
KEY_USE_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
