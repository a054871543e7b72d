"""Settings from a stack's config: `settings_from_config` (pure) and `load_settings` (through Pulumi).

`settings_from_config` takes a plain mapping of config keys to strings (what
`Pulumi.<stack>.yaml` holds) so tests and `automation synth` validate without the Pulumi
runtime. `load_settings` is the only place that reads `pulumi.Config`.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from infra import names
from infra.aws_reference import PRICE_PER_DPU_HOUR
from infra.settings.rules import validate
from infra.settings.schema import CONFIG_KEYS, PROJECT, REGION, SCHEMA, ConfigKey, Settings, SettingsError

# Removed keys, with what replaces them: named in the error instead of "unknown key".
REPLACED_KEYS = {"kmsKeyArn": "kms (none, create or an existing key ARN)"}
# Lowercase letters, digits and single hyphens: the stack goes into the bucket prefix
# (lowercase, no underscores), Glue catalog names (as underscores) and IAM/Glue names.
# Checked on the bare name of an org-qualified stack (`acme/dev` -> `dev`).
_STACK = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def settings_from_config(stack: str, config: Mapping[str, object], region: str | None = None) -> Settings:
    """Build and validate settings from a stack's project config.

    A key left unset (or empty) gets its schema default; the keys whose default is worked
    out get it here: the name keys the stack's names (`infra.names.default_names`),
    pricePerDpuHour the price of executionClass, rejectRatioWarning half of maxRejectRatio.
    An org-qualified stack (`acme/dev`, `acme/silver-to-gold/dev`) is the stack of its bare
    name: `Settings.stack` is `dev`, as `pulumi.get_stack()` is inside the program, so the
    physical names are the same.

    Args:
        stack: the stack name, bare or org-qualified.
        config: project config keys (without the `silver-to-gold:` prefix) to values.
        region: `aws:region`, if set.

    Raises:
        SettingsError: naming the key, the value and what is allowed.
    """
    _check_keys(config)
    stack = _bare_stack(stack)
    # Any: each value was read as its key's kind (`_coerce`); the rules check modes and ranges.
    values: dict[str, Any] = {"stack": stack, REGION.field: region or REGION.default}
    for key in SCHEMA:
        if not key.in_project:
            continue
        raw = config.get(key.name)
        if raw not in (None, ""):
            values[key.field] = _coerce(key, raw)
        elif key.default is not None:
            values[key.field] = key.default
    creates_silver = values["silver_catalog"] == "create"
    for name_key, name in names.default_names(stack, creates_silver).items():
        values.setdefault(CONFIG_KEYS[name_key], name)
    standard = PRICE_PER_DPU_HOUR["STANDARD"]
    values.setdefault("price_per_dpu_hour", PRICE_PER_DPU_HOUR.get(values["execution_class"], standard))
    values.setdefault("reject_ratio_warning", values["max_reject_ratio"] / 2)
    settings = Settings(**values)
    validate(settings)
    return settings


def _check_keys(config: Mapping[str, object]) -> None:
    replaced = sorted(set(config) & set(REPLACED_KEYS))
    if replaced:
        key = replaced[0]
        raise SettingsError(f"{PROJECT}:{key} was removed: set {PROJECT}:{REPLACED_KEYS[key]} instead")
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise SettingsError(f"unknown config key {PROJECT}:{unknown[0]} (known: {', '.join(sorted(CONFIG_KEYS))})")


def _bare_stack(stack: str) -> str:
    try:
        bare = names.bare_stack_name(stack)
    except ValueError as error:
        raise SettingsError(f"stack name {stack!r} is not allowed: {error}") from None
    if not _STACK.match(bare):
        raise SettingsError(
            f"stack name {bare!r} is not allowed: lowercase letters, digits and single hyphens "
            "(it becomes part of the bucket prefix, Glue, IAM and log group names)"
        )
    return bare


def _coerce(key: ConfigKey, raw: object) -> object:
    try:
        if key.kind is int:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            return int(str(raw))
        if key.kind is float:
            return float(str(raw))
        return str(raw)
    except ValueError:
        raise SettingsError(f"{PROJECT}:{key.name} = {raw!r} is not a valid {key.kind.__name__}") from None


def load_settings() -> Settings:
    """Read the current stack's config through Pulumi (the only place that does)."""
    import pulumi

    config = pulumi.Config(PROJECT)
    values = {key: config.get(key) for key in CONFIG_KEYS}
    region = pulumi.Config("aws").get("region")
    return settings_from_config(pulumi.get_stack(), {k: v for k, v in values.items() if v is not None}, region)
