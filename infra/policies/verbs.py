"""What each operations verb touches on a stack, directly and through Athena: the one
declaration the operator policy (`infra.policies.operator`), `doctor`'s questions
(`automation.aws.needs.operator_needs`) and the tests (every AWS call and every read Athena made
in the e2e suite, `tests/aws_emulator.py`) are made from.

A verb's `Access` is IAM actions on resources (ARNs, or IAM patterns with `*`) under the sid of
the operator policy's statement that grants them. A query adds what Athena does as the caller
for each table it reads (`athena_reads`): Athena reads the Glue catalog with the caller's own
permissions -- "you need permissions to call this action on the resource (table or database)
and all ancestors of the resource in the Data Catalog", partitions being authorized on the
table (Athena User Guide, "Configure access to databases and tables in the AWS Glue Data
Catalog", https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html)
-- and the table's files in S3: "their permissions pass through Athena ... users must have
permission to access Amazon S3 buckets in order to query them" ("Control access to Amazon S3
from Athena", https://docs.aws.amazon.com/athena/latest/ug/s3-permissions.html). So a verb that
starts reading a new table is declared here once, and the policy, `doctor` and the tests follow.

Pure: no Pulumi, no AWS calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from etl.sample import SAMPLE_MARKER
from infra.policies.actions import CATALOG_READ
from infra.policies.statements import bucket_arn, log_group_arns

# The verbs that call AWS, and what each does (doctor's lines name them).
VERBS: dict[str, str] = {
    "run": "start a job run and follow it",
    "status": "a run's state, report and cost",
    "logs": "a run's log streams",
    "runs": "the job's recent runs, with their figures and cost",
    "load-silver": "upload silver and register its partitions",
    "register": "make gold's partitions visible (job, crawler or MSCK REPAIR TABLE)",
    "query": "SQL in the stack's workgroup over its tables",
    "rejects": "what a run rejected, asked of the rejects table",
    "doctor": "the read-only checks",
}
# A verb made of others: it touches what they touch, and checks the catalog first.
PIPELINE_STEPS = ("load-silver", "run", "register", "query", "rejects")

# What Athena does with the results location as the caller (AmazonAthenaFullAccess, statement
# for the query results buckets,
# https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAthenaFullAccess.html).
ATHENA_RESULTS_OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
ATHENA_RESULTS_BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucketMultipartUploads")
# GetWorkGroup: a refused start asks whether the workgroup is there (`automation.aws.athena`).
ATHENA_QUERY_ACTIONS = (
    "athena:StartQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetWorkGroup",
)
# SSE-KMS objects: reading decrypts, writing (uploads, Athena results) generates a data key.
KEY_READ, KEY_WRITE = ("kms:Decrypt",), ("kms:Decrypt", "kms:GenerateDataKey")


@dataclass(frozen=True)
class Table:
    """A catalog table and where its files are: a key prefix under the lake bucket ("/" last)."""

    database: str
    name: str
    prefix: str


@dataclass(frozen=True)
class StackResources:
    """The stack's resources the verbs touch, by name: what the policy and doctor's questions are made for."""

    region: str
    account: str
    bucket: str
    job: str
    crawler: str
    workgroup: str
    silver: Table
    gold: Table
    rejects: Table
    reports: str  # key prefix of the run reports
    athena_results: str  # key prefix of Athena's results
    log_groups: tuple[str, ...]  # the job's and crawler's groups, or IAM patterns of them
    topic: str
    role: str  # the Glue role's name
    operator_policy: str  # the operator policy's own name (doctor reads its deployed document)
    kms_key_arn: str = ""

    @property
    def glue(self) -> str:
        return f"arn:aws:glue:{self.region}:{self.account}"

    def catalog(self, *tables: Table) -> list[str]:
        """Tables as Glue authorizes a call on them: the catalog, each database and each table
        ("AWS Glue API permissions: actions and resources reference",
        https://docs.aws.amazon.com/glue/latest/dg/api-permissions-reference.html)."""
        arns = [f"{self.glue}:catalog"]
        for table in tables:
            arns += [f"{self.glue}:database/{table.database}", self.table_arn(table)]
        return list(dict.fromkeys(arns))

    def table_arn(self, table: Table) -> str:
        return f"{self.glue}:table/{table.database}/{table.name}"

    def objects(self, prefix: str, key: str = "*") -> str:
        return f"{bucket_arn(self.bucket)}/{prefix}{key}"

    @property
    def lake(self) -> str:
        return bucket_arn(self.bucket)

    @property
    def workgroup_arn(self) -> str:
        return f"arn:aws:athena:{self.region}:{self.account}:workgroup/{self.workgroup}"

    @property
    def policy_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:policy/{self.operator_policy}"


@dataclass(frozen=True)
class Access:
    """IAM actions on resources, granted by the operator policy's statement `sid`; `through` says
    who makes the calls when it is not the CLI ("Athena, reading db.table")."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    through: str = ""


def _access(sid: str, actions: Sequence[str], resources: Sequence[str], through: str = "") -> Access:
    return Access(sid, tuple(actions), tuple(resources), through)


def athena_reads(stack: StackResources, table: Table) -> list[Access]:
    """What Athena reads as the caller to answer a query over `table`: the table's catalog
    entries (the table and its ancestors, partitions included) and its files (listing the
    bucket, reading the objects) -- see the module's docstring for AWS's words."""
    through = f"Athena, reading {table.database}.{table.name}"
    return [
        _access("ReadTheCatalog", CATALOG_READ, stack.catalog(table), through),
        _access("LakeBucket", ["s3:ListBucket"], [stack.lake], through),
        _access("ReadTheLake", ["s3:GetObject"], [stack.objects(table.prefix)], through),
    ]


def athena_query(stack: StackResources, *tables: Table) -> list[Access]:
    """Running a query in the workgroup: the query calls, Athena writing and reading its results
    as the caller, and the reads of every table it names."""
    results = "Athena, writing its results"
    accesses = [
        _access("QueryInTheWorkgroup", ATHENA_QUERY_ACTIONS, [stack.workgroup_arn]),
        _access("AthenaQueryResults", ATHENA_RESULTS_OBJECT_ACTIONS, [stack.objects(stack.athena_results)], results),
        _access("LakeBucket", ATHENA_RESULTS_BUCKET_ACTIONS, [stack.lake], results),
        *_key(stack, KEY_WRITE, results),
    ]
    for table in tables:
        accesses += athena_reads(stack, table)
    return accesses


def msck_repair(stack: StackResources, table: Table) -> list[Access]:
    """The saved `MSCK REPAIR TABLE`: Athena lists the table's location and adds the missing
    partitions as the caller, which needs glue:BatchCreatePartition ("When you use the Data
    Catalog with Athena, the IAM policy must allow the glue:BatchCreatePartition action",
    https://repost.aws/knowledge-center/athena-aws-glue-msck-repair-table)."""
    through = f"Athena, repairing {table.database}.{table.name}"
    return [
        _access(
            "ReadTheCatalog", ["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"], stack.catalog(table), through
        ),
        _access("AddPartitions", ["glue:BatchCreatePartition"], stack.catalog(table), through),
        _access("LakeBucket", ["s3:ListBucket"], [stack.lake], through),
    ]


def _key(stack: StackResources, actions: Sequence[str], through: str = "") -> list[Access]:
    return [_access("UseTheStacksKey", actions, [stack.kms_key_arn], through)] if stack.kms_key_arn else []


def _job(stack: StackResources, *actions: str) -> Access:
    return _access("RunAndFollowTheJob", [f"glue:{action}" for action in actions], [f"{stack.glue}:job/{stack.job}"])


def _run_reports(stack: StackResources) -> list[Access]:
    """A run's report: a GET, which answers 404 for a missing report only with s3:ListBucket
    ("Permissions", https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html)."""
    return [
        _access("ReadTheLake", ["s3:GetObject"], [stack.objects(stack.reports)]),
        _access("LakeBucket", ["s3:ListBucket"], [stack.lake]),
        *_key(stack, KEY_READ),
    ]


def _logs(stack: StackResources, *actions: str) -> Access:
    return _access(
        "ReadRunLogs",
        [f"logs:{a}" for a in actions],
        log_group_arns(stack.region, stack.account, list(stack.log_groups)),
    )


def verb_access(stack: StackResources) -> dict[str, list[Access]]:
    """Every verb's accesses, `pipeline` last (the union of its steps and its catalog check)."""
    silver, gold, rejects = stack.silver, stack.gold, stack.rejects
    verbs: dict[str, list[Access]] = {
        "run": [
            _job(stack, "StartJobRun", "GetJobRun", "GetJobRuns", "GetJob"),
            *_run_reports(stack),
            _logs(stack, "GetLogEvents", "FilterLogEvents", "DescribeLogStreams"),
        ],
        "status": [_job(stack, "GetJobRun", "GetJobRuns", "GetJob"), *_run_reports(stack)],
        "logs": [
            _job(stack, "GetJobRun", "GetJobRuns"),
            _logs(stack, "GetLogEvents", "FilterLogEvents", "DescribeLogStreams"),
        ],
        # The newest runs (GetJobRuns) and each one's report.
        "runs": [_job(stack, "GetJobRuns"), *_run_reports(stack)],
        "load-silver": [
            _access("LakeBucket", ["s3:ListBucket"], [stack.lake]),
            _access("UploadSilver", ["s3:PutObject", "s3:AbortMultipartUpload"], [stack.objects(silver.prefix)]),
            # A sample's marker is read to reuse an unchanged sample, and deleted when other data joins it.
            _access("ReadTheLake", ["s3:GetObject"], [stack.objects(silver.prefix)]),
            _access("ForgetTheSample", ["s3:DeleteObject"], [stack.objects(silver.prefix, SAMPLE_MARKER)]),
            _access("ReadTheCatalog", ["glue:GetTable", "glue:GetPartitions"], stack.catalog(silver)),
            _access("AddPartitions", ["glue:BatchCreatePartition"], stack.catalog(silver)),
            *_key(stack, KEY_WRITE),
        ],
        "register": [
            _access("LakeBucket", ["s3:ListBucket"], [stack.lake]),  # gold's folders, against the catalog
            _access("ReadTheCatalog", ["glue:GetTable", "glue:GetPartitions"], stack.catalog(gold)),
            _access(
                "RunTheCrawler",
                ["glue:StartCrawler", "glue:GetCrawler", "glue:ListCrawls"],
                [f"{stack.glue}:crawler/{stack.crawler}"],
            ),
            _access("QueryInTheWorkgroup", ["athena:GetNamedQuery"], [stack.workgroup_arn]),
            *athena_query(stack),
            *msck_repair(stack, gold),
        ],
        # `query --sql` may ask any of the stack's tables; the default is the preview of gold.
        "query": athena_query(stack, silver, gold, rejects),
        "rejects": [
            _job(stack, "GetJob"),  # the gate, when the run report has none
            _job(stack, "GetJobRuns"),  # the recent runs' reports, to name known ids and the last rejecting run
            *_run_reports(stack),
            *athena_query(stack, rejects),
        ],
        "doctor": [
            _access(
                "LakeBucket", ["s3:ListBucket", "s3:GetEncryptionConfiguration", "s3:GetBucketVersioning"], [stack.lake]
            ),
            _job(stack, "GetJob", "GetJobRuns"),
            _access("ReadTheCatalog", ["glue:GetTable"], stack.catalog(silver, gold, rejects)),
            _access("RunTheCrawler", ["glue:GetCrawler"], [f"{stack.glue}:crawler/{stack.crawler}"]),
            _access("QueryInTheWorkgroup", ["athena:GetWorkGroup", "athena:GetNamedQuery"], [stack.workgroup_arn]),
            # DescribeLogGroups, SimulateCustomPolicy and GetMetricData have no resource type: "*"
            # is the only resource they take (Service Authorization Reference, CloudWatch Logs,
            # IAM and CloudWatch, https://docs.aws.amazon.com/service-authorization/latest/reference/).
            _access("DescribeLogGroups", ["logs:DescribeLogGroups"], ["*"]),
            _logs(stack, "DescribeLogStreams"),
            _access("ReadRunMetrics", ["cloudwatch:GetMetricData"], ["*"]),
            _access(
                "CheckTheAlertsTopic",
                ["sns:GetTopicAttributes"],
                [f"arn:aws:sns:{stack.region}:{stack.account}:{stack.topic}"],
            ),
            _access(
                "SimulateTheStacksRole",
                ["iam:SimulatePrincipalPolicy"],
                [f"arn:aws:iam::{stack.account}:role/{stack.role}"],
            ),
            _access("ReadThisPolicy", ["iam:GetPolicy", "iam:GetPolicyVersion"], [stack.policy_arn]),
            _access("SimulateThisPolicy", ["iam:SimulateCustomPolicy"], ["*"]),
            *_key(stack, ("kms:DescribeKey",)),
        ],
    }
    pipeline = [_access("ReadTheCatalog", ["glue:GetTable"], stack.catalog(silver, gold))]
    for step in PIPELINE_STEPS:
        pipeline += verbs[step]
    verbs["pipeline"] = pipeline
    return verbs


class BroaderThanDeclared(ValueError):
    """Two accesses under one sid would grant, together, an action on a resource no verb declared."""


def operator_statements(stack: StackResources) -> list[tuple[str, list[str], list[str]]]:
    """The operator policy's statements, (sid, actions, resources): `merge_statements` of every verb's accesses."""
    return merge_statements(verb_access(stack))


def merge_statements(verbs: dict[str, list[Access]]) -> list[tuple[str, list[str], list[str]]]:
    """Statements (sid, actions, resources) in the order first declared: each sid's actions and
    resources united. A statement grants every action on every resource, so each pair must be
    one a verb declared.

    Raises:
        BroaderThanDeclared: a sid whose accesses, united, grant a pair no verb declared (split the sid).
    """
    declared: dict[str, set[tuple[str, str]]] = {}
    statements: dict[str, tuple[list[str], list[str]]] = {}
    for accesses in verbs.values():
        for access in accesses:
            actions, resources = statements.setdefault(access.sid, ([], []))
            actions += [a for a in access.actions if a not in actions]
            resources += [r for r in access.resources if r not in resources]
            declared.setdefault(access.sid, set()).update((a, r) for a in access.actions for r in access.resources)
    for sid, (actions, resources) in statements.items():
        extra = sorted((a, r) for a in actions for r in resources if (a, r) not in declared[sid])
        if extra:
            raise BroaderThanDeclared(
                f"statement {sid} would grant {extra[0][0]} on {extra[0][1]}, which no verb declares"
            )
    return [(sid, actions, resources) for sid, (actions, resources) in statements.items()]
