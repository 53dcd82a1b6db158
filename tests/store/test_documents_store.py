"""store/documents.py: the documents table's writes and queries."""

from __future__ import annotations

import sqlite3

import pytest

from themegrid.store import documents as docs_store
from themegrid.store import segments as segs_store
from themegrid.store.connection import Store
from themegrid.store.segments import NewSegment


def _add(store: Store, path: str, text: str = "one two three") -> int:
    with store.transaction():
        return docs_store.insert_document(
            store,
            path=path,
            format="txt",
            kind="interview",
            content_hash=f"hash-{path}",
            text=text,
            attributes={"state": "NV"},
            repair_notes=["fixed mojibake"],
        )


def test_insert_update_and_list() -> None:
    store = Store(":memory:")
    first = _add(store, "a.txt")
    second = _add(store, "imported/b.csv", "four five")
    assert [(d.id, d.path, d.status) for d in docs_store.list_documents(store)] == [
        (first, "a.txt", "present"),
        (second, "imported/b.csv", "present"),
    ]
    assert docs_store.list_documents(store)[0].attributes == {"state": "NV"}
    assert docs_store.words_present(store) == 5
    assert docs_store.document_exists(store, "a.txt")
    assert not docs_store.document_exists(store, "c.txt")
    found = docs_store.document_by_path(store, "a.txt")
    assert found is not None and (found.id, found.text) == (first, "one two three")
    by_hash = docs_store.imported_document_by_hash(store, "hash-imported/b.csv")
    assert by_hash is not None and by_hash.id == second
    assert docs_store.imported_document_by_hash(store, "hash-a.txt") is None  # not imported/
    with store.transaction():
        docs_store.update_document(
            store,
            first,
            format="docx",
            kind="interview",
            content_hash="h2",
            text="one",
            attributes={"state": "AZ"},
        )
        docs_store.replace_text(store, second, "four five six seven", "h3")
    assert docs_store.words_present(store) == 5
    assert docs_store.document_attributes(store, first) == {"state": "AZ"}


def test_missing_documents_do_not_count_and_come_back_with_their_attributes() -> None:
    store = Store(":memory:")
    doc = _add(store, "a.txt")
    with store.transaction():
        docs_store.mark_missing(store, doc)
    assert docs_store.list_documents(store)[0].status == "missing"
    assert docs_store.words_present(store) == 0
    with store.transaction():
        docs_store.set_attributes(store, doc, {"state": "UT"})
    assert docs_store.list_documents(store)[0].status == "missing"
    with store.transaction():
        docs_store.set_attributes(store, doc, {"state": "UT", "role": "parent"}, present=True)
    (row,) = docs_store.list_documents(store)
    assert (row.status, dict(row.attributes)) == ("present", {"state": "UT", "role": "parent"})


def _segment_with(store: Store, doc: int, source: str) -> None:
    with store.transaction():
        segs_store.insert_segments(store, [NewSegment(f"s{doc}", doc, 0, 0, 3, "one", "Ana")])
        store.execute(
            "INSERT INTO codings (segment_id, code_id, source, coder, status, created_at, updated_at)"
            " VALUES (?, 'x', ?, ?, ?, 't', 't')",
            (
                f"s{doc}",
                source,
                "ana" if source == "human" else "themegrid:rules",
                "accepted" if source == "human" else "suggested",
            ),
        )
        segs_store.mark_seen(store, [f"s{doc}"], "ana", "review")


def test_delete_document_removes_machine_work_but_never_a_human_coding() -> None:
    store = Store(":memory:")
    machine, human = _add(store, "m.txt"), _add(store, "h.txt")
    _segment_with(store, machine, "rule")
    _segment_with(store, human, "human")
    assert docs_store.human_codings_on_document(store, machine) == 0
    assert docs_store.human_codings_on_document(store, human) == 1
    with store.transaction():
        docs_store.delete_document(store, machine)
    assert [d.path for d in docs_store.list_documents(store)] == ["h.txt"]
    assert store.scalar("SELECT COUNT(*) FROM segments") == 1
    assert store.scalar("SELECT COUNT(*) FROM segment_views") == 1
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"), store.transaction():
        docs_store.delete_document(store, human)
    assert docs_store.human_codings_on_document(store, human) == 1


def test_present_check_in_a_join_reads_an_index_not_the_document_text() -> None:
    # status is stored after the whole text: a join that reads it from the row reads the
    # document's text once per segment (most of a one-new-file code run on a million words)
    store = Store(":memory:")
    doc = _add(store, "a.txt", "one two three " * 5000)
    with store.transaction():
        segs_store.insert_segments(
            store, [NewSegment(f"s{i}", doc, i, 0, 3, "one two three") for i in range(3)]
        )
    plan = [
        row[-1]
        for row in store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT s.id FROM segments s JOIN documents d"
            " ON d.id = s.document_id WHERE s.active = 1 AND d.status = 'present'"
        )
    ]
    assert any("d USING COVERING INDEX" in step for step in plan), plan
