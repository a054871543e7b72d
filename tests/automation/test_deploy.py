"""The Automation API layer against a stand-in `pulumi` executable.

The Pulumi CLI cannot be installed here, so `fake_pulumi/pulumi.py` plays it: copied as
`pulumi` into a folder first on PATH, it records every command the real SDK
(`pulumi.automation` 3.272) sends and answers from fixtures (the dev stack's resources and
outputs as `automation synth --stack dev` renders them), streaming engine events to the
SDK's `--event-log` as the real CLI does. The tests assert the commands as recorded, the
progress, outputs, messages and exit codes; the SDK is never mocked.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from automation import stack as deploy
from automation.cli.stack import PULUMI_OWN_RESOURCES
from automation.stack import PROJECT_DIR, ChangeSummary, DeployError, StepProgress

# Runs the CLI as a subprocess: in `make test`, not in `make check`.
pytestmark = pytest.mark.cli

HERE = Path(__file__).parent
FAKE = HERE / "fake_pulumi"
DEV_RESOURCES = json.loads((FAKE / "fixtures" / "dev_resources.json").read_text())
DEV_OUTPUTS = json.loads((FAKE / "fixtures" / "dev_outputs.json").read_text())
# The stack, the component and its 31 resources: the default aws provider's step is internal
# (neither counted in the engine's summary nor shown in progress, automation.stack.events).
STEPS = 33
BUCKET = "silver-to-gold-dev-20261124abcdef"
JOB_FAILURE = (
    "creating Glue Job (job-transform-silver-to-gold): operation error Glue: CreateJob, https response error "
    "StatusCode: 400, RequestID: 5f0c2b1e-8d7a-4c3b-9e2f-1a2b3c4d5e6f, AccessDeniedException: User: "
    "arn:aws:iam::123456789012:user/ci is not authorized to perform: glue:CreateJob"
)
MISSING_CLI = (
    "error: the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/); without it, the "
    "operations verbs work with --outputs-file FILE (the JSON of `pulumi stack output --json`)\n"
)


class FakePulumi:
    """The stand-in's state file and command log."""

    def __init__(self, root: Path):
        self.bin = root / "bin"
        self.bin.mkdir()
        shutil.copy(FAKE / "pulumi.py", self.bin / "pulumi")
        shutil.copy(FAKE / "project.json", self.bin / "project.json")  # the schema it validates Pulumi.yaml with
        (self.bin / "pulumi").chmod(0o755)
        self.state_file = root / "state.json"
        self.log_file = root / "commands.jsonl"
        self.log_file.write_text("")
        self.write(
            {
                "version": "v3.272.0",
                "current": None,
                "stacks": {"prod": {"deployed": False, "outputs": {}, "config": {}, "history": []}},
                "resources": DEV_RESOURCES,
                "template_outputs": DEV_OUTPUTS,
                "scenario": {},
            }
        )

    def read(self) -> dict:
        return json.loads(self.state_file.read_text())

    def write(self, state: dict) -> None:
        self.state_file.write_text(json.dumps(state))

    def update(self, **changes) -> None:
        state = self.read()
        state.update(changes)
        self.write(state)

    def add_deployed_stack(self, name: str, outputs: dict | None = None, secret_outputs=()) -> None:
        state = self.read()
        history = [
            {
                "version": 1,
                "kind": "update",
                "startTime": "2026-11-20T08:00:00.000000Z",
                "endTime": "2026-11-20T08:03:00.000000Z",
                "message": "",
                "environment": {"exec.kind": "auto.local"},
                "config": {},
                "result": "succeeded",
                "resourceChanges": {"create": STEPS},
            }
        ]
        state["stacks"][name] = {
            "deployed": True,
            "outputs": DEV_OUTPUTS if outputs is None else outputs,
            "secret_outputs": list(secret_outputs),
            "config": {},
            "history": history,
        }
        self.write(state)

    def invocations(self) -> list[dict]:
        return [json.loads(line) for line in self.log_file.read_text().splitlines()]

    def commands(self) -> list[list[str]]:
        """argv of every invocation, the SDK's random event-log address replaced by a placeholder."""
        return [
            [re.sub(r"^tcp://127\.0\.0\.1:\d+$", "tcp://127.0.0.1:PORT", arg) for arg in call["argv"]]
            for call in self.invocations()
        ]


