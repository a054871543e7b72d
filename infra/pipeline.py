"""The SilverToGoldPipeline component: wires one environment's building blocks.

Each resource group has its own module and component: `infra.storage` (lake bucket),
`infra.encryption` (the stack's KMS key), `infra.logs` (log groups), `infra.catalog`
(gold, rejects and optional silver tables), `infra.glue` (job code, role, security
configuration, job, crawler, triggers), `infra.athena` (workgroup, saved queries),
`infra.metrics` (the run metrics' filters), `infra.alerts` (failure rule and health alarms),
`infra.dashboard` (the stack's dashboard), `infra.operator` (the operator's IAM policy).
Decisions are pure functions: names in `infra.names`, policy documents in `infra.policies`, the
schedule check in `infra.schedule`, job arguments in `etl.arguments`. This component never reads
configuration: `__main__.py` hands it validated `Settings`.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from etl.arguments import LakeLayout, build_job_arguments
from etl.schema import GOLD, SILVER, SILVER_TABLE_COLUMNS, TableSchema, preview_sql, rejects_table_schema
from infra import names
from infra import outputs as out
from infra.alerts import FailureAlerts, FailureAlertsArgs, HealthAlarms, HealthAlarmsArgs, freshness_periods
from infra.athena import ATHENA_ENGINE_VERSION, GoldQueries, GoldQueriesArgs
from infra.catalog import LakeCatalog, LakeCatalogArgs, TableAt
from infra.dashboard import DashboardSpec, PipelineDashboard, PipelineDashboardArgs, dpus
from infra.encryption import LakeKey, LakeKeyArgs
from infra.glue import GlueJob, GlueJobArgs, GlueRole, GlueRoleArgs, JobCode, JobCodeArgs
from infra.logs import JobLogs, JobLogsArgs
from infra.metrics import RunMetricFilters, RunMetricFiltersArgs
from infra.operator import OperatorAccess, OperatorAccessArgs
from infra.packaging import build_package
from infra.settings import Settings
from infra.storage import LakeStorage, LakeStorageArgs


def gold_table_schema(settings: Settings) -> TableSchema:
    return TableSchema(
        settings.gold_database, settings.gold_table, GOLD.columns, GOLD.partition_columns, GOLD.description
    )


def silver_table_schema(settings: Settings) -> TableSchema:
    """The silver table as a stack declares it: the columns the sample data has."""
    return TableSchema(
        settings.silver_database,
        settings.silver_table,
        SILVER_TABLE_COLUMNS,
        SILVER.partition_columns,
        SILVER.description,
    )


def declared_log_groups(settings: Settings) -> dict[str, str]:
    """The log groups the stack owns (key -> name): the job's two, and the crawler's when
    it is the stack's own. Unencrypted, crawlers share `/aws-glue/crawlers` with every
    crawler of the account and region: declaring it would make this stack its owner, and
    a destroy of either of two stacks would delete the other's crawler logs; so it is
    granted, not declared."""
    output, error = settings.job_log_groups
    groups = {"job-output": output, "job-error": error}
    if settings.crawler_log_group != names.CRAWLER_LOG_GROUP:
        groups["crawler"] = settings.crawler_log_group
    return groups


def alarm_names(settings: Settings) -> tuple[str, ...]:
    """The health alarms the stack declares: the reject ratio's, and freshness's when scheduled."""
    found = [names.reject_ratio_alarm_name(settings.stack)]
    if freshness_periods(settings.schedule, settings.timeout_minutes) is not None:
        found.append(names.freshness_alarm_name(settings.stack))
    return tuple(found)


def role_log_group_names(settings: Settings) -> list[str]:
    """The groups (or patterns) the role may write to and the operator may read:
    `infra.names.role_log_groups` for the stack's settings."""
    return settings.role_log_groups


