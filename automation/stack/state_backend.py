"""What a `--stack` verb needs before it calls Pulumi: a backend it can log in to without a
prompt, and, for a stack whose secrets use a passphrase, the passphrase.

The Automation API always runs the Pulumi CLI with `--non-interactive`, so the CLI cannot
ask for a token or a passphrase; without them it fails mid-command with its own message.
`check_state_backend` says in one line what is missing before the first `pulumi` command runs.
The rules are the CLI's own (pulumi/pulumi, read at the files named):

- The backend's URL (`GetCurrentCloudURL`, `pkg/workspace/creds.go`): `PULUMI_BACKEND_URL`,
  else the project's `backend.url` in `Pulumi.yaml`, else the `current` URL `pulumi login`
  stored in `credentials.json`. That file is in `PULUMI_CREDENTIALS_PATH`, else `PULUMI_HOME`,
  else `~/.pulumi` (`getCredsFilePath` and `GetPulumiHomeDir`, `sdk/go/common/workspace/creds.go`
  and `paths.go`). No URL at all means Pulumi Cloud, `https://api.pulumi.com`.
- A DIY backend is a URL whose scheme is a blob store's: `file`, `s3`, `gs`, `azblob`
  (`IsDIYBackendURL`, `pkg/backend/diy/backend.go`); `http(s)` is Pulumi Cloud (or a
  self-hosted Pulumi Cloud), logged in with the token `pulumi login` stored for that URL,
  else `PULUMI_ACCESS_TOKEN`; non-interactively there is no third way ("PULUMI_ACCESS_TOKEN
  must be set for login during non-interactive CLI sessions", `Login` in
  `pkg/backend/httpstate/backend.go`).
- A DIY backend names a stack `<stack>`, `organization/<stack>` or
  `organization/<project>/<stack>`, the organisation being the literal word `organization`
  ("organization name must be 'organization'", `projectReferenceStore.ParseReference`,
  `pkg/backend/diy/store.go`); Pulumi Cloud takes any organisation.
- A stack's secrets provider (`SecretsManagerLoader.GetSecretsManager`,
  `pkg/cmd/pulumi/stack/secrets.go`): the `secretsprovider` of `Pulumi.<stack>.yaml` when it
  names a key service (`awskms://...`, `gcpkms://...`, `azurekeyvault://...`,
  `hashivault://...`); else the passphrase when the file has an `encryptionsalt`; else the
  backend's default: Pulumi Cloud's own service, the passphrase on a DIY backend.
- The passphrase (`readPassphrase`, `pkg/secrets/passphrase/manager.go`):
  `PULUMI_CONFIG_PASSPHRASE` when set (even empty), else the file
  `PULUMI_CONFIG_PASSPHRASE_FILE` names (it must be readable); otherwise, non-interactive,
  "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE
  environment variables".

Pure apart from reading `Pulumi.yaml`, the stack file, `credentials.json` and a passphrase
file; no Pulumi SDK, no Rich.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlparse

from automation.stack.config import PROJECT_DIR, DeployError, read_yaml, stack_file

PULUMI_CLOUD = "https://api.pulumi.com"
DIY_SCHEMES = ("file", "s3", "gs", "azblob")
# The only organisation a DIY backend knows (pkg/backend/diy/store.go, ParseReference).
DIY_ORGANIZATION = "organization"
DIY_STACK_NAMES = "a file:// or s3:// backend names stacks `organization/<stack>` or `<stack>`"
CHOICES = (
    "log in to Pulumi Cloud (`pulumi login`, or PULUMI_ACCESS_TOKEN in CI), or use a state backend "
    "you own with a passphrase (`pulumi login --local` or `pulumi login s3://BUCKET`, then "
    "PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE); see docs/operations.md"
)


@dataclass(frozen=True)
class StateBackend:
    """Where the stack's state lives, and which setting said so (for messages)."""

    url: str
    source: str  # "PULUMI_BACKEND_URL", "Pulumi.yaml backend.url", "pulumi login", or "" (none)

    @property
    def is_diy(self) -> bool:
        return urlparse(self.url).scheme in DIY_SCHEMES

    @property
    def is_cloud(self) -> bool:
        return urlparse(self.url).scheme in ("http", "https")


def credentials_file(env: Mapping[str, str]) -> Path:
    """`credentials.json` where `pulumi login` keeps it (PULUMI_CREDENTIALS_PATH, PULUMI_HOME, ~/.pulumi)."""
    folder = env.get("PULUMI_CREDENTIALS_PATH") or env.get("PULUMI_HOME") or str(Path.home() / ".pulumi")
    return Path(folder) / "credentials.json"


