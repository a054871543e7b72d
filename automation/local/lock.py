"""One process at a time on a lake: the lake's lock file.

The embedded Derby metastore is single-process (a second JVM on it fails after a minute with
"Unable to instantiate ...SessionHiveMetaStoreClient"), so every command that starts Spark on
a lake (`local`, `query --lake`, `rejects --lake`) takes the lake's lock first and refuses at
once, naming the other process, when it is held. The lock is `flock(2)` on `<lake>/lake.lock`:
the kernel releases it when its holder dies, however it dies, so a killed run leaves a file
but no lock. The file holds who took it (pid, command, since when), for the refusal's line.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from etl.errors import PipelineError

LOCK_FILE = "lake.lock"
# How long a refused command waits for the holder's details to be written (it writes them
# right after it takes the lock).
HOLDER_WAIT_SECONDS = 0.5


class LakeBusy(PipelineError):
    """Another process holds the lake's lock."""


class LakeLock:
    """The lock of one lake, held from `acquire` to `release` (or this process's end)."""

    def __init__(self, lake: Path):
        self.lake = lake
        self.path = lake / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, command: str | None = None) -> None:
        """Take the lock, or refuse in one line naming its holder.

        Raises:
            LakeBusy: another process holds it.
        """
        if self._fd is not None:
            return
        if not self.lake.exists():  # a lake that is a file fails below, naming it
            # exist_ok: two runs started at once on a new lake both get here; the lock then decides.
            self.lake.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by Spark's JVM (O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise LakeBusy(
                f"another process is using the lake {self.lake}: {_describe(holder)}; the lake's catalog takes one "
                "process at a time: wait for it to finish, or use another --lake"
            ) from None
        os.ftruncate(fd, 0)
        holder = {
            "pid": os.getpid(),
            "command": command or shlex.join(["python", "-m", "automation", *sys.argv[1:]]),
            "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        }
        os.write(fd, json.dumps(holder).encode())
        self._fd = fd

    def release(self) -> None:
        """Give the lock back (the file stays: the next holder rewrites it)."""
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> LakeLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> dict[str, Any]:
    """The holder's details; it may not have written them yet (it takes the lock first)."""
    deadline = time.monotonic() + HOLDER_WAIT_SECONDS
    while True:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 4096).decode(errors="replace")
        try:
            holder = json.loads(text)
            if isinstance(holder, dict):
                return holder
        except json.JSONDecodeError:
            pass
        if time.monotonic() > deadline:
            return {}
        time.sleep(0.05)


def _describe(holder: dict[str, Any]) -> str:
    if not holder.get("pid"):
        return "a process whose details are not written yet"
    return f"pid {holder['pid']} (`{holder.get('command', '?')}`, since {holder.get('since', '?')})"
