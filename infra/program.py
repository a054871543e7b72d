"""The Pulumi program: settings in, the pipeline component (and, with `githubRepository`, GitHub
Actions' roles beside it), outputs exported.

Shared by `__main__.py` (pulumi up) and `automation synth` (mock runtime).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pulumi

from infra import outputs as out
from infra.github import GitHubAccess, github_access, github_outputs
from infra.pipeline import SilverToGoldPipeline, alarm_names, declared_log_groups
from infra.settings import Settings, load_settings


@dataclass(frozen=True)
class Program:
    """What the program declared: the pipeline, GitHub Actions' access (None without
    `githubRepository`), and every stack output."""

    pipeline: SilverToGoldPipeline
    github: GitHubAccess | None
    outputs: dict[str, Any]


def define(settings: Settings | None = None) -> Program:
    settings = settings or load_settings()
    pipeline = SilverToGoldPipeline("silver-to-gold", settings)
    github = github_access(
        "silver-to-gold",
        settings,
        cast(pulumi.Output[str], pipeline.outputs[out.OPERATOR_POLICY_ARN]),
        list(declared_log_groups(settings).values()),
        alarm_names(settings),
    )
    outputs = {**pipeline.outputs, **github_outputs(github)}
    for name, value in outputs.items():
        pulumi.export(name, value)
    return Program(pipeline, github, outputs)
