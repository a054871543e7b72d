#!/usr/bin/env python3
"""A stand-in `pulumi` executable for testing the Automation API layer without the Pulumi CLI.

The test copies this file as `pulumi` into a temporary folder first on PATH. It answers
the commands `pulumi.automation` 3.272 sends (read from the SDK's `_cmd.py`,
`_local_workspace.py`, `_stack.py`), from a state file the test writes:

    FAKE_PULUMI_STATE  JSON: {"version": "v3.272.0", "current": null,
                        "stacks": {"dev": {"deployed": true, "outputs": {...}, "config": {}}},
                        "resources": [{"type": ..., "name": ..., "parent": ...}],
                        "template_outputs": {...}, "scenario": {...}}
    FAKE_PULUMI_LOG    every invocation appended as one JSON line {"argv", "cwd", "env"}

Engine events go where `--event-log` says, as the real CLI sends them: to a gRPC
`pulumirpc.Events/StreamEvents` server for `tcp://host:port` (CLI > 3.205), else appended
to a file as JSON lines; shapes as in `pulumi/automation/events.py`. Scenario keys:
`fail_at` (a resource name, or pulumi:pulumi:Stack for the program itself) and
`fail_message` make `up` fail there; `"logged_in": false` (top level) fails every command
but `version` as a CLI with no backend login does; `changed` (resource names) are updates; `locked`
refuses every operation as a locked stack does; `step_delay` (seconds) slows every step.
A command not listed exits 2 with "unsupported command", so a test sees an SDK command it
did not expect.

As strict as the real CLI where the real CLI refuses (ported from pulumi/pulumi at commit
1b5949891b3cefcb9974752b24a5ecef0acc86c8; each rule names the file and function it ports):

- Every command but `version` and `whoami` loads the project: `Pulumi.yaml` found upwards
  from the working directory, checked against the project JSON schema (`project.json`
  beside this file, copied from `sdk/go/common/workspace/project.json`; a test copying the
  stand-in copies it too) and `Project.Validate`.
- A command naming a stack reads `Pulumi.<stack>.yaml` (the bare name of `org/project/stack`);
  `preview` and `up` check the stack's config, merged with what `config set-all` stored (kept
  in the state file, never written to the project's files), against the project's declared
  types as `pkg/workspace/config.go` does.
- The backend is `PULUMI_BACKEND_URL`, else the project's `backend.url`, else the state's
  `"backend"` (what `pulumi login` stored; default Pulumi Cloud). On a DIY backend (`file://`,
  `s3://`, `gs://`, `azblob://`) a stack's secrets provider is the passphrase unless
  `stack init --secrets-provider` chose another (`"secrets_provider"` per stack in the state);
  then `stack init`, `preview`, `up`, `destroy` and `--show-secrets` reads need
  `PULUMI_CONFIG_PASSPHRASE` or `PULUMI_CONFIG_PASSPHRASE_FILE`: the Automation API always
  passes `--non-interactive`, so the CLI cannot prompt.
- On a DIY backend a stack reference is `<stack>`, `organization/<stack>` or
  `organization/<project>/<stack>`; any other organisation is refused ("organization name
  must be 'organization'", `projectReferenceStore.ParseReference`, `pkg/backend/diy/store.go`).

Imports grpcio (tcp event logs only), PyYAML and jsonschema; never pulumi.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import sys
import time
from pathlib import Path

PROJECT = "silver-to-gold"
AWS_PROVIDER = "pulumi:providers:aws::default_7_51_1"
NOT_FOUND = 255


def main(argv: list[str]) -> int:
    _record(argv)
    state = _load()
    args = [a for a in argv if a != "--non-interactive"]
    if args[:1] == ["version"]:
        print(state.get("version", "v3.272.0"))
        return 0
    if args[:1] == ["whoami"]:
        print("fake-user")
        return 0
    if state.get("logged_in") is False:
        print("error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions", file=sys.stderr)
        return NOT_FOUND
    try:
        check_as_the_cli_does(state, args)
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return NOT_FOUND
    stack = _flag(args, "--stack")
    if args[:2] == ["stack", "select"]:
        name = stack or args[2]
        if name not in state["stacks"]:
            return _no_stack(name)
        state["current"] = name
        _save(state)
        return 0
    if args[:2] == ["stack", "init"]:
        name = args[2]
        if name in state["stacks"]:
            print(f"error: stack '{name}' already exists", file=sys.stderr)
            return NOT_FOUND
        state["stacks"][name] = {"deployed": False, "outputs": {}, "config": {}, "history": []}
        provider = _flag(args, "--secrets-provider")
        if provider is not None:
            state["stacks"][name]["secrets_provider"] = provider
        state["current"] = name
        _save(state)
        return 0
    if args[:2] == ["stack", "ls"] and "--json" in args:
        print(json.dumps([_summary(state, name) for name in sorted(state["stacks"])], indent=4))
        return 0
    if stack is not None and stack not in state["stacks"]:
        return _no_stack(stack)
    if args[:2] == ["stack", "output"] and "--json" in args:
        outputs = state["stacks"][stack]["outputs"]
        secrets = set(state["stacks"][stack].get("secret_outputs", []))
        if "--show-secrets" not in args:
            outputs = {key: "[secret]" if key in secrets else value for key, value in outputs.items()}
        print(json.dumps(outputs, indent=2, sort_keys=True, ensure_ascii=False))
        return 0
    if args[:2] == ["stack", "history"] and "--json" in args:
        history = list(reversed(state["stacks"][stack].get("history", [])))
        size = _flag(args, "--page-size")
        print(json.dumps(history[: int(size)] if size else history, indent=4))
        return 0
    if args[:2] == ["config", "set-all"]:
        config = state["stacks"][stack]["config"]
        for i, arg in enumerate(args):
            if arg in ("--plaintext", "--secret"):
                key, _, value = args[i + 1].partition("=")
                # A secret is saved encrypted (a `secure:` value in Pulumi.<stack>.yaml); here its
                # plaintext is kept, marked secure, so the type and secret checks see both.
                config[key if ":" in key else f"{PROJECT}:{key}"] = {"secure": value} if arg == "--secret" else value
        _save(state)
        return 0
    if args[:1] == ["preview"]:
        return _preview(state, stack, args)
    if args[:1] == ["up"] and "--yes" in args and "--skip-preview" in args:
        return _update(state, stack, args)
    if args[:1] == ["destroy"] and "--yes" in args and "--skip-preview" in args:
        return _destroy(state, stack, args)
    print(f"error: fake pulumi: unsupported command: {' '.join(argv)}", file=sys.stderr)
    return 2


# --- what the real CLI refuses: the project, the stack's config, the passphrase -------------


class CliError(Exception):
    """A refusal, printed as the CLI prints it: `error: <message>`, exit code 255."""


_SOURCE = "pulumi/pulumi@1b5949891b3cefcb9974752b24a5ecef0acc86c8"


class _Yaml12Loader:
    """PyYAML's safe loader resolving scalars as Go's yaml.v3 does into `any` (YAML 1.2 core):
    only true/false are booleans (not yes/no/on/off), and timestamps stay strings."""

    _loader = None

    @classmethod
    def load(cls, text: str):
        import yaml

        if cls._loader is None:

            class Loader(yaml.SafeLoader):
                pass

            Loader.yaml_implicit_resolvers = {
                first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":bool", ":timestamp"))]
                for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
            }
            Loader.add_implicit_resolver(
                "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
            )
            cls._loader = Loader
        return yaml.load(text, Loader=cls._loader)  # noqa: S506 a SafeLoader subclass


def _find_project(cwd: Path) -> Path:
    """`DetectProjectPathFrom` (sdk/go/common/workspace/paths.go): the closest Pulumi.yaml upwards."""
    for folder in (cwd, *cwd.parents):
        for name in ("Pulumi.yaml", "Pulumi.yml"):
            if (folder / name).is_file():
                return folder / name
    raise CliError(
        f"no Pulumi.yaml project file found (searching upwards from {cwd}). If you have not created a project "
        "yet, use `pulumi new` to do so: no project file found"
    )


def load_project(cwd: Path) -> dict:
    """Load and validate the project as `LoadProjectBytes` (sdk/go/common/workspace/loaders.go) does.

    `ValidateProject` (the name, then the JSON schema), then `RewriteConfigPathIntoStackConfigDir` and
    `RewriteShorthandConfigValues`, then `Project.Validate` (all in sdk/go/common/workspace/project.go).
    Returns the project with `config` in its long form and `_path` set to the file.
    """
    import yaml

    path = _find_project(cwd)
    text = path.read_text(encoding="utf-8-sig")
    try:
        raw = _Yaml12Loader.load(text)
    except yaml.YAMLError as error:
        raise CliError(f"could not unmarshal '{path}': {str(error).splitlines()[0]}") from None
    digest = _document_digest(text)
    if not _validated_before(digest):
        problem = _validate_project_document(raw)
        if problem:
            raise CliError(f"could not validate '{path}': {problem}")
        _remember_valid(digest)
    project = dict(raw)
    config = project.get("config")
    if isinstance(config, str):  # RewriteConfigPathIntoStackConfigDir
        if project.get("stackConfigDir") is not None:
            raise CliError(
                "Should not use both config and stackConfigDir to define the stack directory. "
                "Use only stackConfigDir instead."
            )
        project["stackConfigDir"], project["config"] = config, None
    project["config"] = _long_form_config(project["name"], project.get("config") or {})
    problem = project_problem(project)
    if problem:
        raise CliError(f"could not unmarshal '{path}': {problem}")
    project["_path"] = path
    return project


# Project files that passed `_validate_project_document`, one digest a line: importing jsonschema and
# checking cost about 0.15 CPU-s of every command, and the tests send hundreds. A file with the same
# bytes under the same schema passes again; a failing one is never remembered, so it is checked (and
# refused) every time. FAKE_PULUMI_MEMO names the file; else it sits beside the state file.
def _memo_file() -> Path | None:
    named = os.environ.get("FAKE_PULUMI_MEMO")
    if named:
        return Path(named)
    state = os.environ.get("FAKE_PULUMI_STATE")
    return Path(state).with_name("fake-pulumi-valid-projects") if state else None


def _document_digest(text: str) -> str:
    import hashlib

    schema = Path(__file__).with_name("project.json").read_bytes()
    return hashlib.sha256(schema + b"\0" + text.encode("utf-8")).hexdigest()


def _validated_before(digest: str) -> bool:
    memo = _memo_file()
    return memo is not None and memo.is_file() and digest in memo.read_text(encoding="utf-8").split()


def _remember_valid(digest: str) -> None:
    memo = _memo_file()
    if memo is not None:
        with open(memo, "a", encoding="utf-8") as f:  # one short append: safe beside another process's
            f.write(digest + "\n")


def _validate_project_document(raw) -> str:
    """`ValidateProject`: a non-empty string name (suggesting a near miss), then the JSON schema."""
    if not isinstance(raw, dict):
        return f"expected project to be an object, was '{type(raw).__name__}'"
    if "name" not in raw:
        closest = _closest_key("name", raw)
        if closest:
            return f"project is missing a 'name' attribute; found '{closest}' instead"
        return "project is missing a 'name' attribute"
    if not isinstance(raw["name"], str) or not raw["name"]:
        return "project is missing a non-empty string 'name' attribute"
    import jsonschema

    schema = json.loads((Path(__file__).with_name("project.json")).read_text())
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(raw), key=lambda e: list(e.absolute_path))
    # The Go validator names the failing instance by JSON pointer, as here; its wording differs.
    return "; ".join(f"#/{'/'.join(str(p) for p in error.absolute_path)}: {error.message}" for error in errors)


def _closest_key(needle: str, haystack: dict, max_distance: int = 2) -> str:
    """`findClosestKey`: the key within Levenshtein distance 2 (case-insensitive), first alphabetically."""
    best, best_distance = "", max_distance + 1
    for key in sorted(str(k) for k in haystack):
        distance = _levenshtein(needle.lower(), key.lower())
        if distance == 0:
            return key
        if distance < best_distance:
            best, best_distance = key, distance
    return best


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _namespaced_by_project(project_name: str, key: str) -> bool:
    """`configKeyIsNamespacedByProject`."""
    return ":" not in key or key.startswith(f"{project_name}:")


def _long_form_config(project_name: str, config: dict) -> dict:
    """`RewriteShorthandConfigValues`: `key: 5` is a project key's default, `aws:region: x` a value."""
    long_form = {}
    for key, value in config.items():
        if value is None or isinstance(value, (str, int, float, bool, list)):
            long_form[key] = {"default": value} if _namespaced_by_project(project_name, key) else {"value": value}
        else:
            long_form[key] = dict(value)
    return long_form