def encrypted_log_groups(settings: Settings) -> list[str]:
    """With CloudWatch encryption: the stack's declared groups and the pattern of the groups
    Glue creates in AWS's documented form; the role associates the key with them and the key
    policy lets CloudWatch Logs use the key for them. Empty without a key."""
    if not settings.uses_kms:
        return []
    documented = names.documented_encrypted_job_log_groups(settings.security_configuration_name, settings.role_name)
    return [*declared_log_groups(settings).values(), documented]


def lake_prefixes(settings: Settings) -> dict[str, str]:
    """Keys under the lake bucket the operator reads or writes (each ends in "/"), from `LakeLayout`."""
    layout, root = LakeLayout("s3://lake", gold_table=settings.gold_table), "s3://lake/"
    return {k: getattr(layout, k)[len(root) :] for k in ("silver", "gold", "quarantine", "reports", "athena_results")}


def stack_settings(
    settings: Settings,
    *,
    role_arn: pulumi.Input[str],
    script_location: pulumi.Input[str],
    default_arguments: pulumi.Input[dict],
    athena_results: pulumi.Input[str],
) -> dict:
    """The `stackSettings` output: what the stack set on the resources it owns (the job's
    definition, the lake bucket's encryption and versioning, log retention, the workgroup's
    enforced configuration), so `doctor` can tell a resource changed behind the stack's back."""
    s = settings
    return {
        "roleArn": role_arn,
        "roleName": s.role_name,
        "bucketManaged": s.creates_bucket,
        "job": {
            "glueVersion": s.glue_version,
            "workerType": s.worker_type,
            "numberOfWorkers": s.workers,
            "executionClass": s.execution_class,
            "timeout": s.timeout_minutes,
            "maxRetries": s.max_retries,
            "securityConfiguration": s.security_configuration_name,
            "scriptLocation": script_location,
            "defaultArguments": default_arguments,
        },
        "logGroups": sorted(declared_log_groups(s).values()),
        "logRetentionDays": s.log_retention_days,
        "athena": {
            "bytesScannedCutoffPerQuery": s.athena_bytes_scanned_cutoff,
            "outputLocation": athena_results,
            "encryptionOption": "SSE_KMS" if s.uses_kms else "SSE_S3",
            "engineVersion": ATHENA_ENGINE_VERSION,
        },
    }


