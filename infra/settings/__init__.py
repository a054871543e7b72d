"""The stack's configuration as one frozen, validated settings object.

`schema` declares every config key once (the `Settings` fields: type, default, description),
`rules` validates, `load` builds settings from a stack's config. Components never read
configuration themselves: `__main__.py` hands them `Settings`.
"""

from infra.aws_reference import (
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
from infra.settings.load import REPLACED_KEYS, load_settings, settings_from_config
from infra.settings.rules import RULES, physical_names
from infra.settings.schema import (
    CONFIG_KEYS,
    KMS_MODES,
    LAKE_ON_DESTROY,
    PROJECT,
    REGISTRATION_METHODS,
    SCHEMA,
    SILVER_CATALOG,
    ConfigKey,
    Settings,
    SettingsError,
)

__all__ = [
    "ATHENA_MIN_CUTOFF_BYTES",
    "CONFIG_KEYS",
    "DPUS_PER_WORKER",
    "FLEX_WORKER_TYPES",
    "GLUE_5_DEFAULT_TIMEOUT_MINUTES",
    "GLUE_VERSIONS",
    "KMS_MODES",
    "LAKE_ON_DESTROY",
    "LOG_RETENTION_DAYS",
    "MAX_TIMEOUT_MINUTES",
    "PRICE_PER_DPU_HOUR",
    "PROJECT",
    "REGISTRATION_METHODS",
    "REPLACED_KEYS",
    "RULES",
    "SCHEMA",
    "SILVER_CATALOG",
    "WORKER_TYPES",
    "ConfigKey",
    "Settings",
    "SettingsError",
    "glue_execution_classes",
    "load_settings",
    "physical_names",
    "settings_from_config",
]
