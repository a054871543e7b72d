"""`python -m automation query --lake DIR [--sql SQL]`: the AWS `query` verb's local twin, any
SQL through the catalog a local run left (default: the tutorial's preview). The `query`
verb's options are in `automation.cli.aws`; its handler hands a `--lake` here.
"""

from __future__ import annotations

import argparse

from automation.cli.console import EXIT_OK, Screen, rows_table, spinner
from automation.local import query_lake
from etl.schema import GOLD, preview_sql


def query_lake_command(args: argparse.Namespace) -> int:
    """`query --lake DIR [--sql SQL]`: Spark SQL through the lake's Hive metastore."""
    screen = Screen(args.json)
    sql = args.sql or preview_sql(GOLD)
    with spinner(screen, f"asking the local catalog in {args.lake}"):
        result = query_lake(args.lake, sql)
    document = {
        "backend": "local",
        "lake": str(args.lake),
        "sql": sql,
        "columns": list(result.columns),
        "rows": result.as_dicts(),
    }

    def render() -> None:
        screen.out.print(rows_table(result.columns, result.rows, title=sql))
        screen.out.print(f"{len(result.rows)} rows (local catalog in {args.lake})")

    screen.result(document, render)
    return EXIT_OK
