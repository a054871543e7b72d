"""The shipped workflows (.github/workflows), checked offline: the project's rules pass on them and
catch each kind of broken workflow, every command they run exists, and the deploy jobs keep to one
stack each, in its environment, one at a time. actionlint and GitHub's schema run in `make lint`
(tools/workflow_check.py); test_workflow_check_cli.py shows them failing on a broken file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from automation.cli import build_parser
from tests.ci.workflows import ROOT, SHELL, all_workflows, every_command, jobs, make_targets, run_lines, workflow
from tools.workflow_check import FORK_GUARD, WORKFLOWS, load_workflow, rule_problems

STACKS = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))


def test_the_shipped_workflows_break_no_rule():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        assert rule_problems(path, load_workflow(path)) == [], path.name


def test_there_are_the_three_workflows_of_docs_ci():
    assert sorted(all_workflows()) == ["main.yml", "pull-request.yml", "run-job.yml"]
    assert list(workflow("pull-request.yml")["on"]) == ["pull_request"]
    assert workflow("main.yml")["on"] == {"push": {"branches": ["main"]}}
    assert list(workflow("run-job.yml")["on"]) == ["workflow_dispatch"]


# --- the rules catch what they are for ----------------------------------------------------------

GOOD = """name: t
on:
  pull_request:
permissions: {}
jobs:
  a:
    runs-on: ubuntu-24.04
    if: github.event.pull_request.head.repo.full_name == github.repository
    permissions:
      contents: read
      id-token: write
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3
        with:
          role-to-assume: ${{ vars.ROLE }}
          aws-region: us-east-1
      - run: echo "${{ secrets.TOKEN }}"
