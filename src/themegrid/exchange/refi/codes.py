"""Codes on their way to and from REFI-QDA: export order, descriptions, colours, new ids.

The ``<Code>`` element is the same in a ``.qdc`` codebook and inside a project
(``.qde``), so both directions live here, shared by :mod:`.qdc` and :mod:`.qdpx`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from themegrid.codebook import Codebook
from themegrid.errors import Problem
from themegrid.exchange.refi.ids import code_guid, normalise_guid
from themegrid.exchange.refi.safety import iter_children, lxml_etree
from themegrid.store.codes import imported_codes
from themegrid.store.connection import Store

INCLUDE_LABEL = "When to use:"
EXCLUDE_LABEL = "When not to use:"
_HEX6 = re.compile(r"^#[0-9a-fA-F]{6}$")
_HEX3 = re.compile(r"^#[0-9a-fA-F]{3}$")


@dataclass(frozen=True)
class ExportCode:
    """A code as it is exported: from the YAML codebook or created in the store by an import."""

    id: str
    name: str
    parent_id: str | None
    definition: str = ""
    include: str = ""
    exclude: str = ""
    color: str | None = None
    codable: bool = True

    @property
    def guid(self) -> str:
        return code_guid(self.id)

    @property
    def description(self) -> str:
        return fold_description(self.definition, self.include, self.exclude)


@dataclass(frozen=True)
class ImportedCode:
    """A ``<Code>`` read from a file, before it gets a themegrid id."""

    guid: str
    name: str
    parent_guid: str | None
    description: str = ""
    color: str | None = None
    codable: bool = True


def fold_description(definition: str, include: str, exclude: str) -> str:
    """One ``Description`` text: the definition, then "When to use: ...", "When not to use: ..."."""
    parts = [definition.strip()] if definition.strip() else []
    if include.strip():
        parts.append(f"{INCLUDE_LABEL} {include.strip()}")
    if exclude.strip():
        parts.append(f"{EXCLUDE_LABEL} {exclude.strip()}")
    return "\n\n".join(parts)


def unfold_description(text: str) -> tuple[str, str, str]:
    """The inverse of :func:`fold_description`: (definition, include, exclude)."""
    buckets: dict[str, list[str]] = {"definition": [], "include": [], "exclude": []}
    current = "definition"
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if stripped.startswith(INCLUDE_LABEL):
            current, line = "include", stripped[len(INCLUDE_LABEL) :]
        elif stripped.startswith(EXCLUDE_LABEL):
            current, line = "exclude", stripped[len(EXCLUDE_LABEL) :]
        buckets[current].append(line)
    definition, include, exclude = (
        "\n".join(buckets[k]).strip() for k in ("definition", "include", "exclude")
    )
    return definition, include, exclude


def normalise_color(value: str | None) -> str | None:
    """``#rrggbb`` (lower case) from ``#RGB`` or ``#RRGGBB``; None for anything else."""
    if not value:
        return None
    value = value.strip()
    if _HEX3.match(value):
        value = "#" + "".join(ch * 2 for ch in value[1:])
    return value.lower() if _HEX6.match(value) else None


# --- export ---------------------------------------------------------------------------------


def export_codes(codebook: Codebook | None, store: Store | None) -> list[ExportCode]:
    """The codebook's codes, then active store codes that did not come from it, parents first."""
    codes: list[ExportCode] = []
    if codebook is not None:
        codes = [
            ExportCode(
                c.id, c.name, c.parent_id, c.definition, c.include, c.exclude, c.color, c.codable
            )
            for c in codebook.codes
        ]
    seen = {c.id for c in codes}
    if store is not None:
        for row in imported_codes(store):
            if row.id in seen:
                continue
            seen.add(row.id)
            codes.append(
                ExportCode(
                    row.id,
                    row.name,
                    row.parent_id,
                    row.definition,
                    row.include_note,
                    row.exclude_note,
                    normalise_color(row.color),
                    row.codable,
                )
            )
    return tree_order(codes)


