"""The bucket policies: the lake's (TLS only) and the access-log bucket's (TLS only, and S3's
logging service writing the lake's access logs)."""

from __future__ import annotations

from typing import Any

from infra.policies.statements import allow, bucket_arn, deny, document, service


def _tls_only(bucket: str) -> dict[str, Any]:
    lake = bucket_arn(bucket)
    return deny(
        "DenyInsecureTransport",
        "s3:*",
        [lake, f"{lake}/*"],
        {"Bool": {"aws:SecureTransport": "false"}},
        principal="*",
    )


def deny_insecure_transport_policy(bucket: str) -> dict[str, Any]:
    """Bucket policy: refuse every request not made over TLS."""
    return document(_tls_only(bucket))


def access_log_bucket_policy(log_bucket: str, lake_bucket: str, account: str, prefix: str) -> dict[str, Any]:
    """The access-log bucket: TLS only, and S3's logging service may write the lake's logs.

    The logging service principal, limited to the lake bucket of this account
    ("Permissions for log delivery",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
    """
    return document(
        _tls_only(log_bucket),
        allow(
            "S3ServerAccessLogsFromTheLake",
            "s3:PutObject",
            f"{bucket_arn(log_bucket)}/{prefix}*",
            {"ArnLike": {"aws:SourceArn": bucket_arn(lake_bucket)}, "StringEquals": {"aws:SourceAccount": account}},
            principal=service("logging.s3.amazonaws.com"),
        ),
    )
