"""The dependency locks: what `make install` puts in a venv, and `make lint`'s check that no lock is stale.

Every venv the project makes installs from a lock compiled by `uv pip compile --generate-hashes`
(`make lock`): every package, transitive ones included, pinned, each with its hashes. The inputs
are the short, human-edited `*.in` files beside them:

    requirements.in          -> requirements.txt          runtime: what Pulumi's Python runtime installs
    requirements-dev.in      -> requirements-dev.txt      .venv: runtime + tests, lint, benchmarks
    requirements-checkov.in  -> requirements-checkov.txt  .venv-checkov: Checkov alone

    python -m tools.locks check            the locks hold their inputs (offline; `make lint`)
    python -m tools.locks sync LOCK        make this interpreter's venv equal LOCK (`make install`)

`sync` uses the standard library and pip only, so it runs in a venv that has nothing else yet.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# input -> its lock. The dev lock is compiled with the runtime lock as constraints, so the tests run
# on exactly the runtime packages Pulumi installs (`check` holds that too).
LOCKS = {
    "requirements.in": "requirements.txt",
    "requirements-dev.in": "requirements-dev.txt",
    "requirements-checkov.in": "requirements-checkov.txt",
}
RUNTIME_LOCK, DEV_LOCK = "requirements.txt", "requirements-dev.txt"

# What a venv holds that no lock names: the installers themselves.
UNLOCKED = {"pip", "setuptools", "wheel"}

_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>[^\s;\\]+)\s*(?:;(?P<marker>[^\\]*))?"
)
_REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?P<spec>[^;#]*)")


def normalize(name: str) -> str:
    """PEP 503: names compare lower-case, with runs of `-_.` as one `-`."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Pin:
    name: str
    version: str
    marker: str
    hashes: int = 0
    via: list[str] = field(default_factory=list)


def read_lock(path: Path) -> list[Pin]:
    """The pins of a lock compiled by uv/pip-tools: `name==version [; marker] \\`, its `--hash=` lines
    and its `# via` comments. A universal lock may pin one name twice, under exclusive markers (one
    version for Python 3.11, another for 3.12 and later)."""
    pins: list[Pin] = []
    current: Pin | None = None
    in_via = False
    for raw in path.read_text().splitlines():
        line = raw.strip()
        match = _PIN.match(line)
        if match:
            current = Pin(match["name"], match["version"], (match["marker"] or "").strip())
            pins.append(current)
            in_via = False
        elif current and line.startswith("--hash="):
            current.hashes += 1
        elif current and line.startswith("# via"):
            rest = line[len("# via") :].strip()
            in_via = not rest
            if rest:
                current.via.append(rest)
        elif current and in_via and line.startswith("#   "):
            current.via.append(line[4:].strip())
        elif line and not line.startswith("#") and not line.startswith("--"):
            raise SystemExit(f"{path.name}: a line that is not a pin: {raw!r}")
    return pins


@dataclass
class Requirement:
    name: str
    spec: str
    source: str  # file:line, for the message


def read_input(path: Path) -> list[Requirement]:
    """The requirements an input names, following `-r` includes (a `-c` constraint is not one)."""
    found: list[Requirement] = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#") or line.startswith("-c ") or line.startswith("--"):
            continue
        if line.startswith("-r "):
            found += read_input(path.parent / line[3:].strip())
            continue
        match = _REQUIREMENT.match(line)
        if not match:
            raise SystemExit(f"{path.name}:{number}: cannot read the requirement {raw!r}")
        found.append(Requirement(match["name"], match["spec"].strip(), f"{path.name}:{number}"))
    return found


def _satisfies(version: str, spec: str) -> bool:
    if not spec:
        return True
    from packaging.specifiers import SpecifierSet  # the dev venv's; `check` runs there

    return SpecifierSet(spec).contains(version, prereleases=True)


