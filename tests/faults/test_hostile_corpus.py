"""Hostile corpus input: links out of the project, paths outside corpus/, unreadable,
oversized and oddly named files, and texts longer than spaCy accepts."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from fault_helpers import cli

from conftest import INTERVIEW_AZ, write_project
from themegrid.store.connection import Store


def _documents(project) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with Store(project.store_path) as store:
        return {r[0]: r[1] for r in store.query("SELECT path, text FROM documents")}


def test_a_symlink_out_of_the_project_is_skipped_and_never_exported(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("Respondent: the password is hunter2 and the budget is secret\n")
    project = write_project(tmp_path / "study", {"interviews/az.txt": INTERVIEW_AZ})
    (project.corpus_dir / "interviews" / "leak.txt").symlink_to(secret)
    outside_dir = tmp_path / "elsewhere"
    outside_dir.mkdir()
    (outside_dir / "more.txt").write_text("Respondent: hunter2 again\n")
    (project.corpus_dir / "linked").symlink_to(outside_dir, target_is_directory=True)
    result = cli("code", "--no-model", "--project", project.root)
    assert result.exit_code == 0, result.output
    assert "interviews/leak.txt: a symbolic link to" in result.output
    docs = _documents(project)
    assert set(docs) == {"interviews/az.txt"}
    assert not any("hunter2" in text for text in docs.values())
    out = tmp_path / "p.qdpx"
    assert (
        cli("export", "qdpx", out, "--include-suggestions", "--project", project.root).exit_code
        == 0
    )
    with zipfile.ZipFile(out) as zf:
        assert not any(b"hunter2" in zf.read(name) for name in zf.namelist())


def test_a_symlink_inside_the_project_is_read(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study", {"interviews/az.txt": INTERVIEW_AZ})
    (project.corpus_dir / "interviews" / "again.txt").symlink_to(
        project.corpus_dir / "interviews" / "az.txt"
    )
    assert cli("ingest", "--project", project.root).exit_code == 0
    assert "interviews/again.txt" in _documents(project)


@pytest.mark.parametrize(
    "bad", ["../secret.txt", "/etc/passwd", "interviews/../../x.txt", "C:\\x.txt"]
)
def test_metadata_paths_outside_corpus_are_ignored_with_a_warning(tmp_path: Path, bad: str) -> None:
    metadata = f'file,state\ninterviews/az.txt,Arizona\n"{bad}",Nevada\n'
    project = write_project(tmp_path / "study", {"interviews/az.txt": INTERVIEW_AZ}, metadata)
    result = cli("ingest", "--project", project.root)
    assert result.exit_code == 0, result.output
    assert "points outside corpus/; row ignored" in result.output
    assert set(_documents(project)) == {"interviews/az.txt"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_mode_000_file_is_skipped_with_a_message(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study")
    locked = project.corpus_dir / "interviews" / "nv.txt"
    locked.chmod(0)
    try:
        result = cli("code", "--no-model", "--project", project.root)
    finally:
        locked.chmod(0o644)
    assert result.exit_code == 0, result.output
    assert "nv.txt: cannot be read" in result.output
    assert set(_documents(project)) == {"interviews/az.txt"}


def test_an_unreadable_file_is_skipped_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same guard as the mode-000 test, for runs as root (which reads any file)."""
    project = write_project(tmp_path / "study")
    real = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self.name == "nv.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    result = cli("code", "--no-model", "--project", project.root)
    assert result.exit_code == 0, result.output
    assert "corpus/interviews/nv.txt: cannot be read (Permission denied); skipped" in result.output
    assert set(_documents(project)) == {"interviews/az.txt"}


def test_an_oversized_file_is_refused_naming_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_project(tmp_path / "study")
    monkeypatch.setenv("THEMEGRID_MAX_FILE_BYTES", "200")
    result = cli("ingest", "--project", project.root)
    assert result.exit_code == 0, result.output
    assert "more than a corpus file may be (200 bytes)" in result.output
    assert "THEMEGRID_MAX_FILE_BYTES" in result.output
    assert "interviews/az.txt" not in _documents(project)


def test_a_file_name_with_a_newline_is_skipped(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study", {"interviews/az.txt": INTERVIEW_AZ})
    (project.corpus_dir / "bad\nname.txt").write_text("Respondent: budget\n")
    result = cli("ingest", "--project", project.root)
    assert result.exit_code == 0, result.output
    assert "control character" in result.output
    assert set(_documents(project)) == {"interviews/az.txt"}


def test_a_paragraph_longer_than_spacys_limit_is_split_not_fatal(tmp_path: Path) -> None:
    from themegrid.tag.nlp import shared_nlp

    nlp = shared_nlp()
    old = nlp.max_length
    nlp.max_length = 5000
    try:
        words = " ".join(f"word{i} budget" if i % 50 == 0 else f"word{i}" for i in range(3000))
        project = write_project(tmp_path / "study", {"reports/long.txt": words + "\n"})
        result = cli("code", "--no-model", "--project", project.root)
    finally:
        nlp.max_length = old
    assert result.exit_code == 0, result.output
    with Store(project.store_path) as store:
        lengths = [r[0] for r in store.query("SELECT LENGTH(text) FROM segments")]
    assert lengths and max(lengths) <= 5000
