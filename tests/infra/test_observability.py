"""Rejected rows and the pipeline's health on the stack: the rejects table, the quarantine's
lifecycle rule, the run metric filters, the alarms, the dashboard and the role's new grant.

Pure builders are checked with values written out; the rendered dev and prod stacks with the
values the issue names.
"""

from __future__ import annotations

import json
import re

import pytest

from etl.metrics import run_metrics_line
from etl.report import RunReport
from infra.alerts import freshness_periods
from infra.dashboard import DashboardSpec, dashboard_body, dashboard_url, dpus, error_lines_query
from infra.metrics import run_metric_pattern
from infra.schedule import schedule_period_seconds
from infra.settings import SettingsError, settings_from_config
from tests.iam_policy import allows
from tests.infra.policy_checks import allows_in_context

ACCOUNT = "123456789012"
DEV_OUTPUT_GROUP = "/aws-glue/jobs/job-transform-silver-to-gold/output"
PROD_OUTPUT_GROUP = "/aws-glue/jobs/job-transform-silver-to-gold-prod/output"
METRIC_NAMES = [
    "RowsRead",
    "RowsRejected",
    "RowsWritten",
    "RejectRatio",
    "PartitionsWritten",
    "PartitionsDropped",
    "JobSeconds",
    "RunsSucceeded",
    "RunsFailed",
]


# -- pure builders ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression, seconds",
    [
        ("cron(0 4 * * ? *)", 86_400),
        ("cron(0 8,20 * * ? *)", 43_200),
        ("cron(0/15 * * * ? *)", 900),
        ("cron(0 */6 * * ? *)", 21_600),
        ("cron(0 4 ? * MON-FRI *)", 3 * 86_400),  # Friday 04:00 to Monday 04:00
        ("cron(0 4 ? * SUN *)", 7 * 86_400),
        ("cron(0 4 1 * ? *)", 31 * 86_400),
        ("cron(0 10 ? * 6#3 *)", 35 * 86_400),  # third Friday: 4 or 5 weeks apart
        ("cron(0 4 29 2 ? *)", 1461 * 86_400),  # Feb 29 2028 to Feb 29 2032
        ("cron(0 4 * * ? 2020)", None),  # fired only in the past
    ],
)
def test_schedule_period_is_the_longest_gap_between_firings(expression, seconds):
    assert schedule_period_seconds(expression) == seconds


def test_schedule_period_refuses_what_glue_refuses():
    with pytest.raises(ValueError, match="exactly one of Day-of-month and Day-of-week must be '\\?'"):
        schedule_period_seconds("cron(0 4 * * * *)")


def test_freshness_waits_a_period_plus_the_timeout_plus_half_an_hour_in_whole_hours():
    assert freshness_periods("cron(0 4 * * ? *)", 120) == 27  # 24 h + 2 h + 30 min -> 27 h
    assert freshness_periods("cron(0 4 * * ? *)", 60) == 26  # 25.5 h -> 26 h
    # 24 h + 59 min + 30 min = 25 h 29 min -> 26 h: the margin is 30 minutes, not 30 seconds
    # (24 h 59 min 30 s would round up to 25 h, and the alarm would fire an hour early).
    assert freshness_periods("cron(0 4 * * ? *)", 59) == 26
    assert freshness_periods("cron(0 * * * ? *)", 59) == 3  # 1 h + 59 min + 30 min = 2 h 29 min
    assert freshness_periods("cron(0/15 * * * ? *)", 10) == 1  # 15 + 10 + 30 min -> 1 h
    assert freshness_periods("cron(0 4 ? * MON-FRI *)", 60) == 74
    # A week plus a margin is longer than an alarm may look back (7 days): no alarm.
    assert freshness_periods("cron(0 4 ? * SUN *)", 60) is None
    assert freshness_periods("", 60) is None