class SilverToGoldPipeline(pulumi.ComponentResource):
    """Lake bucket, key, job code, IAM role, catalog, Glue job, crawler, Athena, logs, alerts."""

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:SilverToGoldPipeline", name, None, opts)
        s = settings
        child = pulumi.ResourceOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        account_id = identity.account_id
        gold = gold_table_schema(s)
        rejects = rejects_table_schema(gold)
        log_groups = declared_log_groups(s)
        role_log_groups = role_log_group_names(s)

        role = GlueRole(
            name,
            GlueRoleArgs(
                name=s.role_name,
                description=f"Glue job {s.job_name} and crawler {s.crawler_name} ({s.stack})",
            ),
            opts=child,
        )
        key_arn: pulumi.Input[str] | None = None
        if s.creates_key:
            key = LakeKey(
                name,
                LakeKeyArgs(
                    alias=names.key_alias(s.stack),
                    account_id=account_id,
                    region=s.region,
                    role_arn=role.role.arn,
                    log_groups=encrypted_log_groups(s),
                    description=f"silver-to-gold {s.stack}: lake bucket, logs, Glue, Athena results, alerts",
                ),
                opts=child,
            )
            key_arn = key.arn
        elif s.uses_kms:
            key_arn = s.existing_key_arn

        storage = LakeStorage(
            name,
            LakeStorageArgs(
                existing_bucket=s.lake_bucket,
                bucket_prefix=names.bucket_prefix(s.stack),
                access_log_bucket_prefix=names.access_log_bucket_prefix(s.stack),
                account_id=account_id,
                access_log_retention_days=s.log_retention_days,
                kms_key_arn=key_arn,
                on_destroy=s.lake_on_destroy,
                quarantine_retention_days=s.quarantine_retention_days,
            ),
            opts=child,
        )
        bucket = storage.bucket_name
        layout = bucket.apply(lambda b: LakeLayout(f"s3://{b}", gold_table=s.gold_table))

        logs = JobLogs(
            name, JobLogsArgs(groups=log_groups, retention_days=s.log_retention_days, kms_key_arn=key_arn), opts=child
        )
        package = build_package()
        code = JobCode(name, JobCodeArgs(bucket_name=bucket, package=package), opts=child)
        catalog = LakeCatalog(
            name,
            LakeCatalogArgs(
                gold=TableAt(gold, layout.apply(lambda lake: lake.gold)),
                rejects=TableAt(rejects, layout.apply(lambda lake: lake.quarantine)),
                silver=TableAt(silver_table_schema(s), layout.apply(lambda lake: lake.silver))
                if s.creates_silver
                else None,
            ),
            opts=child,
        )
        arguments = bucket.apply(
            lambda b: build_job_arguments(
                LakeLayout(f"s3://{b}", gold_table=s.gold_table),
                max_reject_ratio=s.max_reject_ratio,
                silver=silver_table_schema(s),
                gold=gold,
                extra_py_files=f"s3://{b}/{package.key}",
                log_group_prefix=s.log_group_prefix,
                stack=s.stack,
                quarantine_retention_days=s.quarantine_retention_days,
            )
        )
        crawls_after_job = s.registration_method == "crawler"
        script_location = pulumi.Output.all(bucket, code.script.key).apply(lambda v: f"s3://{v[0]}/{v[1]}")
        depends_on: list[pulumi.Resource] = [catalog.table, catalog.rejects_table, code.library, *logs.groups.values()]
        if catalog.silver_table is not None:
            depends_on.append(catalog.silver_table)
        glue = GlueJob(
            name,
            GlueJobArgs(
                stack=s.stack,
                region=s.region,
                account_id=account_id,
                bucket_name=bucket,
                role=role.role,
                job_name=s.job_name,
                crawler_name=s.crawler_name,
                glue_version=s.glue_version,
                worker_type=s.worker_type,
                workers=s.workers,
                execution_class=s.execution_class,
                timeout_minutes=s.timeout_minutes,
                max_retries=s.max_retries,
                max_concurrent_runs=s.max_concurrent_runs,
                silver=(s.silver_database, s.silver_table),
                gold=(s.gold_database, s.gold_table),
                gold_database=catalog.database.name,
                gold_table=catalog.table.name,
                log_groups=role_log_groups,
                encrypted_log_groups=encrypted_log_groups(s),
                script_location=script_location,
                default_arguments=arguments,
                security_configuration_name=s.security_configuration_name,
                encryption=s.encryption_modes,
                kms_key_arn=key_arn,
                schedule=s.schedule,
                schedule_trigger_name=names.schedule_trigger_name(s.job_name),
                crawl_after_job_trigger_name=names.crawler_trigger_name(s.crawler_name) if crawls_after_job else "",
                on_demand_trigger_name=names.on_demand_trigger_name(s.job_name) if crawls_after_job else "",
                depends_on=depends_on,
                rejects=(rejects.database, rejects.table),
            ),
            opts=child,
        )
        athena = GoldQueries(
            name,
            GoldQueriesArgs(
                workgroup_name=names.workgroup_name(s.stack),
                results_location=layout.apply(lambda lake: lake.athena_results),
                bytes_scanned_cutoff=s.athena_bytes_scanned_cutoff,
                gold=gold,
                gold_database=catalog.database.name,
                kms_key_arn=key_arn,
            ),
            opts=child,
        )
        alerts = FailureAlerts(
            name,
            FailureAlertsArgs(
                topic_name=names.alerts_topic_name(s.stack),
                rule_name=names.failure_rule_name(s.stack),
                job_name=s.job_name,
                crawler_name=s.crawler_name,
                account_id=account_id,
                alert_email=s.alert_email,
                # kms none: unencrypted (alias/aws/sns would silence EventBridge; see alerts.py).
                kms_master_key_id=key_arn,
                region=s.region,
                alarm_names=alarm_names(s),
            ),
            opts=child,
        )
        job_output_group, job_error_group = s.job_log_groups
        # The run's figures from the line each run prints on stdout (etl.metrics), the alarms
        # and the dashboard that read them.
        RunMetricFilters(
            name,
            RunMetricFiltersArgs(stack=s.stack, job_name=s.job_name, log_group_name=job_output_group),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(logs.groups.values())),
        )
        HealthAlarms(
            name,
            HealthAlarmsArgs(
                stack=s.stack,
                job_name=s.job_name,
                topic_arn=alerts.topic.arn,
                reject_ratio_alarm_name=names.reject_ratio_alarm_name(s.stack),
                reject_ratio_warning=s.reject_ratio_warning,
                max_reject_ratio=s.max_reject_ratio,
                freshness_alarm_name=names.freshness_alarm_name(s.stack),
                schedule=s.schedule,
                timeout_minutes=s.timeout_minutes,
                deployed_at=role.role.create_date,  # set on the first deploy, then kept
            ),
            opts=child,
        )
        dashboard = PipelineDashboard(
            name,
            PipelineDashboardArgs(
                name=names.dashboard_name(s.stack),
                spec=DashboardSpec(
                    region=s.region,
                    stack=s.stack,
                    job_name=s.job_name,
                    error_log_group=job_error_group,
                    failure_rule_name=names.failure_rule_name(s.stack),
                    dpus=dpus(s.worker_type, s.workers),
                    reject_ratio_warning=s.reject_ratio_warning,
                    max_reject_ratio=s.max_reject_ratio,
                ),
            ),
            opts=child,
        )

        operator = OperatorAccess(
            name,
            OperatorAccessArgs(
                policy_name=names.operator_policy_name(s.stack),
                region=s.region,
                account_id=account_id,
                bucket_name=bucket,
                job_name=s.job_name,
                crawler_name=s.crawler_name,
                workgroup_name=names.workgroup_name(s.stack),
                silver=(s.silver_database, s.silver_table),
                gold=(s.gold_database, s.gold_table),
                rejects=(rejects.database, rejects.table),
                prefixes=lake_prefixes(s),
                log_groups=role_log_groups,
                topic_name=names.alerts_topic_name(s.stack),
                role_name=s.role_name,
                kms_key_arn=key_arn,
                description=f"Operate silver-to-gold {s.stack}: run the job, load silver, register, query, logs",
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
            out.JOB_OUTPUT_LOG_GROUP: job_output_group,
            out.JOB_ERROR_LOG_GROUP: job_error_group,
            out.CRAWLER_LOG_GROUP: s.crawler_log_group,
            out.KMS_KEY_ARN: key_arn if key_arn is not None else "",
            out.LAKE_ON_DESTROY: s.lake_on_destroy_output,
            out.PRICE_PER_DPU_HOUR: s.price_per_dpu_hour,
            out.JOB_RUN_TRIGGER: names.on_demand_trigger_name(s.job_name) if crawls_after_job else "",
            out.ALERTS_TOPIC_ARN: alerts.topic.arn,
            out.REGION: region,
            out.OPERATOR_POLICY_ARN: operator.policy.arn,
            out.STACK_SETTINGS: stack_settings(
                s,
                role_arn=role.role.arn,
                script_location=script_location,
                default_arguments=arguments,
                athena_results=layout.apply(lambda lake: lake.athena_results),
            ),
            out.JOB_CONSOLE_URL: glue.job.name.apply(
                lambda n: (
                    f"https://{region}.console.aws.amazon.com/gluestudio/home?region={region}#/editor/job/{n}/runs"
                )
            ),
            out.ATHENA_CONSOLE_URL: f"https://{region}.console.aws.amazon.com/athena/home?region={region}#/query-editor",
            out.REJECTS_TABLE: catalog.rejects_table.name,
            out.DASHBOARD_NAME: dashboard.dashboard.dashboard_name,
            out.DASHBOARD_URL: dashboard.url,
        }
        self.register_outputs(self.outputs)
