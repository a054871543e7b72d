"""Every example block of README.md and docs/ (docs/benchmarks.md aside: `make bench` makes
its figures), in the order they are run. A new verb's example is one `Example` entry here,
and a marker pair where it goes in the Markdown:

    <!-- example NAME (made by `make docs` from tools/docs/examples.py: do not edit) -->
    <!-- /example -->

Scenarios (`tools.docs.scenarios`): "local" (a scratch working directory), "emulator"
(`python -m tools.emulator`, the Glue job played), "stand-in" (the tests' stand-in `pulumi`).
Examples of one scenario run in this order and share its state (a run started by one is the
one the next shows).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from infra import outputs as out
from tools.docs.blocks import Example, Step, pick_json
from tools.docs.scenarios import Ran, Scenario

OUTPUTS = "--outputs-file .emulator/outputs.json"
SAMPLE_ROWS = "100000"  # the docs' sample: the same shape as make demo's million (36 months), made quicker


# -- set-ups (before) and captures (after) -------------------------------------------------
def capture_run_id(scenario: Scenario, ran: Ran) -> None:
    scenario.values["run_id"] = re.search(r"jr_[0-9a-f]{64}", ran.stdout + ran.stderr).group(0)


def hold_runs(scenario: Scenario) -> None:
    """Runs stay in their state until `release_runs` (a run in progress, for the refusal)."""
    _transition(scenario, "glue::job_run", {"progression": "manual", "times": 10**6})


def release_runs(scenario: Scenario) -> None:
    """Runs move on again, two seconds a state. moto counts a state's seconds from when the run
    entered it (here: when it started, held), so after 3 s the follower's first poll always
    finds the held run RUNNING: STARTING is never shown, however loaded the machine is (a
    first poll within 2 s of the start, on a quick machine, would show it)."""
    time.sleep(3)
    _transition(scenario, "glue::job_run", {"progression": "time", "seconds": 2})


def start_a_crawl(scenario: Scenario) -> None:
    _transition(scenario, "glue::crawl", {"progression": "manual", "times": 10**6})
    outputs = json.loads((scenario.cwd / ".emulator" / "outputs.json").read_text())
    scenario.control.client("glue").start_crawler(Name=outputs[out.CRAWLER_NAME])


def finish_crawls(scenario: Scenario, _: Ran) -> None:
    _transition(scenario, "glue::crawl", {"progression": "time", "seconds": 2})


def _transition(scenario: Scenario, model: str, transition: dict) -> None:
    scenario.control.control("/moto-api/state-manager/set-transition", {"model_name": model, "transition": transition})


ERROR_LOG_GROUP = "/aws-glue/jobs/job-transform-silver-to-gold/error"


def remove_a_log_retention(scenario: Scenario) -> None:
    """Behind the stack's back: the job's error log group loses its retention (doctor's ✗)."""
    scenario.control.client("logs").delete_retention_policy(logGroupName=ERROR_LOG_GROUP)


def restore_the_log_retention(scenario: Scenario, _: Ran) -> None:
    scenario.control.client("logs").put_retention_policy(logGroupName=ERROR_LOG_GROUP, retentionInDays=14)


def lines_starting(*prefixes: str):
    """Only the output lines that start with one of `prefixes` (a step's line of a long run)."""

    def transform(stdout: str) -> str:
        return "".join(line + "\n" for line in stdout.splitlines() if line.startswith(prefixes))

    return transform


def write_my_silver(scenario: Scenario) -> None:
    """`my-silver`: two months of silver after the sample's in ano=/mes= folders, one row breaking a rule."""
    rows = {
        (2026, 1): [{"idade": 30, "ativo": True, "salario": 1000.0}, {"idade": None, "ativo": True, "salario": 1.0}],
        (2026, 2): [{"idade": 40, "ativo": False, "salario": 2000.0}],
    }
    schema = pa.schema([("idade", pa.int32()), ("ativo", pa.bool_()), ("salario", pa.float64())])
    for (ano, mes), items in rows.items():
        folder = scenario.cwd / "my-silver" / f"ano={ano}" / f"mes={mes}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(items, schema=schema), folder / "part-0.parquet")


def write_bad_inputs(scenario: Scenario) -> None:
    outputs = json.loads((scenario.cwd / ".emulator" / "outputs.json").read_text())
    partial = {k: v for k, v in outputs.items() if k != out.JOB_NAME}
    (scenario.cwd / "partial.json").write_text(json.dumps(partial, indent=2))
    (scenario.cwd / "bad.json").write_text("jobName: job-transform-silver-to-gold\n")
    folder = scenario.cwd / "csv" / "ano=2024" / "mes=1"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "part-0.csv").write_text("idade,ativo,salario\n30,true,1000\n")


