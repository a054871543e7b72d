"""The Pulumi program rendered offline (`python -m automation synth --stack NAME`).

Runs the real program under Pulumi's mock runtime with `Pulumi.<stack>.yaml`, with no AWS
account and no Pulumi CLI, and records every resource the program declares: type token,
name and inputs under the engine's property names. The mocks answer with realistic ids
and ARNs (account 123456789012) so rendered policies read as they would be deployed.
Pulumi's runtime state is global: run one synth per process.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from automation.stack.config import PROJECT_DIR, project_config, stack_file, stack_file_config
from etl.errors import PipelineError
from infra.settings import PROJECT, Settings, settings_from_config

ACCOUNT = "123456789012"
# When the mocks say the Glue role was created (IAM CreateDate, RFC 3339): the freshness
# alarm's starting point in a rendering.
ROLE_CREATED = "2026-11-24T09:30:00Z"


class SynthError(PipelineError):
    """The stack cannot be rendered (unknown stack, unreadable config)."""


def read_stack_config(stack: str, root: Path = PROJECT_DIR) -> tuple[dict[str, Any], str | None]:
    """The project config keys and `aws:region` of `Pulumi.<stack>.yaml`, which must exist."""
    path = stack_file(stack, root)
    if not path.exists():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise SynthError(f"unknown stack {stack!r}: no {path.name} (known stacks: {', '.join(known)})")
    return project_config(stack_file_config(stack, root))


def mock_state(resource_type: str, name: str, inputs: dict, region: str) -> dict[str, Any]:
    """Realistic ids and ARNs for the resource types the program declares."""
    service = resource_type.split(":")[1].split("/")[0]
    physical = inputs.get("name") or name
    if resource_type == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or f"{inputs.get('bucketPrefix', name)}20261124abcdef"
        return {"id": bucket, "bucket": bucket, "arn": f"arn:aws:s3:::{bucket}"}
    if resource_type == "aws:kms/key:Key":
        key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{region}/{name}"))
        return {"id": key_id, "keyId": key_id, "arn": f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"}
    if resource_type == "aws:kms/alias:Alias":
        return {"id": physical, "arn": f"arn:aws:kms:{region}:{ACCOUNT}:{physical}"}
    if resource_type == "aws:iam/policy:Policy":  # a managed policy's id is its ARN
        arn = f"arn:aws:iam::{ACCOUNT}:policy/{physical}"
        return {"id": arn, "name": physical, "arn": arn}
    if resource_type == "aws:iam/role:Role":
        arn = f"arn:aws:iam::{ACCOUNT}:role/{physical}"
        return {"id": physical, "name": physical, "arn": arn, "createDate": ROLE_CREATED}
    if service == "iam":
        return {"id": physical, "name": physical, "arn": f"arn:aws:iam::{ACCOUNT}:role/{physical}"}
    if service == "sns" and resource_type.endswith(":Topic"):
        return {
            "id": f"arn:aws:sns:{region}:{ACCOUNT}:{physical}",
            "arn": f"arn:aws:sns:{region}:{ACCOUNT}:{physical}",
            "name": physical,
        }
    if service == "cloudwatch" and resource_type.endswith(":LogGroup"):
        return {"id": physical, "arn": f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{physical}"}
    if service == "cloudwatch" and resource_type.endswith(":EventRule"):
        return {"id": physical, "name": physical, "arn": f"arn:aws:events:{region}:{ACCOUNT}:rule/{physical}"}
    if service == "glue":
        kind = resource_type.rsplit(":", 1)[1].lower()
        return {"id": physical, "arn": f"arn:aws:glue:{region}:{ACCOUNT}:{kind}/{physical}"}
    if service == "athena" and resource_type.endswith(":Workgroup"):
        return {"id": physical, "arn": f"arn:aws:athena:{region}:{ACCOUNT}:workgroup/{physical}"}
    if service == "athena":
        return {"id": f"{physical}-0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7"}
    return {"id": f"{name}-id"}


def plain(value: Any, root: Path = PROJECT_DIR) -> Any:
    """An input as JSON can show it: a file asset or archive as its path (relative to the
    project) and the SHA-256 of its bytes, so two renderings differ exactly when the bytes do."""
    import pulumi

    if isinstance(value, (pulumi.FileAsset, pulumi.FileArchive)):
        path = Path(value.path)
        shown = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        kind = "asset" if isinstance(value, pulumi.FileAsset) else "archive"
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        return {kind: shown, "sha256": digest}
    if isinstance(value, pulumi.StringAsset):
        return {"asset": "text", "sha256": hashlib.sha256(value.text.encode()).hexdigest()}
    if isinstance(value, (pulumi.RemoteAsset, pulumi.RemoteArchive)):
        return {"remote": value.uri}
    if isinstance(value, dict):
        return {key: plain(item, root) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item, root) for item in value]
    return value


@dataclass(frozen=True)
class Rendering:
    """What the program declares: resources sorted by type and name (the mock runtime registers
    them concurrently, so the order they arrive in changes from run to run), and the outputs."""

    resources: list[dict[str, Any]]
    outputs: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"resources": self.resources, "outputs": self.outputs}


def render(settings: Settings, config: dict[str, Any]) -> Rendering:
    """Run the program under mocks; return its resources ({type, name, urn, inputs}) and outputs.

    A resource's URN holds its parent's type: `urn:pulumi:<stack>::<project>::<parent
    type>$<type>::<name>` (pulumi/pulumi sdk/go/common/resource/urn; the engine's
    `generateURN` in pkg/resource/deploy/deployment.go prefixes the parent's qualified type, the
    root stack's left out). So a change of parent or of a component's type token gives every
    child a new URN, a resource the engine has never seen, which it creates while deleting the
    old one. The URNs recorded here are the mock monitor's, which prefix only the immediate
    parent's type (and `pulumi:pulumi:Stack` on the top component)."""
    import pulumi
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from infra.program import define

    resources: list[dict[str, Any]] = []

    class RecordingMocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            inputs = dict(args.inputs)
            resources.append({"type": args.typ, "name": args.name, "inputs": plain(inputs)})
            state = mock_state(args.typ, args.name, inputs, settings.region)
            return state["id"], {**inputs, **state}

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
            # (result, check failures): the form `Mocks.call` declares; no call here fails.
            if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
                identity = {
                    "accountId": ACCOUNT,
                    "arn": f"arn:aws:iam::{ACCOUNT}:user/synth",
                    "userId": "AIDASYNTH",
                    "id": ACCOUNT,
                }
                return identity, []
            return {}, []

    monitor = MockMonitor(RecordingMocks())
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=settings.stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(
        {f"{PROJECT}:{k}": str(v) for k, v in config.items()} | {"aws:region": settings.region}
    )
    outputs: dict[str, Any] = {}

    def program() -> None:
        pipeline = define(settings)
        # Resolved with the mocks' values, as `pulumi stack output --json` would print them.
        pulumi.Output.all(**pipeline.outputs).apply(outputs.update)

    _sync_await(run_pulumi_func(program))
    urns = {}
    for urn in monitor.get_registered_resources():  # urn:pulumi:<stack>::<project>::<parent$type>::<name>
        _, _, qualified_type, name = urn.split("::", 3)
        urns[qualified_type.split("$")[-1], name] = urn
    for resource in resources:
        resource["urn"] = urns[resource["type"], resource["name"]]
    ordered = sorted(resources, key=lambda r: (r["type"], r["name"]))
    return Rendering(ordered, dict(sorted(outputs.items())))


def synth(stack: str, root: Path = PROJECT_DIR) -> tuple[Settings, Rendering]:
    """The stack's validated settings and its rendering under mocks, from `root`'s stack file.

    Raises:
        PipelineError: an unknown stack, unreadable config or a bad setting, in one line.
    """
    config, region = read_stack_config(stack, root)
    settings = settings_from_config(stack, config, region)
    return settings, render(settings, config)
