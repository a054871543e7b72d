"""Stacks rendered with `githubRepository` set (in a subprocess: Pulumi's mock runtime keeps
global state), as a team deploying from GitHub Actions has them."""

from __future__ import annotations

import pytest

from automation.stack.synth import read_stack_config
from tests.infra.conftest import Rendered, dev, dev_rendered, prod, prod_rendered, stack, synth_config

# The stacks as their files declare them, shared with tests/infra.
__all__ = ["dev", "dev_rendered", "prod", "prod_rendered", "stack"]

REPOSITORY = "acme/lake"


@pytest.fixture(scope="session")
def with_github(project_root, cli_env):
    """`with_github(stack, repository)` -> the stack's own config plus `githubRepository`, rendered."""
    cache: dict[tuple[str, str], Rendered] = {}

    def render(stack: str, repository: str = REPOSITORY) -> Rendered:
        if (stack, repository) not in cache:
            config, region = read_stack_config(stack)
            assert region in (None, "us-east-1"), "synth_config renders in us-east-1"
            cache[stack, repository] = Rendered(
                synth_config(stack, {**config, "githubRepository": repository}, project_root, cli_env)
            )
        return cache[stack, repository]

    return render


@pytest.fixture(scope="session")
def render_github_config(project_root, cli_env):
    """`render_github_config(stack, config)`: an inline config (no stack file) with `githubRepository`."""
    return lambda stack, config: Rendered(
        synth_config(stack, {**config, "githubRepository": REPOSITORY}, project_root, cli_env)
    )
