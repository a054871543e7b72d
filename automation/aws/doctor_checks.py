"""`doctor`'s judgements, pure: what AWS answered against what the stack set, one `Check` each.

Each function takes what a read-only call returned (or None when the resource is gone) and
the stack's outputs (`stackSettings` says what the stack set: `infra.pipeline.stack_settings`)
and returns a ✓ or a ✗ with what to fix. What `doctor` asks IAM's policy simulator about
is in `automation.aws.needs`. No AWS calls here (`automation.aws.doctor` makes them), no Rich.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Mapping

from automation.outputs import OutputsError, StackOutputs
from etl.metrics import DIMENSIONS, JOB_FIELD, METRIC_NAMESPACE, STACK_FIELD
from infra import outputs as out
from infra.outputs import StackAthena, StackJob, StackSettings

REDEPLOY = "redeploy to put the stack's settings back (`python -m automation deploy --stack NAME`, or `pulumi up`)"
RECREATE = "it was deleted outside Pulumi: `pulumi refresh`, then redeploy to recreate it"


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        if self.ok:
            return f"✓ {self.name}: {self.detail}"
        return f"✗ {self.name}: {self.detail}" + (f" -- fix: {self.fix}" if self.fix else "")

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix}


@dataclass
class DoctorReport:
    """Every check, in order; `ok` when none failed."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "failed": len(self.failed), "checks": [c.to_dict() for c in self.checks]}


def settings_of(outputs: StackOutputs) -> StackSettings:
    """The `stackSettings` output (what the stack set), checked for the keys `doctor` reads.

    Raises:
        OutputsError: the stack lacks the output, or one of its keys.
    """
    outputs.require(out.STACK_SETTINGS)
    settings = outputs.stack_settings
    for shape, found, where in (
        (StackSettings, settings, ""),
        (StackJob, settings.get("job") or {}, "job."),
        (StackAthena, settings.get("athena") or {}, "athena."),
    ):
        lacking = sorted(shape.__required_keys__ - set(found))
        if lacking:
            raise OutputsError(
                f"stack output {out.STACK_SETTINGS!r} from {outputs.source} lacks {where}{lacking[0]}: "
                "redeploy the stack (pulumi up) or regenerate the file with `pulumi stack output --json`"
            )
    return settings


def account_of(arn: str) -> str:
    """The account field of an ARN ("" when there is none)."""
    parts = str(arn).split(":")
    return parts[4] if len(parts) > 5 else ""


# --- identity and region -------------------------------------------------------------------


def check_identity(identity: Mapping[str, Any], session_region: str | None, outputs: StackOutputs) -> list[Check]:
    """The caller's account against the stack's, the session's region against the stack's."""
    caller, account = identity.get("Arn", ""), identity.get("Account", "")
    stack_account = account_of(settings_of(outputs)["roleArn"])
    checks = [
        Check(
            "caller",
            not stack_account or account == stack_account,
            f"{caller} in account {account}"
            + ("" if not stack_account or account == stack_account else f", the stack is in account {stack_account}"),
            "use credentials for the stack's account (AWS_PROFILE)",
        )
    ]
    stack_region = outputs.region
    checks.append(
        Check(
            "region",
            not stack_region or session_region == stack_region,
            f"{session_region}" + ("" if session_region == stack_region else f", the stack is in {stack_region}"),
            f"set AWS_REGION={stack_region} (or unset it: the stack's region output is used)",
        )
    )
    return checks


# --- resources -------------------------------------------------------------------------------


def _differences(found: Mapping[str, Any], expected: Mapping[str, Any], label: Mapping[str, str]) -> list[str]:
    return [
        f"{label.get(key, key)} {found.get(key)!r} (the stack set {value!r})"
        for key, value in expected.items()
        if found.get(key) != value
    ]


def check_bucket_encryption(bucket: str, rules: list[Mapping[str, Any]] | None, kms_key_arn: str) -> Check:
    """Default encryption: SSE-KMS with the stack's key, or SSE-S3 when it has none."""
    name = f"bucket {bucket} encryption"
    wanted = ("aws:kms", kms_key_arn) if kms_key_arn else ("AES256", None)
    if not rules:
        return Check(name, False, "no default encryption configured", REDEPLOY)
    default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
    found = (default.get("SSEAlgorithm"), default.get("KMSMasterKeyID") or None)
    shown = f"{found[0]}" + (f" with key {found[1]}" if found[1] else "")
    if found != wanted:
        expected = wanted[0] + (f" with key {wanted[1]}" if wanted[1] else "")
        return Check(name, False, f"{shown} (the stack set {expected})", REDEPLOY)
    return Check(name, True, shown)


