"""Physical names: per-stack defaults, the Glue log groups, and every length limit they meet.

Pure: no Pulumi, no AWS calls. Two stacks of this project in one account and region must
never share a physical name, so every default except the tutorial stack's carries the
stack name; `dev` keeps the tutorial's names. `name_length_problems` checks each name
against the limit of the API that receives it, before anything is created.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from etl.schema import GOLD, SILVER

PROJECT = "silver-to-gold"
# The stack that keeps the tutorial's names (gold_data.sample_data_aggregated,
# job-transform-silver-to-gold, crawler-gold-data).
TUTORIAL_STACK = "dev"
TUTORIAL_JOB = "job-transform-silver-to-gold"
TUTORIAL_CRAWLER = "crawler-gold-data"

# Limits of the APIs the names go to. The AWS ones are the `max` of each shape in
# botocore's service models (tests/infra checks them against botocore).
# bucket_prefix: the Terraform AWS provider (which pulumi-aws bridges) appends a 26-char
# unique suffix and allows at most 37 characters of prefix:
# https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket#bucket_prefix
# SNS topic names: up to 256 characters ("CreateTopic", Name,
# https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html); botocore has no max.
LIMITS = {
    "bucket_prefix": 37,
    "iam_role": 64,
    "iam_policy": 128,
    "glue_job": 255,
    "glue_crawler": 255,
    "glue_database": 255,
    "glue_security_configuration": 255,
    "glue_trigger": 255,
    "athena_workgroup": 128,
    "log_group": 512,
    "kms_alias": 256,
    "event_rule": 64,
    "sns_topic": 256,
    "cloudwatch_alarm": 255,
    "cloudwatch_dashboard": 255,
    "metric_filter": 512,
}
LIMIT_SOURCES = {
    "bucket_prefix": "the Terraform AWS provider's aws_s3_bucket bucket_prefix",
    "iam_role": "IAM CreateRole RoleName",
    "iam_policy": "IAM CreatePolicy PolicyName",
    "glue_job": "Glue CreateJob Name",
    "glue_crawler": "Glue CreateCrawler Name",
    "glue_database": "Glue DatabaseInput Name",
    "glue_security_configuration": "Glue CreateSecurityConfiguration Name",
    "glue_trigger": "Glue CreateTrigger Name",
    "athena_workgroup": "Athena CreateWorkGroup Name",
    "log_group": "CloudWatch Logs CreateLogGroup logGroupName",
    "kms_alias": "KMS CreateAlias AliasName",
    "event_rule": "EventBridge PutRule Name",
    "sns_topic": "SNS CreateTopic Name",
    "cloudwatch_alarm": "CloudWatch PutMetricAlarm AlarmName",
    "cloudwatch_dashboard": "CloudWatch PutDashboard DashboardName",
    "metric_filter": "CloudWatch Logs PutMetricFilter filterName",
}


# Pulumi's stack names: letters, digits, hyphens, underscores and periods, at most 100
# characters (pulumi/pulumi sdk/go/common/tokens/stack_name.go, ParseStackName); a stack may be
# qualified by its organization, `orgName/stackName` or `orgName/projectName/stackName`, the
# project matching Pulumi.yaml's ("Stacks", Create a stack,
# https://www.pulumi.com/docs/iac/concepts/stacks/#create-stack).
_PULUMI_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def bare_stack_name(stack: str) -> str:
    """The stack's own name in `org/name` or `org/project/name` (`dev` in `acme/silver-to-gold/dev`).

    Pulumi names the stack file and `pulumi.get_stack()` after this part; the physical names
    are built from it too, so `acme/dev` and `dev` deploy the same names.

    Raises:
        ValueError: the name is not NAME, ORG/NAME or ORG/PROJECT/NAME with Pulumi's
            characters, or its project part is another project's.
    """
    parts = stack.split("/")
    if len(parts) > 3 or not all(_PULUMI_NAME.match(part) for part in parts):
        raise ValueError("a stack is NAME, ORG/NAME or ORG/PROJECT/NAME, each part letters, digits, '-', '_' or '.'")
    if len(parts) == 3 and parts[1] != PROJECT:
        raise ValueError(f"the stack belongs to project {parts[1]!r}, not {PROJECT!r}")
    return parts[-1]


def catalog_suffix(stack: str) -> str:
    """The stack as a Glue catalog name part (lowercase letters, digits, underscores)."""
    return stack.replace("-", "_")


def default_names(stack: str, creates_silver: bool) -> dict[str, str]:
    """Defaults of the name keys (config key -> name) for `stack`.

    `dev` keeps the tutorial's names. Other stacks carry the stack name. A silver table
    the stack only references is shared and keeps its name; one it creates is its own in
    every stack (dev's too): the tutorial's `silver_data` may already exist in the
    account, and another stack may read it.
    """
    own_silver = f"{SILVER.database}_{catalog_suffix(stack)}"
    if stack == TUTORIAL_STACK:
        return {
            "silverDatabase": own_silver if creates_silver else SILVER.database,
            "silverTable": SILVER.table,
            "goldDatabase": GOLD.database,
            "goldTable": GOLD.table,
            "jobName": TUTORIAL_JOB,
            "crawlerName": TUTORIAL_CRAWLER,
        }
    suffix = catalog_suffix(stack)
    return {
        "silverDatabase": own_silver if creates_silver else SILVER.database,
        "silverTable": SILVER.table,
        "goldDatabase": f"{GOLD.database}_{suffix}",
        "goldTable": GOLD.table,
        "jobName": f"{TUTORIAL_JOB}-{stack}",
        "crawlerName": f"{TUTORIAL_CRAWLER}-{stack}",
    }


def bucket_prefix(stack: str) -> str:
    return f"{PROJECT}-{stack}-"


def access_log_bucket_prefix(stack: str) -> str:
    return f"{PROJECT}-logs-{stack}-"


def role_name(stack: str) -> str:
    """Named explicitly: Glue puts the role name into the encrypted log groups' names."""
    return f"{PROJECT}-{stack}-glue"


def workgroup_name(stack: str) -> str:
    return f"{PROJECT}-{stack}"


def alerts_topic_name(stack: str) -> str:
    return f"{PROJECT}-{stack}-alerts"


def failure_rule_name(stack: str) -> str:
    return f"{PROJECT}-{stack}-failures"


def dashboard_name(stack: str) -> str:
    """The stack's CloudWatch dashboard (letters, digits, '-' and '_' only, as a stack name is)."""
    return f"{PROJECT}-{stack}"


def reject_ratio_alarm_name(stack: str) -> str:
    return f"{PROJECT}-{stack}-reject-ratio"


def freshness_alarm_name(stack: str) -> str:
    return f"{PROJECT}-{stack}-freshness"


def metric_filter_name(stack: str, metric: str) -> str:
    """One metric filter per figure of the run's metrics line (etl.metrics)."""
    return f"{PROJECT}-{stack}-{metric}"


def key_alias(stack: str) -> str:
    return f"alias/{PROJECT}-{stack}"


def operator_policy_name(stack: str) -> str:
    """The customer-managed policy with what the operations CLI calls (attach it to an operator)."""
    return f"{PROJECT}-{stack}-operator"


def deploy_role_name(stack: str) -> str:
    """The role GitHub Actions deploys and operates the stack as (`infra.github`)."""
    return f"{PROJECT}-{stack}-deploy"


def preview_role_name(stack: str) -> str:
    """The role GitHub Actions previews the stack's changes as, on a pull request (`infra.github`)."""
    return f"{PROJECT}-{stack}-preview"


def deploy_policy_name(stack: str) -> str:
    """The deploy role's inline policy: what `pulumi up` of the stack manages."""
    return f"{PROJECT}-{stack}-deploy"


def job_log_group_prefix(job_name: str) -> str:
    """The job's `--custom-logGroup-prefix`: one per job, so per stack."""
    return f"/aws-glue/jobs/{job_name}"


def schedule_trigger_name(job_name: str) -> str:
    return f"{job_name}-schedule"


def on_demand_trigger_name(job_name: str) -> str:
    return f"{job_name}-run"


def crawler_trigger_name(crawler_name: str) -> str:
    return f"{crawler_name}-after-job"


@dataclass(frozen=True)
class EncryptionModes:
    """What the Glue security configuration encrypts, and with which key setting."""

    s3: str  # SSE-S3 | SSE-KMS
    cloudwatch: str  # DISABLED | SSE-KMS
    job_bookmarks: str  # DISABLED | CSE-KMS
    key: str  # the `kms` setting: none, create or a key ARN


def security_configuration_name(stack: str, modes: EncryptionModes) -> str:
    """`silver-to-gold-<stack>-<8 hex>`: the hash of what it encrypts, with which key.

    Glue cannot update a security configuration (there is no UpdateSecurityConfiguration
    API), so any change replaces it; Pulumi creates the replacement before deleting the
    old one, and a fixed name would collide (AlreadyExistsException). A name carrying
    the settings' hash makes every replacement a new name. The hash is of the settings,
    not of a created key's ARN, so the name is known before the key exists (the log
    group names and the key policy need it).
    """
    digest = hashlib.sha256(
        json.dumps([modes.s3, modes.cloudwatch, modes.job_bookmarks, modes.key]).encode()
    ).hexdigest()[:8]
    return f"{PROJECT}-{stack}-{digest}"


def job_log_groups(prefix: str) -> tuple[str, str]:
    """(output, error): the log groups Glue 5.0 writes the job's logs to, `<prefix>/output`
    (stdout, stderr) and `<prefix>/error` (system, Spark, Glue logger), with or without a
    security configuration.

    AWS documents one layout for Glue 5.0 with `--custom-logGroup-prefix`: "/aws-glue/jobs/error
    will be <customer prefix>/error", "/aws-glue/jobs/output will be <customer prefix>/output"
    ("Logging for AWS Glue jobs", https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html);
    the page names no other form for a job whose security configuration encrypts its logs. The
    security configuration's name in a group name is documented only for Glue 4.0 continuous
    logs (`<group>-<security configuration>`, monitor-continuous-logging-enable.html) and for
    JobRun.LogGroupName (`/aws-glue/jobs-<role>-<security configuration>/`, granted as
    `documented_encrypted_job_log_groups`). The stack declares these two groups with its key,
    so they are encrypted whatever Glue does; the `logs` verb reads the group GetJobRun names
    first, should a run write elsewhere (`automation.aws.job_runs.job_log_groups`).
    """
    return f"{prefix}/output", f"{prefix}/error"


def documented_encrypted_job_log_groups(security_configuration: str, role: str) -> str:
    """AWS's documented name of a job's encrypted log groups, as an IAM resource pattern:
    `/aws-glue/jobs-<role>-<security configuration>/*` ("If you add a role name and
    SecurityConfiguration name (in other words,
    /aws-glue/jobs-yourRoleName-yourSecurityConfigurationName/), then that security
    configuration is used to encrypt the log group", JobRun.LogGroupName, botocore's Glue
    model and https://docs.aws.amazon.com/glue/latest/webapi/API_JobRun.html). The stack
    cannot declare these groups (it does not know which names Glue appends), so Glue
    creates them; the role's grants and the key policy cover the pattern."""
    return f"/aws-glue/jobs-{role}-{security_configuration}/*"


CRAWLER_LOG_GROUP = "/aws-glue/crawlers"


def crawler_log_group(security_configuration: str, role: str, encrypted: bool) -> str:
    """Where crawlers log: `/aws-glue/crawlers` (one stream per crawler, shared by every
    crawler of the account and region), or, with CloudWatch encryption in the security
    configuration, `/aws-glue/crawlers-role/<role>-<security configuration>` (owned by
    this role and configuration). To confirm on a real account (docs/infrastructure.md)."""
    if not encrypted:
        return CRAWLER_LOG_GROUP
    return f"/aws-glue/crawlers-role/{role}-{security_configuration}"


def role_log_groups(job_log_group_prefix: str, security_configuration: str, role: str, encrypted: bool) -> list[str]:
    """Every log group name (or IAM pattern) the job and crawler may write to, in one place:
    the role's log grants and the operator's log reads both use it.

    The job's two groups and the crawler's (`job_log_groups`, `crawler_log_group`), and
    `/aws-glue/crawlers` in both cases -- AWS documents it as where crawlers log, while the
    encrypted crawler group's name is only observed -- and, when encrypted, AWS's documented
    form of the job's groups (`documented_encrypted_job_log_groups`): granted until a real
    account confirms which names Glue 5.0 uses with a custom prefix and encryption.
    """
    groups = [
        *job_log_groups(job_log_group_prefix),
        crawler_log_group(security_configuration, role, encrypted),
    ]
    if CRAWLER_LOG_GROUP not in groups:
        groups.append(CRAWLER_LOG_GROUP)
    if encrypted:
        groups.append(documented_encrypted_job_log_groups(security_configuration, role))
    return groups


def name_length_problems(names: dict[str, str]) -> list[str]:
    """One sentence per name longer than its API allows (`names`: LIMITS key -> name)."""
    problems = []
    for kind, name in names.items():
        limit = LIMITS[kind]
        if len(name) > limit:
            problems.append(f"{name!r} is {len(name)} characters; {LIMIT_SOURCES[kind]} allows at most {limit}")
    return problems
