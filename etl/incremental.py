"""Incremental state: which silver partitions changed since the last successful run.

A silver partition's fingerprint is the sorted list of its data files' (name, size,
modification time). The job stores the fingerprints it processed next to the gold table;
the next run recomputes only partitions whose fingerprint is new or different, and drops
gold partitions whose silver partition is gone. Whole partitions, never files: a month's
average over its new files only would be wrong.

Pure: standard library only, no I/O (the job reads and writes the state text).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from etl.schema import PARTITION_KEYS

STATE_VERSION = 1
STATE_FILE = "fingerprints.json"
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"

PartitionKey = tuple  # (ano, mes), each an int or None for Hive's null partition
Fingerprint = tuple  # ((file name, size, modified ms), ...) sorted by name

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def partition_spec(key: PartitionKey) -> str:
    """`(2024, 1)` -> `ano=2024/mes=1`, the form Hive and SHOW PARTITIONS use."""
    return "/".join(
        f"{name}={HIVE_NULL if value is None else value}" for name, value in zip(PARTITION_KEYS, key, strict=True)
    )


def parse_partition_spec(spec: str) -> PartitionKey:
    """`ano=2024/mes=01` -> `(2024, 1)`; Hive's null partition value -> None.

    Raises:
        ValueError: when the spec does not name exactly the partition keys with integers.
    """
    values = {}
    for segment in spec.strip("/").split("/"):
        match = _SEGMENT.match(segment)
        if match:
            values[match.group(1).lower()] = match.group(2)
    if set(values) != set(PARTITION_KEYS):
        raise ValueError(f"not a partition spec of {'/'.join(PARTITION_KEYS)}: {spec!r}")
    return tuple(_partition_value(values[name], spec) for name in PARTITION_KEYS)


def partition_key_of_file(path: str) -> PartitionKey:
    """The (ano, mes) of a data file from its folder names (`.../ano=2024/mes=1/part-0.parquet`)."""
    folders = path.rstrip("/").split("/")[:-1]
    found = {}
    for segment in folders:
        match = _SEGMENT.match(segment)
        if match and match.group(1).lower() in PARTITION_KEYS:
            found[match.group(1).lower()] = match.group(2)
    if set(found) != set(PARTITION_KEYS):
        raise ValueError(f"file is not inside ano=/mes= folders: {path}")
    return tuple(_partition_value(found[name], path) for name in PARTITION_KEYS)


def partition_key_of_folder(path: str) -> PartitionKey:
    """The (ano, mes) of a partition folder (`.../ano=2024/mes=1`, with or without a slash)."""
    return partition_key_of_file(path.rstrip("/") + "/_")


def _partition_value(raw: str, where: str) -> int | None:
    if raw == HIVE_NULL:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"partition value {raw!r} is not an integer in {where!r}") from None


@dataclass(frozen=True)
class SilverPartition:
    """What the job knows of one silver partition at the start of a run."""

    key: PartitionKey
    fingerprint: Fingerprint


@dataclass(frozen=True)
class State:
    """The stored result of the last successful run."""

    source: str
    target: str
    fingerprints: Mapping[PartitionKey, Fingerprint] = field(default_factory=dict)
    # Partitions whose recomputation produced gold rows (so gold must have them).
    with_gold: frozenset = frozenset()

    def to_json(self) -> str:
        partitions = {
            partition_spec(key): {
                "files": [list(entry) for entry in fingerprint],
                "gold": key in self.with_gold,
            }
            for key, fingerprint in sorted(self.fingerprints.items(), key=lambda kv: partition_sort_key(kv[0]))
        }
        document = {
            "version": STATE_VERSION,
            "source": self.source,
            "target": self.target,
            "partitions": partitions,
        }
        return json.dumps(document, indent=1, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> State | None:
        """Parse stored state; None for a state this version cannot use (full recompute)."""
        try:
            document = json.loads(text)
            if document.get("version") != STATE_VERSION:
                return None
            fingerprints = {}
            with_gold = set()
            for spec, entry in document["partitions"].items():
                key = parse_partition_spec(spec)
                fingerprints[key] = tuple(tuple(item) for item in entry["files"])
                if entry.get("gold"):
                    with_gold.add(key)
            return State(document["source"], document["target"], fingerprints, frozenset(with_gold))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


@dataclass(frozen=True)
class Plan:
    """What a run does: partitions to recompute, gold partitions to drop, the rest."""

    recompute: tuple[PartitionKey, ...]
    drop: tuple[PartitionKey, ...]
    unchanged: tuple[PartitionKey, ...]
    reason: str

    @property
    def is_noop(self) -> bool:
        return not self.recompute and not self.drop


def plan_run(
    mode: str,
    silver: Iterable[SilverPartition],
    gold_partitions: Iterable[PartitionKey],
    previous: State | None,
    source: str,
    target: str,
) -> Plan:
    """Decide which partitions a run recomputes and which gold partitions it drops.

    Args:
        mode: `full` recomputes every silver partition; `incremental` only new or changed
            ones, plus any whose gold partition has gone missing.
        silver: the silver partitions now, with fingerprints.
        gold_partitions: the gold partitions the catalog lists now.
        previous: the state of the last successful run, or None.
        source: the source table's name (a state for another table is not used).
        target: the target table's name.
    """
    current = {p.key: p.fingerprint for p in silver}
    gold = set(gold_partitions)
    drop = tuple(sorted(gold - set(current), key=partition_sort_key))
    everything = tuple(sorted(current, key=partition_sort_key))
    if mode == "full":
        return Plan(everything, drop, (), "full refresh")
    if previous is None:
        return Plan(everything, drop, (), "no previous state: every partition is new")
    if (previous.source, previous.target) != (source, target):
        return Plan(everything, drop, (), "previous state is for another table")
    recompute: list[PartitionKey] = []
    unchanged: list[PartitionKey] = []
    for key in everything:
        stale = previous.fingerprints.get(key) != current[key]
        lost_gold = key in previous.with_gold and key not in gold
        (recompute if stale or lost_gold else unchanged).append(key)
    return Plan(tuple(recompute), drop, tuple(unchanged), "incremental")


def partition_sort_key(key: PartitionKey) -> tuple:
    """Orders partition keys by value, Hive's null partition last."""
    return tuple((value is None, value or 0) for value in key)
