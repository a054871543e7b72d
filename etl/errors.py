"""The job's own errors. Each says what is wrong in one line a data engineer can act on.

The CLI prints `str(error)` on stderr and exits non-zero; none of these needs a traceback.
Standard library only.
"""

from __future__ import annotations

import re

# Spark's message when a task cannot read a data file (FileScanRDD / QueryExecutionErrors).
_UNREADABLE_FILE = re.compile(r"Encountered error while reading file (\S+?)\.?(?:\s|$)")


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


class SilverReadError(PipelineError):
    """A silver file could not be read (corrupt or not Parquet): gold is left as it was."""


class LakeWriteError(PipelineError):
    """Writing the quarantine or gold failed: the run's state is not saved, so the next run
    recomputes the same partitions."""


def describe_failure(error: BaseException) -> str:
    """One line for an unexpected failure, from the Java root cause when there is one.

    Spark's errors arrive as Py4J errors whose text is a whole Java stack trace; the
    deepest cause usually says what actually went wrong.
    """
    java = getattr(error, "java_exception", None)
    messages: list[str] = []
    while java is not None:
        text = str(java.getMessage() or java.getClass().getName()).strip()
        messages.append(text.splitlines()[0] if text else str(java.getClass().getName()))
        java = java.getCause()
    if messages:
        return messages[-1][:500]
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:500]


def unreadable_file(error: BaseException) -> str | None:
    """The data file Spark names in a read failure's Java cause chain, if it names one."""
    java = getattr(error, "java_exception", None)
    while java is not None:
        found = _UNREADABLE_FILE.search(str(java.getMessage() or ""))
        if found:
            return found.group(1)
        java = java.getCause()
    found = _UNREADABLE_FILE.search(str(error))
    return found.group(1) if found else None