def project_problem(project: dict) -> str:
    """`Project.Validate` (sdk/go/common/workspace/project.go): the first problem, or "".

    Go ranges over a map, so with several problems the real CLI reports any one of them;
    here they are checked in the file's order.
    """
    if not project.get("name"):
        return "project is missing a 'name' attribute"
    name = project["name"]
    for key, declared in (project.get("config") or {}).items():
        default, value = declared.get("default"), declared.get("value")
        if default is not None and value is not None:
            return f"project config '{key}' cannot have both a 'default' and 'value' attribute"
        type_name = declared.get("type")
        if _namespaced_by_project(name, key):
            if type_name == "array" and declared.get("items") is None:
                return (
                    f"The configuration key '{key}' declares an array but does not specify the underlying type "
                    "via the 'items' attribute"
                )
            if type_name is not None and default is not None:
                if not valid_config_value(type_name, declared.get("items"), default):
                    return (
                        f"The default value specified for configuration key '{key}' is not of the expected type "
                        f"'{_full_type_name(type_name, declared.get('items'))}'"
                    )
        else:
            if type_name is not None:
                return f"Configuration key '{key}' is not namespaced by the project and should not define a type"
            if default is not None:
                return (
                    f"Configuration key '{key}' is not namespaced by the project and should not define a default "
                    "value. Did you mean to use the 'value' attribute instead of 'default'?"
                )
            if value is None:
                return f"Configuration key '{key}' is namespaced and must provide an attribute 'value'"
    return ""


