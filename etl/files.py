"""What counts as data in the lake, and whether a file is framed as Parquet: pure rules.

One place for the rules the job (through Hadoop's FileSystem), the local backend (local
folders) and the AWS verbs (S3 listings) all apply, so the three never disagree about
which files hold data or which file is not Parquet. No I/O here: callers read the bytes.
"""

from __future__ import annotations

PARQUET_MAGIC = b"PAR1"
# A Parquet file is "PAR1" <data> <footer> <4-byte little-endian footer length> "PAR1":
# the smallest possible file has both magics and the length (12 bytes).
PARQUET_MIN_SIZE = 12
# What a caller reads to judge a file by its frame: the first 4 and the last 8 bytes.
PARQUET_HEAD_BYTES = 4
PARQUET_TAIL_BYTES = 8


def is_data_file(name: str) -> bool:
    """Whether a file name holds data: Hadoop, Spark, Hive and Athena all skip names
    starting with `_` or `.` (`_SUCCESS`, `_sample.json`, `.part-0.crc`)."""
    return bool(name) and not name.startswith(("_", "."))


def parquet_frame_problem(size: int, head: bytes, tail: bytes) -> str | None:
    """Why a file is not a readable Parquet file by its frame alone, or None.

    Checks the magic bytes at both ends and that the footer fits in the file: what a
    truncated, overwritten or non-Parquet file breaks.

    Args:
        size: the file's size in bytes.
        head: its first `PARQUET_HEAD_BYTES` bytes.
        tail: its last `PARQUET_TAIL_BYTES` bytes (the footer length, then the magic).
    """
    if size < PARQUET_MIN_SIZE:
        return f"is not a Parquet file ({size} bytes)"
    if head[:4] != PARQUET_MAGIC or tail[-4:] != PARQUET_MAGIC:
        return "is not a Parquet file (no PAR1 magic bytes)"
    footer = int.from_bytes(tail[-8:-4], "little")
    if footer <= 0 or footer > size - PARQUET_MIN_SIZE:
        return f"is a corrupt Parquet file (footer length {footer} does not fit in {size} bytes)"
    return None


def local_parquet_problem(path) -> str | None:
    """`parquet_frame_problem` for a file on this machine (reads 12 bytes)."""
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(0)
        head = handle.read(PARQUET_HEAD_BYTES)
        handle.seek(max(0, size - PARQUET_TAIL_BYTES))
        tail = handle.read(PARQUET_TAIL_BYTES)
    return parquet_frame_problem(size, head, tail)
