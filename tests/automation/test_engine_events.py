"""What a deploy, preview or destroy shows of the Pulumi engine's events (issue 25): the step
progress the CLI draws (`done` of `total`, the resource, started or finished, failed), the
engine's error lines, the change summary's line and JSON, and the steps the default provider
takes hidden as Pulumi hides them.

The events are the Pulumi SDK's own classes (`pulumi.automation.events`), built as the SDK builds
them from the engine's event log; no CLI runs (the stand-in `pulumi` drives the same code end to
end in `test_deploy.py`, marked `cli`). Every expected line and count is written out.
"""

from __future__ import annotations

import io

from pulumi.automation.events import (
    DiagnosticEvent,
    EngineEvent,
    OpType,
    PreludeEvent,
    ResOpFailedEvent,
    ResourcePreEvent,
    ResOutputsEvent,
    StdoutEngineEvent,
    StepEventMetadata,
    SummaryEvent,
)
from rich.console import Console

from automation.cli.console import ProgressDisplay, print_preview
from automation.stack.events import (
    ChangeSummary,
    DeployResult,
    EngineEvents,
    StepProgress,
    clean,
    first_line,
    is_default_provider,
    op_name,
)

PROJECT = "silver-to-gold"
PIPELINE = "silver-to-gold:index:SilverToGoldPipeline"
BUCKET = "aws:s3/bucket:Bucket"
ROLE = "aws:iam/role:Role"
JOB = "aws:glue/job:Job"
STACK_TYPE = "pulumi:pulumi:Stack"
STACK_URN = f"urn:pulumi:dev::{PROJECT}::{STACK_TYPE}::{PROJECT}-dev"
# The program's only provider is the default AWS one, which the engine names `default_<version>`.
PROVIDER_URN = f"urn:pulumi:dev::{PROJECT}::pulumi:providers:aws::default_7_51_1"


def urn(type_: str, name: str) -> str:
    """A resource of the pipeline component: its URN carries the parent's type before `$`."""
    return f"urn:pulumi:dev::{PROJECT}::{PIPELINE}${type_}::{name}"


class Engine:
    """Engine events as the SDK hands them to `on_event`: numbered, one kind each."""

    def __init__(self) -> None:
        self.sequence = 0

    def event(self, **kind: object) -> EngineEvent:
        self.sequence += 1
        return EngineEvent(sequence=self.sequence, timestamp=1764150000 + self.sequence, **kind)  # type: ignore[arg-type]

    @staticmethod
    def meta(op: str, resource_urn: str, type_: str) -> StepEventMetadata:
        return StepEventMetadata(op=OpType(op), urn=resource_urn, type=type_, provider="")

    def pre(self, op: str, resource_urn: str, type_: str) -> EngineEvent:
        return self.event(resource_pre_event=ResourcePreEvent(self.meta(op, resource_urn, type_)))

    def outputs(self, op: str, resource_urn: str, type_: str) -> EngineEvent:
        return self.event(res_outputs_event=ResOutputsEvent(self.meta(op, resource_urn, type_)))

    def failed(self, op: str, resource_urn: str, type_: str) -> EngineEvent:
        return self.event(res_op_failed_event=ResOpFailedEvent(self.meta(op, resource_urn, type_), status=1, steps=0))

    def diagnostic(self, message: str, severity: str = "error", resource_urn: str | None = None) -> EngineEvent:
        found = DiagnosticEvent(message=message, color="never", severity=severity, urn=resource_urn, prefix="error: ")
        return self.event(diagnostic_event=found)

    def summary(self, changes: dict) -> EngineEvent:
        return self.event(
            summary_event=SummaryEvent(
                maybe_corrupt=False, duration_seconds=3, resource_changes=changes, policy_packs={}
            )
        )


def feed(events: EngineEvents, *sequence: EngineEvent) -> None:
    for event in sequence:
        events(event)


