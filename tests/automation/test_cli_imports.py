"""`automation.aws` loads its names on first use (PEP 562), so a CLI process that calls no AWS API
never imports boto3 and botocore (about 0.1 CPU-seconds of each process): `--help`, the local
verbs, the Pulumi verbs."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import automation.aws as aws

PACKAGE = Path(aws.__file__)


def _checked_imports() -> dict[str, str]:
    """name -> module of the imports under `if TYPE_CHECKING:` in automation/aws/__init__.py."""
    found: dict[str, str] = {}
    for node in ast.parse(PACKAGE.read_text()).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom) and statement.module
                for alias in statement.names:
                    found[alias.name] = statement.module.removeprefix("automation.aws.")
    return found


def test_the_type_checkers_imports_and_the_lazy_map_name_the_same_homes():
    assert _checked_imports() == aws._HOME
    assert len(aws._HOME) == 34


@pytest.mark.parametrize("name", sorted(_checked_imports()))
def test_every_name_is_its_modules_own(name):
    module = importlib.import_module(f"automation.aws.{_checked_imports()[name]}")
    assert getattr(aws, name) is getattr(module, name)


def test_a_name_the_package_does_not_have_is_an_attribute_error_naming_it():
    with pytest.raises(AttributeError, match=r"^module 'automation.aws' has no attribute 'run_querry'$"):
        aws.run_querry  # noqa: B018


def test_the_cli_imports_no_aws_sdk_until_an_aws_verb_needs_it(project_root):
    script = (
        "import sys, automation.cli\n"
        "before = sorted(m for m in ('boto3', 'botocore') if m in sys.modules)\n"
        "from automation import aws\n"
        "aws.Stack\n"
        "after = sorted(m for m in ('boto3', 'botocore') if m in sys.modules)\n"
        "print(before, after)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=project_root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] ['boto3', 'botocore']"
