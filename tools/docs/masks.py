"""What changes from run to run in a command's output, masked so an example can be compared
with a fresh run: job run and query ids (numbered in order of appearance, so the same run
keeps its name across a scenario's examples), times and durations, temporary paths, the
emulator's port. A long step's heartbeat lines (`· run job: still running after 8 s`, how many
depends on the machine) are left out. Rich tables are re-aligned after masking (a masked id is
shorter)."""

from __future__ import annotations

import re
from typing import Callable

BOX_LEFT = "┏┃┡┣│└┌├┗┢╞┝"
VERTICALS = "│┃"


class Masker:
    """Masks one scenario's outputs; numbering is shared by every example of the scenario."""

    def __init__(self, paths: dict[str, str] | None = None, ids: bool = True):
        """
        Args:
            paths: real path -> how it is shown (a scratch folder as `/…`).
            ids: mask UUIDs (Athena's query ids; off where every id is a fixed mock id).
        """
        self.paths = dict(paths or {})
        self.numbers: dict[str, dict[str, int]] = {}
        self.rules: list[tuple[re.Pattern, Callable[[re.Match], str] | str]] = [
            (re.compile(r"\n· [^\n]*: still running after \d+ s(?=\n|$)"), ""),
            (re.compile(r"jr_[0-9a-f]{64}"), self._numbered("run", "jr_<run {n}>")),
            (
                re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b" if ids else r"(?!x)x"),
                self._numbered("id", "<id {n}>"),
            ),
            (re.compile(r"local-\d{8}T\d{6}Z-[0-9a-f]{6}"), "local-<time>-<id>"),
            (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?"), "<time>"),
            (re.compile(r"\bafter \d+ s\b"), "after n s"),
            # A step line: `✓ title  <6.1f> s  detail` keeps its width.
            (re.compile(r"^(✓ .{20}) *\d+\.\d s", re.M), lambda m: f"{m.group(1)}    n.n s"),
            (re.compile(r"((?:job|pipeline) seconds\s+│\s+)\d+\.\d"), r"\1n.n"),
            # `runs --lake`: a local run's duration, the row's last cell.
            (re.compile(r"^(│ local-<time>-<id> │.*│ +)\d+\.\d( │)$", re.M), r"\1n.n\2"),
            (re.compile(r'("(?:job|total|plan|read_and_aggregate|write|job_seconds|[a-z ]+)": )\d+\.\d+'), r'\1"n.n"'),
            # The job's code package, named by its content's hash (any change to etl/ renames it).
            (re.compile(r"\b(job|etl)-[0-9a-f]{16}\.(py|zip)\b"), r"\1-<hash>.\2"),
            (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
            (re.compile(r"tcp://127\.0\.0\.1:PORT"), "tcp://127.0.0.1:PORT"),
        ]

    def _numbered(self, kind: str, template: str) -> Callable[[re.Match], str]:
        def replace(match: re.Match) -> str:
            seen = self.numbers.setdefault(kind, {})
            number = seen.setdefault(match.group(0), len(seen) + 1)
            return template.format(n=number)

        return replace

    def __call__(self, text: str) -> str:
        for real, shown in sorted(self.paths.items(), key=lambda item: -len(item[0])):
            text = text.replace(real, shown)
        for pattern, replacement in self.rules:
            text = pattern.sub(replacement, text)
        return "\n".join(line.rstrip() for line in reflow_tables(text).split("\n"))


def reflow_tables(text: str) -> str:
    """Re-align every Rich table in `text` to its cells' widths (masks change them)."""
    lines = text.split("\n")
    out: list[str] = []
    block: list[str] = []
    for line in lines + [""]:
        if line and line[0] in BOX_LEFT and len(line) > 2:
            block.append(line)
            if line[0] in "└┗":  # a table's bottom border: the next table starts afresh
                out.extend(_reflow(block))
                block = []
            continue
        if block:
            out.extend(_reflow(block))
            block = []
        out.append(line)
    return "\n".join(out[:-1])


def _cells(line: str) -> list[str] | None:
    if line[0] not in VERTICALS:
        return None
    return re.split(f"[{VERTICALS}]", line)[1:-1]


def _reflow(block: list[str]) -> list[str]:
    rows = [_cells(line) for line in block]
    content = [r for r in rows if r is not None]
    if not content or len({len(r) for r in content}) != 1:
        return block
    widths = [max(len(r[i].strip()) + 2 for r in content) for i in range(len(content[0]))]
    out = []
    for line, cells in zip(block, rows, strict=True):
        if cells is None:  # a border: left corner, fill, junctions, right corner
            fill = line[1]
            junctions = [c for c in line[1:-1] if c != fill]
            if len(junctions) != len(widths) - 1:
                out.append(line)
                continue
            middle = "".join(fill * w + (junctions[i] if i < len(junctions) else "") for i, w in enumerate(widths))
            out.append(line[0] + middle + line[-1])
            continue
        separators = [c for c in line if c in VERTICALS]
        parts = []
        for cell, width in zip(cells, widths, strict=True):
            value = cell.strip()
            right = cell.startswith("  ") and cell.endswith(" ") and not cell.endswith("  ")
            parts.append(" " + (value.rjust(width - 2) if right else value.ljust(width - 2)) + " ")
        text = separators[0]
        for i, part in enumerate(parts):
            text += part + separators[i + 1]
        out.append(text)
    return out