def check_bucket_versioning(bucket: str, status: str | None) -> Check:
    name = f"bucket {bucket} versioning"
    if status == "Enabled":
        return Check(name, True, "Enabled")
    return Check(name, False, f"{status or 'never enabled'} (the stack set Enabled)", REDEPLOY)


JOB_FIELDS = {
    "glueVersion": "GlueVersion",
    "workerType": "WorkerType",
    "numberOfWorkers": "NumberOfWorkers",
    "executionClass": "ExecutionClass",
    "timeout": "Timeout",
    "maxRetries": "MaxRetries",
    "securityConfiguration": "SecurityConfiguration",
}


def check_job(name: str, job: Mapping[str, Any] | None, settings: StackSettings) -> Check:
    """Glue version, workers, execution class, timeout, retries, security configuration, role,
    script and every default argument, as the stack set them."""
    label = f"job {name}"
    if job is None:
        return Check(label, False, "not found", RECREATE)
    expected = settings["job"]
    found = {key: job.get(field_name) for key, field_name in JOB_FIELDS.items()}
    if found["executionClass"] is None:  # Glue leaves it out for STANDARD jobs created without it
        found["executionClass"] = "STANDARD"
    declared: dict[str, Any] = dict(expected)
    problems = _differences(found, {k: declared[k] for k in JOB_FIELDS}, JOB_FIELDS)
    if job.get("Role") != settings["roleArn"]:
        problems.append(f"Role {job.get('Role')!r} (the stack set {settings['roleArn']!r})")
    script = (job.get("Command") or {}).get("ScriptLocation")
    if script != expected["scriptLocation"]:
        problems.append(f"ScriptLocation {script!r} (the stack set {expected['scriptLocation']!r})")
    arguments = job.get("DefaultArguments") or {}
    for key, value in sorted(expected["defaultArguments"].items()):
        if key not in arguments:
            problems.append(f"argument {key} missing (the stack set {value!r})")
        elif arguments[key] != value:
            problems.append(f"argument {key} {arguments[key]!r} (the stack set {value!r})")
    problems += [
        f"argument {key} not set by the stack" for key in sorted(set(arguments) - set(expected["defaultArguments"]))
    ]
    if problems:
        return Check(label, False, "; ".join(problems), REDEPLOY)
    return Check(
        label,
        True,
        f"Glue {found['glueVersion']}, {found['workerType']} x {found['numberOfWorkers']} {found['executionClass']}, "
        f"timeout {found['timeout']} min, {len(arguments)} arguments and the script as deployed",
    )


def check_script(location: str, size: int | None) -> Check:
    if size is None:
        return Check("job script", False, f"{location} not found", f"{RECREATE} (the job cannot start without it)")
    return Check("job script", True, f"{location} ({size:,} bytes)")


def check_log_group(name: str, group: Mapping[str, Any] | None, retention_days: int, kms_key_arn: str) -> Check:
    label = f"log group {name}"
    if group is None:
        return Check(label, False, "not found", RECREATE + " (a group Glue creates itself never expires)")
    problems = []
    if group.get("retentionInDays") != retention_days:
        problems.append(
            f"retention {group.get('retentionInDays') or 'never expire'} (the stack set {retention_days} days)"
        )
    if (group.get("kmsKeyId") or "") != kms_key_arn:
        problems.append(f"key {group.get('kmsKeyId') or 'none'} (the stack set {kms_key_arn or 'none'})")
    if problems:
        return Check(label, False, "; ".join(problems), REDEPLOY)
    return Check(label, True, f"{retention_days} days" + (f", key {kms_key_arn}" if kms_key_arn else ", no key"))


def check_table(database: str, name: str, table: Mapping[str, Any] | None, location: str) -> Check:
    """A catalog table the stack's outputs name exists and points where the lake keeps it."""
    label = f"table {database}.{name}"
    if table is None:
        return Check(label, False, "not found", RECREATE + " (or, for a table the stack references, restore it)")
    found = (table.get("StorageDescriptor") or {}).get("Location", "")
    if found.rstrip("/") != location.rstrip("/"):
        return Check(label, False, f"location {found!r} (the stack's is {location!r})", REDEPLOY)
    keys = [key.get("Name") for key in table.get("PartitionKeys", [])]
    return Check(label, True, f"at {found}, partitioned by {', '.join(keys) or 'nothing'}")


