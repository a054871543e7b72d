"""The layout's rules that import-linter cannot state (its contracts are in pyproject.toml and
run by `make lint`): which module may import `pulumi.automation`, and module size."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AUTOMATION = ROOT / "automation"
PACKAGES = ("automation", "etl", "infra", "benchmarks")


def _imports(path: Path) -> set[str]:
    """Every module a file imports, `from pulumi import automation` as `pulumi.automation`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_only_the_automation_api_module_imports_pulumi_automation():
    importers = sorted(
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if any(m.startswith("pulumi.automation") for m in _imports(path))
    )
    assert importers == ["automation/stack/automation_api.py"]


def test_the_scan_sees_the_forms_of_import_it_looks_for(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from pulumi import automation as auto\nimport pulumi.automation\n")
    assert {"pulumi.automation"} <= _imports(probe)


def test_no_automation_module_is_over_400_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in AUTOMATION.rglob("*.py")}
    assert {path: n for path, n in sizes.items() if n > 400} == {}
