"""Validation of the settings: small named rules, each with its message, checked in order.

A rule belongs to one config key and returns what that key allows when the value breaks it
(None when the value is fine); `validate` raises the first as `SettingsError`, naming the key,
the value and what is allowed. After the rules, every derived physical name is checked against
the limit of the API that receives it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from etl.metrics import RUN_METRICS
from etl.rejects import MIN_RETENTION_DAYS
from infra import names
from infra.aws_reference import (
    ATHENA_MIN_CUTOFF_BYTES,
    FLEX_WORKER_TYPES,
    GLUE_VERSIONS,
    LOG_RETENTION_DAYS,
    MAX_TIMEOUT_MINUTES,
    WORKER_TYPES,
    glue_execution_classes,
)
from infra.schedule import glue_cron_problem
from infra.settings.schema import (
    CONFIG_KEYS,
    KMS_MODES,
    LAKE_ON_DESTROY,
    PROJECT,
    REGION,
    REGISTRATION_METHODS,
    SILVER_CATALOG,
    Settings,
    SettingsError,
)

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_GLUE_NAME = re.compile(r"^[a-z0-9_]{1,255}$")
_GLUE_RESOURCE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A GitHub owner (user or organization: letters, digits, single hyphens) and repository (letters,
# digits, '-', '_', '.'), each optionally with the numeric id an immutable subject claim appends
# (`repo:owner@123/name@456:...`, aws-actions/configure-aws-credentials README, "Immutable sub claim").
_GITHUB_REPOSITORY = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(@\d+)?/[A-Za-z0-9_.-]{1,100}(@\d+)?$"
)
_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key/[A-Za-z0-9-]+$")

Check = Callable[[Settings], "str | None"]


@dataclass(frozen=True)
class Rule:
    """`check` returns what `key` allows when the settings break the rule, else None."""

    key: str
    check: Check

    def problem(self, s: Settings) -> str | None:
        allowed = self.check(s)
        if allowed is None:
            return None
        return f"{PROJECT}:{self.key} = {value_of(s, self.key)!r} is not allowed: {allowed}"


def value_of(s: Settings, key: str) -> Any:
    """The value of config key `key` in `s` (`aws:region` included)."""
    return getattr(s, REGION.field if key == REGION.name else CONFIG_KEYS[key])


def _one_of(key: str, choices: tuple[object, ...], why: str = "") -> Rule:
    """`key` takes one of `choices` ("one of a, b, c", then `why` in parentheses)."""
    allowed = f"one of {', '.join(map(str, choices))}" + (f" ({why})" if why else "")
    return Rule(key, lambda s: None if value_of(s, key) in choices else allowed)


def _glue_catalog_name(key: str) -> Rule:
    allowed = "a Glue catalog name (lowercase letters, digits and underscores)"
    return Rule(key, lambda s: None if _GLUE_NAME.match(value_of(s, key)) else allowed)


def _glue_resource_name(key: str) -> Rule:
    allowed = "1-255 letters, digits, '.', '_' or '-'"
    return Rule(key, lambda s: None if _GLUE_RESOURCE_NAME.match(value_of(s, key)) else allowed)


def region_is_an_aws_region(s: Settings) -> str | None:
    return None if _REGION.match(s.region) else "an AWS region such as us-east-1"


def lake_bucket_is_a_bucket_name(s: Settings) -> str | None:
    if not s.lake_bucket or _BUCKET_NAME.match(s.lake_bucket):
        return None
    return "an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)"


def only_a_created_bucket_is_deleted(s: Settings) -> str | None:
    if s.lake_on_destroy == "delete" and not s.creates_bucket:
        return "retain when lakeBucket names an existing bucket (not ours to delete)"
    return None


def gold_is_not_silver(s: Settings) -> str | None:
    if (s.silver_database, s.silver_table) == (s.gold_database, s.gold_table):
        return "a table other than the silver table"
    return None


def created_silver_has_its_own_database(s: Settings) -> str | None:
    if s.creates_silver and s.silver_database == s.gold_database:
        return "a database other than goldDatabase when silverCatalog is create"
    return None


def workers_run_in_parallel(s: Settings) -> str | None:
    if s.workers < 2:
        return "at least 2: the job needs more than one worker to run in parallel"
    if s.workers > 299:
        return "at most 299"
    return None


def execution_class_is_botocores(s: Settings) -> str | None:
    classes = glue_execution_classes()
    if s.execution_class in classes:
        return None
    return f"one of {', '.join(sorted(classes))} (botocore's Glue model)"


def flex_runs_small_workers(s: Settings) -> str | None:
    if s.execution_class == "FLEX" and s.worker_type not in FLEX_WORKER_TYPES:
        return f"STANDARD with workerType {s.worker_type}: FLEX runs G.1X or G.2X only"
    return None


def timeout_is_under_seven_days(s: Settings) -> str | None:
    if 1 <= s.timeout_minutes <= MAX_TIMEOUT_MINUTES:
        return None
    return f"1..{MAX_TIMEOUT_MINUTES} minutes (Glue: less than 7 days)"


def concurrent_runs_in_range(s: Settings) -> str | None:
    return None if 1 <= s.max_concurrent_runs <= 1000 else "1..1000"


def retries_in_range(s: Settings) -> str | None:
    return None if 0 <= s.max_retries <= 10 else "0..10"


def schedule_is_a_glue_cron(s: Settings) -> str | None:
    problem = glue_cron_problem(s.schedule) if s.schedule else None
    if not problem:
        return None
    return f"a Glue cron expression such as cron(0 4 * * ? *), or empty for none; {problem}"


def scan_cutoff_is_athenas_minimum(s: Settings) -> str | None:
    if s.athena_bytes_scanned_cutoff < ATHENA_MIN_CUTOFF_BYTES:
        return f"at least {ATHENA_MIN_CUTOFF_BYTES} bytes"
    return None


def alert_email_is_an_address(s: Settings) -> str | None:
    if not s.alert_email or _EMAIL.match(s.alert_email):
        return None
    return "an email address, or empty for no subscription"


def kms_is_a_mode_or_a_key_in_the_region(s: Settings) -> str | None:
    if s.kms in KMS_MODES:
        return None
    match = _KMS_ARN.match(s.kms)
    if not match:
        return "none, create, or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)"
    if match.group(1) != s.region:
        return f"a key in the stack's region {s.region} (KMS keys are regional)"
    return None


def price_is_positive(s: Settings) -> str | None:
    return None if s.price_per_dpu_hour > 0 else "a positive price in USD"


def reject_ratio_is_a_share(s: Settings) -> str | None:
    return None if 0.0 <= s.max_reject_ratio <= 1.0 else "between 0 and 1"


def quarantine_outlives_the_jobs_expiry(s: Settings) -> str | None:
    if s.quarantine_retention_days >= MIN_RETENTION_DAYS:
        return None
    return f"at least {MIN_RETENTION_DAYS} days (the job drops a run a day before S3 expires its files)"


def warning_comes_before_the_gate(s: Settings) -> str | None:
    if 0.0 <= s.reject_ratio_warning <= s.max_reject_ratio:
        return None
    return f"between 0 and maxRejectRatio ({s.max_reject_ratio}): a warning above the gate would never come first"


def github_repository_is_owner_slash_name(s: Settings) -> str | None:
    if not s.github_repository or _GITHUB_REPOSITORY.match(s.github_repository):
        return None
    return "owner/name of a GitHub repository (owner@ID/name@ID for immutable subject claims), or empty for none"


# In this order: with two bad values, the first rule's message is the one raised.
RULES: tuple[Rule, ...] = (
    Rule(REGION.name, region_is_an_aws_region),
    Rule("lakeBucket", lake_bucket_is_a_bucket_name),
    _one_of("lakeOnDestroy", LAKE_ON_DESTROY),
    Rule("lakeOnDestroy", only_a_created_bucket_is_deleted),
    _one_of("silverCatalog", SILVER_CATALOG),
    *(_glue_catalog_name(key) for key in ("silverDatabase", "silverTable", "goldDatabase", "goldTable")),
    Rule("goldTable", gold_is_not_silver),
    Rule("silverDatabase", created_silver_has_its_own_database),
    *(_glue_resource_name(key) for key in ("jobName", "crawlerName")),
    _one_of("glueVersion", GLUE_VERSIONS, "the job needs Spark 3.5"),
    _one_of("workerType", WORKER_TYPES),
    Rule("workers", workers_run_in_parallel),
    Rule("executionClass", execution_class_is_botocores),
    Rule("executionClass", flex_runs_small_workers),
    Rule("timeoutMinutes", timeout_is_under_seven_days),
    Rule("maxConcurrentRuns", concurrent_runs_in_range),
    Rule("maxRetries", retries_in_range),
    Rule("schedule", schedule_is_a_glue_cron),
    _one_of("registrationMethod", REGISTRATION_METHODS),
    _one_of("logRetentionDays", LOG_RETENTION_DAYS),
    Rule("athenaBytesScannedCutoff", scan_cutoff_is_athenas_minimum),
    Rule("alertEmail", alert_email_is_an_address),
    Rule("kms", kms_is_a_mode_or_a_key_in_the_region),
    Rule("pricePerDpuHour", price_is_positive),
    Rule("maxRejectRatio", reject_ratio_is_a_share),
    Rule("quarantineRetentionDays", quarantine_outlives_the_jobs_expiry),
    Rule("rejectRatioWarning", warning_comes_before_the_gate),
    Rule("githubRepository", github_repository_is_owner_slash_name),
)


def validate(s: Settings) -> None:
    """Raise the first rule's problem, then any physical name over its API's length limit.

    Raises:
        SettingsError: naming the key, the value and what is allowed.
    """
    for rule in RULES:
        problem = rule.problem(s)
        if problem:
            raise SettingsError(problem)
    too_long = names.name_length_problems(physical_names(s))
    if too_long:
        raise SettingsError(f"stack name {s.stack!r} (or a name setting) makes names too long: {'; '.join(too_long)}")


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
    if s.github_ci:
        found["iam_role"] = max(s.role_name, names.deploy_role_name(s.stack), names.preview_role_name(s.stack), key=len)
    if s.creates_bucket:
        found["bucket_prefix"] = max(names.bucket_prefix(s.stack), names.access_log_bucket_prefix(s.stack), key=len)
    return found
