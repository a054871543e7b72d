"""The job's own errors. Each says what is wrong in one line a data engineer can act on.

The CLI prints `str(error)` on stderr and exits non-zero; none of these needs a traceback.
Standard library only.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base class: a bad input or a refused run, never a bug."""


class JobArgumentError(PipelineError):
    """An argument is missing or out of range."""


class SchemaContractError(PipelineError):
    """The source table lacks a required column or stores one as an unreadable type."""


class EmptySilverError(PipelineError):
    """The source table has no data: nothing is written, gold stays as it was."""


class RejectRatioExceeded(PipelineError):
    """Too many rows failed the quality rules: gold is not written."""