def test_an_update_reports_each_step_started_and_finished_counting_done_of_the_previews_total():
    seen: list[StepProgress] = []
    events = EngineEvents(3, seen.append)
    engine = Engine()

    feed(
        events,
        engine.event(prelude_event=PreludeEvent(config={})),
        engine.pre("same", STACK_URN, STACK_TYPE),
        engine.outputs("same", STACK_URN, STACK_TYPE),
        engine.pre("create", urn(BUCKET, "silver-to-gold-lake"), BUCKET),
        engine.pre("update", urn(ROLE, "silver-to-gold-glue-role"), ROLE),
        engine.outputs("update", urn(ROLE, "silver-to-gold-glue-role"), ROLE),
        engine.outputs("create", urn(BUCKET, "silver-to-gold-lake"), BUCKET),
        engine.event(stdout_event=StdoutEngineEvent(message="Updating (dev):", color="never")),
    )

    lake, role = f"{BUCKET} silver-to-gold-lake", f"{ROLE} silver-to-gold-glue-role"
    assert seen == [
        StepProgress(0, 3, "same", f"{STACK_TYPE} {PROJECT}-dev", finished=False),
        StepProgress(1, 3, "same", f"{STACK_TYPE} {PROJECT}-dev", finished=True),
        StepProgress(1, 3, "create", lake, finished=False),
        StepProgress(1, 3, "update", role, finished=False),
        StepProgress(2, 3, "update", role, finished=True),
        StepProgress(3, 3, "create", lake, finished=True),
    ]
    assert [step.failed for step in seen] == [False] * 6
    assert events.done == 3 and events.errors == []


def test_more_steps_than_the_preview_counted_grow_the_total_instead_of_passing_it():
    """The preview is a plan: an update may take a step it did not count (a resource whose
    replacement only shows once its inputs are known); `done` never reads above `total`."""
    seen: list[StepProgress] = []
    events = EngineEvents(1, seen.append)
    engine = Engine()

    feed(
        events,
        engine.pre("create", urn(BUCKET, "lake"), BUCKET),
        engine.outputs("create", urn(BUCKET, "lake"), BUCKET),
        engine.pre("create", urn(ROLE, "role"), ROLE),
        engine.outputs("create", urn(ROLE, "role"), ROLE),
        engine.pre("create", urn(JOB, "job"), JOB),
        engine.outputs("create", urn(JOB, "job"), JOB),
    )

    assert [(step.done, step.total) for step in seen] == [(0, 1), (1, 1), (1, 1), (2, 2), (2, 2), (3, 3)]


def test_without_a_preview_the_total_is_unknown_and_shown_as_a_question_mark():
    """`preview` itself has no earlier plan: its steps count up against `?`."""
    seen: list[StepProgress] = []
    events = EngineEvents(None, seen.append)
    engine = Engine()
    printed = io.StringIO()
    display = ProgressDisplay(Console(file=printed, force_terminal=False, width=200))

    for event in (
        engine.pre("create", urn(BUCKET, "lake"), BUCKET),
        engine.outputs("create", urn(BUCKET, "lake"), BUCKET),
        engine.pre("create", urn(ROLE, "role"), ROLE),
        engine.outputs("create", urn(ROLE, "role"), ROLE),
    ):
        events(event)
        display(seen[-1])

    assert [(step.done, step.total) for step in seen] == [(0, None), (1, None), (1, None), (2, None)]
    assert printed.getvalue().splitlines() == [
        f"[1/?] created  {BUCKET} lake",
        f"[2/?] created  {ROLE} role",
    ]


def test_the_lines_a_log_shows_of_an_update_that_fails_on_one_resource():
    """Without a terminal the CLI prints one line per finished change and one per failure; the
    engine's diagnostic names the resource and its first line, its `error: ` prefix dropped."""
    seen: list[StepProgress] = []
    events = EngineEvents(2, seen.append)
    engine = Engine()
    printed = io.StringIO()
    display = ProgressDisplay(Console(file=printed, force_terminal=False, width=200))
    job = urn(JOB, "job-transform-silver-to-gold")

    for event in (
        engine.pre("create", urn(BUCKET, "lake"), BUCKET),
        engine.outputs("create", urn(BUCKET, "lake"), BUCKET),
        engine.pre("create", job, JOB),
        engine.diagnostic(
            "error: creating Glue Job (job-transform-silver-to-gold): AccessDeniedException: not authorized\n"
            "\tstatus code: 400, request id: 1b2c\n",
            resource_urn=job,
        ),
        engine.failed("create", job, JOB),
    ):
        before = len(seen)
        events(event)
        for step in seen[before:]:
            display(step)

    assert seen[-1] == StepProgress(1, 2, "create", f"{JOB} job-transform-silver-to-gold", finished=True, failed=True)
    assert printed.getvalue().splitlines() == [
        f"[1/2] created  {BUCKET} lake",
        f"[1/2] failed   create {JOB} job-transform-silver-to-gold",
    ]
    assert events.errors == [
        f"{JOB} job-transform-silver-to-gold: creating Glue Job (job-transform-silver-to-gold): "
        "AccessDeniedException: not authorized"
    ]
    assert events.done == 1


