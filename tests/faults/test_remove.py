"""``themegrid remove DOC``: refused while human decisions hang on it, archived (never
deleted) with --force, recorded in the run history, all in one transaction."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from fault_helpers import cli, human_decisions, reviewed_project

from themegrid import api
from themegrid.errors import RemoveError
from themegrid.pipeline import remove as remove_mod
from themegrid.project import Project


def _rows(store: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(store)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def _humans_on(store: Path, doc: str) -> int:
    return int(
        _rows(
            store,
            "SELECT COUNT(*) FROM codings c JOIN segments s ON s.id = c.segment_id"
            " JOIN documents d ON d.id = s.document_id WHERE d.path = ? AND c.source = 'human'",
            (doc,),
        )[0][0]
    )


def _move_out(project: Project, rel: str) -> Path:
    aside = project.root.parent / f"aside-{Path(rel).name}"
    shutil.move(project.corpus_dir / rel, aside)
    return aside


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reviewed_project(tmp_path_factory.mktemp("remove") / "study").root


@pytest.fixture
def reviewed(base: Path, tmp_path: Path) -> Project:
    """A fresh copy of a project whose every suggestion Ana accepted."""
    return Project(shutil.copytree(base, tmp_path / "study"))


def test_refused_without_force_names_the_decisions_and_the_fix(reviewed: Project) -> None:
    store = reviewed.store_path
    humans = _humans_on(store, "interviews/az.txt")
    assert humans > 0
    _move_out(reviewed, "interviews/az.txt")
    before = human_decisions(store)
    runs = _rows(store, "SELECT COUNT(*) FROM runs")
    done = cli("remove", "interviews/az.txt", "--project", reviewed.root)
    assert done.exit_code == 1
    assert f"{humans} human coding(s)" in done.output
    assert "--force" in done.output
    assert human_decisions(store) == before
    assert _rows(store, "SELECT COUNT(*) FROM runs") == runs
    assert _rows(store, "SELECT status FROM documents WHERE path = 'interviews/az.txt'") == [
        ("present",)
    ]


def test_force_keeps_every_human_decision_as_orphaned_and_records_the_run(
    reviewed: Project,
) -> None:
    store = reviewed.store_path
    humans = _humans_on(store, "interviews/az.txt")
    _move_out(reviewed, "interviews/az.txt")
    before = human_decisions(store)
    done = cli("remove", "corpus/interviews/az.txt", "--force", "--project", reviewed.root)
    assert done.exit_code == 0, done.output
    assert f"{humans} human coding(s) and 0 memo(s) kept as orphaned" in done.output
    assert human_decisions(store) == before  # not one dropped or changed
    assert _rows(
        store,
        "SELECT COUNT(*) FROM codings c JOIN segments s ON s.id = c.segment_id"
        " JOIN documents d ON d.id = s.document_id WHERE d.path = 'interviews/az.txt'"
        " AND c.source != 'human'",
    ) == [(0,)]
    status = api.status(reviewed)
    assert len(status.orphaned) == humans
    assert {o["path"] for o in status.orphaned} == {"interviews/az.txt"}
    run = _rows(store, "SELECT command, finished_at IS NOT NULL, summary FROM runs ORDER BY id")[-1]
    assert run[:2] == ("remove", 1)
    assert '"action": "archived"' in str(run[2])
    assert api.backups(reviewed), "a backup is made before human decisions are orphaned"
    # the next command still works and does not bring the removed document back
    assert cli("code", "--no-model", "--project", reviewed.root).exit_code == 0
    assert human_decisions(store) == before
    assert _rows(store, "SELECT status FROM documents WHERE path = 'interviews/az.txt'") == [
        ("missing",)
    ]


def test_a_returned_file_gets_its_decisions_back(reviewed: Project) -> None:
    store = reviewed.store_path
    humans = _humans_on(store, "interviews/az.txt")
    aside = _move_out(reviewed, "interviews/az.txt")
    api.remove(reviewed, "interviews/az.txt", force=True)
    shutil.move(aside, reviewed.corpus_dir / "interviews/az.txt")
    assert cli("code", "--no-model", "--project", reviewed.root).exit_code == 0
    assert api.status(reviewed).orphaned == ()
    assert _humans_on(store, "interviews/az.txt") == humans


def test_a_returned_file_is_machine_coded_again(reviewed: Project) -> None:
    """--force deleted the document's machine suggestions; when the file comes back its
    segments are tagged again (they kept the cue hash and got none: 51 pending
    suggestions of a real trial were lost for good)."""
    store = reviewed.store_path

    def rule_rows() -> int:
        sql = (
            "SELECT COUNT(*) FROM codings c JOIN segments s ON s.id = c.segment_id"
            " JOIN documents d ON d.id = s.document_id"
            " WHERE d.path = 'interviews/az.txt' AND c.source = 'rule'"
        )
        return int(_rows(store, sql)[0][0])

    before = rule_rows()
    assert before > 0
    aside = _move_out(reviewed, "interviews/az.txt")
    api.remove(reviewed, "interviews/az.txt", force=True)
    assert rule_rows() == 0
    shutil.move(aside, reviewed.corpus_dir / "interviews/az.txt")
    assert cli("code", "--no-model", "--project", reviewed.root).exit_code == 0
    assert rule_rows() == before


def test_a_document_no_human_touched_is_deleted(reviewed: Project) -> None:
    project = reviewed
    store = project.store_path
    (project.corpus_dir / "extra.txt").write_text(
        "Interviewer: Any funding news?\nDana: The budget was cut again.\n", encoding="utf-8"
    )
    assert cli("code", "--no-model", "--project", project.root).exit_code == 0
    _move_out(project, "extra.txt")
    result = api.remove(project, "extra.txt")
    assert [d.action for d in result.documents] == ["deleted"]
    assert _rows(store, "SELECT COUNT(*) FROM documents WHERE path = 'extra.txt'") == [(0,)]
    assert result.backup is None


def test_a_file_still_in_corpus_is_refused(reviewed: Project) -> None:
    with pytest.raises(RemoveError, match="still in corpus/"):
        api.remove(reviewed, "interviews/nv.txt", force=True)


def test_an_unknown_document_is_named(reviewed: Project) -> None:
    done = cli("remove", "nope.txt", "--project", reviewed.root)
    assert done.exit_code == 1
    assert "nope.txt: no such document" in done.output


def test_an_imported_document_can_be_removed(reviewed: Project) -> None:
    coded = reviewed.root / "coded.csv"
    coded.write_text("Text,Code\nThe budget was cut.,barriers.funding\n", encoding="utf-8")
    assert cli("import-coded", coded, "--coder", "Cy", "--project", reviewed.root).exit_code == 0
    (path,) = [
        str(r[0]) for r in _rows(reviewed.store_path, "SELECT path FROM documents")
        if str(r[0]).startswith("imported/")
    ]  # fmt: skip
    assert cli("remove", path, "--project", reviewed.root).exit_code == 1  # Cy's codings
    before = human_decisions(reviewed.store_path)
    result = api.remove(reviewed, path, force=True)
    assert result.human_codings_kept >= 1
    assert human_decisions(reviewed.store_path) == before


def test_remove_is_one_transaction(reviewed: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    store = reviewed.store_path
    _move_out(reviewed, "interviews/az.txt")
    tables = (
        "SELECT (SELECT COUNT(*) FROM codings), (SELECT SUM(active) FROM segments),"
        " (SELECT COUNT(*) FROM documents WHERE status = 'present')"
    )
    before, decisions = _rows(store, tables), human_decisions(store)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected after the archive")

    monkeypatch.setattr(remove_mod, "finish_run", boom)
    with pytest.raises(RuntimeError):
        api.remove(reviewed, "interviews/az.txt", force=True)
    assert _rows(store, tables) == before
    assert human_decisions(store) == decisions
