"""The SilverToGoldPipeline component: wires one environment's building blocks.

Each resource group has its own module and component: `infra.storage` (lake bucket),
`infra.logs` (log groups), `infra.catalog` (gold database and table), `infra.glue` (job
code, role, security configuration, job, crawler), `infra.athena` (workgroup, saved
queries), `infra.alerts` (failure alerts). Decisions are pure functions in those modules,
in `infra.policies`, `infra.packaging` and `etl.arguments`. This component never reads
configuration: `__main__.py` hands it validated `Settings`.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from etl.arguments import LakeLayout, build_job_arguments
from etl.schema import GOLD, SILVER, TableSchema, preview_sql
from infra import outputs as out
from infra.alerts import FailureAlerts, FailureAlertsArgs
from infra.athena import GoldQueries, GoldQueriesArgs
from infra.catalog import GoldCatalog, GoldCatalogArgs
from infra.glue import GlueJob, GlueJobArgs, JobCode, JobCodeArgs
from infra.logs import JobLogs, JobLogsArgs
from infra.packaging import build_package
from infra.settings import Settings
from infra.storage import LakeStorage, LakeStorageArgs


def gold_table_schema(settings: Settings) -> TableSchema:
    return TableSchema(
        settings.gold_database, settings.gold_table, GOLD.columns, GOLD.partition_columns, GOLD.description
    )


def silver_table_schema(settings: Settings) -> TableSchema:
    return TableSchema(
        settings.silver_database, settings.silver_table, SILVER.columns, SILVER.partition_columns, SILVER.description
    )


class SilverToGoldPipeline(pulumi.ComponentResource):
    """Lake bucket, job code, IAM role, catalog, Glue job, crawler, Athena, logs, alerts."""

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:SilverToGoldPipeline", name, None, opts)
        s = settings
        child = pulumi.ResourceOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        account_id = identity.account_id
        kms = s.kms_key_arn or None
        gold = gold_table_schema(s)

        storage = LakeStorage(
            name,
            LakeStorageArgs(existing_bucket=s.lake_bucket, bucket_prefix=f"silver-to-gold-{s.stack}-", kms_key_arn=kms),
            opts=child,
        )
        bucket = storage.bucket_name
        layout = bucket.apply(lambda b: LakeLayout(f"s3://{b}", gold_table=s.gold_table))

        log_group_names = {"job": f"/aws-glue/jobs/{s.job_name}", "crawler": f"/aws-glue/crawlers/{s.crawler_name}"}
        logs = JobLogs(
            name, JobLogsArgs(groups=log_group_names, retention_days=s.log_retention_days, kms_key_arn=kms), opts=child
        )
        package = build_package()
        code = JobCode(name, JobCodeArgs(bucket_name=bucket, package=package), opts=child)
        catalog = GoldCatalog(
            name, GoldCatalogArgs(gold=gold, gold_location=layout.apply(lambda lake: lake.gold)), opts=child
        )
        arguments = pulumi.Output.all(bucket, logs.groups["job"].name).apply(
            lambda values: build_job_arguments(
                LakeLayout(f"s3://{values[0]}", gold_table=s.gold_table),
                max_reject_ratio=s.max_reject_ratio,
                silver=silver_table_schema(s),
                gold=gold,
                extra_py_files=f"s3://{values[0]}/{package.key}",
                log_group=values[1],
            )
        )
        glue = GlueJob(
            name,
            GlueJobArgs(
                stack=s.stack,
                region=s.region,
                account_id=account_id,
                bucket_name=bucket,
                job_name=s.job_name,
                crawler_name=s.crawler_name,
                glue_version=s.glue_version,
                worker_type=s.worker_type,
                workers=s.workers,
                timeout_minutes=s.timeout_minutes,
                max_retries=s.max_retries,
                max_concurrent_runs=s.max_concurrent_runs,
                silver=(s.silver_database, s.silver_table),
                gold=(s.gold_database, s.gold_table),
                gold_database=catalog.database.name,
                gold_table=catalog.table.name,
                log_groups=list(log_group_names.values()),
                script_location=pulumi.Output.all(bucket, code.script.key).apply(lambda v: f"s3://{v[0]}/{v[1]}"),
                default_arguments=arguments,
                security_configuration_name=f"silver-to-gold-{s.stack}",
                kms_key_arn=s.kms_key_arn,
                depends_on=[catalog.table, code.library],
            ),
            opts=child,
        )
        athena = GoldQueries(
            name,
            GoldQueriesArgs(
                workgroup_name=f"silver-to-gold-{s.stack}",
                results_location=layout.apply(lambda lake: lake.athena_results),
                bytes_scanned_cutoff=s.athena_bytes_scanned_cutoff,
                gold=gold,
                gold_database=catalog.database.name,
                kms_key_arn=kms,
            ),
            opts=child,
        )
        alerts = FailureAlerts(
            name,
            FailureAlertsArgs(
                job_name=s.job_name,
                crawler_name=s.crawler_name,
                account_id=account_id,
                alert_email=s.alert_email,
                kms_master_key_id=s.kms_key_arn or "alias/aws/sns",
            ),
            opts=child,
        )

        region = s.region
        self.outputs = {
            out.BUCKET: bucket,
            out.SILVER_URI: layout.apply(lambda lake: lake.silver),
            out.GOLD_URI: layout.apply(lambda lake: lake.gold),
            out.QUARANTINE_URI: layout.apply(lambda lake: lake.quarantine),
            out.REPORTS_URI: layout.apply(lambda lake: lake.reports),
            out.JOB_NAME: glue.job.name,
            out.CRAWLER_NAME: glue.crawler.name,
            out.GOLD_DATABASE: catalog.database.name,
            out.GOLD_TABLE: catalog.table.name,
            out.ATHENA_WORKGROUP: athena.workgroup.name,
            out.PREVIEW_QUERY_ID: athena.preview_query.id,
            out.REPAIR_QUERY_ID: athena.repair_query.id,
            out.PREVIEW_SQL: preview_sql(gold),
            out.SILVER_DATABASE: s.silver_database,
            out.SILVER_TABLE: s.silver_table,
            # Interim: Glue 5.0's default groups until the stack declares its own prefix.
            out.JOB_OUTPUT_LOG_GROUP: "/aws-glue/jobs/output",
            out.JOB_ERROR_LOG_GROUP: "/aws-glue/jobs/error",
            out.CRAWLER_LOG_GROUP: "/aws-glue/crawlers",
            out.KMS_KEY_ARN: s.kms_key_arn,
            out.LAKE_ON_DESTROY: "retained",  # interim: the bucket setting comes with issue 8
            out.PRICE_PER_DPU_HOUR: s.price_per_dpu_hour,
            out.ALERTS_TOPIC_ARN: alerts.topic.arn,
            out.REGION: region,
            out.JOB_CONSOLE_URL: glue.job.name.apply(
                lambda n: (
                    f"https://{region}.console.aws.amazon.com/gluestudio/home?region={region}#/editor/job/{n}/runs"
                )
            ),
            out.ATHENA_CONSOLE_URL: f"https://{region}.console.aws.amazon.com/athena/home?region={region}#/query-editor",
        }
        self.register_outputs(self.outputs)
