"""doctor's permission lines (automation/aws/needs.py), values written out: which resource the
simulator is asked about for an IAM pattern, and how its answers read, one line a purpose."""

from __future__ import annotations

import json

from automation.aws.needs import Need, check_simulation, sample_of

ALLOWED = "allowed"


def test_the_resource_asked_about_for_each_kind_of_pattern():
    cases = {
        # Actions without a resource type are asked about on "*" itself.
        "*": "*",
        # A pattern names one sample resource it covers: an object under a prefix...
        "arn:aws:s3:::lake/gold/sample_data_aggregated/*": "arn:aws:s3:::lake/gold/sample_data_aggregated/doctor-check",
        # ... a stream of a log group (IAM's `log-group:NAME:*`)...
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws-glue/jobs/output:*": (
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws-glue/jobs/output:log-stream:jr_doctor-driver"
        ),
        # ... a group of a prefix pattern, which is not a stream pattern...
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws-glue/crawlers*": (
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws-glue/crawlersdoctor-check"
        ),
        # ... and a `:*` outside CloudWatch Logs is no log stream.
        "arn:aws:glue:us-east-1:123456789012:*": "arn:aws:glue:us-east-1:123456789012:doctor-check",
        # A resource with no wildcard is asked about as it is.
        "arn:aws:glue:us-east-1:123456789012:table/gold_data/sample_data_aggregated": (
            "arn:aws:glue:us-east-1:123456789012:table/gold_data/sample_data_aggregated"
        ),
    }
    assert {pattern: sample_of(pattern) for pattern in cases} == cases


def test_an_allowed_purpose_says_resource_or_resources_by_its_count():
    one = [Need("read silver", "s3:GetObject", "arn:aws:s3:::b/k")]
    two = [*one, Need("read silver", "s3:GetObject", "arn:aws:s3:::b/j")]
    decisions = {("s3:GetObject", "arn:aws:s3:::b/k"): ALLOWED, ("s3:GetObject", "arn:aws:s3:::b/j"): ALLOWED}
    assert [c.line() for c in check_simulation("job role", one, decisions, "fix")] == [
        "✓ job role may read silver: s3:GetObject allowed on 1 resource"
    ]
    assert [c.line() for c in check_simulation("job role", two, decisions, "fix")] == [
        "✓ job role may read silver: s3:GetObject allowed on 2 resources"
    ]


def test_up_to_four_actions_are_named_and_more_are_counted():
    actions = [
        "glue:GetTable",
        "glue:GetPartitions",
        "glue:BatchCreatePartition",
        "glue:GetDatabase",
        "glue:GetPartition",
    ]
    resource = "arn:aws:glue:us-east-1:123456789012:table/gold_data/sample_data_aggregated"
    decisions = {(action, resource): ALLOWED for action in actions}

    def line(count: int) -> str:
        needs = [Need("maintain gold's partitions", action, resource) for action in actions[:count]]
        (check,) = check_simulation("job role", needs, decisions, "fix")
        return check.line()

    assert line(4) == (
        "✓ job role may maintain gold's partitions: "
        "glue:BatchCreatePartition, glue:GetDatabase, glue:GetPartitions, glue:GetTable allowed on 1 resource"
    )
    assert line(5) == "✓ job role may maintain gold's partitions: 5 actions allowed on 1 resource"


def test_a_denied_purpose_is_false_in_the_json_document_not_null():
    needs = [Need("run", "glue:StartJobRun", "arn:aws:glue:us-east-1:123456789012:job/j")]
    decisions = {("glue:StartJobRun", "arn:aws:glue:us-east-1:123456789012:job/j"): "implicitDeny"}
    (check,) = check_simulation("operator policy", needs, decisions, "redeploy", verb="allows")
    assert json.loads(json.dumps(check.to_dict())) == {
        "check": "operator policy allows run",
        "ok": False,
        "detail": "denied glue:StartJobRun on arn:aws:glue:us-east-1:123456789012:job/j (implicitDeny)",
        "fix": "redeploy",
    }