def test_a_failed_program_is_named_by_its_exception_not_the_stack_resource():
    """A Python program's unhandled exception arrives on the stack resource as "Program failed"
    plus its traceback: the user reads the exception, without the stack's own name before it."""
    events = EngineEvents(None, None)
    engine = Engine()
    message = (
        "Program failed with an unhandled exception:\n"
        "Traceback (most recent call last):\n"
        '  File "/project/__main__.py", line 12, in <module>\n'
        "    settings = load_settings()\n"
        "ValueError: workers must be at least 2, got 1\n"
    )

    events(engine.diagnostic(message, resource_urn=STACK_URN))

    assert events.errors == ["ValueError: workers must be at least 2, got 1"]


def test_an_error_on_the_stack_resource_without_a_traceback_is_its_first_line():
    events = EngineEvents(None, None)
    events(
        Engine().diagnostic(
            "error: an unhandled error occurred: Program exited with non-zero exit code: 1\nmore detail\n",
            resource_urn=STACK_URN,
        )
    )

    assert events.errors == ["an unhandled error occurred: Program exited with non-zero exit code: 1"]


def test_an_error_with_no_resource_is_its_message_alone_and_ansi_colours_are_dropped():
    events = EngineEvents(None, None)
    engine = Engine()

    feed(
        events,
        engine.diagnostic("\x1b[31merror: \x1b[0mthe stack is locked\n"),
        engine.diagnostic("<{%reset%}>no colour codes here<{%reset%}>\n\n"),
        engine.diagnostic("  \n  \n"),
    )

    assert events.errors == ["the stack is locked", "no colour codes here"]


def test_warnings_and_info_are_not_errors():
    events = EngineEvents(None, None)
    engine = Engine()

    feed(
        events,
        engine.diagnostic(
            "warning: aws:s3/bucket:Bucket is deprecated", severity="warning", resource_urn=urn(BUCKET, "l")
        ),
        engine.diagnostic("error: looks like one", severity="info", resource_urn=urn(BUCKET, "l")),
        engine.diagnostic("error: written to stderr", severity="info#err"),
    )

    assert events.errors == []


def test_a_resource_named_with_colons_keeps_its_whole_name():
    """A URN's name is everything after its third `::` (pulumi/pulumi
    sdk/go/common/resource/urn/urn.go, `URN.Name`: the open last component), so a name may
    itself hold `::`."""
    seen: list[StepProgress] = []
    events = EngineEvents(1, seen.append)
    engine = Engine()
    named = urn(BUCKET, "lake::archive")

    feed(events, engine.pre("create", named, BUCKET), engine.diagnostic("error: refused\n", resource_urn=named))

    assert seen == [StepProgress(0, 1, "create", f"{BUCKET} lake::archive", finished=False)]
    assert events.errors == [f"{BUCKET} lake::archive: refused"]
    assert events.summary("dev").steps == (("create", BUCKET, "lake::archive"),)


def test_a_resource_two_components_deep_is_named_by_its_own_type():
    """A child's URN qualifies its type with every ancestor component's, each before a `$`
    (pulumi/pulumi sdk/go/common/resource/urn/urn.go, `New` and `URN.Type`: the part after the
    last `$`): the Glue job sits in the pipeline's GlueJob component."""
    seen: list[StepProgress] = []
    events = EngineEvents(1, seen.append)
    engine = Engine()
    nested = f"urn:pulumi:dev::{PROJECT}::{PIPELINE}$silver-to-gold:index:GlueJob${JOB}::silver-to-gold-job-job"

    feed(
        events,
        engine.pre("update", nested, JOB),
        engine.diagnostic("error: updating Glue Job: ValidationException\n", resource_urn=nested),
        engine.failed("update", nested, JOB),
    )

    assert [step.resource for step in seen] == [f"{JOB} silver-to-gold-job-job"] * 2
    assert events.errors == [f"{JOB} silver-to-gold-job-job: updating Glue Job: ValidationException"]
    assert events.summary("dev").steps == (("update", JOB, "silver-to-gold-job-job"),)


