"""The stack's configuration as one frozen, validated settings object.

`settings_from_config` is pure: it takes a plain mapping of config keys to strings (what
`Pulumi.<stack>.yaml` holds) so tests and `automation synth` validate without the Pulumi
runtime. `load_settings` is the only place that reads `pulumi.Config`. Components never
read configuration themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from etl.arguments import DEFAULT_MAX_REJECT_RATIO
from etl.errors import PipelineError
from etl.metrics import RUN_METRICS
from etl.rejects import MIN_RETENTION_DAYS
from etl.schema import GOLD, SILVER
from infra import names
from infra.aws_reference import (  # noqa: F401  (other packages import these from here)
    ATHENA_MIN_CUTOFF_BYTES,
    DPUS_PER_WORKER,
    FLEX_WORKER_TYPES,
    GLUE_5_DEFAULT_TIMEOUT_MINUTES,
    GLUE_VERSIONS,
    LOG_RETENTION_DAYS,
    MAX_TIMEOUT_MINUTES,
    PRICE_PER_DPU_HOUR,
    WORKER_TYPES,
    glue_execution_classes,
)
from infra.schedule import glue_cron_problem

PROJECT = names.PROJECT


KMS_MODES = ("none", "create")  # or an existing key's ARN
LAKE_ON_DESTROY = ("retain", "delete")
SILVER_CATALOG = ("create", "reference")
REGISTRATION_METHODS = ("job", "crawler", "msck")
DEFAULT_QUARANTINE_RETENTION_DAYS = 30

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_GLUE_NAME = re.compile(r"^[a-z0-9_]{1,255}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key/[A-Za-z0-9-]+$")
# Lowercase letters, digits and single hyphens: the stack goes into the bucket prefix
# (lowercase, no underscores), Glue catalog names (as underscores) and IAM/Glue names.
# Checked on the bare name of an org-qualified stack (`acme/dev` -> `dev`).
_STACK = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class SettingsError(PipelineError):
    """A configuration value is not allowed; the message names key, value and what is allowed."""


@dataclass(frozen=True)
class Settings:
    """Everything the pipeline component needs, validated."""

    stack: str
    region: str = "us-east-1"
    lake_bucket: str = ""  # empty: create one; otherwise use this existing bucket
    lake_on_destroy: str = "retain"  # retain | delete (a created bucket only)
    silver_catalog: str = "reference"  # create | reference
    silver_database: str = SILVER.database
    silver_table: str = SILVER.table
    gold_database: str = GOLD.database
    gold_table: str = GOLD.table
    job_name: str = names.TUTORIAL_JOB
    crawler_name: str = names.TUTORIAL_CRAWLER
    glue_version: str = "5.0"
    worker_type: str = "G.1X"
    workers: int = 2
    execution_class: str = "STANDARD"
    timeout_minutes: int = 60
    max_concurrent_runs: int = 1
    max_retries: int = 0
    schedule: str = ""  # empty: no scheduled trigger
    registration_method: str = "job"  # job | crawler | msck
    log_retention_days: int = 14
    athena_bytes_scanned_cutoff: int = 1024**3
    alert_email: str = ""
    kms: str = "none"  # none | create | an existing key's ARN
    price_per_dpu_hour: float = PRICE_PER_DPU_HOUR["STANDARD"]
    max_reject_ratio: float = DEFAULT_MAX_REJECT_RATIO
    # Rejected rows and the pipeline's health (docs/infrastructure.md, "Rejects", "Metrics").
    quarantine_retention_days: int = DEFAULT_QUARANTINE_RETENTION_DAYS
    reject_ratio_warning: float = DEFAULT_MAX_REJECT_RATIO / 2  # unset: half of maxRejectRatio

    @property
    def creates_bucket(self) -> bool:
        return not self.lake_bucket

    @property
    def creates_key(self) -> bool:
        return self.kms == "create"

    @property
    def uses_kms(self) -> bool:
        return self.kms != "none"

    @property
    def existing_key_arn(self) -> str:
        return self.kms if self.uses_kms and not self.creates_key else ""

    @property
    def creates_silver(self) -> bool:
        return self.silver_catalog == "create"

    @property
    def role_name(self) -> str:
        return names.role_name(self.stack)

    @property
    def encryption_modes(self) -> names.EncryptionModes:
        if self.uses_kms:
            return names.EncryptionModes("SSE-KMS", "SSE-KMS", "CSE-KMS", self.kms)
        return names.EncryptionModes("SSE-S3", "DISABLED", "DISABLED", self.kms)

    @property
    def security_configuration_name(self) -> str:
        return names.security_configuration_name(self.stack, self.encryption_modes)

    @property
    def log_group_prefix(self) -> str:
        return names.job_log_group_prefix(self.job_name)

    @property
    def job_log_groups(self) -> tuple[str, str]:
        """(output, error) log groups the job really writes to."""
        return names.job_log_groups(
            self.log_group_prefix, self.security_configuration_name, self.role_name, self.uses_kms
        )

    @property
    def crawler_log_group(self) -> str:
        return names.crawler_log_group(self.security_configuration_name, self.role_name, self.uses_kms)

    @property
    def role_log_groups(self) -> list[str]:
        """Every log group name or pattern the job and crawler may write to (`names.role_log_groups`)."""
        return names.role_log_groups(
            self.log_group_prefix, self.security_configuration_name, self.role_name, self.uses_kms
        )

    @property
    def lake_on_destroy_output(self) -> str:
        """The lakeOnDestroy output: what `pulumi destroy` does to the bucket's data."""
        return "deleted" if self.creates_bucket and self.lake_on_destroy == "delete" else "retained"


