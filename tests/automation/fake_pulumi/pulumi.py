#!/usr/bin/env python3
"""A stand-in `pulumi` executable for testing the Automation API layer without the Pulumi CLI.

The test copies this file as `pulumi` into a temporary folder first on PATH. It answers
the commands `pulumi.automation` 3.272 sends (read from the SDK's `_cmd.py`,
`_local_workspace.py`, `_stack.py`), from a state file the test writes:

    FAKE_PULUMI_STATE  JSON: {"version": "v3.272.0", "current": null,
                        "stacks": {"dev": {"deployed": true, "outputs": {...}, "config": {}}},
                        "resources": [{"type": ..., "name": ..., "parent": ...}],
                        "template_outputs": {...}, "scenario": {...}}
    FAKE_PULUMI_LOG    every invocation appended as one JSON line {"argv", "cwd", "env"}

Engine events go where `--event-log` says, as the real CLI sends them: to a gRPC
`pulumirpc.Events/StreamEvents` server for `tcp://host:port` (CLI > 3.205), else appended
to a file as JSON lines; shapes as in `pulumi/automation/events.py`. Scenario keys:
`fail_at` (a resource name, or pulumi:pulumi:Stack for the program itself) and
`fail_message` make `up` fail there; `changed` (resource names) are updates; `locked`
refuses every operation as a locked stack does; `step_delay` (seconds) slows every step.
A command not listed exits 2 with "unsupported command", so a test sees an SDK command it
did not expect. Only grpcio is imported (no pulumi), and only for tcp event logs.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

PROJECT = "silver-to-gold"
AWS_PROVIDER = "pulumi:providers:aws::default_7_51_1"
NOT_FOUND = 255


def main(argv: list[str]) -> int:
    _record(argv)
    state = _load()
    args = [a for a in argv if a != "--non-interactive"]
    if args[:1] == ["version"]:
        print(state.get("version", "v3.272.0"))
        return 0
    if args[:1] == ["whoami"]:
        print("fake-user")
        return 0
    stack = _flag(args, "--stack")
    if args[:2] == ["stack", "select"]:
        name = stack or args[2]
        if name not in state["stacks"]:
            return _no_stack(name)
        state["current"] = name
        _save(state)
        return 0
    if args[:2] == ["stack", "init"]:
        name = args[2]
        if name in state["stacks"]:
            print(f"error: stack '{name}' already exists", file=sys.stderr)
            return NOT_FOUND
        state["stacks"][name] = {"deployed": False, "outputs": {}, "config": {}, "history": []}
        state["current"] = name
        _save(state)
        return 0
    if args[:2] == ["stack", "ls"] and "--json" in args:
        print(json.dumps([_summary(state, name) for name in sorted(state["stacks"])], indent=4))
        return 0
    if stack is not None and stack not in state["stacks"]:
        return _no_stack(stack)
    if args[:2] == ["stack", "output"] and "--json" in args:
        outputs = state["stacks"][stack]["outputs"]
        secrets = set(state["stacks"][stack].get("secret_outputs", []))
        if "--show-secrets" not in args:
            outputs = {key: "[secret]" if key in secrets else value for key, value in outputs.items()}
        print(json.dumps(outputs, indent=2, sort_keys=True, ensure_ascii=False))
        return 0
    if args[:2] == ["stack", "history"] and "--json" in args:
        history = list(reversed(state["stacks"][stack].get("history", [])))
        size = _flag(args, "--page-size")
        print(json.dumps(history[: int(size)] if size else history, indent=4))
        return 0
    if args[:2] == ["config", "set-all"]:
        config = state["stacks"][stack]["config"]
        for i, arg in enumerate(args):
            if arg in ("--plaintext", "--secret"):
                key, _, value = args[i + 1].partition("=")
                config[key if ":" in key else f"{PROJECT}:{key}"] = value
        _save(state)
        return 0
    if args[:1] == ["preview"]:
        return _preview(state, stack, args)
    if args[:1] == ["up"] and "--yes" in args and "--skip-preview" in args:
        return _update(state, stack, args)
    if args[:1] == ["destroy"] and "--yes" in args and "--skip-preview" in args:
        return _destroy(state, stack, args)
    print(f"error: fake pulumi: unsupported command: {' '.join(argv)}", file=sys.stderr)
    return 2


# --- state ------------------------------------------------------------------------------


def _record(argv: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k.startswith("PULUMI_")}
    with open(os.environ["FAKE_PULUMI_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps({"argv": argv, "cwd": os.getcwd(), "env": env}) + "\n")


def _load() -> dict:
    with open(os.environ["FAKE_PULUMI_STATE"], encoding="utf-8") as f:
        return json.load(f)


def _save(state: dict) -> None:
    with open(os.environ["FAKE_PULUMI_STATE"], "w", encoding="utf-8") as f:
        json.dump(state, f, indent=2)


def _flag(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None


def _no_stack(name: str) -> int:
    print(f"error: no stack named '{name}' found", file=sys.stderr)
    return NOT_FOUND


def _summary(state: dict, name: str) -> dict:
    stack = state["stacks"][name]
    summary = {"name": name, "current": state.get("current") == name, "updateInProgress": False}
    if stack.get("history"):
        summary["lastUpdate"] = stack["history"][-1]["endTime"]
        summary["resourceCount"] = len(_resources(state)) if stack["deployed"] else 0
    return summary


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


def _history(stack: dict, kind: str, result: str, changes: dict[str, int], started: str) -> None:
    stack.setdefault("history", []).append(
        {
            "version": len(stack.get("history", [])) + 1,
            "kind": kind,
            "startTime": started,
            "endTime": _now(),
            "message": "",
            "environment": {"exec.kind": "auto.local"},
            "config": {key: {"value": value, "secret": False} for key, value in stack["config"].items()},
            "result": result,
            "resourceChanges": changes,
        }
    )


# --- the engine -------------------------------------------------------------------------


def _resources(state: dict) -> list[dict]:
    """Registration order: the stack, the default provider, then the program's resources."""
    return [{"type": "pulumi:pulumi:Stack", "name": None}, {"type": AWS_PROVIDER, "name": None}, *state["resources"]]


