"""The stand-in `pulumi` refuses what the real Pulumi CLI refuses, with the CLI's messages.

Each test writes a project folder (`Pulumi.yaml`, `Pulumi.<stack>.yaml`) and the stand-in's
state file, runs `fake_pulumi/pulumi.py` as a subprocess from that folder as the Automation
API runs the CLI (`--non-interactive` first), and checks the exit code and `error:` line.
The expected messages are the real CLI's, copied from pulumi/pulumi (commit
1b5949891b3cefcb9974752b24a5ecef0acc86c8): `sdk/go/common/workspace/project.go`
(`Project.Validate`, `ValidateProject`), `pkg/workspace/config.go`
(`validateStackConfigValue`, `missingStackConfigurationKeysError`) and
`pkg/secrets/passphrase/manager.go` (`readPassphrase`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# Runs the stand-in pulumi as a subprocess: in `make test`, not in `make check`.
pytestmark = pytest.mark.cli

STAND_IN = Path(__file__).parent / "fake_pulumi" / "pulumi.py"
PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Pulumi.yaml's aws:region block before issue 15: a default on a key outside the project.
OLD_REGION_BLOCK = """
  aws:region:
    description: AWS region for every resource.
    default: us-east-1
"""
REGION_DEFAULT_REFUSED = (
    "Configuration key 'aws:region' is not namespaced by the project and should not define a default value. "
    "Did you mean to use the 'value' attribute instead of 'default'?"
)
NO_PASSPHRASE = (
    "error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment "
    "variables\n"
)


class StandIn:
    """A project folder and the stand-in's state, and a way to run the stand-in there."""

    def __init__(self, root: Path):
        self.root = root
        self.project = root / "project"
        self.project.mkdir()
        self.state_file = root / "state.json"
        self.log_file = root / "commands.jsonl"
        self.write_state(stacks={"dev": {"deployed": False, "outputs": {}, "config": {}, "history": []}})

    def write_state(self, **state) -> None:
        self.state_file.write_text(
            json.dumps({"version": "v3.272.0", "current": None, "resources": [], "template_outputs": {}, **state})
        )

    def state(self) -> dict:
        return json.loads(self.state_file.read_text())

    def files(self, **files: str) -> None:
        """Write project files: `pulumi_yaml=...`, `dev=...` (Pulumi.dev.yaml), ..."""
        for key, text in files.items():
            name = "Pulumi.yaml" if key == "pulumi_yaml" else f"Pulumi.{key}.yaml"
            (self.project / name).write_text(textwrap.dedent(text))

    def copy_repository_files(self) -> None:
        for path in PROJECT_ROOT.glob("Pulumi*.yaml"):
            (self.project / path.name).write_text(path.read_text())

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
        }
        environment.update(FAKE_PULUMI_STATE=str(self.state_file), FAKE_PULUMI_LOG=str(self.log_file), **(env or {}))
        return subprocess.run(
            [sys.executable, str(STAND_IN), "--non-interactive", *args],
            cwd=self.project,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )


@pytest.fixture
def cli(tmp_path) -> StandIn:
    return StandIn(tmp_path)


def project_yaml(config: str = "", extra: str = "") -> str:
    """A Pulumi.yaml named silver-to-gold with the given config block (already indented)."""
    return "name: silver-to-gold\nruntime: python\n" + extra + ("config:\n" + config if config else "")


def refused(result: subprocess.CompletedProcess, message: str) -> None:
    assert (result.returncode, result.stdout, result.stderr) == (255, "", f"error: {message}\n")


