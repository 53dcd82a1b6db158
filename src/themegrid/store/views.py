"""Read-only queries for reports, exports, status and statistics.

Everything here only reads the store. Which coding counts for a (segment, code)
is the store's ``effective_codings`` view (the latest human decision, otherwise
the live machine suggestion); the queries below read it rather than re-deriving
it. The one exception is :func:`counted_codings_frame` with ``coders``: human
decisions limited to some coders, the same rule applied to their decisions only.

Queries that feed pandas with many rows (:func:`counted_codings_frame`,
:func:`segments_table`) return a DataFrame built here from plain tuples; pandas
is imported inside those functions so importing the store stays light.
Everything else returns plain values or frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from themegrid.models import Coding, Source, Status
from themegrid.store.connection import Store

if TYPE_CHECKING:
    import pandas as pd

#: SQLite's default limit on host parameters is 999 in older builds; chunks stay below it.
_CHUNK = 900


def _tuples(store: Store, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows as plain tuples (no ``sqlite3.Row`` objects: faster for many rows)."""
    cursor = store.conn.cursor()
    cursor.row_factory = None
    try:
        return cursor.execute(sql, tuple(params)).fetchall()
    finally:
        cursor.close()


def _column(store: Store, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    return [r[0] for r in _tuples(store, sql, params)]


def _one(store: Store, sql: str, params: Sequence[Any] = ()) -> Any:
    rows = _tuples(store, sql, params)
    return rows[0][0] if rows else None


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


# --- codings that count ------------------------------------------------------------------------

#: Columns of :func:`counted_codings_frame`, in order.
COUNTED_CODING_COLUMNS = (
    "segment_id",
    "document_id",
    "document",
    "seq",
    "speaker",
    "is_interviewer",
    "code_id",
    "status",
    "source",
    "coder",
    "confidence",
    "reason",
    "note",
    "passage",
    "text",
)

# The codings that count come in three queries joined in pandas (one SQL join of the
# three costs a third more at 100,000 codings, each row looked up by segment id): the
# view's rows; the segments a coding can count on (active, of a present document), with
# their columns (the text above all) once per segment, not once per coding; and the
# passages of span codings. The rule of :func:`counted_codings_frame` (a machine
# suggestion counts only on a codable segment) is applied to the joined rows.
_COUNTED_SQL = """
{prefix}
SELECT e.segment_id, e.code_id, e.status, e.source, e.coder, e.confidence, e.reason
FROM {source} e WHERE e.status IN ({marks})
"""

#: The segments a counted coding can be on (active, of a present document).
_COUNTED_SEGMENTS_SQL = """
SELECT s.id, s.document_id, d.path, s.seq, s.speaker, s.is_interviewer, s.text, s.codable
FROM segments s JOIN documents d ON d.id = s.document_id
WHERE s.active = 1 AND d.status = 'present'
"""

# ``passage``: the part of the segment a human coded (a span coding: the reader's
# selection, an imported tool's highlight), None where the coding is the whole segment.
_PASSAGES_SQL = """
SELECT c.segment_id, c.code_id, c.coder,
       substr(s.text, c.span_start - s.start + 1, c.span_end - c.span_start)
FROM codings c JOIN segments s ON s.id = c.segment_id
WHERE c.source = 'human' AND c.span_start IS NOT NULL AND c.span_end IS NOT NULL
"""

# ``note``: what the coder wrote beside a decision (a review sheet's Note column, a memo
# field of an import); only human codings have one.
_NOTES_SQL = """
SELECT segment_id, code_id, coder, note FROM codings
WHERE source = 'human' AND note IS NOT NULL AND note != ''
"""

# The ``effective_codings`` rule (migration 0002) with human decisions limited to some
# coders: their latest decision counts, otherwise the live machine suggestion. The view
# cannot be filtered by coder after the fact (another coder's later decision would hide
# theirs), so this is the view's definition with ``AND coder IN (...)`` on human rows.
_EFFECTIVE_FOR_CODERS = """
WITH human AS (
    SELECT segment_id, code_id, status, coder, confidence, reason, updated_at,
           ROW_NUMBER() OVER (PARTITION BY segment_id, code_id ORDER BY updated_at DESC, id DESC) AS rn
    FROM codings WHERE source = 'human' AND coder IN ({coders})
),
machine AS (
    SELECT segment_id, code_id, GROUP_CONCAT(source, '+') AS sources, MAX(confidence) AS confidence,
           GROUP_CONCAT(reason, ' | ') AS reason, MAX(updated_at) AS updated_at
    FROM codings WHERE source IN ('rule', 'model') AND status = 'suggested'
    GROUP BY segment_id, code_id
),
chosen AS (
    SELECT segment_id, code_id, status, 'human' AS source, coder, confidence, reason, updated_at
    FROM human WHERE rn = 1
    UNION ALL
    SELECT m.segment_id, m.code_id, 'suggested', m.sources, 'themegrid', m.confidence, m.reason,
           m.updated_at
    FROM machine m
    WHERE NOT EXISTS (SELECT 1 FROM human h WHERE h.segment_id = m.segment_id AND h.code_id = m.code_id)
)"""


def counted_codings_frame(
    store: Store, statuses: Sequence[str], coders: Sequence[str] | None = None
) -> pd.DataFrame:
    """The codings that count with one of ``statuses``, as a DataFrame (:data:`COUNTED_CODING_COLUMNS`).

    Only active segments of present documents; machine suggestions only on codable
    segments (a human coding counts on any segment). Ordered by document path,
    segment position, code. With ``coders``, only those coders' human decisions count.
    """
    import numpy as np
    import pandas as pd

    marks = ", ".join("?" * len(statuses))
    if coders:
        prefix = _EFFECTIVE_FOR_CODERS.format(coders=", ".join("?" * len(coders)))
        sql = _COUNTED_SQL.format(prefix=prefix, source="chosen", marks=marks)
        rows = _tuples(store, sql, (*coders, *statuses))
    else:
        sql = _COUNTED_SQL.format(prefix="", source="effective_codings", marks=marks)
        rows = _tuples(store, sql, tuple(statuses))
    segments = _tuples(store, _COUNTED_SEGMENTS_SQL)
    # Rows to columns in C (a 2-D object array); the empty cases keep their width.
    coding = np.array(rows, dtype=object).reshape(len(rows), 7)
    segment = np.array(segments, dtype=object).reshape(len(segments), 8)
    # Each coding's segment: -1 for one inactive or of a missing document (does not count).
    where = pd.Index(segment[:, 0]).get_indexer(coding[:, 0])
    found = where >= 0
    codable = np.zeros(len(where), dtype=bool)
    codable[found] = segment[where[found], 7] == 1
    human = coding[:, 3] == "human"
    # A machine suggestion counts on a codable segment only; a human coding on any.
    keep = found & (human | codable)
    coding, where, human = coding[keep], where[keep], human[keep]
    passage = np.full(len(coding), None, dtype=object)
    spans = {(r[0], r[1], r[2]): r[3] for r in _tuples(store, _PASSAGES_SQL)}
    if spans:
        for i in np.flatnonzero(human):
            passage[i] = spans.get((coding[i, 0], coding[i, 1], coding[i, 4]))
    note = np.full(len(coding), None, dtype=object)
    notes = {(r[0], r[1], r[2]): r[3] for r in _tuples(store, _NOTES_SQL)}
    if notes:
        for i in np.flatnonzero(human):
            note[i] = notes.get((coding[i, 0], coding[i, 1], coding[i, 4]))
    # Document path, then segment position, then code (what ``ORDER BY d.path, s.seq,
    # e.code_id`` gives: paths and codes compare as code points in both).
    path_rank = pd.factorize(segment[:, 2], sort=True)[0]
    code_rank = pd.factorize(coding[:, 1], sort=True)[0]
    seq = segment[:, 3].astype(np.int64)
    order = np.lexsort((code_rank, seq[where], path_rank[where]))
    coding, segment, passage = coding[order], segment[where[order]], passage[order]
    note = note[order]
    columns = {
        "segment_id": coding[:, 0],
        "document_id": segment[:, 1],
        "document": segment[:, 2],
        "seq": segment[:, 3],
        "speaker": segment[:, 4],
        "is_interviewer": segment[:, 5],
        "code_id": coding[:, 1],
        "status": coding[:, 2],
        "source": coding[:, 3],
        "coder": coding[:, 4],
        "confidence": coding[:, 5],
        "reason": coding[:, 6],
        "note": note,
        "passage": passage,
        "text": segment[:, 6],
    }
    return pd.DataFrame(columns, columns=list(COUNTED_CODING_COLUMNS)).infer_objects()


@dataclass(frozen=True)
class ExportedCoding:
    """A coding that counts, with its segment's place, for a REFI-QDA export."""

    segment_id: str
    code_id: str
    status: str
    coder: str
    document_id: int
    start: int
    end: int
    text: str
    active: bool
    span_start: int | None = None  # a human coding of a passage inside the segment
    span_end: int | None = None


def counted_codings_for_export(
    store: Store, *, include_suggestions: bool = False
) -> list[ExportedCoding]:
    """Every human coder's own accepted codings (each coder's latest decision: two coders
    on one passage are two codings, as a QDA project keeps them), plus, if asked, the
    machine suggestions that count (no human has decided on them), any segment.

    Ordered by document, segment offsets, segment id, coder, code.
    """
    rows = _tuples(
        store,
        'SELECT c.segment_id, c.code_id, c.status, c.coder, s.document_id, s.start, s."end",'
        " s.text, s.active, c.span_start, c.span_end"
        " FROM codings c JOIN segments s ON s.id = c.segment_id"
        " WHERE c.source = 'human' AND c.status = 'accepted'"
        " UNION ALL"
        ' SELECT e.segment_id, e.code_id, e.status, e.coder, s.document_id, s.start, s."end",'
        " s.text, s.active, NULL, NULL"
        " FROM effective_codings e JOIN segments s ON s.id = e.segment_id"
        " WHERE ? AND e.status = 'suggested'"
        " ORDER BY 5, 6, 7, 1, 4, 2",
        (int(include_suggestions),),
    )
    return [
        ExportedCoding(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), r[9], r[10])
        for r in rows
    ]