def test_a_metric_filter_pattern_matches_the_line_the_job_prints():
    from etl.metrics import METRICS_BY_NAME

    pattern = run_metric_pattern("prod", "job-x", METRICS_BY_NAME["RejectRatio"])
    assert pattern == (
        '{ ($.event = "silver-to-gold.run") && ($.stack = "prod") && ($.job = "job-x") && ($.reject_ratio = *) }'
    )
    # Each condition of the pattern holds on the job's line (read independently of infra).
    report = RunReport(run_id="jr_1", mode="full", status="failed", rows_read=4, rows_rejected=1)
    line = json.loads(run_metrics_line(report, "prod", "job-x"))
    conditions = re.findall(r"\(\$\.(\w+) = (\*|\"[^\"]*\")\)", pattern)
    assert [field for field, _ in conditions] == ["event", "stack", "job", "reject_ratio"]
    for field, expected in conditions:
        assert field in line
        if expected != "*":
            assert line[field] == json.loads(expected)
    assert line["reject_ratio"] == 0.25


SPEC = DashboardSpec(
    region="eu-west-1",
    stack="qa",
    job_name="job-qa",
    error_log_group="/aws-glue/jobs/job-qa/error",
    failure_rule_name="silver-to-gold-qa-failures",
    dpus=20,
    reject_ratio_warning=0.025,
    max_reject_ratio=0.05,
)


def _widget(x, y, title, stat, metrics, **extra):
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "region": "eu-west-1",
            "view": "timeSeries",
            "stacked": False,
            "period": 3600,
            "stat": stat,
            "metrics": metrics,
            **extra,
        },
    }


def test_dashboard_body_written_out():
    dims = ["Stack", "qa", "Job", "job-qa"]
    assert dashboard_body(SPEC) == {
        "widgets": [
            _widget(
                0,
                0,
                "Runs",
                "Sum",
                [
                    ["SilverToGold", "RunsSucceeded", *dims, {"label": "succeeded", "color": "#2ca02c"}],
                    [
                        "SilverToGold",
                        "RunsFailed",
                        *dims,
                        {"label": "failed (the job's own report)", "color": "#d62728"},
                    ],
                    [
                        "AWS/Events",
                        "TriggeredRules",
                        "RuleName",
                        "silver-to-gold-qa-failures",
                        {"label": "failed, timed out or errored (EventBridge rule)", "color": "#ff7f0e"},
                    ],
                ],
            ),
            _widget(
                12,
                0,
                "Duration (seconds)",
                "Maximum",
                [["SilverToGold", "JobSeconds", *dims, {"label": "job seconds"}]],
            ),
            _widget(
                0,
                6,
                "Rows",
                "Sum",
                [
                    ["SilverToGold", "RowsRead", *dims, {"label": "read"}],
                    ["SilverToGold", "RowsRejected", *dims, {"label": "rejected"}],
                    ["SilverToGold", "RowsWritten", *dims, {"label": "written to gold"}],
                ],
            ),
            _widget(
                12,
                6,
                "Reject ratio",
                "Maximum",
                [["SilverToGold", "RejectRatio", *dims, {"label": "rejected / read"}]],
                annotations={
                    "horizontal": [
                        {"label": "warning (rejectRatioWarning)", "value": 0.025},
                        {"label": "gate (maxRejectRatio)", "value": 0.05},
                    ]
                },
                yAxis={"left": {"min": 0}},
            ),
            _widget(
                0,
                12,
                "DPU-seconds",
                "Sum",
                [
                    [
                        {
                            "expression": "m1 * 20",
                            "label": "job seconds x 20 DPU (estimate; GetJobRun has the billed figure)",
                            "id": "e1",
                        }
                    ],
                    ["SilverToGold", "JobSeconds", *dims, {"id": "m1", "visible": False}],
                ],
            ),
            _widget(
                12,
                12,
                "Gold partitions",
                "Sum",
                [
                    ["SilverToGold", "PartitionsWritten", *dims, {"label": "written"}],
                    ["SilverToGold", "PartitionsDropped", *dims, {"label": "dropped"}],
                ],
            ),
            {
                "type": "log",
                "x": 0,
                "y": 18,
                "width": 24,
                "height": 6,
                "properties": {
                    "title": "Last 20 ERROR lines of /aws-glue/jobs/job-qa/error",
                    "region": "eu-west-1",
                    "view": "table",
                    "query": "SOURCE '/aws-glue/jobs/job-qa/error' | fields @timestamp, @logStream, @message "
                    "| filter @message like /ERROR/ | sort @timestamp desc | limit 20",
                },
            },
        ]
    }


