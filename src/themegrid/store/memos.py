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


@dataclass(frozen=True)
class PassageMemo:
    """A memo on a segment of a document, with the segment's text and whether it is active
    (an edited file can retire the segment; its memos stay and are shown as such)."""

    memo: Memo
    segment_id: str
    segment_text: str
    active: bool


def memos_by_target(store: Store, kind: str) -> dict[str, list[Memo]]:
    """Every memo of one kind (e.g. all memos on codes), by target id, oldest first."""
    out: dict[str, list[Memo]] = {}
    for r in store.conn.execute(
        "SELECT id, target_kind, target_id, coder, text, created_at FROM memos"
        " WHERE target_kind = ? ORDER BY id",
        (kind,),
    ):
        out.setdefault(r[2], []).append(Memo(*r))
    return out


def passage_memos(store: Store, document_id: int) -> list[PassageMemo]:
    """The memos on a document's segments, active or not, in document order then oldest first."""
    return [
        PassageMemo(Memo(*r[:6]), r[2], r[6], bool(r[7]))
        for r in store.conn.execute(
            "SELECT m.id, m.target_kind, m.target_id, m.coder, m.text, m.created_at, s.text,"
            " s.active FROM memos m JOIN segments s ON s.id = m.target_id"
            " WHERE m.target_kind = 'segment' AND s.document_id = ? ORDER BY s.seq, m.id",
            (document_id,),
        )
    ]


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


__all__ = [
    "KINDS",
    "Memo",
    "PassageMemo",
    "add_memo",
    "memos_by_target",
    "memos_on",
    "memos_on_document",
    "passage_memos",
]
