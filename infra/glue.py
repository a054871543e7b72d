"""The Glue side: job code in S3, the role, the security configuration, job and crawler.

`JobCode` uploads the packaged `etl/` under content-hash keys; `GlueJob` wires the role
(documents from `infra.policies`), the security configuration, the job and the crawler.
Neither reads configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

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
class GlueJobArgs:
    """Everything the job, the crawler and their role need, already decided."""

    stack: str
    region: str
    account_id: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    job_name: str
    crawler_name: str
    glue_version: str
    worker_type: str
    workers: int
    timeout_minutes: int
    max_retries: int
    max_concurrent_runs: int
    silver: tuple[str, str]
    gold: tuple[str, str]
    gold_database: pulumi.Input[str]
    gold_table: pulumi.Input[str]
    log_groups: list[str]
    script_location: pulumi.Input[str]
    default_arguments: pulumi.Input[dict]
    security_configuration_name: str
    kms_key_arn: str = ""
    depends_on: list[pulumi.Resource] = field(default_factory=list)


class GlueJob(pulumi.ComponentResource):
    """Role, security configuration, job and crawler."""

    def __init__(self, name: str, args: GlueJobArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("silver-to-gold:index:GlueJob", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = self._create_role(name, args, child)
        self.security_configuration = self._create_security_configuration(name, args, child)
        self.job = aws.glue.Job(
            f"{name}-job",
            aws.glue.JobArgs(
                name=args.job_name,
                description="silver -> gold: quality gate, avg(salario) by idade, ativo, ano, mes",
                role_arn=self.role.arn,
                glue_version=args.glue_version,
                worker_type=args.worker_type,
                number_of_workers=args.workers,
                # The default timeout is 2880 minutes (two days of DPU charges for a hung job).
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
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.depends_on),
        )
        # A catalog target only adds partitions to the existing table: it never creates
        # tables, and deletions are only logged.
        self.crawler = aws.glue.Crawler(
            f"{name}-crawler",
            aws.glue.CrawlerArgs(
                name=args.crawler_name,
                role=self.role.arn,
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
            opts=child,
        )
        self.register_outputs({"jobName": self.job.name, "crawlerName": self.crawler.name})

    @staticmethod
    def _create_role(name: str, args: GlueJobArgs, child: pulumi.ResourceOptions) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{name}-glue-role",
            aws.iam.RoleArgs(
                description=f"Glue job {args.job_name} and crawler {args.crawler_name} ({args.stack})",
                assume_role_policy=pulumi.Output.from_input(args.account_id).apply(
                    lambda a: json.dumps(glue_trust_policy(a))
                ),
            ),
            opts=child,
        )
        policy = pulumi.Output.all(args.bucket_name, args.account_id).apply(
            lambda values: json.dumps(
                glue_job_policy(
                    bucket=values[0],
                    region=args.region,
                    account=values[1],
                    silver=args.silver,
                    gold=args.gold,
                    log_groups=args.log_groups,
                    kms_key_arn=args.kms_key_arn,
                )
            )
        )
        aws.iam.RolePolicy(f"{name}-glue-role-policy", aws.iam.RolePolicyArgs(role=role.id, policy=policy), opts=child)
        return role

    @staticmethod
    def _create_security_configuration(
        name: str, args: GlueJobArgs, child: pulumi.ResourceOptions
    ) -> aws.glue.SecurityConfiguration:
        kms = args.kms_key_arn or None
        return aws.glue.SecurityConfiguration(
            f"{name}-security-configuration",
            aws.glue.SecurityConfigurationArgs(
                name=args.security_configuration_name,
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


def crawler_configuration() -> dict:
    """Partitions inherit the table's schema; compatible schemas stay one table."""
    return {
        "Version": 1.0,
        "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
        "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
    }
