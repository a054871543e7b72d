"""The SilverToGoldPipeline component: every AWS resource of one environment.

The component wires resources; decisions (names, policies, job arguments, packaging) are
pure functions in `infra.policies`, `infra.packaging` and `etl.arguments`. It never reads
configuration: `__main__.py` hands it validated `Settings`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws

from etl.arguments import LakeLayout, build_job_arguments
from etl.schema import (
    GOLD,
    PARQUET_INPUT_FORMAT,
    PARQUET_OUTPUT_FORMAT,
    PARQUET_SERDE,
    SILVER,
    TableSchema,
    preview_sql,
    repair_sql,
)
from infra import outputs as out
from infra.packaging import Package, build_package
from infra.policies import alerts_topic_policy, deny_insecure_transport_policy, glue_job_policy, glue_trust_policy
from infra.settings import Settings

LAKE_PREFIXES = ("bronze/", "silver/", "gold/", "quarantine/", "temp/", "artifacts/", "athena-results/")
JOB_SCRIPT = Path(__file__).resolve().parents[1] / "etl" / "job.py"
BUILD_DIR = Path(__file__).resolve().parents[1] / "dist"


def gold_table_schema(settings: Settings) -> TableSchema:
    return TableSchema(
        settings.gold_database, settings.gold_table, GOLD.columns, GOLD.partition_columns, GOLD.description
    )


class SilverToGoldPipeline(pulumi.ComponentResource):
    """Lake bucket, job code, IAM role, catalog, Glue job, crawler, Athena, logs, alerts."""

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:SilverToGoldPipeline", name, None, opts)
        self._name = name
        self._settings = settings
        child = pulumi.ResourceOptions(parent=self)
        self._child = child
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.account_id = identity.account_id

        self.bucket_name = self._create_lake_bucket()
        self.log_groups = self._create_log_groups()
        self.package = build_package()
        self.script_object, self.package_object = self._upload_job_code(self.package)
        self.role = self._create_role()
        self.security_configuration = self._create_security_configuration()
        self.gold_database, self.gold_table = self._create_catalog()
        self.job = self._create_job()
        self.crawler = self._create_crawler()
        self.workgroup, self.preview_query, self.repair_query = self._create_athena()
        self.alerts_topic = self._create_alerts()

        layout = self.bucket_name.apply(lambda b: LakeLayout(f"s3://{b}"))
        region = settings.region
        self.outputs = {
            out.BUCKET: self.bucket_name,
            out.SILVER_URI: layout.apply(lambda lake: lake.silver),
            out.GOLD_URI: layout.apply(lambda lake: lake.gold),
            out.QUARANTINE_URI: layout.apply(lambda lake: lake.quarantine),
            out.REPORTS_URI: layout.apply(lambda lake: lake.reports),
            out.JOB_NAME: self.job.name,
            out.CRAWLER_NAME: self.crawler.name,
            out.GOLD_DATABASE: self.gold_database.name,
            out.GOLD_TABLE: self.gold_table.name,
            out.ATHENA_WORKGROUP: self.workgroup.name,
            out.PREVIEW_QUERY_ID: self.preview_query.id,
            out.REPAIR_QUERY_ID: self.repair_query.id,
            out.PREVIEW_SQL: preview_sql(gold_table_schema(settings)),
            out.SILVER_DATABASE: settings.silver_database,
            out.SILVER_TABLE: settings.silver_table,
            # Interim: Glue 5.0's default groups until the stack declares its own prefix.
            out.JOB_OUTPUT_LOG_GROUP: "/aws-glue/jobs/output",
            out.JOB_ERROR_LOG_GROUP: "/aws-glue/jobs/error",
            out.CRAWLER_LOG_GROUP: "/aws-glue/crawlers",
            out.KMS_KEY_ARN: settings.kms_key_arn,
            out.LAKE_ON_DESTROY: "retained",  # interim: the bucket setting comes with issue 8
            out.PRICE_PER_DPU_HOUR: settings.price_per_dpu_hour,
            out.ALERTS_TOPIC_ARN: self.alerts_topic.arn,
            out.REGION: region,
            out.JOB_CONSOLE_URL: self.job.name.apply(
                lambda n: (
                    f"https://{region}.console.aws.amazon.com/gluestudio/home?region={region}#/editor/job/{n}/runs"
                )
            ),
            out.ATHENA_CONSOLE_URL: f"https://{region}.console.aws.amazon.com/athena/home?region={region}#/query-editor",
        }
        self.register_outputs(self.outputs)

    # -- storage ---------------------------------------------------------------------
    def _create_lake_bucket(self) -> pulumi.Output[str]:
        s, n, child = self._settings, self._name, self._child
        if not s.creates_bucket:
            # An existing bucket is the owner's: we only add our prefixes and code to it.
            return pulumi.Output.from_input(s.lake_bucket)
        bucket = aws.s3.Bucket(f"{n}-lake", aws.s3.BucketArgs(bucket_prefix=f"silver-to-gold-{s.stack}-"), opts=child)
        # Versioning keeps overwritten gold and job code recoverable.
        aws.s3.BucketVersioning(
            f"{n}-lake-versioning",
            aws.s3.BucketVersioningInitArgs(
                bucket=bucket.id,
                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            ),
            opts=child,
        )
        sse = (
            aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=s.kms_key_arn
            )
            if s.kms_key_arn
            else aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="AES256"
            )
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{n}-lake-encryption",
            aws.s3.BucketServerSideEncryptionConfigurationInitArgs(
                bucket=bucket.id,
                rules=[
                    aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                        apply_server_side_encryption_by_default=sse, bucket_key_enabled=bool(s.kms_key_arn)
                    )
                ],
            ),
            opts=child,
        )
        # The lake is never public, whatever a later ACL or policy says.
        access_block = aws.s3.BucketPublicAccessBlock(
            f"{n}-lake-public-access-block",
            aws.s3.BucketPublicAccessBlockArgs(
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
            ),
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{n}-lake-tls-only",
            aws.s3.BucketPolicyArgs(
                bucket=bucket.id, policy=bucket.bucket.apply(lambda b: json.dumps(deny_insecure_transport_policy(b)))
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access_block]),
        )
        # temp/ and athena-results/ are scratch; old versions and failed uploads cost money.
        aws.s3.BucketLifecycleConfiguration(
            f"{n}-lake-lifecycle",
            aws.s3.BucketLifecycleConfigurationArgs(
                bucket=bucket.id,
                rules=[
                    _expire_prefix("expire-temp", "temp/", 7),
                    _expire_prefix("expire-athena-results", "athena-results/", 30),
                    aws.s3.BucketLifecycleConfigurationRuleArgs(
                        id="expire-noncurrent-versions",
                        status="Enabled",
                        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                            noncurrent_days=90
                        ),
                        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                            days_after_initiation=7
                        ),
                    ),
                ],
            ),
            opts=child,
        )
        for prefix in LAKE_PREFIXES:
            aws.s3.BucketObjectv2(
                f"{n}-prefix-{prefix.rstrip('/')}",
                aws.s3.BucketObjectv2Args(bucket=bucket.id, key=prefix, content=""),
                opts=child,
            )
        return bucket.bucket

    def _upload_job_code(self, package: Package):
        n = self._name
        BUILD_DIR.mkdir(exist_ok=True)
        archive = BUILD_DIR / Path(package.key).name
        if not archive.exists():
            archive.write_bytes(package.data)
        # Content-addressed keys: a change uploads a new object; old ones stay for rollback.
        script = aws.s3.BucketObjectv2(
            f"{n}-job-script",
            aws.s3.BucketObjectv2Args(
                bucket=self.bucket_name, key=package.script_key, source=pulumi.FileAsset(str(JOB_SCRIPT))
            ),
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        library = aws.s3.BucketObjectv2(
            f"{n}-job-package",
            aws.s3.BucketObjectv2Args(bucket=self.bucket_name, key=package.key, source=pulumi.FileAsset(str(archive))),
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        return script, library

    # -- logs, IAM -------------------------------------------------------------------
    def _create_log_groups(self) -> dict[str, aws.cloudwatch.LogGroup]:
        s, n, child = self._settings, self._name, self._child
        # Created up front so retention applies from the first run (Glue would create
        # them with "never expire").
        groups = {"job": f"/aws-glue/jobs/{s.job_name}", "crawler": f"/aws-glue/crawlers/{s.crawler_name}"}
        return {
            key: aws.cloudwatch.LogGroup(
                f"{n}-{key}-logs",
                aws.cloudwatch.LogGroupArgs(
                    name=group, retention_in_days=s.log_retention_days, kms_key_id=s.kms_key_arn or None
                ),
                opts=child,
            )
            for key, group in groups.items()
        }

    def _create_role(self) -> aws.iam.Role:
        s, n, child = self._settings, self._name, self._child
        role = aws.iam.Role(
            f"{n}-glue-role",
            aws.iam.RoleArgs(
                description=f"Glue job {s.job_name} and crawler {s.crawler_name} ({s.stack})",
                assume_role_policy=self.account_id.apply(lambda a: json.dumps(glue_trust_policy(a))),
            ),
            opts=child,
        )
        policy = pulumi.Output.all(self.bucket_name, self.account_id).apply(
            lambda values: json.dumps(
                glue_job_policy(
                    bucket=values[0],
                    region=s.region,
                    account=values[1],
                    silver=(s.silver_database, s.silver_table),
                    gold=(s.gold_database, s.gold_table),
                    log_groups=[f"/aws-glue/jobs/{s.job_name}", f"/aws-glue/crawlers/{s.crawler_name}"],
                    kms_key_arn=s.kms_key_arn,
                )
            )
        )
        aws.iam.RolePolicy(f"{n}-glue-role-policy", aws.iam.RolePolicyArgs(role=role.id, policy=policy), opts=child)
        return role

    def _create_security_configuration(self) -> aws.glue.SecurityConfiguration:
        s, n, child = self._settings, self._name, self._child
        kms = s.kms_key_arn or None
        return aws.glue.SecurityConfiguration(
            f"{n}-security-configuration",
            aws.glue.SecurityConfigurationArgs(
                name=f"silver-to-gold-{s.stack}",
                encryption_configuration=aws.glue.SecurityConfigurationEncryptionConfigurationArgs(
                    s3_encryption=aws.glue.SecurityConfigurationEncryptionConfigurationS3EncryptionArgs(
                        s3_encryption_mode="SSE-KMS" if kms else "SSE-S3", kms_key_arn=kms
                    ),
                    cloudwatch_encryption=aws.glue.SecurityConfigurationEncryptionConfigurationCloudwatchEncryptionArgs(
                        cloudwatch_encryption_mode="SSE-KMS" if kms else "DISABLED", kms_key_arn=kms
                    ),
                    job_bookmarks_encryption=aws.glue.SecurityConfigurationEncryptionConfigurationJobBookmarksEncryptionArgs(
                        job_bookmarks_encryption_mode="CSE-KMS" if kms else "DISABLED", kms_key_arn=kms
                    ),
                ),
            ),
            opts=child,
        )

    # -- catalog, job, crawler -------------------------------------------------------
    def _create_catalog(self):
        s, n, child = self._settings, self._name, self._child
        schema = gold_table_schema(s)
        # Pulumi owns the gold table; the job only writes partitions into it.
        database = aws.glue.CatalogDatabase(
            f"{n}-gold-database",
            aws.glue.CatalogDatabaseArgs(name=s.gold_database, description="Gold layer of the silver-to-gold pipeline"),
            opts=child,
        )
        gold_location = self.bucket_name.apply(lambda b: LakeLayout(f"s3://{b}", gold_table=s.gold_table).gold)
        table = aws.glue.CatalogTable(
            f"{n}-gold-table",
            aws.glue.CatalogTableArgs(
                name=s.gold_table,
                database_name=database.name,
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
                    location=gold_location,
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
            ),
            opts=child,
        )
        return database, table

    def _create_job(self) -> aws.glue.Job:
        s, n = self._settings, self._name
        silver = TableSchema(s.silver_database, s.silver_table, SILVER.columns, SILVER.partition_columns)
        arguments = pulumi.Output.all(self.bucket_name, self.log_groups["job"].name).apply(
            lambda values: build_job_arguments(
                LakeLayout(f"s3://{values[0]}", gold_table=s.gold_table),
                max_reject_ratio=s.max_reject_ratio,
                silver=silver,
                gold=gold_table_schema(s),
                extra_py_files=f"s3://{values[0]}/{self.package.key}",
                log_group=values[1],
            )
        )
        script_location = self.script_object.key.apply(lambda k: k)
        return aws.glue.Job(
            f"{n}-job",
            aws.glue.JobArgs(
                name=s.job_name,
                description="silver -> gold: quality gate, avg(salario) by idade, ativo, ano, mes",
                role_arn=self.role.arn,
                glue_version=s.glue_version,
                worker_type=s.worker_type,
                number_of_workers=s.workers,
                # The default timeout is 2880 minutes (two days of DPU charges for a hung job).
                timeout=s.timeout_minutes,
                max_retries=s.max_retries,
                execution_property=aws.glue.JobExecutionPropertyArgs(max_concurrent_runs=s.max_concurrent_runs),
                security_configuration=self.security_configuration.name,
                command=aws.glue.JobCommandArgs(
                    name="glueetl",
                    python_version="3",
                    script_location=pulumi.Output.all(self.bucket_name, script_location).apply(
                        lambda values: f"s3://{values[0]}/{values[1]}"
                    ),
                ),
                default_arguments=arguments,
                tags={"stack": s.stack, "pipeline": "silver-to-gold"},
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.gold_table, self.package_object]),
        )

    def _create_crawler(self) -> aws.glue.Crawler:
        s, n, child = self._settings, self._name, self._child
        # A catalog target only adds partitions to the existing table: it never creates
        # tables, and deletions are only logged.
        return aws.glue.Crawler(
            f"{n}-crawler",
            aws.glue.CrawlerArgs(
                name=s.crawler_name,
                role=self.role.arn,
                database_name=self.gold_database.name,
                description=f"Registers new partitions of {s.gold_database}.{s.gold_table} (tutorial option A)",
                catalog_targets=[
                    aws.glue.CrawlerCatalogTargetArgs(
                        database_name=self.gold_database.name, tables=[self.gold_table.name]
                    )
                ],
                schema_change_policy=aws.glue.CrawlerSchemaChangePolicyArgs(
                    delete_behavior="LOG", update_behavior="LOG"
                ),
                recrawl_policy=aws.glue.CrawlerRecrawlPolicyArgs(recrawl_behavior="CRAWL_EVERYTHING"),
                configuration=json.dumps(
                    {
                        "Version": 1.0,
                        "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
                        "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
                    }
                ),
                security_configuration=self.security_configuration.name,
            ),
            opts=child,
        )

    # -- Athena, alerts ---------------------------------------------------------------
    def _create_athena(self):
        s, n, child = self._settings, self._name, self._child
        kms = s.kms_key_arn or None
        workgroup = aws.athena.Workgroup(
            f"{n}-workgroup",
            aws.athena.WorkgroupArgs(
                name=f"silver-to-gold-{s.stack}",
                description="Queries on the gold layer; results encrypted, scans capped",
                force_destroy=True,
                configuration=aws.athena.WorkgroupConfigurationArgs(
                    enforce_workgroup_configuration=True,
                    publish_cloudwatch_metrics_enabled=True,
                    bytes_scanned_cutoff_per_query=s.athena_bytes_scanned_cutoff,
                    engine_version=aws.athena.WorkgroupConfigurationEngineVersionArgs(
                        selected_engine_version="Athena engine version 3"
                    ),
                    result_configuration=aws.athena.WorkgroupConfigurationResultConfigurationArgs(
                        output_location=self.bucket_name.apply(lambda b: f"s3://{b}/athena-results/"),
                        encryption_configuration=aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs(
                            encryption_option="SSE_KMS" if kms else "SSE_S3", kms_key_arn=kms
                        ),
                    ),
                ),
            ),
            opts=child,
        )
        schema = gold_table_schema(s)
        saved = {
            "preview": ("gold-preview", "The tutorial's check: ten rows of gold", preview_sql(schema)),
            "repair": (
                "gold-register-partitions",
                "Tutorial option B: register gold partitions found in S3",
                repair_sql(schema),
            ),
        }
        preview, repair = (
            aws.athena.NamedQuery(
                f"{n}-{key}-query",
                aws.athena.NamedQueryArgs(
                    name=query_name,
                    description=description,
                    database=self.gold_database.name,
                    workgroup=workgroup.id,
                    query=sql,
                ),
                opts=child,
            )
            for key, (query_name, description, sql) in saved.items()
        )
        return workgroup, preview, repair

    def _create_alerts(self) -> aws.sns.Topic:
        s, n, child = self._settings, self._name, self._child
        topic = aws.sns.Topic(
            f"{n}-alerts",
            aws.sns.TopicArgs(kms_master_key_id=s.kms_key_arn or "alias/aws/sns"),
            opts=child,
        )
        aws.sns.TopicPolicy(
            f"{n}-alerts-policy",
            aws.sns.TopicPolicyArgs(
                arn=topic.arn,
                policy=pulumi.Output.all(topic.arn, self.account_id).apply(
                    lambda values: json.dumps(alerts_topic_policy(values[0], values[1]))
                ),
            ),
            opts=child,
        )
        if s.alert_email:
            aws.sns.TopicSubscription(
                f"{n}-alerts-email",
                aws.sns.TopicSubscriptionArgs(topic=topic.arn, protocol="email", endpoint=s.alert_email),
                opts=child,
            )
        rule = aws.cloudwatch.EventRule(
            f"{n}-failure-rule",
            aws.cloudwatch.EventRuleArgs(
                description=f"{s.job_name} failed, timed out or errored, or {s.crawler_name} failed",
                event_pattern=json.dumps(failure_event_pattern(s.job_name, s.crawler_name)),
            ),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{n}-failure-target",
            aws.cloudwatch.EventTargetArgs(rule=rule.name, arn=topic.arn),
            opts=child,
        )
        return topic


def failure_event_pattern(job_name: str, crawler_name: str) -> dict:
    """EventBridge pattern: the job's FAILED/TIMEOUT/ERROR runs and the crawler's failures."""
    return {
        "source": ["aws.glue"],
        "$or": [
            {
                "detail-type": ["Glue Job State Change"],
                "detail": {"jobName": [job_name], "state": ["FAILED", "TIMEOUT", "ERROR"]},
            },
            {
                "detail-type": ["Glue Crawler State Change"],
                "detail": {"crawlerName": [crawler_name], "state": ["Failed"]},
            },
        ],
    }


def _expire_prefix(rule_id: str, prefix: str, days: int) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=rule_id,
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=prefix),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days),
    )
