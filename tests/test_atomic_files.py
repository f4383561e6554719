"""Atomic writers: nothing half-written survives a failure; outputs get normal permissions."""

from __future__ import annotations

import os
import stat

import pytest

from latentspace.files.atomic import atomic_directory, atomic_path, write_text_atomic


def test_failure_leaves_nothing_behind(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "out.png") as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("writer crashed")
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_previous_file(tmp_path):
    write_text_atomic(tmp_path / "a.txt", "old")
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "a.txt") as tmp:
            assert tmp.suffix == ".txt" and tmp.parent == tmp_path
            tmp.write_text("new")
            raise RuntimeError
    assert (tmp_path / "a.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_permissions_follow_the_umask(tmp_path):
    old_mask = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "f.txt", "x")
        with atomic_directory(tmp_path / "site") as build:
            (build / "index.html").write_text("x")
    finally:
        os.umask(old_mask)
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "site").stat().st_mode) == 0o755


def test_directory_is_replaced_whole_or_not_at_all(tmp_path):
    with atomic_directory(tmp_path / "site") as build:
        (build / "old.html").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_directory(tmp_path / "site") as build:
            (build / "new.html").write_text("new")
            raise RuntimeError
    assert [p.name for p in (tmp_path / "site").iterdir()] == ["old.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    with atomic_directory(tmp_path / "site") as build:
        (build / "new.html").write_text("new")
    assert [p.name for p in (tmp_path / "site").iterdir()] == ["new.html"]
