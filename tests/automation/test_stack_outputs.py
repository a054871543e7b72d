"""A deployed stack's outputs as the operations see them (`automation.outputs.StackOutputs`):
one typed field per output the program exports, no more, no fewer, for every stack; the
`stackSettings` shape (`infra.outputs.StackSettings`) as synth renders it; and what a bad or
partial outputs file does, before any AWS call."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields
from typing import Any, get_type_hints

import pytest

from automation.aws.deployed import Stack
from automation.outputs import OUTPUT_FIELDS, OutputsError, StackOutputs
from infra import outputs as out
from infra.outputs import StackAthena, StackJob, StackSettings


@pytest.fixture(scope="module", params=["dev", "prod"])
def exported(request, cli_env, project_root) -> dict[str, Any]:
    """What `synth --stack NAME --json` exports (one synth per process: Pulumi's runtime is global)."""
    result = subprocess.run(
        [sys.executable, "-m", "automation", "synth", "--stack", request.param, "--json"],
        capture_output=True,
        text=True,
        env=cli_env,
        cwd=project_root,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["outputs"]


def test_every_exported_output_is_one_field_and_every_field_is_exported(exported):
    named = [f.metadata["output"] for f in fields(StackOutputs) if "output" in f.metadata]
    assert len(named) == len(set(named))  # no output held by two fields
    assert sorted(named) == sorted(exported)


def test_every_output_name_in_infra_outputs_is_a_field():
    constants = {value for name, value in vars(out).items() if name.isupper() and isinstance(value, str)}
    assert constants == set(OUTPUT_FIELDS)


def test_each_field_has_the_type_of_what_synth_exports(exported):
    hints = get_type_hints(StackOutputs)
    kinds = {str: str, float: float, StackSettings: dict}
    wrong = {
        output: type(exported[output]).__name__
        for output, name in OUTPUT_FIELDS.items()
        if not isinstance(exported[output], kinds[hints[name]])
    }
    assert wrong == {}
    parsed = StackOutputs.from_values(exported, "synth")
    assert parsed.missing == {output for output, value in exported.items() if value == ""}


def _keys_of(shape: type) -> set[str]:
    return set(get_type_hints(shape))


def test_the_stack_settings_shape_is_what_synth_exports(exported):
    settings = exported[out.STACK_SETTINGS]
    assert set(settings) == _keys_of(StackSettings)
    assert set(settings["job"]) == _keys_of(StackJob)
    assert set(settings["athena"]) == _keys_of(StackAthena)


def test_a_missing_or_empty_output_is_named_by_require_and_reads_empty():
    outputs = StackOutputs.from_values({out.JOB_NAME: "job", out.KMS_KEY_ARN: ""}, "outputs.json")
    assert (outputs.job_name, outputs.kms_key_arn, outputs.price_per_dpu_hour) == ("job", "", 0.0)
    outputs.require(out.JOB_NAME)
    with pytest.raises(OutputsError) as missing:
        outputs.require(out.JOB_NAME, out.KMS_KEY_ARN, out.GOLD_URI)
    assert str(missing.value) == (
        "stack outputs from outputs.json lack 'kmsKeyArn': redeploy the stack (pulumi up) or regenerate the file "
        "with `pulumi stack output --json`"
    )


def test_an_output_of_the_wrong_kind_is_one_line_naming_it():
    with pytest.raises(OutputsError, match=r"^stack output 'region' from f.json is not text: 5$"):
        StackOutputs.from_values({out.REGION: 5}, "f.json")
    with pytest.raises(OutputsError, match=r"^stack output 'pricePerDpuHour' from f.json is not a number: 'cheap'$"):
        StackOutputs.from_values({out.PRICE_PER_DPU_HOUR: "cheap"}, "f.json")
    with pytest.raises(OutputsError, match=r"^stack output 'stackSettings' from f.json is not an object: \[\]$"):
        StackOutputs.from_values({out.STACK_SETTINGS: []}, "f.json")
    with pytest.raises(OutputsError, match=r"^stack output 'goldUri' from f.json is not an s3:// URI: '/gold'$"):
        StackOutputs.from_values({out.GOLD_URI: "/gold"}, "f.json")


def test_s3_outputs_end_with_one_slash_and_a_price_in_text_is_a_number():
    outputs = StackOutputs.from_values({out.GOLD_URI: "s3://b/gold", out.PRICE_PER_DPU_HOUR: "0.29"}, "f.json")
    assert (outputs.gold_uri, outputs.price_per_dpu_hour) == ("s3://b/gold/", 0.29)


def test_a_name_that_is_no_output_is_a_bug_not_a_missing_output():
    with pytest.raises(ValueError, match="no stack output is named 'jobNmae'"):
        StackOutputs.from_values({}, "f.json").require("jobNmae")


def test_the_stack_handle_checks_the_outputs_before_it_opens_a_session(monkeypatch, tmp_path):
    """A profile that does not exist fails the session; a missing output is said first."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_PROFILE", "nope")
    monkeypatch.delenv("AWS_REGION", raising=False)
    outputs = StackOutputs.from_values({out.REGION: "eu-west-1"}, "f.json")
    with pytest.raises(OutputsError, match="lack 'jobName'"):
        Stack.connect(outputs, out.JOB_NAME)
    monkeypatch.delenv("AWS_PROFILE")
    stack = Stack.connect(outputs)
    assert stack.region == "eu-west-1"  # the stack's region output, AWS_REGION unset