def _urn(stack: str, resource: dict) -> str:
    if resource["type"] == "pulumi:pulumi:Stack":
        return f"urn:pulumi:{stack}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{stack}"
    if resource["type"] == AWS_PROVIDER:
        return f"urn:pulumi:{stack}::{PROJECT}::{AWS_PROVIDER}"
    qualified = f"{resource['parent']}${resource['type']}" if resource.get("parent") else resource["type"]
    return f"urn:pulumi:{stack}::{PROJECT}::{qualified}::{resource['name']}"


def _metadata(stack: str, resource: dict, op: str) -> dict:
    urn = _urn(stack, resource)
    type_ = "pulumi:providers:aws" if resource["type"] == AWS_PROVIDER else resource["type"]
    custom = type_ != "pulumi:pulumi:Stack" and not type_.startswith(f"{PROJECT}:")
    state = {"type": type_, "urn": urn, "custom": custom, "inputs": {}, "outputs": {}}
    return {
        "op": op,
        "urn": urn,
        "type": type_,
        "provider": f"urn:pulumi:{stack}::{PROJECT}::{AWS_PROVIDER}::id" if custom and "providers" not in type_ else "",
        "old": state if op in ("same", "update", "delete") else None,
        "new": state if op in ("same", "update", "create") else None,
    }


class _Events:
    """Engine events to the `--event-log` target: a gRPC server (tcp://) or a file."""

    def __init__(self, target: str | None):
        self.sequence = 0
        self.file = None
        self.queue = None
        if target is None:
            return
        if target.startswith("tcp://"):
            import queue
            import threading

            import grpc

            self.queue = queue.Queue()
            channel = grpc.insecure_channel(target[len("tcp://") :])
            stream = channel.stream_unary(
                "/pulumirpc.Events/StreamEvents", request_serializer=_event_request, response_deserializer=bytes
            )
            self.call = threading.Thread(target=stream, args=(iter(self.queue.get, None),))
            self.call.start()
        else:
            self.file = open(target, "a", encoding="utf-8")  # noqa: SIM115 closed in close()

    def send(self, **event) -> None:
        self.sequence += 1
        line = json.dumps({"sequence": self.sequence, "timestamp": int(time.time()), **event})
        if self.queue is not None:
            self.queue.put(line)
        elif self.file is not None:
            self.file.write(line + "\n")
            self.file.flush()

    def close(self) -> None:
        self.send(cancelEvent={})
        if self.queue is not None:
            self.queue.put(None)
            self.call.join(10)
        elif self.file is not None:
            self.file.close()


