"""The ``memos`` table: researchers' notes on a document, a code, a turn (segment), a
passage inside a turn (a segment memo with span offsets, like a span coding), or the
project as a whole (kind ``project``, target id :data:`PROJECT`).

Memos are research data: never deleted (a trigger refuses). A memo on a turn an
edited file changed follows the turn's edited version (:func:`move_memos`, called
where codings are re-attached); one on a passage follows it only while the
passage's text is still in the edited turn, and otherwise stays on the old
segment, shown as a memo on a passage no longer in the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from themegrid.errors import SpanError
from themegrid.store.connection import Store
from themegrid.store.segments import CodedSegment, nearest_occurrence, passage_of

KINDS = ("document", "code", "segment", "project")
PROJECT = ""  # the target id of a memo on the project as a whole (kind "project")
_COLUMNS = "id, target_kind, target_id, coder, text, created_at, span_start, span_end, note"


@dataclass(frozen=True)
class Memo:
    id: int
    target_kind: str
    target_id: str
    coder: str
    text: str
    created_at: str
    span_start: int | None = None  # the passage (document offsets), when on part of a segment
    span_end: int | None = None
    note: str = ""  # e.g. how an edited file moved it


def add_memo(
    store: Store,
    kind: str,
    target_id: str,
    coder: str,
    text: str,
    at: str,
    span: tuple[int, int] | None = None,
    note: str = "",
) -> int:
    """Store a memo; returns its id (call inside a transaction). ``note``: where it came
    from when not typed here (e.g. "imported from project.qdpx").

    ``span``: (start, end) code-point offsets into the document text of a passage
    inside the segment ``target_id`` (kind ``segment`` only); one that is empty or
    not inside that (active) segment is refused with :class:`~themegrid.errors.SpanError`.
    """
    if kind not in KINDS:
        raise ValueError(f"a memo is on one of {KINDS}, not {kind!r}")
    if span is not None:
        _check_span(store, kind, target_id, span)
    start, end = span if span is not None else (None, None)
    cur = store.conn.execute(
        "INSERT INTO memos"
        " (target_kind, target_id, coder, text, created_at, span_start, span_end, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (kind, target_id, coder, text, at, start, end, note),
    )
    return int(cur.lastrowid or 0)


def _check_span(store: Store, kind: str, segment_id: str, span: tuple[int, int]) -> None:
    start, end = span
    if kind != "segment":
        raise SpanError(f"a passage memo is on a segment, not on a {kind}")
    if end <= start:
        raise SpanError(f"segment {segment_id}: select some text first (got {start}..{end})")
    row = store.conn.execute(
        'SELECT start, "end", active FROM segments WHERE id = ?', (segment_id,)
    ).fetchone()
    if row is None or not row[2]:
        raise SpanError(f"no current turn (segment) {segment_id!r} to put a memo on")
    if not (row[0] <= start and end <= row[1]):
        raise SpanError(
            f"segment {segment_id}: the passage {start}..{end} is not inside its turn"
            f" ({row[0]}..{row[1]}); select text within a single turn"
        )


def memos_on(store: Store, kind: str, target_id: str) -> list[Memo]:
    """The memos on one target, oldest first."""
    return [
        Memo(*r)
        for r in store.conn.execute(
            f"SELECT {_COLUMNS} FROM memos WHERE target_kind = ? AND target_id = ? ORDER BY id",
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
    segment_start: int = 0  # where the segment starts in its document's text

    @property
    def passage(self) -> str:
        """The text the memo is on: its passage, else the whole segment."""
        m = self.memo
        if m.span_start is None or m.span_end is None:
            return self.segment_text
        lo = m.span_start - self.segment_start
        return self.segment_text[lo : lo + m.span_end - m.span_start]


def memos_by_target(store: Store, kind: str) -> dict[str, list[Memo]]:
    """Every memo of one kind (e.g. all memos on codes), by target id, oldest first."""
    out: dict[str, list[Memo]] = {}
    for r in store.conn.execute(
        f"SELECT {_COLUMNS} FROM memos WHERE target_kind = ? ORDER BY id", (kind,)
    ):
        out.setdefault(r[2], []).append(Memo(*r))
    return out


def passage_memos(store: Store, document_id: int) -> list[PassageMemo]:
    """The memos on a document's segments, active or not, in document order then oldest first."""
    cols = ", ".join(f"m.{c.strip()}" for c in _COLUMNS.split(","))
    return [
        PassageMemo(Memo(*r[:9]), r[2], r[9], bool(r[10]), int(r[11]))
        for r in store.conn.execute(
            f"SELECT {cols}, s.text, s.active, s.start FROM memos m"
            " JOIN segments s ON s.id = m.target_id"
            " WHERE m.target_kind = 'segment' AND s.document_id = ?"
            " ORDER BY s.seq, COALESCE(m.span_start, s.start), m.id",
            (document_id,),
        )
    ]


def memo_segments(store: Store, ids: Sequence[str]) -> list[CodedSegment]:
    """Which of these segments carry a memo (to re-attach after an edit, like codings)."""
    marks = ",".join("?" * len(ids))
    return [
        CodedSegment(r[0], r[1], r[2])
        for r in store.query(
            "SELECT DISTINCT s.id, s.text, s.speaker FROM segments s"
            " JOIN memos m ON m.target_kind = 'segment' AND m.target_id = s.id"
            f" WHERE s.id IN ({marks}) ORDER BY s.seq",
            tuple(ids),
        )
    ]


