"""Glue cron expressions, checked before deploy.

Glue's syntax ("Time-based schedules for jobs and crawlers",
https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html):
`cron(Minutes Hours Day-of-month Month Day-of-week Year)`, six fields, UTC; one of
Day-of-month and Day-of-week must be `?`; no rate faster than every 5 minutes.
Pure, standard library only.
"""

from __future__ import annotations

import re

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

# name, lowest, highest, names (index + lowest = value), extra wildcards allowed
_FIELDS = (
    ("Minutes", 0, 59, (), ""),
    ("Hours", 0, 23, (), ""),
    ("Day-of-month", 1, 31, (), "?LW"),
    ("Month", 1, 12, MONTHS, ""),
    ("Day-of-week", 1, 7, DAYS, "?L#"),
    ("Year", 1970, 2199, (), ""),
)
_CRON = re.compile(r"^cron\((.*)\)$")


def glue_cron_problem(expression: str) -> str | None:
    """None if `expression` is a Glue cron expression; otherwise what is wrong with it."""
    match = _CRON.match(expression.strip())
    if not match:
        return "it must look like cron(Minutes Hours Day-of-month Month Day-of-week Year)"
    fields = match.group(1).split()
    if len(fields) != 6:
        return f"it has {len(fields)} fields; Glue cron has 6 (Minutes Hours Day-of-month Month Day-of-week Year)"
    for text, (name, low, high, names, extra) in zip(fields, _FIELDS, strict=True):
        problem = _field_problem(text.upper(), name, low, high, names, extra)
        if problem:
            return problem
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        return "exactly one of Day-of-month and Day-of-week must be '?'"
    if _faster_than_five_minutes(fields[0]):
        return f"Minutes {fields[0]!r} runs more often than every 5 minutes, which Glue does not support"
    return None


def _value(token: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    if token in names:
        return names.index(token) + low
    if token.isdigit() and low <= int(token) <= high:
        return int(token)
    return None


def _field_problem(text: str, name: str, low: int, high: int, names: tuple[str, ...], extra: str) -> str | None:
    allowed = f"{name} allows {low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
    for item in text.split(","):
        if item == "*" or (item == "?" and "?" in extra):
            continue
        if item == "L" and "L" in extra:
            continue
        if "L" in extra and name == "Day-of-week" and item.endswith("L") and _value(item[:-1], low, high, names):
            continue
        if "W" in extra and item.endswith("W") and _value(item[:-1], low, high, names):
            continue
        if "#" in extra and "#" in item:
            day, _, nth = item.partition("#")
            if _value(day, low, high, names) and nth in ("1", "2", "3", "4", "5"):
                continue
            return f"{name} {item!r} is not allowed: {allowed}, '#' with 1-5"
        base, _, step = item.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return f"{name} {item!r} has an increment that is not a positive number"
        if base == "*" and step:
            continue
        start, _, end = base.partition("-")
        if _value(start, low, high, names) is None or (end and _value(end, low, high, names) is None):
            return f"{name} {item!r} is not allowed: {allowed}"
    return None


def _faster_than_five_minutes(minutes: str) -> bool:
    if minutes == "*":
        return True
    for item in minutes.split(","):
        _, _, step = item.partition("/")
        if step and int(step) < 5:
            return True
    values = sorted(int(v) for v in minutes.split(",") if v.isdigit())
    gaps = [b - a for a, b in zip(values, values[1:], strict=False)] + (
        [values[0] + 60 - values[-1]] if len(values) > 1 else []
    )
    return any(gap < 5 for gap in gaps)
