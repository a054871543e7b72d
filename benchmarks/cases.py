"""The benchmark cases: `python -m benchmarks.cases CASE [CASE ...] --data DIR --work DIR`.

`make bench` runs each case in a process of its own (cold, as a Glue job starts); several cases
named run in turn in one process and one JVM (`python -m benchmarks --one-process`: a check of the
harness, not figures). Prints one JSON line per case: the job phase in seconds, bytes read from
silver (Spark's input metrics), gold files per partition, bytes written and the driver's peak
memory (the JVM's so far, so cumulative when cases share one). The parent (`benchmarks.harness`)
times the whole process.

Cases:
    generate      write the cached silver dataset (36 months) and the 37th month
    ours_full     our job, --mode full, on a fresh catalog over the cached silver files
    ours_incr     our job, incremental, after the 37th month is added (runs after ours_full)
    tutorial      the tutorial's logic in plain Spark: delete gold, recompute all,
                  groupBy/agg, default write settings, no validation
    tutorial_month  the same on the 37th month's files only: what any cold Spark job costs
                  for the data an incremental run reads (a floor, not a competitor)
    duckdb        the same validate + aggregate + partitioned snappy write in DuckDB, with the
                  same lean quarantine (id, file, row number, rule columns)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
from pathlib import Path
from time import perf_counter

from etl.files import is_data_file

MONTHS = 36


def local_uri(path: Path) -> str:
    from automation.local import local_uri as uri

    return uri(path)


def _peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident memory (VmHWM) of a process, in MiB; this process by default."""
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _jvm_peak_mb(spark) -> float:
    return _peak_rss_mb(spark.sparkContext._gateway.proc.pid)


def input_bytes(spark) -> int:
    """Bytes Spark's tasks have read from files so far (input metrics of every stage).

    Read from the application's status store, which local mode keeps with the UI off.
    """
    context = spark.sparkContext
    jvm, no_quantiles = context._jvm, context._gateway.new_array(context._jvm.double, 0)
    every = jvm.java.util.ArrayList()  # no status filter: every stage
    stages = context._jsc.sc().statusStore().stageList(every, False, False, no_quantiles, every).iterator()
    total = 0
    while stages.hasNext():
        total += int(stages.next().inputBytes())
    return total


def gold_layout(folder: Path) -> dict:
    """Files per ano=/mes= folder and bytes of the data files under `folder`."""
    counts, size = [], 0
    for partition in folder.glob("ano=*/mes=*"):
        files = [p for p in partition.iterdir() if p.is_file() and is_data_file(p.name)]
        counts.append(len(files))
        size += sum(p.stat().st_size for p in files)
    return {
        "partitions": len(counts),
        "files_per_partition_min": min(counts, default=0),
        "files_per_partition_max": max(counts, default=0),
        "bytes_written": size,
    }


def _spark(work: Path):
    from automation.local import start_spark

    return start_spark(work / "lake", workers=2, app_name="silver-to-gold-bench")


