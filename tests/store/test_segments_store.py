"""store/segments.py: the one place segments are written, and the codable rule it owns."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from themegrid.models import Segment
from themegrid.pipeline.ingest import _store_segments
from themegrid.store import documents as docs_store
from themegrid.store import segments as segs_store
from themegrid.store.connection import Store, _statements
from themegrid.store.migrations import MIGRATIONS
from themegrid.store.segments import NewSegment


def _document(store: Store, path: str = "a.txt", kind: str = "interview") -> int:
    return docs_store.insert_document(
        store,
        path=path,
        format="txt",
        kind=kind,
        content_hash="h",
        text="Title\n\nInterviewer: Why?\n\nAna: Because.",
        attributes={},
    )


def _codable(store: Store) -> dict[str, int]:
    return {r["id"]: r["codable"] for r in store.query("SELECT id, codable FROM segments")}


def test_interviewer_turns_and_preamble_are_not_codable_when_inserted() -> None:
    store = Store(":memory:")
    with store.transaction():
        doc = _document(store)
        segs_store.insert_segments(
            store,
            [
                NewSegment("pre", doc, 0, 0, 5, "Title", preamble=True),
                NewSegment("q", doc, 1, 20, 24, "Why?", "Interviewer", is_interviewer=True),
                NewSegment("a", doc, 2, 31, 39, "Because.", "Ana"),
            ],
        )
    assert _codable(store) == {"pre": 0, "q": 0, "a": 1}


def test_a_turn_that_becomes_an_interviewer_turn_stops_being_codable() -> None:
    store = Store(":memory:")
    with store.transaction():
        doc = _document(store)
        segs_store.upsert_segments(store, [NewSegment("q", doc, 0, 20, 24, "Why?", "Jo")])
    assert _codable(store) == {"q": 1}
    with store.transaction():
        segs_store.upsert_segments(
            store, [NewSegment("q", doc, 0, 20, 24, "Why?", "Jo", is_interviewer=True)]
        )
    assert _codable(store) == {"q": 0}
    with store.transaction():  # and back: the writer decides, nothing patches it afterwards
        segs_store.upsert_segments(store, [NewSegment("q", doc, 0, 20, 24, "Why?", "Jo")])
    assert _codable(store) == {"q": 1}


def test_no_trigger_patches_codable_any_more() -> None:
    store = Store(":memory:")
    triggers = {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert not {n for n in triggers if "codable" in n}
    with store.transaction():
        doc = _document(store)
        store.execute(
            'INSERT INTO segments (id, document_id, seq, start, "end", text, is_interviewer, codable)'
            " VALUES ('raw', ?, 0, 0, 1, 'x', 1, 1)",
            (doc,),
        )
    # written around the store function, the row keeps what it was given: the rule
    # lives in store/segments.py alone
    assert _codable(store) == {"raw": 1}


def test_is_preamble_only_for_unlabelled_transcript_text() -> None:
    assert segs_store.is_preamble("interview", None)
    assert not segs_store.is_preamble("interview", "Ana")
    assert not segs_store.is_preamble("document", None)
    assert not segs_store.is_preamble("table", None)


def test_ingest_marks_interviewer_turns_and_preamble_not_codable() -> None:
    store = Store(":memory:")
    with store.transaction():
        doc = _document(store)
        _store_segments(
            store,
            doc,
            [
                Segment(id="p", document_path="a.txt", seq=0, start=0, end=5, text="Title"),
                Segment(
                    id="q",
                    document_path="a.txt",
                    seq=1,
                    start=20,
                    end=24,
                    text="Why?",
                    speaker="Interviewer",
                    is_interviewer=True,
                ),
                Segment(
                    id="a",
                    document_path="a.txt",
                    seq=2,
                    start=31,
                    end=39,
                    text="Because.",
                    speaker="Ana",
                ),
            ],
            "interview",
        )
    assert _codable(store) == {"p": 0, "q": 0, "a": 1}


def test_migration_drops_the_triggers_and_keeps_codable_values(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for migration in MIGRATIONS[:3]:
        for statement in _statements(migration.sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, '2026-01-01')", (migration.name,))
    conn.execute(
        "INSERT INTO documents (id, path, format, kind, content_hash, text, added_at, updated_at)"
        " VALUES (1, 'a.txt', 'txt', 'interview', 'h', 'x', 't', 't')"
    )
    conn.execute(
        'INSERT INTO segments (id, document_id, seq, start, "end", text, speaker, is_interviewer)'
        " VALUES ('q', 1, 0, 0, 1, 'x', 'Interviewer', 1), ('a', 1, 1, 0, 1, 'y', 'Ana', 0)"
    )
    conn.close()
    store = Store(path)
    assert "0004_codable_set_by_writers" in store.applied_migrations()
    assert _codable(store) == {"q": 0, "a": 1}
    names = {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert "segments_interviewer_not_codable" not in names
    assert "segments_interviewer_not_codable_update" not in names
    store.close()


def _coded_store() -> tuple[Store, int]:
    store = Store(":memory:")
    with store.transaction():
        doc = _document(store)
        segs_store.insert_segments(
            store,
            [
                NewSegment("old", doc, 0, 0, 5, "The old wording", "Ana"),
                NewSegment("new", doc, 1, 0, 5, "The old wording, edited", "Ana"),
            ],
        )
        store.execute(
            "INSERT INTO codings (segment_id, code_id, source, coder, status, created_at, updated_at)"
            " VALUES ('old', 'x', 'human', 'ana', 'accepted', 't', 't')"
        )
    return store, doc


def test_human_codings_and_views_follow_an_edited_segment() -> None:
    store, _ = _coded_store()
    with store.transaction():
        assert segs_store.mark_seen(store, ["old"], "ana", "review") == 1
        assert segs_store.mark_seen(store, ["old"], "ana", "review") == 0
        assert [c.id for c in segs_store.human_coded_segments(store, ["old", "new"])] == ["old"]
        assert segs_store.move_human_codings(store, "old", "new", "moved") == 1
        segs_store.move_views(store, "old", "new")
    row = store.query("SELECT segment_id, note FROM codings")[0]
    assert (row["segment_id"], row["note"]) == ("new", "moved")
    assert store.scalar("SELECT segment_id FROM segment_views") == "new"


def test_orphaned_codings_are_human_codings_on_inactive_segments() -> None:
    store, _ = _coded_store()
    assert segs_store.count_orphaned(store) == 0
    with store.transaction():
        segs_store.deactivate_segments(store, ["old"])
    assert segs_store.count_orphaned(store) == 1
    (orphan,) = segs_store.orphaned_codings(store)
    assert (orphan.path, orphan.text, orphan.code_id, orphan.coder) == (
        "a.txt",
        "The old wording",
        "x",
        "ana",
    )
    assert segs_store.live_segment_ids(store, ["old", "new", "nope"]) == {"new"}


def test_live_segment_ids_handles_more_ids_than_sqlite_parameters() -> None:
    store = Store(":memory:")
    with store.transaction():
        doc = _document(store)
        segs_store.insert_segments(
            store, [NewSegment(f"s{i}", doc, i, 0, 1, "x") for i in range(2500)]
        )
    asked = [f"s{i}" for i in range(0, 2500, 2)] + ["missing"]
    assert segs_store.live_segment_ids(store, asked) == set(asked) - {"missing"}


def test_inserting_an_existing_segment_id_is_an_error() -> None:
    store = Store(":memory:")
    with store.transaction():
        doc = _document(store)
        segs_store.insert_segments(store, [NewSegment("s", doc, 0, 0, 1, "x")])
    assert segs_store.segment_exists(store, "s")
    with pytest.raises(sqlite3.IntegrityError), store.transaction():
        segs_store.insert_segments(store, [NewSegment("s", doc, 1, 0, 1, "y")])


def test_segments_to_tag_are_codable_untagged_live_ones() -> None:
    store = Store(":memory:")
    with store.transaction():
        doc = _document(store)
        segs_store.insert_segments(
            store,
            [
                NewSegment("pre", doc, 0, 0, 5, "Title", preamble=True),
                NewSegment("q", doc, 1, 20, 24, "Why?", "Interviewer", is_interviewer=True),
                NewSegment("a", doc, 2, 31, 39, "Because.", "Ana"),
                NewSegment("b", doc, 3, 31, 39, "Done.", "Ana"),
            ],
        )
        segs_store.set_tagged_hash(store, ["b"], "cues1")
    assert [i for i, _ in segs_store.segments_to_tag(store, "cues1")] == ["a"]
    with_q = segs_store.segments_to_tag(store, "cues1", include_interviewers=True)
    assert [i for i, _ in with_q] == ["q", "a"]
    assert segs_store.count_active(store) == 4
