"""`doctor`: what the emulators cannot prove, confirmed read-only on the user's own account.

The caller's identity and region; every resource the stack's outputs name, against what the
stack set (`stackSettings`): the lake bucket's encryption and versioning, the job's
definition and script object, the declared log groups' retention and key, the three tables,
the crawler, the workgroup's enforced configuration, the alerts topic's key, the key's state;
then IAM's policy simulator (`automation.aws.simulator`) for the job role over what the job
does and for the stack's operator policy, as deployed, over what each verb touches (and for a
principal named with `--principal-arn`); after a run, the metrics chain (the run's stream in
the group the metric filters read, its datapoint in the namespace). Only reads:
Get*/Describe*/List* calls and the simulator, all of them granted by the operator policy. The
judgements are pure (`automation.aws.doctor_checks`; the simulator's questions in
`automation.aws.needs`); this module makes the calls and turns a refused or missing resource
into a ✗ line instead of a failure, so one run reports everything.
"""

from __future__ import annotations

from typing import Any, Callable

from botocore.exceptions import ClientError

from automation.aws.deployed import Stack
from automation.aws.doctor_checks import (
    CHAIN_METRIC,
    Check,
    DoctorReport,
    check_bucket_encryption,
    check_bucket_versioning,
    check_crawler,
    check_identity,
    check_job,
    check_key,
    check_log_group,
    check_run_metrics,
    check_saved_query,
    check_script,
    check_table,
    check_topic,
    check_workgroup,
    metric_window,
    run_metric_dimensions,
    settings_of,
)
from automation.aws.needs import job_role_needs, operator_needs, run_log_groups
from automation.aws.session import AwsClients, AwsError, error_code, error_message, paginate
from automation.aws.simulator import simulate_operator_policy, simulate_principal
from automation.outputs import StackOutputs, split_s3_uri
from etl.metrics import METRIC_NAMESPACE
from infra import outputs as out

DOCTOR_OUTPUTS = (
    out.STACK_SETTINGS,
    out.REGION,
    out.BUCKET,
    out.SILVER_URI,
    out.GOLD_URI,
    out.QUARANTINE_URI,
    out.REPORTS_URI,
    out.SILVER_DATABASE,
    out.SILVER_TABLE,
    out.GOLD_DATABASE,
    out.GOLD_TABLE,
    out.JOB_NAME,
    out.CRAWLER_NAME,
    out.ATHENA_WORKGROUP,
    out.JOB_OUTPUT_LOG_GROUP,
    out.JOB_ERROR_LOG_GROUP,
    out.ALERTS_TOPIC_ARN,
    out.OPERATOR_POLICY_ARN,
)
# Answers that mean "not there" rather than "not allowed" (each service's API reference).
NOT_FOUND = {
    "404",
    "NoSuchBucket",
    "NoSuchKey",
    "EntityNotFoundException",
    "ResourceNotFoundException",
    "NotFound",
    "NotFoundException",
}
NO_ENCRYPTION = "ServerSideEncryptionConfigurationNotFoundError"
ATTACH_OPERATOR_POLICY = (
    "attach the stack's operator policy (output operatorPolicyArn) to the role or user running doctor"
)


