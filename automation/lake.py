"""The rules both backends share about the lake: which files are data, which partition a
folder is, what a silver dataset on disk must look like, and the sample's marker.

The local backend (a directory lake) and the AWS verbs (S3 keys) apply the same rules
here, so they never disagree about a file. The byte-level rules themselves (data file
names, the Parquet frame) are the job's own (`etl.files`): the job, the local backend and
silver loading judge a file alike. No Spark, no boto3, no Rich here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from etl.errors import PipelineError
from etl.files import is_data_file, local_parquet_problem
from etl.incremental import (
    PartitionKey,
    parse_partition_spec,
    partition_key_of_file,
    partition_key_of_folder,
    partition_sort_key,
    partition_spec,
)
from etl.sample import SAMPLE_MARKER as SAMPLE_MARKER  # where automation reads it


class SilverPathError(PipelineError):
    """`--silver-path` is not a Parquet dataset in ano=/mes= folders."""


def is_data_path(relative: str) -> bool:
    """Whether a path below a table's location holds data: every segment must be one Spark,
    Hive and Athena read (`etl.files.is_data_file`), so files under `_temporary/` or
    `.spark-staging-*/` (left by a killed run) and `$folder$` placeholders are not data."""
    segments = [s for s in relative.split("/") if s]
    return bool(segments) and all(is_data_file(s) for s in segments) and not segments[-1].endswith("$folder$")


def spec_order(spec: str) -> tuple:
    """Sort key of an `ano=/mes=` spec: by year, then month (not as text: mes=10 after mes=9)."""
    return partition_sort_key(parse_partition_spec(spec))


def sorted_specs(keys: Iterable[PartitionKey]) -> list[str]:
    """Partition keys as `ano=/mes=` specs, in partition order."""
    return [partition_spec(key) for key in sorted(keys, key=partition_sort_key)]


def files_by_partition(items: Iterable[tuple[str, int]]) -> dict[str, list[tuple[str, int]]]:
    """Group (path relative to a table's location, size) pairs by `ano=/mes=` partition.

    Paths that are not data (`is_data_path`) or not inside ano=/mes= folders are left out.

    Returns:
        {spec: sorted [(file name, size)]}, in partition order.
    """
    found: dict[PartitionKey, list[tuple[str, int]]] = {}
    for relative, size in items:
        if not is_data_path(relative):
            continue
        try:
            key = partition_key_of_file(relative)
        except ValueError:
            continue
        found.setdefault(key, []).append((relative.rsplit("/", 1)[-1], size))
    return {partition_spec(k): sorted(found[k]) for k in sorted(found, key=partition_sort_key)}


def local_files_by_partition(root: Path) -> dict[str, list[str]]:
    """Data file names by `ano=/mes=` folder under a local table location (a folder with no
    data file is listed, empty: verification names it)."""
    folders = [f for f in root.glob("ano=*/mes=*") if f.is_dir()]
    keyed = {partition_key_of_folder(str(f)): f for f in folders}
    return {
        partition_spec(key): sorted(p.name for p in keyed[key].iterdir() if p.is_file() and is_data_file(p.name))
        for key in sorted(keyed, key=partition_sort_key)
    }


@dataclass(frozen=True)
class SilverFile:
    """A local silver file and where it goes: its partition and its key under silverUri."""

    path: Path
    spec: str
    key: str  # relative to the silver location: ano=2024/mes=1/part-0.parquet

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def silver_files(root: Path) -> list[SilverFile]:
    """The data files of a local Parquet dataset in `ano=/mes=` folders.

    Raises:
        SilverPathError: not a folder, no ano=/mes= folders, no data files, or a file that is
            not Parquet by its frame (`etl.files.parquet_frame_problem`).
    """
    if not root.exists():
        raise SilverPathError(f"--silver-path {root} does not exist")
    if not root.is_dir():
        raise SilverPathError(f"--silver-path {root} is not a directory of ano=/mes= folders")
    folders = [f for f in root.glob("ano=*/mes=*") if f.is_dir()]
    if not folders:
        raise SilverPathError(f"--silver-path {root} has no ano=/mes= folders")
    found = []
    for folder in folders:
        try:
            key = partition_key_of_folder(str(folder))
        except ValueError as error:
            raise SilverPathError(f"--silver-path {root}: {error}") from None
        if None in key:
            raise SilverPathError(
                f"--silver-path {root}: {folder.relative_to(root)} is not an integer ano=/mes= folder"
            )
        for file in sorted(folder.iterdir()):
            if not file.is_file() or not is_data_file(file.name):
                continue
            problem = local_parquet_problem(file)
            if problem:
                raise SilverPathError(f"--silver-path {root} is not Parquet: {file.relative_to(root)} {problem}")
            found.append(SilverFile(file, partition_spec(key), f"{partition_spec(key)}/{file.name}"))
    if not found:
        raise SilverPathError(f"--silver-path {root} has ano=/mes= folders but no data files")
    return sorted(found, key=lambda f: (spec_order(f.spec), f.key))
