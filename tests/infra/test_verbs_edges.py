"""What each operations verb declares it touches (`infra.policies.verbs`), verb by verb, for a small
stack written out here: `doctor` prints one line per verb from these ("operator may run ..."), so a
verb that lost an action another verb still has leaves the operator policy (their union) unchanged
but `doctor` asks too little. And the operator policy's statements, by Sid, in order. Every action
and ARN is written out from the verbs' documented needs, never derived from infra.
"""

from __future__ import annotations

from infra.policies import operator_policy
from infra.policies.verbs import StackResources, Table, verb_access

ACCOUNT = "123456789012"
GLUE = f"arn:aws:glue:eu-west-1:{ACCOUNT}"
LAKE = "arn:aws:s3:::lake"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/k"
STACK = StackResources(
    region="eu-west-1",
    account=ACCOUNT,
    bucket="lake",
    job="j",
    crawler="c",
    workgroup="w",
    silver=Table("s", "st", "silver/st/"),
    gold=Table("g", "gt", "gold/gt/"),
    rejects=Table("g", "gt_rejects", "quarantine/gt/"),
    reports="gold/_reports/gt/",
    athena_results="athena-results/",
    log_groups=("/g/output", "/g/crawlers-*"),
    topic="t",
    role="r",
    operator_policy="p",
    kms_key_arn=KEY,
)

