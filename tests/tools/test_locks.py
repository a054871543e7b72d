"""`make lint`'s lock check (tools/locks.py): an input edited without `make lock` fails, offline,
naming the package; the committed locks pass; every pin carries hashes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools.locks import LOCKS, read_lock, stale

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for source, target in LOCKS.items():
        shutil.copy(ROOT / source, tmp_path / source)
        shutil.copy(ROOT / target, tmp_path / target)
    return tmp_path


def test_the_committed_locks_hold_their_inputs():
    assert stale(ROOT) == []


def test_a_package_added_to_an_input_without_make_lock_is_named(tree: Path):
    with (tree / "requirements.in").open("a") as f:
        f.write("requests-toolbelt==1.0.0\n")
    problems = stale(tree)
    assert any("requests-toolbelt is not in requirements.txt" in p for p in problems), problems
    # the dev input includes the runtime one: its lock is stale too
    assert any("requests-toolbelt is not in requirements-dev.txt" in p for p in problems), problems


def test_a_version_changed_in_an_input_without_make_lock_is_named(tree: Path):
    path = tree / "requirements-dev.in"
    path.write_text(path.read_text().replace("pytest==9.2.0", "pytest==9.1.0"))
    assert any("pytest==9.1.0 but requirements-dev.txt holds 9.2.0" in p for p in stale(tree))


def test_a_package_removed_from_an_input_without_make_lock_is_named(tree: Path):
    path = tree / "requirements-checkov.in"
    path.write_text(path.read_text().replace("checkov==3.3.30", ""))
    assert any("checkov is no longer named by its inputs" in p for p in stale(tree))


def test_the_tests_run_on_the_runtime_lock_s_versions(tree: Path):
    path = tree / "requirements-dev.txt"
    path.write_text(path.read_text().replace("rich==15.0.0", "rich==14.0.0"))
    assert any("holds 14.0.0 for rich, requirements.txt 15.0.0" in p for p in stale(tree))


def test_every_pin_of_every_lock_has_hashes_and_the_emulator_pair_is_locked():
    for lock in LOCKS.values():
        pins = read_lock(ROOT / lock)
        assert pins and all(pin.hashes for pin in pins), lock
    dev = {pin.name: pin.version for pin in read_lock(ROOT / "requirements-dev.txt")}
    # the pair the emulator's Athena works with (requirements.in says why)
    assert (dev["botocore"], dev["moto"]) == ("1.44.8", "5.2.5")
