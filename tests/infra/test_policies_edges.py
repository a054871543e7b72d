"""The rendered policy documents where mutation testing of `infra/policies/` found them unguarded:
the role's statements by Sid, in the order deployed (a renamed or reordered statement is an update
of the deployed policy, and the Sids are what the IAM console and a reviewer read), the trust
policy whole, and every document's policy language version. Written out, never derived from infra.
"""

from __future__ import annotations

import json

ROLE_STATEMENTS = [
    "ReadSilverAndJobCode",
    "WriteGoldQuarantineTemp",
    "ListLakeBucket",
    "ReadSilverCatalog",
    "SparkCatalogClientDefaultDatabase",
    "MaintainGoldPartitions",
    "WriteOwnLogs",
    "GlueMetricsOnly",
]


def test_the_roles_statements_by_sid_in_order(dev, prod):
    def sids(stack) -> list[str]:
        policy = json.loads(stack.one("aws:iam/rolePolicy:RolePolicy")["policy"])
        return [statement.get("Sid") for statement in policy["Statement"]]

    assert sids(dev) == [*ROLE_STATEMENTS, "MaintainRejectsPartitions"]
    # prod has the stack's key: the role uses it, and associates it with its own log groups.
    assert sids(prod) == [*ROLE_STATEMENTS, "UseLakeKey", "EncryptOwnLogs", "MaintainRejectsPartitions"]


def test_the_trust_policy_whole(stack):
    assert json.loads(stack.one("aws:iam/role:Role")["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }


def test_every_document_is_in_the_current_policy_language(stack):
    # "2012-10-17 ... the current version of the policy language"; without it IAM falls back to
    # 2008-10-17, where policy variables are text (IAM User Guide, "IAM JSON policy elements:
    # Version", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
    documents = stack.policies()
    assert len(documents) >= 6
    assert {name: document.get("Version") for name, document in documents.items()} == {
        name: "2012-10-17" for name in documents
    }


def test_the_resource_policies_statements_by_sid(dev, prod):
    def sids(stack) -> dict[str, list]:
        return {
            name: [statement.get("Sid") for statement in document["Statement"]]
            for name, document in stack.policies().items()
            if not name.startswith(("silver-to-gold-glue-role", "silver-to-gold-operator-policy"))
        }

    common = {
        "silver-to-gold-lake-tls-only.policy": ["DenyInsecureTransport"],
        "silver-to-gold-access-logs-policy.policy": ["DenyInsecureTransport", "S3ServerAccessLogsFromTheLake"],
        "silver-to-gold-alerts-policy.policy": ["EventBridgePublish", "CloudWatchAlarmsPublish"],
    }
    assert sids(dev) == common
    assert sids(prod) == {
        **common,
        "silver-to-gold-key.policy": [
            "AccountAdministrators",
            "CloudWatchLogsForStackLogGroups",
            "GlueJobAndCrawlerRole",
            "EventBridgeForAlertsTopic",
            "CloudWatchAlarmsForAlertsTopic",
        ],
    }
