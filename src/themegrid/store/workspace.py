"""Read-only queries for the browser workspace (``themegrid serve``): what its pages show.

Nothing here writes; the workspace writes through :mod:`themegrid.store.codings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from themegrid.store.connection import Store, loads


@dataclass(frozen=True)
class DocumentProgress:
    """A present document with its case attributes and how far its review is."""

    id: int
    path: str
    attributes: dict[str, Any]
    turns: int
    pending: int  # machine suggestions that count and await a decision
    decided: int  # (segment, code) pairs a human decided


def document_progress(store: Store) -> list[DocumentProgress]:
    """Every present document by path, with its active turns and review counts.

    One pass over ``effective_codings`` grouped by document (two correlated subqueries
    per document read the view twice per document: 480 ms of CPU at 1M words)."""
    turns = dict(
        store.conn.execute(
            "SELECT document_id, COUNT(*) FROM segments WHERE active = 1 GROUP BY document_id"
        ).fetchall()
    )
    reviewed = {
        int(r[0]): (int(r[1] or 0), int(r[2] or 0))
        for r in store.conn.execute(
            "SELECT s.document_id, SUM(e.status = 'suggested' AND s.codable = 1),"
            " SUM(e.source = 'human')"
            " FROM effective_codings e JOIN segments s ON s.id = e.segment_id"
            " WHERE s.active = 1 GROUP BY s.document_id"
        )
    }
    rows = store.conn.execute(
        "SELECT id, path, attributes FROM documents WHERE status = 'present' ORDER BY path"
    )
    return [
        DocumentProgress(
            int(r[0]),
            r[1],
            loads(r[2], {}),
            int(turns.get(r[0], 0)),
            *reviewed.get(int(r[0]), (0, 0)),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class CodeCount:
    code_id: str
    confirmed: int  # segments whose coding that counts is a human accept
    unreviewed: int  # segments with a live machine suggestion and no human decision


def code_counts(store: Store) -> dict[str, CodeCount]:
    """Per code: confirmed and unreviewed segments (active segments of present documents).

    A parent counts its descendants' segments once each, as the matrices roll codes up:
    confirmed where any of them is confirmed, unreviewed where one is suggested and none
    confirmed."""
    parent_of = {r[0]: r[1] for r in store.conn.execute("SELECT id, parent_id FROM codes")}
    confirmed: dict[str, set[str]] = {}
    suggested: dict[str, set[str]] = {}
    rows = store.conn.execute(
        "SELECT e.code_id, e.segment_id, e.status = 'accepted',"
        " e.status = 'suggested' AND s.codable = 1"
        " FROM effective_codings e JOIN segments s ON s.id = e.segment_id"
        " JOIN documents d ON d.id = s.document_id"
        " WHERE s.active = 1 AND d.status = 'present'"
    )
    for code_id, segment_id, accepted, pending in rows:
        if not (accepted or pending):
            continue
        code: str | None = code_id
        seen: set[str] = set()
        while code is not None and code not in seen:  # the code and each ancestor
            seen.add(code)
            (confirmed if accepted else suggested).setdefault(code, set()).add(segment_id)
            code = parent_of.get(code)
    out = {}
    for code_id in set(confirmed) | set(suggested):
        yes = confirmed.get(code_id, set())
        out[code_id] = CodeCount(code_id, len(yes), len(suggested.get(code_id, set()) - yes))
    return out


@dataclass(frozen=True)
class RunLine:
    id: int
    command: str
    started_at: str
    finished_at: str | None
    summary: dict[str, Any]
    failed: str | None = None  # why the run failed (rolled back); None: finished or running


def recent_runs(store: Store, limit: int | None = 5) -> list[RunLine]:
    """The latest runs, newest first, failed ones with why they failed (``limit`` None:
    every run; the overview shows 5, ``themegrid status`` 10 or as many as asked)."""
    rows = store.conn.execute(
        "SELECT id, command, started_at, finished_at, summary, failed FROM runs"
        " ORDER BY id DESC LIMIT ?",
        (-1 if limit is None else limit,),
    )
    return [RunLine(int(r[0]), r[1], r[2], r[3], loads(r[4], {}), r[5]) for r in rows]


@dataclass(frozen=True)
class ReaderDocument:
    id: int
    path: str
    text: str
    attributes: dict[str, Any]


def reader_document(store: Store, document_id: int) -> ReaderDocument | None:
    """A present document's text and attributes; ``None`` if there is no such document."""
    row = store.conn.execute(
        "SELECT id, path, text, attributes FROM documents WHERE id = ? AND status = 'present'",
        (document_id,),
    ).fetchone()
    return None if row is None else ReaderDocument(int(row[0]), row[1], row[2], loads(row[3], {}))


@dataclass(frozen=True)
class ReaderTurn:
    """An active segment with its offsets into the document text."""

    id: str
    seq: int
    start: int
    end: int
    speaker: str | None
    is_interviewer: bool
    text: str


def reader_turns(store: Store, document_id: int) -> list[ReaderTurn]:
    """A document's active segments in order."""
    rows = store.conn.execute(
        'SELECT id, seq, start, "end", speaker, is_interviewer, text FROM segments'
        " WHERE document_id = ? AND active = 1 ORDER BY seq",
        (document_id,),
    )
    return [ReaderTurn(r[0], int(r[1]), int(r[2]), int(r[3]), r[4], bool(r[5]), r[6]) for r in rows]


def segment_document(store: Store, segment_id: str) -> int | None:
    """The document a segment belongs to."""
    row = store.conn.execute(
        "SELECT document_id FROM segments WHERE id = ?", (segment_id,)
    ).fetchone()
    return None if row is None else int(row[0])


def document_ids(store: Store) -> dict[str, int]:
    """Path -> id of every present document (the queue's document filter and links)."""
    rows = store.conn.execute("SELECT path, id FROM documents WHERE status = 'present'")
    return {r[0]: int(r[1]) for r in rows}


def store_version(store: Store) -> tuple[int, int, int]:
    """What changes whenever the codings could have: (``PRAGMA data_version``, which moves
    when another connection commits; the last coding-history row, which every insert or
    status change of a coding adds; the last run). Equal versions: nothing changed."""
    row = store.conn.execute(
        "SELECT (SELECT MAX(id) FROM coding_history), (SELECT MAX(id) FROM runs)"
    ).fetchone()
    data_version = store.conn.execute("PRAGMA data_version").fetchone()[0]
    return int(data_version), int(row[0] or 0), int(row[1] or 0)


__all__ = [
    "CodeCount",
    "DocumentProgress",
    "ReaderDocument",
    "ReaderTurn",
    "RunLine",
    "code_counts",
    "document_ids",
    "document_progress",
    "reader_document",
    "reader_turns",
    "recent_runs",
    "segment_document",
    "store_version",
]
