"""tools/jvm_archive.py: the archive of Spark's classes is made once per Java and pyspark, and a
path the JVM's options cannot carry gets none (the tests then run without it)."""

from __future__ import annotations

import pytest

from tools import jvm_archive


@pytest.fixture
def makes(monkeypatch):
    """Every archive `options` asks to be made, written as a stand-in file instead of a Spark run."""
    made = []

    def make(archive):
        made.append(archive)
        archive.write_bytes(b"archive")
        return True

    monkeypatch.setattr(jvm_archive, "make", make)
    monkeypatch.setattr(jvm_archive, "_key", lambda: "java 17.0.15\npyspark 3.5.4\n")
    return made


def test_an_archive_of_this_java_and_pyspark_is_used_as_it_is(tmp_path, makes):
    archive = tmp_path / "spark.jsa"
    first = jvm_archive.options(archive)
    assert makes == [archive]
    assert first.split() == [f"-XX:SharedArchiveFile={archive}", "-Xlog:disable", "-Xlog:all=warning:stderr"]
    assert jvm_archive.options(archive) == first
    assert makes == [archive]  # not made again


def test_an_archive_of_another_java_is_made_again(tmp_path, makes):
    archive = tmp_path / "spark.jsa"
    archive.write_bytes(b"old")
    archive.with_suffix(".key").write_text("java 11.0.2\npyspark 3.5.4\n")
    jvm_archive.options(archive)
    assert makes == [archive]
    assert archive.with_suffix(".key").read_text() == "java 17.0.15\npyspark 3.5.4\n"


def test_no_archive_when_none_could_be_made_or_its_path_has_spaces(tmp_path, makes, monkeypatch):
    assert jvm_archive.options(tmp_path / "my project" / "spark.jsa") == ""
    assert makes == []
    monkeypatch.setattr(jvm_archive, "make", lambda archive: False)
    assert jvm_archive.options(tmp_path / "spark.jsa") == ""
    assert not (tmp_path / "spark.key").exists()  # so the next run tries again