def test_dashboard_helpers():
    assert error_lines_query("/g", 5) == (
        "SOURCE '/g' | fields @timestamp, @logStream, @message | filter @message like /ERROR/ "
        "| sort @timestamp desc | limit 5"
    )
    assert dashboard_url("eu-west-1", "silver-to-gold-qa") == (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/silver-to-gold-qa"
    )
    assert (dpus("G.1X", 2), dpus("G.2X", 10), dpus("R.4X", 3)) == (2, 20, 12)


@pytest.mark.parametrize(
    "config, message",
    [
        (
            {"quarantineRetentionDays": "1"},
            "silver-to-gold:quarantineRetentionDays = 1 is not allowed: at least 2 days",
        ),
        (
            {"rejectRatioWarning": "0.06"},
            "silver-to-gold:rejectRatioWarning = 0.06 is not allowed: between 0 and maxRejectRatio (0.05)",
        ),
        ({"rejectRatioWarning": "-0.1"}, "rejectRatioWarning = -0.1 is not allowed"),
        ({"quarantineRetentionDays": "a month"}, "quarantineRetentionDays = 'a month' is not a valid int"),
    ],
)
def test_bad_observability_settings_are_named(config, message):
    with pytest.raises(SettingsError) as error:
        settings_from_config("dev", config)
    assert message in str(error.value)


def test_observability_settings_defaults():
    s = settings_from_config("dev", {})
    assert (s.quarantine_retention_days, s.reject_ratio_warning) == (30, 0.025)
    s = settings_from_config("dev", {"maxRejectRatio": "0.2", "quarantineRetentionDays": "7"})
    assert (s.quarantine_retention_days, s.reject_ratio_warning) == (7, 0.1)
    assert settings_from_config("dev", {"rejectRatioWarning": "0.01"}).reject_ratio_warning == 0.01


# -- the rendered stacks ----------------------------------------------------------------------


def _gold_database(stack) -> str:
    return "gold_data" if stack.one("aws:iam/role:Role")["name"] == "silver-to-gold-dev-glue" else "gold_data_prod"


def test_the_rejects_table_from_the_schema_module(stack):
    (table,) = [
        t for t in stack.of_type("aws:glue/catalogTable:CatalogTable") if t["name"] == "sample_data_aggregated_rejects"
    ]
    descriptor = table["storageDescriptor"]
    assert table["databaseName"] == _gold_database(stack)
    assert table["tableType"] == "EXTERNAL_TABLE"
    assert [(c["name"], c["type"]) for c in descriptor["columns"]] == [
        ("id", "bigint"),
        ("silver_file", "string"),
        ("silver_row", "bigint"),
        ("idade", "int"),
        ("ativo", "boolean"),
        ("salario", "double"),
        ("ano", "int"),
        ("mes", "int"),
        ("reject_reasons", "array<string>"),
    ]
    assert [(c["name"], c["type"]) for c in table["partitionKeys"]] == [("run_id", "string")]
    assert descriptor["location"].endswith("/quarantine/sample_data_aggregated/")
    assert descriptor["location"] == stack.outputs["quarantineUri"]
    assert descriptor["serDeInfo"]["serializationLibrary"] == (
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    )
    assert stack.outputs["rejectsTable"] == "sample_data_aggregated_rejects"


def test_the_quarantine_expires_after_the_configured_days(dev, prod):
    for stack, days in ((dev, 30), (prod, 90)):
        lake = stack.named("silver-to-gold-lake-lifecycle")
        (rule,) = [r for r in lake["rules"] if r["id"] == "expire-quarantine"]
        assert rule == {
            "id": "expire-quarantine",
            "status": "Enabled",
            "filter": {"prefix": "quarantine/"},
            "expiration": {"days": days},
            "noncurrentVersionExpiration": {"noncurrentDays": 1},
        }
        arguments = stack.one("aws:glue/job:Job")["defaultArguments"]
        assert arguments["--quarantine_retention_days"] == str(days)


