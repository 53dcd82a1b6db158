"""Domain objects shared across modules: documents, segments and codings.

Codes and codebooks live in :mod:`themegrid.codebook.model`. Everything here is a
frozen dataclass; plain dicts appear only at I/O edges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Source = Literal["rule", "model", "human"]
Status = Literal["suggested", "accepted", "rejected", "retired"]
DocumentKind = Literal["interview", "document", "table"]

#: Coder names the machine uses for its own suggestions.
RULE_CODER = "themegrid:rules"
MODEL_CODER = "themegrid:model"
#: Semantic suggestions (tag/semantic.py) are model-source rows of this coder.
SEMANTIC_CODER = "themegrid:semantic"


@dataclass(frozen=True)
class Unit:
    """A unit as a reader found it: a speaker turn, a paragraph or a table row.

    ``start``/``end`` are offsets (Unicode code points) into the document's
    normalised text; ``text[start:end]`` is the unit's text without the
    speaker label.
    """

    start: int
    end: int
    speaker: str | None = None
    t_start: float | None = None
    t_end: float | None = None
    row_id: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RawDocument:
    """What a reader returns: normalised text plus the units found in it."""

    path: str
    format: str
    text: str
    units: tuple[Unit, ...]
    kind: DocumentKind
    header_attributes: Mapping[str, str] = field(default_factory=dict)
    repair_notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Segment:
    """The unit of coding: a speaker turn or a paragraph (or part of a long one).

    ``id`` is stable: the same text, by the same speaker, at the same ordinal
    among identical texts in the same document, gets the same id on every run.
    """

    id: str
    document_path: str
    seq: int
    start: int
    end: int
    text: str
    speaker: str | None = None
    is_interviewer: bool = False
    t_start: float | None = None
    t_end: float | None = None
    row_id: str | None = None


@dataclass(frozen=True)
class Coding:
    """One code applied (or suggested, or rejected) on one segment."""

    segment_id: str
    code_id: str
    source: Source
    coder: str
    status: Status
    confidence: float | None = None
    reason: str = ""
    run_id: int | None = None
    created_at: str = ""
    updated_at: str = ""
    note: str = ""
