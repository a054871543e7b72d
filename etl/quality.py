"""The schema contract and the row-level quality rules.

The contract is checked on the source table's schema before anything is read; the rules
are Spark column expressions evaluated row by row. Both are pure: no I/O, no session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from etl.errors import SchemaContractError
from etl.schema import ANO_RANGE, IDADE_RANGE, MES_RANGE, contract_problems


def check_contract(schema: StructType, table: str) -> None:
    """Fail unless every required silver column is present with a readable type.

    Args:
        schema: the source table's schema, as Spark reads it.
        table: the table's name, for the message.

    Raises:
        SchemaContractError: naming each missing column and each column whose stored type
            cannot be read as the required one, with the type found.
    """
    problems = contract_problems({field.name: field.dataType.simpleString() for field in schema.fields})
    if problems:
        raise SchemaContractError(f"schema contract violated by {table}: " + "; ".join(problems))


@dataclass(frozen=True)
class Rule:
    """One quality rule: the reason recorded when it fails, and the failing condition."""

    reason: str
    fails: Callable[[Callable[[str], Column]], Column]


def _outside(bounds: tuple[int, int]) -> Callable[[Column], Column]:
    low, high = bounds
    return lambda c: (c < low) | (c > high)


_INFINITY = float("inf")

# Order matters only for how reasons read; every failing rule is recorded.
RULES: tuple[Rule, ...] = (
    Rule("ano is null", lambda col: col("ano").isNull()),
    Rule(f"ano outside {ANO_RANGE[0]}..{ANO_RANGE[1]}", lambda col: _outside(ANO_RANGE)(col("ano"))),
    Rule("mes is null", lambda col: col("mes").isNull()),
    Rule(f"mes outside {MES_RANGE[0]}..{MES_RANGE[1]}", lambda col: _outside(MES_RANGE)(col("mes"))),
    Rule("idade is null", lambda col: col("idade").isNull()),
    Rule(
        f"idade outside {IDADE_RANGE[0]}..{IDADE_RANGE[1]}",
        lambda col: _outside(IDADE_RANGE)(col("idade")),
    ),
    Rule("ativo is null", lambda col: col("ativo").isNull()),
    Rule("salario is null", lambda col: col("salario").isNull()),
    Rule("salario is NaN", lambda col: F.isnan(col("salario"))),
    Rule(
        "salario is infinite",
        lambda col: (col("salario") == _INFINITY) | (col("salario") == -_INFINITY),
    ),
    # Spark orders NaN above every number, so NaN < 0 is false: NaN has its own rule.
    Rule("salario is negative", lambda col: col("salario") < 0),
)


def is_valid(col: Callable[[str], Column] = F.col) -> Column:
    """True when a row passes every rule (never null).

    Args:
        col: how to reach a column by name (plain columns, or fields of a struct).
    """
    any_failure = F.lit(False)
    for rule in RULES:
        any_failure = any_failure | F.coalesce(rule.fails(col), F.lit(False))
    return ~any_failure


def reject_reasons(col: Callable[[str], Column] = F.col) -> Column:
    """An array with the reason of every rule the row fails (empty when valid)."""
    flagged = [F.when(F.coalesce(rule.fails(col), F.lit(False)), F.lit(rule.reason)) for rule in RULES]
    return F.filter(F.array(*flagged), lambda reason: reason.isNotNull())