def move_memos(store: Store, old_id: str, new_id: str, note: str) -> int:
    """Memos on a vanished segment follow it to its edited version; returns how many moved.

    A memo on the whole turn always follows; one on a passage follows only if the
    passage's text is still in the edited turn (its offsets then point at it there,
    the occurrence nearest where it was), otherwise it stays on the old segment,
    orphaned and shown, never dropped. ``note`` is added to each moved memo's note.
    """
    old = store.conn.execute("SELECT start, text FROM segments WHERE id = ?", (old_id,)).fetchone()
    new = store.conn.execute("SELECT start, text FROM segments WHERE id = ?", (new_id,)).fetchone()
    if old is None or new is None:
        return 0
    set_note = "note = CASE WHEN note = '' THEN ? ELSE note || '; ' || ? END"
    moved = 0
    rows = store.conn.execute(
        "SELECT id, span_start, span_end FROM memos WHERE target_kind = 'segment'"
        " AND target_id = ?",
        (old_id,),
    ).fetchall()
    for memo_id, start, end in rows:
        if start is None or end is None:
            store.conn.execute(
                f"UPDATE memos SET target_id = ?, {set_note} WHERE id = ?",
                (new_id, note, note, memo_id),
            )
            moved += 1
            continue
        rel = start - old[0]
        found = nearest_occurrence(new[1], old[1][rel : rel + end - start], rel)
        if found is None:
            continue
        store.conn.execute(
            f"UPDATE memos SET target_id = ?, span_start = ?, span_end = ?, {set_note}"
            " WHERE id = ?",
            (new_id, new[0] + found, new[0] + found + end - start, note, note, memo_id),
        )
        moved += 1
    return moved


@dataclass(frozen=True)
class OrphanedMemo:
    """A memo on a turn (or a passage of one) that its edited file no longer has; kept."""

    document_id: int
    path: str
    passage: str  # the text it was on: its passage, else the whole turn
    on_passage: bool
    coder: str
    text: str
    created_at: str


def orphaned_memos(store: Store) -> list[OrphanedMemo]:
    """Memos on inactive segments, by document and position, oldest first within a turn.

    These are the memos :func:`move_memos` could not move (their passage's text left the
    edited turn) or whose turn vanished with nothing to follow; never deleted."""
    out: list[OrphanedMemo] = []
    for doc_id, path, s_start, s_text, start, end, coder, text, at in store.conn.execute(
        "SELECT d.id, d.path, s.start, s.text, m.span_start, m.span_end, m.coder, m.text,"
        " m.created_at FROM memos m JOIN segments s ON s.id = m.target_id"
        " JOIN documents d ON d.id = s.document_id"
        " WHERE m.target_kind = 'segment' AND s.active = 0"
        " ORDER BY d.path, s.seq, COALESCE(m.span_start, s.start), m.id"
    ):
        passage, on_passage = passage_of(s_text, s_start, start, end)
        out.append(OrphanedMemo(doc_id, path, passage, on_passage, coder, text, at))
    return out


def memo_count(store: Store) -> int:
    """How many memos the project holds, on anything."""
    return int(store.conn.execute("SELECT COUNT(*) FROM memos").fetchone()[0])


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


@dataclass(frozen=True)
class ReportMemo:
    """A memo as a report lists it: what it is on, in words a reader can follow."""

    kind: str  # document, code, segment (a turn or a passage of one), project
    on: str  # the document's path, the code's id, or "" for the project
    passage: str  # the text a turn or passage memo is on; "" for the others
    speaker: str  # the turn's speaker, if any
    still_in_file: bool  # False: its turn left the edited file (kept, shown as such)
    coder: str
    created_at: str
    text: str
    note: str
    segment_id: str = ""  # the turn a turn or passage memo is on


def report_memos(store: Store) -> list[ReportMemo]:
    """Every memo in the project, for a report: the project's first, then documents' and
    their turns' in document order, then codes'; oldest first within a target."""
    out: list[ReportMemo] = []
    for m in memos_on(store, "project", PROJECT):
        out.append(ReportMemo("project", "", "", "", True, m.coder, m.created_at, m.text, m.note))
    doc_rows = store.conn.execute(
        "SELECT d.path, 0, m.id, '' AS passage, '' AS speaker, 1, m.coder, m.created_at,"
        " m.text, m.note, 'document', '' FROM memos m JOIN documents d"
        " ON m.target_kind = 'document' AND CAST(d.id AS TEXT) = m.target_id"
        " UNION ALL"
        " SELECT d.path, s.seq + 1, m.id,"
        " CASE WHEN m.span_start IS NOT NULL AND m.span_end IS NOT NULL"
        " THEN substr(s.text, m.span_start - s.start + 1, m.span_end - m.span_start)"
        " ELSE s.text END, COALESCE(s.speaker, ''), s.active, m.coder, m.created_at,"
        " m.text, m.note, 'segment', s.id FROM memos m JOIN segments s"
        " ON m.target_kind = 'segment' AND s.id = m.target_id"
        " JOIN documents d ON d.id = s.document_id"
        " ORDER BY 1, 2, 3"
    ).fetchall()
    for path, _, _, passage, speaker, active, coder, at, text, note, kind, seg in doc_rows:
        out.append(
            ReportMemo(kind, path, passage, speaker, bool(active), coder, at, text, note, seg)
        )
    for code_id, memos in sorted(memos_by_target(store, "code").items()):
        for m in memos:
            out.append(
                ReportMemo("code", code_id, "", "", True, m.coder, m.created_at, m.text, m.note)
            )
    return out


__all__ = [
    "KINDS",
    "PROJECT",
    "Memo",
    "OrphanedMemo",
    "PassageMemo",
    "ReportMemo",
    "add_memo",
    "memo_count",
    "memo_segments",
    "memos_by_target",
    "memos_on",
    "memos_on_document",
    "move_memos",
    "orphaned_memos",
    "passage_memos",
    "report_memos",
]
