"""Deterministic sample data for the silver table.

Every value is a hash of the row id and the seed, so the same arguments give the same rows
whatever writes them. A configurable fraction of rows breaks one quality rule each (null or
out-of-range idade, null ativo, null, negative or NaN salario), so the quality gate has
something to catch.

The rows are computed with numpy and written with pyarrow (`write_sample`): no JVM, so the
AWS `load-silver` needs no Java, and `make demo` spends no Spark job on its input. The hash is
Spark's `xxhash64` (the generator was a Spark expression first; tests/etl/test_sample.py holds
this one to Spark's own function, row for row), so a sample is the same rows it always was.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and pyarrow are imported by the writer only: the job never needs them
    import numpy as np
    import pyarrow as pa

# The kinds of invalid row the generator injects, in order of the hash that picks one.
# Written beside generated sample silver: the sample's options, so an unchanged sample is reused
# (`load-silver`); a later upload of other data deletes it (the operator policy grants that delete).
SAMPLE_MARKER = "_sample.json"

# A seed is a Spark bigint literal in the sample's definition: 64 bits, signed.
SEED_RANGE = range(-(1 << 63), 1 << 63)

INVALID_KINDS = (
    "idade is null",
    "idade outside 0..120",
    "ativo is null",
    "salario is null",
    "salario is negative",
    "salario is NaN",
)


@dataclass(frozen=True)
class SampleSpec:
    """What to generate: rows spread evenly over `months` consecutive months."""

    rows: int = 1_000_000
    months: int = 36
    first_year: int = 2023
    first_month: int = 1
    invalid_fraction: float = 0.01
    seed: int = 42

    def __post_init__(self) -> None:
        if self.rows < 1:
            raise ValueError(f"rows must be at least 1, got {self.rows}")
        if self.months < 1:
            raise ValueError(f"months must be at least 1, got {self.months}")
        if not 1 <= self.first_month <= 12:
            raise ValueError(f"first_month must be 1..12, got {self.first_month}")
        if not 0.0 <= self.invalid_fraction <= 1.0:
            raise ValueError(f"invalid_fraction must be between 0 and 1, got {self.invalid_fraction}")
        if self.seed not in SEED_RANGE:
            raise ValueError(f"seed must fit in 64 bits (a Spark bigint), got {self.seed}")

    def to_dict(self) -> dict:
        return asdict(self)


# Rows per pyarrow batch (one Parquet row group each): a month of any size is written in
# pieces of this many rows, so memory stays flat however many rows are asked for.
BATCH_ROWS = 1 << 20
# Each month's rows in one file of that month's folder; the name is fixed so the same sample
# always has the same keys (an upload of it again adds nothing twice).
SAMPLE_FILE = "sample-00000.snappy.parquet"

# XXH64's primes and Spark's use of them (org.apache.spark.sql.catalyst.expressions.XXH64:
# hashInt, hashLong, fmix; XxHash64 folds its arguments left to right from the seed 42).
_PRIME1 = 0x9E3779B185EBCA87
_PRIME2 = 0xC2B2AE3D27D4EB4F
_PRIME3 = 0x165667B19E3779F9
_PRIME4 = 0x85EBCA77C2B2AE63
_PRIME5 = 0x27D4EB2F165667C5
_SPARK_XXHASH64_SEED = 42
_INT32 = range(-(1 << 31), 1 << 31)


def _rotate_left(value: np.ndarray, bits: int) -> np.ndarray:
    import numpy as np

    return (value << np.uint64(bits)) | (value >> np.uint64(64 - bits))


def _fmix(value: np.ndarray) -> np.ndarray:
    import numpy as np

    value = value ^ (value >> np.uint64(33))
    value = value * np.uint64(_PRIME2)
    value = value ^ (value >> np.uint64(29))
    value = value * np.uint64(_PRIME3)
    return value ^ (value >> np.uint64(32))


def _hash_long(values: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """XXH64.hashLong of int64 `values` (as uint64) with per-row `seeds`."""
    import numpy as np

    hashed = seeds + np.uint64(_PRIME5 + 8)
    hashed = hashed ^ (_rotate_left(values * np.uint64(_PRIME2), 31) * np.uint64(_PRIME1))
    return _fmix(_rotate_left(hashed, 27) * np.uint64(_PRIME1) + np.uint64(_PRIME4))


def _hash_int(value: int, seeds: np.ndarray) -> np.ndarray:
    """XXH64.hashInt of one 32-bit `value` with per-row `seeds`."""
    import numpy as np

    hashed = seeds + np.uint64(_PRIME5 + 4)
    hashed = hashed ^ (np.uint64(value & 0xFFFFFFFF) * np.uint64(_PRIME1))
    return _fmix(_rotate_left(hashed, 23) * np.uint64(_PRIME2) + np.uint64(_PRIME3))


def _hash_literal(literal: int, seeds: np.ndarray) -> np.ndarray:
    """XXH64 of a literal as Spark types it: an int when it fits 32 bits, else a bigint."""
    import numpy as np

    if literal in _INT32:
        return _hash_int(literal, seeds)
    return _hash_long(np.full(seeds.shape, literal, dtype=np.int64).view(np.uint64), seeds)


def _id_and_seed(ids: np.ndarray, seed: int) -> np.ndarray:
    """Spark's `xxhash64(id, seed, ...)` folded up to the seed: the part every column shares."""
    import numpy as np

    with np.errstate(over="ignore"):  # XXH64 is arithmetic modulo 2**64
        hashed = _hash_long(ids.view(np.uint64), np.full(ids.shape, _SPARK_XXHASH64_SEED, dtype=np.uint64))
        return _hash_literal(seed, hashed)


