"""Taguette projects (``.sqlite3``): documents, tags and highlights into a project.

Read with :func:`themegrid.store.foreign.read_taguette` (the file is opened
read-only). Taguette keeps each document as HTML and each highlight's offsets as
UTF-8 *byte* offsets into the document's text with tags stripped and entities
unescaped (checked on the devdata project: 1,794 of 1,794 highlights). So the
document text here is exactly that text (``<p>`` lines joined by the newlines
between them), byte offsets become character offsets, and every quote is checked
against the highlight's stored snippet: a highlight whose quote differs, or whose
offsets fall inside a character or outside the text, is reported and left out,
never shifted.

Tags become codes (``a.b`` paths a hierarchy, with ``a`` a grouping when it is not a
tag itself; descriptions their definitions). Each document is segmented as an
ingested file is, one paragraph a ``<p>`` (or speaker turns), coded or not; each
highlight becomes a human accepted span coding per tag, with its exact offsets, on
the paragraph(s) it falls in, by the user who added it in Taguette's command log
(else the project's only member, else ``unattributed``); see the REFI-QDA
import's writer for highlights over several paragraphs and same-tag highlights
joined in one.
The writing is the REFI-QDA import's (:func:`themegrid.exchange.refi.importer.apply_import`):
one transaction, codes also written to ``codebook/imported_<file>.yaml``.
Tested with Taguette databases of schema revision ``09c662cd9483`` (Taguette 1.x);
other revisions are read when they have the same tables and columns.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from themegrid.exchange.options import DEFAULT_IMPORT_OPTIONS, ImportOptions
from themegrid.exchange.refi.codes import ImportedCode, slugify
from themegrid.exchange.refi.ids import code_guid
from themegrid.exchange.refi.importer import (
    ImportPlan,
    ImportSummary,
    Selection,
    SourceText,
    apply_import,
)
from themegrid.project import Project
from themegrid.store.foreign import TaguetteHighlight, TaguetteProject, read_taguette

#: How many mismatched highlights a summary names before "and N more".
SHOWN = 10


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    """The text of Taguette's HTML: tags dropped, entities unescaped, whitespace kept."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


@dataclass(frozen=True)
class QuoteCheck:
    """How a highlight's offsets and stored snippet compare with the document text."""

    highlight_id: int
    start: int | None  # character offsets, None when the byte offsets are unusable
    end: int | None
    matches: bool
    reason: str = ""


def check_highlight(text: str, data: bytes, h: TaguetteHighlight) -> QuoteCheck:
    """Convert the byte offsets and compare the quote with the snippet (never shifted)."""
    if not 0 <= h.start <= h.end <= len(data):
        return QuoteCheck(h.id, None, None, False, f"offsets {h.start}-{h.end} outside the text")
    try:
        start = len(data[: h.start].decode("utf-8"))
        end = start + len(data[h.start : h.end].decode("utf-8"))
    except UnicodeDecodeError:
        return QuoteCheck(h.id, None, None, False, "offsets fall inside a character")
    quote, snippet = text[start:end], html_text(h.snippet_html)
    if quote != snippet:
        return QuoteCheck(
            h.id,
            start,
            end,
            False,
            f"text at the offsets {quote[:40]!r} differs from the stored snippet {snippet[:40]!r}",
        )
    return QuoteCheck(h.id, start, end, True)


def _codes(project: TaguetteProject) -> tuple[list[ImportedCode], dict[int, str]]:
    """Codes for the tags (dotted paths nest) and tag id -> code GUID."""
    codes: dict[str, ImportedCode] = {}
    paths = {t.path.strip() for t in project.tags}
    for tag in sorted(project.tags, key=lambda t: t.path):
        parts = [p.strip() for p in tag.path.split(".") if p.strip()] or [tag.path]
        parent: str | None = None
        for depth in range(len(parts)):
            key = ".".join(parts[: depth + 1])
            if key not in codes:
                is_tag = depth == len(parts) - 1 or key in paths
                ident = ".".join(slugify(p) for p in parts[: depth + 1])
                codes[key] = ImportedCode(
                    guid=code_guid(ident),
                    name=parts[depth],
                    parent_guid=parent,
                    description=tag.description if depth == len(parts) - 1 else "",
                    codable=is_tag,
                )
            parent = codes[key].guid
    guids = {
        t.id: codes[".".join(p.strip() for p in t.path.split(".") if p.strip()) or t.path].guid
        for t in project.tags
    }
    return list(codes.values()), guids


