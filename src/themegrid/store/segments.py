"""The ``segments`` and ``segment_views`` tables.

Every segment is written through :func:`insert_segments` or
:func:`upsert_segments`, which set ``segments.codable`` by one rule
(:func:`is_codable`): the machine codes a segment unless it is an interviewer
turn or the preamble of a transcript (text before the first speaker label).
Humans may code any segment. Writes run in the caller's transaction.

A few functions here also read or write ``codings`` because they are about
what happens to human codings when their segment changes (re-attachment,
orphans); they are named for that.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from themegrid.store.connection import Store, now

#: SQLite's default limit on ``?`` parameters is 999; stay below it.
_CHUNK = 900


def is_preamble(document_kind: str, speaker: str | None) -> bool:
    """An unlabelled segment of a transcript: its title, header lines, notices."""
    return document_kind == "interview" and speaker is None


def is_codable(*, is_interviewer: bool, preamble: bool) -> bool:
    """Whether the machine suggests codes for a segment (stored as ``segments.codable``)."""
    return not is_interviewer and not preamble


@dataclass(frozen=True)
class NewSegment:
    """A segment to write. ``preamble``: see :func:`is_preamble`."""

    id: str
    document_id: int
    seq: int
    start: int
    end: int
    text: str
    speaker: str | None = None
    is_interviewer: bool = False
    t_start: float | None = None
    t_end: float | None = None
    row_id: str | None = None
    preamble: bool = False

    @property
    def codable(self) -> bool:
        return is_codable(is_interviewer=self.is_interviewer, preamble=self.preamble)


class SegmentLike(Protocol):
    """What a segment the reader and segmenter made carries (``themegrid.models.Segment``)."""

    @property
    def id(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def speaker(self) -> str | None: ...
    @property
    def is_interviewer(self) -> bool: ...
    @property
    def t_start(self) -> float | None: ...
    @property
    def t_end(self) -> float | None: ...
    @property
    def row_id(self) -> str | None: ...


def new_segments(segments: Iterable[SegmentLike], document_id: int, kind: str) -> list[NewSegment]:
    """The segments of one document of ``kind`` as rows to write (ingest and imports alike)."""
    return [
        NewSegment(
            id=s.id,
            document_id=document_id,
            seq=s.seq,
            start=s.start,
            end=s.end,
            text=s.text,
            speaker=s.speaker,
            is_interviewer=s.is_interviewer,
            t_start=s.t_start,
            t_end=s.t_end,
            row_id=s.row_id,
            preamble=is_preamble(kind, s.speaker),
        )
        for s in segments
    ]


@dataclass(frozen=True)
class StoredSegment:
    id: str
    seq: int
    text: str
    speaker: str | None
    row_id: str | None


@dataclass(frozen=True)
class Turn:
    id: str
    speaker: str | None
    text: str


@dataclass(frozen=True)
class RowSegment:
    """A segment of a one-row document (a survey response), with its document."""

    document_id: int
    path: str
    segment_id: str
    text: str  # the segment's text (imported rows) or the document's text (corpus responses)
    row_id: str | None


@dataclass(frozen=True)
class CodedSegment:
    id: str
    text: str
    speaker: str | None


@dataclass(frozen=True)
class OrphanedCoding:
    """A human coding whose segment no longer exists in its (changed) file."""

    path: str
    text: str  # the old turn's whole text
    code_id: str
    coder: str
    status: str
    updated_at: str
    document_id: int = 0
    passage: str = ""  # what was coded: the span's text in the old turn, else the turn
    on_passage: bool = False  # a span coding (a passage of the turn), not the whole turn


# --- writes ---------------------------------------------------------------------------

_COLUMNS = (
    'id, document_id, seq, start, "end", text, speaker, is_interviewer,'
    " t_start, t_end, row_id, codable, active"
)


def _row(s: NewSegment) -> tuple[object, ...]:
    return (
        s.id,
        s.document_id,
        s.seq,
        s.start,
        s.end,
        s.text,
        s.speaker,
        int(s.is_interviewer),
        s.t_start,
        s.t_end,
        s.row_id,
        int(s.codable),
    )


def insert_segments(store: Store, segments: Iterable[NewSegment]) -> None:
    """Add new, active segments (an id that exists already is an error)."""
    store.conn.executemany(
        f"INSERT INTO segments ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
        [_row(s) for s in segments],
    )


def upsert_segments(store: Store, segments: Iterable[NewSegment]) -> None:
    """Add segments, or rewrite those whose id exists (they become active again)."""
    store.conn.executemany(
        f"INSERT INTO segments ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"
        " ON CONFLICT(id) DO UPDATE SET document_id = excluded.document_id, seq = excluded.seq,"
        ' start = excluded.start, "end" = excluded."end", text = excluded.text,'
        " speaker = excluded.speaker, is_interviewer = excluded.is_interviewer,"
        " t_start = excluded.t_start, t_end = excluded.t_end, row_id = excluded.row_id,"
        " codable = excluded.codable, active = 1",
        [_row(s) for s in segments],
    )


def deactivate_segments(store: Store, ids: Iterable[str]) -> None:
    """Segments a changed file no longer has: kept, with ``active = 0``."""
    store.conn.executemany("UPDATE segments SET active = 0 WHERE id = ?", [(i,) for i in ids])


def set_tagged_hash(store: Store, ids: Iterable[str], cue_hash: str) -> None:
    """Record the cue hash these segments were tagged with."""
    store.conn.executemany(
        "UPDATE segments SET tagged_hash = ? WHERE id = ?", [(cue_hash, i) for i in ids]
    )


@dataclass(frozen=True)
class TagResult:
    """What tagging decided about a segment (see :mod:`themegrid.tag.codable`)."""

    id: str
    skip: str | None
    language: str | None


def set_tag_results(store: Store, results: Iterable[TagResult], cue_hash: str) -> None:
    """Record the cue hash these segments were tagged with and whether the machine codes them."""
    store.conn.executemany(
        "UPDATE segments SET tagged_hash = ?, machine_skip = ?, language = ? WHERE id = ?",
        [(cue_hash, r.skip, r.language, r.id) for r in results],
    )


def speakers(store: Store, ids: Sequence[str]) -> dict[str, str | None]:
    """Segment id -> speaker label (None: no speaker) for these segments."""
    out: dict[str, str | None] = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for r in store.query(
            f"SELECT id, speaker FROM segments WHERE id IN ({marks})", tuple(chunk)
        ):
            out[r[0]] = r[1]
    return out


def mark_seen(
    store: Store, segment_ids: Iterable[str], coder: str, origin: str, at: str | None = None
) -> int:
    """Record that ``coder`` has seen these segments; returns how many were not seen before."""
    stamp = at or now()
    before = store.scalar("SELECT COUNT(*) FROM segment_views WHERE coder = ?", (coder,))
    store.conn.executemany(
        "INSERT OR IGNORE INTO segment_views (segment_id, coder, origin, at) VALUES (?, ?, ?, ?)",
        [(seg, coder, origin, stamp) for seg in segment_ids],
    )
    after = store.scalar("SELECT COUNT(*) FROM segment_views WHERE coder = ?", (coder,))
    return int(after - before)


def move_views(store: Store, old_id: str, new_id: str) -> None:
    """Views of a segment follow it to its edited version (where the coder has none yet)."""
    store.execute(
        "UPDATE OR IGNORE segment_views SET segment_id = ? WHERE segment_id = ?", (new_id, old_id)
    )


def move_human_codings(store: Store, old_id: str, new_id: str, note: str) -> int:
    """Human codings of a vanished segment follow it to its edited version (writes ``codings``).

    ``note`` is added to each moved coding's note; the move is kept in its history
    (by trigger). A coding whose coder already has one for that code on the new
    segment stays where it is. A coding of a passage (span) follows only if the
    passage's text is still in the edited turn (its offsets then point at it there);
    otherwise it stays on the old segment, orphaned and listed, never dropped.
    Returns how many moved.
    """
    stamp = now()
    set_note = "note = CASE WHEN note = '' THEN ? ELSE note || '; ' || ? END"
    moved = 0
    old = store.conn.execute("SELECT start, text FROM segments WHERE id = ?", (old_id,)).fetchone()
    new = store.conn.execute("SELECT start, text FROM segments WHERE id = ?", (new_id,)).fetchone()
    spans = store.conn.execute(
        "SELECT id, span_start, span_end FROM codings"
        " WHERE segment_id = ? AND source = 'human' AND span_start IS NOT NULL",
        (old_id,),
    ).fetchall()
    for coding_id, span_start, span_end in spans:
        if old is None or new is None:
            continue
        rel = span_start - old[0]
        found = nearest_occurrence(new[1], old[1][rel : rel + span_end - span_start], rel)
        if found is None:
            continue
        cur = store.execute(
            "UPDATE OR IGNORE codings SET segment_id = ?, span_start = ?, span_end = ?,"
            f" updated_at = ?, {set_note} WHERE id = ?",
            (
                new_id,
                new[0] + found,
                new[0] + found + span_end - span_start,
                stamp,
                note,
                note,
                coding_id,
            ),
        )
        moved += cur.rowcount
    cur = store.execute(
        f"UPDATE OR IGNORE codings SET segment_id = ?, updated_at = ?, {set_note}"
        " WHERE segment_id = ? AND source = 'human' AND span_start IS NULL",
        (new_id, stamp, note, note, old_id),
    )
    return moved + int(cur.rowcount)


def nearest_occurrence(text: str, passage: str, near: int) -> int | None:
    """Where ``passage`` occurs in ``text``, the occurrence nearest ``near``; None if absent."""
    if not passage:
        return None
    hits = []
    at = text.find(passage)
    while at >= 0:
        hits.append(at)
        at = text.find(passage, at + 1)
    return min(hits, key=lambda h: abs(h - near)) if hits else None


# --- queries --------------------------------------------------------------------------


def segment_ids_of_document(store: Store, doc_id: int) -> set[str]:
    """Every segment id of a document, active or not."""
    return {r[0] for r in store.query("SELECT id FROM segments WHERE document_id = ?", (doc_id,))}


def segments_of_document(store: Store, doc_id: int) -> list[StoredSegment]:
    """A document's segments (active or not) in order."""
    return [
        StoredSegment(r["id"], int(r["seq"]), r["text"], r["speaker"], r["row_id"])
        for r in store.query(
            "SELECT id, seq, text, speaker, row_id FROM segments WHERE document_id = ? ORDER BY seq",
            (doc_id,),
        )
    ]


