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
from typing import Any, Iterable

from etl.errors import PipelineError, SchemaContractError
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
from etl.schema import ACCEPTED_SOURCE_TYPES, SILVER, contract_problems


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


def check_silver_schema(root: Path, files: list[SilverFile]) -> None:
    """Judge silver's schema by the schema contract from each file's Parquet footer (pyarrow
    reads the footer alone: milliseconds a file), before Spark starts: the same words as the
    job's check (`etl.schema.contract_problems`), naming the first file whose column has a type
    the job cannot read. A column is missing when no file has it (Spark reads one file's
    schema; the job then sees it missing). `ano` and `mes` come from the folders.

    Raises:
        SchemaContractError: `schema contract violated by silver_data.sample_data_partitioned
            (--silver-path DIR, ano=2024/mes=1/part-0.parquet): salario has type string (...)`.
    """
    import pyarrow.parquet as pq  # imported late: only the verbs that read silver need it

    partition_types = {column.name: "int" for column in SILVER.partition_columns}
    seen: set[str] = set()
    for file in files:
        found = {field.name.lower(): spark_type_name(field.type) for field in pq.read_schema(file.path)}
        found = {**found, **partition_types}
        seen.update(found)
        wrong = [problem for problem in contract_problems(found) if not problem.endswith(" is missing")]
        if wrong:
            raise SchemaContractError(
                f"schema contract violated by {SILVER.qualified_name} (--silver-path {root}, {file.key}): "
                + "; ".join(wrong)
            )
    # Every column some file has, given a type the contract accepts: what is left is missing.
    missing = contract_problems({c: ACCEPTED_SOURCE_TYPES[c][0] for c in seen if c in ACCEPTED_SOURCE_TYPES})
    if missing:
        raise SchemaContractError(
            f"schema contract violated by {SILVER.qualified_name} (--silver-path {root}): " + "; ".join(missing)
        )


def read_silver(root: Path) -> list[SilverFile]:
    """`silver_files(root)`, with their schema judged by the contract (`check_silver_schema`)."""
    files = silver_files(root)
    check_silver_schema(root, files)
    return files


def spark_type_name(arrow_type: Any) -> str:
    """The type Spark reads a Parquet column as (its simpleString), from pyarrow's type of it.

    Unsigned integers widen as Spark's Parquet reader widens them (ParquetSchemaConverter:
    UINT_8 -> smallint, UINT_16 -> int, UINT_32 -> bigint, UINT_64 -> decimal(20,0)); a type
    the contract never accepts keeps pyarrow's name for the message.
    """
    import pyarrow as pa

    names = {
        pa.int8(): "tinyint",
        pa.int16(): "smallint",
        pa.int32(): "int",
        pa.int64(): "bigint",
        pa.uint8(): "smallint",
        pa.uint16(): "int",
        pa.uint32(): "bigint",
        pa.uint64(): "decimal(20,0)",
        pa.float16(): "float",
        pa.float32(): "float",
        pa.float64(): "double",
        pa.bool_(): "boolean",
        pa.string(): "string",
        pa.large_string(): "string",
        pa.binary(): "binary",
        pa.large_binary(): "binary",
        pa.date32(): "date",
    }
    if arrow_type in names:
        return names[arrow_type]
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    return str(arrow_type)
