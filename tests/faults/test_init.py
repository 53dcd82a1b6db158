"""An interrupted `themegrid init` can be run again, and init never overwrites a researcher's
own file in the folder (the kill -9 runs of init are in test_kill.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import themegrid.project as project_module
from themegrid.errors import ProjectError
from themegrid.project import TEMPLATE_FILES, init_project


def test_an_init_interrupted_midway_runs_again_and_leaves_a_whole_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "study"
    real = project_module.atomic_path
    calls: list[Path] = []

    def interrupted(target: Path | str):  # type: ignore[no-untyped-def]
        calls.append(Path(target))
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C at the third file
        return real(target)

    monkeypatch.setattr(project_module, "atomic_path", interrupted)
    with pytest.raises(KeyboardInterrupt):
        init_project(folder)
    monkeypatch.setattr(project_module, "atomic_path", real)
    assert not (folder / "codebook" / "codebook.yaml").exists()  # not yet a project
    project, written = init_project(folder)  # the retry is not refused
    assert {p.relative_to(folder).as_posix() for p in written} == set(TEMPLATE_FILES[2:])
    assert project.load_codebook().codes  # the template codebook, whole
    assert not list(folder.rglob("*.tmp"))


def test_init_keeps_a_metadata_file_already_in_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    (folder / "corpus").mkdir(parents=True)
    mine = "file,state\ninterviews/a.txt,Ohio\n"
    (folder / "corpus" / "metadata.csv").write_text(mine, encoding="utf-8")
    _, written = init_project(folder)
    assert (folder / "corpus" / "metadata.csv").read_text(encoding="utf-8") == mine
    assert folder / "corpus" / "metadata.csv" not in written


def test_init_still_refuses_a_folder_with_a_codebook(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    (folder / "codebook").mkdir(parents=True)
    (folder / "codebook" / "mine.yaml").write_text("codebook:\n  name: x\n", encoding="utf-8")
    with pytest.raises(ProjectError, match="already holds a themegrid project"):
        init_project(folder)
