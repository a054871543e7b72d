"""Glue cron expressions, checked before deploy.

Glue's syntax ("Time-based schedules for jobs and crawlers",
https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html):
`cron(Minutes Hours Day-of-month Month Day-of-week Year)`, six fields, UTC; one of
Day-of-month and Day-of-week must be `?`; no rate faster than every 5 minutes. Also how often
an expression fires (`schedule_period_seconds`), for the freshness alarm.
Pure, standard library only.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

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


def _checked_value(token: str, low: int, high: int, names: tuple[str, ...]) -> int:
    """`_value` of a field `glue_cron_problem` has already accepted."""
    value = _value(token, low, high, names)
    if value is None:
        raise ValueError(f"{token!r} is not a value from {low} to {high}")
    return value


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


# -- how often a schedule fires ------------------------------------------------------------
# The freshness alarm waits one schedule period (plus a margin) for a successful run. The
# period is the longest gap between two consecutive firings, found by listing the firings
# over PERIOD_WINDOW_YEARS years: long enough for a Feb 29 schedule (every 4 years) and for
# '#' and 'L' day-of-week patterns to show their longest gap.
PERIOD_WINDOW_START_YEAR = 2025
PERIOD_WINDOW_YEARS = 8


def schedule_period_seconds(expression: str) -> int | None:
    """The longest time between two consecutive firings of a Glue cron expression, in seconds.

    `cron(0 4 * * ? *)` -> 86400; `cron(0 4 ? * MON-FRI *)` -> 259200 (Friday to Monday);
    `cron(0 4 1 * ? *)` -> 2678400 (31 days). None when it fires fewer than twice in the
    window (a Year field in the past, or a single year with one firing).

    Raises:
        ValueError: the expression is not a Glue cron expression (see `glue_cron_problem`).
    """
    problem = glue_cron_problem(expression)
    match = _CRON.match(expression.strip())
    if problem or match is None:
        raise ValueError(f"{expression!r} is not a Glue cron expression: {problem}")
    fields = match.group(1).upper().split()
    minutes = _expand(fields[0], 0, 59, ())
    hours = _expand(fields[1], 0, 23, ())
    months = _expand(fields[3], 1, 12, MONTHS)
    years = _expand(fields[5], 1970, 2199, ())
    times_of_day = sorted(h * 60 + m for h in hours for m in minutes)
    previous: int | None = None
    longest = 0
    day = date(PERIOD_WINDOW_START_YEAR, 1, 1)
    end = date(PERIOD_WINDOW_START_YEAR + PERIOD_WINDOW_YEARS, 1, 1)
    while day < end:
        if day.year in years and day.month in months and _day_matches(day, fields[2], fields[4]):
            base = (day - date(1970, 1, 1)).days * 1440
            for minute in times_of_day:
                now = base + minute
                if previous is not None:
                    longest = max(longest, now - previous)
                previous = now
        day += timedelta(days=1)
    return longest * 60 if longest else None


def _expand(text: str, low: int, high: int, names: tuple[str, ...]) -> set[int]:
    """The values a standard cron field (`*`, lists, ranges, `/` steps, names) stands for."""
    values: set[int] = set()
    for item in text.split(","):
        base, _, step = item.partition("/")
        if base == "*":
            start, stop = low, high
        else:
            first, _, last = base.partition("-")
            start = _checked_value(first, low, high, names)
            stop = _checked_value(last, low, high, names) if last else (high if step else start)
        values.update(range(start, stop + 1, int(step) if step else 1))
    return values


def _day_matches(day: date, day_of_month: str, day_of_week: str) -> bool:
    """Whether `day` matches the Day-of-month and Day-of-week fields (one of them is '?')."""
    last_day = (date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)).day
    if day_of_week == "?":
        return any(_month_day_matches(day, item, last_day) for item in day_of_month.split(","))
    weekday = (day.isoweekday() % 7) + 1  # SUN=1 .. SAT=7, as Glue numbers days
    return any(_week_day_matches(day, weekday, item, last_day) for item in day_of_week.split(","))


def _month_day_matches(day: date, item: str, last_day: int) -> bool:
    if item == "L":
        return day.day == last_day
    if item.endswith("W"):
        # The weekday nearest to that day of the month, never crossing into another month.
        target = min(int(item[:-1]), last_day)
        nearest = date(day.year, day.month, target)
        if nearest.isoweekday() == 6:
            nearest -= timedelta(days=1) if target > 1 else timedelta(days=-2)
        elif nearest.isoweekday() == 7:
            nearest += timedelta(days=1) if target < last_day else timedelta(days=-2)
        return day == nearest
    return day.day in _expand(item, 1, 31, ())


def _week_day_matches(day: date, weekday: int, item: str, last_day: int) -> bool:
    if item == "L":
        return weekday == 7
    if "#" in item:
        name, _, nth = item.partition("#")
        return weekday == _value(name, 1, 7, DAYS) and (day.day - 1) // 7 + 1 == int(nth)
    if item.endswith("L"):
        return weekday == _value(item[:-1], 1, 7, DAYS) and day.day + 7 > last_day
    return weekday in _expand(item, 1, 7, DAYS)
