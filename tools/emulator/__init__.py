"""An AWS API emulator you can drive the AWS verbs against, with no account: moto's server on
a loopback port (`server`), seeded with the dev stack as `python -m automation synth --stack
dev --json` renders it (`seed`), Glue job runs played for real with pyarrow (`player`) and
Athena's SELECTs answered by DuckDB over the emulated catalog's tables (`lake`).

`python -m tools.emulator` (`make emulator`) runs it for a person; the tests' fixtures
(`tests/aws_emulator.py`) use the same pieces.
"""

from tools.emulator.lake import answer_with_duckdb, read_catalog_table
from tools.emulator.player import PLAYED, GluePlayer, failed_rules
from tools.emulator.seed import SeededStack, render_stack, seed_stack
from tools.emulator.server import FAKE_CREDENTIALS, PROJECT_ROOT, REGION, STEP_SECONDS, Emulator, start_server

__all__ = [
    "FAKE_CREDENTIALS",
    "PLAYED",
    "PROJECT_ROOT",
    "REGION",
    "STEP_SECONDS",
    "Emulator",
    "GluePlayer",
    "SeededStack",
    "answer_with_duckdb",
    "failed_rules",
    "read_catalog_table",
    "render_stack",
    "seed_stack",
    "start_server",
]
