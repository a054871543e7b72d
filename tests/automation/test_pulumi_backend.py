"""`automation.stack.state_backend`: before a `--stack` verb runs Pulumi, one line on what the CLI
would miss non-interactively: a backend login (pulumi/pulumi `pkg/workspace/creds.go`
`GetCurrentCloudURL`; `pkg/backend/httpstate/backend.go` `Login`) or a DIY stack's
passphrase (`pkg/cmd/pulumi/stack/secrets.go`; `pkg/secrets/passphrase/manager.go`
`readPassphrase`). The last tests go through the stand-in `pulumi` and the real SDK."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from automation.stack import PROJECT_DIR, DeployError, check_state_backend, state_backend_problem
from automation.stack import stack_outputs as read_outputs
from tests.automation import test_deploy as stand_in

DEV_OUTPUTS = stand_in.DEV_OUTPUTS
fake_pulumi = stand_in.fake_pulumi  # the stand-in `pulumi` fixture, shared with test_deploy

CLOUD_LOGIN = {
    "current": "https://api.pulumi.com",
    "accessTokens": {"https://api.pulumi.com": "pul-123"},
    "accounts": {"https://api.pulumi.com": {"accessToken": "pul-123", "username": "ana"}},
}
LOCAL_LOGIN = {"current": "file://~", "accessTokens": {"file://~": ""}, "accounts": {"file://~": {}}}


def problem(env=None, project=None, stack_config=None, credentials=None, stack="dev"):
    return state_backend_problem(stack, env or {}, project or {}, stack_config or {}, credentials or {})


# --- the backend and its login ---------------------------------------------------------------


def test_nothing_logged_in_names_every_place_pulumi_looks_and_the_choices():
    line = problem(env={"PULUMI_HOME": "/home/ana/.pulumi"})
    assert line.startswith(
        "no Pulumi backend logged in for stack 'dev' (no PULUMI_BACKEND_URL, no backend.url in Pulumi.yaml, "
        "no `pulumi login` in /home/ana/.pulumi/credentials.json): log in to Pulumi Cloud (`pulumi login`, "
        "or PULUMI_ACCESS_TOKEN in CI)"
    )
    assert "pulumi login --local" in line and "PULUMI_CONFIG_PASSPHRASE" in line and "\n" not in line


def test_pulumi_cloud_with_a_stored_login_or_a_token_is_enough():
    assert problem(credentials=CLOUD_LOGIN) is None
    assert problem(env={"PULUMI_ACCESS_TOKEN": "pul-ci"}) is None  # CI: no stored login, the token


def test_a_stored_login_counts_for_its_own_url_only():
    self_hosted = {"PULUMI_BACKEND_URL": "https://pulumi.acme.example"}
    assert problem(env=self_hosted, credentials=CLOUD_LOGIN) == (
        "Pulumi Cloud at https://pulumi.acme.example (from PULUMI_BACKEND_URL) needs a token for stack 'dev': "
        "run `pulumi login https://pulumi.acme.example`, or set PULUMI_ACCESS_TOKEN (Pulumi runs "
        "non-interactively here)"
    )
    # The older file form: a bare token under accessTokens.
    assert problem(env=self_hosted, credentials={"accessTokens": {"https://pulumi.acme.example": "t"}}) is None


def test_pulumi_cloud_keeps_secrets_itself_so_no_passphrase_is_needed():
    assert problem(env={"PULUMI_ACCESS_TOKEN": "pul-ci"}, stack_config={"config": {}}) is None


# --- a DIY backend's passphrase ---------------------------------------------------------------


@pytest.mark.parametrize(
    "env, project, credentials, origin",
    [
        ({"PULUMI_BACKEND_URL": "file://~"}, {}, CLOUD_LOGIN, "file://~, from PULUMI_BACKEND_URL"),
        ({}, {"backend": {"url": "s3://acme-state"}}, CLOUD_LOGIN, "s3://acme-state, from Pulumi.yaml backend.url"),
        ({}, {}, LOCAL_LOGIN, "file://~, from pulumi login"),
    ],
)
def test_a_diy_backend_without_a_passphrase_says_where_the_backend_came_from(env, project, credentials, origin):
    line = problem(env=env, project=project, credentials=credentials)
    assert line == (
        f"stack 'dev' keeps its secrets with a passphrase (backend {origin}) and neither "
        "PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set: set PULUMI_CONFIG_PASSPHRASE or "
        "PULUMI_CONFIG_PASSPHRASE_FILE (Pulumi runs non-interactively and cannot ask), or create the stack with "
        "`pulumi stack init dev --secrets-provider awskms://alias/NAME`"
    )


def test_the_backend_order_is_the_clis(tmp_path):
    # PULUMI_BACKEND_URL over Pulumi.yaml over the stored login.
    project = {"backend": {"url": "s3://acme-state"}}
    assert "from PULUMI_BACKEND_URL" in problem(env={"PULUMI_BACKEND_URL": "gs://x"}, project=project)
    assert "from Pulumi.yaml" in problem(project=project, credentials=LOCAL_LOGIN)


def test_a_passphrase_even_empty_or_a_readable_passphrase_file_is_enough(tmp_path):
    local = {"PULUMI_BACKEND_URL": "file://~"}
    assert problem(env={**local, "PULUMI_CONFIG_PASSPHRASE": ""}) is None  # set, even empty: LookupEnv
    phrase = tmp_path / "phrase"
    phrase.write_text("correct horse\n")
    assert problem(env={**local, "PULUMI_CONFIG_PASSPHRASE_FILE": str(phrase)}) is None
    missing = tmp_path / "nowhere"
    line = problem(env={**local, "PULUMI_CONFIG_PASSPHRASE_FILE": str(missing)})
    assert f"PULUMI_CONFIG_PASSPHRASE_FILE names {missing}, which cannot be read (No such file or directory)" in line


def test_a_key_service_secrets_provider_needs_no_passphrase_on_a_diy_backend():
    local = {"PULUMI_BACKEND_URL": "s3://acme-state"}
    kms = {"secretsprovider": "awskms://alias/pulumi?region=us-east-1", "encryptedkey": "AQICAH..."}
    assert problem(env=local, stack_config=kms) is None
    assert problem(env=local, stack_config={"secretsprovider": "passphrase"}) is not None
    # A passphrase stack on Pulumi Cloud (its file carries the salt) needs it too.
    salted = {"encryptionsalt": "v1:abc:def"}
    assert "keeps its secrets with a passphrase (backend https://api.pulumi.com)" in problem(
        env={"PULUMI_ACCESS_TOKEN": "t"}, stack_config=salted
    )


# --- the files it reads -----------------------------------------------------------------------


def project_dir(tmp_path: Path, pulumi_yaml: str = "name: silver-to-gold\nruntime: python\n", **stacks: str) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "Pulumi.yaml").write_text(pulumi_yaml)
    for name, text in stacks.items():
        (root / f"Pulumi.{name}.yaml").write_text(text)
    return root


def test_check_backend_reads_the_login_where_pulumi_home_says(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "credentials.json").write_text(json.dumps(LOCAL_LOGIN))
    root = project_dir(tmp_path)
    with pytest.raises(DeployError, match=r"backend file://~, from pulumi login"):
        check_state_backend("dev", {"PULUMI_HOME": str(home)}, root)
    check_state_backend("dev", {"PULUMI_HOME": str(home), "PULUMI_CONFIG_PASSPHRASE": "x"}, root)
    # PULUMI_CREDENTIALS_PATH comes first (getCredsFilePath).
    with pytest.raises(DeployError, match="no Pulumi backend logged in"):
        check_state_backend("dev", {"PULUMI_HOME": str(home), "PULUMI_CREDENTIALS_PATH": str(tmp_path)}, root)


def test_check_backend_reads_the_project_backend_and_the_org_qualified_stacks_file(tmp_path):
    root = project_dir(
        tmp_path,
        "name: silver-to-gold\nruntime: python\nbackend:\n  url: s3://acme-state\n",
        dev="secretsprovider: awskms://alias/pulumi\nencryptedkey: AQICAH\nconfig: {}\n",
    )
    check_state_backend("organization/dev", {}, root)  # Pulumi.dev.yaml names a KMS key: no passphrase needed
    with pytest.raises(DeployError, match="stack 'organization/prod' keeps its secrets with a passphrase"):
        check_state_backend("organization/prod", {}, root)


# --- a DIY backend's stack names ---------------------------------------------------------------

DIY_RULE = "a file:// or s3:// backend names stacks `organization/<stack>` or `<stack>`"


@pytest.mark.parametrize("url", ["file://~", "s3://acme-state", "gs://acme-state", "azblob://acme-state"])
@pytest.mark.parametrize("stack", ["acme/dev", "acme/silver-to-gold/dev", "Organization/dev"])
def test_a_diy_backend_refuses_any_organization_but_the_literal_word(url, stack):
    # pkg/backend/diy/store.go ParseReference: "organization name must be 'organization'".
    line = problem(env={"PULUMI_BACKEND_URL": url, "PULUMI_CONFIG_PASSPHRASE": "x"}, stack=stack)
    assert line == (
        f"stack {stack!r} cannot live on {url} (from PULUMI_BACKEND_URL): {DIY_RULE}, so use organization/dev "
        "or dev (the organisation is the literal word)"
    )


@pytest.mark.parametrize("stack", ["dev", "organization/dev", "organization/silver-to-gold/dev"])
def test_a_diy_backend_takes_the_bare_name_and_the_organization_word(stack):
    assert problem(env={"PULUMI_BACKEND_URL": "file://~", "PULUMI_CONFIG_PASSPHRASE": "x"}, stack=stack) is None


def test_pulumi_cloud_takes_any_organization():
    assert problem(env={"PULUMI_ACCESS_TOKEN": "t"}, stack="acme/dev") is None


def test_the_stack_name_rule_comes_before_the_passphrase_as_in_the_cli():
    # The CLI parses the stack reference before it builds the secrets manager.
    assert problem(env={"PULUMI_BACKEND_URL": "file://~"}, stack="acme/dev").startswith("stack 'acme/dev' cannot live")


def test_a_credentials_file_that_is_not_json_is_one_line(tmp_path):
    (tmp_path / "credentials.json").write_text("{not json")
    with pytest.raises(DeployError, match=r"credentials.json is not JSON: run `pulumi login` again"):
        check_state_backend("dev", {"PULUMI_HOME": str(tmp_path)}, project_dir(tmp_path))


# --- through the stand-in pulumi and the SDK ----------------------------------------------------


@pytest.mark.cli
def test_a_stack_verb_on_a_local_backend_without_a_passphrase_stops_before_any_pulumi_command(fake_pulumi, monkeypatch):
    monkeypatch.setenv("PULUMI_BACKEND_URL", "file://~")
    fake_pulumi.add_deployed_stack("dev")

    with pytest.raises(DeployError, match=r"^stack 'dev' keeps its secrets with a passphrase \(backend file://~"):
        read_outputs("dev")
    assert fake_pulumi.commands() == []

    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse")
    assert read_outputs("dev") == DEV_OUTPUTS  # and the stand-in, as strict as the CLI, agrees


@pytest.mark.cli
def test_without_any_login_a_stack_verb_is_one_line_and_runs_no_pulumi(fake_pulumi, monkeypatch, tmp_path):
    monkeypatch.delenv("PULUMI_ACCESS_TOKEN")
    result = subprocess.run(
        [sys.executable, "-m", "automation", "outputs", "--stack", "dev"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: no Pulumi backend logged in for stack 'dev'")
    assert len(result.stderr.splitlines()) == 1
    assert fake_pulumi.commands() == []


@pytest.mark.cli
def test_an_org_qualified_stack_deploys_and_reads_its_outputs_through_the_verbs(fake_pulumi):
    deployed = subprocess.run(
        [sys.executable, "-m", "automation", "deploy", "--stack", "acme/dev", "--yes", "--config", "workers=4"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert deployed.returncode == 0, deployed.stderr
    commands = [[arg for arg in c if arg != "--non-interactive"] for c in fake_pulumi.commands()]
    assert ["stack", "init", "acme/dev"] in [c[:3] for c in commands]
    set_all = next(c for c in commands if c[:2] == ["config", "set-all"])
    assert set_all[set_all.index("--stack") + 1] == "acme/dev" and "silver-to-gold:workers=4" in set_all
    outputs = subprocess.run(
        [sys.executable, "-m", "automation", "outputs", "--stack", "acme/dev", "--json"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert outputs.returncode == 0, outputs.stderr
    assert json.loads(outputs.stdout) == DEV_OUTPUTS
    assert set(fake_pulumi.read()["stacks"]) >= {"acme/dev"}


@pytest.mark.cli
def test_deploying_an_org_named_stack_to_a_local_backend_is_one_line_naming_the_rule(fake_pulumi, monkeypatch):
    monkeypatch.setenv("PULUMI_BACKEND_URL", "file://~")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse")
    result = stand_in.cli("deploy", "--stack", "acme/dev", "--yes")
    assert result.returncode == 1, result.stderr
    # The progress line ("Previewing stack ...") comes first; the error is one line.
    assert [line for line in result.stderr.splitlines() if not line.startswith("Previewing")] == [
        f"error: stack 'acme/dev' cannot live on file://~ (from PULUMI_BACKEND_URL): {DIY_RULE}, so use "
        "organization/dev or dev (the organisation is the literal word)"
    ]
    assert fake_pulumi.commands() == []


@pytest.mark.cli
def test_the_stand_in_refuses_an_org_named_stack_on_a_local_backend_as_the_cli_does(fake_pulumi, monkeypatch):
    # Past the project's own check, the stand-in still refuses: tests cannot pass what the CLI refuses.
    monkeypatch.setenv("PULUMI_BACKEND_URL", "file://~")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse")
    refused = subprocess.run(
        ["pulumi", "stack", "init", "acme/dev", "--non-interactive"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (refused.returncode, refused.stderr) == (255, "error: organization name must be 'organization'\n")
    deployed = stand_in.cli("deploy", "--stack", "organization/dev", "--yes")
    assert deployed.returncode == 0, deployed.stderr
    assert set(fake_pulumi.read()["stacks"]) >= {"organization/dev"}
