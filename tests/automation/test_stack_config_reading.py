"""How deploy and synth read a stack's configuration: the stack file's values judged together
with `--config`, `aws:region` from either, keys namespaced as `pulumi config set` stores them,
and a broken stack file named in one line.

`check_config` is what `deploy` and `pipeline` run before Pulumi; it reads the project's own
Pulumi.dev.yaml (silverCatalog create) and Pulumi.prod.yaml (silverCatalog reference, region
us-east-1). `read_stack_config` is synth's reader; it takes a folder, so odd files live in tmp_path.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from automation.stack.config import DeployError, check_config
from automation.stack.synth import SynthError, read_stack_config

KEY_IN = "arn:aws:kms:{region}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_a_new_value_is_judged_with_the_stack_files_values():
    """dev creates its silver table (its file says so), so silver and gold may not share a database;
    prod references an existing table, where they may."""
    with pytest.raises(DeployError) as raised:
        check_config("dev", {"silverDatabase": "gold_data"})
    assert str(raised.value).startswith("silver-to-gold:silverDatabase = 'gold_data' is not allowed: ")
    assert "a database other than goldDatabase when silverCatalog is create" in str(raised.value)

    assert check_config("prod", {"silverDatabase": "gold_data"}) == {"silver-to-gold:silverDatabase": "gold_data"}


def test_the_region_of_config_decides_where_a_kms_key_must_be():
    eu_key = KEY_IN.format(region="eu-west-1")
    us_key = KEY_IN.format(region="us-east-1")

    assert check_config("prod", {"aws:region": "eu-west-1", "kms": eu_key}) == {
        "aws:region": "eu-west-1",
        "silver-to-gold:kms": eu_key,
    }
    with pytest.raises(DeployError, match=r"a key in the stack's region eu-west-1 \(KMS keys are regional\)"):
        check_config("prod", {"aws:region": "eu-west-1", "kms": us_key})
    with pytest.raises(DeployError, match=r"a key in the stack's region us-east-1 \(KMS keys are regional\)"):
        check_config("prod", {"kms": eu_key})  # prod's file: us-east-1


@pytest.mark.parametrize("key", ["a:b:c", ":workers", "aws:", "silver-to-gold:"])
def test_a_key_with_an_empty_or_extra_namespace_part_is_refused_by_name(key):
    with pytest.raises(DeployError) as raised:
        check_config("prod", {key: "3"})
    assert str(raised.value) == f"config key {key!r} is not NAME or NAMESPACE:NAME (e.g. workers or aws:region)"


def test_keys_are_namespaced_as_pulumi_config_set_stores_them():
    assert check_config("prod", {"workers": "4", "aws:region": "us-west-2", "silver-to-gold:maxRetries": "2"}) == {
        "silver-to-gold:workers": "4",
        "aws:region": "us-west-2",
        "silver-to-gold:maxRetries": "2",
    }


def test_synth_reads_the_project_keys_and_the_region_of_the_stack_file(tmp_path):
    (tmp_path / "Pulumi.eu.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  silver-to-gold:workers: '3'\n  other:key: x\n"
    )

    assert read_stack_config("eu", tmp_path) == ({"workers": "3"}, "eu-west-1")


def test_a_stack_file_that_is_not_yaml_is_named_with_the_parsers_first_line(tmp_path):
    (tmp_path / "Pulumi.bad.yaml").write_text("config:\n  workers: [3\n")

    with pytest.raises(DeployError) as raised:
        read_stack_config("bad", tmp_path)

    assert str(raised.value) == "Pulumi.bad.yaml is not valid YAML: while parsing a flow sequence"


def test_a_stack_file_that_is_not_a_mapping_holds_no_config(tmp_path):
    (tmp_path / "Pulumi.list.yaml").write_text("- workers\n- 3\n")

    assert read_stack_config("list", tmp_path) == ({}, None)


# --- edges mutation testing found (docs/testing.md: automation/stack/synth.py) ------------------


def test_an_unknown_stack_is_one_line_naming_the_stacks_there_are(tmp_path):
    for name in ("prod", "dev"):
        (tmp_path / f"Pulumi.{name}.yaml").write_text("config: {}\n")
    (tmp_path / "Pulumi.yaml").write_text("name: silver-to-gold\n")

    with pytest.raises(SynthError) as raised:
        read_stack_config("staging", tmp_path)

    assert str(raised.value) == "unknown stack 'staging': no Pulumi.staging.yaml (known stacks: dev, prod)"


def test_a_file_asset_shows_its_path_in_the_project_or_whole_outside_it_and_its_bytes_digest(tmp_path):
    import pulumi

    from automation.stack.synth import plain

    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "etl").mkdir(parents=True)
    elsewhere.mkdir()
    for folder in (project / "etl", elsewhere):
        (folder / "job.py").write_bytes(b"print(1)\n")
    digest = "cc42155088fca5730758db72b2a5bca33112a941dfaa2d43098ec422ce4ea213"  # sha256sum of print(1)
    inside = plain({"script": pulumi.FileAsset(str(project / "etl" / "job.py"))}, project)
    outside = plain([pulumi.FileAsset(str(elsewhere / "job.py"))], project)
    assert inside == {"script": {"asset": "etl/job.py", "sha256": digest}}
    assert outside == [{"asset": str(elsewhere / "job.py"), "sha256": digest}]


def test_synth_renders_the_stack_in_the_region_its_file_names(tmp_path, project_root, cli_env):
    """A stack file's `aws:region` reaches the rendering (the repository's stacks are both in
    us-east-1, the default, so only another stack file shows it)."""
    (tmp_path / "Pulumi.eu.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    script = (
        "import sys\nfrom pathlib import Path\nfrom automation.stack.synth import synth\n"
        "settings, rendering = synth('eu', Path(sys.argv[1]))\n"
        "print(rendering.to_dict()['outputs']['region'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, cwd=project_root, env=cli_env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["eu-west-1"]