def active_spans(store: Store, doc_id: int) -> list[tuple[str, int, int, bool]]:
    """(id, start, end, is_interviewer) of a document's active segments, in order."""
    return [
        (r[0], int(r[1]), int(r[2]), bool(r[3]))
        for r in store.query(
            'SELECT id, start, "end", is_interviewer FROM segments'
            " WHERE document_id = ? AND active = 1 ORDER BY seq",
            (doc_id,),
        )
    ]


def active_turns(store: Store, doc_id: int) -> list[Turn]:
    """A document's active segments in order."""
    return [
        Turn(r["id"], r["speaker"], r["text"])
        for r in store.query(
            "SELECT id, speaker, text FROM segments WHERE document_id = ? AND active = 1 ORDER BY seq",
            (doc_id,),
        )
    ]


def count_active(store: Store) -> int:
    return int(store.scalar("SELECT COUNT(*) FROM segments WHERE active = 1"))


def segments_to_tag(
    store: Store,
    cue_hash: str,
    *,
    include_interviewers: bool = False,
    also: Collection[str] = (),
) -> list[tuple[str, str]]:
    """(id, text) of live codable segments not yet tagged with this cue hash, in reading order.

    ``include_interviewers``: interviewer turns too (never the preamble). ``also``: ids
    to tag again whatever their hash (their verdict changed with other documents).
    """
    sql = (
        "SELECT s.id, s.text, d.path, s.seq FROM segments s JOIN documents d ON d.id = s.document_id"
        " WHERE s.active = 1 AND d.status = 'present'"
    )
    sql += (
        " AND (s.codable = 1 OR s.is_interviewer = 1)"
        if include_interviewers
        else " AND s.codable = 1"
    )
    # only untagged texts are read (a run after one new file reads that file's), then
    # the few ``also`` asks for
    rows = {
        r[0]: tuple(r)
        for r in store.query(
            sql + " AND (s.tagged_hash IS NULL OR s.tagged_hash != ?)", (cue_hash,)
        )
    }
    wanted = sorted(set(also) - set(rows))
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i : i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        rows.update(
            (r[0], tuple(r)) for r in store.query(f"{sql} AND s.id IN ({marks})", tuple(chunk))
        )
    return [(r[0], r[1]) for r in sorted(rows.values(), key=lambda r: (r[2], r[3]))]


