"""The single source of truth for table names, columns, types and partition keys.

The Glue catalog table (infra), the local catalog (automation) and the job (etl) all read
this module. It is pure: standard library only, so infra can import it without pulling in
Spark. Spark types are derived from these definitions in `etl.spark_types`.

It must not import pyspark, pulumi, boto3, infra or automation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

# Catalog names, as in the tutorial.
SILVER_DATABASE = "silver_data"
SILVER_TABLE = "sample_data_partitioned"
GOLD_DATABASE = "gold_data"
GOLD_TABLE = "sample_data_aggregated"

PARTITION_KEYS: tuple[str, ...] = ("ano", "mes")
GROUP_KEYS: tuple[str, ...] = ("idade", "ativo", "ano", "mes")
MEASURE_COLUMN = "salario"
AGGREGATE_COLUMN = "salario_medio"
REASONS_COLUMN = "reject_reasons"
ID_COLUMN = "id"
# Where a rejected row came from: its silver file and its position in that file (0-based,
# counted over the file's rows in order, as Spark's `_metadata.row_index` and pyarrow see it).
SOURCE_FILE_COLUMN = "silver_file"
SOURCE_ROW_COLUMN = "silver_row"

PARQUET_COMPRESSION = "snappy"

# Hive / Glue storage descriptor for Parquet tables (what the tutorial's create_table used).
PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


@dataclass(frozen=True)
class Column:
    """One column: its name, its Hive/Glue type name and a short comment."""

    name: str
    type: str
    comment: str = ""


@dataclass(frozen=True)
class TableSchema:
    """A partitioned Parquet table: data columns, partition columns, names."""

    database: str
    table: str
    columns: tuple[Column, ...]
    partition_columns: tuple[Column, ...]
    description: str = ""

    @property
    def qualified_name(self) -> str:
        """`database.table`, as SQL and Spark's catalog name it."""
        return f"{self.database}.{self.table}"

    @property
    def all_columns(self) -> tuple[Column, ...]:
        """Data columns followed by partition columns (the order Hive exposes them)."""
        return self.columns + self.partition_columns

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.all_columns)


_PARTITION_COLUMNS = (
    Column("ano", "int", "year of the record (partition)"),
    Column("mes", "int", "month of the record, 1..12 (partition)"),
)

SILVER = TableSchema(
    database=SILVER_DATABASE,
    table=SILVER_TABLE,
    columns=(
        Column("idade", "int", "age in years"),
        Column("ativo", "boolean", "whether the person is active"),
        Column("salario", "double", "salary"),
    ),
    partition_columns=_PARTITION_COLUMNS,
    description="Silver layer: cleaned records, partitioned by ano/mes.",
)

GOLD = TableSchema(
    database=GOLD_DATABASE,
    table=GOLD_TABLE,
    columns=(
        Column("idade", "int", "age in years"),
        Column("ativo", "boolean", "whether the person is active"),
        Column("salario_medio", "double", "average salario of the valid silver rows"),
    ),
    partition_columns=_PARTITION_COLUMNS,
    description="Gold layer: average salario by idade, ativo, ano, mes.",
)

# The silver table a stack declares for a fresh account (`silverCatalog: create`) holds
# what `etl.sample` writes and `load-silver` uploads: the row's identity and a name besides
# the columns the job reads. On Glue the job sees only the catalog's columns, so without
# `id` here the lean quarantine could not say which row was rejected. `nome` is declared so
# the table describes its files; the job never reads it unless `--quarantine_columns all`.
SILVER_TABLE_COLUMNS: tuple[Column, ...] = (
    Column(ID_COLUMN, "bigint", "the row's identity"),
    Column("nome", "string", "the person's name (personal data)"),
    *SILVER.columns,
)

# What the quarantine keeps of a rejected row (`--quarantine_columns`): `lean` (default) the
# row's identity, where it came from, the values the rules read and why it failed; `all`
# the whole silver row (every column, `nome` included) plus where it came from and why.
QUARANTINE_MODES: tuple[str, ...] = ("lean", "all")
DEFAULT_QUARANTINE_COLUMNS = "lean"

_ORIGIN_COLUMNS = (
    Column(SOURCE_FILE_COLUMN, "string", "the silver file the row was read from (URI)"),
    Column(SOURCE_ROW_COLUMN, "bigint", "the row's 0-based position in that file"),
)
_REASONS = Column(REASONS_COLUMN, "array<string>", "every quality rule the row fails")

# The lean quarantine's columns, in order. Silver's own columns keep the type silver stores
# them with (a rejected idade of 2**32 is kept, not wrapped); the types here are those of
# the standard silver table. `id` is null when silver has no id column.
QUARANTINE_LEAN_COLUMNS: tuple[Column, ...] = (
    Column(ID_COLUMN, "bigint", "the row's id in silver"),
    *_ORIGIN_COLUMNS,
    *SILVER.columns,
    *SILVER.partition_columns,
    _REASONS,
)
# With `all`: every silver column as stored, then these.
QUARANTINE_ALL_EXTRA_COLUMNS: tuple[Column, ...] = (*_ORIGIN_COLUMNS, _REASONS)