# --- Pulumi.yaml: Project.Validate and the project schema --------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ("stack", "select", "--stack", "dev"),
        ("stack", "init", "staging"),
        ("stack", "ls", "--json"),
        ("config", "set-all", "--stack", "dev", "--plaintext", "silver-to-gold:workers=3"),
        ("stack", "output", "--json", "--stack", "dev"),
        ("preview", "--stack", "dev"),
        ("up", "--yes", "--skip-preview", "--stack", "dev"),
    ],
)
def test_the_old_region_default_is_refused_by_every_command_that_loads_the_project(cli, command):
    cli.files(pulumi_yaml=project_yaml(OLD_REGION_BLOCK))

    result = cli.run(*command)

    refused(result, f"could not unmarshal '{cli.project / 'Pulumi.yaml'}': {REGION_DEFAULT_REFUSED}")


def test_version_and_whoami_do_not_load_the_project(cli):
    cli.files(pulumi_yaml=project_yaml(OLD_REGION_BLOCK))
    assert cli.run("version").returncode == 0
    assert cli.run("whoami").returncode == 0


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_repositorys_project_and_stack_files_pass(cli, stack):
    cli.copy_repository_files()
    cli.write_state(stacks={stack: {"deployed": False, "outputs": {}, "config": {}, "history": []}})

    for command in (
        ("stack", "select", "--stack", stack),
        ("preview", "--stack", stack),
        ("up", "--yes", "--skip-preview", "--stack", stack),
    ):
        result = cli.run(*command)
        assert (result.returncode, result.stderr) == (0, ""), command


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            "  aws:region:\n    type: string\n    value: us-east-1\n",
            "Configuration key 'aws:region' is not namespaced by the project and should not define a type",
        ),
        (
            "  aws:region:\n    description: the region\n",
            "Configuration key 'aws:region' is namespaced and must provide an attribute 'value'",
        ),
        (
            "  workers:\n    type: integer\n    default: 2\n    value: 3\n",
            "project config 'workers' cannot have both a 'default' and 'value' attribute",
        ),
        (
            "  workers:\n    type: integer\n    default: two\n",
            "The default value specified for configuration key 'workers' is not of the expected type 'integer'",
        ),
        (
            "  glueVersion:\n    type: string\n    default: 5.0\n",
            "The default value specified for configuration key 'glueVersion' is not of the expected type 'string'",
        ),
        (
            "  verbose:\n    type: boolean\n    default: yes\n",
            "The default value specified for configuration key 'verbose' is not of the expected type 'boolean'",
        ),
        (
            "  subnets:\n    type: array\n    items:\n      type: integer\n    default: [1, x]\n",
            "The default value specified for configuration key 'subnets' is not of the expected type 'array<integer>'",
        ),
        (
            "  subnets:\n    type: array\n    default: []\n",
            "The configuration key 'subnets' declares an array but does not specify the underlying type via the "
            "'items' attribute",
        ),
    ],
)
def test_project_validate_rules(cli, config, message):
    cli.files(pulumi_yaml=project_yaml(config))

    result = cli.run("stack", "select", "--stack", "dev")

    refused(result, f"could not unmarshal '{cli.project / 'Pulumi.yaml'}': {message}")


@pytest.mark.parametrize(
    "config",
    [
        "  aws:region: us-east-1\n",  # shorthand outside the project: a value
        "  aws:region:\n    description: the region\n    value: us-east-1\n",
        "  workers: 2\n",  # shorthand inside the project: a default
        "  silver-to-gold:workers:\n    type: integer\n    default: '2'\n",  # strings parsing as integers
        "  workers:\n    type: integer\n    default: 2.0\n",  # whole floats
        "  verbose:\n    type: boolean\n    default: 'true'\n",
        "  token:\n    type: string\n    secret: true\n    default: ''\n",
    ],
)
def test_project_config_the_cli_accepts(cli, config):
    cli.files(pulumi_yaml=project_yaml(config))
    result = cli.run("stack", "select", "--stack", "dev")
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("runtime: python\n", "project is missing a 'name' attribute"),
        ("nme: silver-to-gold\nruntime: python\n", "project is missing a 'name' attribute; found 'nme' instead"),
        ("name: ''\nruntime: python\n", "project is missing a non-empty string 'name' attribute"),
    ],
)
def test_the_project_name_is_required(cli, text, message):
    cli.files(pulumi_yaml=text)
    refused(cli.run("stack", "ls", "--json"), f"could not validate '{cli.project / 'Pulumi.yaml'}': {message}")


