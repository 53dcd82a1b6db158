"""The ``codes`` table: the codebook mirrored at each run, plus codes created by imports.

A code's ``origin`` says where it came from: ``codebook`` (mirrored by
:func:`sync_codebook`; inactive once it leaves the codebook), ``import``
(``import-coded --add-codes``) or ``refi`` (a REFI-QDA import). Codes created
by imports are never deactivated by a codebook sync.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from themegrid.store.connection import Store

if TYPE_CHECKING:
    from themegrid.codebook.model import Codebook


@dataclass(frozen=True)
class StoredCode:
    """A row of ``codes``."""

    id: str
    name: str
    parent_id: str | None
    definition: str
    include_note: str
    exclude_note: str
    codable: bool
    color: str | None
    origin: str
    active: bool
    position: int


@dataclass(frozen=True)
class NewCode:
    """A code an import creates (its position is assigned by :func:`add_codes`)."""

    id: str
    name: str
    parent_id: str | None
    codable: bool
    origin: str
    definition: str = ""
    include_note: str = ""
    exclude_note: str = ""
    color: str | None = None


def sync_codebook(store: Store, codebook: Codebook) -> None:
    """Mirror the codebook into ``codes``; codebook codes gone from it become inactive."""
    rows = [
        (c.id, c.name, c.parent_id, c.definition, c.include, c.exclude, int(c.codable), c.color, i)
        for i, c in enumerate(codebook.tree_order())
    ]
    store.conn.executemany(
        "INSERT INTO codes (id, name, parent_id, definition, include_note, exclude_note, codable, color,"
        " position, origin, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'codebook', 1)"
        " ON CONFLICT(id) DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id,"
        " definition = excluded.definition, include_note = excluded.include_note,"
        " exclude_note = excluded.exclude_note, codable = excluded.codable, color = excluded.color,"
        " position = excluded.position, origin = 'codebook', active = 1",
        rows,
    )
    ids = [c.id for c in codebook.codes]
    marks = ",".join("?" * len(ids))
    store.conn.execute(
        f"UPDATE codes SET active = 0 WHERE origin = 'codebook' AND id NOT IN ({marks})", tuple(ids)
    )


def set_active(store: Store, ids: Sequence[str], active: bool) -> list[str]:
    """Mark codes active or inactive; the ids whose flag changed (``codebook merge`` retires
    merged codes so label matching stops offering them, its undo brings them back)."""
    changed = []
    for code_id in ids:
        cur = store.conn.execute(
            "UPDATE codes SET active = ? WHERE id = ? AND active != ?",
            (int(active), code_id, int(active)),
        )
        if cur.rowcount:
            changed.append(code_id)
    return changed


def code_ids(store: Store) -> set[str]:
    """Every code id in the store, active or not, whatever its origin."""
    return {r[0] for r in store.conn.execute("SELECT id FROM codes")}


def imported_codes(store: Store) -> list[StoredCode]:
    """Active codes that did not come from the codebook, in position order."""
    return _codes(store, " WHERE origin != 'codebook' AND active = 1")


def all_codes(store: Store) -> list[StoredCode]:
    """Every code in the store (active or not, any origin), by position then id."""
    return _codes(store)


def active_codable_code_ids(store: Store) -> set[str]:
    """Ids of codes that are active and codable."""
    rows = store.conn.execute("SELECT id FROM codes WHERE codable = 1 AND active = 1")
    return {r[0] for r in rows}


def _codes(store: Store, where: str = "") -> list[StoredCode]:
    rows = store.conn.execute(
        "SELECT id, name, parent_id, definition, include_note, exclude_note, codable, color,"
        f" origin, active, position FROM codes{where} ORDER BY position, id"
    )
    return [
        StoredCode(
            id=r["id"],
            name=r["name"],
            parent_id=r["parent_id"],
            definition=r["definition"] or "",
            include_note=r["include_note"] or "",
            exclude_note=r["exclude_note"] or "",
            codable=bool(r["codable"]),
            color=r["color"],
            origin=r["origin"],
            active=bool(r["active"]),
            position=r["position"],
        )
        for r in rows
    ]


def add_codes(store: Store, codes: Sequence[NewCode]) -> None:
    """Insert codes created by an import, positioned after every code already stored."""
    start = int(store.conn.execute("SELECT COALESCE(MAX(position), 0) FROM codes").fetchone()[0])
    store.conn.executemany(
        "INSERT INTO codes (id, name, parent_id, definition, include_note, exclude_note, codable,"
        " color, origin, active, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
        [
            (
                c.id,
                c.name,
                c.parent_id,
                c.definition,
                c.include_note,
                c.exclude_note,
                int(c.codable),
                c.color,
                c.origin,
                start + i,
            )
            for i, c in enumerate(codes, start=1)
        ],
    )


@dataclass(frozen=True)
class OffCodebookCode:
    """A code carrying human decisions that the codebook no longer (or never) defined."""

    id: str
    name: str  # its name as the store last knew it ('' when the store never had the code)
    decisions: int  # human coding rows on it (accepts and rejections, every coder)


def human_decisions_off_codebook(store: Store, known: Collection[str]) -> list[OffCodebookCode]:
    """Codes with human decisions whose id is not in ``known`` (the codebook's ids and
    aliases), by id. Active codes an import created (``origin`` not ``codebook``) are not
    listed: the store holds them as codes of their own. A code renamed in the YAML, or
    deleted from it, is (its decisions count for the old id only). Read-only."""
    rows = store.conn.execute(
        "SELECT c.code_id, COUNT(*) AS n, k.name, k.origin, k.active FROM codings c"
        " LEFT JOIN codes k ON k.id = c.code_id WHERE c.source = 'human'"
        " GROUP BY c.code_id ORDER BY c.code_id"
    )
    return [
        OffCodebookCode(r["code_id"], r["name"] or "", int(r["n"]))
        for r in rows
        if r["code_id"] not in known and not (r["origin"] not in (None, "codebook") and r["active"])
    ]


__all__ = [
    "NewCode",
    "OffCodebookCode",
    "StoredCode",
    "add_codes",
    "code_ids",
    "human_decisions_off_codebook",
    "imported_codes",
    "sync_codebook",
]
