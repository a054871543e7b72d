"""The stack's configuration keys, declared once: the `Settings` record and one `ConfigKey` per field.

Each field of `Settings` is a config key: its type is the field's annotation (a `Literal` for a
mode), its default and description are the field's metadata (`_key`). `SCHEMA` reads them back
as `ConfigKey` records; `Pulumi.yaml`'s `config:` block and the table in
`docs/infrastructure.md` are made from it (`make config`, `tools/config_schema.py`, held by
`tests/infra/test_config_schema.py`), and `infra.settings.load` parses with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any, Literal, NewType, Union, get_args, get_origin, get_type_hints

from etl.arguments import DEFAULT_MAX_REJECT_RATIO
from etl.errors import PipelineError
from infra import names
from infra.aws_reference import ExecutionClass, GlueVersion, WorkerType

PROJECT = names.PROJECT

LakeOnDestroy = Literal["retain", "delete"]
SilverCatalog = Literal["create", "reference"]
RegistrationMethod = Literal["job", "crawler", "msck"]
KmsMode = Literal["none", "create"]
KeyArn = NewType("KeyArn", str)  # an existing KMS key's ARN, checked by the rules
# What a value of a mode's open arm is, for the docs (kms: a mode or a key ARN).
_OPEN_VALUES: dict[object, str] = {KeyArn: "an existing key's ARN"}
LAKE_ON_DESTROY: tuple[LakeOnDestroy, ...] = get_args(LakeOnDestroy)
SILVER_CATALOG: tuple[SilverCatalog, ...] = get_args(SilverCatalog)
REGISTRATION_METHODS: tuple[RegistrationMethod, ...] = get_args(RegistrationMethod)
KMS_MODES: tuple[KmsMode, ...] = get_args(KmsMode)


class SettingsError(PipelineError):
    """A configuration value is not allowed; the message names key, value and what is allowed."""


@dataclass(frozen=True)
class _Declared:
    default: str | int | float | None
    description: str
    name: str


def _key(default: str | int | float | None, description: str, name: str = "") -> Any:
    """A config key's field: its default (None: worked out from other keys, see the description),
    the description `Pulumi.yaml` and the docs show, and its name when not the field's camelCase."""
    return field(metadata={"config": _Declared(default, description, name)})


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the pipeline component needs, validated (`infra.settings.settings_from_config`)."""

    stack: str
    region: str = _key("us-east-1", "AWS region for every resource, unless the stack sets aws:region.", "aws:region")
    lake_bucket: str = _key(
        "",
        "Name of an existing bucket to use as the lake (its settings stay yours); empty creates a new bucket: "
        "versioned, encrypted, public access blocked, TLS-only policy, lifecycle rules, prefixes bronze/ silver/ "
        "gold/ quarantine/ temp/ artifacts/ athena-results/.",
    )
    lake_on_destroy: LakeOnDestroy = _key(
        "retain",
        "What `pulumi destroy` does to a bucket the stack created: retain (default) leaves the bucket, its settings "
        "and its data in the account; delete empties it (every object version) and deletes it. An existing "
        "lakeBucket is always retained.",
    )
    silver_catalog: SilverCatalog = _key(
        "reference",
        "create declares the silver database and table (columns and partitions from etl/schema.py, location the "
        "lake's silver/ prefix) so a fresh account can run the job; reference reads an existing table.",
    )
    silver_database: str = _key(
        None,
        "Glue database of the silver table; empty for the stack's default (silver_data when referenced, "
        "silver_data_<stack> when the stack creates it).",
    )
    silver_table: str = _key(None, "The silver table the job reads; empty for sample_data_partitioned.")
    gold_database: str = _key(
        None,
        "Glue database created for the gold table; empty for the stack's default (gold_data in dev, "
        "gold_data_<stack> elsewhere).",
    )
    gold_table: str = _key(None, "The gold table created and written by the job; empty for sample_data_aggregated.")
    job_name: str = _key(
        None,
        "Name of the Glue job; empty for the stack's default (job-transform-silver-to-gold in dev, ...-<stack> "
        "elsewhere).",
    )
    crawler_name: str = _key(
        None,
        "Name of the Glue crawler (tutorial option A); empty for the stack's default (crawler-gold-data in dev, "
        "...-<stack> elsewhere).",
    )
    glue_version: GlueVersion = _key(
        "5.0", "Glue version; 5.0 (Spark 3.5, Python 3.11) is the only one the job supports."
    )
    worker_type: WorkerType = _key("G.1X", "Glue worker type (G.1X = 4 vCPU, 16 GB).")
    workers: int = _key(2, "Number of workers, 2 to 299 (the job needs more than one worker to run in parallel).")
    execution_class: ExecutionClass = _key(
        "STANDARD",
        "STANDARD, or FLEX (spare capacity, cheaper per DPU-hour, G.1X/G.2X only) for runs that can wait.",
    )
    timeout_minutes: int = _key(
        60,
        "Job timeout in minutes, 1 to 10079 (Glue: less than 7 days). Set explicitly: left unset, Glue 5.0 would "
        "charge a hung run for 480 minutes (Job.Timeout in botocore's Glue model).",
    )
    max_concurrent_runs: int = _key(
        1, "Concurrent runs allowed, 1 to 1000; 1 keeps two runs from overwriting the same partitions."
    )
    max_retries: int = _key(0, "Automatic retries of a failed run, 0 to 10.")
    schedule: str = _key(
        "",
        "Glue cron expression in UTC, e.g. cron(0 4 * * ? *); a scheduled trigger runs the job. Empty for none.",
    )
    registration_method: RegistrationMethod = _key(
        "job",
        "How gold partitions are registered: job (the job itself, default), crawler (a conditional trigger runs the "
        "crawler after each successful triggered run), msck (the saved MSCK REPAIR TABLE query).",
    )
    log_retention_days: int = _key(
        14,
        "Retention of the log groups the stack declares and of the lake's S3 access logs, in days (a "
        "CloudWatch-allowed value).",
    )
    athena_bytes_scanned_cutoff: int = _key(1024**3, "Athena per-query scan limit in bytes (at least 10 MiB).")
    alert_email: str = _key("", "Email subscribed to failure alerts; empty for none (the SNS topic exists either way).")
    kms: KmsMode | KeyArn = _key(
        "none",
        "none (SSE-S3, unencrypted logs and topic), create (one customer-managed key per stack, rotated, for the "
        "bucket, logs, Glue security configuration, Athena results and alerts topic), or an existing key's ARN.",
    )
    price_per_dpu_hour: float = _key(
        None,
        "Glue price per DPU-hour in USD, for cost reports; empty follows executionClass (0.44 STANDARD, 0.29 FLEX).",
    )
    max_reject_ratio: float = _key(
        DEFAULT_MAX_REJECT_RATIO,
        "The job fails before writing gold when rejected/read rows exceed this share (0 to 1).",
    )
    quarantine_retention_days: int = _key(
        30,
        "Days the quarantine (rejected rows, row-level data) is kept: an S3 lifecycle rule expires quarantine/ "
        "after this many days, and the job drops the rejects-table partitions and files of runs a day before. At "
        "least 2.",
    )
    reject_ratio_warning: float = _key(
        None,
        "A CloudWatch alarm notifies the alerts topic when a run's rejected/read rows exceed this, before the gate "
        "(maxRejectRatio) fails runs: between 0 and maxRejectRatio, empty for half of it.",
    )
    github_repository: str = _key(
        "",
        "owner/name of the GitHub repository whose Actions deploy this stack (docs/ci.md): the stack trusts the "
        "account's GitHub OIDC provider with a deploy role (its main branch and its environment named after the "
        "stack) and a preview role (its pull requests); owner@ID/name@ID for immutable subject claims. Empty for "
        "none.",
    )

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
        return names.job_log_groups(self.log_group_prefix)

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
    def github_ci(self) -> bool:
        """Whether the stack trusts a GitHub repository's workflows (the deploy and preview roles)."""
        return bool(self.github_repository)

    @property
    def lake_on_destroy_output(self) -> str:
        """The lakeOnDestroy output: what `pulumi destroy` does to the bucket's data."""
        return "deleted" if self.creates_bucket and self.lake_on_destroy == "delete" else "retained"


