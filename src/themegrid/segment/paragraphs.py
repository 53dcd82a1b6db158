"""Paragraphs and spans: blank-line blocks, hard-wrapped lines joined, whitespace trimmed.

Every function returns offsets into the text it is given; the text itself is
never edited, so ``text[start:end]`` is always the unit's words.
"""

from __future__ import annotations

import re
from dataclasses import replace

from themegrid.models import RawDocument, Unit

_BLANK_LINES_RE = re.compile(r"\n[ \t]*\n\s*")


def block_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Blank-line separated blocks in ``text[start:end]``, whitespace trimmed, non-empty."""
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _BLANK_LINES_RE.finditer(text, start, end):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, end))
    return [s for s in (trim_span(text, a, b) for a, b in spans) if s[0] < s[1]]


def paragraph_units(text: str, start: int, end: int) -> list[Unit]:
    """Paragraph units: blank-line blocks, each split where its lines are paragraphs.

    A block whose lines all but the last fill a similar width (and none is
    longer than :data:`WRAP_WIDTH`) is hard-wrapped prose: its lines join,
    except that a list item starts a new paragraph. Otherwise the text was not
    wrapped (scraped from the web, exported from Word) and each line is a
    paragraph.
    """
    blocks = block_spans(text, start, end)
    return [Unit(a, b) for block in blocks for a, b in _split_block(text, *block)]


#: Hard-wrapped text (plain-text exports, PDF text layers) has no longer lines than this.
WRAP_WIDTH = 200
_LIST_ITEM_RE = re.compile(r"(?:[-*•–]|\d{1,3}[.)]|[a-z][.)])\s")


def _split_block(text: str, start: int, end: int) -> list[tuple[int, int]]:
    lines = _line_spans(text, start, end)
    if len(lines) < 2:
        return [(start, end)]
    widths = [b - a for a, b in lines]
    widest = max(widths)
    if widest > WRAP_WIDTH or min(widths[:-1]) < 0.6 * widest:
        return lines
    out: list[tuple[int, int]] = []
    for a, b in lines:
        if out and not _LIST_ITEM_RE.match(text, a):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        a, b = trim_span(text, pos, stop)
        if a < b:
            spans.append((a, b))
        pos = stop + 1
    return spans


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` moved inward past whitespace; the text itself is never edited."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def stripped_unit(
    text: str, start: int, end: int, *, speaker: str | None = None, t_start: float | None = None
) -> Unit | None:
    """A unit over ``text[start:end]`` with surrounding whitespace trimmed; None if empty."""
    a, b = trim_span(text, start, end)
    return Unit(a, b, speaker=speaker, t_start=t_start) if a < b else None


def as_document(raw: RawDocument) -> RawDocument:
    """``raw`` read as paragraphs without speakers (its metadata row says it is a document
    review): what looked like labels (a report's headings) stay in the text, as paragraphs."""
    if raw.kind != "interview" or not raw.units:
        return raw
    start = min(u.start for u in raw.units)
    units = paragraph_units(raw.text, start, len(raw.text))
    return replace(raw, units=tuple(units), kind="document")
