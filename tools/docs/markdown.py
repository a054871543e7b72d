"""The example regions of a Markdown file: between

    <!-- example NAME ... -->
    <!-- /example -->

is what `make docs` writes for example NAME; the text around them is written by hand."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

START = re.compile(r"^<!-- example (?P<name>[\w.-]+)\b[^\n]*-->\n", re.M)
END = "<!-- /example -->"
MARKER = "<!-- example {name} (made by `make docs` from tools/docs/examples.py: do not edit by hand) -->\n"


@dataclass(frozen=True)
class Region:
    path: Path
    name: str
    start: int  # where the content starts (after the start marker)
    end: int  # where the end marker starts
    content: str


def regions(path: Path) -> list[Region]:
    """Every example region of `path`, in order."""
    text = path.read_text()
    found = []
    for match in START.finditer(text):
        end = text.find(END, match.end())
        if end < 0:
            raise ValueError(f"{path}: example {match['name']} has no {END}")
        found.append(Region(path, match["name"], match.end(), end, text[match.end() : end]))
    return found


def rewrite(path: Path, contents: dict[str, str]) -> str:
    """`path`'s text with each region's content replaced by `contents[name]` (a trailing newline)."""
    text = path.read_text()
    out, at = [], 0
    for region in regions(path):
        out.append(text[at : region.start - len(text[: region.start].splitlines(keepends=True)[-1])])
        out.append(MARKER.format(name=region.name))
        out.append(contents[region.name].rstrip("\n") + "\n")
        at = region.end
    out.append(text[at:])
    return "".join(out)