def _uniform(id_and_seed: np.ndarray, salt: int, modulus: int) -> np.ndarray:
    """A deterministic integer in [0, modulus) for each row: Spark's
    `pmod(xxhash64(id, seed, salt), modulus)`, from `_id_and_seed`'s hashes."""
    import numpy as np

    with np.errstate(over="ignore"):
        hashed = _hash_literal(salt, id_and_seed)
    return np.mod(hashed.view(np.int64), modulus)  # pmod: numpy's mod is never negative here


def _sample_batch(spec: SampleSpec, ids: np.ndarray) -> pa.RecordBatch:
    """The sample's columns for the row `ids` (all of one month): id, nome, idade, ativo, salario."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    hashed = _id_and_seed(ids, spec.seed)
    invalid = _uniform(hashed, 4, 1_000_000) < int(round(spec.invalid_fraction * 1_000_000))
    kind = _uniform(hashed, 5, len(INVALID_KINDS))

    def broken(kind_name: str) -> np.ndarray:
        return invalid & (kind == INVALID_KINDS.index(kind_name))

    idade = np.where(broken("idade outside 0..120"), 130, 18 + _uniform(hashed, 1, 63)).astype(np.int32)
    ativo = _uniform(hashed, 2, 4) != 0  # three in four active
    salario = 1_412 + _uniform(hashed, 3, 2_000_000) / 100.0
    salario = np.where(broken("salario is negative"), -salario, salario)
    salario = np.where(broken("salario is NaN"), np.nan, salario)
    id_column = pa.array(ids, type=pa.int64())
    return pa.RecordBatch.from_arrays(
        [
            id_column,
            pc.binary_join_element_wise("pessoa-", pc.cast(id_column, pa.string()), ""),
            pa.array(idade, mask=broken("idade is null")),
            pa.array(ativo, mask=broken("ativo is null")),
            pa.array(salario, mask=broken("salario is null")),
        ],
        schema=_sample_schema(),
    )


def _sample_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("id", pa.int64(), nullable=False),
            pa.field("nome", pa.string(), nullable=False),
            pa.field("idade", pa.int32()),
            pa.field("ativo", pa.bool_()),
            pa.field("salario", pa.float64()),
        ]
    )


def sample_months(spec: SampleSpec) -> list[tuple[int, int]]:
    """The (ano, mes) of each of the sample's months, in order: row `id` is in month `id % months`."""
    months = []
    for index in range(spec.months):
        month_index = index + spec.first_month - 1
        months.append((spec.first_year + month_index // 12, month_index % 12 + 1))
    return months


def write_sample(spec: SampleSpec, folder: Path) -> list[Path]:
    """Write the sample as Parquet (snappy) in `ano=/mes=` folders under `folder`, one file a
    month, replacing whatever `folder` held.

    Returns:
        the files written, in month order.
    """
    import numpy as np
    import pyarrow.parquet as pq

    shutil.rmtree(folder, ignore_errors=True)
    written = []
    for index, (ano, mes) in enumerate(sample_months(spec)):
        if index >= spec.rows:
            break  # fewer rows than months: the later months have none
        target = folder / f"ano={ano}" / f"mes={mes}" / SAMPLE_FILE
        target.parent.mkdir(parents=True)
        # Dictionaries only where values repeat: on the ids, names and salaries (nearly all
        # distinct) pyarrow's default dictionary attempt made the files a fifth larger.
        with pq.ParquetWriter(
            target, _sample_schema(), compression="snappy", use_dictionary=["idade", "ativo"]
        ) as writer:
            for first in range(index, spec.rows, BATCH_ROWS * spec.months):
                last = min(spec.rows, first + BATCH_ROWS * spec.months)
                writer.write_batch(_sample_batch(spec, np.arange(first, last, spec.months, dtype=np.int64)))
        written.append(target)
    return written
