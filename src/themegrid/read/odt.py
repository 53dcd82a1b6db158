"""OpenDocument text (.odt, LibreOffice / Google Docs exports) with odfpy.

Each paragraph and heading (``text:p``, ``text:h``, also inside lists and
tables) becomes one paragraph of the text, blank-line separated; odfpy's
``teletype`` turns ``text:s`` (runs of spaces), ``text:tab`` and
``text:line-break`` into the characters they stand for, so indentation made of
them is kept in the text (segments are cut from it with exact offsets). The text
then goes through the plain-text analysis (speaker labels, header, repair notes).

A heading is its own paragraph and nobody's turn: a ``text:h``, a paragraph in a
heading style (``Heading 1``, ``Title``... or a style based on one), and a task
prompt (a paragraph opening ``Task 3:``, or an outline number such as ``3``,
``3.a`` or ``c.ii`` before a capital, where the document has at least
:data:`MIN_PROMPTS` of them: the printed tasks of a usability session). The
transcript analysis reads the text without them (so ``Task 2:`` is no speaker's
label), and a turn that ran across one is cut there.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from typing import Any

from themegrid.errors import InputFileError, MissingDependency
from themegrid.models import RawDocument, Unit
from themegrid.read import ReadRequest, register
from themegrid.read.archive import corpus_zip_reason
from themegrid.read.repair import repair_text
from themegrid.read.text import document_from_text
from themegrid.segment.paragraphs import stripped_unit

_PARAGRAPH_SEP = "\n\n"
#: ``Task 3:``, ``Task 3.``, ``Task 3 -``, ``Task 12b:`` at a paragraph's start.
_TASK_RE = re.compile(r"\s*Task\s+\d{1,3}[a-z]?\s*(?:[:.)–—-]|$)", re.IGNORECASE)
#: An outline number before a capital: ``3 Submit``, ``3.a Please``, ``c.ii Data``
#: (not ``3. We``: a list item in someone's words has its period).
_OUTLINE_RE = re.compile(
    r"[ \t]*(?:\d{1,2}(?:\.[a-z]{1,4})?|[a-z]{1,2}\.[ivx]{1,5})[ \t]+[A-Z‘“'\"(]"
)
#: The fewest outline-numbered paragraphs for them to be a session's task prompts.
MIN_PROMPTS = 3


@register(".odt")
def read_odt(request: ReadRequest) -> RawDocument:
    try:
        from odf import teletype
        from odf.namespaces import TEXTNS
        from odf.opendocument import load
    except ImportError as exc:
        raise MissingDependency("Reading .odt files", "odfpy", "odt") from exc
    if not zipfile.is_zipfile(request.path):
        raise InputFileError(
            request.display_path,
            "is not a valid .odt (not a zip archive); open it in LibreOffice and save it as .odt",
        )
    bomb = corpus_zip_reason(request.path)
    if bomb:
        raise InputFileError(request.display_path, f"{bomb}; not read")
    try:
        document: Any = load(str(request.path))
    except Exception as exc:
        raise InputFileError(
            request.display_path,
            f"could not be opened as an OpenDocument text ({type(exc).__name__}); "
            "open it in LibreOffice and save it again",
        ) from exc
    wanted = {(TEXTNS, "p"), (TEXTNS, "h")}
    heading_styles = _heading_styles(document)
    paragraphs: list[tuple[str, bool]] = []
    for node in _walk(document.text):
        if getattr(node, "qname", None) not in wanted:
            continue
        text = teletype.extractText(node)
        if text.strip():
            style = node.attributes.get((TEXTNS, "style-name"))
            paragraphs.append((text, node.qname[1] == "h" or style in heading_styles))
    texts = [t for t, _ in paragraphs]
    body = _PARAGRAPH_SEP.join(texts)
    prompts = sum(1 for t in texts if _OUTLINE_RE.match(t))
    heads = [
        head
        or _TASK_RE.match(t) is not None
        or (prompts >= MIN_PROMPTS and bool(_OUTLINE_RE.match(t)))
        for t, head in paragraphs
    ]
    if not any(heads):
        return document_from_text(request, body, "odt")
    return _with_headings(request, body, texts, heads)


def _heading_styles(document: Any) -> set[str]:
    """Names of the paragraph styles that are headings: ``Heading...``, ``Title``,
    ``Subtitle``, one with an outline level, and the styles based on one of them."""
    from odf.namespaces import STYLENS

    parents: dict[str, str] = {}
    headings: set[str] = set()
    for styles in (document.styles, document.automaticstyles):
        for style in styles.getElementsByType(_style_class()):
            name = style.attributes.get((STYLENS, "name"))
            if not name:
                continue
            parent = style.attributes.get((STYLENS, "parent-style-name"))
            if parent:
                parents[name] = parent
            shown = style.attributes.get((STYLENS, "display-name")) or name
            level = style.attributes.get((STYLENS, "default-outline-level"))
            if level or re.match(r"(?:Heading|Title|Subtitle)(?:\b|_)", shown):
                headings.add(name)
    for name in list(parents):
        seen: set[str] = set()
        at = name
        while at in parents and at not in seen and at not in headings:
            seen.add(at)
            at = parents[at]
        if at in headings:
            headings.add(name)
    return headings


def _style_class() -> Any:
    from odf.style import Style

    return Style


def _with_headings(
    request: ReadRequest, body: str, texts: list[str], heads: list[bool]
) -> RawDocument:
    """The document read with its headings blanked out (spaces, one for each character,
    so offsets hold), then given back: each heading its own unit without a speaker, and
    a turn that ran across one cut there (its words after the heading stay the
    speaker's, as unlabelled paragraphs after a turn do)."""
    repaired, _ = repair_text(body)
    pieces = repaired.split(_PARAGRAPH_SEP)
    if len(pieces) != len(texts):  # repair joined or split paragraphs: read as it is
        return document_from_text(request, body, "odt")
    spans: list[tuple[int, int]] = []
    pos = 0
    for piece, head in zip(pieces, heads, strict=True):
        if head:
            spans.append((pos, pos + len(piece)))
        pos += len(piece) + len(_PARAGRAPH_SEP)
    masked = list(repaired)
    for a, b in spans:
        masked[a:b] = " " * (b - a)
    blank = "".join(masked)
    try:
        raw = document_from_text(request, blank, "odt") if blank.strip() else None
    except InputFileError:  # only headings and a header: read as it is
        raw = None
    if raw is None or raw.text != blank:  # the analysis changed the text: no headings
        return document_from_text(request, body, "odt")
    units: list[Unit] = []
    for unit in raw.units:
        units += _cut(repaired, unit, spans)
    for a, b in spans:
        heading = stripped_unit(repaired, a, b)
        if heading:
            units.append(heading)
    units.sort(key=lambda u: u.start)
    return replace(raw, text=repaired, units=tuple(units))


def _cut(text: str, unit: Unit, spans: list[tuple[int, int]]) -> list[Unit]:
    """``unit`` without the heading spans inside it: its parts before, between and after."""
    parts: list[Unit] = []
    start = unit.start
    for a, b in spans:
        if b <= start or a >= unit.end:
            continue
        part = stripped_unit(text, start, a, speaker=unit.speaker)
        if part:
            parts.append(replace(unit, start=part.start, end=part.end))
        start = b
    part = stripped_unit(text, start, unit.end, speaker=unit.speaker)
    if part:
        parts.append(replace(unit, start=part.start, end=part.end))
    return parts


def _walk(node: Any) -> Any:
    """Paragraph elements in document order (not descending into a paragraph's own content)."""
    for child in node.childNodes:
        yield child
        if getattr(child, "qname", (None, ""))[1] not in ("p", "h"):
            yield from _walk(child)
