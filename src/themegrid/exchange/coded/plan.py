"""Planning an import's writes: new documents and segments, and rows matched to existing ones.

Rows are documents (``imported/<file>#<id>``; matched by path, by id across file
names, or to a corpus response with that id), or a file is one document
(``imported/<file>``; matched by path or by text hash, its rows matched to the
segments by id, else by text; unmatched rows are appended). With a document column,
the rows sharing a value are one document (``imported/<file>/<value>``), matched by
path, by text hash, or to another coder's document of an earlier file with the same
value in a column of the same name when the two hold the same words or mostly the same
sentences (``_same_document``). Nothing is written here.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from themegrid.errors import Problem
from themegrid.exchange.coded.rows import MAX_LOCATIONS, Row
from themegrid.read.table import Table
from themegrid.segment.ids import segment_id
from themegrid.segment.interviewer import is_interviewer
from themegrid.store import codings as store_codings
from themegrid.store import documents as docs_store
from themegrid.store import segments as segs_store
from themegrid.store.connection import Store
from themegrid.store.documents import DocumentText

#: Path prefix of documents created by import-coded.
PREFIX = "imported/"


@dataclass
class NewDocument:
    path: str
    kind: str
    format: str
    text: str
    attributes: dict[str, str]
    segments: list[tuple[str, int, int, int, str, str | None, bool, str | None]] = field(
        default_factory=list
    )  # (id, seq, start, end, text, speaker, is_interviewer, row_id)
    existing_id: int | None = None  # set when appending to an imported document


@dataclass
class Plan:
    documents: list[NewDocument] = field(default_factory=list)
    row_segments: list[tuple[Row, str]] = field(default_factory=list)
    documents_matched: int = 0
    segments_matched: int = 0
    planned: set[str] = field(default_factory=set)
    attributes: dict[int, dict[str, str]] = field(default_factory=dict)  # by document id
    # (this file's document path, the earlier document it was matched to by its value)
    by_value: list[tuple[str, str]] = field(default_factory=list)
    # (matched document's path, file, row numbers) of rows added to it as new segments
    appended: list[tuple[str, str, list[int]]] = field(default_factory=list)
    # (created path, earlier paths with the same value, why they were kept apart)
    apart: list[tuple[str, list[str], str]] = field(default_factory=list)
    # matched documents of another file: attributes are added, never replaced
    only_new: set[int] = field(default_factory=set)
    # document-column values created by this import: value -> the first path
    named: dict[str, str] = field(default_factory=dict)

    def set_attributes(
        self, doc_id: int, attributes: dict[str, str], *, only_new: bool = False
    ) -> None:
        """Attributes named in this import for an existing document (merged when written).
        ``only_new``: another file's document; its existing values are kept."""
        if attributes:
            self.attributes.setdefault(doc_id, {}).update(attributes)
            if only_new:
                self.only_new.add(doc_id)

    def claim(
        self, path: str, file: str, problems: list[Problem], where: str | None = None
    ) -> bool:
        """Whether ``path`` is still free in this import (two files or rows cannot both create it)."""
        if path in self.planned:
            problems.append(
                Problem(
                    f"{path} would be created twice in this import; rename the file or "
                    "import the files one at a time",
                    file,
                    where=where,
                )
            )
            return False
        self.planned.add(path)
        return True


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _doc_text(rows: Sequence[Row]) -> tuple[str, list[tuple[int, int]]]:
    spans, pos = [], 0
    for row in rows:
        spans.append((pos, pos + len(row.text)))
        pos += len(row.text) + 2
    return "\n\n".join(r.text for r in rows), spans


def plan_whole_file(
    store: Store,
    rows: list[Row],
    path: str,
    fmt: str,
    attrs: dict[str, str],
    plan: Plan,
    problems: list[Problem],
    *,
    own: frozenset[str] = frozenset(),
    same_document: Callable[[], DocumentText | None] | None = None,
) -> None:
    """Plan one document: matched to an existing one (by path, text hash, or
    ``same_document``), else created. ``own``: segments the importing coder saw or coded."""
    text, spans = _doc_text(rows)
    digest = hashlib.sha256(text.encode()).hexdigest()
    found = docs_store.document_by_path(store, path)
    if found is None:
        # with a document column, the same text in the coder's own other file is another
        # question's (or wave's) document, whose decisions this file must not withdraw
        twin = docs_store.imported_document_by_hash(store, digest)
        if twin is not None and (same_document is None or not _holds(store, twin, own)):
            found = twin
    if found is None and same_document is not None:
        found = same_document()
    if found:
        plan.documents_matched += 1
        _match_existing(store, found, rows, fmt, plan, problems, own)
        if found.path.startswith(PREFIX):
            plan.set_attributes(found.id, attrs, only_new=found.path != path)
        return
    if not plan.claim(path, rows[0].file, problems):
        return
    kind = "interview" if any(r.speaker for r in rows) else "table"
    doc = NewDocument(path, kind, fmt, text, attrs)
    _add_segments(doc, rows, spans, 0, Counter(), plan)
    plan.documents.append(doc)