# Config key (as in Pulumi.yaml, camelCase) -> Settings field.
CONFIG_KEYS: dict[str, str] = {
    "lakeBucket": "lake_bucket",
    "lakeOnDestroy": "lake_on_destroy",
    "silverCatalog": "silver_catalog",
    "silverDatabase": "silver_database",
    "silverTable": "silver_table",
    "goldDatabase": "gold_database",
    "goldTable": "gold_table",
    "jobName": "job_name",
    "crawlerName": "crawler_name",
    "glueVersion": "glue_version",
    "workerType": "worker_type",
    "workers": "workers",
    "executionClass": "execution_class",
    "timeoutMinutes": "timeout_minutes",
    "maxConcurrentRuns": "max_concurrent_runs",
    "maxRetries": "max_retries",
    "schedule": "schedule",
    "registrationMethod": "registration_method",
    "logRetentionDays": "log_retention_days",
    "athenaBytesScannedCutoff": "athena_bytes_scanned_cutoff",
    "alertEmail": "alert_email",
    "kms": "kms",
    "pricePerDpuHour": "price_per_dpu_hour",
    "maxRejectRatio": "max_reject_ratio",
    "quarantineRetentionDays": "quarantine_retention_days",
    "rejectRatioWarning": "reject_ratio_warning",
}
# Removed keys, with what replaces them: named in the error instead of "unknown key".
REPLACED_KEYS = {"kmsKeyArn": "kms (none, create or an existing key ARN)"}


def settings_from_config(stack: str, config: Mapping[str, object], region: str | None = None) -> Settings:
    """Build and validate settings from a stack's project config.

    Name keys left unset get the stack's defaults (`infra.names.default_names`);
    pricePerDpuHour left unset follows executionClass. An org-qualified stack (`acme/dev`,
    `acme/silver-to-gold/dev`) is the stack of its bare name: `Settings.stack` is `dev`, as
    `pulumi.get_stack()` is inside the program, so the physical names are the same.

    Args:
        stack: the stack name, bare or org-qualified.
        config: project config keys (without the `silver-to-gold:` prefix) to values.
        region: `aws:region`, if set.

    Raises:
        SettingsError: naming the key, the value and what is allowed.
    """
    replaced = sorted(set(config) & set(REPLACED_KEYS))
    if replaced:
        key = replaced[0]
        raise SettingsError(f"{PROJECT}:{key} was removed: set {PROJECT}:{REPLACED_KEYS[key]} instead")
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise SettingsError(f"unknown config key {PROJECT}:{unknown[0]} (known: {', '.join(sorted(CONFIG_KEYS))})")
    try:
        bare = names.bare_stack_name(stack)
    except ValueError as error:
        raise SettingsError(f"stack name {stack!r} is not allowed: {error}") from None
    if not _STACK.match(bare):
        raise SettingsError(
            f"stack name {bare!r} is not allowed: lowercase letters, digits and single hyphens "
            "(it becomes part of the bucket prefix, Glue, IAM and log group names)"
        )
    stack = bare
    defaults = Settings(stack=stack)
    values: dict[str, object] = {"stack": stack, "region": region or defaults.region}
    for key, field_name in CONFIG_KEYS.items():
        if key not in config or config[key] in (None, ""):
            continue
        kind = type(getattr(defaults, field_name))
        values[field_name] = _coerce(key, config[key], kind)
    creates_silver = values.get("silver_catalog", defaults.silver_catalog) == "create"
    for key, name in names.default_names(stack, creates_silver).items():
        values.setdefault(CONFIG_KEYS[key], name)
    if "price_per_dpu_hour" not in values:
        values["price_per_dpu_hour"] = PRICE_PER_DPU_HOUR.get(
            str(values.get("execution_class", defaults.execution_class)), defaults.price_per_dpu_hour
        )
    if "reject_ratio_warning" not in values:
        values["reject_ratio_warning"] = float(values.get("max_reject_ratio", defaults.max_reject_ratio)) / 2
    settings = Settings(**values)
    _validate(settings)
    return settings