def plan_taguette(path: Path | str) -> tuple[ImportPlan, list[QuoteCheck]]:
    """What a Taguette file holds, as an import plan, and the check of every highlight."""
    path = Path(path)
    data = read_taguette(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    codes, tag_guids = _codes(data)
    users: dict[str, str] = {}
    default = data.members[0] if len(data.members) == 1 else None
    by_doc: dict[int, list[TaguetteHighlight]] = {}
    for h in data.highlights:
        by_doc.setdefault(h.document_id, []).append(h)
    checks: list[QuoteCheck] = []
    sources = []
    for doc in data.documents:
        text = html_text(doc.html)
        raw = text.encode("utf-8")
        selections = []
        for h in by_doc.get(doc.id, []):
            check = check_highlight(text, raw, h)
            checks.append(check)
            if not check.matches or check.start is None or check.end is None:
                continue
            user = h.user or default
            if user:
                users[user] = user
            selections.append(
                Selection(
                    f"taguette-highlight-{h.id}",
                    check.start,
                    check.end,
                    tuple((tag_guids[t], user) for t in h.tag_ids if t in tag_guids),
                    f"Taguette highlight {h.id}",
                )
            )
        notes = (f"Taguette description: {doc.description}",) if doc.description else ()
        sources.append(
            SourceText(
                f"taguette|{digest[:16]}|{doc.id}",
                doc.name,
                text,
                {},
                tuple(selections),
                notes,
                lines_are_paragraphs=True,  # a <p> a line
            )
        )
    bad = [c for c in checks if not c.matches]
    skipped = tuple(
        f"highlight {c.highlight_id}: {c.reason}; left out (not shifted)" for c in bad[:SHOWN]
    ) + (
        (f"and {len(bad) - SHOWN} more highlight(s) whose quote does not match",)
        if len(bad) > SHOWN
        else ()
    )
    untagged = sum(1 for h in data.highlights if not h.tag_ids)
    if untagged:
        skipped += (f"{untagged} highlight(s) without a tag (nothing to import)",)
    plan = ImportPlan(
        file=str(path),
        command="import taguette",
        name=data.name or path.stem,
        codes=tuple(codes),
        sources=tuple(sources),
        users=users,
        skipped=skipped,
        input_hash=digest,
        folder="taguette",
    )
    return plan, checks


@dataclass(frozen=True)
class TaguetteSummary:
    imported: ImportSummary
    highlights: int
    tag_links: int
    quotes_matching: int

    def to_dict(self) -> dict[str, object]:
        return {
            **self.imported.to_dict(),
            "highlights": self.highlights,
            "tag_links": self.tag_links,
            "quotes_matching": self.quotes_matching,
        }

    def lines(self) -> list[str]:
        return [
            *self.imported.lines(),
            f"  highlights: {self.highlights} in the file, {self.quotes_matching} with a quote "
            f"identical to the text at their offsets; {self.tag_links} highlight-tag link(s)",
        ]


def import_taguette(
    project: Project,
    path: Path | str,
    options: ImportOptions = DEFAULT_IMPORT_OPTIONS,
) -> TaguetteSummary:
    """Import a Taguette ``.sqlite3`` into ``project`` (the file is only read)."""
    plan, checks = plan_taguette(path)
    summary = apply_import(project, plan, options)
    links = sum(len(s.codings) for src in plan.sources for s in src.selections)
    return TaguetteSummary(summary, len(checks), links, sum(c.matches for c in checks))
