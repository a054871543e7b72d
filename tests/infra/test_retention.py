"""Retention on the versioned lake bucket removes what it promises: expired object delete
markers everywhere (a rule of its own), and no object the stack declares sits under a prefix a
rule expires. The rendered rules are also put into the emulated S3 (moto over HTTP), which
refuses what S3 refuses.

S3's rules: an expired object delete marker (a delete marker with no noncurrent version left) is
removed only under a rule expiring current versions on its prefix or a rule with
`ExpiredObjectDeleteMarker` ("Managing delete markers",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/ManagingDelMarkers.html), which "cannot be
specified with Days or Date in a Lifecycle Expiration Policy" (LifecycleExpiration,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.aws_emulator import aws_emulator  # noqa: F401  (the session fixture)

LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"


def lake_rules(stack) -> list[dict]:
    return stack.named("silver-to-gold-lake-lifecycle")["rules"]


def expired_prefixes(rules: list[dict]) -> dict[str, float]:
    """Prefix -> days, for every rule that expires current versions after some days."""
    return {
        (r.get("filter") or {}).get("prefix", ""): r["expiration"]["days"]
        for r in rules
        if r["status"] == "Enabled" and (r.get("expiration") or {}).get("days")
    }


def test_a_bucket_wide_rule_of_its_own_removes_expired_delete_markers(stack):
    markers = [r for r in lake_rules(stack) if (r.get("expiration") or {}).get("expiredObjectDeleteMarker")]
    assert markers == [
        {
            "id": "remove-expired-delete-markers",
            "status": "Enabled",
            "filter": {"prefix": ""},  # every key: gold/, silver/, artifacts/ as much as scratch
            "expiration": {"expiredObjectDeleteMarker": True},
        }
    ]


def test_noncurrent_versions_still_expire_bucket_wide(stack):
    # The delete-marker rule only helps once the version under the marker is gone.
    (rule,) = [r for r in lake_rules(stack) if r["id"] == "expire-noncurrent-versions"]
    assert rule["filter"] == {"prefix": ""} and rule["noncurrentVersionExpiration"] == {"noncurrentDays": 90}


@pytest.mark.parametrize("days", [None, "7"])
def test_no_declared_object_sits_under_a_prefix_a_rule_expires(stack, render_config, days):
    rendered = stack if days is None else render_config("qa", {"quarantineRetentionDays": days})
    expiring = expired_prefixes(lake_rules(rendered))
    assert set(expiring) == {"temp/", "athena-results/", "quarantine/"}
    keys = [o["key"] for o in rendered.of_type(OBJECT)]
    assert keys, "the stack declares its job code and placeholders"
    assert [k for k in keys if any(k.startswith(p) for p in expiring)] == []


def _api_shape(value):
    """A rendered rule (camelCase, numbers as floats) as the S3 API takes it (PascalCase, ints)."""
    if isinstance(value, dict):
        return {("ID" if k == "id" else k[0].upper() + k[1:]): _api_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_api_shape(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def test_the_emulated_s3_takes_the_rules_and_refuses_the_marker_beside_days(prod, aws_emulator):  # noqa: F811
    s3 = aws_emulator.client("s3")
    s3.create_bucket(Bucket="retention-check")
    rules = _api_shape(lake_rules(prod))
    s3.put_bucket_lifecycle_configuration(Bucket="retention-check", LifecycleConfiguration={"Rules": rules})
    stored = s3.get_bucket_lifecycle_configuration(Bucket="retention-check")["Rules"]
    assert {r["ID"] for r in stored} == {r["ID"] for r in rules}
    # The same marker setting folded into a rule with Days: refused, hence a rule of its own.
    folded = [
        {**r, "Expiration": {**r["Expiration"], "ExpiredObjectDeleteMarker": True}}
        for r in rules
        if r["ID"] == "expire-temp"
    ]
    with pytest.raises(ClientError, match="MalformedXML"):
        s3.put_bucket_lifecycle_configuration(Bucket="retention-check", LifecycleConfiguration={"Rules": folded})
