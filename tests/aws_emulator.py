"""The AWS API emulator as pytest fixtures: the pieces are `tools.emulator`, the same ones
`python -m tools.emulator` (`make emulator`) runs for a person.

`aws_emulator` (session) starts moto's server on 127.0.0.1 and a free port; it is reached
over HTTP through AWS_ENDPOINT_URL with fake credentials, exactly as the CLI reaches AWS,
and answers Athena's SELECTs with DuckDB over the emulated catalog's tables. `aws_stack`
(per test) resets the emulator and seeds the dev stack from `automation synth --stack dev
--json`, writing its outputs file. `GluePlayer` plays the Glue job for a test: it computes
gold from the loaded silver with pyarrow and writes it, the catalog partitions, the
quarantine, the run report and log events where the job would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tools.emulator import PROJECT_ROOT, Emulator, GluePlayer, SeededStack, render_stack, seed_stack, start_server

__all__ = ["PROJECT_ROOT", "GluePlayer", "SeededStack", "write_silver_dataset"]


@pytest.fixture(scope="session")
def aws_emulator() -> Emulator:
    server, emulator = start_server()
    yield emulator
    server.stop()


@pytest.fixture(scope="session")
def dev_rendering() -> dict[str, Any]:
    """`python -m automation synth --stack dev --json`, run once as a user would."""
    return render_stack("dev")


@pytest.fixture
def aws_stack(aws_emulator: Emulator, dev_rendering: dict[str, Any], tmp_path: Path) -> SeededStack:
    """A freshly seeded dev stack for one test."""
    aws_emulator.reset()
    return seed_stack(aws_emulator, dev_rendering, tmp_path / "outputs.json")


SILVER_ARROW_SCHEMA = pa.schema(
    [("idade", pa.int32()), ("ativo", pa.bool_()), ("salario", pa.float64()), ("nome", pa.string())]
)


def write_silver_dataset(root: Path, partitions: dict[tuple[int, int], list[dict]]) -> Path:
    """A local silver dataset in ano=/mes= folders, written by pyarrow."""
    for (ano, mes), rows in partitions.items():
        folder = root / f"ano={ano}" / f"mes={mes}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=SILVER_ARROW_SCHEMA), folder / "part-0.parquet")
    return root