def check_saved_query(label: str, query: Mapping[str, Any] | None, workgroup: str) -> Check:
    if query is None:
        return Check(label, False, "not found", RECREATE)
    if query.get("WorkGroup") != workgroup:
        return Check(label, False, f"in workgroup {query.get('WorkGroup')!r} (the stack's is {workgroup!r})", REDEPLOY)
    return Check(label, True, f"{query.get('Name')}: {query.get('QueryString')}")


def check_crawler(name: str, crawler: Mapping[str, Any] | None, outputs: StackOutputs) -> Check:
    """Role, catalog target (the gold table), security configuration, logged schema changes."""
    label = f"crawler {name}"
    if crawler is None:
        return Check(label, False, "not found", RECREATE)
    settings = settings_of(outputs)
    problems = []
    if crawler.get("Role") not in (settings["roleArn"], settings["roleName"]):
        problems.append(f"role {crawler.get('Role')!r} (the stack set {settings['roleArn']!r})")
    gold = (outputs.gold_database, outputs.gold_table)
    targets = [
        (t.get("DatabaseName"), table)
        for t in (crawler.get("Targets") or {}).get("CatalogTargets", [])
        for table in t.get("Tables", [])
    ]
    if targets != [gold]:
        problems.append(f"catalog targets {targets} (the stack set [{gold}])")
    security = crawler.get("CrawlerSecurityConfiguration", "")
    if security != settings["job"]["securityConfiguration"]:
        problems.append(
            f"security configuration {security!r} (the stack set {settings['job']['securityConfiguration']!r})"
        )
    policy = crawler.get("SchemaChangePolicy") or {}
    if (policy.get("UpdateBehavior"), policy.get("DeleteBehavior")) != ("LOG", "LOG"):
        problems.append(f"schema change policy {policy} (the stack set LOG/LOG: partitions only)")
    if problems:
        return Check(label, False, "; ".join(problems), REDEPLOY)
    return Check(label, True, f"adds partitions to {gold[0]}.{gold[1]} as {settings['roleName']}")


def check_workgroup(name: str, workgroup: Mapping[str, Any] | None, settings: StackSettings, kms_key_arn: str) -> Check:
    """Enforced configuration: results location and encryption, scan cutoff, engine version."""
    label = f"workgroup {name}"
    if workgroup is None:
        return Check(label, False, "not found", RECREATE)
    expected = settings["athena"]
    configuration = workgroup.get("Configuration") or {}
    results = configuration.get("ResultConfiguration") or {}
    encryption = results.get("EncryptionConfiguration") or {}
    engine = configuration.get("EngineVersion") or {}
    found: dict[str, Any] = {
        "enforced": configuration.get("EnforceWorkGroupConfiguration"),
        "bytesScannedCutoffPerQuery": configuration.get("BytesScannedCutoffPerQuery"),
        "outputLocation": results.get("OutputLocation"),
        "encryptionOption": encryption.get("EncryptionOption"),
        "engineVersion": engine.get("SelectedEngineVersion") or engine.get("EffectiveEngineVersion"),
        "state": workgroup.get("State", "ENABLED"),
    }
    wanted: dict[str, Any] = {"enforced": True, **expected, "state": "ENABLED"}
    if kms_key_arn:
        found["kmsKey"], wanted["kmsKey"] = encryption.get("KmsKey"), kms_key_arn
    problems = _differences(found, wanted, {})
    if problems:
        return Check(label, False, "; ".join(problems), REDEPLOY)
    return Check(
        label,
        True,
        f"enforced; results {found['outputLocation']} {found['encryptionOption']}; "
        f"cutoff {found['bytesScannedCutoffPerQuery']:,} bytes; {found['engineVersion']}",
    )


def check_key(arn: str, metadata: Mapping[str, Any] | None) -> Check:
    """The stack's key is usable: a disabled key, or one pending deletion, fails every SSE-KMS
    read and write ("Key states of AWS KMS keys",
    https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html)."""
    label = f"key {arn}"
    if metadata is None:
        return Check(label, False, "not found", "the key the stack encrypts with is gone: restore it or redeploy")
    state = metadata.get("KeyState")
    if state != "Enabled":
        fix = "enable it (aws kms enable-key); a key pending deletion first needs aws kms cancel-key-deletion"
        return Check(label, False, f"{state} (the stack needs it Enabled)", fix)
    manager = ", customer managed" if metadata.get("KeyManager") == "CUSTOMER" else ""
    return Check(label, True, f"Enabled{manager}")