def _coerce(key: str, raw: object, kind: type) -> object:
    try:
        if kind is int:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            return int(str(raw))
        if kind is float:
            return float(str(raw))
        return str(raw)
    except ValueError:
        raise SettingsError(f"{PROJECT}:{key} = {raw!r} is not a valid {kind.__name__}") from None


def _fail(key: str, value: object, allowed: str) -> None:
    raise SettingsError(f"{PROJECT}:{key} = {value!r} is not allowed: {allowed}")


def _validate(s: Settings) -> None:
    if not re.match(r"^[a-z]{2}(-[a-z]+)+-\d$", s.region):
        _fail("aws:region", s.region, "an AWS region such as us-east-1")
    if s.lake_bucket and not _BUCKET_NAME.match(s.lake_bucket):
        _fail("lakeBucket", s.lake_bucket, "an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)")
    if s.lake_on_destroy not in LAKE_ON_DESTROY:
        _fail("lakeOnDestroy", s.lake_on_destroy, f"one of {', '.join(LAKE_ON_DESTROY)}")
    if s.lake_on_destroy == "delete" and not s.creates_bucket:
        _fail(
            "lakeOnDestroy", s.lake_on_destroy, "retain when lakeBucket names an existing bucket (not ours to delete)"
        )
    if s.silver_catalog not in SILVER_CATALOG:
        _fail("silverCatalog", s.silver_catalog, f"one of {', '.join(SILVER_CATALOG)}")
    for key in ("silverDatabase", "silverTable", "goldDatabase", "goldTable"):
        value = getattr(s, CONFIG_KEYS[key])
        if not _GLUE_NAME.match(value):
            _fail(key, value, "a Glue catalog name (lowercase letters, digits and underscores)")
    if (s.silver_database, s.silver_table) == (s.gold_database, s.gold_table):
        _fail("goldTable", s.gold_table, "a table other than the silver table")
    if s.creates_silver and s.silver_database == s.gold_database:
        _fail("silverDatabase", s.silver_database, "a database other than goldDatabase when silverCatalog is create")
    for key in ("jobName", "crawlerName"):
        value = getattr(s, CONFIG_KEYS[key])
        if not re.match(r"^[A-Za-z0-9_.-]{1,255}$", value):
            _fail(key, value, "1-255 letters, digits, '.', '_' or '-'")
    if s.glue_version not in GLUE_VERSIONS:
        _fail("glueVersion", s.glue_version, f"one of {', '.join(GLUE_VERSIONS)} (the job needs Spark 3.5)")
    if s.worker_type not in WORKER_TYPES:
        _fail("workerType", s.worker_type, f"one of {', '.join(WORKER_TYPES)}")
    if s.workers < 2:
        _fail("workers", s.workers, "at least 2: the job needs more than one worker to run in parallel")
    if s.workers > 299:
        _fail("workers", s.workers, "at most 299")
    classes = glue_execution_classes()
    if s.execution_class not in classes:
        _fail("executionClass", s.execution_class, f"one of {', '.join(sorted(classes))} (botocore's Glue model)")
    if s.execution_class == "FLEX" and s.worker_type not in FLEX_WORKER_TYPES:
        _fail(
            "executionClass",
            s.execution_class,
            f"STANDARD with workerType {s.worker_type}: FLEX runs G.1X or G.2X only",
        )
    if not 1 <= s.timeout_minutes <= MAX_TIMEOUT_MINUTES:
        _fail("timeoutMinutes", s.timeout_minutes, f"1..{MAX_TIMEOUT_MINUTES} minutes (Glue: less than 7 days)")
    if not 1 <= s.max_concurrent_runs <= 1000:
        _fail("maxConcurrentRuns", s.max_concurrent_runs, "1..1000")
    if not 0 <= s.max_retries <= 10:
        _fail("maxRetries", s.max_retries, "0..10")
    if s.schedule:
        problem = glue_cron_problem(s.schedule)
        if problem:
            _fail(
                "schedule",
                s.schedule,
                f"a Glue cron expression such as cron(0 4 * * ? *), or empty for none; {problem}",
            )
    if s.registration_method not in REGISTRATION_METHODS:
        _fail("registrationMethod", s.registration_method, f"one of {', '.join(REGISTRATION_METHODS)}")
    if s.log_retention_days not in LOG_RETENTION_DAYS:
        _fail("logRetentionDays", s.log_retention_days, f"one of {', '.join(map(str, LOG_RETENTION_DAYS))}")
    if s.athena_bytes_scanned_cutoff < ATHENA_MIN_CUTOFF_BYTES:
        _fail("athenaBytesScannedCutoff", s.athena_bytes_scanned_cutoff, f"at least {ATHENA_MIN_CUTOFF_BYTES} bytes")
    if s.alert_email and not _EMAIL.match(s.alert_email):
        _fail("alertEmail", s.alert_email, "an email address, or empty for no subscription")
    if s.kms not in KMS_MODES:
        match = _KMS_ARN.match(s.kms)
        if not match:
            _fail("kms", s.kms, "none, create, or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)")
        elif match.group(1) != s.region:
            _fail("kms", s.kms, f"a key in the stack's region {s.region} (KMS keys are regional)")
    if not s.price_per_dpu_hour > 0:
        _fail("pricePerDpuHour", s.price_per_dpu_hour, "a positive price in USD")
    if not 0.0 <= s.max_reject_ratio <= 1.0:
        _fail("maxRejectRatio", s.max_reject_ratio, "between 0 and 1")
    _validate_observability(s)
    problems = names.name_length_problems(physical_names(s))
    if problems:
        raise SettingsError(f"stack name {s.stack!r} (or a name setting) makes names too long: {'; '.join(problems)}")


