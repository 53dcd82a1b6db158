"""The ``codings`` table (and ``coding_history``, written by triggers) and the rules about it.

One row per (segment, code, source, coder). Machine rows (``source`` ``rule``
or ``model``) are ``suggested`` or ``retired``; human rows are ``accepted`` or
``rejected``. Human decisions are research data: they are separate rows from
the machine's, so the machine's writer (:func:`record_suggestions`) cannot
touch them, and a trigger refuses to delete them. Every write goes through
one of two functions: :func:`record_human_codings` for people,
:func:`record_suggestions` (and :func:`retire_suggestions`) for the machine.

The rules defined here, once, for every caller:

* **The coding that counts** for a (segment, code) (:func:`effective_coding`,
  the ``effective_codings`` view of migration 0002): the latest human decision
  (by ``updated_at``, then row id) if any human decided; otherwise the live
  machine suggestion.
* **A human rejected this** (:func:`human_rejected`): the latest human decision
  for that segment and code is a rejection. A later human accept clears it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from themegrid.errors import SpanError
from themegrid.store.connection import Store, loads

MACHINE_SOURCES = ("rule", "model")
HUMAN_STATUSES = ("accepted", "rejected")
_CHUNK = 900  # stay below SQLite's limit on bound parameters


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


# --- the coding that counts --------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveCoding:
    """The coding that counts for one (segment, code)."""

    segment_id: str
    code_id: str
    status: str  # accepted / rejected (a human decided) or suggested (the machine's)
    source: str  # 'human', or the machine sources joined by '+' ('rule', 'model', 'rule+model')
    coder: str
    confidence: float | None
    reason: str


def effective_coding(store: Store, segment_id: str, code_id: str) -> EffectiveCoding | None:
    """The coding that counts for (segment, code); ``None`` if nobody coded it (or all retired)."""
    row = store.conn.execute(
        "SELECT segment_id, code_id, status, source, coder, confidence, reason"
        " FROM effective_codings WHERE segment_id = ? AND code_id = ?",
        (segment_id, code_id),
    ).fetchone()
    return None if row is None else EffectiveCoding(*row)


def human_rejected(store: Store, segment_ids: Sequence[str] | None = None) -> set[tuple[str, str]]:
    """(segment, code) pairs whose latest human decision is a rejection.

    The machine never suggests these again. ``segment_ids`` limits the answer
    to those segments (``None``: every segment).
    """
    sql = "SELECT segment_id, code_id FROM effective_codings WHERE source = 'human' AND status = 'rejected'"
    if segment_ids is None:
        return {(r[0], r[1]) for r in store.conn.execute(sql)}
    out: set[tuple[str, str]] = set()
    for chunk in _chunks(list(segment_ids)):
        marks = ",".join("?" * len(chunk))
        out |= {
            (r[0], r[1])
            for r in store.conn.execute(f"{sql} AND segment_id IN ({marks})", tuple(chunk))
        }
    return out


def any_human_rejection(store: Store) -> bool:
    """Whether any human rejection is stored (latest or not): when none is,
    :func:`human_rejected` is empty for every segment."""
    row = store.conn.execute(
        "SELECT 1 FROM codings WHERE source = 'human' AND status = 'rejected' LIMIT 1"
    ).fetchone()
    return row is not None


def human_accepted(store: Store, coder: str | None = None) -> set[tuple[str, str]]:
    """(segment, code) pairs a human applied.

    Without ``coder``: pairs whose latest human decision is an accept (the
    same rule as :func:`human_rejected`). With ``coder``: that coder's own
    accepted codings.
    """
    if coder is None:
        rows = store.conn.execute(
            "SELECT segment_id, code_id FROM effective_codings WHERE source = 'human' AND status = 'accepted'"
        )
    else:
        rows = store.conn.execute(
            "SELECT segment_id, code_id FROM codings"
            " WHERE source = 'human' AND coder = ? AND status = 'accepted'",
            (coder,),
        )
    return {(r[0], r[1]) for r in rows}


def human_decided_codes(store: Store) -> set[str]:
    """Codes that carry at least one human decision (accept or reject, by anyone)."""
    return {
        r[0]
        for r in store.conn.execute("SELECT DISTINCT code_id FROM codings WHERE source = 'human'")
    }


def segments_seen_by_humans(store: Store, coder: str | None = None) -> set[str]:
    """Segments a human saw (``segment_views``) or coded; with ``coder``, that coder only.

    (It reads ``segment_views`` too, which store/segments.py owns; kept here
    because it is the "labelled by a human" rule the learned model trains on.)
    """
    if coder is None:
        rows = store.conn.execute(
            "SELECT segment_id FROM segment_views UNION SELECT segment_id FROM codings WHERE source = 'human'"
        )
    else:
        rows = store.conn.execute(
            "SELECT segment_id FROM segment_views WHERE coder = ?"
            " UNION SELECT segment_id FROM codings WHERE source = 'human' AND coder = ?",
            (coder, coder),
        )
    return {r[0] for r in rows}


def human_decisions_fingerprint(store: Store) -> tuple[int, str | None]:
    """(number of human codings, latest update): changes whenever a human decision does."""
    row = store.conn.execute(
        "SELECT COUNT(*), MAX(updated_at) FROM codings WHERE source = 'human'"
    ).fetchone()
    return int(row[0]), row[1]


def applied_codings_on_present_segments(store: Store) -> list[tuple[str, str]]:
    """(segment, code) pairs that count as applied, as the report's Matrix counts them.

    Accepted human codings and unreviewed machine suggestions on active
    segments of present documents; machine suggestions only on codable segments.
    """
    return [(r[0], r[1]) for r in store.conn.execute(f"SELECT e.segment_id, e.code_id {_APPLIED}")]


#: What "applied" means (see :func:`applied_codings_on_present_segments`), in one place.
_APPLIED = (
    "FROM effective_codings e JOIN segments s ON s.id = e.segment_id"
    " JOIN documents d ON d.id = s.document_id"
    " WHERE e.status IN ('suggested', 'accepted') AND s.active = 1 AND d.status = 'present'"
    " AND (s.codable = 1 OR e.source = 'human')"
)


@dataclass(frozen=True)
class PendingSuggestion:
    """A live machine suggestion no human has decided on, with where its segment is."""

    segment_id: str
    code_id: str
    source: str  # 'rule', 'model' or 'rule+model'
    confidence: float | None
    reason: str
    seq: int
    speaker: str | None
    text: str
    document_id: int
    path: str
    attributes: dict[str, Any]


#: What "pending" means, in one place: a suggestion that counts (no human decision yet) on
#: an active segment. The conditions sit in the inner join's ON (same rows as a WHERE), so a
#: caller can join more tables after it.
_PENDING = (
    "FROM effective_codings e JOIN segments s ON s.id = e.segment_id"
    " AND e.status = 'suggested' AND s.active = 1"
)


def pending_suggestions(store: Store) -> list[PendingSuggestion]:
    """Suggestions that count (no human decision yet) on active segments, in document order."""
    rows = store.conn.execute(
        "SELECT e.segment_id, e.code_id, e.source, e.confidence, e.reason, s.seq, s.speaker, s.text,"
        f" s.document_id, d.path, d.attributes {_PENDING}"
        " JOIN documents d ON d.id = s.document_id ORDER BY d.path, s.seq, e.code_id"
    )
    return _pending_rows(rows)


def suggestions_undecided_by(store: Store, coder: str | None) -> list[PendingSuggestion]:
    """Machine suggestions on active segments that ``coder`` has not decided, whoever else
    did, in document order (one per segment and code, rule and model joined as in
    :func:`pending_suggestions`). ``None``: every such suggestion, decided or not.

    For double-coding: a second coder must get the suggestions the first coder saw. A
    suggestion another coder rejected is retired by the next ``code`` run ("retired: a
    human rejected it"; the learned model keeps its reason); it is still offered here, with
    the confidence and reason it had while live (from ``coding_history``), so nothing in
    the row tells that someone rejected it. Other retirements (the code left the codebook,
    the model's gate closed, the segment is no longer machine-coded) are not offered.
    """
    other = "" if coder is None else " AND r.coder != :coder"
    mine = (
        ""
        if coder is None
        else " AND NOT EXISTS (SELECT 1 FROM codings m WHERE m.segment_id = c.segment_id"
        " AND m.code_id = c.code_id AND m.source = 'human' AND m.coder = :coder)"
    )
    live_then = (  # the row's last live state: its confidence and reason as shown then
        "(SELECT h.{col} FROM coding_history h WHERE h.coding_id = c.id"
        " AND h.status = 'suggested' ORDER BY h.id DESC LIMIT 1)"
    )
    rows = store.conn.execute(
        "WITH shown AS (SELECT c.segment_id, c.code_id, c.source,"
        " CASE WHEN c.status = 'suggested' THEN c.confidence ELSE "
        + live_then.format(col="confidence")
        + " END AS confidence,"
        " CASE WHEN c.status = 'suggested' THEN c.reason ELSE "
        + live_then.format(col="reason")
        + " END AS reason"
        " FROM codings c JOIN segments s ON s.id = c.segment_id AND s.active = 1"
        " WHERE c.source IN ('rule', 'model') AND (c.status = 'suggested' OR"
        " (c.status = 'retired' AND (c.reason = 'retired: a human rejected it'"
        " OR c.reason NOT LIKE 'retired:%')"
        " AND EXISTS (SELECT 1 FROM codings r WHERE r.segment_id = c.segment_id"
        " AND r.code_id = c.code_id AND r.source = 'human' AND r.status = 'rejected'"
        f" AND r.updated_at <= c.updated_at{other})))"
        f"{mine})"
        " SELECT e.segment_id, e.code_id, GROUP_CONCAT(e.source, '+') AS source,"
        " MAX(e.confidence) AS confidence, GROUP_CONCAT(e.reason, ' | ') AS reason,"
        " s.seq, s.speaker, s.text, s.document_id, d.path, d.attributes"
        " FROM shown e JOIN segments s ON s.id = e.segment_id"
        " JOIN documents d ON d.id = s.document_id"
        " GROUP BY e.segment_id, e.code_id ORDER BY d.path, s.seq, e.code_id",
        {"coder": coder},
    )
    return _pending_rows(rows)


def _pending_rows(rows: Iterable[Any]) -> list[PendingSuggestion]:
    """Pending suggestions from rows of the two queries above (a document's attributes
    decoded once)."""
    parsed: dict[str, dict[str, Any]] = {}
    out = []
    for r in rows:
        raw = r["attributes"] or ""
        if raw not in parsed:
            parsed[raw] = loads(r["attributes"], {})
        out.append(
            PendingSuggestion(
                segment_id=r["segment_id"],
                code_id=r["code_id"],
                source=r["source"] or "",
                confidence=r["confidence"],
                reason=r["reason"] or "",
                seq=r["seq"],
                speaker=r["speaker"],
                text=r["text"],
                document_id=r["document_id"],
                path=r["path"],
                attributes=parsed[raw],
            )
        )
    return out


def _applied_and_pending_rows(
    store: Store, segment_ids: Sequence[str] | None = None
) -> Iterable[tuple[int, str | None, str, int, int]]:
    """(document, segment, code, 0, 0) per applied coding and (document, None, code, pending,
    of them model) per document and code; ``segment_ids``: of those segments only (the
    view is then worked out for them alone)."""
    chunks: Iterable[Sequence[str] | None] = [None] if segment_ids is None else _chunks(segment_ids)
    for chunk in chunks:
        where = "" if chunk is None else f" WHERE segment_id IN ({','.join('?' * len(chunk))})"
        once = f"WITH ec AS (SELECT segment_id, code_id, status, source FROM effective_codings{where}) "
        rows = store.conn.execute(
            once + "SELECT s.document_id, e.segment_id, e.code_id, 0, 0"
            f" {_APPLIED.replace('effective_codings', 'ec')}"
            " UNION ALL SELECT s.document_id, NULL, e.code_id, COUNT(*),"
            " COALESCE(SUM(instr(COALESCE(e.source, ''), 'model') > 0), 0)"
            f" {_PENDING.replace('effective_codings', 'ec')} GROUP BY s.document_id, e.code_id",
            () if chunk is None else tuple(chunk),
        )
        yield from rows


def run_counts(
    store: Store, themes_key: str, theme_of: Callable[[str], str]
) -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
    """What a ``code`` run reports: theme -> segments with an applied coding of one of its
    codes (as :func:`applied_codings_on_present_segments` counts them, a segment once per
    theme; ``theme_of`` names a code's theme, ``themes_key`` identifies that naming), and
    :func:`pending_counts_per_code`.

    Kept per document in ``run_counts`` (migration 0013): only the documents that triggers
    marked since the last call are worked out again (all of them when the themes changed,
    or when most documents changed). A segment lies in one document, so the sums over
    documents (kept as document 0's rows, updated by the marked documents' differences)
    are the store's counts.
    """
    conn = store.conn
    kept = conn.execute(
        "SELECT key FROM run_counts WHERE document_id = 0 AND kind = 'themes'"
    ).fetchone()
    dirty = [r[0] for r in conn.execute("SELECT document_id FROM run_counts_dirty")]
    n_documents = int(conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
    # (kind, key) -> [n, n_model] summed over documents: kept as document 0's rows
    totals: dict[tuple[str, str], list[int]] = {}
    rows: Iterable[tuple[int, str | None, str, int, int]] = []
    if kept is None or kept[0] != themes_key or 4 * len(dirty) > n_documents:
        conn.execute("DELETE FROM run_counts")
        rows = _applied_and_pending_rows(store)
    else:
        for kind, key, n, n_model in conn.execute(
            "SELECT kind, key, n, n_model FROM run_counts WHERE document_id = 0 AND kind != 'themes'"
        ):
            totals[(kind, key)] = [n, n_model]
        segment_ids: list[str] = []
        for chunk in _chunks(dirty):
            marks = ",".join("?" * len(chunk))
            for kind, key, n, n_model in conn.execute(
                f"SELECT kind, key, n, n_model FROM run_counts WHERE document_id IN ({marks})",
                tuple(chunk),
            ):
                total = totals.setdefault((kind, key), [0, 0])
                total[0] -= n
                total[1] -= n_model
            conn.execute(f"DELETE FROM run_counts WHERE document_id IN ({marks})", tuple(chunk))
            segment_ids += [
                r[0]
                for r in conn.execute(
                    f"SELECT id FROM segments WHERE document_id IN ({marks})", tuple(chunk)
                )
            ]
        if segment_ids:
            rows = _applied_and_pending_rows(store, segment_ids)
    segments: dict[tuple[int, str], set[str]] = {}
    pending: dict[tuple[int, str], list[int]] = {}
    names: dict[str, str] = {}
    for doc, seg, code, n, n_model in rows:
        if seg is None:
            counts = pending.setdefault((doc, code), [0, 0])
            counts[0] += n
            counts[1] += n_model
        else:
            name = names.get(code)
            if name is None:
                name = names[code] = theme_of(code)
            segments.setdefault((doc, name), set()).add(seg)
    new = [
        *((doc, "theme", name, len(ids), 0) for (doc, name), ids in segments.items()),
        *((doc, "pending", code, n, n_model) for (doc, code), (n, n_model) in pending.items()),
    ]
    for _doc, kind, key, n, n_model in new:
        total = totals.setdefault((kind, key), [0, 0])
        total[0] += n
        total[1] += n_model
    kept_totals = sorted((k, v) for k, v in totals.items() if v[0])  # none counted: not listed
    conn.execute("DELETE FROM run_counts WHERE document_id = 0")
    conn.executemany(
        "INSERT INTO run_counts (document_id, kind, key, n, n_model) VALUES (?, ?, ?, ?, ?)",
        [
            *new,
            *((0, kind, key, n, n_model) for (kind, key), (n, n_model) in kept_totals),
            (0, "themes", themes_key, 0, 0),
        ],
    )
    conn.execute("DELETE FROM run_counts_dirty")
    per_theme = {key: n for (kind, key), (n, _) in kept_totals if kind == "theme"}
    per_code = {key: (n, m) for (kind, key), (n, m) in kept_totals if kind == "pending"}
    return per_theme, per_code


def pending_counts_per_code(store: Store) -> dict[str, tuple[int, int]]:
    """Code id -> (pending suggestions, how many of them from the model): the counts of
    :func:`pending_suggestions` per code, worked out by SQLite (a re-run prints them)."""
    rows = store.conn.execute(
        "SELECT e.code_id, COUNT(*), SUM(instr(COALESCE(e.source, ''), 'model') > 0)"
        f" {_PENDING} GROUP BY e.code_id"
    )
    return {r[0]: (int(r[1]), int(r[2] or 0)) for r in rows}


def pending_only_by_coder_per_code(store: Store, source: str, coder: str) -> dict[str, int]:
    """Code id -> pending suggestions (as :func:`pending_counts_per_code` counts them) whose
    only live ``source`` row is by ``coder``: semantic suggestions are model-source rows of
    their own coder, and a table shows them apart from the learned model's."""
    live = store.conn.execute(  # none live by that coder (semantic off): none to count
        "SELECT 1 FROM codings WHERE coder = ? AND source = ? AND status = 'suggested' LIMIT 1",
        (coder, source),
    ).fetchone()
    if live is None:
        return {}
    rows = store.conn.execute(
        f"SELECT e.code_id, COUNT(*) {_PENDING}"
        " WHERE EXISTS (SELECT 1 FROM codings c WHERE c.segment_id = e.segment_id"
        " AND c.code_id = e.code_id AND c.source = ? AND c.status = 'suggested' AND c.coder = ?)"
        " AND NOT EXISTS (SELECT 1 FROM codings c WHERE c.segment_id = e.segment_id"
        " AND c.code_id = e.code_id AND c.source = ? AND c.status = 'suggested' AND c.coder != ?)"
        " GROUP BY e.code_id",
        (source, coder, source, coder),
    )
    return {r[0]: int(r[1]) for r in rows}


# --- human codings -----------------------------------------------------------------------


@dataclass(frozen=True)
class HumanCoding:
    """A human's stored decision on a (segment, code)."""

    id: int
    segment_id: str
    code_id: str
    coder: str
    status: str
    reason: str
    note: str
    span_start: int | None = None  # the passage, when the coding is on part of the segment
    span_end: int | None = None


@dataclass(frozen=True)
class HumanDecision:
    """A human decision to store: accepted or rejected, with why (and an optional note)."""

    segment_id: str
    code_id: str
    status: str  # 'accepted' or 'rejected'
    reason: str
    note: str | None = None  # None keeps the stored note ('' for a new coding)
    # A passage inside the segment: code-point offsets into the document text.
    # None keeps the stored span (a new coding without one covers the whole segment).
    span_start: int | None = None
    span_end: int | None = None


def human_codings(
    store: Store, coder: str, segment_ids: Sequence[str] | None = None
) -> dict[tuple[str, str], HumanCoding]:
    """``coder``'s own decisions, by (segment, code); ``segment_ids`` limits the answer to
    those segments (``None``: every segment), so one decision does not read them all."""
    sql = (
        "SELECT id, segment_id, code_id, coder, status, reason, note, span_start, span_end"
        " FROM codings WHERE source = 'human' AND coder = ?"
    )
    if segment_ids is None:
        found = store.conn.execute(sql, (coder,)).fetchall()
    else:
        found = []
        for chunk in _chunks(list(segment_ids)):
            marks = ",".join("?" * len(chunk))
            found += store.conn.execute(
                f"{sql} AND segment_id IN ({marks})", (coder, *chunk)
            ).fetchall()
    return {(r[1], r[2]): HumanCoding(*r) for r in map(tuple, found)}


def record_human_codings(
    store: Store,
    coder: str,
    decisions: Iterable[HumanDecision],
    *,
    run_id: int | None,
    at: str,
) -> None:
    """Store ``coder``'s decisions: a new row each, or that coder's earlier row updated.

    The only writer of human codings. The earlier state stays in
    ``coding_history``; other coders' rows and machine rows are not touched.
    """
    rows = []
    for d in decisions:
        if d.status not in HUMAN_STATUSES:
            raise ValueError(f"a human coding is accepted or rejected, not {d.status!r}")
        if (d.span_start is None) != (d.span_end is None) or (
            d.span_start is not None and d.span_end is not None and d.span_end <= d.span_start
        ):
            raise ValueError(f"a span has a start before its end, not {d.span_start}..{d.span_end}")
        rows.append(
            (
                d.segment_id,
                d.code_id,
                coder,
                d.status,
                d.reason,
                d.note or "",
                run_id,
                at,
                at,
                d.span_start,
                d.span_end,
                d.note,
            )
        )
    store.conn.executemany(
        "INSERT INTO codings (segment_id, code_id, source, coder, status, reason, note, run_id,"
        " created_at, updated_at, span_start, span_end)"
        " VALUES (?, ?, 'human', ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (segment_id, code_id, source, coder) DO UPDATE SET"
        " status = excluded.status, reason = excluded.reason,"
        " note = CASE WHEN ? IS NULL THEN codings.note ELSE excluded.note END,"
        " span_start = COALESCE(excluded.span_start, codings.span_start),"
        " span_end = COALESCE(excluded.span_end, codings.span_end),"
        " run_id = excluded.run_id, updated_at = excluded.updated_at",
        rows,
    )


# --- span codings (a passage inside a segment) --------------------------------------------


def span_decision(
    store: Store, document_id: int, start: int, end: int, code_id: str, reason: str
) -> HumanDecision:
    """An accept of ``code_id`` on the passage ``start:end`` of a document (code points).

    The passage counts for the active segment it falls in; one that is empty or
    crosses a turn boundary is refused with :class:`~themegrid.errors.SpanError`.
    Store it with :func:`record_human_codings`.
    """
    if end <= start:
        raise SpanError(f"document {document_id}: select some text first (got {start}..{end})")
    row = store.conn.execute(
        'SELECT id FROM segments WHERE document_id = ? AND active = 1 AND start <= ? AND "end" >= ?'
        " ORDER BY seq LIMIT 1",
        (document_id, start, end),
    ).fetchone()
    if row is None:
        raise SpanError(
            f"document {document_id}: the passage {start}..{end} is not inside one turn;"
            " select text within a single turn"
        )
    return HumanDecision(row[0], code_id, "accepted", reason, None, start, end)


@dataclass(frozen=True)
class DocumentCoding:
    """A coding on a document's segment, as the reader shows it."""

    segment_id: str
    code_id: str
    source: str  # 'human', 'rule', 'model'
    coder: str
    status: str
    reason: str
    span_start: int | None
    span_end: int | None
    counts: bool  # the coding that counts for its (segment, code)
    note: str = ""  # what the coder wrote beside the decision (a review sheet's Note)


def document_codings(store: Store, document_id: int) -> list[DocumentCoding]:
    """Every live coding on a document's active segments (not retired), in document order.

    ``counts`` follows the rule of the ``effective_codings`` view (the latest human
    decision on a (segment, code), else its live machine suggestion), worked out
    from this document's rows alone: the view spans the whole store, which a page
    of one document need not pay for.
    """
    rows = store.conn.execute(
        "SELECT c.segment_id, c.code_id, c.source, c.coder, c.status, c.reason, c.span_start,"
        " c.span_end, c.updated_at, c.id, c.note"
        " FROM codings c JOIN segments s ON s.id = c.segment_id"
        " WHERE s.document_id = ? AND s.active = 1"
        " ORDER BY s.seq, COALESCE(c.span_start, s.start), c.code_id, c.id",
        (document_id,),
    ).fetchall()
    latest: dict[tuple[str, str], tuple[str, int, str]] = {}  # pair -> (updated_at, id, coder)
    suggested: set[tuple[str, str]] = set()
    for seg, code, source, coder, status, _r, _s, _e, updated, row_id, _n in rows:
        if source == "human":
            key = (updated, row_id, coder)
            if (seg, code) not in latest or key[:2] > latest[seg, code][:2]:
                latest[seg, code] = key
        elif status == "suggested" and source in ("rule", "model"):
            suggested.add((seg, code))
    out = []
    for seg, code, source, coder, status, reason, s0, s1, _u, _i, note in rows:
        if status == "retired":
            continue
        top = latest.get((seg, code))
        if source == "human":
            counts = top is not None and top[2] == coder
        else:
            counts = top is None and (seg, code) in suggested
        out.append(
            DocumentCoding(seg, code, source, coder, status, reason, s0, s1, counts, note or "")
        )
    return out


# --- machine suggestions -----------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A machine suggestion to store."""

    segment_id: str
    code_id: str
    confidence: float | None
    reason: str


@dataclass(frozen=True)
class StoredSuggestion:
    """A machine row as stored (``suggested`` or ``retired``)."""

    segment_id: str
    code_id: str
    status: str
    confidence: float | None
    reason: str


def _check_machine(source: str) -> None:
    if source not in MACHINE_SOURCES:
        raise ValueError(f"machine suggestions come from {MACHINE_SOURCES}, not {source!r}")


def machine_suggestions(
    store: Store, source: str, coder: str, segment_ids: Sequence[str] | None = None
) -> dict[tuple[str, str], StoredSuggestion]:
    """The stored rows of one machine suggester, by (segment, code); optionally of some segments."""
    _check_machine(source)
    sql = (
        "SELECT segment_id, code_id, status, confidence, reason FROM codings"
        " WHERE source = ? AND coder = ?"
    )
    if segment_ids is None:
        rows = list(store.conn.execute(sql, (source, coder)))
    else:
        rows = []
        for chunk in _chunks(list(segment_ids)):
            marks = ",".join("?" * len(chunk))
            rows += store.conn.execute(
                f"{sql} AND segment_id IN ({marks})", (source, coder, *chunk)
            ).fetchall()
    return {(r[0], r[1]): StoredSuggestion(*r) for r in rows}


def any_machine_rows(store: Store, source: str, coder: str) -> bool:
    """Whether one machine suggester has any stored row (live or retired): when it has none,
    :func:`machine_suggestions` is empty for every segment."""
    _check_machine(source)
    row = store.conn.execute(
        "SELECT 1 FROM codings WHERE coder = ? AND source = ? LIMIT 1", (coder, source)
    ).fetchone()
    return row is not None


def record_suggestions(
    store: Store,
    source: str,
    coder: str,
    suggestions: Iterable[Suggestion],
    *,
    run_id: int | None,
    at: str,
) -> None:
    """Store machine suggestions as live (``suggested``): new rows, or the suggester's row updated.

    The only writer of machine suggestions. It writes rows of ``source``
    (``rule`` or ``model``) only, so a human coding is never overwritten.
    """
    _check_machine(source)
    store.conn.executemany(
        "INSERT INTO codings (segment_id, code_id, source, coder, status, confidence, reason,"
        " run_id, created_at, updated_at) VALUES (?, ?, ?, ?, 'suggested', ?, ?, ?, ?, ?)"
        " ON CONFLICT (segment_id, code_id, source, coder) DO UPDATE SET"
        " status = 'suggested', confidence = excluded.confidence, reason = excluded.reason,"
        " run_id = excluded.run_id, updated_at = excluded.updated_at",
        [
            (s.segment_id, s.code_id, source, coder, s.confidence, s.reason, run_id, at, at)
            for s in suggestions
        ],
    )


def retire_suggestions(
    store: Store,
    source: str,
    coder: str,
    retired: Iterable[tuple[str, str, str | None]],
    *,
    run_id: int | None,
    at: str,
) -> None:
    """Retire (segment, code, reason) suggestions of one suggester; reason ``None`` keeps it."""
    _check_machine(source)
    store.conn.executemany(
        "UPDATE codings SET status = 'retired', reason = COALESCE(?, reason), run_id = ?, updated_at = ?"
        " WHERE segment_id = ? AND code_id = ? AND source = ? AND coder = ?",
        [(reason, run_id, at, seg, code, source, coder) for seg, code, reason in retired],
    )


def retire_stale_suggestions(
    store: Store,
    codable_code_ids: Sequence[str],
    *,
    include_interviewers: bool,
    run_id: int | None,
    at: str,
) -> int:
    """Retire live suggestions that no longer apply, saying why; returns how many.

    Their code is not among ``codable_code_ids`` (it left the codebook or
    became a grouping), their segment left its document or its file is
    missing, or their segment is not codable (an interviewer turn, unless
    ``include_interviewers``, or a transcript preamble).
    """
    codable = list(codable_code_ids)
    marks = ",".join("?" * len(codable)) or "''"
    not_codable = (
        "s.is_interviewer = 0 AND s.codable = 0" if include_interviewers else "s.codable = 0"
    )
    why = (
        "CASE WHEN code_id NOT IN (" + marks + ") THEN 'code removed from the codebook'"
        " WHEN segment_id IN (SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id"
        "   WHERE s.active = 0 OR d.status = 'missing') THEN 'segment no longer in its document'"
        " ELSE 'segment not coded (interviewer turn or transcript preamble)' END"
    )
    cur = store.conn.execute(
        "UPDATE codings SET status = 'retired', run_id = ?, updated_at = ?, reason = 'retired: ' || "
        + why
        + " WHERE source IN ('rule', 'model') AND status = 'suggested' AND ("
        " code_id NOT IN (" + marks + ")"
        " OR segment_id IN (SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id"
        f"                   WHERE s.active = 0 OR d.status = 'missing' OR ({not_codable})))",
        (run_id, at, *codable, *codable),
    )
    return cur.rowcount


__all__ = [
    "MACHINE_SOURCES",
    "DocumentCoding",
    "EffectiveCoding",
    "HumanCoding",
    "HumanDecision",
    "PendingSuggestion",
    "StoredSuggestion",
    "Suggestion",
    "any_human_rejection",
    "any_machine_rows",
    "applied_codings_on_present_segments",
    "document_codings",
    "effective_coding",
    "human_accepted",
    "human_codings",
    "human_decisions_fingerprint",
    "human_rejected",
    "machine_suggestions",
    "pending_counts_per_code",
    "pending_only_by_coder_per_code",
    "pending_suggestions",
    "record_human_codings",
    "record_suggestions",
    "retire_stale_suggestions",
    "retire_suggestions",
    "run_counts",
    "segments_seen_by_humans",
    "span_decision",
    "suggestions_undecided_by",
]


# --- merging codes -----------------------------------------------------------------------


@dataclass(frozen=True)
class MergeCounts:
    moved: int  # codings moved in place from a source code to the target
    combined: int  # human decisions folded into the same coder's decision on the target
    retired: int  # machine suggestions dropped because the target already had one


def merge_codings(
    store: Store, sources: Sequence[str], target: str, *, run_id: int, at: str, note: str
) -> MergeCounts:
    """Move every coding (human and machine) of ``sources`` onto ``target``, in place.

    Rows are updated, never deleted, so ``coding_history`` keeps each earlier state:
    ``note`` (e.g. "merged in run 7") is appended to each changed row's reason, and a
    change of reason is what the history trigger records (it does not watch code_id). Per segment and coder (and machine source):

    * no row on ``target`` yet: the latest source row moves to ``target``;
    * humans: one decision remains on ``target``, the latest of that coder's decisions
      on the segment winning (each coder's own latest, for that coder; other coders'
      rows are never touched); every other source row of the coder becomes a
      rejection of its merged-away code;
    * machine: the other source suggestions are retired.
    """
    sources = [s for s in dict.fromkeys(sources) if s != target]
    if not sources:
        return MergeCounts(0, 0, 0)
    marks = ",".join("?" * len(sources))
    rows = store.conn.execute(
        "SELECT id, segment_id, code_id, source, coder, status, reason, updated_at FROM codings"
        f" WHERE code_id IN ({marks}, ?) AND status != 'retired'"
        " ORDER BY segment_id, source, coder, updated_at, id",
        (*sources, target),
    ).fetchall()
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for r in rows:
        groups.setdefault((r["segment_id"], r["source"], r["coder"]), []).append(r)
    moved = combined = retired = 0

    def update(row: Any, **values: Any) -> None:
        # A human decision keeps the time it was made (the latest decision counts, across
        # coders too); the merge is dated by its run. A machine row is the run's.
        when = values.pop("decided_at", row["updated_at"]) if row["source"] == "human" else at
        values |= {
            "reason": f"{row['reason']} [{note}]".strip(),
            "run_id": run_id,
            "updated_at": when,
        }
        sets = ", ".join(f"{k} = ?" for k in values)
        store.conn.execute(f"UPDATE codings SET {sets} WHERE id = ?", (*values.values(), row["id"]))

    for (_, source, _), group in groups.items():
        on_target = next((r for r in group if r["code_id"] == target), None)
        others = [r for r in group if r["code_id"] != target]
        if not others:
            continue
        latest = max(group, key=lambda r: (r["updated_at"], r["id"]))  # rows are in time order
        if on_target is None:
            keep = latest if source == "human" else others[-1]
            update(keep, code_id=target)
            moved += 1
            others = [r for r in others if r["id"] != keep["id"]]
        elif (
            source == "human"
            and latest["id"] != on_target["id"]
            and latest["status"] != on_target["status"]
        ):
            update(on_target, status=latest["status"], decided_at=latest["updated_at"])
        for r in others:
            if source == "human":
                update(r, status="rejected")
                combined += 1
            else:
                update(r, status="retired")
                retired += 1
    return MergeCounts(moved, combined, retired)


def undo_run_codings(
    store: Store, run_id: int, *, undo_run_id: int, at: str
) -> tuple[int, list[int]]:
    """Put every coding a run changed back to its state before that run (from the history).

    Returns (codings restored, coding ids left alone because a later run changed them
    again). The restore is itself an update, so the history keeps the run and its undo.
    """
    restored, later = 0, []
    ids = [
        r[0]
        for r in store.conn.execute(
            "SELECT DISTINCT coding_id FROM coding_history WHERE run_id = ? ORDER BY coding_id",
            (run_id,),
        )
    ]
    for cid in ids:
        history = store.conn.execute(
            "SELECT id, code_id, status, confidence, reason, note, run_id, at, source"
            " FROM coding_history WHERE coding_id = ? ORDER BY id",
            (cid,),
        ).fetchall()
        first = next(i for i, h in enumerate(history) if h["run_id"] == run_id)
        if any(h["run_id"] != run_id for h in history[first + 1 :]) or first == 0:
            later.append(cid)  # changed again since, or created by the run: left as it is
            continue
        before = history[first - 1]
        store.conn.execute(
            "UPDATE codings SET code_id = ?, status = ?, confidence = ?, reason = ?, note = ?,"
            " run_id = ?, updated_at = ? WHERE id = ?",
            (
                before["code_id"],
                before["status"],
                before["confidence"],
                before["reason"],
                before["note"],
                undo_run_id,
                before["at"] if before["source"] == "human" else at,  # the decision's own time
                cid,
            ),
        )
        restored += 1
    return restored, later
