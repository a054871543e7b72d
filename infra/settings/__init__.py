"""The stack's configuration as one frozen, validated settings object.

`schema` declares every config key once (the `Settings` fields: type, default, description),
`rules` validates, `load` builds settings from a stack's config. Components never read
configuration themselves: `__main__.py` hands them `Settings`. What AWS accepts (worker types,
DPUs, retention days, ...) is in `infra.aws_reference`; the two figures the operator CLI reads
from here are re-exported for it.
"""

from infra.aws_reference import DPUS_PER_WORKER, GLUE_5_DEFAULT_TIMEOUT_MINUTES
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
    "CONFIG_KEYS",
    "DPUS_PER_WORKER",
    "GLUE_5_DEFAULT_TIMEOUT_MINUTES",
    "KMS_MODES",
    "LAKE_ON_DESTROY",
    "PROJECT",
    "REGISTRATION_METHODS",
    "REPLACED_KEYS",
    "RULES",
    "SCHEMA",
    "SILVER_CATALOG",
    "ConfigKey",
    "Settings",
    "SettingsError",
    "load_settings",
    "physical_names",
    "settings_from_config",
]
