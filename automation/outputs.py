"""A deployed stack's outputs, from an outputs file or from the Pulumi stack itself, typed.

`--outputs-file FILE` is the JSON `pulumi stack output --json` prints (for CI and machines
without the Pulumi CLI), or the JSON of `python -m automation synth --json` (its "outputs");
`--stack NAME` reads the same outputs through the Automation API, with the reader the CLI
hands in (`automation.stack.stack_outputs`): this module sits below both
`automation.aws` and `automation.stack` and imports neither.

`StackOutputs` has one typed field per output (the output names are the constants of
`infra.outputs`), so reading an output that does not exist is a type error. An output the
stack did not export, or exported empty, reads as "" (0.0, {}) and is listed in `missing`:
verbs `require` every output they need before touching AWS, so a missing one stops a verb
before it changes anything, in one line naming it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping, cast

from etl.errors import PipelineError
from infra import outputs as out
from infra.outputs import StackSettings


class OutputsError(PipelineError):
    """The stack outputs cannot be read, or lack one a verb needs."""


def _named(output: str) -> dict[str, str]:
    """A field's metadata: the output it holds."""
    return {"output": output}


@dataclass(frozen=True)
class StackOutputs:
    """Every output of a deployed stack, one field each, and where they came from (for messages)."""

    lake_bucket: str = field(metadata=_named(out.BUCKET))
    silver_uri: str = field(metadata=_named(out.SILVER_URI))  # s3:// URIs end with one slash
    gold_uri: str = field(metadata=_named(out.GOLD_URI))
    quarantine_uri: str = field(metadata=_named(out.QUARANTINE_URI))
    run_reports_uri: str = field(metadata=_named(out.REPORTS_URI))
    silver_database: str = field(metadata=_named(out.SILVER_DATABASE))
    silver_table: str = field(metadata=_named(out.SILVER_TABLE))
    job_name: str = field(metadata=_named(out.JOB_NAME))
    crawler_name: str = field(metadata=_named(out.CRAWLER_NAME))
    gold_database: str = field(metadata=_named(out.GOLD_DATABASE))
    gold_table: str = field(metadata=_named(out.GOLD_TABLE))
    athena_workgroup: str = field(metadata=_named(out.ATHENA_WORKGROUP))
    preview_query_id: str = field(metadata=_named(out.PREVIEW_QUERY_ID))
    repair_query_id: str = field(metadata=_named(out.REPAIR_QUERY_ID))
    preview_sql: str = field(metadata=_named(out.PREVIEW_SQL))
    job_output_log_group: str = field(metadata=_named(out.JOB_OUTPUT_LOG_GROUP))
    job_error_log_group: str = field(metadata=_named(out.JOB_ERROR_LOG_GROUP))
    crawler_log_group: str = field(metadata=_named(out.CRAWLER_LOG_GROUP))
    alerts_topic_arn: str = field(metadata=_named(out.ALERTS_TOPIC_ARN))
    lake_on_destroy: str = field(metadata=_named(out.LAKE_ON_DESTROY))
    kms_key_arn: str = field(metadata=_named(out.KMS_KEY_ARN))  # "" without a customer-managed key
    price_per_dpu_hour: float = field(metadata=_named(out.PRICE_PER_DPU_HOUR))
    job_run_trigger: str = field(metadata=_named(out.JOB_RUN_TRIGGER))
    region: str = field(metadata=_named(out.REGION))
    operator_policy_arn: str = field(metadata=_named(out.OPERATOR_POLICY_ARN))
    deploy_role_arn: str = field(metadata=_named(out.DEPLOY_ROLE_ARN))  # "" without githubRepository
    preview_role_arn: str = field(metadata=_named(out.PREVIEW_ROLE_ARN))  # "" without githubRepository
    stack_settings: StackSettings = field(metadata=_named(out.STACK_SETTINGS))
    job_console_url: str = field(metadata=_named(out.JOB_CONSOLE_URL))
    athena_console_url: str = field(metadata=_named(out.ATHENA_CONSOLE_URL))
    rejects_table: str = field(metadata=_named(out.REJECTS_TABLE))
    dashboard_name: str = field(metadata=_named(out.DASHBOARD_NAME))
    dashboard_url: str = field(metadata=_named(out.DASHBOARD_URL))
    # Not outputs: where the outputs came from, and the outputs absent or empty there.
    source: str = field(compare=False)
    missing: frozenset[str] = field(compare=False)

    @classmethod
    def from_values(cls, values: Mapping[str, Any], source: str) -> StackOutputs:
        """The outputs of `pulumi stack output --json` (or the Automation API), by output name.

        Raises:
            OutputsError: an output of the wrong kind (a number where text is due, an s3://
                output that is not an s3:// URI), naming it.
        """
        fields_by_output: dict[str, Any] = {}
        missing = set()
        for output, name in OUTPUT_FIELDS.items():
            value = values.get(output)
            if value is None or value == "":
                missing.add(output)
            fields_by_output[name] = _parse(output, value, source)
        return cls(**fields_by_output, source=source, missing=frozenset(missing))

    def require(self, *names: str) -> None:
        """Fail naming the first output missing (or empty) among `names` (`infra.outputs` constants).

        Raises:
            OutputsError: `stack outputs from SOURCE lack 'jobName'`.
        """
        for name in names:
            if name not in OUTPUT_FIELDS:
                raise ValueError(f"no stack output is named {name!r}")
            if name in self.missing:
                raise OutputsError(
                    f"stack outputs from {self.source} lack {name!r}: redeploy the stack "
                    "(pulumi up) or regenerate the file with `pulumi stack output --json`"
                )


