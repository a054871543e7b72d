"""AWS API calls as IAM sees them, and a small evaluator of a policy document's statements.

`iam_requests` maps one recorded call (`tests/api_calls/sitecustomize.py`: service, operation,
the parameters naming a resource) to the IAM actions and resource ARNs it is authorized
against; `allows` and `decision` (the evaluator the emulator uses too, `tools.emulator.policy`)
say whether policy documents allow an action on a resource; `trust_allows` whether a role's trust
policy lets a principal assume it with given condition keys (`condition_holds`: StringEquals,
StringLike, ArnEquals, ArnLike, and ForAnyValue: of each). Used to hold every call the CLI
makes in the e2e suite to the verbs' declaration (`infra.policies.verbs`) and to the operator
policy (`infra.policies.operator_policy`). Pure; tested in
tests/automation/test_operator_policy_calls.py.

Sources: S3's operations by their documented actions ("Required permissions for Amazon S3 API
operations", https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html:
ListObjectsV2 and HeadBucket need s3:ListBucket, HeadObject s3:GetObject, the multipart upload
operations s3:PutObject, GetBucketEncryption s3:GetEncryptionConfiguration); Glue's resources
per action ("AWS Glue API permissions: actions and resources reference",
https://docs.aws.amazon.com/glue/latest/dg/api-permissions-reference.html: a table operation is
authorized on the catalog, the database and the table); Athena's query operations on the
workgroup, CloudWatch Logs' on the log group, DescribeLogGroups on "*" (the Service Authorization
Reference pages of each service, https://docs.aws.amazon.com/service-authorization/latest/reference/);
sts:GetCallerIdentity needs no permission
(https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from tools.emulator.policy import (
    ALLOWED,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    NotEvaluated,
    _pattern,
    allows,
    decision,
    listed,
    statements,
)

__all__ = [
    "ALLOWED",
    "EXPLICIT_DENY",
    "IMPLICIT_DENY",
    "NotEvaluated",
    "Stack",
    "UnknownOperation",
    "allows",
    "decision",
    "iam_requests",
]

# Operations IAM does not authorize.
NO_PERMISSION = {("sts", "GetCallerIdentity")}

S3_BUCKET_ACTIONS = {
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "GetBucketLocation": "s3:GetBucketLocation",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "GetBucketVersioning": "s3:GetBucketVersioning",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
}
S3_OBJECT_ACTIONS = {
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "ListParts": "s3:ListMultipartUploadParts",
    "DeleteObject": "s3:DeleteObject",
}
GLUE_JOB = {"StartJobRun", "GetJobRun", "GetJobRuns", "GetJob", "BatchStopJobRun", "GetJobBookmark"}
GLUE_CRAWLER = {"StartCrawler", "GetCrawler", "StopCrawler", "ListCrawls"}
GLUE_TRIGGER = {"StartTrigger", "GetTrigger"}
GLUE_TABLE = {
    "GetTable",
    "GetPartition",
    "GetPartitions",
    "BatchGetPartition",
    "CreatePartition",
    "BatchCreatePartition",
    "UpdatePartition",
    "DeletePartition",
    "BatchDeletePartition",
}
ATHENA_WORKGROUP = {
    "StartQueryExecution",
    "GetQueryExecution",
    "GetQueryResults",
    "StopQueryExecution",
    "GetNamedQuery",
    "GetWorkGroup",
}


class UnknownOperation(Exception):
    """A call this module cannot map: add its IAM action and resource here."""


@dataclass(frozen=True)
class Stack:
    """What a call's resource ARN needs beyond its parameters."""

    region: str
    account: str
    workgroup: str  # Athena query ids belong to it: the CLI starts queries only there


