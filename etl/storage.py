"""Files in the lake through Hadoop's FileSystem API, so one code path serves `s3://` on
Glue (EMRFS) and `file://` locally.

Only what the job needs: list a folder (or everything under it), read and write small text
files, delete a folder.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import SparkSession

from etl.files import PARQUET_HEAD_BYTES, PARQUET_TAIL_BYTES, is_data_file, parquet_frame_problem


@dataclass(frozen=True)
class FileEntry:
    """A data file as listed: name, size in bytes, modification time in milliseconds."""

    path: str
    name: str
    size: int
    modified_ms: int


class LakeFiles:
    """A thin wrapper over the JVM's Hadoop FileSystem for one Spark session."""

    def __init__(self, spark: SparkSession):
        jvm = spark.sparkContext._jvm
        # Optional in pyspark's hints only until a context starts; a session's has (pyspark asserts the same).
        assert jvm is not None
        self._jvm = jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, uri: str):
        path = self._jvm.org.apache.hadoop.fs.Path(uri)
        return path, path.getFileSystem(self._conf)

    def exists(self, uri: str) -> bool:
        path, fs = self._path(uri)
        return bool(fs.exists(path))

    def list_data_files(self, folder: str) -> list[FileEntry]:
        """Data files directly in `folder` (no hidden or marker files); [] if absent."""
        path, fs = self._path(folder)
        if not fs.exists(path):
            return []
        entries = []
        for status in fs.listStatus(path):
            if not status.isFile():
                continue
            file_path = status.getPath()
            name = file_path.getName()
            if is_data_file(name):
                entries.append(
                    FileEntry(
                        path=file_path.toString(),
                        name=name,
                        size=int(status.getLen()),
                        modified_ms=int(status.getModificationTime()),
                    )
                )
        return sorted(entries, key=lambda e: e.name)

    def list_all_files(self, folder: str) -> list[FileEntry]:
        """Every file under `folder`, at any depth, hidden and marker files included; [] if
        absent. One recursive listing (on S3 a flat listing of the prefix)."""
        path, fs = self._path(folder)
        if not fs.exists(path):
            return []
        entries = []
        files = fs.listFiles(path, True)
        while files.hasNext():
            status = files.next()
            file_path = status.getPath()
            entries.append(
                FileEntry(
                    path=file_path.toString(),
                    name=file_path.getName(),
                    size=int(status.getLen()),
                    modified_ms=int(status.getModificationTime()),
                )
            )
        return sorted(entries, key=lambda e: e.path)

    def parquet_problem(self, uri: str) -> str | None:
        """Why a file is not a readable Parquet file by its frame alone, or None
        (`etl.files.parquet_frame_problem`; reads 12 bytes)."""
        path, fs = self._path(uri)
        size = int(fs.getFileStatus(path).getLen())
        if size < PARQUET_HEAD_BYTES + PARQUET_TAIL_BYTES:
            return parquet_frame_problem(size, b"", b"")
        stream = fs.open(path)
        try:
            head = bytes(stream.read() & 0xFF for _ in range(PARQUET_HEAD_BYTES))
            stream.seek(size - PARQUET_TAIL_BYTES)
            tail = bytes(stream.read() & 0xFF for _ in range(PARQUET_TAIL_BYTES))
        finally:
            stream.close()
        return parquet_frame_problem(size, head, tail)

    def read_text(self, uri: str) -> str | None:
        """The file's text, or None when it does not exist."""
        path, fs = self._path(uri)
        if not fs.exists(path):
            return None
        stream = fs.open(path)
        try:
            reader = self._jvm.java.io.BufferedReader(self._jvm.java.io.InputStreamReader(stream, "UTF-8"))
            lines = []
            line = reader.readLine()
            while line is not None:
                lines.append(line)
                line = reader.readLine()
            return "\n".join(lines)
        finally:
            stream.close()

    def write_text(self, uri: str, text: str) -> None:
        """Write (replace) a small text file."""
        path, fs = self._path(uri)
        stream = fs.create(path, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()

    def delete(self, uri: str) -> bool:
        """Delete a file or a folder with everything under it."""
        path, fs = self._path(uri)
        return bool(fs.delete(path, True))


def join(base: str, *parts: str) -> str:
    """Join URI parts with single slashes."""
    return "/".join([base.rstrip("/"), *[p.strip("/") for p in parts]])