def test_with_an_existing_bucket_the_job_still_applies_the_retention(render_config):
    rendered = render_config("qa", {"lakeBucket": "existing-lake", "quarantineRetentionDays": "14"})
    assert rendered.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration") == []
    assert rendered.one("aws:glue/job:Job")["defaultArguments"]["--quarantine_retention_days"] == "14"


def test_one_metric_filter_per_figure_on_the_jobs_output_group(dev, prod):
    for stack, name, job, group in (
        (dev, "dev", "job-transform-silver-to-gold", DEV_OUTPUT_GROUP),
        (prod, "prod", "job-transform-silver-to-gold-prod", PROD_OUTPUT_GROUP),
    ):
        filters = stack.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
        assert sorted(f["metricTransformation"]["name"] for f in filters) == sorted(METRIC_NAMES)
        assert {f["logGroupName"] for f in filters} == {group}
        assert stack.one("aws:glue/job:Job")["defaultArguments"]["--stack"] == name
        by_name = {f["metricTransformation"]["name"]: f for f in filters}
        assert by_name["RowsRejected"] == {
            "name": f"silver-to-gold-{name}-RowsRejected",
            "logGroupName": group,
            "pattern": f'{{ ($.event = "silver-to-gold.run") && ($.stack = "{name}") && ($.job = "{job}") '
            "&& ($.rows_rejected = *) }",
            "metricTransformation": {
                "name": "RowsRejected",
                "namespace": "SilverToGold",
                "value": "$.rows_rejected",
                "unit": "Count",
                "dimensions": {"Stack": "$.stack", "Job": "$.job"},
            },
        }
        assert by_name["JobSeconds"]["metricTransformation"]["unit"] == "Seconds"