def stand_in_fresh(scenario: Scenario) -> None:
    scenario.fresh()


def stand_in_deployed(scenario: Scenario) -> None:
    scenario.fresh()
    scenario.deployed()


def stand_in_job_changes(scenario: Scenario) -> None:
    stand_in_deployed(scenario)
    scenario.update(scenario={"changed": ["silver-to-gold-job"]})


# -- custom renderings -----------------------------------------------------------------------
def emulator_startup(scenario: Scenario) -> str:
    return "```text\n$ python -m tools.emulator\n" + scenario.masker("\n".join(scenario.startup)) + "\n```"


def recorded_pulumi_commands(scenario: Scenario) -> str:
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


STAND_IN_FAILURES = [
    (
        "no Pulumi CLI on PATH (any of the three verbs)",
        "PATH=/usr/bin:/bin python -m automation outputs --stack dev",
        stand_in_fresh,
    ),
    (
        "no backend login (no `PULUMI_BACKEND_URL`, no `backend.url`, no `pulumi login`, no `PULUMI_ACCESS_TOKEN`)",
        "python -m automation deploy --stack dev",
        stand_in_fresh,
        {"PULUMI_ACCESS_TOKEN": None},
    ),
    (
        "a local or S3 backend, a passphrase stack, no passphrase",
        "PULUMI_BACKEND_URL=file://~ python -m automation deploy --stack dev",
        stand_in_fresh,
    ),
    ("unknown stack (`outputs`, `destroy`)", "python -m automation outputs --stack qa", stand_in_deployed),
    ("`--config` without `=`", "python -m automation deploy --stack dev --config workers", stand_in_fresh),
    (
        "a config key the program does not know",
        "python -m automation deploy --stack dev --config workerz=3",
        stand_in_fresh,
    ),
    ("no `--yes` and no terminal", "python -m automation deploy --stack dev", stand_in_fresh),
]


def stand_in_failures(scenario: Scenario) -> str:
    """A table: situation, command, and the one line it prints (exit 1)."""
    rows = ["| situation | command | the one line on stderr (exit 1) |", "|---|---|---|"]
    for situation, command, before, *changes in STAND_IN_FAILURES:
        before(scenario)
        env = changes[0] if changes else {}
        saved = {k: scenario.env.pop(k) for k, v in env.items() if v is None and k in scenario.env}
        ran = scenario.run(command, env={k: v for k, v in env.items() if v is not None})
        scenario.env.update(saved)
        errors = [line for line in ran.stderr.splitlines() if line.startswith("error: ")]
        if ran.exit_code != 1 or len(errors) != 1:
            raise RuntimeError(f"{command}: exit {ran.exit_code}, stderr {ran.stderr!r}")
        message = scenario.masker(errors[0]).replace("|", "\\|")
        rows.append(f"| {situation} | `{command}` | `` {message} `` |")
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


def outputs_table(scenario: Scenario) -> str:
    """Every output of the dev stack as synth renders it, and what it is for."""
    missing = sorted(set(scenario.outputs) - set(OUTPUT_PURPOSES))
    if missing:
        raise RuntimeError(f"outputs with no purpose in tools/docs/examples.py OUTPUT_PURPOSES: {missing}")
    rows = ["| output | dev value | for |", "|---|---|---|"]
    for name in sorted(scenario.outputs):
        value = scenario.outputs[name]
        if isinstance(value, dict):  # an object: its keys (`synth --stack dev --json` shows it whole)
            shown = "an object: " + ", ".join(f"`{key}`" for key in sorted(value))
        else:
            shown = f"`{value}`" if value != "" else '`""`'
        rows.append(f"| `{name}` | {shown} | {OUTPUT_PURPOSES[name]} |")
    return "\n".join(rows)