def _full_type_name(type_name: str, items: dict | None) -> str:
    """`InferFullTypeName`: `array<array<string>>` for nested items."""
    if items is not None:
        return f"array<{_full_type_name(items.get('type', ''), items.get('items'))}>"
    return type_name


_GO_INT = re.compile(r"[+-]?[0-9]+")


def valid_config_value(type_name: str, items: dict | None, value) -> bool:
    """`ValidateConfigValue` (sdk/go/common/workspace/project.go).

    Integers: a whole number, or a string `strconv.Atoi` parses; booleans: true/false or
    the strings "true"/"false"; strings: strings only; objects: mappings; arrays: lists
    whose items all match `items`.
    """
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return math.isfinite(value) and value == math.trunc(value)
        if isinstance(value, str):
            return bool(_GO_INT.fullmatch(value)) and -(2**63) <= int(value) < 2**63
        return False
    if type_name == "boolean":
        return value in ("true", "false") if isinstance(value, str) else isinstance(value, bool)
    if type_name == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or items is None:
        return False
    return all(valid_config_value(items.get("type", ""), items.get("items"), item) for item in value)


def _bare_stack_name(stack: str) -> str:
    """`org/project/dev` -> `dev`: the stack reference's Name(), which names Pulumi.<name>.yaml."""
    return stack.split("/")[-1]