def check_topic(arn: str, attributes: Mapping[str, Any] | None, kms_key_arn: str) -> Check:
    label = f"alerts topic {arn.rsplit(':', 1)[-1]}"
    if attributes is None:
        return Check(label, False, "not found", RECREATE + " (failure alerts go nowhere)")
    key = attributes.get("KmsMasterKeyId") or ""
    if key != kms_key_arn:
        return Check(label, False, f"key {key or 'none'} (the stack set {kms_key_arn or 'none'})", REDEPLOY)
    return Check(label, True, f"key {key}" if key else "no key (EventBridge publishes unencrypted)")


# --- the run's metrics -------------------------------------------------------------------------

# The figure whose datapoint stands for the run's (every run's metrics line carries it).
CHAIN_METRIC = "RowsRead"
# A run in one of these has not printed its metrics line yet (JobRunState, API_JobRun.html).
UNFINISHED_STATES = ("STARTING", "RUNNING", "STOPPING", "WAITING")
# Metric filters publish an event's figures within minutes of its ingestion; look that far past the run.
METRICS_DELAY = timedelta(minutes=15)


def run_metric_dimensions(outputs: StackOutputs) -> dict[str, str]:
    """The dimensions the run's datapoints carry: the stack (the job's `--stack` argument) and the job."""
    arguments = settings_of(outputs)["job"]["defaultArguments"]
    values = {STACK_FIELD: arguments.get("--stack", ""), JOB_FIELD: outputs.job_name}
    return {dimension: values[field_name] for dimension, field_name in DIMENSIONS}


def metric_window(run: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """From a little before the run started to METRICS_DELAY after it ended."""
    started = run.get("StartedOn") or datetime.now(UTC)
    ended = run.get("CompletedOn") or started
    return started - timedelta(minutes=5), ended + METRICS_DELAY


def check_run_metrics(
    run: Mapping[str, Any], group: str, stream_found: bool, datapoint_found: bool, dimensions: Mapping[str, str]
) -> Check:
    """The metrics chain of the newest run: its stream in `group` (the one the metric filters
    read) and its datapoint under METRIC_NAMESPACE; when broken, the group the run actually wrote
    (`JobRun.LogGroupName` + `/output`: Glue 5.0 writes `<prefix>/output`, "Logging for AWS Glue
    jobs", https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html) and the fix."""
    name, run_id, state = "run metrics", run.get("Id"), run.get("JobRunState")
    if state in UNFINISHED_STATES:
        return Check(name, True, f"run {run_id} is {state}: its metrics line comes when it ends")
    shown = ", ".join(f"{k}={v}" for k, v in dimensions.items())
    if not all(dimensions.values()):
        return Check(name, False, f"the job prints no metrics line without its --stack argument ({shown})", REDEPLOY)
    if stream_found and datapoint_found:
        return Check(name, True, f"run {run_id}: stream in {group}, {CHAIN_METRIC} in {METRIC_NAMESPACE} ({shown})")
    named = (run.get("LogGroupName") or "").rstrip("/")
    written = f"{named}/output" if named else ""
    if not stream_found:
        detail = f"run {run_id} left no stream in {group}, the group the metric filters read"
        if written and written != group:
            detail += f"; it wrote to {written} (GetJobRun.LogGroupName)"
            fix = (
                f"make the stack's job output group {written} (the job's log group names are made in "
                "infra.names; the metric filters, the dashboard and `logs` follow) and redeploy"
            )
        else:
            fix = "the run wrote no stdout there: see its error group (`python -m automation logs --run-id ID`)"
        return Check(name, False, detail, fix)
    detail = f"run {run_id}'s stream is in {group}, but {METRIC_NAMESPACE} has no {CHAIN_METRIC} datapoint for {shown}"
    fix = (
        "the metric filters did not match the run's metrics line: compare its last stdout line with a filter's "
        f"pattern (aws logs describe-metric-filters --log-group-name {group}; aws logs test-metric-filter)"
    )
    return Check(name, False, detail, fix)