def tree_order(codes: Sequence[ExportCode]) -> list[ExportCode]:
    """Parents before children, siblings in their given order; orphans become top-level."""
    ids = {c.id for c in codes}
    children: dict[str | None, list[ExportCode]] = {}
    for code in codes:
        parent = code.parent_id if code.parent_id in ids and code.parent_id != code.id else None
        children.setdefault(parent, []).append(code)
    out: list[ExportCode] = []
    visited: set[str] = set()

    def walk(parent: str | None) -> None:
        for code in children.get(parent, []):
            if code.id in visited:
                continue
            visited.add(code.id)
            out.append(code)
            walk(code.id)

    walk(None)
    out.extend(c for c in codes if c.id not in visited)  # cycles: never lose a code
    return out


def add_code_elements(
    codes_el: Any,
    codes: Sequence[ExportCode],
    ns: str,
    note_refs: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Nested ``<Code>`` elements under ``codes_el`` (a ``<Codes>``), in tree order.

    ``note_refs``: code id -> GUIDs of the ``<Note>`` elements (memos) on that code,
    written as ``<NoteRef>`` after the code's description, where the schema puts them.
    """
    etree_sub = lxml_etree().SubElement
    by_id: dict[str, Any] = {}
    exported = {c.id for c in codes}
    for code in codes:
        parent_el = by_id.get(code.parent_id) if code.parent_id in exported else None
        attrs = {
            "guid": code.guid,
            "name": code.name,
            "isCodable": "true" if code.codable else "false",
        }
        if code.color:
            attrs["color"] = code.color
        el = etree_sub(parent_el if parent_el is not None else codes_el, f"{{{ns}}}Code", attrs)
        if code.description:
            etree_sub(el, f"{{{ns}}}Description").text = code.description
        for note in (note_refs or {}).get(code.id, ()):
            etree_sub(el, f"{{{ns}}}NoteRef", {"targetGUID": note})
        by_id[code.id] = el


# --- import ---------------------------------------------------------------------------------


def read_code_elements(
    codes_el: Any, ns: str, display: str, problems: list[Problem]
) -> list[ImportedCode]:
    """Every ``<Code>`` under a ``<Codes>`` element, depth-first, with its parent's GUID."""
    out: list[ImportedCode] = []
    seen: set[str] = set()

    def walk(element: Any, parent: str | None) -> None:
        for el in iter_children(element, ns, "Code"):
            raw = el.get("guid")
            guid = normalise_guid(raw)
            name = (el.get("name") or "").strip()
            where = f"code '{name or raw}'"
            if guid is None:
                problems.append(
                    Problem(
                        f"guid {raw!r} is not a GUID; the file is damaged",
                        display,
                        el.sourceline,
                        where,
                    )
                )
                continue
            if guid in seen:
                problems.append(
                    Problem(
                        f"GUID {raw} is used by two codes; the file is damaged",
                        display,
                        el.sourceline,
                        where,
                    )
                )
                continue
            seen.add(guid)
            desc_el = el.find(f"{{{ns}}}Description")
            codable = (el.get("isCodable") or "true").strip().lower() not in ("false", "0")
            out.append(
                ImportedCode(
                    guid=guid,
                    name=name or f"code {guid[:8]}",
                    parent_guid=parent,
                    description=(desc_el.text or "").strip() if desc_el is not None else "",
                    color=normalise_color(el.get("color")),
                    codable=codable,
                )
            )
            walk(el, guid)

    walk(codes_el, None)
    return out


def slugify(name: str) -> str:
    """A code id word from a name: ASCII, lower case, ``[a-z0-9_]``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    return slug or "code"


def assign_ids(codes: Iterable[ImportedCode], existing_guids: dict[str, str]) -> dict[str, str]:
    """GUID -> themegrid id: the dotted path of slugified names, unique among the new codes.

    A code whose GUID is the one themegrid gives an existing code (``existing_guids``:
    GUID -> id) keeps that id, so a project that went to another tool and back
    lands on its own codes instead of duplicating them.
    """
    ids: dict[str, str] = {}
    used: set[str] = set()
    for code in codes:
        if code.guid in existing_guids:
            ids[code.guid] = existing_guids[code.guid]
            continue
        base = slugify(code.name)
        parent_id = ids.get(code.parent_guid) if code.parent_guid else None
        stem = f"{parent_id}.{base}" if parent_id else base
        candidate, n = stem, 2
        while candidate in used:
            candidate, n = f"{stem}_{n}", n + 1
        used.add(candidate)
        ids[code.guid] = candidate
    return ids