def stack_file(project: dict, stack: str) -> Path:
    """`ProjectStackPath` (sdk/go/common/workspace/paths.go)."""
    folder = project["_path"].parent / (project.get("stackConfigDir") or "")
    return folder / f"Pulumi.{_bare_stack_name(stack)}{project['_path'].suffix}"


def load_stack_config(project: dict, stack: str) -> dict:
    """The stack file's config, keys namespaced as `stackConfigNamespacedWithProject` does
    (sdk/go/common/workspace/loaders.go); `{}` when the file does not exist (`LoadProjectStack`)."""
    import yaml

    path = stack_file(project, stack)
    if not path.exists():
        return {}
    try:
        document = _Yaml12Loader.load(path.read_text(encoding="utf-8-sig")) or {}
    except yaml.YAMLError as error:
        raise CliError(f"could not unmarshal '{path}': {str(error).splitlines()[0]}") from None
    config = document.get("config") or {}
    return {(key if ":" in key else f"{project['name']}:{key}"): value for key, value in config.items()}


class _StackValue:
    """A `config.Value`: its text, whether it is secure (encrypted), whether it is an object (JSON),
    and whether its text is ciphertext from the stack file (which only the real CLI can decrypt)."""

    def __init__(self, text: str, secure: bool = False, is_object: bool = False, ciphertext: bool = False):
        self.text, self.secure, self.object, self.ciphertext = text, secure, is_object, ciphertext

    @classmethod
    def of(cls, raw, from_file: bool) -> _StackValue:
        """A value as written in a stack file (`secure:` mappings, objects, scalars) or stored by set-all."""
        if isinstance(raw, dict) and set(raw) == {"secure"}:
            return cls(str(raw["secure"]), secure=True, ciphertext=from_file)
        if isinstance(raw, (dict, list)):
            return cls(json.dumps(raw), is_object=True)
        return cls(_go_text(raw))

    @classmethod
    def project_default(cls, given) -> _StackValue:
        """`createConfigValue`: strings, integers and booleans become plain values, the rest JSON objects."""
        if isinstance(given, (str, int, bool)):
            return cls(_go_text(given))
        return cls(json.dumps(given), is_object=True)


