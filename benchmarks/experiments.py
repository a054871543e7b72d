"""`python -m benchmarks.experiments`: the scan variants behind the job's design, warm.

One JVM, the cached silver dataset of `--rows` registered in a fresh catalog; each variant
is planned and run to Spark's `noop` sink (no write cost), first once to warm the JVM, then
`--reps` times in turn; the median (and the fastest run, the least disturbed by other work
on the machine) is printed. These are the numbers docs/benchmarks.md uses to choose the
plan: what the job's two passes cost next to the tutorial's one, what the one-pass
designs that carry rejected rows through the aggregate cost instead, and what reading
`id` and the row position costs on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from time import perf_counter

from benchmarks.cases import _our_backend, _spark, local_uri
from benchmarks.harness import PROJECT_ROOT, dataset


def variants(spark, data: Path) -> dict:
    from pyspark.sql import functions as F

    from etl.quality import is_valid
    from etl.schema import GROUP_KEYS
    from etl.silver import with_origin
    from etl.transform import quarantined_rows, summarize, summarize_with_rejects

    silver = spark.table("silver_data.sample_data_partitioned")
    files = spark.read.parquet(local_uri(data / "silver"))
    origin = with_origin(silver, "silver")

    def flagged():
        return origin.select("id", *GROUP_KEYS, "salario", "silver_file", "silver_row", is_valid().alias("_valid"))

    def identity_packed():
        """One pass with four numeric keys: valid rows (idade, ativo, ano, mes); rejected rows
        (-1 - row, hash of the file, ano, mes) and their values in max() buffers. The file
        would have to be found again from its hash."""
        valid = F.col("_valid")
        keyed = flagged().select(
            F.when(valid, F.col("idade").cast("long")).otherwise(-1 - F.col("silver_row")).alias("k1"),
            F.when(valid, F.col("ativo").cast("long")).otherwise(F.xxhash64("silver_file")).alias("k2"),
            "ano",
            "mes",
            "salario",
            F.when(~valid, F.col("id")).alias("id"),
            F.when(~valid, F.col("idade")).alias("idade"),
            F.when(~valid, F.col("ativo").cast("int")).alias("ativo"),
        )
        buffers = [F.count(F.lit(1)), F.sum("salario"), F.max("id"), F.max("idade"), F.max("ativo")]
        return keyed.groupBy("k1", "k2", "ano", "mes").agg(*buffers).repartition(2, "ano", "mes")

    def identity_nullable():
        """The chosen plan as first built: the identity columns null for valid rows."""
        rejected = ~F.col("_valid")
        keyed = flagged().select(
            *GROUP_KEYS,
            *[F.when(rejected, F.col(c)).alias(c) for c in ("silver_file", "silver_row", "id")],
            F.col("salario").cast("double").alias("salario"),
        )
        summary = keyed.groupBy(*GROUP_KEYS, "silver_file", "silver_row", "id")
        return summary.agg(F.count(F.lit(1)), F.sum("salario")).repartition(2, "ano", "mes")

    def pass_1():
        return summarize(silver, partitions=2)

    def lean_pass_2():
        return quarantined_rows(origin, "lean")

    def tutorial_plus(*columns):
        """The tutorial's aggregate over the catalog table, also reading `columns` of every row."""
        return lambda: origin.groupBy(*GROUP_KEYS).agg(F.avg("salario"), *[F.max(c) for c in columns])

    return {
        "tutorial: avg by key, 3 columns read": [lambda: files.groupBy(*GROUP_KEYS).agg({"salario": "avg"})],
        "  tutorial's aggregate + max(id): what reading id costs": [tutorial_plus("id")],
        "  tutorial's aggregate + max(silver_row): what the position costs": [tutorial_plus("silver_row")],
        "  tutorial's aggregate + both": [tutorial_plus("id", "silver_row")],
        "chosen: one pass, rejected rows as groups of their own (summarize_with_rejects)": [
            lambda: summarize_with_rejects(origin, partitions=2)
        ],
        "not taken: one pass, identity packed in numeric keys": [identity_packed],
        "before: one pass, identity null for valid rows": [identity_nullable],
        "not taken: two passes, pass 1 (summarize) then lean pass 2": [pass_1, lean_pass_2],
        "  pass 1 alone: rules + counts + aggregate (summarize)": [pass_1],
        "  pass 2 alone: lean quarantine, filtered scan": [lean_pass_2],
        "--quarantine_columns all, pass 2 alone: whole rows": [lambda: quarantined_rows(origin, "all")],
    }


