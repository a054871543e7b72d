"""The stack: its configuration (`config`), its offline rendering under Pulumi's mocks
(`synth`) and the Automation API (`automation_api`, the only module that imports
`pulumi.automation`). Callers import this package; nothing here shows anything or calls AWS.
"""

from automation.stack.automation_api import (
    MISSING_CLI,
    deploy,
    destroy,
    lake_notice,
    preview,
    require_pulumi_cli,
    stack_outputs,
    up,
)
from automation.stack.config import (
    PROJECT_DIR,
    DeployError,
    check_config,
    namespaced,
    parse_config_pairs,
    project_config,
    stack_file,
    stack_file_config,
)
from automation.stack.events import ChangeSummary, DeployResult, ProgressCallback, StepProgress
from automation.stack.state_backend import StateBackend, check_state_backend, state_backend_problem
from automation.stack.synth import ACCOUNT, Rendering, SynthError, mock_state, read_stack_config, render, synth

__all__ = [
    "ACCOUNT",
    "StateBackend",
    "MISSING_CLI",
    "PROJECT_DIR",
    "ChangeSummary",
    "DeployError",
    "DeployResult",
    "ProgressCallback",
    "Rendering",
    "StepProgress",
    "SynthError",
    "state_backend_problem",
    "check_state_backend",
    "check_config",
    "deploy",
    "destroy",
    "lake_notice",
    "mock_state",
    "namespaced",
    "parse_config_pairs",
    "preview",
    "project_config",
    "read_stack_config",
    "render",
    "require_pulumi_cli",
    "stack_file",
    "stack_file_config",
    "stack_outputs",
    "synth",
    "up",
]