def _add_segments(
    doc: NewDocument,
    rows: Sequence[Row],
    spans: Sequence[tuple[int, int]],
    first_seq: int,
    seen: Counter[tuple[str, str]],
    plan: Plan,
    taken: set[str] | None = None,
) -> None:
    for k, (row, (start, end)) in enumerate(zip(rows, spans, strict=True)):
        key = (row.speaker or "", _collapse(row.text))
        seg = segment_id(doc.path, key[0], key[1], seen[key])
        while taken is not None and seg in taken:
            seen[key] += 1
            seg = segment_id(doc.path, key[0], key[1], seen[key])
        seen[key] += 1
        interviewer = bool(row.speaker) and is_interviewer(row.speaker or "")
        doc.segments.append(
            (seg, first_seq + k, start, end, row.text, row.speaker, interviewer, row.row_id)
        )
        plan.row_segments.append((row, seg))


def _match_existing(
    store: Store,
    doc: DocumentText,
    rows: list[Row],
    fmt: str,
    plan: Plan,
    problems: list[Problem],
    own: frozenset[str] = frozenset(),
) -> None:
    """Attach rows to an existing document's segments; append the rest as new segments.

    A row attaches to the segment with its id when the texts are the same, or when the
    segment is the importing coder's own (their corrected file); else to an unclaimed
    segment with its text. Another coder's id alone is not enough: ids that count
    sentences (``abstract#7``) name different sentences once one coder split a sentence.
    """
    doc_id, path, text = doc.id, doc.path, doc.text
    segs = segs_store.segments_of_document(store, doc_id)
    text_of = {s.id: _collapse(s.text) for s in segs}
    by_row_id = {s.row_id: s.id for s in segs if s.row_id}
    by_text: dict[str, list[str]] = defaultdict(list)
    for s in segs:
        by_text[_collapse(s.text)].append(s.id)
    claimed: set[str] = set()
    rest: list[Row] = []
    for row in rows:
        key = _collapse(row.text)
        seg = by_row_id.get(row.row_id) if row.row_id is not None else None
        if seg is not None and (seg in claimed or (text_of[seg] != key and seg not in own)):
            seg = None
        if seg is None:
            seg = next((s for s in by_text[key] if s not in claimed), None)
        if seg is None:
            rest.append(row)
            continue
        claimed.add(seg)
        plan.row_segments.append((row, seg))
        plan.segments_matched += 1
    if not rest:
        return
    if not path.startswith(PREFIX):
        shown = ", ".join(str(r.number) for r in rest[:MAX_LOCATIONS])
        problems.append(
            Problem(
                f"rows {shown} match no segment of the corpus document {path}; "
                "their text must equal a segment's text",
                rows[0].file,
            )
        )
        return
    appended = NewDocument(path, "", fmt, "", {}, existing_id=doc_id)
    offset = len(text) + 2
    tail, spans = _doc_text(rest)
    appended.text = text + "\n\n" + tail
    seen: Counter[tuple[str, str]] = Counter()
    for s in segs:
        seen[(s.speaker or "", _collapse(s.text))] += 1
    first_seq = (segs[-1].seq + 1) if segs else 0
    moved = [(a + offset, b + offset) for a, b in spans]
    _add_segments(appended, rest, moved, first_seq, seen, plan, {s.id for s in segs})
    plan.documents.append(appended)
    plan.appended.append((path, rest[0].file, [r.number for r in rest]))


@dataclass(frozen=True)
class _CorpusResponse:
    """A survey response ingested from corpus/ as a document of its own."""

    path: str
    text: str
    segments: list[str]


