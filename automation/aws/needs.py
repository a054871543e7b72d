"""The permissions `doctor` asks IAM's policy simulator about, as IAM action and resource ARN,
and how its answers read; pure.

`job_role_needs`: what the job does (read silver and its code, write gold, quarantine, temp
and the report, HEAD its missing state file, the catalog calls, its log streams, the key).
`operator_needs`: what the operations verbs call on the stack (the purpose of the operator
policy, `infra.policies.operator_policy`). No AWS calls here, no Rich.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from automation.aws.doctor_checks import Check, account_of, settings_of
from automation.outputs import StackOutputs, split_s3_uri
from etl.incremental import STATE_FILE
from infra.policies import CATALOG_PARTITION_WRITE, CATALOG_READ, DEFAULT_DATABASE_ACTIONS

# What the simulator says when a statement allows the action ("EvalDecision",
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html).
ALLOWED = "allowed"


@dataclass(frozen=True)
class Need:
    """One permission to ask the policy simulator about: an IAM action on a resource ARN."""

    purpose: str
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()  # (condition key, value) the request would carry


def run_log_groups(run: Mapping[str, Any] | None, outputs: StackOutputs) -> tuple[list[str], str]:
    """The groups the job's newest run writes to and where the names came from.

    `JobRun.LogGroupName` names the groups' prefix ("This name can be /aws-glue/jobs/ ... If you
    add a role name and SecurityConfiguration name (/aws-glue/jobs-yourRoleName-
    yourSecurityConfigurationName/), then that security configuration is used to encrypt the
    log group", https://docs.aws.amazon.com/glue/latest/webapi/API_JobRun.html); Glue 5.0 writes
    `<prefix>/output` and `<prefix>/error` ("Logging for AWS Glue jobs",
    https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html). Without a run,
    the stack's outputs."""
    named = run.get("LogGroupName") if run is not None else None
    if run is not None and named:
        base = named.rstrip("/")
        return [f"{base}/output", f"{base}/error"], f"GetJobRun {run.get('Id')}"
    return [outputs.job_output_log_group, outputs.job_error_log_group], "the stack's outputs: no run yet"


def _object(uri: str, key: str = "") -> str:
    bucket, prefix = split_s3_uri(uri)
    return f"arn:aws:s3:::{bucket}/{prefix}{key}"


def _catalog(region: str, account: str, database: str, table: str = "") -> list[str]:
    base = f"arn:aws:glue:{region}:{account}"
    arns = [f"{base}:catalog", f"{base}:database/{database}"]
    return arns + ([f"{base}:table/{database}/{table}"] if table else [])


def _needs(
    purpose: str, actions: Iterable[str], resources: Iterable[str], context: Iterable[tuple[str, str]] = ()
) -> list[Need]:
    return [Need(purpose, action, resource, tuple(context)) for resource in resources for action in actions]


def job_role_needs(outputs: StackOutputs, log_groups: list[str], source: str = "the stack's outputs") -> list[Need]:
    """What the job does, as IAM sees it: read silver and its code, write gold, quarantine,
    temp and the report, HEAD its missing state file (s3:ListBucket makes that a 404, not a
    403: "Permissions", https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html),
    the catalog calls, its log streams, the stack's key."""
    settings = settings_of(outputs)
    arguments = settings["job"]["defaultArguments"]
    region, account = outputs.region, account_of(settings["roleArn"])
    bucket = outputs.lake_bucket
    sample = "ano=2024/mes=1/part-00000.snappy.parquet"
    needs = _needs("read silver", ["s3:GetObject"], [_object(outputs.silver_uri, sample)])
    code = [settings["job"]["scriptLocation"], arguments.get("--extra-py-files", "")]
    needs += _needs("read the job code", ["s3:GetObject"], [_object(uri) for uri in code if uri.startswith("s3://")])
    written = [
        _object(outputs.gold_uri, sample),
        _object(outputs.quarantine_uri, sample),
        _object(arguments.get("--TempDir", f"s3://{bucket}/temp/").rstrip("/") + "/", "spark/part-0"),
        _object(outputs.run_reports_uri, "run.json"),
    ]
    needs += _needs("write gold, quarantine, temp and the report", ["s3:PutObject", "s3:DeleteObject"], written)
    state = arguments.get("--state_location", "")
    if state.startswith("s3://"):
        needs += _needs("HEAD the missing state file", ["s3:GetObject"], [_object(state.rstrip("/") + "/", STATE_FILE)])
    needs += _needs("HEAD the missing state file", ["s3:ListBucket"], [f"arn:aws:s3:::{bucket}"])
    silver = (outputs.silver_database, outputs.silver_table)
    gold = (outputs.gold_database, outputs.gold_table)
    needs += _needs("read the silver table", CATALOG_READ, _catalog(region, account, *silver))
    needs += _needs(
        "let Spark check the default database", DEFAULT_DATABASE_ACTIONS, _catalog(region, account, "default")
    )
    needs += _needs(
        "maintain gold's partitions", CATALOG_READ + CATALOG_PARTITION_WRITE, _catalog(region, account, *gold)
    )
    streams = [f"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:jr_doctor-driver" for group in log_groups]
    needs += _needs(f"write its logs (groups from {source})", ["logs:CreateLogStream", "logs:PutLogEvents"], streams)
    needs += _needs("publish Glue metrics", ["cloudwatch:PutMetricData"], ["*"], [("cloudwatch:namespace", "Glue")])
    key = outputs.kms_key_arn
    if key:
        needs += _needs("use the stack's key", ["kms:Decrypt", "kms:GenerateDataKey"], [key])
    return needs


