"""The Athena workgroup for the gold layer and its two saved queries.

Results are encrypted and the workgroup's settings enforced; a per-query scan cap keeps a
bad query from costing more than the configured bytes ($5 per TB scanned).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from etl.schema import TableSchema, preview_sql, repair_sql

ATHENA_ENGINE_VERSION = "Athena engine version 3"


@dataclass(frozen=True)
class GoldQueriesArgs:
    """Workgroup name, where results go, the scan cap, the key and the table queried."""

    workgroup_name: str
    results_location: pulumi.Input[str]
    bytes_scanned_cutoff: int
    gold: TableSchema
    gold_database: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str] | None = None


class GoldQueries(pulumi.ComponentResource):
    """Workgroup (engine v3, encrypted results, scan cap) plus preview and repair queries."""

    def __init__(self, name: str, args: GoldQueriesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:GoldQueries", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        kms = args.kms_key_arn
        self.workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            aws.athena.WorkgroupArgs(
                name=args.workgroup_name,
                description="Queries on the gold layer; results encrypted, scans capped",
                force_destroy=True,
                configuration=aws.athena.WorkgroupConfigurationArgs(
                    enforce_workgroup_configuration=True,
                    publish_cloudwatch_metrics_enabled=True,
                    bytes_scanned_cutoff_per_query=args.bytes_scanned_cutoff,
                    engine_version=aws.athena.WorkgroupConfigurationEngineVersionArgs(
                        selected_engine_version=ATHENA_ENGINE_VERSION
                    ),
                    result_configuration=aws.athena.WorkgroupConfigurationResultConfigurationArgs(
                        output_location=args.results_location,
                        encryption_configuration=aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs(
                            encryption_option="SSE_KMS" if kms is not None else "SSE_S3", kms_key_arn=kms
                        ),
                    ),
                ),
            ),
            opts=child,
        )
        saved = {
            "preview": ("gold-preview", "The tutorial's check: ten rows of gold", preview_sql(args.gold)),
            "repair": (
                "gold-register-partitions",
                "Tutorial option B: register gold partitions found in S3",
                repair_sql(args.gold),
            ),
        }
        self.preview_query, self.repair_query = (
            aws.athena.NamedQuery(
                f"{name}-{key}-query",
                aws.athena.NamedQueryArgs(
                    name=query_name,
                    description=description,
                    database=args.gold_database,
                    workgroup=self.workgroup.id,
                    query=sql,
                ),
                opts=child,
            )
            for key, (query_name, description, sql) in saved.items()
        )
        self.register_outputs({"workgroup": self.workgroup.name})