def test_a_step_without_a_urn_is_named_by_its_type():
    """The SDK reads a step's missing `urn` as "" (StepEventMetadata.from_json): the step still
    reads as its type, for each kind of step event."""
    seen: list[StepProgress] = []
    events = EngineEvents(2, seen.append)
    engine = Engine()

    feed(
        events,
        engine.pre("create", "", BUCKET),
        engine.outputs("create", "", BUCKET),
        engine.pre("update", "", ROLE),
        engine.failed("update", "", ROLE),
    )

    assert [(step.op, step.resource, step.finished, step.failed) for step in seen] == [
        ("create", f"{BUCKET} ", False, False),
        ("create", f"{BUCKET} ", True, False),
        ("update", f"{ROLE} ", False, False),
        ("update", f"{ROLE} ", True, True),
    ]
    assert events.summary("dev").steps == (("create", BUCKET, ""), ("update", ROLE, ""))


def test_the_default_providers_steps_are_neither_shown_nor_counted():
    """The engine treats a default provider's step as internal (see `is_default_provider`): the
    CLI shows only the program's own resources, and `done` counts only theirs."""
    seen: list[StepProgress] = []
    events = EngineEvents(1, seen.append)
    engine = Engine()
    provider_type = "pulumi:providers:aws"

    feed(
        events,
        engine.pre("create", PROVIDER_URN, provider_type),
        engine.outputs("create", PROVIDER_URN, provider_type),
        engine.pre("create", urn(BUCKET, "lake"), BUCKET),
        engine.outputs("create", urn(BUCKET, "lake"), BUCKET),
        engine.pre("delete", PROVIDER_URN, provider_type),
        engine.failed("delete", PROVIDER_URN, provider_type),
    )

    assert seen == [
        StepProgress(0, 1, "create", f"{BUCKET} lake", finished=False),
        StepProgress(1, 1, "create", f"{BUCKET} lake", finished=True),
    ]
    assert events.summary("dev").steps == (("create", BUCKET, "lake"),)


def test_which_steps_are_the_default_providers():
    assert is_default_provider(PROVIDER_URN) is True
    assert is_default_provider(f"urn:pulumi:dev::{PROJECT}::pulumi:providers:aws::default") is True
    # a provider the program declares itself is a resource like any other
    assert is_default_provider(f"urn:pulumi:dev::{PROJECT}::pulumi:providers:aws::eu-west-1") is False
    # and so is a resource whose name starts with "default"
    assert is_default_provider(urn(BUCKET, "default-bucket")) is False
    assert is_default_provider("") is False


def test_only_creates_updates_replaces_and_deletes_are_listed_as_changes():
    events = EngineEvents(None, None)
    engine = Engine()

    feed(
        events,
        engine.pre("same", urn(BUCKET, "lake"), BUCKET),
        engine.pre("read", urn(BUCKET, "existing"), BUCKET),
        engine.pre("refresh", urn(ROLE, "role"), ROLE),
        engine.pre("create", urn(JOB, "job"), JOB),
        engine.pre("replace", urn(ROLE, "role"), ROLE),
        engine.pre("create-replacement", urn(ROLE, "role"), ROLE),
        engine.pre("delete-replaced", urn(ROLE, "role"), ROLE),
        engine.pre("update", urn(BUCKET, "lake"), BUCKET),
        engine.pre("delete", urn(BUCKET, "old"), BUCKET),
    )

    assert events.summary("dev").steps == (
        ("create", JOB, "job"),
        ("replace", ROLE, "role"),
        ("update", BUCKET, "lake"),
        ("delete", BUCKET, "old"),
    )


