"""The Automation API layer: deploy, preview, destroy and read the outputs of a stack.

Drives the Pulumi CLI through `pulumi.automation` (a `LocalWorkspace` on the project
folder). It must not call AWS itself, and it never runs without the Pulumi CLI: that is
detected first and reported in one line.
"""

from __future__ import annotations

import shutil

from etl.errors import PipelineError

INSTALL_URL = "https://www.pulumi.com/docs/install/"


class DeployError(PipelineError):
    """A deploy, preview, destroy or outputs request failed; the message is one line for the user."""


def require_pulumi_cli() -> str:
    """The Pulumi CLI the Automation API will run (`pulumi` on PATH), or DeployError."""
    found = shutil.which("pulumi")
    if found is None:
        raise DeployError(
            f"the Pulumi CLI is not on PATH: install it ({INSTALL_URL}); without it, the operations verbs "
            "work with --outputs-file FILE (the JSON of `pulumi stack output --json`)"
        )
    return found
