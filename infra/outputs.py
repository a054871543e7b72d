"""Stack output names and the shape of `stackSettings`: used by `infra` (exports), the CLI (`automation`)
and the tests.

Every value the operations CLI needs to act on a deployed stack is an output, so an
outputs file (`pulumi stack output --json`) is enough to run it without the Pulumi CLI.
"""

from __future__ import annotations

from typing import TypedDict

BUCKET = "lakeBucket"
SILVER_URI = "silverUri"
GOLD_URI = "goldUri"
QUARANTINE_URI = "quarantineUri"
REPORTS_URI = "runReportsUri"
SILVER_DATABASE = "silverDatabase"
SILVER_TABLE = "silverTable"
JOB_NAME = "jobName"
CRAWLER_NAME = "crawlerName"
GOLD_DATABASE = "goldDatabase"
GOLD_TABLE = "goldTable"
ATHENA_WORKGROUP = "athenaWorkgroup"
PREVIEW_QUERY_ID = "previewQueryId"
REPAIR_QUERY_ID = "repairQueryId"
PREVIEW_SQL = "previewSql"
# Glue 5.0 writes a job's logs to two groups: stdout/stderr to `<prefix>/output`, system
# and Spark logs to `<prefix>/error`; streams `<run id>-driver` and `<run id>-<executor>`.
JOB_OUTPUT_LOG_GROUP = "jobOutputLogGroup"
JOB_ERROR_LOG_GROUP = "jobErrorLogGroup"
# Crawlers always log to `/aws-glue/crawlers` (one stream per crawler name).
CRAWLER_LOG_GROUP = "crawlerLogGroup"
ALERTS_TOPIC_ARN = "alertsTopicArn"
LAKE_ON_DESTROY = "lakeOnDestroy"  # "retained" or "deleted": what `destroy` does to the bucket and its data
KMS_KEY_ARN = "kmsKeyArn"  # empty when the stack uses no customer-managed key
PRICE_PER_DPU_HOUR = "pricePerDpuHour"  # USD, for the job's execution class
# With registrationMethod crawler: start runs with `aws glue start-trigger --name <this>`
# so the crawler follows a successful run (a StartJobRun run never fires it); else "".
JOB_RUN_TRIGGER = "jobRunTrigger"
REGION = "region"
# The customer-managed IAM policy with what the operations CLI calls on this stack
# (`infra.policies.operator_policy`): attach it to an operator's role or CI's.
OPERATOR_POLICY_ARN = "operatorPolicyArn"
# With `githubRepository`: the roles GitHub Actions assume by OIDC (`infra.github`), to deploy and
# operate the stack (main branch, the stack's environment) and to preview it (pull requests); else "".
DEPLOY_ROLE_ARN = "deployRoleArn"
PREVIEW_ROLE_ARN = "previewRoleArn"
# What the stack set on the resources it owns, for `doctor` to compare the account against
# (`StackSettings` below; `infra.pipeline.stack_settings` builds it).
STACK_SETTINGS = "stackSettings"
JOB_CONSOLE_URL = "jobConsoleUrl"
ATHENA_CONSOLE_URL = "athenaConsoleUrl"
# The rejects table (`<goldTable>_rejects` in goldDatabase): one partition per run with rejects.
REJECTS_TABLE = "rejectsTable"
# The stack's CloudWatch dashboard (runs, rows, reject ratio, duration, DPU-seconds, errors).
DASHBOARD_NAME = "dashboardName"
DASHBOARD_URL = "dashboardUrl"


class StackJob(TypedDict):
    """The Glue job's definition as the stack set it (`stackSettings.job`)."""

    glueVersion: str
    workerType: str
    numberOfWorkers: int
    executionClass: str
    timeout: int
    maxRetries: int
    securityConfiguration: str
    scriptLocation: str
    defaultArguments: dict[str, str]


class StackAthena(TypedDict):
    """The workgroup's enforced configuration as the stack set it (`stackSettings.athena`)."""

    bytesScannedCutoffPerQuery: int
    outputLocation: str
    encryptionOption: str
    engineVersion: str


class StackSettings(TypedDict):
    """The `stackSettings` output: the role, whether the stack created the lake bucket (and so
    set its encryption and versioning), the job, the log groups it declared and their
    retention, the workgroup."""

    roleArn: str
    roleName: str
    bucketManaged: bool
    job: StackJob
    logGroups: list[str]
    logRetentionDays: int
    athena: StackAthena
