"""The state-backend check's edges mutation testing found unguarded (`make mutate`,
docs/testing.md): where `pulumi login` keeps its file when nothing says, a login stored only in
the file's `accounts` form, the `passphrase` and `default` secrets providers on Pulumi Cloud, a
login file that cannot be read or holds no object, and the process environment read when no
environment is given. The rules are the Pulumi CLI's, as automation/stack/state_backend.py cites them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from automation.stack import DeployError, check_state_backend, state_backend_problem
from automation.stack.state_backend import (
    StateBackend,
    credentials_file,
    current_state_backend,
    secrets_provider,
    stored_credentials,
)

CLOUD = "https://api.pulumi.com"


def problem(env=None, project=None, stack_config=None, credentials=None, stack="dev"):
    return state_backend_problem(stack, env or {}, project or {}, stack_config or {}, credentials or {})


def test_without_pulumi_home_the_login_file_is_in_the_users_dot_pulumi(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert credentials_file({}) == tmp_path / ".pulumi" / "credentials.json"
    assert credentials_file({"PULUMI_HOME": "/opt/p"}) == Path("/opt/p/credentials.json")


def test_a_login_stored_in_the_accounts_form_only_is_enough_for_its_own_url():
    """`credentials.json` as `pulumi login` writes it now: the token under accounts.<url>.accessToken."""
    accounts_only = {"current": CLOUD, "accounts": {CLOUD: {"accessToken": "pul-123", "username": "ana"}}}
    assert problem(credentials=accounts_only) is None
    elsewhere = {"current": CLOUD, "accounts": {"https://pulumi.acme.example": {"accessToken": "pul-123"}}}
    assert problem(credentials=elsewhere).startswith(f"Pulumi Cloud at {CLOUD} (from pulumi login) needs a token")
    no_token = {"current": CLOUD, "accounts": {CLOUD: {"username": "ana"}}}
    assert problem(credentials=no_token).startswith(f"Pulumi Cloud at {CLOUD} (from pulumi login) needs a token")


@pytest.mark.parametrize("declared", [{"secretsprovider": "passphrase"}, {"encryptionsalt": "v1:abc"}])
def test_a_passphrase_stack_on_pulumi_cloud_still_needs_the_passphrase(declared):
    """`pulumi stack init --secrets-provider passphrase` on Pulumi Cloud: the stack's secrets are the
    passphrase's, whatever the backend offers."""
    line = problem(env={"PULUMI_ACCESS_TOKEN": "pul-ci"}, stack_config=declared)
    assert line.startswith(f"stack 'dev' keeps its secrets with a passphrase (backend {CLOUD}) and neither ")


def test_the_default_secrets_provider_is_the_backends():
    assert problem(env={"PULUMI_ACCESS_TOKEN": "pul-ci"}, stack_config={"secretsprovider": "default"}) is None
    diy = {"PULUMI_BACKEND_URL": "file:///srv/state"}
    assert problem(env=diy, stack_config={"secretsprovider": "default"}).startswith(
        "stack 'dev' keeps its secrets with a passphrase (backend file:///srv/state, from PULUMI_BACKEND_URL)"
    )
    assert secrets_provider({}, StateBackend(CLOUD, "")) == "service"
    assert secrets_provider({"secretsprovider": "awskms://alias/lake"}, StateBackend(CLOUD, "")) == (
        "awskms://alias/lake"
    )


def test_no_backend_named_anywhere_is_pulumi_cloud_from_no_setting():
    assert current_state_backend({}, {}, {}) == StateBackend(CLOUD, "")


def test_a_backend_in_pulumi_yaml_that_is_not_a_mapping_is_passed_over():
    """`backend: file://...` (a string, where Pulumi.yaml's schema wants `backend: {url: ...}`):
    the next source decides, here the stored login."""
    found = current_state_backend({}, {"backend": "file:///srv/state"}, {"current": "s3://state-bucket"})
    assert found == StateBackend("s3://state-bucket", "pulumi login")


def test_a_login_file_that_cannot_be_read_is_one_line_naming_it_and_why(tmp_path):
    home = tmp_path / "pulumi-home"
    (home / "credentials.json").mkdir(parents=True)  # a folder where the file should be
    with pytest.raises(DeployError) as raised:
        stored_credentials({"PULUMI_HOME": str(home)})
    assert str(raised.value) == f"cannot read Pulumi's login file {home / 'credentials.json'}: Is a directory"


@pytest.mark.parametrize("document", [["not", "an", "object"], "pul-123", 7])
def test_a_login_file_holding_no_object_counts_as_no_login(tmp_path, document):
    (tmp_path / "credentials.json").write_text(json.dumps(document))
    env = {"PULUMI_HOME": str(tmp_path)}
    assert stored_credentials(env) == {}
    assert problem(env=env, credentials=stored_credentials(env)).startswith("no Pulumi backend logged in")


def test_without_an_environment_given_the_check_reads_the_process_environment(tmp_path, monkeypatch):
    (tmp_path / "Pulumi.yaml").write_text("name: silver-to-gold\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    monkeypatch.setenv("PULUMI_BACKEND_URL", "file:///srv/state")
    for name in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    with pytest.raises(DeployError, match=r"^stack 'dev' keeps its secrets with a passphrase \(backend file:///srv/"):
        check_state_backend("dev", root=tmp_path)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "")
    check_state_backend("dev", root=tmp_path)  # an empty passphrase is one (the CLI reads it as set)
