"""Span codings (passages) through re-runs and edited files: they follow their text or are orphaned."""

from __future__ import annotations

from pathlib import Path

from conftest import INTERVIEW_AZ, INTERVIEW_NV, write_project
from themegrid.pipeline.coding import run_coding
from themegrid.store import codings as codings_store
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
