"""`python -m benchmarks.experiments`: the scan variants behind the job's design, warm.

One JVM, the cached silver dataset of `--rows` registered in a fresh catalog; each variant
is planned and run to Spark's `noop` sink (no write cost), first once to warm the JVM, then
`--reps` times in turn; the median is printed. These are the numbers docs/benchmarks.md
uses to explain the full-refresh ratio: what reading every column costs next to the
tutorial's three, and what carrying rejected rows through the aggregate adds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
from pathlib import Path
from time import perf_counter

from benchmarks.cases import _our_backend, _spark, local_uri
from benchmarks.harness import PROJECT_ROOT, dataset


def variants(spark, data: Path) -> dict:
    from pyspark.sql import functions as F

    from etl.quality import is_valid
    from etl.schema import GROUP_KEYS
    from etl.transform import quarantined_rows, summarize

    silver = spark.table("silver_data.sample_data_partitioned")
    files = spark.read.parquet(local_uri(data / "silver"))

    def carried():
        """The design not taken: every rejected row rides through the aggregate as a struct
        group key (null for valid rows), so one pass yields gold sums and the quarantine."""
        valid = is_valid()
        keyed = silver.select(
            *[F.when(valid, F.col(k)).alias(k) for k in GROUP_KEYS],
            F.when(valid, F.col("salario")).alias("salario"),
            F.when(~valid, F.struct(*[F.col(c) for c in silver.columns])).alias("_rejected"),
        )
        return keyed.groupBy(*GROUP_KEYS, "_rejected").agg(F.count(F.lit(1)), F.count("salario"), F.sum("salario"))

    # Hashing every column of every row: the least work that still reads each value.
    everything = F.hash(*[F.col(name) for name in silver.columns]) == 0
    return {
        "tutorial: avg by key, 3 columns read": lambda: files.groupBy(*GROUP_KEYS).agg({"salario": "avg"}),
        "read every column, hash each row (floor for whole-row quarantine)": lambda: silver.where(everything),
        "job pass 1: rules + counts + aggregate (summarize)": lambda: summarize(silver, partitions=2),
        "job pass 2: rejected rows, filtered scan (quarantined_rows)": lambda: quarantined_rows(silver),
        "not taken: one pass carrying rejected rows as a group key": carried,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.experiments")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=PROJECT_ROOT / ".bench")
    args = parser.parse_args(argv)
    data = dataset(args.cache, args.rows)
    work = args.cache / "work" / "experiments"
    shutil.rmtree(work, ignore_errors=True)
    spark = _spark(work)
    backend = _our_backend(spark, work)
    backend.provision_catalog()
    backend._register_silver(local_uri(data / "silver"))
    timings: dict[str, list[float]] = {}
    cases = variants(spark, data)
    for rep in range(args.reps + 1):
        for name, build in cases.items():
            started = perf_counter()
            build().write.format("noop").mode("overwrite").save()
            if rep:  # rep 0 warms the JVM up
                timings.setdefault(name, []).append(perf_counter() - started)
    spark.stop()
    medians = {name: round(statistics.median(values), 3) for name, values in timings.items()}
    print(json.dumps({"rows": args.rows, "reps": args.reps, "median_seconds": medians}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
