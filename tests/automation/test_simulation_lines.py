"""doctor's permission lines (automation/aws/needs.py), values written out: which resource the
simulator is asked about for an IAM pattern, and how its answers read, one line a purpose."""

from __future__ import annotations

import copy
import json

from automation.aws.needs import Need, check_simulation, job_role_needs, run_log_groups, sample_of, stack_resources
from automation.outputs import StackOutputs

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


# -- what doctor asks about the job role, written out for the dev stack -----------------------

CATALOG_READ = {
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
}
PARTITION_WRITE = {
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:DeletePartition",
    "glue:BatchDeletePartition",
}
SAMPLE = "ano=2024/mes=1/part-00000.snappy.parquet"


def by_purpose(needs: list[Need]) -> dict[str, tuple[set[str], set[str]]]:
    found: dict[str, tuple[set[str], set[str]]] = {}
    for need in needs:
        actions, resources = found.setdefault(need.purpose, (set(), set()))
        actions.add(need.action)
        resources.add(need.resource)
    return found


def asked_of_the_job_role(outputs: dict) -> dict[str, tuple[set[str], set[str]]]:
    """doctor's job-role needs, by purpose, for a stack with these outputs (one log group)."""
    return by_purpose(job_role_needs(StackOutputs.from_values(outputs, "test"), ["/g/output"]))


def test_the_job_roles_needs_on_the_dev_stack(dev_rendering):
    """The job's reads and writes as the tutorial's layout puts them (silver/, gold/,
    quarantine/, temp/, gold/_reports/, gold/_state/ in the lake bucket; the catalog's silver
    table, gold's and the rejects table), and Glue 5.0's log groups under the prefix the run names."""
    outputs = StackOutputs.from_values(dev_rendering["outputs"], "test")
    lake = f"arn:aws:s3:::{outputs.lake_bucket}"
    job = dev_rendering["outputs"]["stackSettings"]["job"]
    code = [job["scriptLocation"], job["defaultArguments"]["--extra-py-files"]]
    catalog = "arn:aws:glue:us-east-1:123456789012"
    groups, source = run_log_groups({"Id": "jr_7", "LogGroupName": "/aws-glue/jobs-roleX/"}, outputs)
    assert (groups, source) == (["/aws-glue/jobs-roleX/output", "/aws-glue/jobs-roleX/error"], "GetJobRun jr_7")

    def table(database: str, name: str) -> set[str]:
        return {f"{catalog}:catalog", f"{catalog}:database/{database}", f"{catalog}:table/{database}/{name}"}

    assert by_purpose(job_role_needs(outputs, groups, source)) == {
        "read silver": ({"s3:GetObject"}, {f"{lake}/silver/sample_data_partitioned/{SAMPLE}"}),
        "read the job code": ({"s3:GetObject"}, {uri.replace("s3://", "arn:aws:s3:::") for uri in code}),
        "write gold, quarantine, temp and the report": (
            {"s3:PutObject", "s3:DeleteObject"},
            {
                f"{lake}/gold/sample_data_aggregated/{SAMPLE}",
                f"{lake}/quarantine/sample_data_aggregated/{SAMPLE}",
                f"{lake}/temp/spark/part-0",
                f"{lake}/gold/_reports/sample_data_aggregated/run.json",
            },
        ),
        "HEAD the missing state file": (
            {"s3:GetObject", "s3:ListBucket"},
            {f"{lake}/gold/_state/sample_data_aggregated/fingerprints.json", lake},
        ),
        "read the silver table": (CATALOG_READ, table("silver_data_dev", "sample_data_partitioned")),
        "let Spark check the default database": (
            {"glue:GetDatabase", "glue:CreateDatabase"},
            {f"{catalog}:catalog", f"{catalog}:database/default"},
        ),
        "maintain gold's partitions": (CATALOG_READ | PARTITION_WRITE, table("gold_data", "sample_data_aggregated")),
        "maintain the rejects table's partitions": (
            CATALOG_READ | PARTITION_WRITE,
            table("gold_data", "sample_data_aggregated_rejects"),
        ),
        "write its logs (groups from GetJobRun jr_7)": (
            {"logs:CreateLogStream", "logs:PutLogEvents"},
            {
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws-glue/jobs-roleX/output:log-stream:jr_doctor-driver",
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws-glue/jobs-roleX/error:log-stream:jr_doctor-driver",
            },
        ),
        "publish Glue metrics": ({"cloudwatch:PutMetricData"}, {"*"}),
    }
    (metrics,) = [n for n in job_role_needs(outputs, groups, source) if n.action == "cloudwatch:PutMetricData"]
    assert metrics.context == (("cloudwatch:namespace", "Glue"),)