def _go_text(value) -> str:
    """A YAML scalar as the config value's string (Go's %v)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def validate_stack_config(project: dict, stack: str, set_by_cli: dict) -> None:
    """`ValidateStackConfigAndApplyProjectConfig` (pkg/workspace/config.go, `mergeConfig` with
    validation, then `validateStackConfigValues` / `validateStackConfigValue`), as `preview`
    and `up` run it (pkg/cmd/pulumi/operations/up.go, preview.go) before the program.

    The stack's config is `Pulumi.<stack>.yaml` overlaid with what `config set-all` stored.
    Secure values written in the file cannot be decrypted here, so only their being secure
    is checked; secure values `set-all` stored carry their plaintext and are type-checked.
    """
    name = project["name"]
    bare = _bare_stack_name(stack)
    values = {key: _StackValue.of(raw, from_file=True) for key, raw in load_stack_config(project, stack).items()}
    values.update({key: _StackValue.of(raw, from_file=False) for key, raw in set_by_cli.items()})
    declared = project.get("config") or {}
    missing = []
    for key in sorted(declared):
        full = key if ":" in key else f"{name}:{key}"
        if full in values:
            continue
        entry = declared[key]
        if entry.get("value") is None and entry.get("default") is None:
            if full.split(":", 1)[0] == name:
                missing.append(key)
            continue
        given = entry["default"] if entry.get("default") is not None else entry["value"]
        values[full] = _StackValue.project_default(given)
    if missing:
        listed = _format_missing(missing)
        plural = "values" if len(missing) > 1 else "value"
        raise CliError(f"validating stack config: Stack '{bare}' is missing configuration {plural} {listed}")
    for key in sorted(declared):
        entry = declared[key]
        if entry.get("type") is None:
            continue
        full = key if ":" in key else f"{name}:{key}"
        value = values.get(full, _StackValue(""))
        if entry.get("secret") and not value.secure:
            raise CliError(
                f"validating stack config: Stack '{bare}' with configuration key '{key}' must be encrypted as "
                "it's secret"
            )
        if value.ciphertext:
            continue  # the real CLI decrypts it first; the stand-in cannot
        content = json.loads(value.text) if value.object else value.text
        if not valid_config_value(entry["type"], entry.get("items"), content):
            raise CliError(
                f"validating stack config: Stack '{bare}' with configuration key '{key}' must be of type "
                f"'{_full_type_name(entry['type'], entry.get('items'))}'"
            )


def _format_missing(keys: list[str]) -> str:
    """`formatMissingKeys`: 'a', or 'a', 'b' and 'c'."""
    if len(keys) == 1:
        return f"'{keys[0]}'"
    keys = sorted(keys)
    return "".join(f"'{k}', " for k in keys[:-2]) + f"'{keys[-2]}' and '{keys[-1]}'"


DIY_SCHEMES = ("file://", "s3://", "gs://", "azblob://")
CLOUD = "https://api.pulumi.com"


def backend_url(state: dict, project: dict) -> str:
    """`GetCurrentCloudURLWithSource` (pkg/workspace/creds.go): PULUMI_BACKEND_URL, else the
    project's backend.url, else the stored login (the state's "backend")."""
    return (
        os.environ.get("PULUMI_BACKEND_URL")
        or ((project.get("backend") or {}).get("url") or "")
        or state.get("backend", CLOUD)
    )


def _secrets_provider(state: dict, project: dict, stack: str | None, args: list[str]) -> str:
    diy = backend_url(state, project).startswith(DIY_SCHEMES)
    default = "passphrase" if diy else "service"
    if args[:2] == ["stack", "init"]:
        return _flag(args, "--secrets-provider") or default
    record = state["stacks"].get(stack or "", {})
    return record.get("secrets_provider", default)


def refuse_without_passphrase(state: dict, project: dict, args: list[str]) -> None:
    """`readPassphrase` (pkg/secrets/passphrase/manager.go) in a non-interactive session.

    The passphrase secrets manager reads PULUMI_CONFIG_PASSPHRASE (set, even empty), else
    the file PULUMI_CONFIG_PASSPHRASE_FILE names; without either, and with no terminal to
    prompt on (the Automation API passes --non-interactive), it fails. Commands that build
    the stack's secrets manager: `stack init` (a new salt), `preview`, `up`, `destroy`
    (config and state decryption), and `stack output` / `stack history` with
    `--show-secrets` (pkg/cmd/pulumi/stack/stack_output.go, stack_history.go).
    """
    needs = (
        args[:2] == ["stack", "init"]
        or args[:1] in (["preview"], ["up"], ["destroy"])
        or (args[:2] in (["stack", "output"], ["stack", "history"]) and "--show-secrets" in args)
    )
    if not needs:
        return
    stack = args[2] if args[:2] == ["stack", "init"] and len(args) > 2 else _flag(args, "--stack")
    if _secrets_provider(state, project, stack, args) != "passphrase":
        return
    if "PULUMI_CONFIG_PASSPHRASE" in os.environ:
        return
    phrase_file = os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE", "")
    if phrase_file:
        try:
            Path(phrase_file).resolve().read_text()
        except OSError as error:
            raise CliError(
                f"unable to read PULUMI_CONFIG_PASSPHRASE_FILE: open {Path(phrase_file).resolve()}: "
                f"{error.strerror.lower() if error.strerror else error}"
            ) from None
        return
    raise CliError(
        "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
    )


def refuse_foreign_organization(state: dict, project: dict, stack: str) -> None:
    """`projectReferenceStore.ParseReference` (pkg/backend/diy/store.go): a DIY backend's only
    organisation is the literal `organization`."""
    parts = stack.split("/")
    if backend_url(state, project).startswith(DIY_SCHEMES) and len(parts) in (2, 3) and parts[0] != "organization":
        raise CliError("organization name must be 'organization'")


def check_as_the_cli_does(state: dict, args: list[str]) -> None:
    """Load the project, parse the stack reference, read the named stack's file, the secrets
    manager, and (for `preview` and `up`) validate the stack's config, in the order the CLI
    does; CliError at the first refusal."""
    project = load_project(Path.cwd())
    stack = args[2] if args[:2] == ["stack", "init"] and len(args) > 2 else _flag(args, "--stack")
    if stack:
        refuse_foreign_organization(state, project, stack)
        load_stack_config(project, stack)
    refuse_without_passphrase(state, project, args)
    if args[:1] in (["preview"], ["up"]) and stack in state["stacks"]:
        validate_stack_config(project, stack, state["stacks"][stack].get("config", {}))


# --- state ------------------------------------------------------------------------------


def _record(argv: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k.startswith("PULUMI_")}
    with open(os.environ["FAKE_PULUMI_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps({"argv": argv, "cwd": os.getcwd(), "env": env}) + "\n")


def _load() -> dict:
    with open(os.environ["FAKE_PULUMI_STATE"], encoding="utf-8") as f:
        return json.load(f)


def _save(state: dict) -> None:
    with open(os.environ["FAKE_PULUMI_STATE"], "w", encoding="utf-8") as f:
        json.dump(state, f, indent=2)


def _flag(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None


def _no_stack(name: str) -> int:
    print(f"error: no stack named '{name}' found", file=sys.stderr)
    return NOT_FOUND


def _summary(state: dict, name: str) -> dict:
    stack = state["stacks"][name]
    summary = {"name": name, "current": state.get("current") == name, "updateInProgress": False}
    if stack.get("history"):
        summary["lastUpdate"] = stack["history"][-1]["endTime"]
        summary["resourceCount"] = len(_resources(state)) if stack["deployed"] else 0
    return summary


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


def _history(stack: dict, kind: str, result: str, changes: dict[str, int], started: str) -> None:
    stack.setdefault("history", []).append(
        {
            "version": len(stack.get("history", [])) + 1,
            "kind": kind,
            "startTime": started,
            "endTime": _now(),
            "message": "",
            "environment": {"exec.kind": "auto.local"},
            "config": {key: _history_value(value) for key, value in stack["config"].items()},
            "result": result,
            "resourceChanges": changes,
        }
    )


def _history_value(value) -> dict:
    return {"value": "[secret]", "secret": True} if isinstance(value, dict) else {"value": value, "secret": False}


# --- the engine -------------------------------------------------------------------------


def _resources(state: dict) -> list[dict]:
    """Registration order: the stack, the default provider, then the program's resources."""
    return [{"type": "pulumi:pulumi:Stack", "name": None}, {"type": AWS_PROVIDER, "name": None}, *state["resources"]]