# What `--cold` runs, each in a fresh process: the designs, not their parts.
COLD_VARIANTS = (
    "tutorial: avg by key, 3 columns read",
    "chosen: one pass, rejected rows as groups of their own (summarize_with_rejects)",
    "not taken: one pass, identity packed in numeric keys",
    "before: one pass, identity null for valid rows",
    "not taken: two passes, pass 1 (summarize) then lean pass 2",
)


def _session(cache: Path, rows: int, name: str):
    data = dataset(cache, rows)
    work = cache / "work" / "experiments" / name
    shutil.rmtree(work, ignore_errors=True)
    spark = _spark(work)
    backend = _our_backend(spark, work)
    backend.provision_catalog()
    backend.register_silver(local_uri(data / "silver"))
    return spark, data


def _run(queries) -> float:
    """Seconds to run every query of a variant in turn, each to the `noop` sink."""
    started = perf_counter()
    for build in queries:
        build().write.format("noop").mode("overwrite").save()
    return perf_counter() - started


def warm(rows: int, reps: int, cache: Path) -> dict[str, list[float]]:
    """Every variant in one JVM: a warm-up round, then `reps` rounds."""
    spark, data = _session(cache, rows, "warm")
    timings: dict[str, list[float]] = {}
    cases = variants(spark, data)
    for rep in range(reps + 1):
        for name, queries in cases.items():
            seconds = _run(queries)
            if rep:  # rep 0 warms the JVM up
                timings.setdefault(name, []).append(seconds)
    spark.stop()
    return timings


def cold(rows: int, reps: int, cache: Path) -> dict[str, list[float]]:
    """Each design of COLD_VARIANTS in a fresh process (cold JVM, as a job runs), in rounds."""
    timings: dict[str, list[float]] = {}
    for _ in range(reps):
        for index, name in enumerate(COLD_VARIANTS):
            result = subprocess.run(
                [sys.executable, "-m", "benchmarks.experiments", "--rows", str(rows), "--cache", str(cache)]
                + ["--child", str(index)],
                capture_output=True,
                text=True,
                cwd=PROJECT_ROOT,
                env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
            )
            if result.returncode != 0:
                raise RuntimeError(f"experiment {name!r} failed: {result.stderr.strip().splitlines()[-1:]}")
            timings.setdefault(name, []).append(float(result.stdout.strip().splitlines()[-1]))
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.experiments")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="each design in a fresh process, first run only")
    parser.add_argument("--cache", type=Path, default=PROJECT_ROOT / ".bench")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)  # one cold run, by COLD_VARIANTS index
    args = parser.parse_args(argv)
    if args.child is not None:
        name = COLD_VARIANTS[args.child]
        spark, data = _session(args.cache, args.rows, f"cold-{args.child}")
        print(_run(variants(spark, data)[name]))
        spark.stop()
        return 0
    timings = (cold if args.cold else warm)(args.rows, args.reps, args.cache)
    medians = {name: round(statistics.median(values), 3) for name, values in timings.items()}
    fastest = {name: round(min(values), 3) for name, values in timings.items()}
    document = {
        "rows": args.rows,
        "reps": args.reps,
        "jvm": "cold" if args.cold else "warm",
        "median_seconds": medians,
        "fastest_seconds": fastest,
    }
    print(json.dumps(document, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
