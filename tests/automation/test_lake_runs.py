"""A local lake's runs without Spark (issue 23): `runs --lake` from the run reports, `rejects
--lake` naming known runs for an unknown id and the last run that rejected rows after a no-op,
the gate a run was judged by (0.0 is a gate), and the lake's lock (one process at a time; a
killed holder blocks nobody). Reports are written here by hand, as the job writes them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from automation.cli import main
from automation.local import LakeBusy, LakeLock, lake_runs
from etl.report import RunReport

REPORTS = Path("gold", "_reports", "sample_data_aggregated")
FIRST = "local-20250301T100000Z-aaaaaa"
SECOND = "local-20250301T110000Z-bbbbbb"
NOOP = "local-20250301T120000Z-cccccc"


def write_report(lake: Path, report: RunReport, latest: bool = True) -> None:
    folder = lake / REPORTS
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{report.run_id}.json").write_text(report.to_json())
    if latest:
        (folder / "latest.json").write_text(report.to_json())


def a_lake(tmp_path: Path) -> Path:
    """Three runs: one that rejected rows, a second one too, then a no-op (the latest)."""
    lake = tmp_path / "lake"
    (lake / "metastore_db").mkdir(parents=True)  # what `rejects --lake` checks for
    for run_id, rejected in ((FIRST, 7), (SECOND, 5)):
        write_report(
            lake,
            RunReport(
                run_id,
                "incremental",
                "succeeded",
                rows_read=1000,
                rows_rejected=rejected,
                rows_written=90,
                partitions_processed=3,
                partitions_written=3,
                seconds={"job": 8.0, "total": 9.5},
                plan="incremental",
                rejects_partition=f"run_id={run_id}",
                max_reject_ratio=0.05,
            ),
        )
    noop = RunReport(NOOP, "incremental", "succeeded", seconds={"total": 1.25}, plan="incremental")
    write_report(lake, noop)
    return lake


def json_of(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_runs_lists_a_lake_s_runs_newest_first_with_their_figures(tmp_path, capsys):
    lake = a_lake(tmp_path)
    assert main(["runs", "--lake", str(lake), "--json"]) == 0
    listed = json_of(capsys)["runs"]
    assert [run["run_id"] for run in listed] == [NOOP, SECOND, FIRST]
    assert listed[1] == {
        "run_id": SECOND,
        "started": "2025-03-01T11:00:00+00:00",
        "state": "succeeded",
        "mode": "incremental",
        "rows_read": 1000,
        "rows_rejected": 5,
        "rows_written": 90,
        "partitions_written": 3,
        "seconds": 9.5,
        "cost_usd": None,
        "error": "",
    }
    assert [row.run_id for row in lake_runs(lake, limit=2)] == [NOOP, SECOND]


def test_runs_on_a_folder_that_is_no_lake_is_one_line(tmp_path, capsys):
    assert main(["runs", "--lake", str(tmp_path / "nowhere")]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        f"error: {tmp_path / 'nowhere'} is not a lake: run `python -m automation local --lake "
        f"{tmp_path / 'nowhere'}` first"
    )


def test_rejects_of_an_unknown_run_exits_1_naming_the_latest_runs(tmp_path, capsys):
    lake = a_lake(tmp_path)
    assert main(["rejects", "--lake", str(lake), "--run-id", "bogus"]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: no run bogus in file://{lake.resolve() / REPORTS}/ (no run report of that id): the latest runs "
        f"are {NOOP}, {SECOND}, {FIRST}; list them with `python -m automation runs --lake {lake}`"
    ]


def test_rejects_after_a_no_op_names_the_last_run_that_rejected_rows(tmp_path, capsys):
    lake = a_lake(tmp_path)
    assert main(["rejects", "--lake", str(lake), "--json"]) == 0
    summary = json_of(capsys)
    assert summary["run_id"] == NOOP and summary["queried"] is False
    assert summary["last_rejecting_run"] == SECOND
    assert summary["note"] == (
        f"run {NOOP} rejected nothing: nothing changed in silver since the run before it; "
        f"the last run that rejected rows is {SECOND}"
    )
    assert main(["rejects", "--lake", str(lake)]) == 0
    assert f"its rejects: python -m automation rejects --run-id {SECOND} --lake {lake}" in capsys.readouterr().out


def test_a_gate_of_zero_is_a_gate(tmp_path, capsys):
    """A zero-tolerance run (`--max-reject-ratio 0`) that rejected 1% failed against a gate of
    0%, not the job's default 5%; its report says which gate it was judged by."""
    lake = tmp_path / "lake"
    (lake / "metastore_db").mkdir(parents=True)
    strict = RunReport(
        "local-20250302T100000Z-dddddd",
        "incremental",
        "failed",
        rows_read=1000,
        rows_rejected=10,
        plan="incremental",
        error="10 of 1,000 rows failed the quality rules, above max_reject_ratio 0.00%",
        max_reject_ratio=0.0,
    )
    write_report(lake, strict)
    assert main(["rejects", "--lake", str(lake), "--json"]) == 0
    assert json_of(capsys)["max_reject_ratio"] == 0.0
    assert main(["rejects", "--lake", str(lake)]) == 0
    shown = capsys.readouterr().out
    assert "1.00%, above the gate of 0.00%: the run failed before writing gold" in shown


def test_one_process_holds_a_lake_and_a_killed_holder_blocks_nobody(tmp_path):
    lake = tmp_path / "lake"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from automation.local import LakeLock; "
            "LakeLock(Path(sys.argv[1])).acquire('python -m automation local --lake lake'); print('held', flush=True); "
            "time.sleep(600)",
            str(lake),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LakeBusy) as refused:
            LakeLock(lake).acquire()
        assert str(refused.value).startswith(
            f"another process is using the lake {lake}: pid {holder.pid} (`python -m automation local --lake lake`, "
            "since "
        )
        assert str(refused.value).endswith("wait for it to finish, or use another --lake")
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    # The kernel let go of the killed holder's lock; its file (and details) stay behind.
    assert (lake / "lake.lock").read_text()
    lock = LakeLock(lake)
    lock.acquire()  # refused with LakeBusy if the dead holder still held it
    assert json.loads((lake / "lake.lock").read_text())["pid"] == os.getpid()
    lock.release()


def test_a_lake_another_run_creates_at_the_same_moment_is_taken_not_refused(tmp_path):
    """Two runs started at once on a new lake: both see no lake; the second to create it must
    go on to the lock (which refuses it, naming the first), not fail on the folder."""

    class CreatedMeanwhile(type(tmp_path)):  # the other run made the folder after this one looked
        def exists(self, *args, **kwargs):
            return False if self == lake else super().exists(*args, **kwargs)

    lake = CreatedMeanwhile(tmp_path / "lake")
    lake.mkdir()
    lock = LakeLock(lake)
    lock.acquire("python -m automation local --lake lake")
    assert json.loads((lake / "lake.lock").read_text())["command"] == "python -m automation local --lake lake"
    lock.release()