def test_the_project_schema_refuses_an_unknown_attribute_naming_where(cli):
    cli.files(pulumi_yaml=project_yaml("  workers:\n    type: integer\n    defualt: 2\n"))

    result = cli.run("stack", "select", "--stack", "dev")

    assert result.returncode == 255
    assert result.stderr.startswith(f"error: could not validate '{cli.project / 'Pulumi.yaml'}': #/config/workers: ")


def test_a_project_that_failed_the_schema_is_refused_again_and_an_edit_is_checked_afresh(cli):
    """The stand-in remembers project files that passed (a digest of their bytes); one that
    failed is checked every time, and the same file made valid, then invalid again, is judged
    on its bytes each time."""
    invalid = project_yaml("  workers:\n    type: integer\n    defualt: 2\n")
    valid = project_yaml("  workers:\n    type: integer\n    default: 2\n")
    cli.files(pulumi_yaml=invalid)
    for _ in range(2):
        assert cli.run("stack", "ls", "--json").stderr.startswith("error: could not validate ")
    cli.files(pulumi_yaml=valid)
    assert cli.run("stack", "ls", "--json").returncode == 0
    assert cli.run("stack", "ls", "--json").returncode == 0
    cli.files(pulumi_yaml=invalid)
    assert cli.run("stack", "ls", "--json").stderr.startswith("error: could not validate ")


def test_a_folder_without_a_project_is_refused(cli):
    result = cli.run("stack", "select", "--stack", "dev")
    refused(
        result,
        f"no Pulumi.yaml project file found (searching upwards from {cli.project}). If you have not created a "
        "project yet, use `pulumi new` to do so: no project file found",
    )