def _urn(stack: str, resource: dict) -> str:
    if resource["type"] == "pulumi:pulumi:Stack":
        return f"urn:pulumi:{stack}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{stack}"
    if resource["type"] == AWS_PROVIDER:
        return f"urn:pulumi:{stack}::{PROJECT}::{AWS_PROVIDER}"
    qualified = f"{resource['parent']}${resource['type']}" if resource.get("parent") else resource["type"]
    return f"urn:pulumi:{stack}::{PROJECT}::{qualified}::{resource['name']}"


def _metadata(stack: str, resource: dict, op: str) -> dict:
    urn = _urn(stack, resource)
    type_ = "pulumi:providers:aws" if resource["type"] == AWS_PROVIDER else resource["type"]
    custom = type_ != "pulumi:pulumi:Stack" and not type_.startswith(f"{PROJECT}:")
    state = {"type": type_, "urn": urn, "custom": custom, "inputs": {}, "outputs": {}}
    return {
        "op": op,
        "urn": urn,
        "type": type_,
        "provider": f"urn:pulumi:{stack}::{PROJECT}::{AWS_PROVIDER}::id" if custom and "providers" not in type_ else "",
        "old": state if op in ("same", "update", "delete") else None,
        "new": state if op in ("same", "update", "create") else None,
    }


