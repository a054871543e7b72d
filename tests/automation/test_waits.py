"""The waits sleep through `time.sleep` looked up when they run, so a test that patches it (the
`instant_waits` fixture, tests/conftest.py) really takes the sleeping out; and the retry grace reads the clock it is
handed. A default bound when the function is defined (`sleep=time.sleep`) would make every stubbed
wait sleep for real, and these tests fail."""

from __future__ import annotations

import automation.aws.session as session
from automation.aws.deployed import Stack
from automation.aws.retries import wait_for_job_run
from automation.outputs import StackOutputs
from infra import outputs as out
from tests.stubs import FakeClock, stubbed_clients


def test_wait_for_sleeps_through_the_patched_time_sleep(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("automation.aws.session.time.sleep", slept.append)
    states = iter(["STARTING", "RUNNING", "RUNNING", "SUCCEEDED"])

    value = session.wait_for("a run", lambda: next(states), lambda s: s == "SUCCEEDED", timeout=3600)

    assert value == "SUCCEEDED"
    # Three waits between four looks, 1 s then 1.5 times longer each time.
    assert slept == [1.0, 1.5, 2.25]


def test_the_retry_grace_is_waited_on_the_clock_handed_in(monkeypatch):
    """A failed first attempt of a job that may retry: the wait looks for the retry for the whole
    grace (90 s here) on the handed-in clock, then reports the failed attempt as the last one."""

    def real_sleep(seconds):  # reached only when the handed-in sleep is ignored
        raise AssertionError(f"slept {seconds} s for real")

    monkeypatch.setattr("automation.aws.session.time.sleep", real_sleep)
    clients, (glue,) = stubbed_clients("glue")
    failed = {"Id": "jr_1", "JobName": "job", "Attempt": 0, "JobRunState": "FAILED", "ErrorMessage": "boom"}
    for _ in range(20):  # every poll of the grace: the run, then Glue's list of runs (no retry in it)
        glue.add_response("get_job_run", {"JobRun": failed}, {"JobName": "job", "RunId": "jr_1"})
        glue.add_response("get_job_runs", {"JobRuns": [failed]}, {"JobName": "job"})
    clock = FakeClock(start=1000.0)

    with glue:
        runs = wait_for_job_run(
            Stack(StackOutputs.from_values({out.JOB_NAME: "job"}, "test"), clients),
            "jr_1",
            timeout_minutes=60,
            max_attempts=2,
            retry_grace_seconds=90,
            sleep=clock.sleep,
            clock=clock,
        )

    assert [run["Id"] for run in runs] == ["jr_1"]
    # The grace was waited out on the fake clock: at least 90 s, at most one more poll (30 s) past it.
    assert 90 <= clock.elapsed <= 90 + 30