class _ImportedRows:
    """Existing row-documents of earlier imports (by path and by row id) and corpus responses."""

    def __init__(self, store: Store, coder: str | None = None) -> None:
        # segments this coder already saw or coded, from an earlier file of theirs
        self.coders_own = store_codings.segments_seen_by_humans(store, coder) if coder else set()
        self.by_path: dict[str, tuple[str, str]] = {}
        self.by_row_id: dict[str, list[str]] = defaultdict(list)
        self.document_of: dict[str, int] = {}
        self.text_of: dict[str, str] = {}
        for r in segs_store.imported_row_segments(store):
            self.by_path[r.path] = (r.segment_id, _collapse(r.text))
            self.text_of[r.segment_id] = _collapse(r.text)
            self.document_of[r.segment_id] = r.document_id
            if r.row_id:
                self.by_row_id[r.row_id].append(r.segment_id)
        self.corpus: dict[str, list[_CorpusResponse]] = defaultdict(list)
        responses: dict[int, _CorpusResponse] = {}
        for r in segs_store.corpus_response_segments(store):
            if r.document_id not in responses:
                responses[r.document_id] = _CorpusResponse(r.path, _collapse(r.text), [])
                if r.row_id:
                    self.corpus[r.row_id].append(responses[r.document_id])
            responses[r.document_id].segments.append(r.segment_id)

    def group_exists(self, prefix: str) -> bool:
        return any(p.startswith(prefix) for p in self.by_path)


def plan_rows(
    rows: list[Row], group: str, fmt: str, known: _ImportedRows, plan: Plan, problems: list[Problem]
) -> None:
    prefix = f"{group}#"
    for row in rows:
        path = prefix + (row.row_id or str(row.number))
        hit = known.by_path.get(path)
        if hit is not None and (row.row_id is not None or hit[1] == _collapse(row.text)):
            plan.row_segments.append((row, hit[0]))
            plan.set_attributes(known.document_of[hit[0]], row.attributes)
            plan.documents_matched += 1
            plan.segments_matched += 1
            continue
        if hit is not None:
            problems.append(
                Problem(
                    f"{path} was imported before with a different text; name an id column "
                    "(--id-column) so rows can be matched",
                    row.file,
                    where=f"row {row.number}",
                )
            )
            continue
        elsewhere = known.by_row_id.get(row.row_id or "", [])
        # Another file's row with this id is the same response only with the same text
        # (an id like a respondent number repeats across a survey's questions), and only
        # when it is another coder's file: the same coder's earlier file with this id and
        # text is another question the respondent answered in the same words ("culture"),
        # whose decisions this file must not replace.
        if (
            row.row_id is not None
            and len(elsewhere) == 1
            and known.text_of[elsewhere[0]] == _collapse(row.text)
            and elsewhere[0] not in known.coders_own
        ):
            plan.row_segments.append((row, elsewhere[0]))
            plan.set_attributes(known.document_of[elsewhere[0]], row.attributes)
            plan.documents_matched += 1
            plan.segments_matched += 1
            continue
        if _attach_to_corpus(row, known, plan, problems):
            continue
        if not plan.claim(path, row.file, problems, f"row {row.number}"):
            continue
        doc = NewDocument(path, "document", fmt, row.text, dict(row.attributes))
        _add_segments(doc, [row], [(0, len(row.text))], 0, Counter(), plan)
        plan.documents.append(doc)


def _attach_to_corpus(row: Row, known: _ImportedRows, plan: Plan, problems: list[Problem]) -> bool:
    """Attach a row to the corpus response with its id; False when there is none (or several).

    The codes apply to the whole response, so to each of its segments (one, unless
    a long answer was split at sentence boundaries).
    """
    found = known.corpus.get(row.row_id or "", [])
    if len(found) != 1:
        return False
    response = found[0]
    if response.text.casefold() != _collapse(row.text).casefold():
        problems.append(
            Problem(
                f"id {row.row_id!r} is the corpus response {response.path}, but the text differs; "
                "make the text equal to the corpus file's (or remove the row)",
                row.file,
                where=f"row {row.number}",
            )
        )
        return True
    plan.row_segments += [(row, seg) for seg in response.segments]
    plan.documents_matched += 1
    plan.segments_matched += len(response.segments)
    return True