def generate(rows: int, data: Path, work: Path) -> dict:
    from etl.sample import SampleSpec, write_sample

    started = perf_counter()
    write_sample(SampleSpec(rows=rows, months=MONTHS), data / "silver")
    extra = SampleSpec(rows=max(1, rows // MONTHS), months=1, first_year=2026, first_month=1, seed=37)
    write_sample(extra, data / "month37")
    return {"job_seconds": perf_counter() - started}


def _our_backend(spark, work: Path):
    from automation.local import LocalBackend, LocalOptions

    backend = LocalBackend(LocalOptions(lake=work / "lake"))
    backend.spark = spark
    return backend


def _run_ours(spark, work: Path, mode: str) -> dict:
    from etl import job
    from etl.arguments import build_job_arguments, to_argv

    backend = _our_backend(spark, work)
    arguments = build_job_arguments(backend.layout, mode=mode)
    before = input_bytes(spark)
    report = job.main(to_argv(arguments), spark=spark)
    return {
        "job_seconds": report.seconds["job"],
        "silver_bytes_read": input_bytes(spark) - before,
        "quarantine": report.quarantine_location,
        "phases": {k: round(v, 3) for k, v in report.seconds.items()},
        "rows_read": report.rows_read,
        "partitions_processed": report.partitions_processed,
        **gold_layout(work / "lake" / "gold" / "sample_data_aggregated"),
        "peak_driver_mb": round(_jvm_peak_mb(spark) + _peak_rss_mb(), 1),
    }


def ours_full(data: Path, work: Path) -> dict:
    spark = _spark(work)
    backend = _our_backend(spark, work)
    backend.provision_catalog()
    backend.register_silver(local_uri(data / "silver"))
    result = _run_ours(spark, work, "full")
    spark.stop()
    return result


def ours_incremental(data: Path, work: Path) -> dict:
    spark = _spark(work)
    month = data / "month37" / "ano=2026" / "mes=1"
    spark.sql(
        "ALTER TABLE silver_data.sample_data_partitioned ADD IF NOT EXISTS "
        f"PARTITION (ano = 2026, mes = 1) LOCATION '{local_uri(month)}'"
    )
    result = _run_ours(spark, work, "incremental")
    spark.stop()
    return result


def tutorial(data: Path, work: Path, source: str = "silver") -> dict:
    from pyspark.sql import SparkSession

    from automation.local import LOCAL_JVM_OPTIONS

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("tutorial-equivalent")
        .config("spark.driver.memory", "2g")
        # The same JVM as our cases (the local runner's collector): the ratios compare plans.
        .config("spark.driver.extraJavaOptions", " ".join(LOCAL_JVM_OPTIONS))
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    target = work / f"tutorial_gold_{source}"
    started = perf_counter()
    shutil.rmtree(target, ignore_errors=True)  # the tutorial's clean_s3_path
    df = spark.read.parquet(str(data / source))
    transformed = (
        df.groupBy("idade", "ativo", "ano", "mes")
        .agg({"salario": "avg"})
        .withColumnRenamed("avg(salario)", "salario_medio")
    )
    transformed.write.partitionBy("ano", "mes").parquet(str(target), compression="snappy")
    seconds = perf_counter() - started
    result = {
        "job_seconds": seconds,
        "silver_bytes_read": input_bytes(spark),
        **gold_layout(target),
        "peak_driver_mb": round(_jvm_peak_mb(spark) + _peak_rss_mb(), 1),
    }
    spark.stop()
    return result


DUCKDB_VALID = (
    "ano BETWEEN 1900 AND 2100 AND mes BETWEEN 1 AND 12 AND idade BETWEEN 0 AND 120 AND ativo IS NOT NULL "
    "AND salario IS NOT NULL AND NOT isnan(salario) AND NOT isinf(salario) AND salario >= 0"
)


def duckdb_case(data: Path, work: Path) -> dict:
    """DuckDB doing the same work: the lean quarantine (id, file, row number, rule columns)
    and the gold aggregate, each one statement over the silver files (DuckDB reads only the
    columns and, for the quarantine, materializes file names only for the rows it keeps)."""
    import duckdb

    target, quarantine = work / "duckdb_gold", work / "duckdb_quarantine.parquet"
    shutil.rmtree(target, ignore_errors=True)
    connection = duckdb.connect()
    connection.execute("SET threads = 2")
    files = f"'{data}/silver/*/*/*.parquet', hive_partitioning = true"
    started = perf_counter()
    connection.execute(
        "COPY (SELECT id, filename AS silver_file, file_row_number AS silver_row, idade, ativo, salario, ano, mes "
        f"FROM read_parquet({files}, filename = true, file_row_number = true) "
        f"WHERE NOT coalesce({DUCKDB_VALID}, false)) TO '{quarantine}' (FORMAT parquet)"
    )
    connection.execute(
        f"COPY (SELECT idade, ativo, avg(salario) AS salario_medio, ano, mes FROM read_parquet({files}) "
        f"WHERE coalesce({DUCKDB_VALID}, false) GROUP BY ALL) "
        f"TO '{target}' (FORMAT parquet, PARTITION_BY (ano, mes), COMPRESSION snappy)"
    )
    seconds = perf_counter() - started
    return {"job_seconds": seconds, **gold_layout(target), "peak_driver_mb": round(_peak_rss_mb(), 1)}


CASES = {
    "generate": lambda a: generate(a.rows, a.data, a.work),
    "ours_full": lambda a: ours_full(a.data, a.work),
    "ours_incr": lambda a: ours_incremental(a.data, a.work),
    "tutorial": lambda a: tutorial(a.data, a.work),
    "tutorial_month": lambda a: tutorial(a.data, a.work, source="month37"),
    "duckdb": lambda a: duckdb_case(a.data, a.work),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cases")
    parser.add_argument(
        "case", nargs="+", choices=sorted(CASES), help="one case (a cold process), or several run in turn in this one"
    )
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=0)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    for case in args.case:  # one JSON line each, in order; a later Spark case reuses this process's JVM
        started = perf_counter()
        result = CASES[case](args)
        result["case_seconds"] = perf_counter() - started
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