def human_codings_with_reason(store: Store, words: str) -> set[tuple[str, str, str]]:
    """(segment, code, coder) of the human accepted codings whose reason contains ``words``."""
    rows = _tuples(
        store,
        "SELECT segment_id, code_id, coder FROM codings WHERE source = 'human'"
        " AND status = 'accepted' AND instr(reason, ?) > 0",
        (words,),
    )
    return {(r[0], r[1], r[2]) for r in rows}


def has_codings(store: Store) -> bool:
    """Whether the store holds any coding at all (suggested, decided or retired)."""
    return _one(store, "SELECT EXISTS (SELECT 1 FROM codings)") == 1


def pending_suggestion_count(store: Store) -> int:
    """Machine suggestions that count and await a human decision (codable, active, present)."""
    n = _one(
        store,
        "SELECT COUNT(*) FROM effective_codings e JOIN segments s ON s.id = e.segment_id"
        " JOIN documents d ON d.id = s.document_id"
        " WHERE e.status = 'suggested' AND s.active = 1 AND s.codable = 1 AND d.status = 'present'",
    )
    return int(n or 0)


def decided_suggestion_count(store: Store) -> int:
    """(segment, code) pairs with a live machine suggestion and any human decision."""
    n = _one(
        store,
        "SELECT COUNT(*) FROM (SELECT DISTINCT m.segment_id, m.code_id FROM codings m"
        " JOIN codings h ON h.segment_id = m.segment_id AND h.code_id = m.code_id"
        " WHERE m.source IN ('rule', 'model') AND m.status = 'suggested' AND h.source = 'human')",
    )
    return int(n or 0)