def plan_import(
    store: Store,
    parsed: list[tuple[Table, list[Row], dict[str, str]]],
    rows_are_documents: bool,
    document_name: str | None,
    problems: list[Problem],
    *,
    by: str | None = None,
    coder: str | None = None,
) -> Plan:
    """What to write for the parsed files. ``by``: the attribute key whose values name
    the documents (rows with one value are one document, in file order)."""
    plan = Plan()
    known = _ImportedRows(store, coder) if rows_are_documents else None
    own = frozenset(store_codings.segments_seen_by_humans(store, coder) if coder else ())
    earlier_by_value = docs_store.imported_documents_by_value(store, by) if by is not None else {}
    for table, rows, attrs in parsed:
        if not rows:
            continue
        fmt = Path(table.name).suffix.lstrip(".").lower()
        name = document_name or table.name
        if by is not None:
            for value, group in _grouped(rows, by, problems).items():
                path = f"{PREFIX}{name}/{value}"

                plan_whole_file(
                    store,
                    group,
                    path,
                    fmt,
                    _group_attributes(group, value),
                    plan,
                    problems,
                    own=own,
                    same_document=partial(
                        _same_document,
                        store,
                        group,
                        earlier_by_value.get(value, []),
                        value,
                        path,
                        own,
                        plan,
                    ),
                )
            continue
        if known is not None:
            plan_rows(rows, PREFIX + name, fmt, known, plan, problems)
            continue
        target = docs_store.document_exists(store, name)
        path = name if document_name and target else PREFIX + name
        plan_whole_file(store, rows, path, fmt, attrs, plan, problems, own=own)
    return plan


def _same_document(
    store: Store,
    rows: list[Row],
    earlier: list[DocumentText],
    value: str,
    path: str,
    own: frozenset[str],
    plan: Plan,
) -> DocumentText | None:
    """The earlier file's document these rows are, by their document-column value.

    A candidate (``earlier``) is a document an earlier ``--document-column`` import
    created from another file, with ``value`` in a column of the same name. It is the
    same document only when the importing coder has not seen or coded it (the coder's
    own other file with this value is another question or wave, whose decisions this
    file must not replace) and the texts agree: the same words (the sentences may be
    split differently), or more than half of these rows and more than half of its
    segments have an identical counterpart. Of several, the one sharing the most
    sentences (then the oldest). Candidates kept apart are recorded in ``plan.apart``.
    """
    candidates = [d for d in earlier if d.path != path]
    earlier_here = plan.named.get(value)
    plan.named.setdefault(value, path)
    if not candidates:
        if earlier_here is not None:
            plan.apart.append((path, [earlier_here], "both files are in this import"))
        return None
    words = _collapse(" ".join(r.text for r in rows))
    best: tuple[int, DocumentText] | None = None
    why: list[str] = []
    for doc in candidates:
        segs = segs_store.segments_of_document(store, doc.id)
        if _holds(store, doc, own):
            why.append(f"{doc.path} holds this coder's own codings")
            continue
        shared = _shared_sentences(
            [_collapse(r.text) for r in rows], [_collapse(s.text) for s in segs]
        )
        same_words = _collapse(" ".join(s.text for s in segs)) == words
        if same_words or (2 * shared > len(rows) and 2 * shared > len(segs)):
            if best is None or shared > best[0]:
                best = (shared, doc)
        else:
            why.append(f"{doc.path} shares {shared} of its {len(segs)} sentence(s)")
    if best is not None:
        plan.by_value.append((path, best[1].path))
        return best[1]
    plan.apart.append((path, [d.path for d in candidates], "; ".join(why)))
    return None


def _holds(store: Store, doc: DocumentText, own: frozenset[str]) -> bool:
    """Whether any of the document's segments is among ``own``."""
    return any(s.id in own for s in segs_store.segments_of_document(store, doc.id))


def _shared_sentences(mine: list[str], theirs: list[str]) -> int:
    """How many of ``mine`` have an identical sentence in ``theirs`` (each used once)."""
    left = Counter(theirs)
    n = 0
    for text in mine:
        if left[text] > 0:
            left[text] -= 1
            n += 1
    return n


def _grouped(rows: list[Row], key: str, problems: list[Problem]) -> dict[str, list[Row]]:
    """Rows by their value in the document column, in order of first appearance."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        value = row.attributes.get(key, "").strip()
        if not value:
            problems.append(
                Problem(
                    "no value in the --document-column column, so no document to put the row "
                    "in; fill it (or remove the row, or pass --skip-bad-rows)",
                    row.file,
                    where=f"row {row.number}",
                )
            )
            continue
        groups.setdefault(value, []).append(row)
    return groups


def _group_attributes(rows: list[Row], value: str) -> dict[str, str]:
    """A grouped document's case attributes: those that hold one value on all its rows
    (a column that changes within the document describes rows, not the case)."""
    values: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for key, v in row.attributes.items():
            values[key].add(v)
    return {k: next(iter(vs)) for k, vs in values.items() if len(vs) == 1}