def test_the_project_is_found_in_a_parent_folder(cli):
    cli.files(pulumi_yaml=project_yaml(OLD_REGION_BLOCK))
    (cli.project / "infra").mkdir()
    result = subprocess.run(
        [sys.executable, str(STAND_IN), "--non-interactive", "stack", "select", "--stack", "dev"],
        cwd=cli.project / "infra",
        env={**os.environ, "FAKE_PULUMI_STATE": str(cli.state_file), "FAKE_PULUMI_LOG": str(cli.log_file)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    refused(result, f"could not unmarshal '{cli.project / 'Pulumi.yaml'}': {REGION_DEFAULT_REFUSED}")


# --- Pulumi.<stack>.yaml against the declared types (preview and up) --------------------

TYPED = (
    "  workers:\n    type: integer\n    default: 2\n"
    "  verbose:\n    type: boolean\n    default: false\n"
    "  schedule:\n    type: string\n    default: ''\n"
)


@pytest.mark.parametrize(
    "stack_file",
    [
        "config:\n  silver-to-gold:workers: '4'\n",
        "config:\n  silver-to-gold:workers: 4\n",
        "config:\n  workers: '-4'\n",  # un-namespaced keys belong to the project
        "config:\n  silver-to-gold:verbose: 'true'\n",
        "config:\n  silver-to-gold:verbose: false\n",
        "config:\n  silver-to-gold:schedule: 12\n",  # a stack value is text: any scalar is a string
        "config:\n  aws:region: eu-west-1\n",
    ],
)
def test_stack_values_the_cli_accepts(cli, stack_file):
    cli.files(pulumi_yaml=project_yaml(TYPED), dev=stack_file)
    result = cli.run("preview", "--stack", "dev")
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize(
    ("stack_file", "key", "type_name"),
    [
        ("config:\n  silver-to-gold:workers: two\n", "workers", "integer"),
        ("config:\n  silver-to-gold:workers: '2.5'\n", "workers", "integer"),
        ("config:\n  silver-to-gold:workers: 2.5\n", "workers", "integer"),
        ("config:\n  silver-to-gold:workers: ' 2'\n", "workers", "integer"),
        ("config:\n  silver-to-gold:verbose: 'yes'\n", "verbose", "boolean"),
        ("config:\n  silver-to-gold:verbose: 1\n", "verbose", "boolean"),
    ],
)
def test_stack_values_of_the_wrong_type_are_refused_before_the_program_runs(cli, stack_file, key, type_name):
    cli.files(pulumi_yaml=project_yaml(TYPED), dev=stack_file)

    for command in (("preview", "--stack", "dev"), ("up", "--yes", "--skip-preview", "--stack", "dev")):
        refused(
            cli.run(*command),
            f"validating stack config: Stack 'dev' with configuration key '{key}' must be of type '{type_name}'",
        )
    assert cli.state()["stacks"]["dev"]["deployed"] is False


def test_a_value_config_set_all_stored_is_checked_too(cli):
    cli.files(pulumi_yaml=project_yaml(TYPED), dev="config:\n  silver-to-gold:workers: '2'\n")
    assert cli.run("config", "set-all", "--stack", "dev", "--plaintext", "silver-to-gold:workers=many").returncode == 0

    refused(
        cli.run("preview", "--stack", "dev"),
        "validating stack config: Stack 'dev' with configuration key 'workers' must be of type 'integer'",
    )


def test_an_org_qualified_stack_reads_the_bare_names_stack_file(cli):
    cli.files(pulumi_yaml=project_yaml(TYPED), dev="config:\n  silver-to-gold:workers: two\n")
    cli.write_state(stacks={"acme/dev": {"deployed": False, "outputs": {}, "config": {}, "history": []}})

    refused(
        cli.run("preview", "--stack", "acme/dev"),
        "validating stack config: Stack 'dev' with configuration key 'workers' must be of type 'integer'",
    )


def test_a_secret_key_must_be_encrypted_in_the_stack(cli):
    declared = "  token:\n    type: string\n    secret: true\n"
    cli.files(pulumi_yaml=project_yaml(declared), dev="config:\n  silver-to-gold:token: plain\n")
    refused(
        cli.run("up", "--yes", "--skip-preview", "--stack", "dev"),
        "validating stack config: Stack 'dev' with configuration key 'token' must be encrypted as it's secret",
    )

    cli.files(dev="config:\n  silver-to-gold:token:\n    secure: v1:c2FsdA==:Y2lwaGVy\n")
    assert cli.run("up", "--yes", "--skip-preview", "--stack", "dev").returncode == 0


def test_a_secret_set_with_config_set_all_secret_is_encrypted(cli):
    cli.files(pulumi_yaml=project_yaml("  token:\n    type: string\n    secret: true\n"))
    assert cli.run("config", "set-all", "--stack", "dev", "--secret", "silver-to-gold:token=s3cr3t").returncode == 0
    assert cli.run("preview", "--stack", "dev").returncode == 0


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ("  token:\n    type: string\n", "Stack 'dev' is missing configuration value 'token'"),
        (
            "  token:\n    type: string\n  alpha:\n    type: integer\n  beta: {}\n",
            "Stack 'dev' is missing configuration values 'alpha', 'beta' and 'token'",
        ),
    ],
)
def test_a_declared_key_without_default_the_stack_does_not_set_is_missing(cli, declared, message):
    cli.files(pulumi_yaml=project_yaml(declared))
    refused(cli.run("preview", "--stack", "dev"), f"validating stack config: {message}")

    assert cli.run("stack", "select", "--stack", "dev").returncode == 0  # only an update validates the config


