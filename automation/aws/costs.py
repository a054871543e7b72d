"""What a Glue job run and an Athena query cost, from the numbers AWS reports.

Pure arithmetic: no AWS calls, no I/O. The price per DPU-hour comes from the stack's
`pricePerDpuHour` output (it depends on the region and the execution class), so nothing
here guesses a region's price.

Glue (https://aws.amazon.com/glue/pricing/): Spark jobs on Glue 2.0 and later are billed
per second with a 1-minute minimum, at the DPU-hour price, for the DPUs the run had. A
run that never ran (ExecutionTime 0: it failed or was stopped before it started) is
charged nothing here, not the minimum. For FLEX and auto-scaled runs GetJobRun reports
`DPUSeconds`, "the total time each executor ran during the lifecycle of a job run in
seconds, multiplied by a DPU factor", which can be less than workers x time (JobRun in
botocore's Glue model, https://docs.aws.amazon.com/glue/latest/webapi/API_JobRun.html):
when present it is the DPU-seconds billed, as Glue reports it. A retried run is one
JobRun per attempt (`Attempt`, `PreviousRunId`), each billed: `total_glue_cost` sums them.
A worker's DPUs come from its type ("AWS Glue worker types",
https://docs.aws.amazon.com/glue/latest/dg/worker-types.html): G.1X = 1 DPU, G.2X = 2,
G.4X = 4, G.8X = 8, G.12X = 12, G.16X = 16, G.025X = 0.25 (streaming); the memory-optimized
R.1X..R.8X have 1, 2, 4, 8 M-DPUs.

Athena (https://aws.amazon.com/athena/pricing/): $5 per TB scanned, rounded up to the
nearest megabyte, with a 10 MB minimum per query; DDL statements (CREATE/ALTER/DROP
TABLE), partition statements (MSCK REPAIR TABLE, ALTER TABLE ADD PARTITION) and failed
queries are free; cancelled queries are billed for what they scanned.
Sizes are binary (1 MB = 2**20 bytes, 1 TB = 2**40 bytes).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from infra.settings import DPUS_PER_WORKER

GLUE_MINIMUM_BILLED_SECONDS = 60

MB = 2**20
TB = 2**40
ATHENA_USD_PER_TB = 5.0
ATHENA_MINIMUM_BILLED_BYTES = 10 * MB
# Athena's StatementType for statements that are never billed.
ATHENA_FREE_STATEMENT_TYPES = ("DDL",)


class UnknownWorkerType(ValueError):
    """A worker type whose DPUs this module does not know."""


@dataclass(frozen=True)
class GlueRunCost:
    """The bill of one Glue run: DPUs × billed seconds at the DPU-hour price."""

    worker_type: str
    workers: int
    dpus: float
    execution_seconds: int
    billed_seconds: int
    dpu_seconds: float
    price_per_dpu_hour: float
    usd: float
    from_dpu_seconds: bool = False  # Glue's own DPUSeconds, not workers x time
    attempts: int = 1

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AthenaQueryCost:
    """The bill of one Athena query: billed bytes at $5 per TB."""

    scanned_bytes: int
    billed_bytes: int
    usd: float

    def to_dict(self) -> dict:
        return asdict(self)


def dpus_for(worker_type: str, workers: int) -> float:
    """DPUs a run has: DPUs per worker of `worker_type` × `workers`.

    Raises:
        UnknownWorkerType: naming the type and the known ones.
    """
    if worker_type not in DPUS_PER_WORKER:
        known = ", ".join(DPUS_PER_WORKER)
        raise UnknownWorkerType(f"unknown Glue worker type {worker_type!r} (known: {known})")
    if workers < 1:
        raise ValueError(f"a run has at least 1 worker, got {workers}")
    return DPUS_PER_WORKER[worker_type] * workers


def glue_billed_seconds(execution_seconds: float) -> int:
    """Seconds Glue bills: whole seconds, rounded up, at least one minute; 0 for a run that
    never ran (no execution time)."""
    if execution_seconds < 0:
        raise ValueError(f"execution time cannot be negative, got {execution_seconds}")
    if execution_seconds == 0:
        return 0
    return max(GLUE_MINIMUM_BILLED_SECONDS, math.ceil(execution_seconds))


def glue_run_cost(
    worker_type: str,
    workers: int,
    execution_seconds: float,
    price_per_dpu_hour: float,
    dpu_seconds: float | None = None,
) -> GlueRunCost:
    """What a Glue Spark run costs.

    Args:
        worker_type: the run's worker type (`G.1X`, `G.2X`, ...).
        workers: the run's number of workers.
        execution_seconds: Glue's `ExecutionTime` of the run, in seconds.
        price_per_dpu_hour: USD per DPU-hour (the stack's `pricePerDpuHour`).
        dpu_seconds: Glue's `DPUSeconds` of the run, when GetJobRun reports it (FLEX and
            auto-scaled runs): used instead of DPUs x billed seconds.
    """
    dpus = dpus_for(worker_type, workers)
    billed = glue_billed_seconds(execution_seconds)
    measured = dpu_seconds is not None
    if dpu_seconds is not None and dpu_seconds < 0:
        raise ValueError(f"DPU-seconds cannot be negative, got {dpu_seconds}")
    used = float(dpu_seconds) if dpu_seconds is not None else dpus * billed
    return GlueRunCost(
        worker_type=worker_type,
        workers=workers,
        dpus=dpus,
        execution_seconds=int(math.ceil(execution_seconds)),
        billed_seconds=billed,
        dpu_seconds=used,
        price_per_dpu_hour=price_per_dpu_hour,
        usd=round(used / 3600 * price_per_dpu_hour, 6),
        from_dpu_seconds=measured,
    )


def total_glue_cost(costs: list[GlueRunCost]) -> GlueRunCost:
    """The cost of a run and its retries: seconds, DPU-seconds and USD summed; the worker
    type and count are the last attempt's."""
    if not costs:
        raise ValueError("no attempts to add up")
    last = costs[-1]
    used = sum(c.dpu_seconds for c in costs)
    return GlueRunCost(
        worker_type=last.worker_type,
        workers=last.workers,
        dpus=last.dpus,
        execution_seconds=sum(c.execution_seconds for c in costs),
        billed_seconds=sum(c.billed_seconds for c in costs),
        dpu_seconds=used,
        price_per_dpu_hour=last.price_per_dpu_hour,
        usd=round(used / 3600 * last.price_per_dpu_hour, 6),
        from_dpu_seconds=any(c.from_dpu_seconds for c in costs),
        attempts=sum(c.attempts for c in costs),
    )