def iam_requests(call: Mapping[str, Any], stack: Stack) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs one API call is authorized against ([] for none)."""
    service, operation, params = call["service"], call["operation"], call.get("params", {})
    if (service, operation) in NO_PERMISSION:
        return []
    region, account = call.get("region") or stack.region, stack.account
    if service == "s3":
        bucket = f"arn:aws:s3:::{params['Bucket']}"
        if operation in S3_BUCKET_ACTIONS:
            return [(S3_BUCKET_ACTIONS[operation], bucket)]
        if operation in S3_OBJECT_ACTIONS:
            return [(S3_OBJECT_ACTIONS[operation], f"{bucket}/{params['Key']}")]
    glue = f"arn:aws:glue:{region}:{account}"
    if service == "glue":
        action = f"glue:{operation}"
        if operation in GLUE_JOB:
            return [(action, f"{glue}:job/{params['JobName']}")]
        if operation in GLUE_CRAWLER:
            return [(action, f"{glue}:crawler/{params.get('Name') or params['CrawlerName']}")]
        if operation in GLUE_TRIGGER:
            return [(action, f"{glue}:trigger/{params['Name']}")]
        if operation in GLUE_TABLE:
            database, table = params["DatabaseName"], params.get("TableName") or params["Name"]
            arns = [f"{glue}:catalog", f"{glue}:database/{database}", f"{glue}:table/{database}/{table}"]
            return [(action, arn) for arn in arns]
        if operation == "GetDatabase":
            return [(action, f"{glue}:catalog"), (action, f"{glue}:database/{params['Name']}")]
    if service == "athena" and operation in ATHENA_WORKGROUP:
        workgroup = params.get("WorkGroup") or stack.workgroup
        return [(f"athena:{operation}", f"arn:aws:athena:{region}:{account}:workgroup/{workgroup}")]
    if service == "logs":
        group = f"arn:aws:logs:{region}:{account}:log-group:{params.get('logGroupName', '')}"
        if operation == "DescribeLogGroups":
            return [("logs:DescribeLogGroups", "*")]
        if operation in ("FilterLogEvents", "DescribeLogStreams"):
            return [(f"logs:{operation}", group)]
        if operation == "GetLogEvents":
            return [("logs:GetLogEvents", f"{group}:log-stream:{params['logStreamName']}")]
    if service == "kms" and operation == "DescribeKey":
        return [("kms:DescribeKey", params["KeyId"])]
    if service == "sns" and operation == "GetTopicAttributes":
        return [("sns:GetTopicAttributes", params["TopicArn"])]
    if service == "iam" and operation == "SimulatePrincipalPolicy":
        return [("iam:SimulatePrincipalPolicy", params["PolicySourceArn"])]
    if service == "iam" and operation in ("GetPolicy", "GetPolicyVersion"):
        return [(f"iam:{operation}", params["PolicyArn"])]
    # SimulateCustomPolicy and GetMetricData have no resource type: "*" (the Service
    # Authorization Reference pages of IAM and CloudWatch).
    if (service, operation) in (("iam", "SimulateCustomPolicy"), ("cloudwatch", "GetMetricData")):
        return [(f"{service}:{operation}", "*")]
    raise UnknownOperation(f"no IAM action known for {service}:{operation}: add it to tests/iam_policy.py")


# Condition operators, as "IAM JSON policy elements: Condition operators" defines them
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
# StringEquals exact and case-sensitive; StringLike case-sensitive with `*` and `?`; ArnEquals and
# ArnLike likewise on ARNs. Several values of one key: any may match; several keys, or several
# operators: all must hold; a key the request lacks: the condition does not hold. A multivalued key
# (`kms:ResourceAliases`) takes a set operator: `ForAnyValue:` holds when any of the request's values
# matches ("Multivalued context keys",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
_OPERATORS = {
    "StringEquals": lambda value, wanted: value == wanted,
    "StringLike": lambda value, wanted: bool(_pattern(wanted, True).match(value)),
    "ArnEquals": lambda value, wanted: value == wanted,
    "ArnLike": lambda value, wanted: bool(_pattern(wanted, True).match(value)),
}


def condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]) -> bool:
    """Whether a statement's Condition holds for a request whose condition keys are `context`
    (a value per key; a list for a multivalued key).

    Raises:
        ValueError: an operator this evaluator does not know (rather than a silent answer).
    """
    for qualified, keys in condition.items():
        qualifier, _, operator = qualified.rpartition(":")
        if operator not in _OPERATORS or qualifier not in ("", "ForAnyValue"):
            raise ValueError(f"condition operator {qualified} is not evaluated here: add it to tests/iam_policy.py")
        for key, wanted in keys.items():
            value = context.get(key)
            if value is None:
                return False
            values = listed(value) if qualifier == "ForAnyValue" else [value]
            if qualifier == "" and not isinstance(value, str):
                raise ValueError(f"{key} has several values: a set operator (ForAnyValue:) must test it")
            if not any(_OPERATORS[operator](v, w) for v in values for w in listed(wanted)):
                return False
    return True


def trust_allows(
    document: Mapping[str, Any], principal: Mapping[str, str], action: str, context: Mapping[str, str]
) -> bool:
    """Whether a role's trust policy lets `principal` (`{"Federated": ARN}`) perform `action`
    (`sts:AssumeRoleWithWebIdentity`) in a request with condition keys `context`: an Allow naming
    the principal and the action whose Condition holds, and no Deny that matches."""

    def names(statement: Mapping[str, Any]) -> bool:
        named = statement.get("Principal")
        if named == "*":
            return True
        actions = listed(statement.get("Action"))
        return any(value in listed((named or {}).get(kind)) for kind, value in principal.items()) and any(
            _pattern(a, False).match(action) for a in actions
        )

    def holds(statement: Mapping[str, Any]) -> bool:
        return condition_holds(statement.get("Condition") or {}, context)

    found = statements(document)
    if any(s.get("Effect") == "Deny" and names(s) and holds(s) for s in found):
        return False
    return any(s.get("Effect") == "Allow" and names(s) and holds(s) for s in found)
