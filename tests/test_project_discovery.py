"""Finding the project: outside one nothing is created; inside a subfolder the project is found."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_project
from themegrid.cli import app
from themegrid.errors import ProjectError
from themegrid.project import open_project

# Every command that works on a project, with the arguments it requires. Input files
# live outside the folder under test; output paths point into it.
COMMANDS = [
    ["status"],
    ["ingest"],
    ["code"],
    ["report"],
    ["report", "--out", "{dir}/matrix.xlsx"],
    ["review", "export"],
    ["review", "export", "{dir}/review.xlsx"],
    ["review", "import", "{inputs}/review.xlsx", "--coder", "ana"],
    ["export", "segments", "{dir}/segments.csv"],
    ["export", "qdc", "{dir}/codebook.qdc"],
    ["export", "qdpx", "{dir}/project.qdpx"],
    ["import", "qdc", "{inputs}/codebook.qdc"],
    ["import", "qdpx", "{inputs}/project.qdpx"],
    ["import-coded", "{inputs}/coded.csv", "--coder", "ana"],
    ["evaluate", "--against", "ana"],
    ["agreement", "--coders", "ana", "ben"],
    ["codebook", "check"],
]
IDS = [" ".join(a for a in args if "{" not in a) for args in COMMANDS]


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    for name in ("review.xlsx", "codebook.qdc", "project.qdpx"):
        (folder / name).write_bytes(b"not used")
    (folder / "coded.csv").write_text("id,text,code\n1,Budget cuts.,funding\n", encoding="utf-8")
    return folder


def everything_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


def run(args: list[str], folder: Path, inputs: Path):
    argv = [a.format(dir=folder, inputs=inputs) for a in args]
    return CliRunner().invoke(app, argv)


def check_refused(result, folder: Path) -> None:
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert str(folder.resolve()) in result.output
    assert "themegrid init" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_outside_a_project_nothing_is_created(
    args: list[str], tmp_path: Path, inputs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    before_inputs = {p: p.read_bytes() for p in inputs.iterdir()}
    check_refused(run(args, empty, inputs), empty)
    assert everything_under(empty) == []
    assert {p: p.read_bytes() for p in inputs.iterdir()} == before_inputs


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_a_project_option_that_is_not_a_project_creates_nothing(
    args: list[str], tmp_path: Path, inputs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "not_a_project"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("my notes", encoding="utf-8")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    check_refused(run([*args, "--project", str(elsewhere)], elsewhere, inputs), elsewhere)
    assert everything_under(elsewhere) == [elsewhere / "notes.txt"]
    assert everything_under(cwd) == []


def test_status_from_a_subfolder_finds_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_project(tmp_path / "proj")
    assert CliRunner().invoke(app, ["ingest", "--project", str(project.root)]).exit_code == 0
    listed = sorted(project.root.iterdir())
    monkeypatch.chdir(project.corpus_dir / "interviews")

    result = CliRunner().invoke(app, ["status", "--json"])

    assert result.exit_code == 0, result.output
    assert f"Using the project in {project.root.resolve()}" in result.stderr
    assert '"documents"' in result.stdout and str(project.root.resolve()) not in result.stdout
    assert sorted(project.root.iterdir()) == listed
    assert not (project.corpus_dir / "interviews" / "themegrid.sqlite").exists()


def test_subprocess_status_from_corpus_names_the_project_on_stderr_only(tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj")
    assert CliRunner().invoke(app, ["ingest", "--project", str(project.root)]).exit_code == 0
    out = subprocess.run(
        [sys.executable, "-m", "themegrid", "status", "--json"],
        cwd=project.corpus_dir,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "160"},
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == f"Using the project in {project.root.resolve()}"
    assert out.stdout.lstrip().startswith("{")


def test_in_the_project_folder_itself_nothing_is_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "proj")
    monkeypatch.chdir(project.root)
    assert open_project().root == project.root.resolve()
    assert capsys.readouterr().err == ""


def test_an_explicit_folder_is_not_searched_upwards(tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj")
    with pytest.raises(ProjectError, match="themegrid init"):
        open_project(project.corpus_dir / "interviews")