def _validate_observability(s: Settings) -> None:
    if s.quarantine_retention_days < MIN_RETENTION_DAYS:
        _fail(
            "quarantineRetentionDays",
            s.quarantine_retention_days,
            f"at least {MIN_RETENTION_DAYS} days (the job drops a run a day before S3 expires its files)",
        )
    if not 0.0 <= s.reject_ratio_warning <= s.max_reject_ratio:
        _fail(
            "rejectRatioWarning",
            s.reject_ratio_warning,
            f"between 0 and maxRejectRatio ({s.max_reject_ratio}): a warning above the gate would never come first",
        )


def physical_names(s: Settings) -> dict[str, str]:
    """Every derived name with a length limit (LIMITS key -> name), checked before deploy."""
    found = {
        "iam_role": s.role_name,
        "iam_policy": names.operator_policy_name(s.stack),
        "glue_job": s.job_name,
        "glue_crawler": s.crawler_name,
        "glue_database": s.gold_database,
        "glue_security_configuration": s.security_configuration_name,
        "glue_trigger": max(
            names.crawler_trigger_name(s.crawler_name),
            names.schedule_trigger_name(s.job_name),
            names.on_demand_trigger_name(s.job_name),
            key=len,
        ),
        "athena_workgroup": names.workgroup_name(s.stack),
        "log_group": max((*s.job_log_groups, s.crawler_log_group), key=len),
        "kms_alias": names.key_alias(s.stack),
        "event_rule": names.failure_rule_name(s.stack),
        "sns_topic": names.alerts_topic_name(s.stack),
        "cloudwatch_alarm": max(names.reject_ratio_alarm_name(s.stack), names.freshness_alarm_name(s.stack), key=len),
        "cloudwatch_dashboard": names.dashboard_name(s.stack),
        "metric_filter": names.metric_filter_name(s.stack, max((m.name for m in RUN_METRICS), key=len)),
    }
    if s.creates_bucket:
        found["bucket_prefix"] = max(names.bucket_prefix(s.stack), names.access_log_bucket_prefix(s.stack), key=len)
    return found


def load_settings() -> Settings:
    """Read the current stack's config through Pulumi (the only place that does)."""
    import pulumi

    config = pulumi.Config(PROJECT)
    values = {key: config.get(key) for key in CONFIG_KEYS}
    region = pulumi.Config("aws").get("region")
    return settings_from_config(pulumi.get_stack(), {k: v for k, v in values.items() if v is not None}, region)
