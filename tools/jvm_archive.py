"""A class-data-sharing archive of Spark's classes for the tests' JVMs (`make test`, `make docs`).

The suite starts dozens of short JVMs (each `local` an e2e test or a docs example runs, the
benchmark's cases, a Spark session per test worker), and each spends seconds loading and
verifying the same few thousand classes from pyspark's jars. Java's AppCDS keeps them ready in
an archive the JVM maps at start instead: a JVM started with `-XX:ArchiveClassesAtExit=FILE`
writes every class it loaded to FILE when it exits, and later JVMs started with
`-XX:SharedArchiveFile=FILE` map it (JEP 350, "Dynamic CDS Archives",
https://openjdk.org/jeps/350; the `java` manual's "Application Class Data Sharing",
https://docs.oracle.com/en/java/javase/17/docs/specs/man/java.html). Measured here:
`local --rows 3000 --months 2` from 12.9 s to 8.8 s, 16 to 12 CPU-seconds.

    python -m tools.jvm_archive FILE    make FILE (unless it is there for this Java and pyspark),
                                        then print the JVM options that use it (nothing when
                                        this Java cannot make one: the tests then run without)

The archive is made by one small `python -m automation local` run, so it holds the classes of
every step of the pipeline. It belongs to one Java build and one set of jars (a JVM given an
archive of another refuses it with a warning and loads classes as usual), so a key file beside
it names both, and a change of either makes it again. The options also send the JVM's unified
log warnings (a refused archive's among them) to stderr: by default they go to stdout, where a
`--json` line is read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG_TO_STDERR = ("-Xlog:disable", "-Xlog:all=warning:stderr")


def _key() -> str:
    """What the archive depends on: the Java build and pyspark's jars."""
    import pyspark

    from automation.local.session import find_java

    java = find_java()
    env = {k: v for k, v in os.environ.items() if k != "JAVA_TOOL_OPTIONS"}  # no "Picked up ..." line
    version = subprocess.run([java, "-version"], capture_output=True, text=True, check=True, env=env).stderr.strip()
    return f"{java}\n{version}\n{Path(pyspark.__file__).parent / 'jars'} {pyspark.__version__}\n"


def make(archive: Path) -> bool:
    """Make `archive` from a small local run; False when this Java made none."""
    with tempfile.TemporaryDirectory(prefix="jvm-archive-") as folder:
        written = Path(folder) / "spark.jsa"
        env = {
            **os.environ,
            "JAVA_TOOL_OPTIONS": " ".join(
                [os.environ.get("JAVA_TOOL_OPTIONS", ""), f"-XX:ArchiveClassesAtExit={written}", *LOG_TO_STDERR]
            ).strip(),
        }
        # Read to the end of stdout: the Spark JVM holds it until it has exited, which is when it
        # writes the archive (it ends after this process, when its stdin closes).
        result = subprocess.run(
            [sys.executable, "-m", "automation", "local", "--lake", str(Path(folder) / "lake")]
            + ["--rows", "3000", "--months", "2", "--json"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=600,
        )
        if result.returncode != 0 or not written.exists() or written.stat().st_size < 1_000_000:
            # The launcher JVM (spark-submit's, a megabyte of classes) writes one too: not the one.
            print(
                f"jvm-archive: none made; the tests' JVMs load classes as usual ({result.stderr.strip()[-300:]})",
                file=sys.stderr,
            )
            return False
        archive.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(written, archive)
        return True


def options(archive: Path) -> str:
    """The archive's JVM options, making it first when it is missing or of another Java or pyspark."""
    if any(c.isspace() for c in str(archive)):
        return ""  # JAVA_TOOL_OPTIONS splits at white space: no archive for a project path that has some
    key_file = archive.with_suffix(".key")
    key = _key()
    if not (archive.exists() and key_file.exists() and key_file.read_text() == key):
        archive.unlink(missing_ok=True)
        key_file.unlink(missing_ok=True)
        print("jvm-archive: archiving Spark's classes for the tests' JVMs (once, about half a minute)", file=sys.stderr)
        if not make(archive):
            return ""
        key_file.write_text(key)
    return " ".join([f"-XX:SharedArchiveFile={archive}", *LOG_TO_STDERR])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tools.jvm_archive FILE", file=sys.stderr)
        return 2
    print(options(Path(args[0]).resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
