"""Span codings (passages) through re-runs and edited files: they follow their text or are orphaned."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import INTERVIEW_AZ, INTERVIEW_NV, write_project
from themegrid.errors import SpanError
from themegrid.pipeline.coding import run_coding
from themegrid.store import codings as codings_store
from themegrid.store import memos as memos_store
from themegrid.store import workspace
from themegrid.store.connection import Store, now


def _code(project) -> None:
    with Store(project.store_path) as store:
        run_coding(project, store, project.load_codebook(), use_model=False)


def _span(store: Store, doc_id: int, phrase: str, code: str = "barriers.staffing") -> None:
    text = workspace.reader_document(store, doc_id).text
    start = text.index(phrase)
    d = codings_store.span_decision(
        store, doc_id, start, start + len(phrase), code, "coded in test"
    )
    with store.transaction():
        codings_store.record_human_codings(store, "Ana", [d], run_id=None, at=now())


def _passages(store: Store) -> list[tuple[str, bool]]:
    """Each human coding, in the order made: its passage's text in the current document
    and whether its segment is active."""
    return [
        (r[2][r[0] : r[1]], bool(r[3]))
        for r in store.query(
            "SELECT c.span_start, c.span_end, d.text, s.active FROM codings c"
            " JOIN segments s ON s.id = c.segment_id JOIN documents d ON d.id = s.document_id"
            " WHERE c.source = 'human' ORDER BY c.id"
        )
    ]


def test_passages_follow_their_text_through_a_rerun_and_an_edit(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p", {"interviews/az.txt": INTERVIEW_AZ, "interviews/nv.txt": INTERVIEW_NV}
    )
    _code(project)
    with Store(project.store_path) as store:
        doc = next(
            d.id for d in workspace.document_progress(store) if d.path == "interviews/az.txt"
        )
        _span(store, doc, "substitute teachers", "barriers.staffing")  # in a turn we will edit
        _span(store, doc, "time, money, and trust", "barriers.funding")  # in a turn left as is
        _span(store, doc, "grant money ran out", "barriers.funding")  # its text will be deleted
    _code(project)  # a re-run changes nothing
    with Store(project.store_path) as store:
        assert _passages(store) == [
            ("substitute teachers", True),
            ("time, money, and trust", True),
            ("grant money ran out", True),
        ]
    edited = "Interviewer: A new first question was added.\n" + INTERVIEW_AZ.replace(
        "We could not find", "Honestly, we could not find"
    ).replace(
        "Once the grant money ran out we had to rethink everything.",
        "We had to rethink everything.",
    )
    (project.corpus_dir / "interviews" / "az.txt").write_text(edited, encoding="utf-8")
    _code(project)
    with Store(project.store_path) as store:
        found = _passages(store)
        n_human = store.scalar("SELECT COUNT(*) FROM codings WHERE source = 'human'")
    assert found[0] == ("substitute teachers", True)  # followed the edited turn
    assert found[1] == ("time, money, and trust", True)  # shifted with its unchanged turn
    assert found[2][1] is False  # its text is gone: orphaned on the old segment
    assert n_human == 3  # never dropped


# --- memos on a passage: like span codings, they follow their text or are orphaned ---------


def _memo(store: Store, doc_id: int, phrase: str | None, text: str, within: str = "") -> None:
    """A memo on ``phrase`` (None: on the whole turn holding ``within``)."""
    doc_text = workspace.reader_document(store, doc_id).text
    at = doc_text.index(phrase or within)
    turn = next(t for t in workspace.reader_turns(store, doc_id) if t.start <= at < t.end)
    span = (at, at + len(phrase)) if phrase else None
    with store.transaction():
        memos_store.add_memo(store, "segment", turn.id, "Ana", text, now(), span)


def _memos(store: Store) -> list[tuple[str, str, bool]]:
    """Each memo, in the order made: its text, what it is on (the passage its offsets point
    at in its segment's text, or the whole turn) and whether its segment is active."""
    return [
        (r[0], r[4][r[1] - r[5] : r[2] - r[5]] if r[1] is not None else r[4], bool(r[3]))
        for r in store.query(
            "SELECT m.text, m.span_start, m.span_end, s.active, s.text, s.start FROM memos m"
            " JOIN segments s ON s.id = m.target_id ORDER BY m.id"
        )
    ]


def test_passage_memos_follow_their_text_through_a_rerun_and_an_edit(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p", {"interviews/az.txt": INTERVIEW_AZ, "interviews/nv.txt": INTERVIEW_NV}
    )
    _code(project)
    with Store(project.store_path) as store:
        doc = next(
            d.id for d in workspace.document_progress(store) if d.path == "interviews/az.txt"
        )
        _memo(store, doc, "substitute teachers", "m1: in a turn we will edit")
        _memo(store, doc, "time, money, and trust", "m2: in a turn left as is")
        _memo(store, doc, "grant money ran out", "m3: its text will be deleted")
        _memo(store, doc, None, "m4: on the whole edited turn", within="substitute teachers")
        before = _memos(store)
    assert [m[1] for m in before[:3]] == [
        "substitute teachers",
        "time, money, and trust",
        "grant money ran out",
    ]
    _code(project)  # a re-run changes nothing
    with Store(project.store_path) as store:
        assert _memos(store) == before
    edited = "Interviewer: A new first question was added.\n" + INTERVIEW_AZ.replace(
        "We could not find", "Honestly, we could not find"
    ).replace(
        "Once the grant money ran out we had to rethink everything.",
        "We had to rethink everything.",
    )
    (project.corpus_dir / "interviews" / "az.txt").write_text(edited, encoding="utf-8")
    _code(project)
    with Store(project.store_path) as store:
        found = _memos(store)
        notes = [r[0] for r in store.query("SELECT note FROM memos ORDER BY id")]
    assert len(found) == 4  # never dropped
    assert found[0] == ("m1: in a turn we will edit", "substitute teachers", True)  # followed
    assert found[1] == ("m2: in a turn left as is", "time, money, and trust", True)  # shifted
    assert found[2][0] == "m3: its text will be deleted" and found[2][2] is False  # orphaned
    assert found[2][1] == "grant money ran out"  # still on its text in the old turn
    assert found[3][0] == "m4: on the whole edited turn" and found[3][2] is True
    assert found[3][1].startswith("Honestly, we could not find enough substitute teachers")
    assert "re-attached" in notes[0] and "re-attached" in notes[3] and notes[1] == ""
    with Store(project.store_path) as store:  # the live passages' offsets index the edited file
        doc_text = workspace.reader_document(store, doc).text
        spans = store.query("SELECT span_start, span_end FROM memos ORDER BY id LIMIT 2")
    assert [doc_text[a:b] for a, b in spans] == ["substitute teachers", "time, money, and trust"]


def test_a_passage_memo_outside_its_turn_is_refused(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", {"interviews/az.txt": INTERVIEW_AZ})
    _code(project)
    with Store(project.store_path) as store:
        doc = workspace.document_progress(store)[0].id
        first, second = workspace.reader_turns(store, doc)[:2]
        with store.transaction():
            for span in ((first.start, second.start + 3), (first.start + 4, first.start + 4)):
                with pytest.raises(SpanError):
                    memos_store.add_memo(store, "segment", first.id, "Ana", "x", now(), span)
        assert store.scalar("SELECT COUNT(*) FROM memos") == 0


def test_orphaned_passage_memos_are_counted_in_status_and_the_overview(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from themegrid.api import status
    from themegrid.cli import app
    from web_helpers import serve

    project = write_project(tmp_path / "p", {"interviews/az.txt": INTERVIEW_AZ})
    _code(project)
    with Store(project.store_path) as store:
        doc = workspace.document_progress(store)[0].id
        _memo(store, doc, "grant money ran out", "m3: its <i>text</i> will be deleted")
        _memo(store, doc, "substitute teachers", "m1: its text stays")
    assert status(project).orphaned_memos == ()
    edited = INTERVIEW_AZ.replace(
        "Once the grant money ran out we had to rethink everything.",
        "We had to rethink everything.",
    )
    (project.corpus_dir / "interviews" / "az.txt").write_text(edited, encoding="utf-8")
    _code(project)
    found = status(project).orphaned_memos
    assert [(m["text"], m["passage"], m["on_passage"]) for m in found] == [
        ("m3: its <i>text</i> will be deleted", "grant money ran out", True)
    ]
    out = CliRunner().invoke(app, ["status", "--project", str(project.root)]).stdout
    assert "1 memo(s) on passages no longer in their file, kept:" in out
    assert "grant money ran out -- m3: its <i>text</i> will be deleted" in out
    served = serve(project)
    try:
        page = served.client().get("/").text
    finally:
        served.store.close()
    section = page[page.index('id="orphaned-memos"') :]
    assert "1 memo(s) are on text an edited file no longer has" in section
    assert "“grant money ran out”" in section and "m3: its &lt;i&gt;text&lt;/i&gt;" in section
    assert "m1: its text stays" not in section  # followed its turn: not orphaned


def test_orphaned_span_codings_show_their_passage_in_status_the_overview_and_the_reader(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from themegrid.cli import app
    from web_helpers import serve

    project = write_project(tmp_path / "p", {"interviews/az.txt": INTERVIEW_AZ})
    _code(project)
    with Store(project.store_path) as store:
        doc = workspace.document_progress(store)[0].id
        _span(store, doc, "grant money ran out", "barriers.funding")  # its text will be deleted
        _span(store, doc, "substitute teachers", "barriers.staffing")  # stays
    edited = INTERVIEW_AZ.replace(
        "Once the grant money ran out we had to rethink everything.",
        "We had to rethink everything.",
    )
    (project.corpus_dir / "interviews" / "az.txt").write_text(edited, encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(app, ["code", "--project", str(project.root), "--no-model"]).stdout
    assert "1 human coding(s) orphaned by this run" in first and "1 orphaned in all" in first
    again = runner.invoke(app, ["code", "--project", str(project.root), "--no-model"]).stdout
    assert "orphaned by this run" not in again  # nothing new: the total is said as earlier runs'
    assert "1 human coding(s) orphaned by earlier runs are kept" in again

    out = runner.invoke(app, ["status", "--project", str(project.root)]).stdout
    assert "1 orphaned human coding(s), kept:" in out
    # the coded passage itself, from the old turn (not the turn's start, nor the new text)
    assert "barriers.funding by Ana (accepted) on the passage “grant money ran out”" in out
    served = serve(project)
    try:
        c = served.client()
        overview = c.get("/").text
        reader = c.get(f"/doc/{doc}").text
    finally:
        served.store.close()
    section = overview[overview.index('id="orphaned-codings"') :]
    assert "1 human coding(s) are on a turn or passage" in section
    assert "the passage “grant money ran out”" in section and "substitute teachers" not in section
    block = reader[reader.index('id="orphaned-codings"') :]
    assert "1 human coding(s) on text no longer in this file" in block
    assert "the passage “grant money ran out”" in block.split("</details>")[0]