def _event_request(event: str) -> bytes:
    """`pulumirpc.EventRequest{string event = 1}` in protobuf wire format."""
    data = event.encode("utf-8")
    length, size = bytearray(), len(data)
    while True:
        byte, size = size & 0x7F, size >> 7
        length.append(byte | (0x80 if size else 0))
        if not size:
            break
    return b"\x0a" + bytes(length) + data


class _Interrupted(Exception):
    pass


def _on_sigint(signum, frame):  # as the real CLI: finish the step in flight, then stop
    raise _Interrupted


def _run(state: dict, stack: str, args: list[str], kind: str) -> int:
    """Emit a preview, update or destroy, step by step; return the exit code."""
    signal.signal(signal.SIGINT, _on_sigint)
    scenario = state.get("scenario", {})
    if scenario.get("locked"):
        print(
            "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
            "or delete the lock file with `pulumi cancel`.",
            file=sys.stderr,
        )
        return 255
    record = state["stacks"][stack]
    started = _now()
    events = _Events(_flag(args, "--event-log"))
    planning = kind == "preview"
    label = {"preview": "Previewing update", "update": "Updating", "destroy": "Destroying"}[kind]
    print(f"{label} ({stack}):")
    events.send(preludeEvent={"config": record["config"]})
    if kind == "destroy":
        steps = [(r, "delete") for r in reversed(_resources(state))] if record["deployed"] else []
    else:
        op = "same" if record["deployed"] and not scenario.get("changed") else "create"
        steps = [(r, "update" if r.get("name") in scenario.get("changed", []) else op) for r in _resources(state)]
    counts: dict[str, int] = {}
    failed = interrupted = False
    try:
        for resource, op in steps:
            meta = _metadata(stack, resource, op)
            events.send(resourcePreEvent={"metadata": meta, "planning": planning})
            time.sleep(float(scenario.get("step_delay", 0)))
            if kind == "update" and scenario.get("fail_at") in (resource.get("name"), resource["type"]):
                message = scenario["fail_message"]
                diagnostic = {"urn": meta["urn"], "prefix": "error: ", "message": message + "\n"}
                events.send(diagnosticEvent={**diagnostic, "color": "never", "severity": "error"})
                if resource["type"] == "pulumi:pulumi:Stack":  # the program itself failed: the language host says so
                    print(f"    pulumi:pulumi:Stack {PROJECT}-{stack} **failed**\n    error: {message}")
                else:
                    events.send(resOpFailedEvent={"metadata": meta, "status": 1, "steps": 0})
                    print(f"    {meta['type']} {resource['name']} **{op} failed** error: {message}")
                failed = True
                break
            counts[op] = counts.get(op, 0) + 1
            events.send(resOutputsEvent={"metadata": meta, "planning": planning})
            print(f"    {meta['type']} {resource.get('name') or ''} {op}")
    except _Interrupted:
        interrupted = True
        print("^C received; cancelling the current operation...")
    summary = {"maybeCorrupt": False, "durationSeconds": 1, "resourceChanges": counts, "PolicyPacks": {}}
    events.send(summaryEvent=summary)
    events.close()
    if kind != "preview":
        _history(record, kind, "failed" if failed or interrupted else "succeeded", counts, started)
        if kind == "update" and not interrupted:
            record["deployed"] = True
            record["outputs"] = record.get("outputs") or state["template_outputs"]
        if kind == "destroy" and not interrupted:
            record["deployed"] = False
            record["outputs"] = {}
        _save(state)
    if interrupted:
        print(f"error: {kind} canceled", file=sys.stderr)
        return 255
    if failed:
        print("error: update failed", file=sys.stderr)
        return 255
    print("Resources:\n    " + ", ".join(f"{n} {op}" for op, n in counts.items()))
    return 0


def _preview(state: dict, stack: str, args: list[str]) -> int:
    return _run(state, stack, args, "preview")


def _update(state: dict, stack: str, args: list[str]) -> int:
    return _run(state, stack, args, "update")


def _destroy(state: dict, stack: str, args: list[str]) -> int:
    return _run(state, stack, args, "destroy")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