JOB = f"{GLUE}:job/j"
GROUPS = [
    f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/g/output",
    f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/g/output:*",
    f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/g/crawlers-*",
]
WORKGROUP = f"arn:aws:athena:eu-west-1:{ACCOUNT}:workgroup/w"
RESULTS = f"{LAKE}/athena-results/*"
REPORTS = f"{LAKE}/gold/_reports/gt/*"
CATALOG_READ = {
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
}
QUERY = {"athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:GetWorkGroup"}
RESULTS_OBJECTS = {"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}
RESULTS_BUCKET = {"s3:GetBucketLocation", "s3:ListBucketMultipartUploads"}


def table_arns(database: str, table: str) -> set[str]:
    return {f"{GLUE}:catalog", f"{GLUE}:database/{database}", f"{GLUE}:table/{database}/{table}"}


# verb -> {(action, resource)}: what `doctor` asks the simulator about, one line per verb.
def pairs(actions, resources) -> set[tuple[str, str]]:
    return {(a, r) for a in actions for r in resources}


RUN_REPORTS = pairs(["s3:GetObject"], [REPORTS]) | pairs(["s3:ListBucket"], [LAKE]) | pairs(["kms:Decrypt"], [KEY])
LOG_READS = pairs(["logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams"], GROUPS)
ATHENA_QUERY = (
    pairs(QUERY, [WORKGROUP])
    | pairs(RESULTS_OBJECTS, [RESULTS])
    | pairs(RESULTS_BUCKET, [LAKE])
    | pairs(["kms:Decrypt", "kms:GenerateDataKey"], [KEY])
)


def reads(database: str, table: str, prefix: str) -> set[tuple[str, str]]:
    """Athena reading a table as the caller: its catalog entries and its files."""
    return (
        pairs(CATALOG_READ, table_arns(database, table))
        | pairs(["s3:ListBucket"], [LAKE])
        | pairs(["s3:GetObject"], [f"{LAKE}/{prefix}*"])
    )


EXPECTED = {
    "run": pairs(["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:GetJob"], [JOB])
    | RUN_REPORTS
    | LOG_READS,
    "status": pairs(["glue:GetJobRun", "glue:GetJobRuns", "glue:GetJob"], [JOB]) | RUN_REPORTS,
    "logs": pairs(["glue:GetJobRun", "glue:GetJobRuns"], [JOB]) | LOG_READS,
    "runs": pairs(["glue:GetJobRuns"], [JOB]) | RUN_REPORTS,
    "load-silver": pairs(["s3:ListBucket"], [LAKE])
    | pairs(["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject"], [f"{LAKE}/silver/st/*"])
    | pairs(["s3:DeleteObject"], [f"{LAKE}/silver/st/_sample.json"])
    | pairs(["glue:GetTable", "glue:GetPartitions", "glue:BatchCreatePartition"], table_arns("s", "st"))
    | pairs(["kms:Decrypt", "kms:GenerateDataKey"], [KEY]),
    "register": pairs(["s3:ListBucket"], [LAKE])
    | pairs(["glue:GetTable", "glue:GetPartitions"], table_arns("g", "gt"))
    | pairs(["glue:StartCrawler", "glue:GetCrawler", "glue:ListCrawls"], [f"{GLUE}:crawler/c"])
    | pairs(["athena:GetNamedQuery"], [WORKGROUP])
    | ATHENA_QUERY
    # MSCK REPAIR TABLE: Athena reads the table and adds its partitions as the caller.
    | pairs(
        ["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions", "glue:BatchCreatePartition"], table_arns("g", "gt")
    ),
    "query": ATHENA_QUERY
    | reads("s", "st", "silver/st/")
    | reads("g", "gt", "gold/gt/")
    | reads("g", "gt_rejects", "quarantine/gt/"),
    "rejects": pairs(["glue:GetJob", "glue:GetJobRuns"], [JOB])
    | RUN_REPORTS
    | ATHENA_QUERY
    | reads("g", "gt_rejects", "quarantine/gt/"),
    "doctor": pairs(["s3:ListBucket", "s3:GetEncryptionConfiguration", "s3:GetBucketVersioning"], [LAKE])
    | pairs(["glue:GetJob", "glue:GetJobRuns"], [JOB])
    | pairs(["glue:GetTable"], table_arns("s", "st") | table_arns("g", "gt") | table_arns("g", "gt_rejects"))
    | pairs(["glue:GetCrawler"], [f"{GLUE}:crawler/c"])
    | pairs(["athena:GetWorkGroup", "athena:GetNamedQuery"], [WORKGROUP])
    | pairs(["logs:DescribeLogGroups", "cloudwatch:GetMetricData", "iam:SimulateCustomPolicy"], ["*"])
    | pairs(["logs:DescribeLogStreams"], GROUPS)
    | pairs(["sns:GetTopicAttributes"], [f"arn:aws:sns:eu-west-1:{ACCOUNT}:t"])
    | pairs(["iam:SimulatePrincipalPolicy"], [f"arn:aws:iam::{ACCOUNT}:role/r"])
    | pairs(["iam:GetPolicy", "iam:GetPolicyVersion"], [f"arn:aws:iam::{ACCOUNT}:policy/p"])
    | pairs(["kms:DescribeKey"], [KEY]),
}


def declared(verb_accesses) -> set[tuple[str, str]]:
    return {(a, r) for access in verb_accesses for a in access.actions for r in access.resources}


def test_each_verb_declares_what_it_touches_and_nothing_else():
    verbs = verb_access(STACK)
    assert list(verbs) == [*EXPECTED, "pipeline"]
    assert {verb: declared(accesses) for verb, accesses in verbs.items() if verb != "pipeline"} == EXPECTED
    # pipeline: its steps, and the catalog check of silver and gold first.
    steps = set().union(*(EXPECTED[s] for s in ("load-silver", "run", "register", "query", "rejects")))
    assert declared(verbs["pipeline"]) == steps | pairs(
        ["glue:GetTable"], table_arns("s", "st") | table_arns("g", "gt")
    )


def test_without_a_key_no_verb_touches_kms():
    from dataclasses import replace

    verbs = verb_access(replace(STACK, kms_key_arn=""))
    assert {verb: {a for a, _ in declared(accesses) if a.startswith("kms:")} for verb, accesses in verbs.items()} == {
        verb: set() for verb in verbs
    }
    assert {verb: declared(accesses) for verb, accesses in verbs.items() if verb != "pipeline"} == {
        verb: {(a, r) for a, r in pairs_ if r != KEY} for verb, pairs_ in EXPECTED.items()
    }


def test_the_operator_policy_is_one_statement_per_sid_in_the_order_first_declared():
    statements = operator_policy(STACK)["Statement"]
    assert [s["Sid"] for s in statements] == [
        "RunAndFollowTheJob",
        "ReadTheLake",
        "LakeBucket",
        "UseTheStacksKey",
        "ReadRunLogs",
        "UploadSilver",
        "ForgetTheSample",
        "ReadTheCatalog",
        "AddPartitions",
        "RunTheCrawler",
        "QueryInTheWorkgroup",
        "AthenaQueryResults",
        "DescribeLogGroups",
        "ReadRunMetrics",
        "CheckTheAlertsTopic",
        "SimulateTheStacksRole",
        "ReadThisPolicy",
        "SimulateThisPolicy",
    ]
    assert {s["Effect"] for s in statements} == {"Allow"} and all("Condition" not in s for s in statements)