def test_the_summary_counts_are_the_engines_own_by_operation():
    """The engine's summary event is the count: string keys as the SDK reads them from the
    event log (SummaryEvent.from_json keeps them), or the SDK's OpType."""
    events = EngineEvents(None, None)
    engine = Engine()
    assert events.counts is None  # no summary yet: `automation_api` falls back to the command's result

    feed(events, engine.summary({"create": 2, "same": 31}))
    assert events.counts == {"create": 2, "same": 31}

    feed(events, engine.summary({OpType.CREATE: 1, OpType.UPDATE: 4, OpType.SAME: 9}))
    summary = events.summary("prod")
    assert summary.counts == {"create": 1, "update": 4, "same": 9}
    assert summary.stack == "prod"
    assert (summary.total, summary.changes) == (14, 5)


def test_no_summary_event_gives_empty_counts():
    summary = EngineEvents(None, None).summary("dev")
    assert summary == ChangeSummary("dev", {}, ())
    assert summary.line() == "0 to create, 0 to update, 0 to replace, 0 to delete, 0 unchanged"


def test_op_names_are_the_engines_words():
    assert [op_name(op) for op in (OpType.CREATE, OpType.CREATE_REPLACEMENT, "delete")] == [
        "create",
        "create-replacement",
        "delete",
    ]


def test_the_change_summary_line_before_and_after():
    summary = ChangeSummary("dev", {"same": 31, "create": 2, "update": 1, "read": 1}, (("create", BUCKET, "lake"),))

    assert summary.line() == "2 to create, 1 to update, 0 to replace, 0 to delete, 31 unchanged"
    assert summary.line(done=True) == "2 created, 1 updated, 0 replaced, 0 deleted, 31 unchanged"
    assert ChangeSummary("dev", {"replace": 3, "delete": 5}).line(done=True) == (
        "0 created, 0 updated, 3 replaced, 5 deleted, 0 unchanged"
    )
    assert (summary.count("create"), summary.count("delete"), summary.count("read")) == (2, 0, 1)
    assert (summary.total, summary.changes) == (35, 3)


def test_the_preview_as_printed():
    summary = ChangeSummary("dev", {"create": 1, "same": 2}, (("create", BUCKET, "lake"),))
    printed = io.StringIO()

    print_preview(Console(file=printed, force_terminal=False, width=200), summary)

    assert printed.getvalue().splitlines() == [
        "Preview of stack 'dev': 1 to create, 0 to update, 0 to replace, 0 to delete, 2 unchanged",
        f"  create   {BUCKET} lake",
    ]


def test_the_change_summary_as_json_lists_counts_by_name_and_every_changing_step():
    summary = ChangeSummary(
        "dev", {"update": 1, "create": 2, "same": 5}, (("create", BUCKET, "lake"), ("update", ROLE, "r"))
    )

    document = summary.to_dict()

    assert document == {
        "stack": "dev",
        "changes": {"create": 2, "same": 5, "update": 1},
        "steps": [{"op": "create", "type": BUCKET, "name": "lake"}, {"op": "update", "type": ROLE, "name": "r"}],
    }
    assert list(document["changes"]) == ["create", "same", "update"]


def test_a_deploy_as_json_shows_the_update_s_own_changes_once_applied():
    planned = ChangeSummary("dev", {"create": 2, "same": 5})
    done = ChangeSummary("dev", {"create": 1, "same": 5})

    applied = DeployResult(planned, applied=True, outputs={"jobName": "job"}, result=done)
    declined = DeployResult(planned, applied=False)

    assert applied.to_dict() == {
        "stack": "dev",
        "applied": True,
        "preview": {"create": 2, "same": 5},
        "changes": {"create": 1, "same": 5},
        "outputs": {"jobName": "job"},
    }
    assert declined.to_dict() == {
        "stack": "dev",
        "applied": False,
        "preview": {"create": 2, "same": 5},
        "changes": {"create": 2, "same": 5},
        "outputs": {},
    }


def test_clean_and_first_line():
    assert clean("\x1b[1;31mfailed\x1b[0m <{%fg 1%}>here<{%reset%}>") == "failed here"
    assert clean(None) == ""  # type: ignore[arg-type]
    assert first_line("\n   \n  first one  \nsecond\n") == "first one"
    assert first_line("") == ""
    assert first_line("\x1b[0m\n\n") == ""
