"""Record every AWS API call a CLI subprocess makes (tests only).

`tests.aws_emulator` puts this folder first on PYTHONPATH of the CLI subprocesses it starts, so
Python imports it at start-up (the `site` module imports `sitecustomize` from sys.path). When
SILVER_TO_GOLD_API_CALLS names a file, every call that reaches botocore's
`BaseClient._make_api_call` -- paginators, waiters and S3's managed transfers included -- is
appended to it as one JSON line: the verb (`python -m automation VERB`), the service, the
operation, the parameters that name a resource, and a started query's id (to join the reads
Athena made for it, which the emulator records). The calls are then mapped to IAM actions and
held to the verb's declaration and to the operator policy (`tests/aws_emulator.py`).
"""

from __future__ import annotations

import json
import os
import sys
import threading

_LOG = os.environ.get("SILVER_TO_GOLD_API_CALLS")
# Parameters that name what a call acts on (bodies, uploads and tokens are left out).
_NAMING = (
    "Bucket",
    "Key",
    "Prefix",
    "JobName",
    "Name",
    "RunId",
    "CrawlerName",
    "DatabaseName",
    "TableName",
    "WorkGroup",
    "NamedQueryId",
    "QueryExecutionId",
    "logGroupName",
    "logGroupNamePrefix",
    "logStreamName",
    "logStreamNamePrefix",
    "TopicArn",
    "PolicySourceArn",
    "PolicyArn",
    "ResourceArns",
    "TriggerName",
    "KeyId",
)

if _LOG:
    import botocore.client

    _lock = threading.Lock()
    _original = botocore.client.BaseClient._make_api_call

    def _recording(self, operation_name, api_params):
        entry = {
            "verb": sys.argv[1] if len(sys.argv) > 1 else "",
            "service": self.meta.service_model.service_name,
            "prefix": self.meta.service_model.signing_name,
            "operation": operation_name,
            "region": self.meta.region_name,
            "params": {k: v for k, v in api_params.items() if k in _NAMING},
        }
        try:
            answer = _original(self, operation_name, api_params)
            if operation_name == "StartQueryExecution":
                entry["query_id"] = answer.get("QueryExecutionId")
            return answer
        finally:  # written once the call is answered (or refused), so a started query's id is in it
            with _lock, open(_LOG, "a", encoding="utf-8") as log:
                log.write(json.dumps(entry, default=str) + "\n")

    botocore.client.BaseClient._make_api_call = _recording