#: Segments a document needs for its texts to count as repeats of other documents'.
MIN_SEGMENTS_FOR_REPEATS = 3


def segments_skipped_as(store: Store, skip_label: str) -> list[str]:
    """Ids of live segments the machine set aside for this reason."""
    return [
        r[0]
        for r in store.query(
            "SELECT id FROM segments WHERE active = 1 AND machine_skip = ?", (skip_label,)
        )
    ]


def repeated_text_segments(
    store: Store, min_documents: int, min_words: int, skip_label: str
) -> tuple[set[str], set[str]]:
    """Segments whose text is a protocol or template: word for word (case and spacing
    aside) in at least ``min_documents`` present documents, with ``min_words`` words or
    more, in paragraphs without a speaker (a speaker's turn is that person's words, even
    when another interview has the same sentence). Only documents of several segments
    count: survey responses, one segment each, may give the same answer and each is
    that respondent's.
    Returns (those segments' ids, the ids whose stored verdict disagrees: repeated but
    coded, or set aside as ``skip_label`` but no longer repeated; a repeated segment set
    aside for another reason, a filler, stays as it is)."""
    rows = store.query(
        "SELECT s.id, s.document_id, s.text, s.machine_skip FROM segments s"
        " JOIN documents d ON d.id = s.document_id"
        " WHERE s.active = 1 AND d.status = 'present' AND s.codable = 1 AND s.speaker IS NULL"
    )
    per_document: dict[int, int] = defaultdict(int)
    for _, doc_id, _, _ in rows:
        per_document[doc_id] += 1
    keyed: list[tuple[str, str, str | None]] = []
    documents: dict[str, set[int]] = defaultdict(set)
    for seg_id, doc_id, text, skip in rows:
        words = text.split()
        several = per_document[doc_id] >= MIN_SEGMENTS_FOR_REPEATS
        key = " ".join(words).casefold() if several and len(words) >= min_words else ""
        keyed.append((seg_id, key, skip))
        if key:
            documents[key].add(doc_id)
    repeated = {k for k, docs in documents.items() if len(docs) >= min_documents}
    ids = {seg_id for seg_id, key, _ in keyed if key in repeated}
    changed = {
        seg_id
        for seg_id, _, skip in keyed
        if (seg_id in ids and skip is None) or (seg_id not in ids and skip == skip_label)
    }
    return ids, changed


