"""How the CLI's sentences count and name things, the same in every verb: `1 row`, `2 rows`,
and a run's mode with what its plan did. Pure: no I/O; below every other automation module.
"""

from __future__ import annotations

from etl.report import RunReport

# Nouns whose plural is not the noun and an `s`.
_IRREGULAR = {"query": "queries", "was": "were", "is": "are", "has": "have"}


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 row`, `0 rows`, `1,234 rows`: the count with thousands separators and the noun it takes.

    Args:
        count: how many.
        noun: the singular.
        many: the plural when it is not `noun` + `s` (`query` -> `queries` is known).
    """
    word = noun if count == 1 else (many or _IRREGULAR.get(noun) or f"{noun}s")
    return f"{count:,} {word}"


def mode_text(report: RunReport) -> str:
    """A run's mode and what its plan found, without saying the mode twice: `full (full
    refresh)`, `incremental (3 changed partitions recomputed)`, `incremental (nothing changed
    in silver)`, `incremental (no previous state: every partition is new)`."""
    plan = report.plan.strip()
    if plan and plan != report.mode:
        return f"{report.mode} ({plan})"
    if report.status == "failed" and not report.partitions_processed:
        return report.mode
    if report.partitions_processed == 0 and report.partitions_dropped == 0:
        return f"{report.mode} (nothing changed in silver)"
    changed = plural(report.partitions_processed, "changed partition")
    dropped = f", {plural(report.partitions_dropped, 'partition')} dropped" if report.partitions_dropped else ""
    return f"{report.mode} ({changed} recomputed{dropped})"
