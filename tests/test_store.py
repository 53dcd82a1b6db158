"""The store: named migrations from empty and from an older schema, triggers that guard human work."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from factories import add_coding, add_document
from themegrid.store.connection import Store, _statements
from themegrid.store.migrations import MIGRATIONS


def test_empty_store_gets_every_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = Store(path)
    assert store.applied_migrations() == [m.name for m in MIGRATIONS]
    assert store.migrate() == []
    store.close()
    again = Store(path)
    assert again.migrate() == []
    assert again.scalar("PRAGMA journal_mode") == "wal"
    again.close()


def test_older_schema_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    first = MIGRATIONS[0]
    for statement in _statements(first.sql):
        conn.execute(statement)
    conn.execute("INSERT INTO schema_migrations VALUES (?, '2026-01-01')", (first.name,))
    conn.commit()
    conn.close()
    old = Store.__new__(Store)  # open without migrating, to insert data as an old version would
    old.path, old.conn = str(path), sqlite3.connect(path, isolation_level=None)
    old.conn.row_factory = sqlite3.Row
    ids = add_document(old, "a.txt", [("Respondent", "hello there")])
    add_coding(old, ids[0], "x.y", source="human", coder="ana", status="accepted")
    old.conn.close()

    store = Store(path)
    assert store.applied_migrations() == [m.name for m in MIGRATIONS]
    assert store.scalar("SELECT COUNT(*) FROM codings") == 1
    rows = store.query("SELECT code_id, status, source FROM effective_codings")
    assert [tuple(r) for r in rows] == [("x.y", "accepted", "human")]
    store.close()


def test_human_codings_cannot_be_deleted_and_history_is_kept() -> None:
    store = Store(":memory:")
    ids = add_document(store, "a.txt", [("Respondent", "one"), ("Respondent", "two")])
    add_coding(store, ids[0], "x", source="human", coder="ana", status="accepted")
    add_coding(store, ids[1], "x", source="rule", coder="themegrid:rules")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        store.execute("DELETE FROM codings WHERE source = 'human'")
    store.execute("DELETE FROM codings WHERE source = 'rule'")
    store.execute(
        "UPDATE codings SET status = 'rejected', updated_at = 'later' WHERE source = 'human'"
    )
    history = [
        r[0]
        for r in store.query("SELECT status FROM coding_history WHERE coder = 'ana' ORDER BY id")
    ]
    assert history == ["accepted", "rejected"]


def test_effective_codings_prefers_the_latest_human_decision() -> None:
    store = Store(":memory:")
    (seg,) = add_document(store, "a.txt", [("Respondent", "one")])
    add_coding(store, seg, "x", source="rule", coder="themegrid:rules", confidence=0.5)
    add_coding(store, seg, "y", source="rule", coder="themegrid:rules", confidence=0.5)
    add_coding(store, seg, "y", source="model", coder="themegrid:model", confidence=0.9)
    add_coding(store, seg, "x", source="human", coder="ana", status="rejected")
    rows = {r["code_id"]: dict(r) for r in store.query("SELECT * FROM effective_codings")}
    assert rows["x"]["status"] == "rejected" and rows["x"]["source"] == "human"
    assert rows["y"]["status"] == "suggested" and rows["y"]["confidence"] == 0.9
    assert set(rows["y"]["source"].split("+")) == {"rule", "model"}


def test_a_damaged_store_is_a_clear_error(tmp_path: Path) -> None:
    from themegrid.errors import ProjectError

    path = tmp_path / "themegrid.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ProjectError, match=r"not an SQLite database.*damaged.*nothing was written"):
        Store(path)
    assert path.read_bytes() == b"this is not sqlite" * 100


def test_list_codings_returns_domain_objects_filtered() -> None:
    from themegrid import Coding, list_codings

    store = Store(":memory:")
    (seg,) = add_document(store, "a.txt", [("Respondent", "one")])
    add_coding(store, seg, "x", source="rule", coder="themegrid:rules")
    add_coding(store, seg, "x", source="human", coder="ana", status="rejected", reason="not this")
    human = list_codings(store, source="human")
    assert len(human) == 1 and isinstance(human[0], Coding)
    assert (human[0].coder, human[0].status, human[0].reason) == ("ana", "rejected", "not this")
    assert len(list_codings(store)) == 2
    assert list_codings(store, coder="nobody") == []
