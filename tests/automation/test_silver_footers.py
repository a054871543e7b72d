"""Silver's schema judged from its Parquet footers before Spark starts (issue 23): the same
words as the job's contract check, naming the file. Files are written here with pyarrow."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from automation.lake import read_silver
from etl.errors import SchemaContractError

GOOD = {"idade": pa.array([30], pa.int32()), "ativo": [True], "salario": [1000.0], "nome": ["a"]}


def write(root: Path, ano: int, mes: int, columns: dict, name: str = "part-0.parquet") -> Path:
    folder = root / f"ano={ano}" / f"mes={mes}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), folder / name)
    return folder / name


def test_a_text_salario_is_refused_naming_its_file(tmp_path):
    write(tmp_path, 2024, 1, GOOD)
    write(tmp_path, 2024, 2, {**GOOD, "salario": ["1000"]})
    with pytest.raises(SchemaContractError) as refused:
        read_silver(tmp_path)
    assert str(refused.value) == (
        f"schema contract violated by silver_data.sample_data_partitioned (--silver-path {tmp_path}, "
        "ano=2024/mes=2/part-0.parquet): salario has type string "
        "(expected one of: float, double, decimal, tinyint, smallint, int, bigint)"
    )


def test_types_spark_reads_as_the_contract_wants_pass(tmp_path):
    write(
        tmp_path,
        2024,
        1,
        {
            "idade": pa.array([30], pa.uint8()),  # Spark reads UINT_8 as smallint
            "ativo": [True],
            "salario": pa.array([Decimal("1000.50")], pa.decimal128(10, 2)),
        },
    )
    write(
        tmp_path, 2024, 2, {"idade": pa.array([30], pa.int64()), "ativo": [False], "salario": pa.array([1], pa.int16())}
    )
    assert [f.key for f in read_silver(tmp_path)] == ["ano=2024/mes=1/part-0.parquet", "ano=2024/mes=2/part-0.parquet"]


def test_a_column_no_file_has_is_missing_one_some_file_has_is_not(tmp_path):
    write(tmp_path, 2024, 1, {"idade": pa.array([30], pa.int32()), "ativo": [True]})
    with pytest.raises(SchemaContractError) as refused:
        read_silver(tmp_path)
    assert str(refused.value) == (
        f"schema contract violated by silver_data.sample_data_partitioned (--silver-path {tmp_path}): "
        "salario is missing"
    )
    write(tmp_path, 2024, 2, GOOD)
    assert len(read_silver(tmp_path)) == 2


def test_a_boolean_idade_is_named_with_the_type_spark_would_read(tmp_path):
    write(tmp_path, 2024, 1, {**GOOD, "idade": [True], "ativo": pa.array([1], pa.int8())})
    with pytest.raises(SchemaContractError) as refused:
        read_silver(tmp_path)
    assert str(refused.value).endswith(
        "idade has type boolean (expected one of: tinyint, smallint, int, bigint); "
        "ativo has type tinyint (expected one of: boolean)"
    )