def test_without_a_run_or_its_group_name_the_logs_are_the_stacks_outputs(dev_rendering):
    outputs = StackOutputs.from_values(dev_rendering["outputs"], "test")
    job = "/aws-glue/jobs/job-transform-silver-to-gold"
    stack_groups = [f"{job}/output", f"{job}/error"]
    for run in (None, {"Id": "jr_1"}, {"Id": "jr_1", "LogGroupName": ""}):
        assert run_log_groups(run, outputs) == (stack_groups, "the stack's outputs: no run yet")
    purposes = {n.purpose for n in job_role_needs(outputs, stack_groups)}
    assert "write its logs (groups from the stack's outputs)" in purposes


def test_a_job_with_other_arguments_is_asked_about_where_they_point(dev_rendering):
    """A job changed behind the stack's back (or deployed by an older version): its own temp
    folder, no extra files, no state location. doctor asks about what the job would touch."""
    values = copy.deepcopy(dev_rendering["outputs"])
    job = values["stackSettings"]["job"]
    bucket = values["lakeBucket"]
    del job["defaultArguments"]["--extra-py-files"]
    job["defaultArguments"]["--TempDir"] = f"s3://{bucket}/scratch/tmpX"
    job["defaultArguments"]["--state_location"] = f"s3://{bucket}/stateX"
    needs = asked_of_the_job_role(values)
    assert f"arn:aws:s3:::{bucket}/stateX/fingerprints.json" in needs["HEAD the missing state file"][1]
    del job["defaultArguments"]["--state_location"]
    needs = asked_of_the_job_role(values)
    assert needs["read the job code"][1] == {job["scriptLocation"].replace("s3://", "arn:aws:s3:::")}
    assert f"arn:aws:s3:::{bucket}/scratch/tmpX/spark/part-0" in needs["write gold, quarantine, temp and the report"][1]
    assert needs["HEAD the missing state file"] == ({"s3:ListBucket"}, {f"arn:aws:s3:::{bucket}"})
    del job["defaultArguments"]["--TempDir"]  # and without one: the lake's temp/ folder
    needs = asked_of_the_job_role(values)
    assert f"arn:aws:s3:::{bucket}/temp/spark/part-0" in needs["write gold, quarantine, temp and the report"][1]


def test_a_stack_from_before_the_rejects_table_output_names_it_by_the_gold_table(dev_rendering):
    values = {k: v for k, v in dev_rendering["outputs"].items() if k != "rejectsTable"}
    resources = stack_resources(StackOutputs.from_values(values, "test"))
    assert (resources.rejects.database, resources.rejects.name) == ("gold_data", "sample_data_aggregated_rejects")


def test_a_policy_under_an_iam_path_is_named_by_its_last_segment(dev_rendering):
    """IAM ARNs carry a policy's path before its name (`policy/ops/NAME`, "IAM identifiers",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html)."""
    values = {**dev_rendering["outputs"], "operatorPolicyArn": "arn:aws:iam::123456789012:policy/ops/team-operator"}
    assert stack_resources(StackOutputs.from_values(values, "test")).operator_policy == "team-operator"


def test_a_stack_with_a_key_has_the_job_role_use_it(dev_rendering):
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    values = {**dev_rendering["outputs"], "kmsKeyArn": key}
    needs = asked_of_the_job_role(values)
    assert needs["use the stack's key"] == ({"kms:Decrypt", "kms:GenerateDataKey"}, {key})
