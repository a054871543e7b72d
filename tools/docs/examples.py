"""Every example block of README.md and docs/ (docs/benchmarks.md aside: `make bench` makes
its figures), in the order they are run. A new verb's example is one `Example` entry here,
and a marker pair where it goes in the Markdown:

    <!-- example NAME (made by `make docs` from tools/docs/examples.py: do not edit) -->
    <!-- /example -->

Scenarios (`tools.docs.scenarios`): `LocalScenario` (a scratch working directory),
`EmulatorScenario` (`python -m tools.emulator`, the Glue job played), `StandInScenario` (the
tests' stand-in `pulumi`). Examples of one scenario run in this order and share its state (a
run started by one is the one the next shows). What a step does around its command is in
`tools.docs.setups`; examples that make their own Markdown, in `tools.docs.renderings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.docs.blocks import Example, Step, lines_starting, pick_json
from tools.docs.renderings import emulator_startup, outputs_table, recorded_pulumi_commands, stand_in_failures
from tools.docs.scenarios import EmulatorScenario, LocalScenario, StandInScenario
from tools.docs.setups import (
    capture_run_id,
    finish_crawls,
    hold_runs,
    release_runs,
    remove_a_log_retention,
    restore_the_log_retention,
    stand_in_deployed,
    stand_in_fresh,
    stand_in_job_changes,
    start_a_crawl,
    write_bad_inputs,
    write_my_silver,
)

OUTPUTS = "--outputs-file .emulator/outputs.json"
SAMPLE_ROWS = "100000"  # the docs' sample: the same shape as make demo's million (36 months), made quicker


# Typed per scenario, so mypy checks every set-up and rendering against its scenario's class.
LOCAL_EXAMPLES: list[Example[LocalScenario]] = [
    # README.md: the demo, on fewer rows.
    Example(
        "local-demo",
        LocalScenario,
        [Step(f"python -m automation local --rows {SAMPLE_ROWS}", merged=True)],
        note=False,
    ),
    # docs/operations.md: the same questions of that local lake.
    Example(
        "query-lake",
        LocalScenario,
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
        LocalScenario,
        [Step("python -m automation rejects --lake .lake", keep=(28, 11))],
    ),
    Example(
        "rejects-lake-noop",
        LocalScenario,
        [
            Step(
                f"python -m automation local --rows {SAMPLE_ROWS}", merged=True, transform=lines_starting("✓ run job")
            ),
            Step("python -m automation rejects --lake .lake"),
        ],
    ),
    Example(
        "keep-runs",
        LocalScenario,
        [
            Step(
                f"python -m automation local --rows {SAMPLE_ROWS} --mode full --keep-runs 1",
                merged=True,
                transform=lines_starting("✓ run job"),
            )
        ],
    ),
    # docs/operations.md: the lake's runs so far (the demo, the no-op, the full run above).
    Example("runs-lake", LocalScenario, [Step("python -m automation runs --lake .lake")]),
    Example(
        "lake-failures",
        LocalScenario,
        [
            Step("python -m automation query --lake nowhere", exit=1),
            Step("python -m automation query --lake .lake --sql 'SELECT * FROM nope'", exit=1),
            Step("python -m automation rejects --lake .lake --run-id bogus", exit=1),
        ],
    ),
]

STAND_IN_EXAMPLES: list[Example[StandInScenario]] = [
    # docs/infrastructure.md
    Example("stack-outputs", StandInScenario, render=outputs_table, note=False),
    # docs/operations.md: the Pulumi verbs against the stand-in.
    Example(
        "deploy-preview",
        StandInScenario,
        [Step("python -m automation deploy --stack dev --preview", before=stand_in_fresh, merged=True, keep=(5, 3))],
        fence="console",
    ),
    Example(
        "deploy-preview-changes",
        StandInScenario,
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
        StandInScenario,
        [
            Step(
                "python -m automation deploy --stack dev --config workers=1", exit=1, before=stand_in_fresh, merged=True
            )
        ],
        fence="console",
    ),
    Example(
        "deploy",
        StandInScenario,
        [Step("python -m automation deploy --stack dev --yes", before=stand_in_fresh, merged=True, keep=(10, 40))],
        fence="console",
    ),
    Example(
        "destroy",
        StandInScenario,
        [
            Step("python -m automation destroy --stack dev < /dev/null", exit=1, before=stand_in_deployed, merged=True),
            Step("python -m automation destroy --stack dev --yes", before=stand_in_deployed, merged=True, keep=(6, 3)),
        ],
        fence="console",
    ),
    Example(
        "outputs-json",
        StandInScenario,
        [Step("python -m automation outputs --stack dev --json | head -3", before=stand_in_deployed, merged=True)],
        fence="console",
    ),
    Example("stand-in-failures", StandInScenario, render=stand_in_failures),
    Example("automation-api-commands", StandInScenario, render=recorded_pulumi_commands),
]

EMULATOR_EXAMPLES: list[Example[EmulatorScenario]] = [
    # docs/operations.md: the emulator walkthrough.
    Example("emulator-start", EmulatorScenario, render=emulator_startup, note=False),
    Example("rejects-before-a-run", EmulatorScenario, [Step(f"python -m automation rejects {OUTPUTS}", exit=1)]),
    Example(
        "walkthrough-load-silver",
        EmulatorScenario,
        [Step(f"python -m automation load-silver --rows {SAMPLE_ROWS} {OUTPUTS}")],
    ),
    Example("walkthrough-run", EmulatorScenario, [Step(f"python -m automation run {OUTPUTS}")]),
    Example("walkthrough-register", EmulatorScenario, [Step(f"python -m automation register {OUTPUTS}")]),
    Example("walkthrough-query", EmulatorScenario, [Step(f"python -m automation query {OUTPUTS}")]),
    Example("walkthrough-logs", EmulatorScenario, [Step(f"python -m automation logs {OUTPUTS}")]),
    # docs/operations.md: each verb, on the same emulated stack.
    Example(
        "pipeline",
        EmulatorScenario,
        [Step(f"python -m automation pipeline --skip-deploy --load-silver --rows {SAMPLE_ROWS} {OUTPUTS}")],
    ),
    Example(
        "pipeline-json",
        EmulatorScenario,
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
        EmulatorScenario,
        [
            Step(f"python -m automation load-silver --silver-path my-silver {OUTPUTS}", before=write_my_silver),
            Step(f"python -m automation load-silver --silver-path my-silver --json {OUTPUTS}"),
        ],
    ),
    Example("run-full", EmulatorScenario, [Step(f"python -m automation run --mode full {OUTPUTS}")]),
    # docs/operations.md: the runs played so far, newest first.
    Example("runs", EmulatorScenario, [Step(f"python -m automation runs {OUTPUTS}")]),
    Example(
        "run-no-wait",
        EmulatorScenario,
        [Step(f"python -m automation run --no-wait {OUTPUTS}", before=hold_runs, after=capture_run_id)],
    ),
    Example("run-refused", EmulatorScenario, [Step(f"python -m automation run {OUTPUTS}", exit=1)]),
    Example(
        "status-wait",
        EmulatorScenario,
        [Step(f"python -m automation status --run-id {{run_id}} --wait {OUTPUTS}", before=release_runs)],
    ),
    Example(
        "register-methods",
        EmulatorScenario,
        [
            Step(f"python -m automation register --method job {OUTPUTS}"),
            Step(f"python -m automation register --method crawler {OUTPUTS}"),
            Step(f"python -m automation register --method msck {OUTPUTS}"),
        ],
    ),
    Example(
        "query",
        EmulatorScenario,
        [
            Step(f"python -m automation query {OUTPUTS}"),
            Step(
                "python -m automation query --sql "
                "'SELECT ano, count(*) AS gold_rows, round(avg(salario_medio), 2) AS average "
                f"FROM gold_data.sample_data_aggregated GROUP BY ano ORDER BY ano' {OUTPUTS}"
            ),
        ],
    ),
    Example("rejects", EmulatorScenario, [Step(f"python -m automation rejects {OUTPUTS}", keep=(28, 12))]),
    Example(
        "logs",
        EmulatorScenario,
        [
            Step(f"python -m automation logs --run-id {{run_id}} {OUTPUTS}"),
            Step(
                f"python -m automation logs --run-id {{run_id}} --json {OUTPUTS}",
                transform=pick_json(["groups", "groups_not_found"]),
            ),
        ],
    ),
    Example(
        "logs-follow", EmulatorScenario, [Step(f"python -m automation logs --run-id {{run_id}} --follow {OUTPUTS}")]
    ),
    Example(
        "aws-failures",
        EmulatorScenario,
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
            Step(f"python -m automation status --run-id jr_bogus {OUTPUTS}", exit=1),
            Step("python -m automation status --outputs-file missing.json", exit=1),
            Step("python -m automation run", exit=2),
        ],
    ),
    # docs/operations.md: doctor, with one log group's retention removed behind the stack's back.
    Example(
        "doctor",
        EmulatorScenario,
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


EXAMPLES: list[Example[Any]] = [*LOCAL_EXAMPLES, *STAND_IN_EXAMPLES, *EMULATOR_EXAMPLES]


def by_name() -> dict[str, Example[Any]]:
    names = [e.name for e in EXAMPLES]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise RuntimeError(f"examples named twice: {sorted(duplicated)}")
    return {e.name: e for e in EXAMPLES}


DOCUMENTS = ("README.md", "docs/operations.md", "docs/infrastructure.md")


def documents(root: Path) -> list[Path]:
    return [root / name for name in DOCUMENTS]
