"""Shared fixtures: one local SparkSession with a Hive metastore for the whole test run,
and a `lake` harness that lays out silver files with pyarrow (independently of the code
under test), registers them in the catalog and runs the real job."""

from __future__ import annotations

import hashlib
import os

os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")  # pyspark.testing imports pandas-on-Spark
from pathlib import Path
from typing import Iterable, Mapping

import botocore.loaders
import botocore.session
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from automation.local import LocalBackend, LocalOptions, local_uri, start_spark
from etl import job
from etl.arguments import LakeLayout, build_job_arguments, to_argv
from etl.report import RunReport
from etl.schema import GOLD, REJECTS, SILVER, create_table_sql
from tests.stubs import FakeClock

# The AWS API emulator fixtures (moto server seeded from the Pulumi program).
pytest_plugins = ["tests.aws_emulator"]

SILVER_ARROW_SCHEMA = pa.schema(
    [("idade", pa.int32()), ("ativo", pa.bool_()), ("salario", pa.float64()), ("nome", pa.string())]
)


def pytest_collection_modifyitems(items):
    """`make check`, the inner loop, runs what needs neither Spark nor the CLI as a subprocess
    (`-m "not spark and not cli and not e2e"`): a test that reaches the SparkSession through any
    fixture is marked `spark` here, so no test has to remember to say so."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)


class _DistinctPaths(list):
    """A loader's search paths where a path already there is not added again: boto3 appends its
    own data folder to the loader of every session it builds."""

    def append(self, path):
        if path not in self:
            super().append(path)


@pytest.fixture(scope="session", autouse=True)
def _one_botocore_loader():
    """One botocore loader for every session this test process builds. The CLI builds one boto3
    session a process (`automation.aws.session.build_session`); the in-process tests call
    `main()` and `Stack.connect` hundreds of times in one worker, and each new session parsed
    botocore's service models again (about 0.2 CPU-s for the five services a verb uses). A
    loader only reads the packaged models and keeps what it read, so sharing it changes no
    answer: the in-process emulator tests went from 78 to 45 CPU-s. Subprocesses are untouched."""
    original = botocore.session.create_loader
    loaders: dict[str | None, botocore.loaders.Loader] = {}

    def shared_loader(search_path_string=None):
        if search_path_string not in loaders:
            loader = original(search_path_string)
            loader._search_paths = _DistinctPaths(loader.search_paths)
            loaders[search_path_string] = loader
        return loaders[search_path_string]

    botocore.session.create_loader = shared_loader
    yield
    botocore.session.create_loader = original


@pytest.fixture
def instant_waits(monkeypatch):
    """The waits of `automation.aws.session` take no time: for tests whose polls answer from stubs
    or from a run that has already ended (`wait_for` looks `time.sleep` up at each call)."""
    monkeypatch.setattr("automation.aws.session.time.sleep", lambda _: None)


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    """The waits of `automation.aws.session` on a fake clock: a test can say how long a verb waits
    before giving up (`wait_for` looks both up at each call)."""
    fake = FakeClock()
    monkeypatch.setattr("automation.aws.session.time.monotonic", fake.monotonic)
    monkeypatch.setattr("automation.aws.session.time.sleep", fake.sleep)
    return fake


@pytest.fixture(scope="session", autouse=True)
def _own_cache_home(tmp_path_factory):
    """The CLI keeps its last traceback under $XDG_CACHE_HOME (automation.cli.error_log_path):
    the tests' failing commands write theirs in the session's temporary folder, never in the
    user's ~/.cache (nor, under `make mutate`, in the cache of whoever runs the mutants)."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local[2] session with Hive support, metastore in a temporary folder."""
    session = start_spark(tmp_path_factory.mktemp("spark-lake"), workers=2, app_name="silver-to-gold-tests")
    yield session
    session.stop()


class Lake:
    """A lake folder with silver files written by pyarrow and the real job to run on it."""

    def __init__(self, spark, root: Path):
        self.spark = spark
        self.root = root
        self.layout = LakeLayout(local_uri(root))
        self.silver_dir = root / "silver" / SILVER.table
        self.gold_dir = root / "gold" / GOLD.table
        self.backend = LocalBackend(LocalOptions(lake=root))
        self.backend.spark = spark
        spark.sql(f"DROP TABLE IF EXISTS {GOLD.qualified_name}")
        spark.sql(f"DROP TABLE IF EXISTS {SILVER.qualified_name}")
        spark.sql(f"DROP TABLE IF EXISTS {REJECTS.qualified_name}")  # provisioned again at this lake's quarantine
        self.backend.provision_catalog()

    def write_partition(
        self,
        ano: int,
        mes: int,
        rows: Iterable[Mapping],
        name: str = "part-0.parquet",
        schema: pa.Schema = SILVER_ARROW_SCHEMA,
    ) -> Path:
        folder = self.silver_dir / f"ano={ano}" / f"mes={mes}"
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist([dict(r) for r in rows], schema=schema)
        path = folder / name
        pq.write_table(table, path)
        return path

    def register(self) -> None:
        """Register silver as the local backend does (columns from the files, then partitions)."""
        if any(self.silver_dir.glob("ano=*/mes=*/*.parquet")):
            self.backend.register_silver(self.layout.silver)
        else:
            self.spark.sql(f"DROP TABLE IF EXISTS {SILVER.qualified_name}")
            self.spark.sql(create_table_sql(SILVER, self.layout.silver))

    def run(
        self,
        mode: str = "incremental",
        max_reject_ratio: float = 0.05,
        register: bool = True,
        run_id: str = "",
        quarantine_columns: str = "lean",
    ) -> RunReport:
        if register:
            self.register()
        arguments = build_job_arguments(
            self.layout, mode=mode, max_reject_ratio=max_reject_ratio, quarantine_columns=quarantine_columns
        )
        if run_id:
            arguments["--JOB_RUN_ID"] = run_id
        return job.main(to_argv(arguments), spark=self.spark)

    def gold_files(self) -> dict[str, bytes]:
        """Every file under the gold location (hidden ones too), path -> sha256."""
        return {
            str(p.relative_to(self.gold_dir)): hashlib.sha256(p.read_bytes()).digest()
            for p in sorted(self.gold_dir.rglob("*"))
            if p.is_file()
        }

    def gold_parquet_files(self) -> dict[str, list[Path]]:
        """Data files per ano=/mes= folder."""
        found: dict[str, list[Path]] = {}
        for folder in sorted(self.gold_dir.glob("ano=*/mes=*")):
            key = f"{folder.parent.name}/{folder.name}"
            found[key] = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(("_", ".")))
        return found

    def catalog_partitions(self) -> list[str]:
        return sorted(r[0] for r in self.spark.sql(f"SHOW PARTITIONS {GOLD.qualified_name}").collect())


@pytest.fixture
def lake(spark, tmp_path) -> Lake:
    return Lake(spark, tmp_path / "lake")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def cli_env(project_root) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(project_root)
    return env