def quarantine_column_names(mode: str, silver_columns: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The quarantine's column names for `mode`, given silver's columns as read."""
    if mode == "lean":
        return tuple(c.name for c in QUARANTINE_LEAN_COLUMNS)
    if mode == "all":
        return (*silver_columns, *(c.name for c in QUARANTINE_ALL_EXTRA_COLUMNS))
    raise ValueError(f"quarantine columns must be one of {', '.join(QUARANTINE_MODES)}, got {mode!r}")


# The rejects table: the lean quarantine as a table people can query (dbt's stored test
# failures, a table per gate). It lives in the gold database, is named after the gold table,
# reads the quarantine location and has one partition per run that rejected rows (the job
# writes `quarantine/<gold table>/run_id=<id>/`). Parquet is read by column name, so the
# table reads its lean columns from whole-row quarantine files (`--quarantine_columns all`)
# too; the other columns of those files are read with a table or query of their own.
REJECTS_TABLE_SUFFIX = "_rejects"
RUN_ID_COLUMN = "run_id"
REJECTS_PARTITION_COLUMNS: tuple[Column, ...] = (
    Column(RUN_ID_COLUMN, "string", "the job run that rejected the row (partition)"),
)


def rejects_table_name(gold_table: str) -> str:
    """`sample_data_aggregated` -> `sample_data_aggregated_rejects`."""
    return f"{gold_table}{REJECTS_TABLE_SUFFIX}"


def rejects_table_schema(gold: TableSchema) -> TableSchema:
    """The rejects table of a gold table: same database, the lean quarantine columns, by run."""
    return TableSchema(
        database=gold.database,
        table=rejects_table_name(gold.table),
        columns=QUARANTINE_LEAN_COLUMNS,
        partition_columns=REJECTS_PARTITION_COLUMNS,
        description=f"Rows the quality gate rejected on their way to {gold.qualified_name}, one partition per run.",
    )


# Which stored types the job accepts for each required silver column, by Spark's
# simpleString. Integral widths widen or narrow safely for the value ranges the quality
# rules allow; floating and decimal salaries read as double. Text never passes: a salario
# stored as string is a contract violation, not something to guess at.
_INTEGRAL = ("tinyint", "smallint", "int", "bigint")
ACCEPTED_SOURCE_TYPES: dict[str, tuple[str, ...]] = {
    "idade": _INTEGRAL,
    "ativo": ("boolean",),
    "salario": ("float", "double", "decimal", *_INTEGRAL),
    "ano": _INTEGRAL,
    "mes": _INTEGRAL,
}


def contract_problems(found: dict[str, str]) -> list[str]:
    """What breaks the schema contract in a schema given as {column: Spark simpleString}:
    `idade is missing`, `salario has type string (expected one of: ...)`. Pure, so the job
    (Spark's schema, `etl.quality.check_contract`) and the CLI (Parquet footers, before Spark
    starts) judge a schema by the same words."""
    lowered = {name.lower(): type_ for name, type_ in found.items()}
    problems = []
    for column, accepted in ACCEPTED_SOURCE_TYPES.items():
        if column not in lowered:
            problems.append(f"{column} is missing")
            continue
        base_type = lowered[column].split("(")[0]  # decimal(10,2) -> decimal
        if base_type not in accepted:
            problems.append(f"{column} has type {lowered[column]} (expected one of: {', '.join(accepted)})")
    return problems


# The quality rules' bounds (inclusive), named so reports and tests can cite them.
ANO_RANGE = (1900, 2100)
MES_RANGE = (1, 12)
IDADE_RANGE = (0, 120)


def preview_sql(schema: TableSchema = GOLD, limit: int = 10) -> str:
    """The tutorial's check: `SELECT * FROM gold_data.sample_data_aggregated LIMIT 10`."""
    return f"SELECT * FROM {schema.qualified_name} LIMIT {limit}"


REJECTS = rejects_table_schema(GOLD)


def repair_sql(schema: TableSchema = GOLD) -> str:
    """The tutorial's option B for registering partitions."""
    return f"MSCK REPAIR TABLE {schema.qualified_name}"


def create_table_sql(schema: TableSchema, location: str, columns: Sequence[tuple[str, str]] | None = None) -> str:
    """DDL for an external, partitioned, snappy Parquet table, as the Glue catalog holds it.

    What a Hive metastore (the local catalog) runs to declare a table the stack declares on
    AWS (`infra.catalog.parquet_table_args`); e.g. the rejects table:
    `create_table_sql(rejects_table_schema(GOLD), LakeLayout(root).quarantine)`.

    Args:
        schema: names, columns and partition columns.
        location: the table's location URI.
        columns: (name, type) data columns to declare instead of the schema's (silver is
            registered with the columns its files really have, as a crawler would).
    """
    data = ", ".join(f"`{name}` {kind}" for name, kind in (columns or [(c.name, c.type) for c in schema.columns]))
    partitions = ", ".join(f"`{c.name}` {c.type}" for c in schema.partition_columns)
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {schema.qualified_name} ({data}) "
        f"PARTITIONED BY ({partitions}) "
        "STORED AS PARQUET "  # implies ParquetHiveSerDe, as on Glue
        f"LOCATION '{location}' "
        f"TBLPROPERTIES ('classification'='parquet', 'parquet.compression'='{PARQUET_COMPRESSION.upper()}')"
    )
