"""The pipeline's steps and verification rules (`automation.pipeline`) on an in-memory backend:
the same rules judge the local and the AWS backend."""

from __future__ import annotations

import contextlib

import pytest

from automation.pipeline import QueryResult, VerificationError, run_pipeline
from etl.report import RunReport
from etl.schema import REJECTS

GOLD_COLUMNS = ("idade", "ativo", "salario_medio", "ano", "mes")


class MemoryBackend:
    """A backend whose gold has two partitions, one file each, and a query engine that
    answers the preview with `preview_rows`."""

    name = "memory"
    rejects_table = REJECTS
    sql_dialect = "spark"

    def __init__(self, preview_rows):
        self.preview_rows = preview_rows
        self.stopped = False

    def start(self):
        return "started"

    def provision_catalog(self):
        return "catalog"

    def load_silver(self):
        return "silver"

    def run_job(self):
        return RunReport(
            run_id="r1", mode="incremental", status="succeeded", rows_read=3, rows_written=2, partitions_written=2
        )

    def register_partitions(self):
        return ["ano=2024/mes=1", "ano=2024/mes=2"]

    def gold_files(self):
        return {"ano=2024/mes=1": ["part-0.parquet"], "ano=2024/mes=2": ["part-0.parquet"]}

    def query(self, sql):
        return QueryResult(GOLD_COLUMNS, tuple(self.preview_rows))

    def stop(self):
        self.stopped = True


class Quiet:
    def step(self, title):
        return contextlib.nullcontext()

    def __init__(self):
        self.lines = {}

    def done(self, title, detail, seconds):
        self.lines[title] = detail


def test_verify_passes_when_the_preview_shows_gold_rows():
    progress = Quiet()
    result = run_pipeline(MemoryBackend([(30, True, 1000.0, 2024, 1)]), progress)
    assert progress.lines["verify"] == "one Parquet file in each of 2 folders; preview returned 1 row"
    assert result.preview.rows == ((30, True, 1000.0, 2024, 1),)


def test_verify_fails_when_the_preview_is_empty_though_gold_has_rows():
    backend = MemoryBackend([])
    with pytest.raises(VerificationError, match="the preview query returned no rows, though the catalog has 2 gold"):
        run_pipeline(backend, Quiet())
    assert backend.stopped