def athena_billed_bytes(scanned_bytes: int, statement_type: str = "DML", state: str = "SUCCEEDED") -> int:
    """Bytes Athena bills: whole megabytes rounded up, 10 MB minimum; 0 for DDL or a failed query.

    A CANCELLED query is billed: the workgroup's per-query scan cutoff cancels a query that
    passes it, and "canceled queries are charged" ("Configure per-query and per-workgroup
    data usage controls",
    https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html).
    """
    if scanned_bytes < 0:
        raise ValueError(f"scanned bytes cannot be negative, got {scanned_bytes}")
    if statement_type in ATHENA_FREE_STATEMENT_TYPES or state == "FAILED":
        return 0
    return max(ATHENA_MINIMUM_BILLED_BYTES, math.ceil(scanned_bytes / MB) * MB)


def athena_query_cost(scanned_bytes: int, statement_type: str = "DML", state: str = "SUCCEEDED") -> AthenaQueryCost:
    """What an Athena query costs, from its `DataScannedInBytes`, `StatementType` and state."""
    billed = athena_billed_bytes(scanned_bytes, statement_type, state)
    return AthenaQueryCost(
        scanned_bytes=scanned_bytes,
        billed_bytes=billed,
        usd=round(billed / TB * ATHENA_USD_PER_TB, 8),
    )


def format_bytes(size: int) -> str:
    """`10485760` -> `10.0 MB` (binary units, as Athena bills)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover
