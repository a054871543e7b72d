"""The real Checkov on both stacks: synth -> Terraform plan JSON (infra/terraform_plan.py) -> the
`checkov` CLI, terraform_plan framework, offline.

Checkov lives in its own virtualenv (`.venv-checkov`, made by `make install` from
requirements-checkov.txt: it pins a boto3 this project cannot use); `CHECKOV=/path/to/checkov`
overrides where the test looks. It runs with no platform key and no downloads: `BC_SKIP_MAPPING`,
`--skip-download`, no update check, and proxies that lead nowhere so any attempt to reach the
network fails instead of leaving the machine.

A stack passes when Checkov really judged it (it ran, parsed every resource, evaluated enough checks,
among them the ones that prove the bucket and the log groups were mapped) and every failed check is
in infra/checkov_allowlist.yaml for that stack, and every allow-list entry still fails.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from automation.stack.synth import read_stack_config
from infra import outputs
from infra.terraform_plan import skipped_resources, to_plan
from tests.infra.conftest import Rendered, synth_config

ALLOWLIST = Path(__file__).resolve().parents[2] / "infra" / "checkov_allowlist.yaml"
CONDITIONS = {"no-kms-key"}
STACKS = ["dev", "prod"]
# Checks a data lake stack with its own key must pass (no blanket exemption in prod).
IN_SCOPE = {"CKV_AWS_158", "CKV_AWS_145", "CKV_AWS_99", "CKV_AWS_338", "CKV_AWS_18", "CKV_AWS_7", "CKV_AWS_21"}

# Fewer evaluated checks than this means the converter lost resources or attributes on the way.
MIN_EVALUATED = 30
# Evaluated (passed or failed) on every stack, each on a resource of this type: proof that the lake
# bucket with its attached resources (graph checks CKV2_AWS_6, CKV_AWS_21 follow references to the
# public access block and versioning), the log groups and the IAM policy reached Checkov.
MUST_EVALUATE = {
    "CKV_AWS_18": {"aws_s3_bucket"},  # access logging
    "CKV_AWS_145": {"aws_s3_bucket"},  # KMS by default
    "CKV_AWS_21": {"aws_s3_bucket"},  # versioning (aws_s3_bucket_versioning, through the graph)
    "CKV2_AWS_6": {"aws_s3_bucket"},  # public access block (graph)
    "CKV_AWS_158": {"aws_cloudwatch_log_group"},  # KMS
    "CKV_AWS_338": {"aws_cloudwatch_log_group"},  # one-year retention
    "CKV_AWS_99": {"aws_glue_security_configuration"},
    "CKV_AWS_195": {"aws_glue_job"},  # security configuration attached
    "CKV_AWS_290": {"aws_iam_role_policy", "aws_iam_policy"},  # write access without constraints
}


@dataclass(frozen=True)
class Entry:
    check: str
    resource: str
    reason: str
    when: str | None = None

    def covers(self, check_id: str, resource: str) -> bool:
        return check_id == self.check and fnmatch.fnmatchcase(resource, self.resource)


def load_allowlist() -> dict:
    return yaml.safe_load(ALLOWLIST.read_text())


def allowed(stack: str, has_kms_key: bool, document: dict | None = None) -> list[Entry]:
    """The allow-list entries that apply to `stack`."""
    document = load_allowlist() if document is None else document
    raw = list(document.get("every_stack") or []) + list((document.get("stacks") or {}).get(stack) or [])
    entries = [Entry(**item) for item in raw]
    return [e for e in entries if e.when is None or (e.when == "no-kms-key" and not has_kms_key)]


def checkov_binary() -> str:
    explicit = os.environ.get("CHECKOV")
    if explicit:
        return explicit
    local = Path(__file__).resolve().parents[2] / ".venv-checkov" / "bin" / "checkov"
    if local.exists():
        return str(local)
    found = shutil.which("checkov")
    if found:
        return found
    pytest.fail(f"checkov not found at {local} nor on PATH: run `make install` (it creates .venv-checkov)")


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("BC_", "PRISMA_", "CKV_", "CHECKOV_"))}
    nowhere = "http://127.0.0.1:9"
    env.update(
        BC_SKIP_MAPPING="TRUE",
        CKV_SKIP_PACKAGE_UPDATE_CHECK="TRUE",
        HTTPS_PROXY=nowhere,
        HTTP_PROXY=nowhere,
        https_proxy=nowhere,
        http_proxy=nowhere,
        NO_PROXY="",
        no_proxy="",
    )
    return env


@dataclass
class Scan:
    stack: str
    plan: dict
    plan_path: Path
    report: dict
    has_kms_key: bool
    rendering: dict

    @property
    def passed(self) -> list[tuple[str, str]]:
        return [(c["check_id"], c["resource"]) for c in self.report["results"]["passed_checks"]]

    @property
    def failed(self) -> list[tuple[str, str]]:
        return [(c["check_id"], c["resource"]) for c in self.report["results"]["failed_checks"]]


def run_checkov(plan_path: Path) -> dict:
    """Checkov's JSON report of the terraform_plan framework for one plan file."""
    command = [
        checkov_binary(),
        "--file",
        str(plan_path),
        "--framework",
        "terraform_plan",
        "--output",
        "json",
        "--skip-download",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, env=offline_env(), cwd=plan_path.parent, timeout=600
    )
    # 0: every check passed; 1: some failed. Anything else is Checkov not running.
    assert result.returncode in (0, 1), f"checkov exited {result.returncode}:\n{result.stderr[-3000:]}"
    try:
        document = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov printed no JSON report:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    reports = document if isinstance(document, list) else [document]
    found = [r for r in reports if r.get("check_type") == "terraform_plan" and "results" in r]
    assert len(found) == 1, f"no terraform_plan results in Checkov's report (did it read {plan_path}?)"
    return found[0]


# Each stack as a team deploying it from GitHub Actions has it: with `githubRepository`, the stack's
# files plus the deploy and preview roles (docs/ci.md); a superset of the stack without the setting.
GITHUB_REPOSITORY = "acme/lake"


@pytest.fixture(scope="session", params=STACKS)
def scan(request, tmp_path_factory, project_root, cli_env) -> Scan:
    stack = request.param
    config, _ = read_stack_config(stack)
    rendered = Rendered(synth_config(stack, {**config, "githubRepository": GITHUB_REPOSITORY}, project_root, cli_env))
    assert [r for r in rendered.resources if r["name"].endswith("-deploy-role")], "no deploy role to judge"
    rendering = {"resources": rendered.resources, "outputs": rendered.outputs}
    plan = to_plan(rendering, region=rendered.outputs.get(outputs.REGION))
    plan_path = tmp_path_factory.mktemp(f"checkov-{stack}") / f"{stack}.tfplan.json"
    plan_path.write_text(json.dumps(plan, indent=2, sort_keys=True))
    has_kms_key = bool(rendered.outputs.get(outputs.KMS_KEY_ARN))
    return Scan(stack, plan, plan_path, run_checkov(plan_path), has_kms_key, rendering)


def describe(findings: list[tuple[str, str]], report: dict) -> str:
    names = {c["check_id"]: c["check_name"] for c in report["results"]["failed_checks"]}
    return "\n".join(f"  {check} {resource}: {names.get(check, '')}" for check, resource in sorted(findings))


def test_the_allowlist_is_well_formed():
    document = load_allowlist()
    assert set(document) == {"every_stack", "stacks"}
    assert set(document["stacks"]) == set(STACKS)
    entries = list(document["every_stack"]) + [e for stack in STACKS for e in document["stacks"][stack] or []]
    assert entries
    for item in entries:
        entry = Entry(**item)  # no unknown keys
        assert re.fullmatch(r"CKV2?_AWS_\d+", entry.check), entry
        assert entry.resource == "*" or re.fullmatch(r"aws_[a-z0-9_]+\.(\*|[A-Za-z0-9_-]+)", entry.resource), entry
        assert len(entry.reason.split()) >= 8, f"{entry.check}: say why it is out of scope"
        assert entry.when is None or entry.when in CONDITIONS, entry


def test_kms_and_retention_exemptions_are_dev_only():
    """prod is held to every in-scope check: encryption with its key, retention, access logging. An
    exemption there names one resource (an access-log bucket cannot log to itself), never a type."""
    document = load_allowlist()
    for item in list(document["every_stack"]) + list(document["stacks"]["prod"] or []):
        if item["check"] in IN_SCOPE:
            assert "*" not in item["resource"], item


def test_allowlist_conditions():
    document = {
        "every_stack": [{"check": "CKV_AWS_144", "resource": "aws_s3_bucket.*", "reason": "r"}],
        "stacks": {
            "dev": [{"check": "CKV_AWS_158", "resource": "*", "reason": "r", "when": "no-kms-key"}],
            "prod": [],
        },
    }
    assert [e.check for e in allowed("dev", has_kms_key=False, document=document)] == ["CKV_AWS_144", "CKV_AWS_158"]
    assert [e.check for e in allowed("dev", has_kms_key=True, document=document)] == ["CKV_AWS_144"]
    assert [e.check for e in allowed("prod", has_kms_key=False, document=document)] == ["CKV_AWS_144"]
    entry = allowed("dev", has_kms_key=False, document=document)[0]
    assert entry.covers("CKV_AWS_144", "aws_s3_bucket.lake")
    assert not entry.covers("CKV_AWS_144", "aws_s3_bucket_policy.lake")
    assert not entry.covers("CKV_AWS_145", "aws_s3_bucket.lake")


def test_checkov_judged_the_whole_stack(scan: Scan):
    summary = scan.report["summary"]
    assert summary["parsing_errors"] == 0, summary
    planned = scan.plan["planned_values"]["root_module"]["resources"]
    assert summary["resource_count"] == len(planned), (summary, len(planned))
    evaluated = scan.passed + scan.failed
    assert len(evaluated) >= MIN_EVALUATED, f"only {len(evaluated)} checks evaluated on {scan.stack}"
    evaluated_on = {(check, resource.split(".")[0]) for check, resource in evaluated}
    missing = {check: kinds for check, kinds in MUST_EVALUATE.items() if not {(check, k) for k in kinds} & evaluated_on}
    assert not missing, f"{scan.stack}: Checkov never evaluated {missing}: the converter lost them"
    # The GitHub Actions roles' policies and trust were judged too.
    judged = {resource for _, resource in evaluated}
    for resource in (
        "aws_iam_role_policy.silver_to_gold_deploy_role_policy",
        "aws_iam_role.silver_to_gold_deploy_role",
    ):
        assert resource in judged, f"{scan.stack}: Checkov never evaluated {resource}"


def test_every_aws_resource_reaches_the_plan(scan: Scan):
    aws = [r for r in scan.rendering["resources"] if r["type"].startswith("aws:")]
    assert len(scan.plan["planned_values"]["root_module"]["resources"]) == len(aws)
    assert all(not line.startswith("aws:") for line in skipped_resources(scan.rendering))


def test_no_failed_check_outside_the_allowlist(scan: Scan):
    entries = allowed(scan.stack, scan.has_kms_key)
    unexpected = [(c, r) for c, r in scan.failed if not any(e.covers(c, r) for e in entries)]
    assert not unexpected, (
        f"{scan.stack}: Checkov checks failed that infra/checkov_allowlist.yaml does not allow "
        f"(plan: {scan.plan_path}):\n{describe(unexpected, scan.report)}"
    )


def test_no_stale_allowlist_entry(scan: Scan):
    stale = [e for e in allowed(scan.stack, scan.has_kms_key) if not any(e.covers(c, r) for c, r in scan.failed)]
    assert not stale, f"{scan.stack}: allowed but no longer failing, remove from the allow-list: " + ", ".join(
        f"{e.check} {e.resource}" for e in stale
    )
