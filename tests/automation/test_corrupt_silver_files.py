"""A silver file that lost bytes between its head and its tail is refused before anything is
uploaded or run, with a line naming the file; a whole file is taken.

A Parquet file ends with its footer, the footer's length in 4 little-endian bytes and the magic
"PAR1", and starts with "PAR1" (Apache Parquet, "File Format",
https://parquet.apache.org/docs/file-format/): a footer longer than the bytes between the two
frames cannot be read. pyarrow, a real Parquet reader, is the judge of which files are readable;
the check under test only looks at the 12 framing bytes.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from automation.lake import SilverPathError, silver_files


def write_silver(root: Path) -> Path:
    """A one-partition silver dataset written by pyarrow; returns its file."""
    folder = root / "ano=2024" / "mes=1"
    folder.mkdir(parents=True)
    path = folder / "part-0.parquet"
    pq.write_table(pa.table({"nome": ["a", "b"], "idade": [30, 40], "salario": [1.0, 2.0]}), path)
    return path


def footer_length(data: bytes) -> int:
    return int.from_bytes(data[-8:-4], "little")


def test_a_whole_file_is_taken(tmp_path):
    path = write_silver(tmp_path)

    assert [f.key for f in silver_files(tmp_path)] == ["ano=2024/mes=1/part-0.parquet"]
    assert pq.read_metadata(path).num_rows == 2


def test_a_file_whose_data_pages_were_lost_but_whose_footer_is_whole_is_still_framed(tmp_path):
    """The frame holds exactly the footer: readable metadata, so the frame check lets it by."""
    path = write_silver(tmp_path)
    data = path.read_bytes()
    footer = footer_length(data)
    path.write_bytes(b"PAR1" + data[-8 - footer :])

    assert pq.read_metadata(path).num_rows == 2  # the judge reads it
    assert len(silver_files(tmp_path)) == 1


@pytest.mark.parametrize("lost", [1, 4, 8, 12, 40])
def test_a_file_that_lost_the_start_of_its_footer_is_refused_naming_it(tmp_path, lost):
    """Its data pages and the first `lost` bytes of its footer are gone; both ends still say PAR1."""
    path = write_silver(tmp_path)
    data = path.read_bytes()
    footer = footer_length(data)
    cut = b"PAR1" + data[-8 - footer + lost :]
    path.write_bytes(cut)
    with pytest.raises(Exception):  # noqa: B017 - the judge: pyarrow cannot read it (its error type varies)
        pq.read_metadata(path)

    with pytest.raises(SilverPathError) as raised:
        silver_files(tmp_path)

    assert str(raised.value) == (
        f"--silver-path {tmp_path} is not Parquet: ano=2024/mes=1/part-0.parquet is a corrupt Parquet file "
        f"(footer length {footer} does not fit in {len(cut)} bytes)"
    )


def refusal(root: Path) -> str:
    with pytest.raises(SilverPathError) as raised:
        silver_files(root)
    prefix = f"--silver-path {root} is not Parquet: ano=2024/mes=1/part-0.parquet "
    assert str(raised.value).startswith(prefix), raised.value
    return str(raised.value).removeprefix(prefix)


def test_a_file_cut_short_at_its_end_is_refused_for_its_missing_magic(tmp_path):
    """The commonest truncation (an upload or copy stopped early): the tail's PAR1 is gone."""
    path = write_silver(tmp_path)
    path.write_bytes(path.read_bytes()[:-100])

    assert refusal(tmp_path) == "is not a Parquet file (no PAR1 magic bytes)"


def test_a_file_whose_first_bytes_were_overwritten_is_refused_for_its_missing_magic(tmp_path):
    path = write_silver(tmp_path)
    path.write_bytes(b"CSV1" + path.read_bytes()[4:])

    assert refusal(tmp_path) == "is not a Parquet file (no PAR1 magic bytes)"


def test_a_file_smaller_than_the_frame_is_refused_with_its_size(tmp_path):
    path = write_silver(tmp_path)
    path.write_bytes(b"PAR1PAR1")

    assert refusal(tmp_path) == "is not a Parquet file (8 bytes)"


def test_the_smallest_frame_with_an_empty_footer_is_corrupt(tmp_path):
    """12 bytes hold both magics and a footer length of 0: a frame, but no footer in it."""
    path = write_silver(tmp_path)
    path.write_bytes(b"PAR1" + (0).to_bytes(4, "little") + b"PAR1")

    assert refusal(tmp_path) == "is a corrupt Parquet file (footer length 0 does not fit in 12 bytes)"


def test_a_footer_length_past_16_mib_is_read_whole(tmp_path):
    """All 4 length bytes count: 2**24 + 50 in a 112-byte file does not fit (its low 3 bytes, 50, would)."""
    path = write_silver(tmp_path)
    footer = 2**24 + 50
    path.write_bytes(b"PAR1" + bytes(100) + footer.to_bytes(4, "little") + b"PAR1")

    assert refusal(tmp_path) == f"is a corrupt Parquet file (footer length {footer} does not fit in 112 bytes)"
