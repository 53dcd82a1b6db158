"""Atomic output: all or nothing, normal permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from themegrid.atomic import atomic_path


def test_success_replaces_the_target_with_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out" / "file.csv"
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in target.parent.iterdir()] == ["file.csv"]


def test_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "file.csv"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.csv"]


def test_temporaries_left_by_a_killed_process_are_removed_on_the_next_write(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    pid = int(dead.stdout)
    target = tmp_path / "theme_matrix.xlsx"
    stale = tmp_path / f".theme_matrix.xlsx.tg{pid}-abc123.tmp"
    stale.write_bytes(b"x" * 1000)
    live = tmp_path / f".theme_matrix.xlsx.tg{os.getppid()}-def456.tmp"  # a running process
    live.write_bytes(b"y")
    other = tmp_path / f".review.xlsx.tg{pid}-abc123.tmp"  # another target: not ours to clean
    other.write_bytes(b"z")
    with atomic_path(target) as tmp:
        assert f".tg{os.getpid()}-" in tmp.name
        tmp.write_text("new")
    assert not stale.exists()
    assert live.exists() and other.exists()
    assert target.read_text() == "new"


def test_a_full_disk_is_a_one_line_output_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from themegrid import atomic
    from themegrid.errors import OutputError

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full)
    target = tmp_path / "out.csv"
    with (
        pytest.raises(OutputError, match=r"disk is full.*nothing was replaced"),
        atomic_path(target) as tmp,
    ):
        tmp.write_text("x")
    assert list(tmp_path.iterdir()) == []
