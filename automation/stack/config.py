"""The stack's configuration before Pulumi sees it: `--config KEY=VALUE` pairs, the keys as
`pulumi config set` stores them, and the one reader of `Pulumi.<stack>.yaml`.

Values are validated with the program's own settings (`infra.settings`), so a bad value
is refused with the message the program would give, before the CLI saves it. Used by the
Automation API layer and by synth; no Pulumi SDK, no Rich here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from etl.errors import PipelineError
from infra.settings import PROJECT, SettingsError, settings_from_config

PROJECT_DIR = Path(__file__).resolve().parents[2]


class DeployError(PipelineError):
    """A deploy, preview, destroy or outputs request failed; the message is one line for the user."""


def stack_file(stack: str, root: Path = PROJECT_DIR) -> Path:
    """`Pulumi.<stack>.yaml` of a stack name; `org/project/dev` or `org/dev` -> `Pulumi.dev.yaml`, as the SDK."""
    return root / f"Pulumi.{stack.split('/')[-1]}.yaml"


def stack_file_config(stack: str, root: Path = PROJECT_DIR) -> dict[str, Any]:
    """The `config:` mapping of the stack's file, as written ({} when the file does not exist yet).

    Raises:
        DeployError: the file is not valid YAML.
    """
    return dict(read_yaml(stack_file(stack, root)).get("config") or {})


def read_yaml(path: Path) -> dict[str, Any]:
    """A project or stack file's mapping ({} when the file does not exist).

    Raises:
        DeployError: the file is not valid YAML.
    """
    import yaml

    if not path.exists():
        return {}
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise DeployError(f"{path.name} is not valid YAML: {str(error).splitlines()[0]}") from None
    return document if isinstance(document, dict) else {}


def project_config(config: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
    """The project's own keys without their namespace, and `aws:region`, from a stack's config."""
    project = {key.split(":", 1)[1]: value for key, value in config.items() if key.startswith(f"{PROJECT}:")}
    return project, config.get("aws:region")


def parse_config_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """`KEY=VALUE` strings (the CLI's `--config`) to a dict, in order; DeployError naming a bad one."""
    config: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise DeployError(f"--config {pair!r} is not KEY=VALUE (e.g. --config workers=4 or aws:region=eu-west-1)")
        config[key] = value
    return config


def namespaced(key: str) -> str:
    """The key as `pulumi config set` stores it: `workers` -> `silver-to-gold:workers`; `aws:region` kept."""
    parts = key.split(":")
    if len(parts) == 1:
        return f"{PROJECT}:{key}"
    if len(parts) == 2 and all(parts):
        return key
    raise DeployError(f"config key {key!r} is not NAME or NAMESPACE:NAME (e.g. workers or aws:region)")


def check_config(stack: str, config: Mapping[str, str] | None) -> dict[str, str]:
    """Namespace the keys and validate the stack's config with them, before Pulumi stores any.

    `pulumi config set` writes into `Pulumi.<stack>.yaml`: a bad value would be saved and
    then fail every update. The merged config goes through the program's own settings
    validation, so the message is the one the program would give (key, value, allowed).
    """
    keys = {namespaced(key): str(value) for key, value in (config or {}).items()}
    # Encrypted values (`secure:` mappings) cannot be checked here; the program checks them.
    in_file = {key: value for key, value in stack_file_config(stack).items() if not isinstance(value, Mapping)}
    project, region = project_config(in_file)
    for key, value in keys.items():
        if key.startswith(f"{PROJECT}:"):
            project[key.split(":", 1)[1]] = value
        elif key == "aws:region":
            region = value
    try:
        settings_from_config(stack, project, region)
    except SettingsError as error:
        raise DeployError(str(error)) from None
    return keys