EXAMPLES: list[Example] = [
    # README.md: the demo, on fewer rows.
    Example(
        "local-demo",
        "local",
        [Step(f"python -m automation local --rows {SAMPLE_ROWS}", merged=True)],
        note=False,
    ),
    # docs/operations.md: the same questions of that local lake.
    Example(
        "query-lake",
        "local",
        [
            Step(
                "python -m automation query --lake .lake --sql "
                "'SELECT reject_reasons, count(*) AS rejected_rows FROM gold_data.sample_data_aggregated_rejects "
                "GROUP BY 1 ORDER BY 2 DESC'"
            )
        ],
    ),
    Example(
        "rejects-lake",
        "local",
        [Step("python -m automation rejects --lake .lake", keep=(28, 11))],
    ),
    Example(
        "rejects-lake-noop",
        "local",
        [
            Step(
                f"python -m automation local --rows {SAMPLE_ROWS}", merged=True, transform=lines_starting("✓ run job")
            ),
            Step("python -m automation rejects --lake .lake"),
        ],
    ),
    Example(
        "keep-runs",
        "local",
        [
            Step(
                f"python -m automation local --rows {SAMPLE_ROWS} --mode full --keep-runs 1",
                merged=True,
                transform=lines_starting("✓ run job"),
            )
        ],
    ),
    Example(
        "lake-failures",
        "local",
        [
            Step("python -m automation query --lake nowhere", exit=1),
            Step("python -m automation query --lake .lake --sql 'SELECT * FROM nope'", exit=1),
        ],
    ),
    # docs/infrastructure.md
    Example("stack-outputs", "stand-in", render=outputs_table, note=False),
    # docs/operations.md: the Pulumi verbs against the stand-in.
    Example(
        "deploy-preview",
        "stand-in",
        [Step("python -m automation deploy --stack dev --preview", before=stand_in_fresh, merged=True, keep=(5, 3))],
        fence="console",
    ),
    Example(
        "deploy-preview-changes",
        "stand-in",
        [
            Step(
                "python -m automation deploy --stack dev --preview --config workers=4",
                before=stand_in_job_changes,
                merged=True,
            ),
            Step("python -m automation deploy --stack dev --preview --json", before=stand_in_job_changes, merged=True),
        ],
        fence="console",
    ),
    Example(
        "deploy-bad-config",
        "stand-in",
        [
            Step(
                "python -m automation deploy --stack dev --config workers=1", exit=1, before=stand_in_fresh, merged=True
            )
        ],
        fence="console",
    ),
    Example(
        "deploy",
        "stand-in",
        [Step("python -m automation deploy --stack dev --yes", before=stand_in_fresh, merged=True, keep=(10, 40))],
        fence="console",
    ),
    Example(
        "destroy",
        "stand-in",
        [
            Step("python -m automation destroy --stack dev < /dev/null", exit=1, before=stand_in_deployed, merged=True),
            Step("python -m automation destroy --stack dev --yes", before=stand_in_deployed, merged=True, keep=(6, 3)),
        ],
        fence="console",
    ),
    Example(
        "outputs-json",
        "stand-in",
        [Step("python -m automation outputs --stack dev --json | head -3", before=stand_in_deployed, merged=True)],
        fence="console",
    ),
    Example("stand-in-failures", "stand-in", render=stand_in_failures),
    Example("automation-api-commands", "stand-in", render=recorded_pulumi_commands),
    # docs/operations.md: the emulator walkthrough.
    Example("emulator-start", "emulator", render=emulator_startup, note=False),
    Example("rejects-before-a-run", "emulator", [Step(f"python -m automation rejects {OUTPUTS}", exit=1)]),
    Example(
        "walkthrough-load-silver",
        "emulator",
        [Step(f"python -m automation load-silver --rows {SAMPLE_ROWS} {OUTPUTS}")],
    ),
    Example("walkthrough-run", "emulator", [Step(f"python -m automation run {OUTPUTS}")]),
    Example("walkthrough-register", "emulator", [Step(f"python -m automation register {OUTPUTS}")]),
    Example("walkthrough-query", "emulator", [Step(f"python -m automation query {OUTPUTS}")]),
    Example("walkthrough-logs", "emulator", [Step(f"python -m automation logs {OUTPUTS}")]),
    # docs/operations.md: each verb, on the same emulated stack.
    Example(
        "pipeline",
        "emulator",
        [Step(f"python -m automation pipeline --skip-deploy --load-silver --rows {SAMPLE_ROWS} {OUTPUTS}")],
    ),
    Example(
        "pipeline-json",
        "emulator",
        [
            Step(
                f"python -m automation pipeline --skip-deploy {OUTPUTS} --json",
                transform=pick_json(
                    ["status", "run_id", "rows_read", "rows_rejected", "rows_written", "partitions_written"]
                    + ["gold_partitions", "preview_sql", "preview", "rejects_by_reason", "cost", "links"],
                    items=2,
                ),
            )
        ],
        fence="text",
    ),
    Example(
        "load-silver-path",
        "emulator",
        [
            Step(f"python -m automation load-silver --silver-path my-silver {OUTPUTS}", before=write_my_silver),
            Step(f"python -m automation load-silver --silver-path my-silver --json {OUTPUTS}"),
        ],
    ),
    Example("run-full", "emulator", [Step(f"python -m automation run --mode full {OUTPUTS}")]),
    Example(
        "run-no-wait",
        "emulator",
        [Step(f"python -m automation run --no-wait {OUTPUTS}", before=hold_runs, after=capture_run_id)],
    ),
    Example("run-refused", "emulator", [Step(f"python -m automation run {OUTPUTS}", exit=1)]),
    Example(
        "status-wait",
        "emulator",
        [Step(f"python -m automation status --run-id {{run_id}} --wait {OUTPUTS}", before=release_runs)],
    ),
    Example(
        "register-methods",
        "emulator",
        [
            Step(f"python -m automation register --method job {OUTPUTS}"),
            Step(f"python -m automation register --method crawler {OUTPUTS}"),
            Step(f"python -m automation register --method msck {OUTPUTS}"),
        ],
    ),
    Example(
        "query",
        "emulator",
        [
            Step(f"python -m automation query {OUTPUTS}"),
            Step(
                "python -m automation query --sql "
                "'SELECT ano, count(*) AS gold_rows, round(avg(salario_medio), 2) AS average "
                f"FROM gold_data.sample_data_aggregated GROUP BY ano ORDER BY ano' {OUTPUTS}"
            ),
        ],
    ),
    Example("rejects", "emulator", [Step(f"python -m automation rejects {OUTPUTS}", keep=(28, 12))]),
    Example(
        "logs",
        "emulator",
        [
            Step(f"python -m automation logs --run-id {{run_id}} {OUTPUTS}"),
            Step(
                f"python -m automation logs --run-id {{run_id}} --json {OUTPUTS}",
                transform=pick_json(["groups", "groups_not_found"]),
            ),
        ],
    ),
    Example("logs-follow", "emulator", [Step(f"python -m automation logs --run-id {{run_id}} --follow {OUTPUTS}")]),
    Example(
        "aws-failures",
        "emulator",
        [
            Step(
                f"python -m automation status {OUTPUTS}",
                exit=1,
                env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None},
                before=write_bad_inputs,
            ),
            Step("python -m automation run --outputs-file partial.json", exit=1),
            Step("python -m automation run --outputs-file bad.json", exit=1),
            Step(f"python -m automation load-silver --silver-path csv {OUTPUTS}", exit=1),
            Step(
                f"python -m automation register --method crawler {OUTPUTS}",
                exit=1,
                before=start_a_crawl,
                after=finish_crawls,
            ),
            Step("python -m automation status --stack dev", exit=1, env={"PATH": "/usr/bin:/bin"}),
            Step(f"python -m automation pipeline {OUTPUTS}", exit=1),
            Step(f"AWS_REGION=eu-west-1 python -m automation status {OUTPUTS}", exit=1),
            Step("python -m automation run", exit=2),
        ],
    ),
    # docs/operations.md: doctor, with one log group's retention removed behind the stack's back.
    Example(
        "doctor",
        "emulator",
        [
            Step(
                f"python -m automation doctor {OUTPUTS}",
                exit=1,
                merged=True,
                before=remove_a_log_retention,
                after=restore_the_log_retention,
            )
        ],
    ),
]


def by_name() -> dict[str, Example]:
    names = [e.name for e in EXAMPLES]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise RuntimeError(f"examples named twice: {sorted(duplicated)}")
    return {e.name: e for e in EXAMPLES}


DOCUMENTS = ("README.md", "docs/operations.md", "docs/infrastructure.md")


def documents(root: Path) -> list[Path]:
    return [root / name for name in DOCUMENTS]
