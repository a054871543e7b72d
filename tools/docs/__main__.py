"""`python -m tools.docs`: run every example of README.md and docs/ and write its block
(`make docs`); `--check` writes nothing and fails, showing the difference, when a block is
not what a fresh run prints (`make docs-check`, run by `make test`)."""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from tools.docs.blocks import ExampleFailed, render_example
from tools.docs.examples import EXAMPLES, by_name, documents
from tools.docs.markdown import regions, rewrite
from tools.docs.scenarios import EmulatorScenario, LocalScenario, Scenario, StandInScenario
from tools.emulator import PROJECT_ROOT

SCENARIOS: dict[str, type[Scenario]] = {
    "local": LocalScenario,
    "emulator": EmulatorScenario,
    "stand-in": StandInScenario,
}


def run_scenario(name: str, log: Callable[[str], None]) -> dict[str, str]:
    """Every example of scenario `name`, in registry order: name -> its Markdown."""
    kind = SCENARIOS[name]
    scenario = kind()
    rendered = {}
    started = time.monotonic()
    try:
        scenario.start()
        for example in EXAMPLES:
            if example.scenario is kind:
                rendered[example.name] = render_example(example, scenario)
                log(f"  {example.name} ({name}, {time.monotonic() - started:.0f} s)")
    finally:
        scenario.stop()
    return rendered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.docs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, write nothing; exit 1 on a difference")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    examples = by_name()
    placed = {r.name: r for path in documents(PROJECT_ROOT) for r in regions(path)}
    unknown = sorted(set(placed) - set(examples))
    unplaced = sorted(set(examples) - set(placed))
    if unknown or unplaced:
        for name in unknown:
            log(f"error: {placed[name].path.name} has an example region {name!r} that tools/docs/examples.py lacks")
        for name in unplaced:
            log(f"error: example {name!r} has no region in {', '.join(p.name for p in documents(PROJECT_ROOT))}")
        return 1
    started = time.monotonic()
    log(f"running {len(examples)} examples in {len(SCENARIOS)} scenarios ...")
    try:
        with ThreadPoolExecutor(max_workers=len(SCENARIOS)) as pool:
            futures = [pool.submit(run_scenario, name, log) for name in SCENARIOS]
            rendered = {k: v for future in futures for k, v in future.result().items()}
    except ExampleFailed as failure:
        log(f"error: {failure}")
        return 1
    differing = []
    for path in documents(PROJECT_ROOT):
        new = rewrite(path, rendered)
        old = path.read_text()
        if new == old:
            continue
        differing.append(path)
        if args.check:
            diff = difflib.unified_diff(
                old.splitlines(),
                new.splitlines(),
                f"{path.name} (as written)",
                f"{path.name} (a fresh run)",
                lineterm="",
            )
            print("\n".join(diff))
        else:
            path.write_text(new)
    seconds = time.monotonic() - started
    names = ", ".join(str(p.relative_to(PROJECT_ROOT)) if p.is_relative_to(PROJECT_ROOT) else str(p) for p in differing)
    if args.check and differing:
        log(
            f"error: examples in {names} differ from a fresh run ({seconds:.0f} s): run `make docs` and review the diff"
        )
        return 1
    log(f"{'rewrote ' + names if differing else 'every example is what a fresh run prints'} ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
