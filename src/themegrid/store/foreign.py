"""Reading other tools' SQLite project files, read-only (Taguette's ``.sqlite3``).

Only the store speaks SQL, so the queries against foreign databases live here.
The file is opened with the SQLite URI ``mode=ro`` (and ``immutable`` off, so a
running Taguette's journal is respected): it is never written, not even its
journal. Rows come back as plain frozen dataclasses; their meaning (HTML,
byte offsets) is worked out by the caller (:mod:`themegrid.exchange.taguette`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from themegrid.errors import ForeignProjectError

#: Tables and columns a Taguette database must have to be read.
TAGUETTE_COLUMNS = {
    "documents": {"id", "name", "description", "contents"},
    "tags": {"id", "path", "description"},
    "highlights": {"id", "document_id", "start_offset", "end_offset", "snippet"},
    "highlight_tags": {"highlight_id", "tag_id"},
}


@contextmanager
def read_only(path: Path | str) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the SQLite file at ``path``; ForeignProjectError if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise ForeignProjectError(str(path), "no such file; check the path")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
        conn.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        raise ForeignProjectError(str(path), f"is not an SQLite database ({exc})") from exc
    with closing(conn):
        yield conn


def _columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: {r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')} for t in tables}


@dataclass(frozen=True)
class TaguetteDocument:
    id: int
    name: str
    description: str
    html: str


@dataclass(frozen=True)
class TaguetteTag:
    id: int
    path: str
    description: str


@dataclass(frozen=True)
class TaguetteHighlight:
    id: int
    document_id: int
    start: int  # UTF-8 byte offset into the document's text
    end: int
    snippet_html: str
    tag_ids: tuple[int, ...]
    user: str | None  # the login that added it (from the command log), if recorded


@dataclass(frozen=True)
class TaguetteProject:
    revision: str | None
    name: str
    documents: tuple[TaguetteDocument, ...]
    tags: tuple[TaguetteTag, ...]
    highlights: tuple[TaguetteHighlight, ...]
    members: tuple[str, ...]


def read_taguette(path: Path | str) -> TaguetteProject:
    """Everything a Taguette database holds that an import needs, read in one go."""
    with read_only(path) as conn:
        cols = _columns(conn)
        revision = None
        if "alembic_version" in cols:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        missing: list[str] = []
        for table, need in TAGUETTE_COLUMNS.items():
            if table not in cols:
                missing.append(f"table {table}")
            else:
                missing += [f"{table}.{c}" for c in sorted(need - cols[table])]
        if missing:
            version = f" (schema revision {revision})" if revision else ""
            raise ForeignProjectError(
                str(path),
                f"is not a Taguette database this version reads{version}: missing "
                f"{', '.join(missing[:6])}; export the project from "
                "Taguette 1.x (Project > Export project > SQLite) and import that file",
            )
        name = ""
        if "projects" in cols:
            row = conn.execute("SELECT name FROM projects ORDER BY id LIMIT 1").fetchone()
            name = row[0] if row else ""
        documents = tuple(
            TaguetteDocument(r[0], r[1], r[2] or "", r[3] or "")
            for r in conn.execute(
                "SELECT id, name, description, contents FROM documents ORDER BY id"
            )
        )
        tags = tuple(
            TaguetteTag(r[0], r[1], r[2] or "")
            for r in conn.execute("SELECT id, path, description FROM tags ORDER BY id")
        )
        links: dict[int, list[int]] = {}
        for hid, tid in conn.execute(
            "SELECT highlight_id, tag_id FROM highlight_tags ORDER BY highlight_id, tag_id"
        ):
            links.setdefault(hid, []).append(tid)
        users = _highlight_users(conn, cols)
        highlights = tuple(
            TaguetteHighlight(
                r[0], r[1], r[2], r[3], r[4] or "", tuple(links.get(r[0], ())), users.get(r[0])
            )
            for r in conn.execute(
                "SELECT id, document_id, start_offset, end_offset, snippet FROM highlights ORDER BY id"
            )
        )
        members: tuple[str, ...] = ()
        if "project_members" in cols:
            members = tuple(
                r[0] for r in conn.execute("SELECT user_login FROM project_members ORDER BY 1")
            )
    return TaguetteProject(revision, name, documents, tags, highlights, members)


def _highlight_users(conn: sqlite3.Connection, cols: dict[str, set[str]]) -> dict[int, str]:
    """Highlight id -> the login of the latest command that added it (Taguette's edit log)."""
    if not {"user_login", "payload"} <= cols.get("commands", set()):
        return {}
    out: dict[int, str] = {}
    for login, hid in conn.execute(
        "SELECT user_login, json_extract(payload, '$.highlight_id') FROM commands "
        "WHERE json_valid(payload) AND json_extract(payload, '$.type') = 'highlight_add' "
        "ORDER BY id"
    ):
        if isinstance(hid, int):
            out[hid] = login
    return out


# --- QualCoder ---------------------------------------------------------------------------

#: QualCoder ``project.databaseversion`` values whose tables this reader knows (the
#: source, code_cat, code_name, code_text and attribute tables are the same in these).
QUALCODER_VERSIONS = tuple(f"v{n}" for n in range(6, 15))
QUALCODER_COLUMNS = {
    "project": {"databaseversion"},
    "source": {"id", "name", "fulltext", "memo"},
    "code_cat": {"catid", "name", "memo", "supercatid"},
    "code_name": {"cid", "name", "memo", "catid", "color"},
    "code_text": {"ctid", "cid", "fid", "seltext", "pos0", "pos1", "owner"},
}


@dataclass(frozen=True)
class QualcoderCategory:
    id: int
    name: str
    memo: str
    parent_id: int | None


@dataclass(frozen=True)
class QualcoderCode:
    id: int
    name: str
    memo: str
    category_id: int | None
    color: str | None


@dataclass(frozen=True)
class QualcoderSource:
    id: int
    name: str
    text: str
    memo: str
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class QualcoderCoding:
    id: int
    code_id: int
    source_id: int
    quote: str
    start: int  # code points into the source's fulltext
    end: int
    owner: str


@dataclass(frozen=True)
class QualcoderProject:
    version: str
    categories: tuple[QualcoderCategory, ...]
    codes: tuple[QualcoderCode, ...]
    sources: tuple[QualcoderSource, ...]  # text sources only (fulltext present)
    codings: tuple[QualcoderCoding, ...]
    skipped_media: int  # sources without text (audio, video, images)


def read_qualcoder(path: Path | str) -> QualcoderProject:
    """A QualCoder ``data.qda`` read in one go; ForeignProjectError names an unknown version."""
    with read_only(path) as conn:
        cols = _columns(conn)
        if "project" not in cols or "databaseversion" not in cols["project"]:
            raise ForeignProjectError(
                str(path),
                "is not a QualCoder project (no project.databaseversion); pass the .qda folder "
                "or its data.qda",
            )
        row = conn.execute("SELECT databaseversion FROM project LIMIT 1").fetchone()
        version = str(row[0]) if row and row[0] is not None else "(none)"
        if version not in QUALCODER_VERSIONS:
            raise ForeignProjectError(
                str(path),
                f"is a QualCoder project of schema version {version}, which this version of "
                f"themegrid does not read (it reads {QUALCODER_VERSIONS[0]} to "
                f"{QUALCODER_VERSIONS[-1]}); export it from QualCoder as REFI-QDA (.qdpx) and "
                "use 'themegrid import qdpx'",
            )
        missing = [
            f"{t}.{c}"
            for t, need in QUALCODER_COLUMNS.items()
            for c in sorted(need - cols.get(t, set()))
        ]
        if missing:
            raise ForeignProjectError(
                str(path),
                f"QualCoder schema {version} without {', '.join(missing[:6])}; the file may be "
                "damaged: open it in QualCoder and save it again",
            )
        categories = tuple(
            QualcoderCategory(r[0], r[1] or "", r[2] or "", r[3])
            for r in conn.execute(
                "SELECT catid, name, memo, supercatid FROM code_cat ORDER BY catid"
            )
        )
        codes = tuple(
            QualcoderCode(r[0], r[1] or "", r[2] or "", r[3], r[4])
            for r in conn.execute(
                "SELECT cid, name, memo, catid, color FROM code_name ORDER BY cid"
            )
        )
        attributes: dict[int, list[tuple[str, str]]] = {}
        if {"name", "attr_type", "value", "id"} <= cols.get("attribute", set()):
            for name, value, sid in conn.execute(
                "SELECT name, value, id FROM attribute WHERE attr_type = 'file' ORDER BY name"
            ):
                if value not in (None, ""):
                    attributes.setdefault(sid, []).append((str(name), str(value)))
        sources, media = [], 0
        for sid, name, text, memo in conn.execute(
            "SELECT id, name, fulltext, memo FROM source ORDER BY id"
        ):
            if text is None:
                media += 1
                continue
            sources.append(
                QualcoderSource(
                    sid, name or f"source {sid}", text, memo or "", tuple(attributes.get(sid, ()))
                )
            )
        codings = tuple(
            QualcoderCoding(r[0], r[1], r[2], r[3] or "", r[4], r[5], r[6] or "")
            for r in conn.execute(
                "SELECT ctid, cid, fid, seltext, pos0, pos1, owner FROM code_text"
                " WHERE pos0 IS NOT NULL AND pos1 IS NOT NULL ORDER BY ctid"
            )
        )
    return QualcoderProject(version, categories, codes, tuple(sources), codings, media)
