"""The permissions `doctor` asks IAM's policy simulator about, as IAM action and resource ARN,
and how its answers read; pure.

`job_role_needs`: what the job does (read silver and its code, write gold, quarantine, temp
and the report, HEAD its missing state file, the catalog calls on silver, gold and the rejects
table, its log streams, the key). `operator_needs`: what each operations verb touches on the
stack, directly and through Athena, from the one declaration the operator policy is made from
(`infra.policies.verbs`). No AWS calls here, no Rich.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from automation.aws.doctor_checks import Check, account_of, settings_of
from automation.outputs import StackOutputs, split_s3_uri
from etl.incremental import STATE_FILE
from infra.policies import CATALOG_PARTITION_WRITE, CATALOG_READ, DEFAULT_DATABASE_ACTIONS
from infra.policies.verbs import StackResources, Table, verb_access

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
    the catalog calls (silver read; gold's and the rejects table's partitions maintained), its
    log streams, the stack's key."""
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
    if outputs.rejects_table:  # each run registers its partition, and drops those past the retention
        rejects = (outputs.gold_database, outputs.rejects_table)
        needs += _needs(
            "maintain the rejects table's partitions",
            CATALOG_READ + CATALOG_PARTITION_WRITE,
            _catalog(region, account, *rejects),
        )
    streams = [f"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:jr_doctor-driver" for group in log_groups]
    needs += _needs(f"write its logs (groups from {source})", ["logs:CreateLogStream", "logs:PutLogEvents"], streams)
    needs += _needs("publish Glue metrics", ["cloudwatch:PutMetricData"], ["*"], [("cloudwatch:namespace", "Glue")])
    key = outputs.kms_key_arn
    if key:
        needs += _needs("use the stack's key", ["kms:Decrypt", "kms:GenerateDataKey"], [key])
    return needs


def stack_resources(outputs: StackOutputs) -> StackResources:
    """The stack's resources as the verbs' declaration (`infra.policies.verbs`) names them, from its outputs."""
    settings = settings_of(outputs)

    def prefix(uri: str) -> str:
        return split_s3_uri(uri)[1]

    rejects = outputs.rejects_table or f"{outputs.gold_table}_rejects"  # a stack from before `rejectsTable`
    groups = (outputs.job_output_log_group, outputs.job_error_log_group, outputs.crawler_log_group)
    return StackResources(
        region=outputs.region,
        account=account_of(settings["roleArn"]),
        bucket=outputs.lake_bucket,
        job=outputs.job_name,
        crawler=outputs.crawler_name,
        workgroup=outputs.athena_workgroup,
        silver=Table(outputs.silver_database, outputs.silver_table, prefix(outputs.silver_uri)),
        gold=Table(outputs.gold_database, outputs.gold_table, prefix(outputs.gold_uri)),
        rejects=Table(outputs.gold_database, rejects, prefix(outputs.quarantine_uri)),
        reports=prefix(outputs.run_reports_uri),
        athena_results=prefix(settings["athena"]["outputLocation"]),
        log_groups=tuple(group for group in groups if group),
        topic=outputs.alerts_topic_arn.rsplit(":", 1)[-1],
        role=settings["roleName"],
        operator_policy=outputs.operator_policy_arn.rsplit("/", 1)[-1],
        kms_key_arn=outputs.kms_key_arn,
    )


# What the simulator is asked about for a resource pattern: one object, one log stream.
SAMPLE_OBJECT = "doctor-check"
SAMPLE_STREAM = "log-stream:jr_doctor-driver"


def sample_of(resource: str) -> str:
    """A resource an IAM pattern covers, to ask the simulator about: `*` alone stays (the actions
    without a resource type), a log group's `:*` names a stream, any other `*` an object."""
    if resource == "*" or not resource.endswith("*"):
        return resource
    if resource.startswith("arn:aws:logs:") and resource.endswith(":*"):
        return resource[:-1] + SAMPLE_STREAM
    return resource[:-1] + SAMPLE_OBJECT


def operator_needs(outputs: StackOutputs) -> list[Need]:
    """What each operations verb touches on this stack, directly and through Athena: the
    declaration the operator policy is made from (`infra.policies.verbs`), one purpose per verb."""
    needs: list[Need] = []
    for verb, accesses in verb_access(stack_resources(outputs)).items():
        for access in accesses:
            needs += _needs(verb, access.actions, [sample_of(r) for r in access.resources])
    return list(dict.fromkeys(needs))


# A ✓ line lists the actions up to this many, else counts them.
LISTED_ACTIONS = 4


def check_simulation(
    subject: str, needs: list[Need], decisions: Mapping[tuple[str, str], str], fix: str, verb: str = "may"
) -> list[Check]:
    """One line per purpose, `<subject> <verb> <purpose>`: ✓ when the simulator allowed every
    action on every resource, ✗ naming each denied action, its resource and the simulator's
    decision (a need it did not answer about counts as denied)."""
    checks = []
    purposes = list(dict.fromkeys(need.purpose for need in needs))
    for purpose in purposes:
        mine = [need for need in needs if need.purpose == purpose]
        denied = [
            f"{need.action} on {need.resource} ({decisions.get((need.action, need.resource), 'not evaluated')})"
            for need in mine
            if decisions.get((need.action, need.resource)) != ALLOWED
        ]
        name = f"{subject} {verb} {purpose}"
        if denied:
            checks.append(Check(name, False, "denied " + "; ".join(denied), fix))
        else:
            actions = sorted({need.action for need in mine})
            count = len({n.resource for n in mine})
            plural = "s" if count > 1 else ""
            shown = ", ".join(actions) if len(actions) <= LISTED_ACTIONS else f"{len(actions)} actions"
            checks.append(Check(name, True, f"{shown} allowed on {count} resource{plural}"))
    return checks
