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


def _pulumi_aws_services(path: Path) -> set[str]:
    """The pulumi_aws packages a file reaches: `aws.s3.Bucket` after `import pulumi_aws as aws`,
    and `from pulumi_aws import s3` / `import pulumi_aws.s3`."""
    import pulumi_aws

    packages = {p.name for p in Path(pulumi_aws.__file__).parent.iterdir() if (p / "__init__.py").exists()}
    tree = ast.parse(path.read_text())
    aliases, found = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "pulumi_aws":
                    aliases.add(alias.asname or alias.name)
                elif alias.name.startswith("pulumi_aws."):
                    found.add(alias.name.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pulumi_aws":
            parts = node.module.split(".")
            found.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            found.add(node.attr)
    return found & packages


def test_the_type_checker_follows_every_pulumi_aws_service_infra_uses():
    """pyproject.toml has mypy skip pulumi_aws's services but the ones listed (a skipped one is
    `Any`: a wrong argument to its resources would pass unseen)."""
    import tomllib

    overrides = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    followed = {m for o in overrides if o.get("follow_imports") == "normal" for m in o["module"]}
    used = set().union(*(_pulumi_aws_services(p) for p in [ROOT / "__main__.py", *(ROOT / "infra").rglob("*.py")]))
    assert {"s3", "iam", "glue"} <= used  # the scan sees the program's services
    missing = sorted(s for s in used if not {f"pulumi_aws.{s}", f"pulumi_aws.{s}.*"} <= followed)
    assert missing == [], f"add to pyproject.toml's followed pulumi_aws modules: {missing}"


def test_the_service_scan_sees_each_form_of_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import pulumi_aws as aws\nimport pulumi_aws.sqs\nfrom pulumi_aws import ec2\nfrom pulumi_aws.rds import x\n"
        "aws.lambda_.Function\naws.get_caller_identity_output()\n"
    )
    assert _pulumi_aws_services(probe) == {"sqs", "ec2", "rds", "lambda_"}