class _Events:
    """Engine events to the `--event-log` target: a gRPC server (tcp://) or a file."""

    def __init__(self, target: str | None):
        self.sequence = 0
        self.file = None
        self.queue = None
        if target is None:
            return
        if target.startswith("tcp://"):
            import queue
            import threading

            import grpc

            self.queue = queue.Queue()
            channel = grpc.insecure_channel(target[len("tcp://") :])
            stream = channel.stream_unary(
                "/pulumirpc.Events/StreamEvents", request_serializer=_event_request, response_deserializer=bytes
            )
            # A daemon: if this script crashes, the process still exits and the SDK sees the stream end.
            self.call = threading.Thread(target=stream, args=(iter(self.queue.get, None),), daemon=True)
            self.call.start()
        else:
            self.file = open(target, "a", encoding="utf-8")  # noqa: SIM115 closed in close()

    def send(self, **event) -> None:
        self.sequence += 1
        line = json.dumps({"sequence": self.sequence, "timestamp": int(time.time()), **event})
        if self.queue is not None:
            self.queue.put(line)
        elif self.file is not None:
            self.file.write(line + "\n")
            self.file.flush()

    def close(self) -> None:
        self.send(cancelEvent={})
        if self.queue is not None:
            self.queue.put(None)
            self.call.join(10)
        elif self.file is not None:
            self.file.close()


def _is_default_provider(resource: dict) -> bool:
    """As the engine's `isInternalStep` (pulumi/pulumi pkg/engine/update.go): a default provider's
    step is sent to the event log but not added to the summary's ResourceChanges."""
    return resource["type"] == AWS_PROVIDER


