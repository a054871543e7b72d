"""The examples generator (`tools.docs`): masks, regions, and `--check` failing on a block
edited by hand; every example placed in the docs, every region an example."""

from __future__ import annotations

import re
from pathlib import Path

import tools.docs.__main__ as generator
from automation.cli import build_parser
from tools.docs.blocks import Example, Step
from tools.docs.examples import EXAMPLES, by_name, documents
from tools.docs.markdown import regions, rewrite
from tools.docs.masks import Masker, reflow_tables
from tools.docs.scenarios import LocalScenario

RUN_1 = "jr_" + "a" * 64
RUN_2 = "jr_" + "b" * 64


def test_run_ids_are_numbered_in_order_of_appearance_across_calls():
    masker = Masker()
    assert masker(f"started {RUN_1}; then {RUN_2}") == "started jr_<run 1>; then jr_<run 2>"
    assert masker(f"status --run-id {RUN_2}") == "status --run-id jr_<run 2>"


def test_times_durations_and_paths_are_masked():
    masker = Masker({"/tmp/scratch-123": "/…"})
    text = "✓ start                  12.5 s  lake /tmp/scratch-123/.lake at 2026-12-01T04:15:14.362000+00:00"
    assert masker(text) == "✓ start                   n.n s  lake /…/.lake at <time>"
    assert masker("RUNNING after 17 s") == "RUNNING after n s"


def test_tables_are_realigned_after_masking():
    table = "\n".join(
        [
            "┌───────┬──────────────────────────────────────────────────────────────────────────┐",
            f"│ run   │ {RUN_1}       │",
            "│ state │ SUCCEEDED                                                                │",
            "└───────┴──────────────────────────────────────────────────────────────────────────┘",
        ]
    )
    masked = Masker()(table).splitlines()
    assert masked[1] == "│ run   │ jr_<run 1> │"
    assert {len(line) for line in masked} == {len(masked[0])}
    assert reflow_tables("┃  ano ┃\n│ 2024 │") == "┃  ano ┃\n│ 2024 │"  # right-justified stays so


def test_rewrite_replaces_only_what_is_between_the_markers(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(
        "intro\n<!-- example one -->\nold\n<!-- /example -->\nmiddle\n<!-- example two -->\n<!-- /example -->\n"
    )
    assert [r.name for r in regions(doc)] == ["one", "two"]
    text = rewrite(doc, {"one": "new 1", "two": "new 2\n"})
    assert text.startswith("intro\n<!-- example one (made by `make docs`")
    assert "\nnew 1\n<!-- /example -->\nmiddle\n" in text and "\nnew 2\n<!-- /example -->\n" in text


def test_every_example_has_a_region_and_every_region_an_example():
    root = Path(__file__).resolve().parents[2]
    placed = [r.name for path in documents(root) for r in regions(path)]
    assert sorted(placed) == sorted(by_name())
    assert len(placed) == len(set(placed))
    assert not any(e.scenario not in generator.SCENARIOS.values() for e in EXAMPLES)


def test_check_fails_when_a_block_is_edited_by_hand(tmp_path, monkeypatch, capsys):
    doc = tmp_path / "doc.md"
    doc.write_text("# A page\n\n<!-- example hello -->\n<!-- /example -->\n")
    example = Example("hello", LocalScenario, [Step("python -c \"print('hello from a fresh run')\"", merged=True)])
    monkeypatch.setattr(generator, "EXAMPLES", [example])
    monkeypatch.setattr(generator, "SCENARIOS", {"local": LocalScenario})
    monkeypatch.setattr(generator, "by_name", lambda: {"hello": example})
    monkeypatch.setattr(generator, "documents", lambda root: [doc])

    assert generator.main([]) == 0  # make docs
    assert "hello from a fresh run" in doc.read_text()
    assert generator.main(["--check"]) == 0

    doc.write_text(doc.read_text().replace("hello from a fresh run", "hello from an edit"))
    capsys.readouterr()
    assert generator.main(["--check"]) == 1
    captured = capsys.readouterr()
    assert "-hello from an edit" in captured.out and "+hello from a fresh run" in captured.out
    assert "differ from a fresh run" in captured.err
    assert "hello from an edit" in doc.read_text()  # --check writes nothing


def test_the_readme_local_options_table_lists_every_option_of_local():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme[readme.index("| option | default | what it does |") :].split("\n\n", 1)[0]
    documented = set(re.findall(r"^\| `(--[a-z-]+)", table, re.M))
    local = next(a for a in build_parser()._actions if hasattr(a, "choices") and a.choices and "local" in a.choices)
    options = {o for action in local.choices["local"]._actions for o in action.option_strings if o.startswith("--")}
    assert options - {"--help"} == documented
