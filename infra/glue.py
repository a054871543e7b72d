"""The Glue side: job code in S3, the role, the security configuration, job, crawler, triggers.

`JobCode` uploads the packaged `etl/` under content-hash keys; `GlueRole` is the role the
job and crawler run as; `GlueJob` wires the role's permissions (documents from
`infra.policies`), the security configuration, the job, the crawler and their triggers.
None reads configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from infra.names import EncryptionModes
from infra.packaging import Package
from infra.policies import glue_job_policy, glue_trust_policy

JOB_SCRIPT = Path(__file__).resolve().parents[1] / "etl" / "job.py"
BUILD_DIR = Path(__file__).resolve().parents[1] / "dist"


@dataclass(frozen=True)
class JobCodeArgs:
    bucket_name: pulumi.Input[str]
    package: Package


class JobCode(pulumi.ComponentResource):
    """The job script and the `etl` package, under keys carrying the content hash."""

    def __init__(self, name: str, args: JobCodeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:JobCode", name, None, opts)
        package = args.package
        BUILD_DIR.mkdir(exist_ok=True)
        archive = BUILD_DIR / Path(package.key).name
        if not archive.exists():
            archive.write_bytes(package.data)
        # Content-addressed keys: a change uploads a new object; old ones stay for rollback.
        retained = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        self.script = aws.s3.BucketObjectv2(
            f"{name}-job-script",
            aws.s3.BucketObjectv2Args(
                bucket=args.bucket_name, key=package.script_key, source=pulumi.FileAsset(str(JOB_SCRIPT))
            ),
            opts=retained,
        )
        self.library = aws.s3.BucketObjectv2(
            f"{name}-job-package",
            aws.s3.BucketObjectv2Args(bucket=args.bucket_name, key=package.key, source=pulumi.FileAsset(str(archive))),
            opts=retained,
        )
        self.register_outputs({"scriptKey": self.script.key, "packageKey": self.library.key})


@dataclass(frozen=True)
class GlueRoleArgs:
    """The role's name (fixed: encrypted log group names carry it)."""

    name: str
    description: str = ""


