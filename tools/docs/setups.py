"""What examples do around their commands: set-ups (`Step.before`: the situation an example
shows, such as a run held in progress or a log group's retention removed behind the stack's
back) and captures (`Step.after`: a value a later example's command uses, or undoing a set-up).

Each takes the scenario class it needs, so mypy refuses it on an example of another scenario.
"""

from __future__ import annotations

import json
import re
import time

import pyarrow as pa
import pyarrow.parquet as pq

from infra import outputs as out
from tools.docs.scenarios import EmulatorScenario, Ran, StandInScenario

ERROR_LOG_GROUP = "/aws-glue/jobs/job-transform-silver-to-gold/error"
_RUN_ID = re.compile(r"jr_[0-9a-f]{64}")


def capture_run_id(scenario: EmulatorScenario, ran: Ran) -> None:
    """The run a command started, as `{run_id}` for the commands after it."""
    found = _RUN_ID.search(ran.stdout + ran.stderr)
    if found is None:
        raise RuntimeError(f"`{ran.command}` printed no job run id to capture")
    scenario.values["run_id"] = found.group(0)


def hold_runs(scenario: EmulatorScenario) -> None:
    """Runs stay in their state until `release_runs` (a run in progress, for the refusal)."""
    scenario.control.set_progression("glue::job_run", {"progression": "manual", "times": 10**6})


def release_runs(scenario: EmulatorScenario) -> None:
    """Runs move on again, two seconds a state. moto counts a state's seconds from when the run
    entered it (here: when it started, held), so after 3 s the follower's first poll always
    finds the held run RUNNING: STARTING is never shown, however loaded the machine is (a
    first poll within 2 s of the start, on a quick machine, would show it)."""
    time.sleep(3)
    scenario.control.set_progression("glue::job_run", {"progression": "time", "seconds": 2})


def start_a_crawl(scenario: EmulatorScenario) -> None:
    scenario.control.set_progression("glue::crawl", {"progression": "manual", "times": 10**6})
    outputs = json.loads((scenario.cwd / ".emulator" / "outputs.json").read_text())
    scenario.control.client("glue").start_crawler(Name=outputs[out.CRAWLER_NAME])


def finish_crawls(scenario: EmulatorScenario, _: Ran) -> None:
    scenario.control.set_progression("glue::crawl", {"progression": "time", "seconds": 2})


def remove_a_log_retention(scenario: EmulatorScenario) -> None:
    """Behind the stack's back: the job's error log group loses its retention (doctor's ✗)."""
    scenario.control.client("logs").delete_retention_policy(logGroupName=ERROR_LOG_GROUP)


def restore_the_log_retention(scenario: EmulatorScenario, _: Ran) -> None:
    scenario.control.client("logs").put_retention_policy(logGroupName=ERROR_LOG_GROUP, retentionInDays=14)


def write_my_silver(scenario: EmulatorScenario) -> None:
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


def write_bad_inputs(scenario: EmulatorScenario) -> None:
    outputs = json.loads((scenario.cwd / ".emulator" / "outputs.json").read_text())
    partial = {k: v for k, v in outputs.items() if k != out.JOB_NAME}
    (scenario.cwd / "partial.json").write_text(json.dumps(partial, indent=2))
    (scenario.cwd / "bad.json").write_text("jobName: job-transform-silver-to-gold\n")
    folder = scenario.cwd / "csv" / "ano=2024" / "mes=1"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "part-0.csv").write_text("idade,ativo,salario\n30,true,1000\n")


def stand_in_fresh(scenario: StandInScenario) -> None:
    scenario.fresh()


def stand_in_deployed(scenario: StandInScenario) -> None:
    scenario.fresh()
    scenario.deployed()


def stand_in_job_changes(scenario: StandInScenario) -> None:
    stand_in_deployed(scenario)
    scenario.update(scenario={"changed": ["silver-to-gold-job"]})