@dataclass(frozen=True)
class ConfigKey:
    """One config key as `Pulumi.yaml` declares it and the settings read it."""

    name: str  # as `pulumi config set` takes it: camelCase in the project, `aws:region` outside it
    field: str  # the Settings field it fills
    kind: type  # how a value is read: int, float or str
    choices: tuple[str, ...]  # a mode's allowed values (its Literal); () for any value the rules accept
    other: str  # what else a mode allows beside its choices ("" for nothing else)
    default: str | int | float | None  # what a stack that sets nothing gets; None: worked out from other keys
    description: str

    @property
    def in_project(self) -> bool:
        """A project key (`silver-to-gold:<name>`); a key outside the namespace takes only a value."""
        return ":" not in self.name

    @property
    def pulumi_type(self) -> Literal["string", "integer"]:
        """The project file's type: Pulumi's config types have no number, so a float is a string."""
        return "integer" if self.kind is int else "string"

    @property
    def pulumi_default(self) -> str | int:
        """The default as `Pulumi.yaml` writes it: of the key's `pulumi_type`, empty when worked out."""
        if self.default is None:
            return ""
        if self.kind is int and isinstance(self.default, int):
            return self.default
        return str(self.default)


def _camel_case(field_name: str) -> str:
    return re.sub(r"_([a-z])", lambda match: match.group(1).upper(), field_name)


def _kind_and_choices(hint: object) -> tuple[type, tuple[str, ...], str]:
    """How a value of the annotation `hint` is read, its choices if a mode, and what else it allows."""
    if isinstance(hint, type):  # int, float, str
        return hint, (), ""
    if get_origin(hint) is Literal:
        return str, tuple(get_args(hint)), ""
    if get_origin(hint) is Union:  # kms: a mode or a key ARN
        arms = get_args(hint)
        choices = tuple(choice for arm in arms for choice in _kind_and_choices(arm)[1])
        return str, choices, ", ".join(_OPEN_VALUES[arm] for arm in arms if arm in _OPEN_VALUES)
    return str, (), ""


def _schema() -> tuple[ConfigKey, ...]:
    hints = get_type_hints(Settings)
    keys = []
    for item in fields(Settings):
        declared = item.metadata.get("config")
        if declared is None:
            continue  # `stack`: the stack's name, not a config key
        kind, choices, other = _kind_and_choices(hints[item.name])
        name = declared.name or _camel_case(item.name)
        keys.append(ConfigKey(name, item.name, kind, choices, other, declared.default, declared.description))
    return tuple(keys)


SCHEMA: tuple[ConfigKey, ...] = _schema()
# Project config key (as in Pulumi.yaml, camelCase) -> Settings field.
CONFIG_KEYS: dict[str, str] = {key.name: key.field for key in SCHEMA if key.in_project}
REGION = next(key for key in SCHEMA if not key.in_project)
