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
from etl.schema import GOLD, SILVER

PROJECT = "silver-to-gold"

# Values AWS accepts (checked against botocore's models in tests/infra).
WORKER_TYPES = ("G.1X", "G.2X", "G.4X", "G.8X", "G.12X", "G.16X", "R.1X", "R.2X", "R.4X", "R.8X")
GLUE_VERSIONS = ("5.0",)  # the job targets Spark 3.5 / Python 3.11
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
ATHENA_MIN_CUTOFF_BYTES = 10 * 1024 * 1024  # Athena's minimum per-query data usage control

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_GLUE_NAME = re.compile(r"^[a-z0-9_]{1,255}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


class SettingsError(PipelineError):
    """A configuration value is not allowed; the message names key, value and what is allowed."""


@dataclass(frozen=True)
class Settings:
    """Everything the pipeline component needs, validated."""

    stack: str
    region: str = "us-east-1"
    lake_bucket: str = ""  # empty: create one; otherwise use this existing bucket
    silver_database: str = SILVER.database
    silver_table: str = SILVER.table
    gold_database: str = GOLD.database
    gold_table: str = GOLD.table
    job_name: str = "job-transform-silver-to-gold"
    crawler_name: str = "crawler-gold-data"
    glue_version: str = "5.0"
    worker_type: str = "G.1X"
    workers: int = 2
    timeout_minutes: int = 60
    max_concurrent_runs: int = 1
    max_retries: int = 0
    log_retention_days: int = 14
    athena_bytes_scanned_cutoff: int = 1024**3
    alert_email: str = ""
    kms_key_arn: str = ""
    price_per_dpu_hour: float = 0.44
    max_reject_ratio: float = DEFAULT_MAX_REJECT_RATIO

    @property
    def creates_bucket(self) -> bool:
        return not self.lake_bucket


# Config key (as in Pulumi.yaml, camelCase) -> Settings field.
CONFIG_KEYS: dict[str, str] = {
    "lakeBucket": "lake_bucket",
    "silverDatabase": "silver_database",
    "silverTable": "silver_table",
    "goldDatabase": "gold_database",
    "goldTable": "gold_table",
    "jobName": "job_name",
    "crawlerName": "crawler_name",
    "glueVersion": "glue_version",
    "workerType": "worker_type",
    "workers": "workers",
    "timeoutMinutes": "timeout_minutes",
    "maxConcurrentRuns": "max_concurrent_runs",
    "maxRetries": "max_retries",
    "logRetentionDays": "log_retention_days",
    "athenaBytesScannedCutoff": "athena_bytes_scanned_cutoff",
    "alertEmail": "alert_email",
    "kmsKeyArn": "kms_key_arn",
    "pricePerDpuHour": "price_per_dpu_hour",
    "maxRejectRatio": "max_reject_ratio",
}


def settings_from_config(stack: str, config: Mapping[str, object], region: str | None = None) -> Settings:
    """Build and validate settings from a stack's project config.

    Args:
        stack: the stack name.
        config: project config keys (without the `silver-to-gold:` prefix) to values.
        region: `aws:region`, if set.

    Raises:
        SettingsError: naming the key, the value and what is allowed.
    """
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise SettingsError(f"unknown config key {PROJECT}:{unknown[0]} (known: {', '.join(sorted(CONFIG_KEYS))})")
    defaults = Settings(stack=stack)
    values: dict[str, object] = {"stack": stack, "region": region or defaults.region}
    for key, field_name in CONFIG_KEYS.items():
        if key not in config or config[key] in (None, ""):
            continue
        kind = type(getattr(defaults, field_name))
        values[field_name] = _coerce(key, config[key], kind)
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
    for key in ("silverDatabase", "silverTable", "goldDatabase", "goldTable"):
        value = getattr(s, CONFIG_KEYS[key])
        if not _GLUE_NAME.match(value):
            _fail(key, value, "a Glue catalog name (lowercase letters, digits and underscores)")
    if (s.silver_database, s.silver_table) == (s.gold_database, s.gold_table):
        _fail("goldTable", s.gold_table, "a table other than the silver table")
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
    if not 1 <= s.timeout_minutes <= 2880:
        _fail("timeoutMinutes", s.timeout_minutes, "1..2880 minutes")
    if not 1 <= s.max_concurrent_runs <= 1000:
        _fail("maxConcurrentRuns", s.max_concurrent_runs, "1..1000")
    if not 0 <= s.max_retries <= 10:
        _fail("maxRetries", s.max_retries, "0..10")
    if s.log_retention_days not in LOG_RETENTION_DAYS:
        _fail("logRetentionDays", s.log_retention_days, f"one of {', '.join(map(str, LOG_RETENTION_DAYS))}")
    if s.athena_bytes_scanned_cutoff < ATHENA_MIN_CUTOFF_BYTES:
        _fail("athenaBytesScannedCutoff", s.athena_bytes_scanned_cutoff, f"at least {ATHENA_MIN_CUTOFF_BYTES} bytes")
    if s.alert_email and not _EMAIL.match(s.alert_email):
        _fail("alertEmail", s.alert_email, "an email address, or empty for no subscription")
    if s.kms_key_arn and not _KMS_ARN.match(s.kms_key_arn):
        _fail(
            "kmsKeyArn", s.kms_key_arn, "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or empty for SSE-S3"
        )
    if not s.price_per_dpu_hour > 0:
        _fail("pricePerDpuHour", s.price_per_dpu_hour, "a positive price in USD")
    if not 0.0 <= s.max_reject_ratio <= 1.0:
        _fail("maxRejectRatio", s.max_reject_ratio, "between 0 and 1")


def load_settings() -> Settings:
    """Read the current stack's config through Pulumi (the only place that does)."""
    import pulumi

    config = pulumi.Config(PROJECT)
    values = {key: config.get(key) for key in CONFIG_KEYS}
    region = pulumi.Config("aws").get("region")
    return settings_from_config(pulumi.get_stack(), {k: v for k, v in values.items() if v is not None}, region)
