"""What AWS accepts and charges, as the settings, the dashboard and cost reports need it.

Each table comes from AWS's documentation or botocore's service models (tests in tests/infra
compare the enums with botocore's). Nothing here reads configuration.
"""

from __future__ import annotations

from typing import Literal, get_args

# DPUs of one worker of each type ("AWS Glue worker types",
# https://docs.aws.amazon.com/glue/latest/dg/worker-types.html): G.nX is n DPU, R.nX n
# memory-optimized DPU (M-DPU), G.025X a quarter (streaming). Cost reports and the dashboard.
DPUS_PER_WORKER: dict[str, float] = {
    "G.025X": 0.25,
    "G.1X": 1,
    "G.2X": 2,
    "G.4X": 4,
    "G.8X": 8,
    "G.12X": 12,
    "G.16X": 16,
    "R.1X": 1,
    "R.2X": 2,
    "R.4X": 4,
    "R.8X": 8,
    "Z.2X": 2,
}
# The worker types a Spark job may use (a subset of botocore's WorkerType enum: tests/infra).
WorkerType = Literal["G.1X", "G.2X", "G.4X", "G.8X", "G.12X", "G.16X", "R.1X", "R.2X", "R.4X", "R.8X"]
WORKER_TYPES: tuple[WorkerType, ...] = get_args(WorkerType)
# The job targets Spark 3.5 / Python 3.11, which is Glue 5.0.
GlueVersion = Literal["5.0"]
GLUE_VERSIONS: tuple[GlueVersion, ...] = get_args(GlueVersion)
# botocore's Glue ExecutionClass enum (what CreateJob accepts); `glue_execution_classes` reads it.
ExecutionClass = Literal["STANDARD", "FLEX"]
# Flex runs on spare capacity, for Glue 3.0+ Spark jobs on G.1X or G.2X workers only
# ("Flexible execution", https://docs.aws.amazon.com/glue/latest/dg/add-job.html).
FLEX_WORKER_TYPES: tuple[WorkerType, ...] = ("G.1X", "G.2X")
# USD per DPU-hour in us-east-1 by execution class (https://aws.amazon.com/glue/pricing/):
# Spark jobs $0.44; Flex $0.29. Override with pricePerDpuHour for other regions.
PRICE_PER_DPU_HOUR: dict[ExecutionClass, float] = {"STANDARD": 0.44, "FLEX": 0.29}
# Job.Timeout in botocore's Glue model (https://docs.aws.amazon.com/glue/latest/webapi/API_Job.html):
# "Jobs must have timeout values less than 7 days or 10080 minutes"; left blank, "the timeout is
# defaulted to 2,880 minutes for Glue version 4.0 and earlier, or 480 minutes for Glue version
# 5.0 and later".
MAX_TIMEOUT_MINUTES = 10080 - 1
GLUE_5_DEFAULT_TIMEOUT_MINUTES = 480
# The retention days CloudWatch Logs accepts (the `Days` shape of botocore's logs model lists them).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
ATHENA_MIN_CUTOFF_BYTES = 10 * 1024 * 1024  # Athena's minimum per-query data usage control


def glue_execution_classes() -> tuple[str, ...]:
    """The ExecutionClass enum of botocore's Glue model (what CreateJob accepts)."""
    import botocore.session

    enum: list[str] = botocore.session.get_session().get_service_model("glue").shape_for("ExecutionClass").enum
    return tuple(enum)
