"""The Pulumi program: settings in, one pipeline component, outputs exported.

Shared by `__main__.py` (pulumi up) and `automation synth` (mock runtime).
"""

from __future__ import annotations

import pulumi

from infra.pipeline import SilverToGoldPipeline
from infra.settings import Settings, load_settings


def define(settings: Settings | None = None) -> SilverToGoldPipeline:
    settings = settings or load_settings()
    pipeline = SilverToGoldPipeline("silver-to-gold", settings)
    for name, value in pipeline.outputs.items():
        pulumi.export(name, value)
    return pipeline