def _event_request(event: str) -> bytes:
    """`pulumirpc.EventRequest{string event = 1}` in protobuf wire format."""
    data = event.encode("utf-8")
    length, size = bytearray(), len(data)
    while True:
        byte, size = size & 0x7F, size >> 7
        length.append(byte | (0x80 if size else 0))
        if not size:
            break
    return b"\x0a" + bytes(length) + data


class _Interrupted(Exception):
    pass


def _on_sigint(signum, frame):  # as the real CLI: finish the step in flight, then stop
    raise _Interrupted


def _run(state: dict, stack: str, args: list[str], kind: str) -> int:
    """Emit a preview, update or destroy, step by step; return the exit code."""
    signal.signal(signal.SIGINT, _on_sigint)
    scenario = state.get("scenario", {})
    if scenario.get("locked"):
        print(
            "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
            "or delete the lock file with `pulumi cancel`.",
            file=sys.stderr,
        )
        return 255
    record = state["stacks"][stack]
    started = _now()
    events = _Events(_flag(args, "--event-log"))
    planning = kind == "preview"
    label = {"preview": "Previewing update", "update": "Updating", "destroy": "Destroying"}[kind]
    print(f"{label} ({stack}):")
    events.send(preludeEvent={"config": record["config"]})
    if kind == "destroy":
        steps = [(r, "delete") for r in reversed(_resources(state))] if record["deployed"] else []
    else:
        op = "same" if record["deployed"] else "create"
        steps = [(r, "update" if r.get("name") in scenario.get("changed", []) else op) for r in _resources(state)]
    counts: dict[str, int] = {}
    failed = interrupted = False
    try:
        for resource, op in steps:
            meta = _metadata(stack, resource, op)
            events.send(resourcePreEvent={"metadata": meta, "planning": planning})
            time.sleep(float(scenario.get("step_delay", 0)))
            fail_at = scenario.get("fail_at")
            if kind == "update" and fail_at is not None and fail_at in (resource.get("name"), resource["type"]):
                message = scenario["fail_message"]
                diagnostic = {"urn": meta["urn"], "prefix": "error: ", "message": message + "\n"}
                events.send(diagnosticEvent={**diagnostic, "color": "never", "severity": "error"})
                if resource["type"] == "pulumi:pulumi:Stack":  # the program itself failed: the language host says so
                    print(f"    pulumi:pulumi:Stack {PROJECT}-{stack} **failed**\n    error: {message}")
                else:
                    events.send(resOpFailedEvent={"metadata": meta, "status": 1, "steps": 0})
                    print(f"    {meta['type']} {resource['name']} **{op} failed** error: {message}")
                failed = True
                break
            if not _is_default_provider(resource):  # internal: in the event log, not in the counts
                counts[op] = counts.get(op, 0) + 1
            events.send(resOutputsEvent={"metadata": meta, "planning": planning})
            print(f"    {meta['type']} {resource.get('name') or ''} {op}")
    except _Interrupted:
        interrupted = True
        print("^C received; cancelling the current operation...")
    summary = {"maybeCorrupt": False, "durationSeconds": 1, "resourceChanges": counts, "PolicyPacks": {}}
    events.send(summaryEvent=summary)
    events.close()
    if kind != "preview":
        _history(record, kind, "failed" if failed or interrupted else "succeeded", counts, started)
        if kind == "update" and not interrupted:
            record["deployed"] = True
            record["outputs"] = record.get("outputs") or state["template_outputs"]
        if kind == "destroy" and not interrupted:
            record["deployed"] = False
            record["outputs"] = {}
        _save(state)
    if interrupted:
        print(f"error: {kind} canceled", file=sys.stderr)
        return 255
    if failed:
        print("error: update failed", file=sys.stderr)
        return 255
    print("Resources:\n    " + ", ".join(f"{n} {op}" for op, n in counts.items()))
    return 0


def _preview(state: dict, stack: str, args: list[str]) -> int:
    return _run(state, stack, args, "preview")


def _update(state: dict, stack: str, args: list[str]) -> int:
    return _run(state, stack, args, "update")


def _destroy(state: dict, stack: str, args: list[str]) -> int:
    return _run(state, stack, args, "destroy")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
