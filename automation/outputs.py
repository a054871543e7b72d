"""A deployed stack's outputs, from an outputs file or from the Pulumi stack itself.

`--outputs-file FILE` is the JSON `pulumi stack output --json` prints (for CI and machines
without the Pulumi CLI), or the JSON of `python -m automation synth --json` (its "outputs");
`--stack NAME` reads the same outputs through the Automation API, with the reader the CLI
hands in (`automation.stack.stack_outputs`): this module sits below
both `automation.aws` and `automation.stack` and imports neither. Output names are the
constants of `infra.outputs`. Verbs ask for every output they need before touching AWS, so
a missing one stops a verb before it changes anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from etl.errors import PipelineError


class OutputsError(PipelineError):
    """The stack outputs cannot be read, or lack one a verb needs."""


@dataclass(frozen=True)
class StackOutputs:
    """Stack outputs by name, and where they came from (for messages)."""

    values: Mapping[str, Any]
    source: str

    def require(self, *names: str) -> None:
        """Fail naming the first output missing (or empty) among `names`.

        Raises:
            OutputsError: `stack outputs from SOURCE lack 'jobName'`.
        """
        for name in names:
            value = self.values.get(name)
            if value is None or value == "":
                raise OutputsError(
                    f"stack outputs from {self.source} lack {name!r}: redeploy the stack "
                    "(pulumi up) or regenerate the file with `pulumi stack output --json`"
                )

    def __getitem__(self, name: str) -> Any:
        self.require(name)
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value is None or value == "" else value

    def has(self, name: str) -> bool:
        return self.get(name) is not None

    def uri(self, name: str) -> str:
        """An `s3://` URI output, with one trailing slash."""
        value = str(self[name])
        if not value.startswith("s3://"):
            raise OutputsError(f"stack output {name!r} from {self.source} is not an s3:// URI: {value!r}")
        return value.rstrip("/") + "/"


def load_outputs_file(path: Path) -> StackOutputs:
    """Read `pulumi stack output --json`'s JSON.

    Raises:
        OutputsError: the file is missing, not JSON, or not one JSON object.
    """
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise OutputsError(f"cannot read the outputs file {path}: {error.strerror or error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise OutputsError(
            f"the outputs file {path} is not JSON ({error.msg} at line {error.lineno}): "
            "write it with `pulumi stack output --json > FILE`"
        ) from None
    if not isinstance(document, dict):
        raise OutputsError(f"the outputs file {path} holds a JSON {type(document).__name__}, not an object of outputs")
    if isinstance(document.get("outputs"), dict) and isinstance(document.get("resources"), list):
        document = document["outputs"]  # `python -m automation synth --json`: its outputs sit under "outputs"
    return StackOutputs(document, str(path))


# Reads a stack's outputs by name (through Pulumi); handed in by the CLI.
StackReader = Callable[[str], Mapping[str, Any]]


def stack_outputs(stack: str | None, outputs_file: Path | None, read_stack: StackReader | None = None) -> StackOutputs:
    """The outputs named by `--outputs-file` (read as is) or `--stack` (through `read_stack`)."""
    if outputs_file is not None:
        return load_outputs_file(outputs_file)
    if not stack:
        raise OutputsError("name the stack: --stack NAME (needs the Pulumi CLI) or --outputs-file FILE")
    if read_stack is None:
        raise OutputsError(f"stack {stack!r}: no way to read a stack's outputs here; use --outputs-file FILE")
    return StackOutputs(read_stack(stack), f"stack {stack!r}")


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b/` -> (`bucket`, `a/b/`)."""
    if not uri.startswith("s3://"):
        raise OutputsError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key
