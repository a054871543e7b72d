"""What Athena reads as the caller to answer a statement, and the refusal Athena gives when the
caller may not: the emulator checks these before it answers a query (`tools.emulator.server`).

Athena reads the Glue catalog and S3 with the caller's own permissions. For the catalog: "you
need permissions to call this action on the resource (table or database) and all ancestors of
the resource in the Data Catalog", and "to run GetPartitions on table myTable in the database
myDB, you need permissions for the action glue:GetPartitions in the Data Catalog, the myDB
database, and myTable" (Athena User Guide, "Configure access to databases and tables in the AWS
Glue Data Catalog",
https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html). For
the data: "their permissions pass through Athena ... users must have permission to access
Amazon S3 buckets in order to query them" ("Control access to Amazon S3 from Athena",
https://docs.aws.amazon.com/athena/latest/ug/s3-permissions.html): the bucket listed under the
table's locations (s3:ListBucket) and every data object read (s3:GetObject). MSCK REPAIR TABLE
lists the table's location and adds partitions as the caller, which needs
glue:BatchCreatePartition (https://repost.aws/knowledge-center/athena-aws-glue-msck-repair-table).

Which tables a SELECT names is read from its SQL with sqlglot, in Athena's dialect (Trino's).
This is the emulator's own statement of what Athena does, written from those pages; the verbs'
declaration (`infra.policies.verbs`) is held to it by the tests, not the other way round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

import sqlglot
from sqlglot import exp

from automation.lake import is_data_path
from tools.emulator.lake import split_uri

MSCK = re.compile(r"^\s*MSCK\s+REPAIR\s+TABLE\s+(?P<name>[`\"\w.]+)\s*;?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Read:
    """One call Athena makes as the caller, for the table it reads."""

    action: str
    resource: str
    table: str  # database.table


def _name(part: str) -> str:
    return part.strip('`"')


def named_tables(sql: str, database: str | None) -> list[tuple[str, str]]:
    """(database, table) of every table a SELECT names (CTEs aside), unqualified ones in `database`."""
    tree = sqlglot.parse_one(sql, read="athena")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    tables = []
    for table in tree.find_all(exp.Table):
        if not table.db and table.name in ctes:
            continue
        found = (table.db or database or "default", table.name)
        if found not in tables:
            tables.append(found)
    return tables


def repaired_table(sql: str, database: str | None) -> tuple[str, str] | None:
    """(database, table) of a `MSCK REPAIR TABLE` statement, else None."""
    match = MSCK.match(sql)
    if match is None:
        return None
    parts = [_name(p) for p in match["name"].split(".")]
    return (parts[0], parts[1]) if len(parts) == 2 else (database or "default", parts[0])


def _objects(s3: Any, uri: str) -> list[str]:
    """The data objects Athena reads under a location (files starting with _ or . are not data)."""
    bucket, prefix = split_uri(uri)
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", []) if is_data_path(item["Key"][len(prefix) :])]
    return [f"arn:aws:s3:::{bucket}/{key}" for key in keys]


def reads_of(emulator: Any, sql: str, database: str | None, region: str, account: str) -> list[Read]:
    """Every read Athena makes as the caller for `sql`: each named table's catalog entries and
    files (a table not in the catalog reads nothing: Athena fails it as not found)."""
    glue, s3 = emulator.client("glue"), emulator.client("s3")
    base = f"arn:aws:glue:{region}:{account}"
    repaired = repaired_table(sql, database)
    tables = [repaired] if repaired else named_tables(sql, database)
    reads: list[Read] = []
    for db, name in tables:
        try:
            table = glue.get_table(DatabaseName=db, Name=name)["Table"]
        except glue.exceptions.EntityNotFoundException:
            continue
        label = f"{db}.{name}"
        ancestors = [f"{base}:catalog", f"{base}:database/{db}"]
        table_arns = [*ancestors, f"{base}:table/{db}/{name}"]

        def add(action: str, resources: list[str], label: str = label) -> None:
            reads.extend(Read(action, resource, label) for resource in resources)

        add("glue:GetDatabase", ancestors)
        add("glue:GetTable", table_arns)
        location = table["StorageDescriptor"].get("Location", "")
        locations = [location]
        if table.get("PartitionKeys"):
            add("glue:GetPartitions", table_arns)
            partitions = [
                p
                for page in glue.get_paginator("get_partitions").paginate(DatabaseName=db, TableName=name)
                for p in page.get("Partitions", [])
            ]
            locations = [p["StorageDescriptor"]["Location"] for p in partitions]
        if repaired:
            add("glue:BatchCreatePartition", table_arns)
            locations = [location]
        bucket, _ = split_uri(location)
        add("s3:ListBucket", [f"arn:aws:s3:::{bucket}"])
        if not repaired:
            for uri in locations:
                add("s3:GetObject", _objects(s3, uri))
    return reads


def refusal(caller_arn: str, reads: list[Read], decide: Callable[[str, str], str]) -> str | None:
    """Athena's reason for failing the query at the first read the caller may not make, else None.

    Shaped as Athena reports them: a Glue refusal is "Insufficient permissions to execute the
    query" with the AccessDeniedException Glue gave, as AWS's own error messages word it ("User:
    ARN is not authorized to perform: ACTION on resource: ARN because no identity-based policy
    allows the ACTION action", https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html);
    an S3 refusal is the AmazonS3Exception with the path ("Why do I get an Access Denied error when
    I run a query in Amazon Athena?", https://repost.aws/knowledge-center/access-denied-athena).
    """
    for read in reads:
        decided = decide(read.action, read.resource)
        if decided == "allowed":
            continue
        if read.action.startswith("s3:"):
            path = "s3://" + read.resource.removeprefix("arn:aws:s3:::")
            return (
                "com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; "
                f"Status Code: 403; Error Code: AccessDenied) (Path: {path})"
            )
        why = (
            "with an explicit deny in an identity-based policy"
            if decided == "explicitDeny"
            else f"because no identity-based policy allows the {read.action} action"
        )
        return (
            f"Insufficient permissions to execute the query. User: {caller_arn} is not authorized to perform: "
            f"{read.action} on resource: {read.resource} {why} (Service: AWSGlue; Status Code: 400; "
            "Error Code: AccessDeniedException)"
        )
    return None