def segment_exists(store: Store, segment_id: str) -> bool:
    return store.scalar("SELECT 1 FROM segments WHERE id = ?", (segment_id,)) is not None


def live_segment_ids(store: Store, ids: Iterable[str]) -> set[str]:
    """Which of these segment ids exist and are active."""
    live: set[str] = set()
    unique = sorted(set(ids))
    for i in range(0, len(unique), _CHUNK):
        chunk = unique[i : i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        live |= {
            r[0]
            for r in store.query(
                f"SELECT id FROM segments WHERE active = 1 AND id IN ({marks})", tuple(chunk)
            )
        }
    return live


def imported_row_segments(store: Store) -> list[RowSegment]:
    """First segment of each row-document an earlier import created (``imported/...#...``)."""
    return [
        RowSegment(int(r["doc_id"]), r["path"], r["id"], r["text"], r["row_id"])
        for r in store.query(
            "SELECT d.id AS doc_id, d.path, s.id, s.text, s.row_id FROM documents d"
            " JOIN segments s ON s.document_id = d.id WHERE d.path LIKE 'imported/%#%' AND s.seq = 0"
        )
    ]


def corpus_response_segments(store: Store) -> list[RowSegment]:
    """Active segments of present survey responses ingested from corpus/ (``text``: the document's)."""
    return [
        RowSegment(int(r["doc_id"]), r["path"], r["id"], r["text"], r["row_id"])
        for r in store.query(
            "SELECT d.id AS doc_id, d.path, d.text, s.id, s.row_id FROM documents d"
            " JOIN segments s ON s.document_id = d.id WHERE d.path NOT LIKE 'imported/%'"
            " AND d.path LIKE '%#%' AND d.status = 'present' AND s.active = 1 ORDER BY d.id, s.seq"
        )
    ]


def human_coded_segments(store: Store, ids: Sequence[str]) -> list[CodedSegment]:
    """Which of these segments carry a human coding (reads ``codings``)."""
    marks = ",".join("?" * len(ids))
    return [
        CodedSegment(r[0], r[1], r[2])
        for r in store.query(
            "SELECT DISTINCT s.id, s.text, s.speaker FROM segments s"
            " JOIN codings c ON c.segment_id = s.id"
            f" WHERE c.source = 'human' AND s.id IN ({marks})",
            tuple(ids),
        )
    ]


def count_orphaned(store: Store) -> int:
    """Human codings on inactive segments (reads ``codings``)."""
    return int(
        store.scalar(
            "SELECT COUNT(*) FROM codings c JOIN segments s ON s.id = c.segment_id"
            " WHERE c.source = 'human' AND s.active = 0"
        )
    )


def orphaned_codings(store: Store) -> list[OrphanedCoding]:
    """Human codings on inactive segments, by document and position (reads ``codings``).

    A span coding's offsets are into the document's text when it was coded; its passage
    is taken from the old turn the segment keeps, not from the document's new text."""
    out: list[OrphanedCoding] = []
    for r in store.query(
        "SELECT d.id AS document_id, d.path, s.start, s.text, c.code_id, c.coder, c.status,"
        " c.updated_at, c.span_start, c.span_end"
        " FROM codings c JOIN segments s ON s.id = c.segment_id"
        " JOIN documents d ON d.id = s.document_id"
        " WHERE c.source = 'human' AND s.active = 0"
        " ORDER BY d.path, s.seq, COALESCE(c.span_start, s.start), c.id"
    ):
        text = r["text"]
        passage, on_passage = passage_of(text, r["start"], r["span_start"], r["span_end"])
        out.append(
            OrphanedCoding(
                r["path"],
                text,
                r["code_id"],
                r["coder"],
                r["status"],
                r["updated_at"],
                r["document_id"],
                passage,
                on_passage,
            )
        )
    return out


def passage_of(
    text: str, segment_start: int, span_start: int | None, span_end: int | None
) -> tuple[str, bool]:
    """What a coding or memo on a segment is on: its span's text (document offsets, the
    segment starting at ``segment_start``) and True, else the whole segment and False."""
    if span_start is None or span_end is None:
        return text, False
    return text[span_start - segment_start : span_end - segment_start], True


@dataclass(frozen=True)
class SegmentInContext:
    """A segment's text with its neighbouring active turns (empty for inactive segments)."""

    id: str
    document_id: int
    text: str
    before: str
    after: str


def segments_in_context(store: Store) -> list[SegmentInContext]:
    """Every segment with the previous and next active segment of its document."""
    rows = store.conn.execute(
        "SELECT id, document_id, text,"
        " CASE WHEN active = 1 THEN LAG(text) OVER w END AS before,"
        " CASE WHEN active = 1 THEN LEAD(text) OVER w END AS after"
        " FROM segments WINDOW w AS (PARTITION BY document_id, active ORDER BY seq)"
    )
    return [SegmentInContext(r[0], r[1], r[2], r[3] or "", r[4] or "") for r in rows]


def codable_segment_ids(store: Store) -> set[str]:
    """Active, codable segments of present documents that tagging did not set aside
    (``machine_skip``): where the machine may suggest."""
    rows = store.conn.execute(
        "SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id"
        " WHERE s.active = 1 AND s.codable = 1 AND d.status = 'present'"
        " AND s.machine_skip IS NULL"
    )
    return {r[0] for r in rows}


def count_codable_segments(store: Store) -> int:
    """How many segments :func:`codable_segment_ids` lists."""
    return int(
        store.scalar(
            "SELECT COUNT(*) FROM segments s JOIN documents d ON d.id = s.document_id"
            " WHERE s.active = 1 AND s.codable = 1 AND d.status = 'present'"
            " AND s.machine_skip IS NULL"
        )
        or 0
    )


@dataclass(frozen=True)
class SkippedCount:
    """Active segments of one present document the machine does not code, for one reason."""

    path: str
    reason: str
    n: int


def machine_skipped_counts(store: Store) -> list[SkippedCount]:
    """Per document and reason, the active codable segments tagging set aside."""
    return [
        SkippedCount(r[0], r[1], int(r[2]))
        for r in store.query(
            "SELECT d.path, s.machine_skip, COUNT(*) FROM segments s"
            " JOIN documents d ON d.id = s.document_id"
            " WHERE s.active = 1 AND s.codable = 1 AND d.status = 'present'"
            " AND s.machine_skip IS NOT NULL GROUP BY d.path, s.machine_skip"
            " ORDER BY d.path, s.machine_skip"
        )
    ]
