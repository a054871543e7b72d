"""Policy documents as plain dicts, one module per principal: pure, unit-tested, linted offline.

`statements` holds the one `allow` (and `deny`) helper every statement is made with and the
ARN builders; `glue_role` the role the job and crawler run as (trust and permissions),
`operator` the operators' managed policy, `key` the stack key's policy, `topic` the alerts
topic's, `bucket` the lake's and the access-log bucket's.
"""

from infra.policies.actions import CATALOG_PARTITION_WRITE, CATALOG_READ, KEY_USE_ACTIONS
from infra.policies.bucket import access_log_bucket_policy, deny_insecure_transport_policy
from infra.policies.glue_role import (
    DEFAULT_DATABASE,
    DEFAULT_DATABASE_ACTIONS,
    READ_PREFIXES,
    WRITE_PREFIXES,
    glue_job_policy,
    glue_trust_policy,
    rejects_partitions_statement,
)
from infra.policies.key import lake_key_policy
from infra.policies.operator import operator_policy
from infra.policies.statements import allow, deny, document
from infra.policies.topic import alerts_topic_policy, cloudwatch_alarms_publish_statement

__all__ = [
    "CATALOG_PARTITION_WRITE",
    "CATALOG_READ",
    "DEFAULT_DATABASE",
    "DEFAULT_DATABASE_ACTIONS",
    "KEY_USE_ACTIONS",
    "READ_PREFIXES",
    "WRITE_PREFIXES",
    "access_log_bucket_policy",
    "alerts_topic_policy",
    "allow",
    "cloudwatch_alarms_publish_statement",
    "deny",
    "deny_insecure_transport_policy",
    "document",
    "glue_job_policy",
    "glue_trust_policy",
    "lake_key_policy",
    "operator_policy",
    "rejects_partitions_statement",
]
