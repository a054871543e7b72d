"""Tell mutmut's recording pass which functions a rendering subprocess called (tests only).

mutmut learns which tests reach a function by recording the calls made in the pytest process
(`MUTANT_UNDER_TEST=stats`). The infra tests render the Pulumi program in a subprocess
(`tests/infra/conftest.py`: Pulumi's mock runtime keeps global state), where those calls would
be recorded and lost. During that pass the fixture puts this folder first on the subprocess's
PYTHONPATH (the `site` module imports `sitecustomize` at start-up) with `MUTMUT_HITS_FILE` set;
at exit the subprocess writes the functions it called there, one per line, and the fixture adds
them to the pass's record for every test that uses the rendering. In any other run this does
nothing.
"""

from __future__ import annotations

import atexit
import os

_HITS_FILE = os.environ.get("MUTMUT_HITS_FILE")


def _write_hits() -> None:
    try:
        from mutmut.state import state
    except ImportError:
        return
    with open(_HITS_FILE or "", "w", encoding="utf-8") as hits:
        hits.write("\n".join(sorted(state()._stats)))


if _HITS_FILE and os.environ.get("MUTANT_UNDER_TEST") == "stats":
    atexit.register(_write_hits)
