"""The schema contract and each quality rule, with expected reasons written out."""

import math

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DecimalType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from etl.errors import SchemaContractError
from etl.quality import check_contract, is_valid, reject_reasons

ROW_SCHEMA = "idade int, ativo boolean, salario double, ano int, mes int"
GOOD = dict(idade=30, ativo=True, salario=1000.0, ano=2024, mes=6)


def _schema(**types):
    fields = dict(idade=IntegerType(), ativo=BooleanType(), salario=DoubleType(), ano=IntegerType(), mes=IntegerType())
    fields.update(types)
    return StructType([StructField(name, t) for name, t in fields.items() if t is not None])


def test_contract_accepts_the_required_types_and_ignores_extra_columns():
    schema = StructType(_schema().fields + [StructField("nome", StringType())])
    check_contract(schema, "silver_data.t")  # no error


def test_contract_accepts_wider_integers_and_decimal_salario():
    check_contract(_schema(idade=LongType(), salario=DecimalType(12, 2)), "t")


def test_contract_names_a_missing_column():
    with pytest.raises(SchemaContractError, match=r"silver_data\.t: idade is missing"):
        check_contract(_schema(idade=None), "silver_data.t")


def test_contract_names_salario_stored_as_text_and_the_type_found():
    with pytest.raises(SchemaContractError) as error:
        check_contract(_schema(salario=StringType()), "silver_data.t")
    assert "salario has type string" in str(error.value)


def test_contract_lists_every_offending_column():
    with pytest.raises(SchemaContractError) as error:
        check_contract(_schema(ativo=StringType(), mes=None), "t")
    message = str(error.value)
    assert "ativo has type string" in message
    assert "mes is missing" in message


CASES = [
    (GOOD, []),
    ({**GOOD, "ano": None}, ["ano is null"]),
    ({**GOOD, "ano": 1899}, ["ano outside 1900..2100"]),
    ({**GOOD, "ano": 2101}, ["ano outside 1900..2100"]),
    ({**GOOD, "ano": 1900}, []),
    ({**GOOD, "ano": 2100}, []),
    ({**GOOD, "mes": None}, ["mes is null"]),
    ({**GOOD, "mes": 0}, ["mes outside 1..12"]),
    ({**GOOD, "mes": 13}, ["mes outside 1..12"]),
    ({**GOOD, "mes": 12}, []),
    ({**GOOD, "idade": None}, ["idade is null"]),
    ({**GOOD, "idade": -1}, ["idade outside 0..120"]),
    ({**GOOD, "idade": 121}, ["idade outside 0..120"]),
    ({**GOOD, "idade": 0}, []),
    ({**GOOD, "idade": 120}, []),
    ({**GOOD, "ativo": None}, ["ativo is null"]),
    ({**GOOD, "ativo": False}, []),
    ({**GOOD, "salario": None}, ["salario is null"]),
    ({**GOOD, "salario": math.nan}, ["salario is NaN"]),
    ({**GOOD, "salario": math.inf}, ["salario is infinite"]),
    ({**GOOD, "salario": -math.inf}, ["salario is infinite", "salario is negative"]),
    ({**GOOD, "salario": -0.01}, ["salario is negative"]),
    ({**GOOD, "salario": 0.0}, []),
    ({**GOOD, "idade": None, "ativo": None, "mes": 13}, ["mes outside 1..12", "idade is null", "ativo is null"]),
]


def test_each_rule_flags_exactly_its_rows(spark):
    rows = [tuple(case[k] for k in ("idade", "ativo", "salario", "ano", "mes")) for case, _ in CASES]
    df = spark.createDataFrame(rows, ROW_SCHEMA).withColumn("n", F.monotonically_increasing_id())
    result = df.select("n", is_valid().alias("valid"), reject_reasons().alias("reasons")).orderBy("n").collect()
    assert len(result) == len(CASES)
    for (case, expected), row in zip(CASES, result, strict=True):
        assert row["reasons"] == expected, case
        assert row["valid"] is (not expected), case