def stored_credentials(env: Mapping[str, str]) -> dict[str, Any]:
    """What `pulumi login` stored ({} when nothing was).

    Raises:
        DeployError: the file exists but is not JSON (the CLI asks to log in again).
    """
    path = credentials_file(env)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise DeployError(f"cannot read Pulumi's login file {path}: {error.strerror or error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise DeployError(f"Pulumi's login file {path} is not JSON: run `pulumi login` again") from None
    return document if isinstance(document, dict) else {}


def current_state_backend(
    env: Mapping[str, str], project: Mapping[str, Any], credentials: Mapping[str, Any]
) -> StateBackend:
    """The backend the CLI will use, as `GetCurrentCloudURL` picks it."""
    if env.get("PULUMI_BACKEND_URL"):
        return StateBackend(env["PULUMI_BACKEND_URL"], "PULUMI_BACKEND_URL")
    url = (project.get("backend") or {}).get("url") if isinstance(project.get("backend"), Mapping) else None
    if url:
        return StateBackend(str(url), "Pulumi.yaml backend.url")
    if credentials.get("current"):
        return StateBackend(str(credentials["current"]), "pulumi login")
    return StateBackend(PULUMI_CLOUD, "")


def has_cloud_token(url: str, env: Mapping[str, str], credentials: Mapping[str, Any]) -> bool:
    """A token for `url`: PULUMI_ACCESS_TOKEN, or the one `pulumi login` stored for it."""
    if env.get("PULUMI_ACCESS_TOKEN"):
        return True
    account = (credentials.get("accounts") or {}).get(url) or {}
    return bool(account.get("accessToken") or (credentials.get("accessTokens") or {}).get(url))


def secrets_provider(stack_config: Mapping[str, Any], backend: StateBackend) -> str:
    """`passphrase`, `service` (Pulumi Cloud's) or the key service URL the stack's secrets use."""
    provider = str(stack_config.get("secretsprovider") or "")
    if provider and provider not in ("passphrase", "default"):
        return provider
    if provider == "passphrase" or stack_config.get("encryptionsalt"):
        return "passphrase"
    return "passphrase" if backend.is_diy else "service"


def passphrase_problem(env: Mapping[str, str]) -> str | None:
    """What stops the passphrase being read non-interactively, or None."""
    if "PULUMI_CONFIG_PASSPHRASE" in env:
        return None
    phrase_file = env.get("PULUMI_CONFIG_PASSPHRASE_FILE", "")
    if phrase_file:
        path = Path(phrase_file).resolve()
        try:
            path.read_text()
        except OSError as error:
            return f"PULUMI_CONFIG_PASSPHRASE_FILE names {path}, which cannot be read ({error.strerror or error})"
        return None
    return "neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set"


def diy_stack_name_problem(stack: str, backend: StateBackend) -> str | None:
    """Why a DIY backend refuses the stack reference `stack`, or None (Pulumi Cloud: any organisation)."""
    parts = stack.split("/")
    if not backend.is_diy or len(parts) == 1 or (len(parts) in (2, 3) and parts[0] == DIY_ORGANIZATION):
        return None
    return (
        f"stack {stack!r} cannot live on {backend.url}"
        f"{f' (from {backend.source})' if backend.source else ''}: {DIY_STACK_NAMES}, so use "
        f"{DIY_ORGANIZATION}/{parts[-1]} or {parts[-1]} (the organisation is the literal word)"
    )


def state_backend_problem(
    stack: str,
    env: Mapping[str, str],
    project: Mapping[str, Any],
    stack_config: Mapping[str, Any],
    credentials: Mapping[str, Any],
) -> str | None:
    """The one line saying what the Pulumi CLI would miss for `stack`, or None (pure)."""
    backend = current_state_backend(env, project, credentials)
    name_problem = diy_stack_name_problem(stack, backend)
    if name_problem is not None:
        return name_problem
    if backend.is_cloud and not has_cloud_token(backend.url, env, credentials):
        if not backend.source:
            return (
                f"no Pulumi backend logged in for stack {stack!r} (no PULUMI_BACKEND_URL, no backend.url in "
                f"Pulumi.yaml, no `pulumi login` in {credentials_file(env)}): {CHOICES}"
            )
        return (
            f"Pulumi Cloud at {backend.url} (from {backend.source}) needs a token for stack {stack!r}: "
            f"run `pulumi login {backend.url}`, or set PULUMI_ACCESS_TOKEN (Pulumi runs non-interactively here)"
        )
    if secrets_provider(stack_config, backend) != "passphrase":
        return None
    problem = passphrase_problem(env)
    if problem is None:
        return None
    return (
        f"stack {stack!r} keeps its secrets with a passphrase (backend {backend.url}"
        f"{f', from {backend.source}' if backend.source else ''}) and "
        f"{problem}: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE (Pulumi runs "
        "non-interactively and cannot ask), or create the stack with `pulumi stack init "
        f"{stack} --secrets-provider awskms://alias/NAME`"
    )


def check_state_backend(stack: str, env: Mapping[str, str] | None = None, root: Path = PROJECT_DIR) -> None:
    """Fail in one line when Pulumi would miss a login or a passphrase for `stack`.

    Raises:
        DeployError: what is missing and how to provide it.
    """
    env = os.environ if env is None else env
    problem = state_backend_problem(
        stack,
        env,
        read_yaml(root / "Pulumi.yaml"),
        read_yaml(stack_file(stack, root)),
        stored_credentials(env),
    )
    if problem is not None:
        raise DeployError(problem)
