"""The ``memos`` table: researchers' notes on a document, a code or a passage (segment)."""

from __future__ import annotations

from dataclasses import dataclass

from themegrid.store.connection import Store

KINDS = ("document", "code", "segment")


@dataclass(frozen=True)
class Memo:
    id: int
    target_kind: str
    target_id: str
    coder: str
    text: str
    created_at: str


def add_memo(store: Store, kind: str, target_id: str, coder: str, text: str, at: str) -> int:
    """Store a memo; returns its id (call inside a transaction)."""
    if kind not in KINDS:
        raise ValueError(f"a memo is on one of {KINDS}, not {kind!r}")
    cur = store.conn.execute(
        "INSERT INTO memos (target_kind, target_id, coder, text, created_at) VALUES (?, ?, ?, ?, ?)",
        (kind, target_id, coder, text, at),
    )
    return int(cur.lastrowid or 0)


def memos_on(store: Store, kind: str, target_id: str) -> list[Memo]:
    """The memos on one target, oldest first."""
    return [
        Memo(*r)
        for r in store.conn.execute(
            "SELECT id, target_kind, target_id, coder, text, created_at FROM memos"
            " WHERE target_kind = ? AND target_id = ? ORDER BY id",
            (kind, target_id),
        )
    ]


__all__ = ["KINDS", "Memo", "add_memo", "memos_on", "memos_on_document"]


def memos_on_document(store: Store, doc_id: int) -> int:
    """How many memos are on a document or on one of its segments."""
    return int(
        store.conn.execute(
            "SELECT COUNT(*) FROM memos WHERE (target_kind = 'document' AND target_id = ?)"
            " OR (target_kind = 'segment' AND target_id IN"
            " (SELECT id FROM segments WHERE document_id = ?))",
            (str(doc_id), doc_id),
        ).fetchone()[0]
    )
