"""Pulumi entry point: load the stack's settings, build the pipeline, export its outputs."""

from infra.program import define

define()
