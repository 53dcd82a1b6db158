"""The ``documents`` table: one row per corpus file, survey response or imported text.

Every statement about documents lives here. Writes run in the caller's
transaction. ``n_words`` is always the whitespace word count of ``text``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from themegrid.store.connection import Store, dumps, loads, now


@dataclass(frozen=True)
class StoredDocument:
    """What ingest needs to know about a stored document to decide what to do with its file."""

    id: int
    path: str
    content_hash: str
    attributes: Mapping[str, Any]
    status: str  # present | missing


@dataclass(frozen=True)
class DocumentText:
    id: int
    path: str
    text: str


#: The first part of the path of every document that an import made (import-coded,
#: REFI-QDA, Taguette, QualCoder) rather than a file in ``corpus/``: ingest never marks
#: these missing, and ``remove`` needs no corpus file moved away first.
IMPORTED_FOLDERS = ("imported", "refi", "taguette", "qualcoder")


def is_imported(path: str) -> bool:
    """Whether the document at ``path`` came from an import, not from ``corpus/``."""
    return path.split("/", 1)[0] in IMPORTED_FOLDERS


def _n_words(text: str) -> int:
    return len(text.split())


# --- queries --------------------------------------------------------------------------


def list_documents(store: Store) -> list[StoredDocument]:
    """Every stored document (present or missing), in the order they were added."""
    return [
        StoredDocument(
            int(r["id"]), r["path"], r["content_hash"], loads(r["attributes"], {}), r["status"]
        )
        for r in store.query(
            "SELECT id, path, content_hash, attributes, status FROM documents ORDER BY id"
        )
    ]


def document_exists(store: Store, path: str) -> bool:
    return store.scalar("SELECT 1 FROM documents WHERE path = ?", (path,)) is not None


def document_by_path(store: Store, path: str) -> DocumentText | None:
    row = store.query("SELECT id, path, text FROM documents WHERE path = ?", (path,))
    return DocumentText(int(row[0]["id"]), row[0]["path"], row[0]["text"]) if row else None


def imported_document_by_hash(store: Store, content_hash: str) -> DocumentText | None:
    """The first document an earlier import created (path ``imported/...``) with this text hash."""
    row = store.query(
        "SELECT id, path, text FROM documents WHERE content_hash = ? AND path LIKE 'imported/%'"
        " ORDER BY id LIMIT 1",
        (content_hash,),
    )
    return DocumentText(int(row[0]["id"]), row[0]["path"], row[0]["text"]) if row else None


def imported_documents_by_value(store: Store, key: str) -> dict[str, list[DocumentText]]:
    """Present documents an earlier ``import-coded --document-column`` created
    (``imported/<file>/<value>``), by their value of attribute ``key``, oldest first."""
    out: dict[str, list[DocumentText]] = {}
    rows = store.query(
        "SELECT id, path, text, attributes FROM documents WHERE path LIKE 'imported/%/%'"
        " AND status = 'present' ORDER BY id"
    )
    for r in rows:
        value = dict(loads(r["attributes"], {})).get(key)
        if isinstance(value, str) and r["path"].endswith("/" + value):
            out.setdefault(value, []).append(DocumentText(int(r["id"]), r["path"], r["text"]))
    return out


def document_attributes(store: Store, doc_id: int) -> dict[str, Any]:
    return dict(loads(store.scalar("SELECT attributes FROM documents WHERE id = ?", (doc_id,)), {}))


def present_content_hashes(store: Store) -> dict[str, str]:
    """Path -> content hash of every present document (a run's input hashes)."""
    return {
        r[0]: r[1]
        for r in store.query("SELECT path, content_hash FROM documents WHERE status = 'present'")
    }


def same_text_pairs(store: Store, paths: Sequence[str]) -> list[tuple[str, str]]:
    """(path, other path) for each of ``paths`` whose text, ignoring spacing and case, is
    that of another present document not in ``paths`` (the same interview twice: once
    from corpus/, once from a QDA project's import)."""
    wanted = set(paths)
    rows = store.conn.execute(
        "SELECT path, text FROM documents WHERE status = 'present'"
    ).fetchall()
    others: dict[str, str] = {}
    for path, text in rows:
        if path not in wanted:
            others.setdefault(" ".join(str(text).casefold().split()), path)
    pairs = []
    for path, text in rows:
        if path in wanted:
            twin = others.get(" ".join(str(text).casefold().split()))
            if twin is not None:
                pairs.append((path, twin))
    return sorted(pairs)


def words_present(store: Store) -> int:
    """Words in all present documents."""
    return int(
        store.scalar("SELECT COALESCE(SUM(n_words), 0) FROM documents WHERE status = 'present'")
    )


def human_codings_on_document(store: Store, doc_id: int) -> int:
    """How many human codings the document's segments carry (reads ``codings``)."""
    return int(
        store.scalar(
            "SELECT COUNT(*) FROM codings c JOIN segments s ON s.id = c.segment_id"
            " WHERE s.document_id = ? AND c.source = 'human'",
            (doc_id,),
        )
    )


# --- writes ---------------------------------------------------------------------------


def insert_document(
    store: Store,
    *,
    path: str,
    format: str,
    kind: str,
    content_hash: str,
    text: str,
    attributes: Mapping[str, Any],
    repair_notes: Sequence[str] = (),
    warnings: Sequence[str] = (),
    at: str | None = None,
    source_name: str | None = None,
) -> int:
    """Add a present document; returns its id. ``at``: the time to record (default now);
    ``source_name``: its name in the project file it was imported from, if any."""
    stamp = at or now()
    cur = store.execute(
        "INSERT INTO documents (format, kind, content_hash, text, attributes, repair_notes,"
        " warnings, n_words, path, status, added_at, updated_at, source_name)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'present', ?, ?, ?)",
        (
            format,
            kind,
            content_hash,
            text,
            dumps(dict(attributes)),
            dumps(list(repair_notes)),
            dumps(list(warnings)),
            _n_words(text),
            path,
            stamp,
            stamp,
            source_name,
        ),
    )
    return int(cur.lastrowid or 0)


def source_names(store: Store) -> dict[int, str]:
    """Document id -> the name it had in the project file it was imported from (REFI-QDA)."""
    rows = store.conn.execute(
        "SELECT id, source_name FROM documents WHERE source_name IS NOT NULL"
    ).fetchall()
    return {int(r[0]): str(r[1]) for r in rows}


def update_document(
    store: Store,
    doc_id: int,
    *,
    format: str,
    kind: str,
    content_hash: str,
    text: str,
    attributes: Mapping[str, Any],
    repair_notes: Sequence[str] = (),
    warnings: Sequence[str] = (),
) -> None:
    """Replace everything read from a document's file; it is present again."""
    store.execute(
        "UPDATE documents SET format = ?, kind = ?, content_hash = ?, text = ?, attributes = ?,"
        " repair_notes = ?, warnings = ?, n_words = ?, status = 'present', updated_at = ? WHERE id = ?",
        (
            format,
            kind,
            content_hash,
            text,
            dumps(dict(attributes)),
            dumps(list(repair_notes)),
            dumps(list(warnings)),
            _n_words(text),
            now(),
            doc_id,
        ),
    )


def replace_text(
    store: Store, doc_id: int, text: str, content_hash: str, at: str | None = None
) -> None:
    """New text for a document (an import appended rows to it)."""
    store.execute(
        "UPDATE documents SET text = ?, content_hash = ?, n_words = ?, updated_at = ? WHERE id = ?",
        (text, content_hash, _n_words(text), at or now(), doc_id),
    )


def set_attributes(
    store: Store,
    doc_id: int,
    attributes: Mapping[str, Any],
    *,
    present: bool = False,
    at: str | None = None,
) -> None:
    """Replace a document's attributes; ``present=True`` also marks it present again."""
    if present:
        store.execute(
            "UPDATE documents SET attributes = ?, status = 'present', updated_at = ? WHERE id = ?",
            (dumps(dict(attributes)), at or now(), doc_id),
        )
    else:
        store.execute(
            "UPDATE documents SET attributes = ?, updated_at = ? WHERE id = ?",
            (dumps(dict(attributes)), at or now(), doc_id),
        )


def mark_missing(store: Store, doc_id: int) -> None:
    """The document's file (or response row) is gone; the document and its codings are kept."""
    store.execute(
        "UPDATE documents SET status = 'missing', updated_at = ? WHERE id = ?", (now(), doc_id)
    )


def delete_document(store: Store, doc_id: int) -> None:
    """Remove a document, its segments, their views and machine codings (``prune``).

    Writes ``codings`` too. The store refuses to delete a human coding
    (trigger ``codings_keep_human``), so a document carrying one cannot be deleted.
    """
    seg_ids = "SELECT id FROM segments WHERE document_id = ?"
    store.execute(f"DELETE FROM codings WHERE segment_id IN ({seg_ids})", (doc_id,))
    store.execute(f"DELETE FROM segment_views WHERE segment_id IN ({seg_ids})", (doc_id,))
    store.execute("DELETE FROM segments WHERE document_id = ?", (doc_id,))
    store.execute("DELETE FROM documents WHERE id = ?", (doc_id,))


@dataclass(frozen=True)
class DocumentRow:
    """A stored document as ``themegrid remove`` sees it."""

    id: int
    path: str
    status: str
    segments: int


def documents_named(store: Store, name: str) -> list[DocumentRow]:
    """Documents stored at ``name``, or the response rows of the spreadsheet ``name``
    (paths ``name#row=...``), in the order they were added."""
    return [
        DocumentRow(int(r["id"]), r["path"], r["status"], int(r["n"]))
        for r in store.query(
            "SELECT d.id, d.path, d.status,"
            " (SELECT COUNT(*) FROM segments s WHERE s.document_id = d.id) AS n"
            " FROM documents d WHERE d.path = ? OR substr(d.path, 1, ?) = ? ORDER BY d.id",
            (name, len(name) + 5, f"{name}#row="),
        )
    ]


def machine_codings_on_document(store: Store, doc_id: int) -> int:
    """How many machine (rule or model) codings the document's segments carry."""
    return int(
        store.scalar(
            "SELECT COUNT(*) FROM codings c JOIN segments s ON s.id = c.segment_id"
            " WHERE s.document_id = ? AND c.source != 'human'",
            (doc_id,),
        )
    )


def archive_document(store: Store, doc_id: int) -> None:
    """Take a document out of the project but keep its human codings, as orphaned ones.

    The document row stays (marked ``missing``) and its segments stay with
    ``active = 0``, so every human coding keeps its segment, text and history and
    is listed by ``themegrid status`` among the orphaned codings. Which coder saw
    which segment (``segment_views``) is kept too; machine suggestions on it are
    deleted. Writes ``codings`` too.
    """
    seg_ids = "SELECT id FROM segments WHERE document_id = ?"
    store.execute(
        f"DELETE FROM codings WHERE source != 'human' AND segment_id IN ({seg_ids})", (doc_id,)
    )
    # untagged too: their machine suggestions are gone, so should the file come back the
    # next 'code' tags its segments again (else it kept the cue hash and got none)
    store.execute(
        "UPDATE segments SET active = 0, tagged_hash = NULL, machine_skip = NULL"
        " WHERE document_id = ?",
        (doc_id,),
    )
    # no content hash: should the file come back, ingest reads it again and re-attaches
    store.execute(
        "UPDATE documents SET status = 'missing', content_hash = '', updated_at = ? WHERE id = ?",
        (now(), doc_id),
    )
