"""The emulated lake as Glue and Athena would read it: a catalog table's rows are the data
objects under the locations of its registered partitions (an unregistered partition is
invisible, as in Athena), with the partition values as columns.

Used by the played job (to read silver) and by the Athena answers (DuckDB over every table).
"""

from __future__ import annotations

import io
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from automation.lake import is_data_path

# The functions take the emulator (`tools.emulator.server.Emulator`, which imports this
# module to answer Athena): anything with `client(service)`.
Emulator = Any

# Hive column types of the catalog -> Arrow, for partition values and empty tables.
HIVE_TO_ARROW = {
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "boolean": pa.bool_(),
    "float": pa.float32(),
    "double": pa.float64(),
    "string": pa.string(),
    "date": pa.date32(),
}


def split_uri(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix.rstrip("/") + "/" if prefix else ""


def read_objects(emulator: Emulator, uri: str) -> list[pa.Table]:
    """Every data object (Parquet) under `uri`, in key order."""
    s3 = emulator.client("s3")
    bucket, prefix = split_uri(uri)
    tables = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if not is_data_path(item["Key"][len(prefix) :]):
                continue
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            tables.append(pq.read_table(io.BytesIO(body)))
    return tables


def _arrow_type(hive: str) -> pa.DataType:
    return HIVE_TO_ARROW.get(hive.lower(), pa.string())


def read_catalog_table(emulator: Emulator, database: str, name: str) -> pa.Table:
    """The table's rows: its registered partitions' objects (or its location's when it has no
    partition keys), with the partition values as typed columns, in partition order."""
    glue = emulator.client("glue")
    table = glue.get_table(DatabaseName=database, Name=name)["Table"]
    columns = [(c["Name"], _arrow_type(c["Type"])) for c in table["StorageDescriptor"].get("Columns", [])]
    keys = [(c["Name"], _arrow_type(c["Type"])) for c in table.get("PartitionKeys", [])]
    pieces: list[pa.Table] = []
    if not keys:
        pieces = read_objects(emulator, table["StorageDescriptor"]["Location"])
    else:
        partitions = []
        for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=name):
            partitions.extend(page.get("Partitions", []))
        for partition in sorted(partitions, key=lambda p: [_sortable(v) for v in p["Values"]]):
            for piece in read_objects(emulator, partition["StorageDescriptor"]["Location"]):
                for (key, type_), value in zip(keys, partition["Values"], strict=True):
                    piece = piece.append_column(key, pa.array([value] * len(piece)).cast(type_))
                pieces.append(piece)
    if not pieces:
        return pa.schema(columns + keys).empty_table()
    return pa.concat_tables(pieces, promote_options="permissive")


def _sortable(value: str) -> tuple[int, Any]:
    return (0, int(value)) if value.lstrip("-").isdigit() else (1, value)


# DuckDB's result types -> Athena's ColumnInfo.Type (what the CLI reads its values by).
ATHENA_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "tinyint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "bigint",
    "FLOAT": "float",
    "DOUBLE": "double",
    "VARCHAR": "varchar",
    "DATE": "date",
}


def answer_with_duckdb(
    emulator: Emulator, sql: str, database: str | None
) -> tuple[list[tuple[str, str]], list[list[Any]]] | None:
    """Run `sql` in DuckDB over every table of the emulated Glue catalog (each database a
    schema); None for a statement DuckDB does not run as a query (MSCK, DDL)."""
    if not sql.lstrip().lower().startswith(("select", "with")):
        return None
    glue = emulator.client("glue")
    connection = duckdb.connect()
    connection.execute("SET threads = 1")  # rows in table order: LIMIT without ORDER BY is stable
    for db in glue.get_databases()["DatabaseList"]:
        schema = db["Name"]
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for table in glue.get_tables(DatabaseName=schema)["TableList"]:
            view = f"{schema}__{table['Name']}"
            connection.register(view, read_catalog_table(emulator, schema, table["Name"]))
            connection.execute(f'CREATE VIEW "{schema}"."{table["Name"]}" AS SELECT * FROM "{view}"')
    if database:
        connection.execute(f'USE "{database}"')
    relation = connection.sql(sql)
    types = [ATHENA_TYPES.get(str(type_).split("(")[0], "varchar") for type_ in relation.types]
    return list(zip(relation.columns, types, strict=True)), [list(row) for row in relation.fetchall()]