@pytest.fixture
def fake_pulumi(tmp_path, tmp_path_factory, monkeypatch) -> FakePulumi:
    fake = FakePulumi(tmp_path)
    # The project files that passed the stand-in's schema check, remembered for the session (per worker).
    monkeypatch.setenv("FAKE_PULUMI_MEMO", str(tmp_path_factory.getbasetemp() / "fake-pulumi-valid-projects"))
    # The stand-in's `#!/usr/bin/env python3` finds this venv's python (it has grpcio) next.
    monkeypatch.setenv("PATH", os.pathsep.join([str(fake.bin), str(Path(sys.executable).parent), os.environ["PATH"]]))
    monkeypatch.setenv("FAKE_PULUMI_STATE", str(fake.state_file))
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(fake.log_file))
    monkeypatch.delenv("PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK", raising=False)
    # Pulumi Cloud (the stand-in's default login): no passphrase needed, whatever this machine has set.
    for name in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(name, raising=False)
    # Logged in to Pulumi Cloud as CI is (a token in the environment), never with this machine's own login.
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.delenv("PULUMI_CREDENTIALS_PATH", raising=False)
    monkeypatch.setenv("PULUMI_ACCESS_TOKEN", "pul-fake-token")
    return fake


def cli(*args: str, env: dict | None = None, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    """`python -m automation ...` as a user runs it, from the project folder."""
    return subprocess.run(
        [sys.executable, "-m", "automation", *args],
        cwd=PROJECT_DIR,
        env=env or dict(os.environ),
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def preview_argv(stack: str = "dev") -> list[str]:
    return [
        "--non-interactive",
        "preview",
        "--color",
        "never",
        "--exec-kind",
        "auto.local",
        "--event-log",
        "tcp://127.0.0.1:PORT",
        "--stack",
        stack,
    ]


def up_argv(stack: str = "dev") -> list[str]:
    return [
        "--non-interactive",
        "up",
        "--yes",
        "--skip-preview",
        "--color",
        "never",
        "--exec-kind",
        "auto.local",
        "--event-log",
        "tcp://127.0.0.1:PORT",
        "--stack",
        stack,
    ]


AFTER_UP = [
    ["--non-interactive", "stack", "output", "--json", "--stack", "dev"],
    ["--non-interactive", "stack", "output", "--json", "--show-secrets", "--stack", "dev"],
    [
        "--non-interactive",
        "stack",
        "history",
        "--json",
        "--show-secrets",
        "--page-size",
        "1",
        "--page",
        "1",
        "--stack",
        "dev",
    ],
]


# --- the library, in process ---------------------------------------------------------------


def test_up_on_a_new_stack_sends_init_namespaced_config_preview_and_up(fake_pulumi):
    progress: list[StepProgress] = []

    outputs = deploy.up("dev", {"workers": "3", "aws:region": "eu-west-1"}, on_progress=progress.append)

    assert fake_pulumi.commands() == [
        ["version"],
        ["--non-interactive", "stack", "select", "--stack", "dev"],
        ["--non-interactive", "stack", "init", "dev"],
        [
            "--non-interactive",
            "config",
            "set-all",
            "--stack",
            "dev",
            "--plaintext",
            "silver-to-gold:workers=3",
            "--plaintext",
            "aws:region=eu-west-1",
        ],
        preview_argv(),
        up_argv(),
        *AFTER_UP,
    ]
    calls = fake_pulumi.invocations()
    assert {call["cwd"] for call in calls} == {str(PROJECT_DIR)}
    assert calls[0]["env"]["PULUMI_SKIP_UPDATE_CHECK"] == "true"
    assert all(call["env"]["PULUMI_AUTOMATION_API"] == "true" for call in calls[1:])
    assert fake_pulumi.read()["stacks"]["dev"]["config"] == {"silver-to-gold:workers": "3", "aws:region": "eu-west-1"}
    assert outputs == DEV_OUTPUTS
    assert outputs["lakeBucket"] == BUCKET
    assert outputs["lakeOnDestroy"] == "retained"
    finished = [step for step in progress if step.finished]
    assert [step.done for step in finished] == list(range(1, STEPS + 1))
    assert {step.total for step in progress} == {STEPS}
    assert progress[0] == StepProgress(0, STEPS, "create", "pulumi:pulumi:Stack silver-to-gold-dev", finished=False)
    assert finished[-1] == StepProgress(STEPS, STEPS, "create", "aws:glue/job:Job silver-to-gold-job", finished=True)


def test_an_older_cli_gets_a_file_event_log_and_progress_still_streams(fake_pulumi):
    fake_pulumi.update(version="v3.205.0")  # the SDK switches to gRPC events above 3.205.0
    progress: list[StepProgress] = []

    deploy.up("dev", on_progress=progress.append)

    up = next(argv for argv in fake_pulumi.commands() if argv[1:2] == ["up"])
    event_log = up[up.index("--event-log") + 1]
    assert event_log.endswith("/eventlog.txt") and not event_log.startswith("tcp://")
    assert [step.done for step in progress if step.finished] == list(range(1, STEPS + 1))


def test_an_existing_stack_is_selected_not_created_and_nothing_changes(fake_pulumi):
    fake_pulumi.add_deployed_stack("dev")

    result = deploy.deploy("dev")

    commands = fake_pulumi.commands()
    assert commands[:3] == [["version"], ["--non-interactive", "stack", "select", "--stack", "dev"], preview_argv()]
    assert ["--non-interactive", "stack", "init", "dev"] not in commands
    assert not any(argv[1:2] == ["config"] for argv in commands[1:])  # no --config: config untouched
    assert result.applied is True
    assert result.preview == ChangeSummary("dev", {"same": STEPS}, ())
    assert result.preview.line() == "0 to create, 0 to update, 0 to replace, 0 to delete, 33 unchanged"


def test_a_new_stacks_preview_counts_the_stack_but_not_the_default_provider(fake_pulumi):
    """What synth's count line promises (automation.cli.stack.PULUMI_OWN_RESOURCES): a new stack's
    preview counts the program's resources plus the stack itself; the default provider's step
    reaches the event log but is internal to the engine, so neither counted nor listed."""
    progress: list[StepProgress] = []
    summary = deploy.preview("dev", on_progress=progress.append)

    assert summary.counts == {"create": len(DEV_RESOURCES) + 1}
    assert ("create", "pulumi:pulumi:Stack", "silver-to-gold-dev") in summary.steps
    assert [s for s in summary.steps if s[1].startswith("pulumi:providers:")] == []
    assert not any("pulumi:providers:" in step.resource for step in progress)
    assert "counts 1 more to create, the stack itself" in PULUMI_OWN_RESOURCES


def test_preview_lists_the_changing_resources_and_runs_no_update(fake_pulumi):
    fake_pulumi.add_deployed_stack("dev")
    fake_pulumi.update(scenario={"changed": ["silver-to-gold-job"]})

    summary = deploy.preview("dev")

    assert summary.counts == {"same": 32, "update": 1}
    assert summary.steps == (("update", "aws:glue/job:Job", "silver-to-gold-job"),)
    assert summary.line() == "0 to create, 1 to update, 0 to replace, 0 to delete, 32 unchanged"
    assert not any("up" in argv for argv in fake_pulumi.commands())


def test_a_confirmation_that_declines_stops_before_the_update(fake_pulumi):
    seen: list[ChangeSummary] = []

    result = deploy.deploy("dev", confirm=lambda summary: seen.append(summary) or False)

    assert result.applied is False and result.outputs == {}
    assert seen[0].counts == {"create": STEPS}
    assert fake_pulumi.commands()[-1] == preview_argv()


def test_stack_outputs_are_plain_values_with_secrets_shown(fake_pulumi):
    kms = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7"
    fake_pulumi.add_deployed_stack("dev", outputs={**DEV_OUTPUTS, "kmsKeyArn": kms}, secret_outputs=["kmsKeyArn"])

    outputs = deploy.stack_outputs("dev")

    assert outputs["kmsKeyArn"] == kms
    assert outputs["pricePerDpuHour"] == 0.44
    assert fake_pulumi.commands() == [
        ["version"],
        ["--non-interactive", "stack", "select", "--stack", "dev"],
        ["--non-interactive", "stack", "output", "--json", "--stack", "dev"],
        ["--non-interactive", "stack", "output", "--json", "--show-secrets", "--stack", "dev"],
    ]


def test_an_unknown_stack_is_named_with_the_known_ones(fake_pulumi):
    fake_pulumi.add_deployed_stack("dev")

    with pytest.raises(DeployError) as raised:
        deploy.stack_outputs("qa")

    assert str(raised.value) == "unknown stack 'qa' (known stacks: dev, prod)"
    assert fake_pulumi.commands()[1:] == [
        ["--non-interactive", "stack", "select", "--stack", "qa"],
        ["--non-interactive", "stack", "ls", "--json"],
    ]


@pytest.mark.parametrize(
    "config, message",
    [
        (
            {"workers": "1"},
            "silver-to-gold:workers = 1 is not allowed: at least 2: the job needs more than one worker to run "
            "in parallel",
        ),
        (
            {"aws:region": "Europe"},
            "silver-to-gold:aws:region = 'Europe' is not allowed: an AWS region such as us-east-1",
        ),
        ({"workerz": "3"}, "unknown config key silver-to-gold:workerz (known: "),
        ({"a:b:c": "1"}, "config key 'a:b:c' is not NAME or NAMESPACE:NAME (e.g. workers or aws:region)"),
    ],
)
def test_bad_config_is_refused_before_pulumi_runs(fake_pulumi, config, message):
    with pytest.raises(DeployError) as raised:
        deploy.up("dev", config)

    assert str(raised.value).startswith(message)
    assert fake_pulumi.commands() == []  # nothing saved in Pulumi.dev.yaml, nothing deployed


def test_config_keys_are_namespaced_as_pulumi_config_set_does():
    assert deploy.namespaced("workers") == "silver-to-gold:workers"
    assert deploy.namespaced("aws:region") == "aws:region"
    assert deploy.parse_config_pairs(["workers=4", "aws:region=eu-west-1", "alertEmail="]) == {
        "workers": "4",
        "aws:region": "eu-west-1",
        "alertEmail": "",
    }
    with pytest.raises(DeployError, match=r"^--config 'workers' is not KEY=VALUE"):
        deploy.parse_config_pairs(["workers"])


def test_an_engine_failure_is_the_engines_message_in_one_line(fake_pulumi):
    fake_pulumi.update(scenario={"fail_at": "silver-to-gold-job", "fail_message": JOB_FAILURE})
    progress: list[StepProgress] = []

    with pytest.raises(DeployError) as raised:
        deploy.up("dev", on_progress=progress.append)

    assert str(raised.value) == f"deploy of stack 'dev' failed: aws:glue/job:Job silver-to-gold-job: {JOB_FAILURE}"
    assert [step for step in progress if step.failed] == [
        StepProgress(32, STEPS, "create", "aws:glue/job:Job silver-to-gold-job", finished=True, failed=True)
    ]


def test_a_program_exception_is_summarized_by_its_last_traceback_line(fake_pulumi):
    traceback = (
        "Program failed with an unhandled exception:\n"
        "Traceback (most recent call last):\n"
        '  File "/work/__main__.py", line 5, in <module>\n'
        "    define()\n"
        "infra.settings.SettingsError: silver-to-gold:lakeBucket = 'Lake' is not allowed: an S3 bucket name"
    )
    fake_pulumi.update(scenario={"fail_at": "pulumi:pulumi:Stack", "fail_message": traceback})

    with pytest.raises(DeployError) as raised:
        deploy.up("dev")

    assert str(raised.value) == (
        "deploy of stack 'dev' failed: infra.settings.SettingsError: silver-to-gold:lakeBucket = 'Lake' is not "
        "allowed: an S3 bucket name"
    )


def test_a_locked_stack_says_what_to_do(fake_pulumi):
    fake_pulumi.update(scenario={"locked": True})

    with pytest.raises(DeployError) as raised:
        deploy.up("dev")

    assert str(raised.value) == (
        "stack 'dev' is locked by another update: wait for it to finish, or run `pulumi cancel --stack dev` "
        "if none is running"
    )


def test_no_backend_login_is_the_clis_own_error_line(fake_pulumi):
    fake_pulumi.update(logged_in=False)

    with pytest.raises(DeployError) as raised:
        deploy.stack_outputs("dev")

    assert str(raised.value) == (
        "reading the outputs of stack 'dev' failed: PULUMI_ACCESS_TOKEN must be set for login during "
        "non-interactive CLI sessions"
    )


def test_a_cli_older_than_the_sdk_accepts_is_refused(fake_pulumi):
    fake_pulumi.update(version="v3.0.0")

    with pytest.raises(DeployError) as raised:
        deploy.stack_outputs("dev")

    assert str(raised.value) == (
        "the Pulumi CLI on PATH is not usable by this SDK: Minimum version requirement failed. The minimum CLI "
        "version requirement is 3.1.0, your current CLI version is 3.0.0. Please update the Pulumi CLI."
    )


def test_destroy_deletes_every_resource_with_progress(fake_pulumi):
    fake_pulumi.add_deployed_stack("dev")
    progress: list[StepProgress] = []

    result = deploy.destroy("dev", on_progress=progress.append)

    assert result.counts == {"delete": STEPS}
    assert [step.done for step in progress if step.finished] == list(range(1, STEPS + 1))
    assert {step.total for step in progress} == {STEPS}  # the stack's resource count, from `stack ls`
    assert fake_pulumi.commands()[1:] == [
        ["--non-interactive", "stack", "select", "--stack", "dev"],
        ["--non-interactive", "stack", "output", "--json", "--stack", "dev"],
        ["--non-interactive", "stack", "output", "--json", "--show-secrets", "--stack", "dev"],
        ["--non-interactive", "stack", "ls", "--json"],
        [
            "--non-interactive",
            "destroy",
            "--skip-preview",
            "--yes",
            "--color",
            "never",
            "--exec-kind",
            "auto.local",
            "--event-log",
            "tcp://127.0.0.1:PORT",
            "--stack",
            "dev",
        ],
        AFTER_UP[2],
    ]
    assert fake_pulumi.read()["stacks"]["dev"]["outputs"] == {}


@pytest.mark.parametrize(
    "policy, notice",
    [
        (
            "retained",
            f"The lake bucket s3://{BUCKET} and all its data are KEPT (lakeOnDestroy=retained): Pulumi stops "
            f"managing it; delete it yourself (aws s3 rb s3://{BUCKET} --force) when nobody needs the data.",
        ),
        (
            "deleted",
            f"The lake bucket s3://{BUCKET} is DELETED with all its data: silver, gold, quarantine and run reports "
            "(lakeOnDestroy=deleted).",
        ),
        (
            None,
            f"The stack does not say what destroy does to the lake bucket s3://{BUCKET} (no lakeOnDestroy output: "
            "deployed by an older version): assume its data is deleted; copy what you need first.",
        ),
    ],
)
def test_lake_notice_reads_the_lake_on_destroy_output(policy, notice):
    """The notice `destroy` prints before it asks."""
    outputs = {key: value for key, value in DEV_OUTPUTS.items() if key != "lakeOnDestroy"}
    if policy is not None:
        outputs["lakeOnDestroy"] = policy
    assert deploy.lake_notice("dev", outputs) == notice


def test_lake_notice_for_a_stack_without_outputs():
    assert deploy.lake_notice("dev", {}) == (
        "Stack 'dev' has no outputs (never deployed, or already destroyed): no lake bucket to lose."
    )


# --- the CLI, as a user runs it -------------------------------------------------------------


@pytest.mark.parametrize("verb", ["deploy", "destroy", "outputs"])
def test_without_the_pulumi_cli_every_verb_fails_in_one_line(tmp_path, verb):
    python_only = tmp_path / "bin"
    python_only.mkdir()
    (python_only / "python3").symlink_to(sys.executable)
    env = {**os.environ, "PATH": str(python_only)}
    assert shutil.which("pulumi", path=env["PATH"]) is None

    result = cli(verb, "--stack", "dev", env=env)

    assert result.returncode == 1
    assert result.stderr == MISSING_CLI
    assert result.stdout == ""


def test_cli_deploy_preview_prints_the_change_summary(fake_pulumi):
    result = cli("deploy", "--stack", "dev", "--preview", "--json")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Preview of stack 'dev': 33 to create, 0 to update, 0 to replace, 0 to delete, 0 unchanged"
    assert lines[1] == "  create   pulumi:pulumi:Stack silver-to-gold-dev"
    assert lines[33] == "  create   aws:glue/job:Job silver-to-gold-job"
    report = json.loads(lines[-1])
    assert report["changes"] == {"create": 33}
    assert report["steps"][2] == {"op": "create", "type": "aws:s3/bucket:Bucket", "name": "silver-to-gold-lake"}
    assert not any(step["type"].startswith("pulumi:providers:") for step in report["steps"])  # internal
    assert not any(argv[1:2] == ["up"] for argv in fake_pulumi.commands()[1:])


def test_cli_deploy_yes_streams_progress_and_ends_with_the_outputs(fake_pulumi):
    result = cli("deploy", "--stack", "dev", "--yes", "--config", "workers=3", "--json")

    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert progress[0] == "[ 1/33] created  pulumi:pulumi:Stack silver-to-gold-dev"
    assert progress[2] == "[ 3/33] created  aws:s3/bucket:Bucket silver-to-gold-lake"
    assert progress[-1] == "[33/33] created  aws:glue/job:Job silver-to-gold-job"
    assert len(progress) == STEPS
    assert "Deployed stack 'dev': 33 created, 0 updated, 0 replaced, 0 deleted, 0 unchanged" in result.stdout
    assert re.search(rf"lakeBucket\s+│ {BUCKET}", result.stdout)
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["applied"] is True
    assert report["changes"] == {"create": 33}
    assert report["outputs"] == DEV_OUTPUTS
    assert ["--non-interactive", "config", "set-all", "--stack", "dev", "--plaintext", "silver-to-gold:workers=3"] in (
        fake_pulumi.commands()
    )


def test_cli_deploy_without_yes_and_no_terminal_refuses_after_the_preview(fake_pulumi):
    result = cli("deploy", "--stack", "dev")

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "error: refusing to deploy stack 'dev' without confirmation: stdin is not a terminal; rerun with --yes"
    )
    assert result.stdout.splitlines()[0].startswith("Preview of stack 'dev': 33 to create")
    assert fake_pulumi.commands()[-1] == preview_argv()


def test_cli_bad_config_syntax_names_it_and_runs_nothing(fake_pulumi):
    result = cli("deploy", "--stack", "dev", "--config", "workers")

    assert result.returncode == 1
    assert result.stderr == (
        "error: --config 'workers' is not KEY=VALUE (e.g. --config workers=4 or aws:region=eu-west-1)\n"
    )
    assert fake_pulumi.commands() == []


def test_cli_engine_failure_is_one_line_without_traceback(fake_pulumi):
    fake_pulumi.update(scenario={"fail_at": "silver-to-gold-job", "fail_message": JOB_FAILURE})

    result = cli("deploy", "--stack", "dev", "--yes")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[-2] == "[32/33] failed   create aws:glue/job:Job silver-to-gold-job"
    assert lines[-1] == f"error: deploy of stack 'dev' failed: aws:glue/job:Job silver-to-gold-job: {JOB_FAILURE}"


def test_cli_unknown_stack(fake_pulumi):
    result = cli("outputs", "--stack", "qa")

    assert result.returncode == 1
    assert result.stderr == "error: unknown stack 'qa' (known stacks: prod)\n"


def test_cli_outputs_json_is_what_pulumi_stack_output_json_prints(fake_pulumi):
    fake_pulumi.add_deployed_stack("dev")

    result = cli("outputs", "--stack", "dev", "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == DEV_OUTPUTS
    assert result.stdout.startswith(
        '{\n  "alertsTopicArn": "arn:aws:sns:us-east-1:123456789012:silver-to-gold-alerts",\n'
    )
    pulumi_says = subprocess.run(
        ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", "dev"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == pulumi_says.stdout


def test_cli_destroy_without_yes_and_no_terminal_tells_about_the_lake_and_refuses(fake_pulumi):
    fake_pulumi.add_deployed_stack("dev")

    result = cli("destroy", "--stack", "dev")

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "Destroying stack 'dev' deletes every resource it manages.",
        deploy.lake_notice("dev", DEV_OUTPUTS),
    ]
    assert "KEPT (lakeOnDestroy=retained)" in result.stdout
    assert result.stderr == (
        "error: refusing to destroy stack 'dev' without confirmation: stdin is not a terminal; rerun with --yes\n"
    )
    assert not any(argv[1:2] == ["destroy"] for argv in fake_pulumi.commands()[1:])
    assert fake_pulumi.read()["stacks"]["dev"]["deployed"] is True


def test_cli_destroy_yes_deletes_and_reports(fake_pulumi):
    fake_pulumi.add_deployed_stack("dev", outputs={**DEV_OUTPUTS, "lakeOnDestroy": "deleted"})

    result = cli("destroy", "--stack", "dev", "--yes", "--json")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith(f"The lake bucket s3://{BUCKET} is DELETED with all its data")
    assert lines[2] == "Destroyed stack 'dev': 33 resources deleted."
    assert json.loads(lines[-1]) == {
        "stack": "dev",
        "destroyed": True,
        "changes": {"delete": 33},
        "lakeBucket": BUCKET,
        "lakeOnDestroy": "deleted",
    }
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert progress[0] == "[ 1/33] deleted  aws:glue/job:Job silver-to-gold-job"
    assert progress[-1] == "[33/33] deleted  pulumi:pulumi:Stack silver-to-gold-dev"


@pytest.mark.parametrize("answer, code", [("dev", 0), ("yes", 1)])
def test_cli_destroy_on_a_terminal_asks_for_the_stack_name(fake_pulumi, answer, code):
    fake_pulumi.add_deployed_stack("dev")
    controller, terminal = pty.openpty()
    try:
        os.write(controller, f"{answer}\n".encode())
        result = cli("destroy", "--stack", "dev", stdin=terminal)
    finally:
        os.close(terminal)
        os.close(controller)

    assert result.returncode == code, result.stderr
    assert "Type the stack name (dev) to destroy it:" in result.stderr
    destroyed = any(argv[1:2] == ["destroy"] for argv in fake_pulumi.commands()[1:])
    assert destroyed is (code == 0)
    if code:  # the typed answer is echoed on the terminal, not into stderr: the error follows the question
        assert result.stderr.endswith("to destroy it: error: destroy declined: stack 'dev' unchanged\n")


def test_cli_ctrl_c_during_the_update_is_one_line(fake_pulumi):
    fake_pulumi.update(scenario={"step_delay": 0.2})
    process = subprocess.Popen(
        [sys.executable, "-m", "automation", "deploy", "--stack", "dev", "--yes"],
        cwd=PROJECT_DIR,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: Ctrl-C reaches it and its pulumi, as in a terminal
    )
    deadline = time.monotonic() + 60
    while not any(argv[1:2] == ["up"] for argv in fake_pulumi.commands()) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 1
    assert "Traceback" not in stderr
    assert "Ctrl-C: Pulumi stops after the steps in flight (Ctrl-C again to quit now)" in stderr.splitlines()
    assert stderr.splitlines()[-1] == (
        "error: interrupted: Pulumi stops after the steps in flight; run the same command again to finish stack "
        "'dev' (`pulumi refresh --stack dev` if Pulumi reports pending operations)"
    )
    assert fake_pulumi.read()["stacks"]["dev"]["history"][-1]["result"] == "failed"


@pytest.mark.parametrize("answer, code", [("y", 0), ("n", 1)])
def test_cli_deploy_on_a_terminal_asks_before_the_update(fake_pulumi, answer, code):
    controller, terminal = pty.openpty()
    try:
        os.write(controller, f"{answer}\n".encode())
        result = cli("deploy", "--stack", "dev", "--config", "workers=4", stdin=terminal)
    finally:
        os.close(terminal)
        os.close(controller)

    assert result.returncode == code, result.stderr
    assert "Deploy these changes to stack 'dev'? [y/N] " in result.stderr
    assert any(argv[1:2] == ["up"] for argv in fake_pulumi.commands()) is (code == 0)
    if code:
        assert result.stderr.endswith(
            "[y/N] error: deploy declined: stack 'dev' not updated (the --config values stay set in the stack's "
            "config)\n"
        )


def test_cli_pipeline_deploys_with_its_config_before_the_update(fake_pulumi):
    """`pipeline --stack dev --config workers=4` hands its config to the deploy: the stand-in
    sees `config set-all ... workers=4` before `up` (then the run stops at AWS: no credentials)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")

    result = cli("pipeline", "--stack", "dev", "--config", "workers=4", env=env)

    assert result.returncode == 1, result.stderr
    assert "no AWS credentials found" in result.stderr
    commands = fake_pulumi.commands()
    set_all = ["--non-interactive", "config", "set-all", "--stack", "dev", "--plaintext", "silver-to-gold:workers=4"]
    assert set_all in commands
    assert commands.index(set_all) < commands.index(up_argv())
