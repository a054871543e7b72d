"""The layout's rules that import-linter cannot state (its contracts are in pyproject.toml and
run by `make lint`): which module may import `pulumi.automation`, and module size."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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


# Modules are split by concept well before this; the cap says when one has grown two.
MAX_MODULE_LINES = 400
SIZED_PACKAGES = ("etl", "infra", "automation", "tools")


def _oversized(root: Path, packages: tuple[str, ...]) -> dict[str, int]:
    sizes = {
        str(path.relative_to(root)): len(path.read_text().splitlines())
        for package in packages
        for path in (root / package).rglob("*.py")
    }
    return {path: n for path, n in sizes.items() if n > MAX_MODULE_LINES}


def test_no_module_of_etl_infra_automation_or_tools_is_over_400_lines():
    assert _oversized(ROOT, SIZED_PACKAGES) == {}


def test_the_size_check_finds_a_long_module_at_any_depth(tmp_path):
    (tmp_path / "tools" / "docs").mkdir(parents=True)
    (tmp_path / "tools" / "docs" / "long.py").write_text("x = 1\n" * 401)
    (tmp_path / "tools" / "short.py").write_text("x = 1\n" * 400)
    assert _oversized(tmp_path, ("tools",)) == {"tools/docs/long.py": 401}