def stale(root: Path = ROOT) -> list[str]:
    """Every way a lock no longer holds its input, one line each ([] when all are current)."""
    problems: list[str] = []
    locks: dict[str, dict[str, list[Pin]]] = {}
    for source, target in LOCKS.items():
        lock_path = root / target
        if not lock_path.exists():
            problems.append(f"{target} is missing: run `make lock`")
            continue
        pins = locks[target] = _by_name(read_lock(lock_path))
        named = set()
        for requirement in read_input(root / source):
            key = normalize(requirement.name)
            named.add(key)
            held = pins.get(key, [])
            if not held:
                problems.append(f"{requirement.source}: {requirement.name} is not in {target}: run `make lock`")
            elif not all(_satisfies(pin.version, requirement.spec) for pin in held):
                versions = ", ".join(pin.version for pin in held)
                problems.append(
                    f"{requirement.source}: {requirement.name}{requirement.spec} but {target} holds "
                    f"{versions}: run `make lock`"
                )
        for key, held in sorted(pins.items()):
            for pin in held:
                if pin.hashes == 0:
                    problems.append(f"{target}: {pin.name} has no hash: run `make lock`")
                if pin.via and all(v.startswith("-r ") for v in pin.via) and key not in named:
                    problems.append(f"{target}: {pin.name} is no longer named by its inputs: run `make lock`")
    runtime, dev = locks.get(RUNTIME_LOCK, {}), locks.get(DEV_LOCK, {})
    for key, held in sorted(runtime.items()):
        mine = sorted(pin.version for pin in held)
        theirs = sorted(pin.version for pin in dev.get(key, []))
        if mine != theirs:
            problems.append(
                f"{DEV_LOCK} holds {', '.join(theirs) or 'nothing'} for {held[0].name}, {RUNTIME_LOCK} "
                f"{', '.join(mine)}: the tests must run on the runtime's packages: run `make lock`"
            )
    return problems


def _by_name(pins: list[Pin]) -> dict[str, list[Pin]]:
    grouped: dict[str, list[Pin]] = {}
    for pin in pins:
        grouped.setdefault(normalize(pin.name), []).append(pin)
    return grouped


def _marker_applies(marker: str) -> bool:
    if not marker:
        return True
    try:
        from packaging.markers import Marker
    except ImportError:  # a venv with nothing but pip yet
        # The same module, vendored by pip: mypy sees two classes of one name.
        from pip._vendor.packaging.markers import Marker  # type: ignore[assignment]
    return Marker(marker).evaluate()


def wanted(lock: Path) -> dict[str, str]:
    """What the lock puts in this interpreter's venv: normalized name -> version."""
    return {normalize(pin.name): pin.version for pin in read_lock(lock) if _marker_applies(pin.marker)}


def installed() -> dict[str, str]:
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[normalize(name)] = dist.version
    return found


def differences(lock: Path) -> tuple[list[str], list[str]]:
    """(packages missing or off their pin, packages the lock does not name)."""
    want, have = wanted(lock), installed()
    off = sorted(
        f"{name} {have[name]} (locked {v})" if name in have else f"{name} (missing)"
        for name, v in want.items()
        if have.get(name) != v
    )
    extra = sorted(name for name in have if name not in want and name not in UNLOCKED)
    return off, extra


def sync(lock: Path) -> int:
    """Make this venv equal the lock: install what is missing or off its pin (with `--require-hashes`),
    remove what the lock does not name. Quiet and quick when they are already equal."""
    off, extra = differences(lock)
    if not off and not extra:
        return 0
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    if extra:
        print(f"locks: removing what {lock.name} does not name: {', '.join(extra)}", flush=True)
        subprocess.run([*pip, "uninstall", "--yes", *extra], check=True)
    if off:
        shown = ", ".join(off[:4]) + (f" and {len(off) - 4} more" if len(off) > 4 else "")
        print(f"locks: installing {lock.name} ({shown})", flush=True)
        subprocess.run([*pip, "install", "--require-hashes", "-r", str(lock)], check=True)
    off, extra = differences(lock)
    if off or extra:
        print(f"locks: the venv still differs from {lock.name}: {', '.join(off + extra)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.locks", description=__doc__.split("\n\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("check", help="fail when an input names a package or version its lock does not hold")
    sync_parser = verbs.add_parser("sync", help="make this interpreter's venv equal a lock")
    sync_parser.add_argument("lock", type=Path)
    args = parser.parse_args(argv)
    if args.verb == "sync":
        return sync(args.lock)
    problems = stale()
    for problem in problems:
        print(f"locks: {problem}", file=sys.stderr)
    if not problems:
        print(f"locks: {', '.join(LOCKS.values())} hold their inputs")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