def test_reject_ratio_alarm_in_both_stacks_freshness_only_where_scheduled(dev, prod):
    (dev_alarm,) = dev.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert dev_alarm["name"] == "silver-to-gold-dev-reject-ratio"
    prod_alarms = {a["name"]: a for a in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert sorted(prod_alarms) == ["silver-to-gold-prod-freshness", "silver-to-gold-prod-reject-ratio"]
    ratio = prod_alarms["silver-to-gold-prod-reject-ratio"]
    assert {k: ratio[k] for k in ratio if k != "alarmDescription"} == {
        "name": "silver-to-gold-prod-reject-ratio",
        "namespace": "SilverToGold",
        "metricName": "RejectRatio",
        "dimensions": {"Stack": "prod", "Job": "job-transform-silver-to-gold-prod"},
        "statistic": "Maximum",
        "period": 3600,
        "evaluationPeriods": 1,
        "threshold": 0.025,  # half of maxRejectRatio 0.05
        "comparisonOperator": "GreaterThanThreshold",
        "treatMissingData": "notBreaching",
        "actionsEnabled": True,
        "alarmActions": [f"arn:aws:sns:us-east-1:{ACCOUNT}:silver-to-gold-prod-alerts"],
    }
    fresh = prod_alarms["silver-to-gold-prod-freshness"]
    assert {k: fresh[k] for k in fresh if k != "alarmDescription"} == {
        "name": "silver-to-gold-prod-freshness",
        "metricQueries": [
            {
                "id": "succeeded",
                "metric": {
                    "namespace": "SilverToGold",
                    "metricName": "RunsSucceeded",
                    "dimensions": {"Stack": "prod", "Job": "job-transform-silver-to-gold-prod"},
                    "stat": "Sum",
                    "period": 3600,
                },
                "returnData": False,
            },
            {
                # 1795512600 = 2026-11-24T09:30:00Z, the role's CreateDate in the synth mocks
                "id": "fresh",
                "expression": "succeeded + (EPOCH(succeeded) < 1795512600)",
                "label": "successful runs (hours before the deploy count as 1)",
                "returnData": True,
            },
        ],
        "evaluationPeriods": 27,  # daily at 04:00, 120-minute timeout: 24 h + 2 h + 30 min
        "datapointsToAlarm": 27,
        "threshold": 1,
        "comparisonOperator": "LessThanThreshold",
        "treatMissingData": "breaching",
        "actionsEnabled": True,
        "alarmActions": [f"arn:aws:sns:us-east-1:{ACCOUNT}:silver-to-gold-prod-alerts"],
    }
    # How it behaves on the first days: tests/infra/test_freshness_alarm.py.
    # The failure rule is kept.
    assert prod.one("aws:cloudwatch/eventRule:EventRule")["name"] == "silver-to-gold-prod-failures"


def test_the_topic_lets_exactly_the_stacks_alarms_publish(dev, prod):
    for stack, alarms in (
        (dev, ["silver-to-gold-dev-reject-ratio"]),
        (prod, ["silver-to-gold-prod-reject-ratio", "silver-to-gold-prod-freshness"]),
    ):
        policy = json.loads(stack.one("aws:sns/topicPolicy:TopicPolicy")["policy"])
        (alarm_statement,) = [s for s in policy["Statement"] if s["Sid"] == "CloudWatchAlarmsPublish"]
        assert alarm_statement["Condition"]["ArnLike"]["aws:SourceArn"] == [
            f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{name}" for name in alarms
        ]


def test_the_dashboard_and_its_url(dev, prod):
    for stack, name, group, dpu in (
        (dev, "silver-to-gold-dev", "/aws-glue/jobs/job-transform-silver-to-gold/error", "2"),
        (prod, "silver-to-gold-prod", PROD_OUTPUT_GROUP.replace("/output", "/error"), "20"),
    ):
        dashboard = stack.one("aws:cloudwatch/dashboard:Dashboard")
        assert dashboard["dashboardName"] == name
        assert stack.outputs["dashboardName"] == name
        assert stack.outputs["dashboardUrl"] == (
            f"https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/{name}"
        )
        widgets = json.loads(dashboard["dashboardBody"])["widgets"]
        assert [w["properties"]["title"] for w in widgets] == [
            "Runs",
            "Duration (seconds)",
            "Rows",
            "Reject ratio",
            "DPU-seconds",
            "Gold partitions",
            f"Last 20 ERROR lines of {group}",
        ]
        assert widgets[4]["properties"]["metrics"][0][0]["expression"] == f"m1 * {dpu}"  # 2 x G.1X; 10 x G.2X


def test_the_role_gains_the_rejects_tables_partitions_and_no_metric_grant(dev, prod):
    for stack in (dev, prod):
        policy = json.loads(stack.one("aws:iam/rolePolicy:RolePolicy")["policy"])
        rejects = f"arn:aws:glue:us-east-1:{ACCOUNT}:table/{_gold_database(stack)}/sample_data_aggregated_rejects"
        for action in ("glue:GetPartitions", "glue:BatchCreatePartition", "glue:BatchDeletePartition"):
            assert allows(policy, action, rejects), action
        for action in ("glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable"):
            assert not allows(policy, action, rejects), action
        # The figures reach CloudWatch through the log group's metric filters: the role's only
        # metric grant is still Glue's own namespace.
        assert allows_in_context(policy, "cloudwatch:PutMetricData", "*", [("cloudwatch:namespace", "Glue")])
        for namespace in ("SilverToGold", "AWS/Glue"):
            context = [("cloudwatch:namespace", namespace)]
            assert not allows_in_context(policy, "cloudwatch:PutMetricData", "*", context), namespace


def test_a_weekly_schedule_gets_no_freshness_alarm_and_the_topic_names_only_the_alarm_there_is(render_config):
    rendered = render_config("qa", {"schedule": "cron(0 4 ? * SUN *)"})
    assert [a["name"] for a in rendered.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")] == [
        "silver-to-gold-qa-reject-ratio"
    ]
    policy = json.loads(rendered.one("aws:sns/topicPolicy:TopicPolicy")["policy"])
    (alarm_statement,) = [s for s in policy["Statement"] if s["Sid"] == "CloudWatchAlarmsPublish"]
    assert alarm_statement["Condition"]["ArnLike"]["aws:SourceArn"] == [
        f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:silver-to-gold-qa-reject-ratio"
    ]
    weekday = render_config("qa", {"schedule": "cron(0 4 ? * MON-FRI *)", "timeoutMinutes": "60"})
    (fresh,) = [
        a for a in weekday.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if a["name"].endswith("-freshness")
    ]
    assert (fresh["evaluationPeriods"], fresh["datapointsToAlarm"]) == (74, 74)  # 72 h + 1 h + 30 min