"""


def problems_of(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "t.yml"
    path.write_text(text)
    return rule_problems(path, load_workflow(path))


def test_a_workflow_that_keeps_every_rule_has_no_problem(tmp_path):
    assert problems_of(GOOD, tmp_path) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "@v7"), "actions/checkout@v7 is not pinned"),
        (("@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "@3d3c42e5"), "is not pinned to a full commit SHA"),
        (("3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1"), "its tag"),
        (("permissions: {}\n", ""), "set `permissions: {}` at the top"),
        (("permissions: {}\n", "permissions: write-all\n"), "set `permissions: {}` at the top"),
        (("      contents: read\n", "      contents: write\n"), "grants contents: write"),
        (
            ("      contents: read\n", "      contents: read\n      pull-requests: write\n"),
            "grants pull-requests: write",
        ),
        (("      id-token: write\n", ""), "takes AWS credentials by OIDC without id-token: write"),
        (
            ("  pull_request:\n", "  pull_request_target:\n"),
            "`pull_request_target` runs with this repository's secrets",
        ),
        (("  pull_request:\n", "  pull_request:\n  workflow_run:\n    workflows: [x]\n"), "`workflow_run`"),
        (("    if: " + FORK_GUARD + "\n", ""), "uses secrets or an OIDC token on pull requests without"),
        (
            ("          persist-credentials: false\n", "          fetch-depth: 1\n"),
            "without `persist-credentials: false`",
        ),
    ],
)
def test_each_rule_catches_its_breakage(tmp_path, change, expected):
    old, new = change
    assert old in GOOD
    found = problems_of(GOOD.replace(old, new, 1), tmp_path)
    assert any(expected in problem for problem in found), found


def test_an_oidc_token_without_aws_credentials_is_a_problem(tmp_path):
    text = GOOD.replace(GOOD[GOOD.index("      - uses: aws-actions") : GOOD.index("      - run:")], "")
    assert any("asks for id-token: write but takes no AWS credentials" in p for p in problems_of(text, tmp_path))


# --- every command a workflow runs exists -------------------------------------------------------


def test_every_command_is_a_make_target_or_a_verb_of_the_cli():
    targets = make_targets()
    parser = build_parser()
    seen = set()
    for name, job, words in every_command():
        where = f"{name} job {job}: {' '.join(words)}"
        if words[0] in SHELL:
            continue
        if words[0] == "make":
            assert len(words) == 2 and words[1] in targets, where
        elif words[:3] == [".venv/bin/python", "-m", "automation"]:
            args = [w.replace("$STACK", STACKS[0]) for w in words[3:]]
            parser.parse_args(args)  # exits 2 (SystemExit) on an unknown verb or option
            seen.add(args[0])
        else:
            pytest.fail(f"{where}: not a make target, a verb of python -m automation, nor {sorted(SHELL)}")
    assert seen == {"deploy", "pipeline", "doctor"}


@pytest.mark.cli
def test_every_verb_a_workflow_runs_answers_help(cli_env, project_root):
    import subprocess
    import sys

    verbs = {words[3] for _, _, words in every_command() if words[:3] == [".venv/bin/python", "-m", "automation"]}
    for verb in sorted(verbs):
        result = subprocess.run(
            [sys.executable, "-m", "automation", verb, "--help"], cwd=project_root, env=cli_env, capture_output=True
        )
        assert result.returncode == 0, (verb, result.stderr)


def test_the_command_finder_sees_through_pipes_and_redirections():
    from tests.ci.workflows import commands

    line = '{ echo "x"; cat preview.txt; echo y; } >> "$GITHUB_STEP_SUMMARY" && make lint | tee out'
    assert [words[0] for words in commands(line)] == ["{", "cat", "echo", "}", "make", "tee"]


# --- the deploy jobs ------------------------------------------------------------------------------


def pinned_pulumi() -> str:
    match = re.search(r"^pulumi==([\d.]+)", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert match
    return match.group(1)


def test_ci_installs_the_pulumi_cli_of_the_locked_sdk():
    versions = {
        str(step["with"]["pulumi-version"])
        for document in all_workflows().values()
        for job in document["jobs"].values()
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("pulumi/actions@")
    }
    assert versions == {pinned_pulumi()}


def test_each_deploying_job_is_one_stack_in_its_environment_one_at_a_time():
    deploying = {
        (name, job_id): job
        for name, document in all_workflows().items()
        for job_id, job in document["jobs"].items()
        if any("--yes" in line or "--skip-deploy" in line for s in job["steps"] for line in run_lines(s.get("run", "")))
    }
    assert set(deploying) == {("main.yml", "dev"), ("main.yml", "prod"), ("run-job.yml", "run")}
    for (name, job_id), job in deploying.items():
        stack = job["env"]["STACK"]
        assert job["environment"] == stack, (name, job_id)
        assert job["concurrency"] == {"group": f"stack-{stack}", "cancel-in-progress": False}, (name, job_id)


def test_prod_deploys_after_dev_in_its_own_environment():
    main = jobs("main.yml")
    assert main["prod"]["needs"] == "dev" and main["prod"]["environment"] == "prod"
    assert main["dev"]["env"]["STACK"] == "dev" and main["prod"]["env"]["STACK"] == "prod"


def test_the_dispatch_offers_the_projects_stacks():
    stack = workflow("run-job.yml")["on"]["workflow_dispatch"]["inputs"]["stack"]
    assert stack["type"] == "choice" and sorted(stack["options"]) == STACKS


def test_previews_run_outside_any_environment_for_each_stack_with_its_preview_role():
    """A job in an environment is `environment:NAME` to the deploy role's trust; a preview must be
    `pull_request`, which only the preview role trusts."""
    preview = jobs("pull-request.yml")["preview"]
    assert "environment" not in preview
    assert preview["if"].startswith(FORK_GUARD)
    matrix = preview["strategy"]["matrix"]["include"]
    assert sorted(entry["stack"] for entry in matrix) == STACKS
    assert all(entry["role"] == f"{entry['stack'].upper()}_PREVIEW_ROLE_ARN" for entry in matrix)
    (script,) = [s["run"] for s in preview["steps"] if "--preview" in s.get("run", "")]
    assert '--stack "$STACK" --preview' in script and "GITHUB_STEP_SUMMARY" in script


def test_the_main_sequence_is_deploy_then_pipeline_then_doctor():
    (step,) = [s for s in jobs("main.yml")["dev"]["steps"] if s.get("id") == "sequence"]
    verbs = [line.split()[3] for line in run_lines(step["run"])]
    assert verbs == ["deploy", "pipeline", "doctor"]
