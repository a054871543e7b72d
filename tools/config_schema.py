"""`make config`: `Pulumi.yaml`'s `config:` block and the config table of `docs/infrastructure.md`,
made from the settings schema (`infra.settings.SCHEMA`), so each key is declared once.

`python -m tools.config_schema` rewrites both; `--check` exits 1 naming each file that
differs (tests/infra/test_config_schema.py holds the same check).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

import yaml

from infra.settings import PROJECT, SCHEMA, ConfigKey

ROOT = Path(__file__).resolve().parents[1]
PULUMI_YAML = ROOT / "Pulumi.yaml"
DOCS = ROOT / "docs" / "infrastructure.md"
TABLE_START = "<!-- config-table (made by `make config` from infra/settings/schema.py: do not edit by hand) -->\n"
TABLE_END = "<!-- /config-table -->\n"
WIDTH = 118  # ruff's 120, less a margin

CONFIG_HEADER = """\
config:
  # Made by `make config` (tools/config_schema.py) from infra/settings/schema.py: edit the schema, not this block.
  # A key outside the project's namespace takes only `value` (and a description): the Pulumi CLI
  # refuses `type` or `default` on it when it loads the project (pulumi/pulumi,
  # sdk/go/common/workspace/project.go, Project.Validate). A project-level `value` applies to
  # every stack that does not set the key itself (pkg/workspace/config.go, mergeConfig), so
  # `pulumi config set aws:region eu-west-1` on a stack still overrides it.
"""


def declared(key: ConfigKey) -> dict[str, str | int]:
    """What `Pulumi.yaml` declares for `key`, as the CLI reads it: a key outside the project
    carries only `value`; a project key `type` and a `default` of that type."""
    if not key.in_project:
        return {"description": key.description, "value": key.pulumi_default}
    return {"type": key.pulumi_type, "description": key.description, "default": key.pulumi_default}


def _scalar(value: str | int) -> str:
    """`value` as YAML: plain when it reads back as itself, else JSON-quoted (`""`, `"5.0"`)."""
    plain = str(value)
    return plain if plain and yaml.safe_load(f"k: {plain}") == {"k": value} else json.dumps(value)


def _description(text: str) -> list[str]:
    line = f"    description: {text}"
    if len(line) <= WIDTH and yaml.safe_load(f"k: {text}") == {"k": text}:
        return [line]
    # A folded scalar reads its lines back joined by single spaces.
    wrapped = textwrap.wrap(text, WIDTH - 6, break_long_words=False, break_on_hyphens=False)
    return ["    description: >-", *(f"      {part}" for part in wrapped)]


def config_block() -> str:
    """The `config:` block of `Pulumi.yaml` (the file's last block)."""
    lines = []
    for key in SCHEMA:
        lines.append(f"  {key.name}:")
        for attribute, value in declared(key).items():
            lines.extend(
                _description(str(value)) if attribute == "description" else [f"    {attribute}: {_scalar(value)}"]
            )
    return CONFIG_HEADER + "\n".join(lines) + "\n"


def pulumi_yaml(current: str) -> str:
    """`current` (the text of Pulumi.yaml) with its `config:` block made from the schema."""
    head, found, _ = current.partition("\nconfig:\n")
    if not found:
        raise ValueError("Pulumi.yaml has no top-level config: block")
    return head + "\n" + config_block()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def config_table() -> str:
    """The config table of docs/infrastructure.md, between its markers."""
    rows = [
        "| key | type | default | allowed | what it does |",
        "|---|---|---|---|---|",
    ]
    for key in SCHEMA:
        default = key.pulumi_default
        shown = "(empty)" if default == "" else f"`{default}`"
        allowed = ", ".join(f"`{choice}`" for choice in key.choices)
        if key.other:
            allowed = f"{allowed}, or {key.other}"
        kind = f"{key.pulumi_type} (a number)" if key.kind is float else key.pulumi_type
        kind = kind if key.in_project else f"{kind} (a `value`)"
        rows.append(f"| `{key.name}` | {kind} | {shown} | {allowed} | {_cell(key.description)} |")
    return TABLE_START + "\n".join(rows) + "\n" + TABLE_END


def docs(current: str) -> str:
    """`current` (the text of docs/infrastructure.md) with its config table made from the schema."""
    head, start, rest = current.partition(TABLE_START)
    _, end, tail = rest.partition(TABLE_END)
    if not (start and end):
        raise ValueError(f"docs/infrastructure.md has no config table markers ({TABLE_START.strip()})")
    return head + config_table() + tail


TARGETS = ((PULUMI_YAML, pulumi_yaml), (DOCS, docs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.config_schema", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when a file differs from the schema")
    args = parser.parse_args(argv)
    stale = []
    for path, make in TARGETS:
        current = path.read_text()
        wanted = make(current)
        if wanted == current:
            continue
        if args.check:
            stale.append(path.relative_to(ROOT))
        else:
            path.write_text(wanted)
            print(f"wrote {path.relative_to(ROOT)}")
    for path in stale:
        print(f"{path} differs from the {PROJECT} config schema (infra/settings/schema.py): run make config")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