def run_doctor(
    stack: Stack, principal_arn: str | None = None, progress: Callable[[Check], None] | None = None
) -> DoctorReport:
    """Every check, in order; `progress` hears each as it is made.

    Args:
        stack: a session in the stack's region with working credentials; its outputs are
            checked for every one `doctor` reads first.
        principal_arn: an IAM user or role to simulate over what the verbs touch, beside the
            operator policy (what else limits that principal: boundaries, SCPs, other policies).
    """
    outputs, clients = stack.outputs, stack.clients
    outputs.require(*DOCTOR_OUTPUTS)
    settings = settings_of(outputs)
    report = DoctorReport()

    def add(*checks: Check) -> None:
        for check in checks:
            report.checks.append(check)
            if progress is not None:
                progress(check)

    identity = clients.sts.get_caller_identity()
    add(*check_identity(identity, clients.region, outputs))
    key = outputs.kms_key_arn
    add(*_bucket_checks(clients, outputs.lake_bucket, key, settings["bucketManaged"]))
    job_name = outputs.job_name
    add(_attempt(f"job {job_name}", lambda: check_job(job_name, _get_job(clients, job_name), settings)))
    add(_attempt("job script", lambda: _script_check(clients, settings["job"]["scriptLocation"])))
    for group in settings["logGroups"]:
        add(_log_group_check(clients, group, settings["logRetentionDays"], key))
    for database, table, location in (
        (outputs.silver_database, outputs.silver_table, outputs.silver_uri),
        (outputs.gold_database, outputs.gold_table, outputs.gold_uri),
        (outputs.gold_database, outputs.rejects_table, outputs.quarantine_uri),
    ):
        if table:  # a stack from before the rejects table has no `rejectsTable`
            add(_table_check(clients, database, table, location))
    crawler = outputs.crawler_name
    add(_attempt(f"crawler {crawler}", lambda: check_crawler(crawler, _get_crawler(clients, crawler), outputs)))
    workgroup = outputs.athena_workgroup
    add(
        _attempt(
            f"workgroup {workgroup}",
            lambda: check_workgroup(workgroup, _get_workgroup(clients, workgroup), settings, key),
        )
    )
    for label, query_id in (
        ("saved preview query", outputs.preview_query_id),
        ("saved repair query", outputs.repair_query_id),
    ):
        if query_id:
            add(_saved_query_check(clients, label, query_id, workgroup))
    topic = outputs.alerts_topic_arn
    add(_attempt("alerts topic", lambda: check_topic(topic, _topic_attributes(clients, topic), key)))

    if key:
        add(_attempt(f"key {key}", lambda: check_key(key, _key_metadata(clients, key))))

    newest_run = _newest_run(clients, job_name)
    log_groups, source = run_log_groups(newest_run, outputs)
    role_fix = (
        "the role's policy lacks it: redeploy to restore it; if the stack's policy has it, a permissions "
        "boundary or an SCP denies it"
    )
    role_needs = job_role_needs(outputs, log_groups, source)
    add(*simulate_principal(clients, "job role", settings["roleArn"], role_needs, role_fix))
    verbs = operator_needs(outputs)
    add(*simulate_operator_policy(clients, outputs.operator_policy_arn, verbs))
    if principal_arn:
        add(*simulate_principal(clients, principal_arn, principal_arn, verbs, ATTACH_OPERATOR_POLICY))
    if newest_run is not None:
        add(_attempt("run metrics", lambda: _metrics_check(clients, outputs, newest_run)))
    return report


# --- the resources --------------------------------------------------------------------------


def _log_group_check(clients: AwsClients, group: str, retention_days: int, key: str) -> Check:
    return _attempt(
        f"log group {group}", lambda: check_log_group(group, _log_group(clients, group), retention_days, key)
    )


def _table_check(clients: AwsClients, database: str, table: str, location: str) -> Check:
    return _attempt(
        f"table {database}.{table}",
        lambda: check_table(database, table, _get_table(clients, database, table), location),
    )


def _saved_query_check(clients: AwsClients, label: str, query_id: str, workgroup: str) -> Check:
    return _attempt(label, lambda: check_saved_query(label, _named_query(clients, query_id), workgroup))


def _attempt(name: str, check: Callable[[], Check]) -> Check:
    """A check whose reads AWS refused is a ✗ saying which call and why, not a failure."""
    try:
        return check()
    except ClientError as error:
        return Check(name, False, f"AWS refused {error.operation_name}: {error_message(error)}", ATTACH_OPERATOR_POLICY)


def _missing(error: ClientError) -> bool:
    return error_code(error) in NOT_FOUND


def _bucket_checks(clients: AwsClients, bucket: str, key: str, managed: bool) -> list[Check]:
    try:
        clients.s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if _missing(error):
            return [Check(f"bucket {bucket}", False, "not found", "the lake bucket is gone: restore it from backups")]
        return [
            Check(f"bucket {bucket}", False, f"AWS refused HeadBucket: {error_message(error)}", ATTACH_OPERATOR_POLICY)
        ]
    if not managed:
        return [
            Check(f"bucket {bucket}", True, "exists (an existing bucket: its owner sets encryption and versioning)")
        ]

    def encryption() -> Check:
        try:
            rules = clients.s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        except ClientError as error:
            if error_code(error) != NO_ENCRYPTION:
                raise
            rules = None
        return check_bucket_encryption(bucket, rules, key)

    return [
        _attempt(f"bucket {bucket} encryption", encryption),
        _attempt(
            f"bucket {bucket} versioning",
            lambda: check_bucket_versioning(bucket, clients.s3.get_bucket_versioning(Bucket=bucket).get("Status")),
        ),
    ]


