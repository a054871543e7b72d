"""Examples that make their own Markdown (`Example.render`) instead of a block of command
output: the emulator's start-up, the commands the Automation API sent the stand-in, a table of
the stand-in's failures, and the table of the stack's outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from infra import outputs as out
from tools.docs.scenarios import EmulatorScenario, StandInScenario
from tools.docs.setups import stand_in_deployed, stand_in_fresh


def emulator_startup(scenario: EmulatorScenario) -> str:
    return "```text\n$ python -m tools.emulator\n" + scenario.masker("\n".join(scenario.startup)) + "\n```"


def recorded_pulumi_commands(scenario: StandInScenario) -> str:
    """What the Automation API sent the stand-in for a deploy with two --config values."""
    scenario.fresh()
    command = "python -m automation deploy --stack dev --yes --config workers=3 --config aws:region=eu-west-1"
    ran = scenario.run(command)
    if ran.exit_code != 0:
        raise RuntimeError(f"{command}: {ran.stderr}")
    lines = ["pulumi " + line for line in scenario.commands()]
    return (
        "```text\n$ "
        + command
        + "   # the commands the stand-in received:\n"
        + scenario.masker("\n".join(lines))
        + "\n```"
    )


@dataclass(frozen=True)
class StandInFailure:
    """A situation the Pulumi verbs refuse, the command that meets it, and how it is set up."""

    situation: str
    command: str
    before: Callable[[StandInScenario], None]
    unset: tuple[str, ...] = field(default=())  # environment variables removed for the command


STAND_IN_FAILURES = [
    StandInFailure(
        "no Pulumi CLI on PATH (any of the three verbs)",
        "PATH=/usr/bin:/bin python -m automation outputs --stack dev",
        stand_in_fresh,
    ),
    StandInFailure(
        "no backend login (no `PULUMI_BACKEND_URL`, no `backend.url`, no `pulumi login`, no `PULUMI_ACCESS_TOKEN`)",
        "python -m automation deploy --stack dev",
        stand_in_fresh,
        unset=("PULUMI_ACCESS_TOKEN",),
    ),
    StandInFailure(
        "a local or S3 backend, a passphrase stack, no passphrase",
        "PULUMI_BACKEND_URL=file://~ python -m automation deploy --stack dev",
        stand_in_fresh,
    ),
    StandInFailure(
        "a local or S3 backend, a stack named with an organisation other than `organization`",
        "PULUMI_BACKEND_URL=file://~ PULUMI_CONFIG_PASSPHRASE=x python -m automation deploy --stack acme/dev --yes",
        stand_in_fresh,
    ),
    StandInFailure(
        "unknown stack (`outputs`, `destroy`)", "python -m automation outputs --stack qa", stand_in_deployed
    ),
    StandInFailure(
        "`--config` without `=`", "python -m automation deploy --stack dev --config workers", stand_in_fresh
    ),
    StandInFailure(
        "a config key the program does not know",
        "python -m automation deploy --stack dev --config workerz=3",
        stand_in_fresh,
    ),
    StandInFailure("no `--yes` and no terminal", "python -m automation deploy --stack dev", stand_in_fresh),
]


def stand_in_failures(scenario: StandInScenario) -> str:
    """A table: situation, command, and the one line it prints (exit 1)."""
    rows = ["| situation | command | the one line on stderr (exit 1) |", "|---|---|---|"]
    for failure in STAND_IN_FAILURES:
        failure.before(scenario)
        saved = {k: scenario.env.pop(k) for k in failure.unset if k in scenario.env}
        ran = scenario.run(failure.command)
        scenario.env.update(saved)
        errors = [line for line in ran.stderr.splitlines() if line.startswith("error: ")]
        if ran.exit_code != 1 or len(errors) != 1:
            raise RuntimeError(f"{failure.command}: exit {ran.exit_code}, stderr {ran.stderr!r}")
        message = scenario.masker(errors[0]).replace("|", "\\|")
        rows.append(f"| {failure.situation} | `{failure.command}` | `` {message} `` |")
    return "\n".join(rows)


OUTPUT_PURPOSES = {
    out.BUCKET: "the lake bucket",
    out.SILVER_URI: "where silver lives (load-silver uploads here)",
    out.GOLD_URI: "the gold table's location",
    out.QUARANTINE_URI: "rejected rows, one folder per run",
    out.REPORTS_URI: "the job's run reports (`<run id>.json`, `latest.json`)",
    out.SILVER_DATABASE: "the database of the table the job reads",
    out.SILVER_TABLE: "the table the job reads",
    out.GOLD_DATABASE: "the database of the table to query",
    out.GOLD_TABLE: "the table to query",
    out.JOB_NAME: "the job `run` starts",
    out.CRAWLER_NAME: "option A (`register --method crawler`)",
    out.JOB_RUN_TRIGGER: "with registrationMethod crawler: start runs through it so the crawler follows",
    out.ATHENA_WORKGROUP: "where queries run",
    out.PREVIEW_QUERY_ID: "the saved preview query",
    out.REPAIR_QUERY_ID: "option B, the saved MSCK REPAIR TABLE (`register --method msck`)",
    out.PREVIEW_SQL: "the tutorial's check (`query` without `--sql`)",
    out.JOB_OUTPUT_LOG_GROUP: "the job's stdout/stderr (streams `<run id>-driver`, `<run id>-<executor>`)",
    out.JOB_ERROR_LOG_GROUP: "the job's system and Spark logs (same streams)",
    out.CRAWLER_LOG_GROUP: "the crawler's logs (stream = crawler name)",
    out.ALERTS_TOPIC_ARN: "failure alerts and the health alarms",
    out.LAKE_ON_DESTROY: "what destroy does to the bucket and its data",
    out.KMS_KEY_ARN: "the stack's key (empty without one)",
    out.PRICE_PER_DPU_HOUR: "USD per DPU-hour, for cost reports",
    out.REGION: "the stack's region",
    out.OPERATOR_POLICY_ARN: "attach to whoever runs the operations CLI",
    out.DEPLOY_ROLE_ARN: "with `githubRepository`: the role GitHub Actions deploys and runs the stack as (docs/ci.md)",
    out.PREVIEW_ROLE_ARN: "with `githubRepository`: the role pull requests preview the stack's changes as (docs/ci.md)",
    out.JOB_CONSOLE_URL: "the job's runs in the console",
    out.ATHENA_CONSOLE_URL: "Athena's query editor",
    out.REJECTS_TABLE: 'rejected rows, in `goldDatabase`, one partition per run ("Rejected rows" below)',
    out.DASHBOARD_NAME: "the stack's CloudWatch dashboard",
    out.DASHBOARD_URL: "the pipeline's health at a glance",
    out.STACK_SETTINGS: (
        "what `doctor` compares the account against (`infra.pipeline.stack_settings`): the job's definition "
        "(Glue version, workers, timeout, retries, security configuration, script, default arguments), the role, "
        "whether the stack manages the bucket's encryption and versioning, the declared log groups and their "
        "retention, the workgroup's enforced configuration"
    ),
}


def outputs_table(scenario: StandInScenario) -> str:
    """Every output of the dev stack as synth renders it, and what it is for."""
    missing = sorted(set(scenario.outputs) - set(OUTPUT_PURPOSES))
    if missing:
        raise RuntimeError(f"outputs with no purpose in tools/docs/renderings.py OUTPUT_PURPOSES: {missing}")
    rows = ["| output | dev value | for |", "|---|---|---|"]
    for name in sorted(scenario.outputs):
        value = scenario.outputs[name]
        if isinstance(value, dict):  # an object: its keys (`synth --stack dev --json` shows it whole)
            shown = "an object: " + ", ".join(f"`{key}`" for key in sorted(value))
        else:
            shown = f"`{value}`" if value != "" else '`""`'
        rows.append(f"| `{name}` | {shown} | {OUTPUT_PURPOSES[name]} |")
    return "\n".join(rows)