def test_an_unreadable_stack_file_is_refused(cli):
    cli.files(pulumi_yaml=project_yaml(), dev="config: [unclosed\n")
    result = cli.run("stack", "select", "--stack", "dev")
    assert result.returncode == 255
    assert result.stderr.startswith(f"error: could not unmarshal '{cli.project / 'Pulumi.dev.yaml'}': ")


# --- a DIY backend's passphrase -----------------------------------------------------------

LOCAL = {"PULUMI_BACKEND_URL": "file://~"}


@pytest.mark.parametrize(
    "command",
    [
        ("stack", "init", "staging"),
        ("preview", "--stack", "dev"),
        ("up", "--yes", "--skip-preview", "--stack", "dev"),
        ("destroy", "--yes", "--skip-preview", "--stack", "dev"),
        ("stack", "output", "--json", "--show-secrets", "--stack", "dev"),
        ("stack", "history", "--json", "--show-secrets", "--stack", "dev"),
    ],
)
def test_a_local_backend_refuses_without_a_passphrase(cli, command):
    cli.copy_repository_files()
    result = cli.run(*command, env=LOCAL)
    assert (result.returncode, result.stderr) == (255, NO_PASSPHRASE)


@pytest.mark.parametrize(
    "command",
    [
        ("stack", "select", "--stack", "dev"),
        ("stack", "output", "--json", "--stack", "dev"),
        ("config", "set-all", "--stack", "dev", "--plaintext", "silver-to-gold:workers=3"),
    ],
)
def test_a_local_backend_needs_no_passphrase_where_nothing_is_decrypted(cli, command):
    cli.copy_repository_files()
    assert cli.run(*command, env=LOCAL).returncode == 0


def test_a_passphrase_or_a_passphrase_file_lets_a_local_stack_be_created_and_updated(cli, tmp_path):
    cli.copy_repository_files()
    phrase_file = tmp_path / "passphrase"
    phrase_file.write_text("correct horse\n")

    assert cli.run("stack", "init", "staging", env={**LOCAL, "PULUMI_CONFIG_PASSPHRASE": ""}).returncode == 0
    result = cli.run(
        "up",
        "--yes",
        "--skip-preview",
        "--stack",
        "staging",
        env={**LOCAL, "PULUMI_CONFIG_PASSPHRASE_FILE": str(phrase_file)},
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_an_unreadable_passphrase_file_is_named(cli, tmp_path):
    cli.copy_repository_files()
    missing = tmp_path / "nowhere"
    result = cli.run(
        "up", "--yes", "--skip-preview", "--stack", "dev", env={**LOCAL, "PULUMI_CONFIG_PASSPHRASE_FILE": str(missing)}
    )
    refused(result, f"unable to read PULUMI_CONFIG_PASSPHRASE_FILE: open {missing}: no such file or directory")


def test_the_backend_comes_from_the_project_or_the_login_too(cli):
    cli.files(pulumi_yaml=project_yaml(extra="backend:\n  url: s3://acme-pulumi-state\n"))
    assert cli.run("preview", "--stack", "dev").stderr == NO_PASSPHRASE

    cli.files(pulumi_yaml=project_yaml())
    cli.write_state(backend="file:///var/pulumi", stacks={"dev": {"deployed": False, "outputs": {}, "config": {}}})
    assert cli.run("preview", "--stack", "dev").stderr == NO_PASSPHRASE


def test_a_kms_secrets_provider_or_pulumi_cloud_needs_no_passphrase(cli):
    cli.copy_repository_files()
    key = "awskms://alias/pulumi-secrets?region=us-east-1"
    assert cli.run("stack", "init", "staging", "--secrets-provider", key, env=LOCAL).returncode == 0
    assert cli.state()["stacks"]["staging"]["secrets_provider"] == key
    assert cli.run("up", "--yes", "--skip-preview", "--stack", "staging", env=LOCAL).returncode == 0

    assert cli.run("up", "--yes", "--skip-preview", "--stack", "dev").returncode == 0  # Pulumi Cloud
