"""The Glue Data Catalog entries Pulumi owns: the gold database and table, the rejects table
beside gold, and, when the stack creates it (`silverCatalog: create`), the silver database
and table.

The job never creates or drops tables (ARCHITECTURE decision 2); it writes partitions into
the table declared here. Table inputs come from `etl.schema`, the single source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from etl.schema import PARQUET_INPUT_FORMAT, PARQUET_OUTPUT_FORMAT, PARQUET_SERDE, TableSchema


@dataclass(frozen=True)
class TableAt:
    """A table's schema (names, columns, partitions) and its S3 location."""

    schema: TableSchema
    location: pulumi.Input[str]


@dataclass(frozen=True)
class LakeCatalogArgs:
    """The gold table, the rejects table beside it and, to create it, the silver table."""

    gold: TableAt
    rejects: TableAt  # the quarantine as a table (etl.schema.rejects_table_schema)
    silver: TableAt | None = None  # None: referenced, not created


class LakeCatalog(pulumi.ComponentResource):
    """The gold database and its Parquet table, partitioned by ano/mes; optionally silver's."""

    database: aws.glue.CatalogDatabase
    table: aws.glue.CatalogTable
    silver_table: aws.glue.CatalogTable | None
    rejects_table: aws.glue.CatalogTable

    def __init__(self, name: str, args: LakeCatalogArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:LakeCatalog", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.database = aws.glue.CatalogDatabase(
            f"{name}-gold-database",
            aws.glue.CatalogDatabaseArgs(
                name=args.gold.schema.database, description="Gold layer of the silver-to-gold pipeline"
            ),
            opts=child,
        )
        self.table = aws.glue.CatalogTable(
            f"{name}-gold-table", parquet_table_args(args.gold, self.database.name), opts=child
        )
        # Rejected rows as a table: the lean quarantine columns over the quarantine location,
        # one partition per run, which the job registers (as it registers gold's).
        self.rejects_table = aws.glue.CatalogTable(
            f"{name}-rejects-table", parquet_table_args(args.rejects, self.database.name), opts=child
        )
        self.silver_table = None
        if args.silver is not None:
            # A fresh account has no silver table: the stack declares it over the lake's
            # silver prefix so the job can run once Parquet files are copied there (and
            # partitions registered, e.g. MSCK REPAIR TABLE).
            silver_database = aws.glue.CatalogDatabase(
                f"{name}-silver-database",
                aws.glue.CatalogDatabaseArgs(
                    name=args.silver.schema.database, description="Silver layer read by the silver-to-gold pipeline"
                ),
                opts=child,
            )
            self.silver_table = aws.glue.CatalogTable(
                f"{name}-silver-table",
                parquet_table_args(args.silver, silver_database.name),
                opts=child,
            )
        self.register_outputs({"database": self.database.name, "table": self.table.name})


def parquet_table_args(table: TableAt, database: pulumi.Input[str]) -> aws.glue.CatalogTableArgs:
    """An external, snappy Parquet table partitioned by the schema's partition columns."""
    schema, location = table.schema, table.location
    return aws.glue.CatalogTableArgs(
        name=schema.table,
        database_name=database,
        description=schema.description,
        table_type="EXTERNAL_TABLE",
        parameters={
            "classification": "parquet",
            "compressionType": "snappy",
            "parquet.compression": "SNAPPY",
            "EXTERNAL": "TRUE",
        },
        partition_keys=[
            aws.glue.CatalogTablePartitionKeyArgs(name=c.name, type=c.type, comment=c.comment)
            for c in schema.partition_columns
        ],
        storage_descriptor=aws.glue.CatalogTableStorageDescriptorArgs(
            location=location,
            input_format=PARQUET_INPUT_FORMAT,
            output_format=PARQUET_OUTPUT_FORMAT,
            compressed=True,
            ser_de_info=aws.glue.CatalogTableStorageDescriptorSerDeInfoArgs(
                serialization_library=PARQUET_SERDE, parameters={"serialization.format": "1"}
            ),
            columns=[
                aws.glue.CatalogTableStorageDescriptorColumnArgs(name=c.name, type=c.type, comment=c.comment)
                for c in schema.columns
            ],
        ),
    )
