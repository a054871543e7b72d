"""Deterministic packaging of `etl/` for Glue's --extra-py-files.

Same files -> same bytes -> same S3 key; any change -> a new key carrying the content hash,
so earlier versions stay in S3 for rollback. Entries are sorted, timestamps and permissions
fixed, caches excluded.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
ETL_DIR = Path(__file__).resolve().parents[1] / "etl"


@dataclass(frozen=True)
class Package:
    """A built package: its bytes, content hash and the S3 keys it goes to."""

    data: bytes
    sha256: str

    @property
    def key(self) -> str:
        return f"artifacts/etl/etl-{self.sha256[:16]}.zip"

    @property
    def script_key(self) -> str:
        return f"artifacts/etl/job-{self.sha256[:16]}.py"


def _sources(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
    )


def build_package(root: Path = ETL_DIR) -> Package:
    """Zip `root` (as the `etl` package) deterministically."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in _sources(root):
            info = zipfile.ZipInfo(f"{root.name}/{path.relative_to(root).as_posix()}", date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    data = buffer.getvalue()
    return Package(data=data, sha256=hashlib.sha256(data).hexdigest())
