"""A merge or undo killed after its COMMIT, before its codebook files are renamed into
place, leaves store and files disagreeing: the next 'code', 'merge' or 'unmerge' finishes
the file writes from the run the store recorded, and never touches a file a researcher
changed since."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fault_helpers import cli

from conftest import write_project
from themegrid.codebook import load_codebook
from themegrid.pipeline import merge
from themegrid.store.connection import Store

KILL_BEFORE_FILES = """
import os, sys
from themegrid.pipeline import merge
merge._write_files = lambda *a, **k: os._exit(137)  # as kill -9 right after COMMIT
from themegrid.cli import app
sys.argv = ["themegrid", *sys.argv[1:]]
app()
"""
MERGE = ["codebook", "merge", "barriers.funding", "--into", "barriers.staffing"]


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml"))}


@pytest.mark.processes
def test_a_merge_killed_after_commit_is_finished_by_the_next_code_run(tmp_path: Path) -> None:
    control = write_project(tmp_path / "control")
    assert cli("code", "--no-model", "--project", control.root).exit_code == 0
    assert cli(*MERGE, "--project", control.root).exit_code == 0
    merged = _files(control.codebook_dir)
    project = write_project(tmp_path / "study")
    assert cli("code", "--no-model", "--project", project.root).exit_code == 0
    before = _files(project.codebook_dir)
    assert merged != before
    killed = subprocess.run(
        [sys.executable, "-c", KILL_BEFORE_FILES, *MERGE, "--project", str(project.root)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert killed.returncode == 137, killed.stderr
    assert _files(project.codebook_dir) == before  # committed in the store, files not written
    done = cli("code", "--no-model", "--project", project.root)
    assert done.exit_code == 0, done.output
    assert _files(project.codebook_dir) == merged
    assert "barriers.funding" not in load_codebook(project.codebook_dir)


@contextmanager
def _lost_write(path: Path) -> Iterator[Path]:
    """atomic_path whose rename never happens (the process died just before it)."""
    discard = path.with_name(path.name + ".lost")
    yield discard
    discard.unlink(missing_ok=True)


def _merged_project(tmp_path: Path) -> tuple[Path, Store, int]:
    project = write_project(tmp_path / "study")
    store = Store(project.store_path)
    book = load_codebook(project.codebook_dir)
    run = merge.merge_codes(
        store, book, ["barriers.funding"], "barriers.staffing", project.codebook_dir
    ).run_id
    return project.codebook_dir, store, run


def test_an_undo_killed_after_commit_is_finished_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = write_project(tmp_path / "template").codebook_dir
    folder, store, run = _merged_project(tmp_path)
    with monkeypatch.context() as mp:
        mp.setattr(merge, "atomic_path", _lost_write)
        merge.unmerge(store, run, folder)
    assert _files(folder) != _files(template)  # the store undid the merge, the files did not
    written = merge.settle_codebook_files(store, folder)
    assert written and _files(folder) == _files(template)
    assert merge.settle_codebook_files(store, folder) == ()  # nothing left to finish
    store.close()


def test_a_file_the_researcher_changed_since_is_left_alone(tmp_path: Path) -> None:
    folder, store, _ = _merged_project(tmp_path)
    merged = _files(folder)
    backup = tmp_path / "pre-merge"
    shutil.copytree(write_project(tmp_path / "template").codebook_dir, backup)
    for path in backup.glob("*.yaml"):  # put the pre-merge text back by hand, after the run
        shutil.copy(path, folder / path.name)
        os.utime(folder / path.name)
    by_hand = _files(folder)
    assert by_hand != merged
    assert merge.settle_codebook_files(store, folder) == ()
    assert _files(folder) == by_hand
    store.close()


def test_an_undo_killed_before_its_side_copy_writes_it_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = _files(write_project(tmp_path / "template").codebook_dir)
    folder, store, run = _merged_project(tmp_path)
    edited = next(
        p for p in sorted(folder.glob("*.yaml")) if _files(folder)[p.name] != template[p.name]
    )
    researcher = edited.read_text(encoding="utf-8") + "# a note the researcher added\n"
    edited.write_text(researcher, encoding="utf-8")  # edited since the merge: left alone
    with monkeypatch.context() as mp:
        mp.setattr(merge, "atomic_path", _lost_write)
        undone = merge.unmerge(store, run, folder)
    side = edited.with_name(f"_before_merge_{run}_{edited.name}")
    assert undone.files_left == (str(side),) and not side.exists()
    written = merge.settle_codebook_files(store, folder)
    assert side in written and side.read_text(encoding="utf-8") == template[edited.name]
    assert edited.read_text(encoding="utf-8") == researcher
    assert merge.settle_codebook_files(store, folder) == ()
    store.close()
