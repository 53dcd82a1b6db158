"""QualCoder projects (``NAME.qda`` folders holding ``data.qda``, an SQLite file).

Read read-only with :func:`themegrid.store.foreign.read_qualcoder`, which knows
schema versions ``v6`` to ``v14`` (``project.databaseversion``) and refuses any
other, naming it. Code categories become non-codable groupings (nested by
``supercatid``), codes become codes under their category, with the memo as the
definition and the colour kept. Text sources become documents (their memo a
note, their file attributes case attributes), segmented as an ingested file is
(speaker turns or paragraphs, coded or not); each coded text (``code_text``) becomes
a human accepted span coding by its ``owner``, with its exact offsets (QualCoder
stores code-point offsets into the source's ``fulltext``), on the segment(s) it falls
in. Every
quote (``seltext``) is checked against the text at its offsets; a mismatch is
listed and left out, never shifted. Audio, video and image sources (no text) are
listed as skipped. Written by the REFI-QDA import's writer, all or nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from themegrid.exchange.options import DEFAULT_IMPORT_OPTIONS, ImportOptions
from themegrid.exchange.refi.codes import ImportedCode
from themegrid.exchange.refi.ids import code_guid
from themegrid.exchange.refi.importer import (
    ImportPlan,
    ImportSummary,
    Selection,
    SourceText,
    apply_import,
)
from themegrid.project import Project
from themegrid.store.foreign import QualcoderCategory, read_qualcoder

SHOWN = 10


def database_file(path: Path | str) -> Path:
    """The ``data.qda`` of a ``.qda`` folder (or the file itself)."""
    path = Path(path)
    return path / "data.qda" if path.is_dir() else path


@dataclass(frozen=True)
class QualcoderSummary:
    imported: ImportSummary
    version: str
    coded_texts: int
    quotes_matching: int

    def to_dict(self) -> dict[str, object]:
        return {
            **self.imported.to_dict(),
            "schema_version": self.version,
            "coded_texts": self.coded_texts,
            "quotes_matching": self.quotes_matching,
        }

    def lines(self) -> list[str]:
        return [
            *self.imported.lines(),
            f"  QualCoder schema {self.version}: {self.coded_texts} coded text(s), "
            f"{self.quotes_matching} with a quote identical to the text at their offsets",
        ]


def plan_qualcoder(path: Path | str) -> tuple[ImportPlan, int, int, str]:
    """The import plan, how many coded texts, how many quotes match, the schema version."""
    db = database_file(path)
    data = read_qualcoder(db)
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    cat_guid = {
        c.id: code_guid(f"qualcoder:{digest[:12]}:category:{c.id}") for c in data.categories
    }
    codes = [
        ImportedCode(cat_guid[c.id], c.name, cat_guid.get(c.parent_id or -1), c.memo, None, False)
        for c in _parents_first(data.categories)
    ]
    code_guids = {c.id: code_guid(f"qualcoder:{digest[:12]}:code:{c.id}") for c in data.codes}
    codes += [
        ImportedCode(
            code_guids[c.id], c.name, cat_guid.get(c.category_id or -1), c.memo, _color(c.color)
        )
        for c in data.codes
    ]
    by_source: dict[int, list[Selection]] = {}
    texts = {s.id: s.text for s in data.sources}
    bad: list[str] = []
    matching = 0
    counted = 0
    for ct in data.codings:
        if ct.source_id not in texts:
            continue
        counted += 1
        text = texts[ct.source_id]
        if not 0 <= ct.start <= ct.end <= len(text) or text[ct.start : ct.end] != ct.quote:
            bad.append(
                f"coded text {ct.id}: the text at {ct.start}-{ct.end} differs from its quote"
            )
            continue
        matching += 1
        if ct.code_id not in code_guids:
            continue
        by_source.setdefault(ct.source_id, []).append(
            Selection(
                f"qualcoder-{ct.id}",
                ct.start,
                ct.end,
                ((code_guids[ct.code_id], ct.owner or None),),
                f"QualCoder coded text {ct.id}",
            )
        )
    sources = tuple(
        SourceText(
            f"qualcoder|{digest[:16]}|{s.id}",
            s.name,
            s.text,
            dict(s.attributes),
            tuple(by_source.get(s.id, ())),
            (f"QualCoder memo: {s.memo}",) if s.memo else (),
        )
        for s in data.sources
    )
    skipped = tuple(f"{m}; left out (not shifted)" for m in bad[:SHOWN])
    if len(bad) > SHOWN:
        skipped += (f"and {len(bad) - SHOWN} more coded text(s) whose quote does not match",)
    if data.skipped_media:
        skipped += (f"{data.skipped_media} audio, video or image source(s) (no text)",)
    users = {c.owner: c.owner for c in data.codings if c.owner}
    plan = ImportPlan(
        file=str(db),
        command="import qualcoder",
        name=Path(path).stem if Path(path).is_dir() else db.parent.stem,
        codes=tuple(codes),
        sources=sources,
        users=users,
        skipped=skipped,
        input_hash=digest,
        folder="qualcoder",
    )
    return plan, counted, matching, data.version


def _parents_first(categories: tuple[QualcoderCategory, ...]) -> list[QualcoderCategory]:
    """Categories ordered so each comes after its parent (a parent cycle is broken at the top)."""
    by_id = {c.id: c for c in categories}

    def depth(c: QualcoderCategory) -> int:
        seen: set[int] = set()
        while c.parent_id in by_id and c.id not in seen:
            seen.add(c.id)
            c = by_id[c.parent_id]
        return len(seen)

    return sorted(categories, key=lambda c: (depth(c), c.id))


def _color(value: str | None) -> str | None:
    return value if value and len(value) == 7 and value.startswith("#") else None


def import_qualcoder(
    project: Project,
    path: Path | str,
    options: ImportOptions = DEFAULT_IMPORT_OPTIONS,
) -> QualcoderSummary:
    """Import a QualCoder project (``.qda`` folder or its ``data.qda``); the file is only read."""
    plan, counted, matching, version = plan_qualcoder(path)
    summary = apply_import(project, plan, options)
    return QualcoderSummary(summary, version, counted, matching)
