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
