"""`logs` of a run (`automation.aws.logs`) against CloudWatch Logs in the emulator (moto over
HTTP, the dev stack's log groups seeded from `synth --stack dev`): which streams are the run's,
which lines are ERROR lines, how many are kept, the order they are shown in, and the one
sentence for a group AWS refuses (botocore's Stubber: the emulator checks no log permissions).

Edges mutation testing found unguarded (docs/testing.md). Every expected value is written out.
"""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.stub import Stubber

from automation.aws.deployed import Stack
from automation.aws.logs import follow_driver_log, run_logs
from automation.aws.session import AwsClients, AwsError
from automation.outputs import StackOutputs
from infra import outputs as out
from tests.stubs import STUB_OUTPUTS, stubbed_stack

# CloudWatch Logs accepts events of the last 14 days only (PutLogEvents,
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html; moto
# too): an hour ago, on a whole second, in milliseconds, and a second later.
T0 = (int(time.time()) - 3600) * 1000
T1 = T0 + 1000
STUBBED_T0 = 1764151200000  # 2025-11-26T10:00:00Z (a Stubber's answer has no such limit)


def iso(millis: int) -> str:
    """`2025-11-26T10:00:00.005+00:00`: the instant in UTC to the millisecond."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000)) + f".{millis % 1000:03d}+00:00"


def emulated_stack(seeded) -> Stack:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    clients = AwsClients(session)
    for service in ("logs", "glue"):
        clients.use(service, session.client(service, endpoint_url=seeded.emulator.url))
    return Stack(StackOutputs.from_values(seeded.outputs, "emulator"), clients)


def put_events(seeded, group: str, stream: str, *events: tuple[int, str]) -> None:
    logs = seeded.emulator.client("logs")
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": t, "message": m} for t, m in events],
    )


def test_the_runs_streams_and_error_lines_are_its_own_driver_first_and_capped(aws_stack):
    error_group, output_group = aws_stack[out.JOB_ERROR_LOG_GROUP], aws_stack[out.JOB_OUTPUT_LOG_GROUP]
    put_events(
        aws_stack,
        error_group,
        "jr_abc-driver",
        (T0, "INFO SparkContext: starting"),
        (T0 + 1, "ERROR Executor: Exception in task 0.0"),
        (T0 + 2, "ERROR TaskSetManager: Task 0 failed"),
        (T0 + 3, "Traceback (most recent call last):"),
        (T0 + 4, "ValueError: bad row"),  # an Exception term's line without "Exception:": not counted
        (T1, "py4j.protocol.Py4JJavaError: java.lang.RuntimeException: boom"),
    )
    put_events(aws_stack, error_group, "jr_abc-1", (T0 + 5, "ERROR BlockManager: lost"))
    # Another run whose id begins with this one's: its streams share the prefix and are not this run's.
    put_events(aws_stack, error_group, "jr_abcd-driver", (T0, "ERROR not this run"))
    put_events(aws_stack, output_group, "jr_abc-driver", (T0 + 6, "Exception: raised in the job script"))

    found = run_logs(emulated_stack(aws_stack), {"Id": "jr_abc"}, max_error_lines=2)

    assert (found.groups, found.missing_groups, found.denied_groups) == ([error_group, output_group], [], [])
    assert [s.to_dict() for s in found.streams] == [
        {
            "group": error_group,
            "stream": "jr_abc-driver",
            "first_event": iso(T0),
            "last_event": iso(T1),
            "error_count": 4,
            "error_lines": ["ERROR Executor: Exception in task 0.0", "ERROR TaskSetManager: Task 0 failed"],
        },
        {
            "group": error_group,
            "stream": "jr_abc-1",
            "first_event": iso(T0 + 5),
            "last_event": iso(T0 + 5),
            "error_count": 1,
            "error_lines": ["ERROR BlockManager: lost"],
        },
        {
            "group": output_group,
            "stream": "jr_abc-driver",
            "first_event": iso(T0 + 6),
            "last_event": iso(T0 + 6),
            "error_count": 1,
            "error_lines": ["Exception: raised in the job script"],
        },
    ]


def test_a_group_getjobrun_names_that_does_not_exist_is_skipped_as_missing(aws_stack):
    put_events(aws_stack, aws_stack[out.JOB_ERROR_LOG_GROUP], "jr_x-driver", (T0, "INFO only"))

    found = run_logs(emulated_stack(aws_stack), {"Id": "jr_x", "LogGroupName": "/aws-glue/jobs-gone/"})

    assert found.missing_groups == ["/aws-glue/jobs-gone/error", "/aws-glue/jobs-gone/output"]
    assert found.groups == [aws_stack[out.JOB_ERROR_LOG_GROUP], aws_stack[out.JOB_OUTPUT_LOG_GROUP]]
    [driver] = found.streams
    assert (driver.stream, driver.error_count, driver.error_lines) == ("jr_x-driver", 0, [])


ERROR_GROUP, OUTPUT_GROUP = STUB_OUTPUTS[out.JOB_ERROR_LOG_GROUP], STUB_OUTPUTS[out.JOB_OUTPUT_LOG_GROUP]


def refuse(logs: Stubber, operation: str, group: str, code: str, message: str, **params: object) -> None:
    logs.add_client_error(operation, code, message, expected_params={"logGroupName": group, **params})


def test_every_group_refused_is_one_sentence_naming_them_and_the_policy_to_attach():
    stack, (logs,) = stubbed_stack(STUB_OUTPUTS, "logs")
    for group in (ERROR_GROUP, OUTPUT_GROUP):
        refuse(logs, "describe_log_streams", group, "AccessDeniedException", "no", logStreamNamePrefix="jr_1")
    with logs, pytest.raises(AwsError) as raised:
        run_logs(stack, {"Id": "jr_1"})
    assert str(raised.value) == (
        f"may not read the run's log groups {ERROR_GROUP}, {OUTPUT_GROUP}: attach the stack's operatorPolicyArn"
    )


def test_a_refusal_other_than_missing_or_denied_names_the_group_and_awss_message():
    stack, (logs,) = stubbed_stack(STUB_OUTPUTS, "logs")
    refuse(
        logs, "describe_log_streams", ERROR_GROUP, "InvalidParameterException", "bad prefix", logStreamNamePrefix="jr_1"
    )
    with logs, pytest.raises(AwsError) as raised:
        run_logs(stack, {"Id": "jr_1"})
    assert str(raised.value) == f"cannot read log group {ERROR_GROUP}: InvalidParameterException: bad prefix"


def test_following_a_group_refused_otherwise_names_it_and_a_missing_one_is_skipped():
    stack, (glue, logs) = stubbed_stack(STUB_OUTPUTS, "glue", "logs")
    job = STUB_OUTPUTS[out.JOB_NAME]
    glue.add_response(
        "get_job_run", {"JobRun": {"Id": "jr_2", "JobRunState": "RUNNING"}}, {"JobName": job, "RunId": "jr_2"}
    )
    read = {"logStreamNames": ["jr_2-driver"], "startTime": 0}
    refuse(logs, "filter_log_events", ERROR_GROUP, "ResourceNotFoundException", "gone", **read)
    refuse(logs, "filter_log_events", OUTPUT_GROUP, "ThrottlingException", "Rate exceeded", **read)
    with glue, logs, pytest.raises(AwsError) as raised:
        follow_driver_log(stack, "jr_2", print, sleep=lambda _: None)
    assert str(raised.value) == f"cannot read log group {OUTPUT_GROUP}: ThrottlingException: Rate exceeded"


def test_following_stops_at_the_deadline_while_the_run_is_still_going(monkeypatch):
    """A fake clock: the run is RUNNING throughout; a timeout of 1 minute from 1000.0 s ends the
    following at the first look past 1060.0 s, not at or before it."""
    stack, (glue, logs) = stubbed_stack(STUB_OUTPUTS, "glue", "logs")
    job = STUB_OUTPUTS[out.JOB_NAME]
    running = {"Id": "jr_3", "JobRunState": "RUNNING"}
    event = {"logStreamName": "jr_3-driver", "message": "INFO still going\n", "eventId": "1", "timestamp": STUBBED_T0}
    stream = {"logStreamNames": ["jr_3-driver"]}
    for poll in range(3):
        glue.add_response("get_job_run", {"JobRun": running}, {"JobName": job, "RunId": "jr_3"})
        after = STUBBED_T0 if poll else 0  # each poll reads on from the newest event printed
        logs.add_response(
            "filter_log_events", {"events": [event]}, {"logGroupName": ERROR_GROUP, **stream, "startTime": after}
        )
        logs.add_response("filter_log_events", {"events": []}, {"logGroupName": OUTPUT_GROUP, **stream, "startTime": 0})
    clock = iter([1000.0, 1030.0, 1060.0, 1060.5])  # the start, then one look after each poll
    monkeypatch.setattr("automation.aws.logs.time.monotonic", lambda: next(clock))
    lines: list[str] = []
    slept: list[float] = []

    with glue, logs:
        run = follow_driver_log(stack, "jr_3", lines.append, poll_seconds=5, timeout_minutes=1, sleep=slept.append)

    assert run == running
    assert lines == ["2025-11-26T10:00:00.000+00:00 INFO still going"]  # the same event, printed once
    assert slept == [5, 5]  # two polls slept after, the third gave up at the deadline
    logs.assert_no_pending_responses()


def test_following_reads_the_groups_getjobrun_names_and_keeps_same_millisecond_lines_in_order():
    """A run whose logs go to the encrypted form of the group (`LogGroupName`, "Logging for AWS Glue
    jobs", https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html); a traceback's
    lines often share their millisecond, and print in the order CloudWatch Logs gave them."""
    stack, (glue, logs) = stubbed_stack(STUB_OUTPUTS, "glue", "logs")
    job = STUB_OUTPUTS[out.JOB_NAME]
    ended = {"Id": "jr_4", "JobRunState": "FAILED", "LogGroupName": "/aws-glue/jobs-role-sc/"}
    stream = {"logStreamNames": ["jr_4-driver"]}
    lines_logged = ["Traceback (most recent call last):", '  File "job.py", line 1', "ValueError: bad"]
    events = [
        {"logStreamName": "jr_4-driver", "message": m, "eventId": str(n), "timestamp": STUBBED_T0}
        for n, m in enumerate(lines_logged)
    ]
    groups = ["/aws-glue/jobs-role-sc/error", "/aws-glue/jobs-role-sc/output", ERROR_GROUP, OUTPUT_GROUP]
    for poll in range(2):  # the run has ended: one read, then one more for late lines
        glue.add_response("get_job_run", {"JobRun": ended}, {"JobName": job, "RunId": "jr_4"})
        for group in groups:
            first = group == groups[0]
            after = STUBBED_T0 if first and poll else 0
            answer = {"events": events if first and not poll else []}
            logs.add_response("filter_log_events", answer, {"logGroupName": group, **stream, "startTime": after})
    lines: list[str] = []

    with glue, logs:
        follow_driver_log(stack, "jr_4", lines.append, sleep=lambda _: None)

    assert lines == [f"2025-11-26T10:00:00.000+00:00 {m}" for m in lines_logged]
    logs.assert_no_pending_responses()


def test_a_stream_that_logged_nothing_yet_has_no_first_or_last_event(aws_stack):
    """CreateLogStream makes a stream with no event: it has no first or last event time yet."""
    aws_stack.emulator.client("logs").create_log_stream(
        logGroupName=aws_stack[out.JOB_ERROR_LOG_GROUP], logStreamName="jr_new-driver"
    )

    [driver] = run_logs(emulated_stack(aws_stack), {"Id": "jr_new"}).streams

    assert (driver.stream, driver.first_event, driver.last_event, driver.error_count) == ("jr_new-driver", "", "", 0)


def test_following_looks_for_new_lines_every_two_seconds_and_once_more_after_the_end(monkeypatch):
    """`logs --follow` passes no pace: a line the driver logs shows on screen at most 2 s after it
    reaches CloudWatch Logs. A run RUNNING at the first look and SUCCEEDED at the second is read
    a third time for its late lines."""
    stack, (glue, logs) = stubbed_stack(STUB_OUTPUTS, "glue", "logs")
    job = STUB_OUTPUTS[out.JOB_NAME]
    stream = {"logStreamNames": ["jr_5-driver"]}
    for state in ("RUNNING", "SUCCEEDED", "SUCCEEDED"):
        glue.add_response(
            "get_job_run", {"JobRun": {"Id": "jr_5", "JobRunState": state}}, {"JobName": job, "RunId": "jr_5"}
        )
        for group in (ERROR_GROUP, OUTPUT_GROUP):
            logs.add_response("filter_log_events", {"events": []}, {"logGroupName": group, **stream, "startTime": 0})
    slept: list[float] = []
    monkeypatch.setattr("automation.aws.logs.time.sleep", slept.append)

    with glue, logs:
        run = follow_driver_log(stack, "jr_5", print)
        logs.assert_no_pending_responses()

    assert run == {"Id": "jr_5", "JobRunState": "SUCCEEDED"}
    assert slept == [2.0, 2.0]