def operator_needs(outputs: StackOutputs) -> list[Need]:
    """What the operations verbs call on this stack (the operator policy's purpose,
    `infra.policies.operator_policy`), one purpose per verb."""
    settings = settings_of(outputs)
    region, account = outputs.region, account_of(settings["roleArn"])
    glue = f"arn:aws:glue:{region}:{account}"
    bucket = f"arn:aws:s3:::{outputs.lake_bucket}"
    workgroup = f"arn:aws:athena:{region}:{account}:workgroup/{outputs.athena_workgroup}"
    silver = (outputs.silver_database, outputs.silver_table)
    gold = (outputs.gold_database, outputs.gold_table)
    athena = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults"]
    results = _object(settings["athena"]["outputLocation"], "doctor.csv")
    logs = [
        f"arn:aws:logs:{region}:{account}:log-group:{group}"
        for group in (outputs.job_output_log_group, outputs.job_error_log_group)
    ]
    run, load, register = (
        "start and follow runs (run, status)",
        "load silver (load-silver)",
        "register partitions (register)",
    )
    query, logs_verb, doctor = (
        "query in the workgroup (query, register --method msck)",
        "read run logs (logs)",
        "check the stack (doctor)",
    )
    needs = _needs(
        run,
        ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:GetJob"],
        [f"{glue}:job/{outputs.job_name}"],
    )
    needs += _needs(run, ["s3:GetObject"], [_object(outputs.run_reports_uri, "jr_doctor.json")])
    needs += _needs(run, ["s3:ListBucket"], [bucket])
    needs += _needs(
        load,
        ["s3:PutObject", "s3:AbortMultipartUpload"],
        [_object(outputs.silver_uri, "ano=2024/mes=1/part-0.parquet")],
    )
    needs += _needs(
        load,
        ["glue:GetTable", "glue:GetPartitions", "glue:BatchCreatePartition"],
        _catalog(region, account, *silver),
    )
    needs += _needs(
        register,
        ["glue:StartCrawler", "glue:GetCrawler", "glue:ListCrawls"],
        [f"{glue}:crawler/{outputs.crawler_name}"],
    )
    needs += _needs(
        register,
        ["glue:GetTable", "glue:GetPartitions", "glue:BatchCreatePartition"],
        _catalog(region, account, *gold),
    )
    needs += _needs(query, [*athena, "athena:GetNamedQuery"], [workgroup])
    needs += _needs(query, ["s3:GetObject", "s3:PutObject"], [results])
    needs += _needs(query, ["s3:GetObject"], [_object(outputs.gold_uri, "ano=2024/mes=1/part-0.parquet")])
    needs += _needs(logs_verb, ["logs:FilterLogEvents", "logs:GetLogEvents", "logs:DescribeLogStreams"], logs)
    needs += _needs(doctor, ["s3:GetEncryptionConfiguration", "s3:GetBucketVersioning"], [bucket])
    needs += _needs(doctor, ["logs:DescribeLogGroups"], ["*"])
    needs += _needs(doctor, ["athena:GetWorkGroup"], [workgroup])
    needs += _needs(doctor, ["sns:GetTopicAttributes"], [outputs.alerts_topic_arn])
    needs += _needs(doctor, ["iam:SimulatePrincipalPolicy"], [settings["roleArn"]])
    key = outputs.kms_key_arn
    if key:
        needs += _needs("the stack's key", ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], [key])
    return needs


def caller_principal(arn: str) -> str | None:
    """The IAM principal the simulator takes for the caller: a user's ARN as is, an assumed
    role's session as its role (`arn:aws:sts::A:assumed-role/R/S` -> `arn:aws:iam::A:role/R`;
    a role with a path needs --principal-arn); None for the root user and federated users."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return None
    resource = parts[5]
    if parts[2] == "iam" and resource.startswith(("user/", "role/")):
        return arn
    if parts[2] == "sts" and resource.startswith("assumed-role/"):
        role = resource.split("/")[1]
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{role}"
    return None


def check_simulation(
    subject: str, needs: list[Need], decisions: Mapping[tuple[str, str], str], fix: str
) -> list[Check]:
    """One line per purpose: ✓ when the simulator allowed every action on every resource,
    ✗ naming each denied action, its resource and the simulator's decision."""
    checks = []
    purposes = list(dict.fromkeys(need.purpose for need in needs))
    for purpose in purposes:
        mine = [need for need in needs if need.purpose == purpose]
        denied = [
            f"{need.action} on {need.resource} ({decisions.get((need.action, need.resource), 'not evaluated')})"
            for need in mine
            if decisions.get((need.action, need.resource)) != ALLOWED
        ]
        name = f"{subject} may {purpose}"
        if denied:
            checks.append(Check(name, False, "denied " + "; ".join(denied), fix))
        else:
            actions = sorted({need.action for need in mine})
            count = len({n.resource for n in mine})
            plural = "s" if count > 1 else ""
            checks.append(Check(name, True, f"{', '.join(actions)} allowed on {count} resource{plural}"))
    return checks