class GlueRole(pulumi.ComponentResource):
    """The role the job and the crawler run as, trusted by the Glue service (see `glue_trust_policy`).

    Its permissions are a separate `RolePolicy` (in `GlueJob`), so the stack's key can
    name the role in its policy before the role's policy names the key.
    """

    role: aws.iam.Role

    def __init__(self, name: str, args: GlueRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:GlueRole", name, None, opts)
        self.role = aws.iam.Role(
            f"{name}-glue-role",
            aws.iam.RoleArgs(
                name=args.name,
                description=args.description,
                assume_role_policy=json.dumps(glue_trust_policy()),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"arn": self.role.arn})


@dataclass(frozen=True)
class GlueJobArgs:
    """Everything the job, the crawler, their triggers and permissions need, already decided."""

    stack: str
    region: str
    account_id: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    role: aws.iam.Role
    job_name: str
    crawler_name: str
    glue_version: str
    worker_type: str
    workers: int
    execution_class: str
    timeout_minutes: int
    max_retries: int
    max_concurrent_runs: int
    silver: tuple[str, str]
    gold: tuple[str, str]
    gold_database: pulumi.Input[str]
    gold_table: pulumi.Input[str]
    log_groups: list[str]  # written to (streams, events)
    encrypted_log_groups: list[str]  # the stack's own groups the security configuration encrypts
    script_location: pulumi.Input[str]
    default_arguments: pulumi.Input[dict]
    security_configuration_name: str
    encryption: EncryptionModes
    kms_key_arn: pulumi.Input[str] | None = None
    schedule: str = ""
    schedule_trigger_name: str = ""
    crawl_after_job_trigger_name: str = ""  # set: a conditional trigger runs the crawler
    on_demand_trigger_name: str = ""  # set with crawl_after_job_trigger_name (see _create_triggers)
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    rejects: tuple[str, str] | None = None  # (database, table) whose partitions the job maintains


class GlueJob(pulumi.ComponentResource):
    """Role policy, security configuration, job, crawler and their triggers."""

    def __init__(self, name: str, args: GlueJobArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:GlueJob", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role_policy = self._create_role_policy(name, args, child)
        self.security_configuration = self._create_security_configuration(name, args, child)
        self.job = aws.glue.Job(
            f"{name}-job",
            aws.glue.JobArgs(
                name=args.job_name,
                description="silver -> gold: quality gate, avg(salario) by idade, ativo, ano, mes",
                role_arn=args.role.arn,
                glue_version=args.glue_version,
                worker_type=args.worker_type,
                number_of_workers=args.workers,
                # FLEX runs on spare capacity at a lower DPU-hour price, for work that can wait.
                execution_class=args.execution_class,
                # Explicit: left unset, Glue 5.0 stops a hung run only after 480 minutes of DPU
                # charges (Job.Timeout, https://docs.aws.amazon.com/glue/latest/webapi/API_Job.html;
                # 2,880 for Glue 4.0 and earlier).
                timeout=args.timeout_minutes,
                max_retries=args.max_retries,
                execution_property=aws.glue.JobExecutionPropertyArgs(max_concurrent_runs=args.max_concurrent_runs),
                security_configuration=self.security_configuration.name,
                command=aws.glue.JobCommandArgs(
                    name="glueetl", python_version="3", script_location=args.script_location
                ),
                default_arguments=args.default_arguments,
                tags={"stack": args.stack, "pipeline": "silver-to-gold"},
            ),
            # The role's permissions must exist before a run can use them.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, self.role_policy]),
        )
        # A catalog target only adds partitions to the existing table: it never creates
        # tables, and deletions are only logged.
        self.crawler = aws.glue.Crawler(
            f"{name}-crawler",
            aws.glue.CrawlerArgs(
                name=args.crawler_name,
                role=args.role.arn,
                database_name=args.gold_database,
                description=f"Registers new partitions of {args.gold[0]}.{args.gold[1]} (tutorial option A)",
                catalog_targets=[
                    aws.glue.CrawlerCatalogTargetArgs(database_name=args.gold_database, tables=[args.gold_table])
                ],
                schema_change_policy=aws.glue.CrawlerSchemaChangePolicyArgs(
                    delete_behavior="LOG", update_behavior="LOG"
                ),
                recrawl_policy=aws.glue.CrawlerRecrawlPolicyArgs(recrawl_behavior="CRAWL_EVERYTHING"),
                configuration=json.dumps(crawler_configuration()),
                security_configuration=self.security_configuration.name,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy]),
        )
        self.triggers = self._create_triggers(name, args, child)
        self.register_outputs({"jobName": self.job.name, "crawlerName": self.crawler.name})

    @staticmethod
    def _create_role_policy(name: str, args: GlueJobArgs, child: pulumi.ResourceOptions) -> aws.iam.RolePolicy:
        def document(bucket: str, account: str, kms_key_arn: str | None) -> str:
            policy = glue_job_policy(
                bucket=bucket,
                region=args.region,
                account=account,
                silver=args.silver,
                gold=args.gold,
                log_groups=args.log_groups,
                kms_key_arn=kms_key_arn or "",
                encrypted_log_groups=args.encrypted_log_groups,
                rejects=args.rejects,
            )
            return json.dumps(policy)

        policy = pulumi.Output.all(args.bucket_name, args.account_id, args.kms_key_arn).apply(
            lambda values: document(values[0], values[1], values[2])
        )
        return aws.iam.RolePolicy(
            f"{name}-glue-role-policy", aws.iam.RolePolicyArgs(role=args.role.id, policy=policy), opts=child
        )

    @staticmethod
    def _create_security_configuration(
        name: str, args: GlueJobArgs, child: pulumi.ResourceOptions
    ) -> aws.glue.SecurityConfiguration:
        # The name carries a hash of these settings (infra.names.security_configuration_name):
        # Glue cannot update a security configuration in place, and a replacement under the
        # same name would collide with the one it replaces.
        modes, kms = args.encryption, args.kms_key_arn
        return aws.glue.SecurityConfiguration(
            f"{name}-security-configuration",
            aws.glue.SecurityConfigurationArgs(
                name=args.security_configuration_name,
                encryption_configuration=aws.glue.SecurityConfigurationEncryptionConfigurationArgs(
                    s3_encryption=aws.glue.SecurityConfigurationEncryptionConfigurationS3EncryptionArgs(
                        s3_encryption_mode=modes.s3, kms_key_arn=kms if modes.s3 == "SSE-KMS" else None
                    ),
                    cloudwatch_encryption=aws.glue.SecurityConfigurationEncryptionConfigurationCloudwatchEncryptionArgs(
                        cloudwatch_encryption_mode=modes.cloudwatch,
                        kms_key_arn=kms if modes.cloudwatch == "SSE-KMS" else None,
                    ),
                    job_bookmarks_encryption=aws.glue.SecurityConfigurationEncryptionConfigurationJobBookmarksEncryptionArgs(
                        job_bookmarks_encryption_mode=modes.job_bookmarks,
                        kms_key_arn=kms if modes.job_bookmarks == "CSE-KMS" else None,
                    ),
                ),
            ),
            opts=child,
        )

    def _create_triggers(self, name: str, args: GlueJobArgs, child: pulumi.ResourceOptions) -> list[aws.glue.Trigger]:
        triggers = []
        if args.schedule:
            # Glue cron, UTC, validated in settings ("Time-based schedules for jobs and
            # crawlers", https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html).
            triggers.append(
                aws.glue.Trigger(
                    f"{name}-schedule-trigger",
                    aws.glue.TriggerArgs(
                        name=args.schedule_trigger_name,
                        type="SCHEDULED",
                        schedule=args.schedule,
                        start_on_creation=True,
                        description=f"Runs {args.job_name} on {args.schedule} (UTC)",
                        actions=[aws.glue.TriggerActionArgs(job_name=self.job.name)],
                    ),
                    opts=child,
                )
            )
        if args.on_demand_trigger_name:
            # "Dependent jobs or crawlers are only started if the job or crawler that
            # completes was started by a trigger" (https://docs.aws.amazon.com/glue/latest/dg/about-triggers.html):
            # a run started with StartJobRun never fires the conditional trigger below, so
            # manual runs go through this on-demand trigger (StartTrigger) instead.
            triggers.append(
                aws.glue.Trigger(
                    f"{name}-on-demand-trigger",
                    aws.glue.TriggerArgs(
                        name=args.on_demand_trigger_name,
                        type="ON_DEMAND",
                        description=f"Starts {args.job_name}; the crawler follows a successful run",
                        actions=[aws.glue.TriggerActionArgs(job_name=self.job.name)],
                    ),
                    opts=child,
                )
            )
        if args.crawl_after_job_trigger_name:
            # registrationMethod crawler: after each SUCCEEDED run the crawler registers
            # the partitions the run wrote ("Starting jobs and crawlers using triggers",
            # https://docs.aws.amazon.com/glue/latest/dg/trigger-job.html).
            triggers.append(
                aws.glue.Trigger(
                    f"{name}-crawl-after-job-trigger",
                    aws.glue.TriggerArgs(
                        name=args.crawl_after_job_trigger_name,
                        type="CONDITIONAL",
                        start_on_creation=True,
                        description=f"Runs {args.crawler_name} after each successful run of {args.job_name}",
                        predicate=aws.glue.TriggerPredicateArgs(
                            conditions=[
                                aws.glue.TriggerPredicateConditionArgs(
                                    job_name=self.job.name, state="SUCCEEDED", logical_operator="EQUALS"
                                )
                            ]
                        ),
                        actions=[aws.glue.TriggerActionArgs(crawler_name=self.crawler.name)],
                    ),
                    opts=child,
                )
            )
        return triggers


def crawler_configuration() -> dict:
    """Partitions inherit the table's schema; compatible schemas stay one table."""
    return {
        "Version": 1.0,
        "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
        "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
    }
