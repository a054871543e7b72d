"""`--config KEY=VALUE` with no key (`=4`, ` =4`) is a typo the operator hears about as such,
in one line, before Pulumi runs: an empty key must never reach `pulumi config set`.

The verbs run in this process (`automation.cli.main`), with no `pulumi` on PATH: a pair that got
past the reader would fail later, with another message.
"""

from __future__ import annotations

import pytest

from automation.cli import main


@pytest.mark.parametrize("verb", ["deploy", "pipeline"])
@pytest.mark.parametrize("pair", ["=4", " =4", "=", "workers=3,=4"])
def test_a_pair_without_a_key_is_refused_by_name(verb, pair, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    pairs = pair.split(",")
    argv = [verb, "--stack", "dev"]
    for item in pairs:
        argv += ["--config", item]

    code = main(argv)

    assert code == 1
    assert capsys.readouterr().err == (
        f"error: --config {pairs[-1]!r} is not KEY=VALUE (e.g. --config workers=4 or aws:region=eu-west-1)\n"
    )


def test_a_pair_splits_at_its_first_equals_sign_and_the_settings_judge_the_value(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))

    code = main(["deploy", "--stack", "dev", "--config", "workers=a=b"])

    assert code == 1
    assert capsys.readouterr().err == "error: silver-to-gold:workers = 'a=b' is not a valid int\n"