# Output name -> field name.
OUTPUT_FIELDS: dict[str, str] = {f.metadata["output"]: f.name for f in fields(StackOutputs) if "output" in f.metadata}
# Outputs some verb reads with a fallback when the stack lacks them: an older stack did not
# export them, or they are empty by design (kmsKeyArn without a key). Every other output a
# verb reads is among the ones it requires before its first AWS call (tests/e2e hold this).
OPTIONAL_OUTPUTS = frozenset(
    {
        out.REGION,
        out.KMS_KEY_ARN,
        out.REJECTS_TABLE,
        out.JOB_CONSOLE_URL,
        out.ATHENA_CONSOLE_URL,
        out.CRAWLER_LOG_GROUP,
        out.JOB_OUTPUT_LOG_GROUP,
        out.JOB_ERROR_LOG_GROUP,
        out.PREVIEW_QUERY_ID,
        out.REPAIR_QUERY_ID,
        out.DEPLOY_ROLE_ARN,
        out.PREVIEW_ROLE_ARN,
    }
)
S3_URI_OUTPUTS = (out.SILVER_URI, out.GOLD_URI, out.QUARANTINE_URI, out.REPORTS_URI)


def _parse(output: str, value: Any, source: str) -> Any:
    """An output's value as its field holds it; a missing one as the empty value of its kind."""
    absent = value is None or value == ""
    if output == out.PRICE_PER_DPU_HOUR:
        if absent:
            return 0.0
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise OutputsError(f"stack output {output!r} from {source} is not a number: {value!r}")
        try:
            return float(value)
        except ValueError:
            raise OutputsError(f"stack output {output!r} from {source} is not a number: {value!r}") from None
    if output == out.STACK_SETTINGS:
        if absent:
            return cast(StackSettings, {})
        if not isinstance(value, dict):
            raise OutputsError(f"stack output {output!r} from {source} is not an object: {value!r}")
        return cast(StackSettings, value)
    if absent:
        return ""
    if not isinstance(value, str):
        raise OutputsError(f"stack output {output!r} from {source} is not text: {value!r}")
    if output in S3_URI_OUTPUTS:
        if not value.startswith("s3://"):
            raise OutputsError(f"stack output {output!r} from {source} is not an s3:// URI: {value!r}")
        return value.rstrip("/") + "/"
    return value


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
    return StackOutputs.from_values(document, str(path))


# Reads a stack's outputs by name (through Pulumi); handed in by the CLI.
StackReader = Callable[[str], Mapping[str, Any]]


def load_outputs(stack: str | None, outputs_file: Path | None, read_stack: StackReader | None = None) -> StackOutputs:
    """The outputs named by `--outputs-file` (read as is) or `--stack` (through `read_stack`)."""
    if outputs_file is not None:
        return load_outputs_file(outputs_file)
    if not stack:
        raise OutputsError("name the stack: --stack NAME (needs the Pulumi CLI) or --outputs-file FILE")
    if read_stack is None:
        raise OutputsError(f"stack {stack!r}: no way to read a stack's outputs here; use --outputs-file FILE")
    return StackOutputs.from_values(read_stack(stack), f"stack {stack!r}")


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b/` -> (`bucket`, `a/b/`)."""
    if not uri.startswith("s3://"):
        raise OutputsError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key