@dataclass(frozen=True)
class CodingCount:
    source: str
    status: str
    n: int


def coding_counts(store: Store) -> list[CodingCount]:
    """Coding rows per (source, status), sorted by source then status."""
    rows = _tuples(
        store,
        "SELECT source, status, COUNT(*) FROM codings GROUP BY source, status ORDER BY source, status",
    )
    return [CodingCount(*r) for r in rows]


def coding_counts_by_coder(store: Store) -> list[tuple[str, str, str, int]]:
    """Coding rows per (source, coder, status) for the machine sources (rule, model),
    sorted: which suggester wrote them (the learned model and semantic suggestions are
    both source 'model', told apart by their coder)."""
    return [
        (str(r[0]), str(r[1]), str(r[2]), int(r[3]))
        for r in _tuples(
            store,
            "SELECT source, coder, status, COUNT(*) FROM codings WHERE source != 'human'"
            " GROUP BY source, coder, status ORDER BY source, coder, status",
        )
    ]


def list_codings(
    store: Store,
    *,
    source: Source | None = None,
    coder: str | None = None,
    status: Status | None = None,
) -> list[Coding]:
    """Coding rows (every source and status unless filtered) as :class:`Coding`, oldest first."""
    clauses, params = [], []
    for column, value in (("source", source), ("coder", coder), ("status", status)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = store.conn.execute(
        "SELECT segment_id, code_id, source, coder, status, confidence, reason, run_id,"
        f" created_at, updated_at, note FROM codings{where} ORDER BY id",
        tuple(params),
    ).fetchall()
    return [Coding(**dict(r)) for r in rows]


def machine_suggested_segments(store: Store, segment_ids: Sequence[str]) -> set[str]:
    """Those of ``segment_ids`` that carry any machine coding row (rule or model, any status)."""
    out: set[str] = set()
    for chunk in _chunks(list(segment_ids)):
        marks = ",".join("?" * len(chunk))
        out.update(
            _column(
                store,
                "SELECT DISTINCT segment_id FROM codings WHERE source IN ('rule', 'model')"
                f" AND segment_id IN ({marks})",
                chunk,
            )
        )
    return out


# --- human coders ------------------------------------------------------------------------------


def human_coders(store: Store) -> list[str]:
    """Coders with at least one human coding row, sorted."""
    return _column(
        store, "SELECT DISTINCT coder FROM codings WHERE source = 'human' ORDER BY coder"
    )


def human_decision_counts(store: Store) -> list[tuple[str, int]]:
    """(coder, number of human coding rows) per human coder, sorted by coder."""
    rows = _tuples(
        store,
        "SELECT coder, COUNT(*) FROM codings WHERE source = 'human' GROUP BY coder ORDER BY coder",
    )
    return [(r[0], int(r[1])) for r in rows]


def coders_with_decisions_or_views(store: Store) -> list[str]:
    """Human coders with at least one coding or one segment view, sorted."""
    return _column(
        store,
        "SELECT coder FROM codings WHERE source = 'human'"
        " UNION SELECT coder FROM segment_views ORDER BY coder",
    )


def seen_segment_ids(store: Store, coder: str) -> set[str]:
    """Segments ``coder`` has seen: in ``segment_views`` or with any human coding row of theirs."""
    return set(
        _column(
            store,
            "SELECT segment_id FROM segment_views WHERE coder = ?"
            " UNION SELECT segment_id FROM codings WHERE source = 'human' AND coder = ?",
            (coder, coder),
        )
    )


def accepted_codes_by_segment(store: Store, coder: str) -> dict[str, set[str]]:
    """segment id -> codes ``coder`` accepted there (their human ``accepted`` rows)."""
    out: dict[str, set[str]] = {}
    for segment_id, code_id in _tuples(
        store,
        "SELECT segment_id, code_id FROM codings"
        " WHERE source = 'human' AND coder = ? AND status = 'accepted'",
        (coder,),
    ):
        out.setdefault(segment_id, set()).add(code_id)
    return out


# --- documents and segments --------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentAttributes:
    """A present document's id, path and stored case attributes (JSON text, unparsed)."""

    id: int
    path: str
    attributes: str


@dataclass(frozen=True)
class DocumentText:
    """A present document with its normalised text and case attributes (JSON text)."""

    id: int
    path: str
    text: str
    attributes: str


def present_document_attributes(store: Store) -> list[DocumentAttributes]:
    """Present documents (not their text), sorted by path."""
    rows = _tuples(
        store, "SELECT id, path, attributes FROM documents WHERE status = 'present' ORDER BY path"
    )
    return [DocumentAttributes(*r) for r in rows]


def present_documents_with_text(store: Store) -> list[DocumentText]:
    """Present documents with their text, sorted by path."""
    rows = _tuples(
        store,
        "SELECT id, path, text, attributes FROM documents WHERE status = 'present' ORDER BY path",
    )
    return [DocumentText(*r) for r in rows]


def active_segment_count(store: Store) -> int:
    """Active segments of present documents."""
    n = _one(
        store,
        "SELECT COUNT(*) FROM segments s JOIN documents d ON d.id = s.document_id"
        " WHERE s.active = 1 AND d.status = 'present'",
    )
    return int(n or 0)


@dataclass(frozen=True)
class SegmentPlace:
    """Where a segment is: its document's path, its text and its position in the document."""

    document: str
    text: str
    seq: int


def segment_places(store: Store, segment_ids: Sequence[str]) -> dict[str, SegmentPlace]:
    """segment id -> :class:`SegmentPlace` for those of ``segment_ids`` in the store."""
    out: dict[str, SegmentPlace] = {}
    for chunk in _chunks(list(segment_ids)):
        marks = ", ".join("?" * len(chunk))
        for segment_id, path, text, seq in _tuples(
            store,
            "SELECT s.id, d.path, s.text, s.seq FROM segments s JOIN documents d ON d.id = s.document_id"
            f" WHERE s.id IN ({marks})",
            chunk,
        ):
            out[segment_id] = SegmentPlace(path, text, seq)
    return out


#: Columns of :func:`segments_table`, in order (``attributes`` is the document's JSON text).
SEGMENT_TABLE_COLUMNS = (
    "segment_id",
    "document",
    "format",
    "kind",
    "seq",
    "speaker",
    "is_interviewer",
    "start",
    "end",
    "t_start",
    "t_end",
    "text",
    "attributes",
)


def segments_table(store: Store, *, include_inactive: bool = False) -> pd.DataFrame:
    """Segments of present documents (active only unless asked), by path and position."""
    import pandas as pd

    sql = (
        "SELECT s.id, d.path, d.format, d.kind, s.seq, s.speaker, s.is_interviewer,"
        ' s.start, s."end", s.t_start, s.t_end, s.text, d.attributes'
        " FROM segments s JOIN documents d ON d.id = s.document_id WHERE d.status = 'present'"
    )
    if not include_inactive:
        sql += " AND s.active = 1"
    sql += " ORDER BY d.path, s.seq"
    return pd.DataFrame(_tuples(store, sql), columns=list(SEGMENT_TABLE_COLUMNS))


@dataclass(frozen=True)
class DocumentCount:
    n: int
    words: int


def document_counts(store: Store) -> dict[str, DocumentCount]:
    """status ('present'/'missing') -> documents and their words."""
    rows = _tuples(
        store,
        "SELECT status, COUNT(*), COALESCE(SUM(n_words), 0) FROM documents GROUP BY status",
    )
    return {r[0]: DocumentCount(int(r[1]), int(r[2])) for r in rows}


def segment_counts(store: Store) -> tuple[int, int]:
    """(active, inactive) segment rows."""
    counts = dict(_tuples(store, "SELECT active, COUNT(*) FROM segments GROUP BY active"))
    return int(counts.get(1, 0)), int(counts.get(0, 0))


# --- codes (the codes table; store-codings may move these to store/codes.py) -----------------


@dataclass(frozen=True)
class CorpusFigures:
    """What the data tour (scripts/try_devdata.py) prints for one project."""

    documents: int
    segments: int
    with_speaker: int  # active segments with a speaker label
    human_codings: int  # accepted human codings
    coded_segments: int  # segments carrying an accepted human coding
    exact_quotes: int  # of those, segments whose text equals the document text at their offsets


def corpus_figures(store: Store) -> CorpusFigures:
    """Documents, segments, speaker share, human codings and exact quotes of present documents."""
    present = "FROM segments s JOIN documents d ON d.id = s.document_id WHERE d.status = 'present'"
    coded = (
        " AND s.id IN (SELECT segment_id FROM codings WHERE source = 'human'"
        " AND status = 'accepted')"
    )
    return CorpusFigures(
        documents=int(_one(store, "SELECT COUNT(*) FROM documents WHERE status = 'present'")),
        segments=int(_one(store, f"SELECT COUNT(*) {present} AND s.active = 1")),
        with_speaker=int(
            _one(store, f"SELECT COUNT(*) {present} AND s.active = 1 AND s.speaker IS NOT NULL")
        ),
        human_codings=int(
            _one(
                store,
                "SELECT COUNT(*) FROM codings WHERE source = 'human' AND status = 'accepted'",
            )
        ),
        coded_segments=int(_one(store, f"SELECT COUNT(*) {present}{coded}")),
        exact_quotes=int(
            _one(
                store,
                f"SELECT COUNT(*) {present}{coded}"
                ' AND substr(d.text, s.start + 1, s."end" - s.start) = s.text',
            )
        ),
    )