def _get_job(clients: AwsClients, name: str) -> dict[str, Any] | None:
    try:
        return clients.glue.get_job(JobName=name)["Job"]
    except ClientError as error:
        if _missing(error):
            return None
        raise


def _script_check(clients: AwsClients, location: str) -> Check:
    """The script object, listed (s3:ListBucket) rather than read: its size says it is there."""
    bucket, key = split_s3_uri(location)
    listed = clients.s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("Contents", [])
    size = next((item["Size"] for item in listed if item["Key"] == key), None)
    return check_script(location, size)


def _log_group(clients: AwsClients, name: str) -> dict[str, Any] | None:
    groups = paginate(clients.logs, "describe_log_groups", "logGroups", logGroupNamePrefix=name)
    return next((group for group in groups if group.get("logGroupName") == name), None)


def _get_table(clients: AwsClients, database: str, name: str) -> dict[str, Any] | None:
    try:
        return clients.glue.get_table(DatabaseName=database, Name=name)["Table"]
    except ClientError as error:
        if _missing(error):
            return None
        raise


def _named_query(clients: AwsClients, query_id: str) -> dict[str, Any] | None:
    try:
        return clients.athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
    except ClientError as error:
        # Athena answers an unknown id with InvalidRequestException.
        if _missing(error) or error_code(error) == "InvalidRequestException":
            return None
        raise


def _get_crawler(clients: AwsClients, name: str) -> dict[str, Any] | None:
    try:
        return clients.glue.get_crawler(Name=name)["Crawler"]
    except ClientError as error:
        if _missing(error):
            return None
        raise


def _get_workgroup(clients: AwsClients, name: str) -> dict[str, Any] | None:
    try:
        return clients.athena.get_work_group(WorkGroup=name).get("WorkGroup")
    except ClientError as error:
        # Athena answers a missing workgroup with InvalidRequestException ("WorkGroup ... is not found").
        if _missing(error) or "not found" in error_message(error).lower():
            return None
        raise


def _topic_attributes(clients: AwsClients, arn: str) -> dict[str, Any] | None:
    try:
        return clients.client("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
    except ClientError as error:
        if _missing(error):
            return None
        raise


def _key_metadata(clients: AwsClients, arn: str) -> dict[str, Any] | None:
    try:
        return clients.client("kms").describe_key(KeyId=arn)["KeyMetadata"]
    except ClientError as error:
        if _missing(error):
            return None
        raise


def _metrics_check(clients: AwsClients, outputs: StackOutputs, run: dict[str, Any]) -> Check:
    """The run's stream in the group the metric filters read, and its datapoint in the namespace."""
    group = outputs.job_output_log_group
    streams = paginate(
        clients.logs, "describe_log_streams", "logStreams", logGroupName=group, logStreamNamePrefix=run["Id"]
    )
    stream = next(iter(streams), None)
    dimensions = run_metric_dimensions(outputs)
    start, end = metric_window(run)
    answer = clients.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "run",
                "MetricStat": {
                    "Metric": {
                        "Namespace": METRIC_NAMESPACE,
                        "MetricName": CHAIN_METRIC,
                        # By name: CloudWatch matches dimensions in any order, moto 5.2.5 only in
                        # the order published (its Dimension.__lt__ compares a value with a name).
                        "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(dimensions.items())],
                    },
                    "Period": 60,
                    "Stat": "SampleCount",
                },
            }
        ],
        StartTime=start,
        EndTime=end,
    )
    values = [v for result in answer.get("MetricDataResults", []) for v in result.get("Values", [])]
    return check_run_metrics(run, group, stream is not None, bool(values), dimensions)


def _newest_run(clients: AwsClients, job_name: str) -> dict[str, Any] | None:
    """The job's newest run (GetJobRuns lists newest first), or None (no runs, or not allowed)."""
    try:
        runs = clients.glue.get_job_runs(JobName=job_name, MaxResults=1).get("JobRuns", [])
    except ClientError:
        return None
    return runs[0] if runs else None


class DoctorFailed(AwsError):
    """At least one check failed; the report above says which and how to fix each."""
