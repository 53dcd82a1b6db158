"""Plain text and Markdown (.txt, .md), plus the text analysis other readers share.

A file may open with a header of attributes, either YAML-like between ``---``
lines or as ``Key: value`` lines before the first blank line (when most keys
are known attribute names). The header becomes ``header_attributes`` and is
left out of the units; offsets still point into the full text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from themegrid.errors import InputFileError
from themegrid.models import DocumentKind, RawDocument, Unit
from themegrid.read import ReadRequest, register
from themegrid.read.repair import decode_bytes, repair_text
from themegrid.read.subtitles import subtitle_format, subtitles_from_text
from themegrid.segment.interviewer import split_answers
from themegrid.segment.labels import (
    closing_times,
    few_labels_note,
    find_turns,
    is_name_or_role,
    opening_times,
    parse_timestamp,
)
from themegrid.segment.paragraphs import paragraph_units

_KNOWN_KEYS = frozenset(
    {
        *[
            "state",
            "district",
            "school",
            "site",
            "case",
            "role",
            "respondent",
            "participant",
            "interviewee",
        ],
        *[
            "interviewer",
            "moderator",
            "facilitator",
            "date",
            "location",
            "source",
            "type",
            "title",
            "id",
        ],
        *["gender", "age", "organization", "organisation", "org", "language", "duration", "length"],
        *[
            "transcriber",
            "transcript",
            "project",
            "pseudonym",
            "position",
            "county",
            "region",
            "city",
        ],
        *[
            "country",
            "grade",
            "grades",
            "sector",
            "agency",
            "department",
            "mode",
            "format",
            "setting",
            "time",
        ],
        *[
            "recorded",
            "recording",
            "wave",
            "round",
            "study",
            "group",
            "session",
            "speakers",
            "participants",
        ],
        *("case id", "respondent role", "interview date", "source type", "interview id"),
        *("transcribed by", "job title", "start time", "focus group", "attendees"),
    }
)
#: Keys that are also speaker labels: a block of only these is the first turn, not a header.
_ROLE_KEYS = frozenset(
    {"interviewer", "interviewee", "respondent", "participant", "moderator", "facilitator"}
)
_KEY_LINE_RE = re.compile(r"[ \t]*([^\W\d_][\w /().&-]{0,40}?)[ \t]*:[ \t]*(.{0,200})")
_MAX_HEADER_LINES = 30


@dataclass(frozen=True)
class Header:
    """A header block: its attributes and where the body starts."""

    attributes: Mapping[str, str]
    body_start: int


@register(".txt", ".text")
def read_text(request: ReadRequest) -> RawDocument:
    data = request.path.read_bytes()
    text, notes = decode_bytes(data, request.display_path)
    subtitles = subtitle_format(text)
    if subtitles is not None:
        return subtitles_from_text(request, text, subtitles, notes)
    fmt = "md" if request.path.suffix.lower() in {".md", ".markdown"} else "txt"
    text, removed = strip_html_tags(text)
    if removed:
        notes = [*notes, f"removed {removed} HTML tag(s) left over from a web page (e.g. <p>)"]
    return document_from_text(request, text, fmt, notes)


# Tags that only appear in text scraped from web pages; never speaker labels such as <v Name>.
_HTML_TAG_RE = re.compile(
    r"</?(?:p|br|div|span|li|ul|ol|em|strong|b|i|u|a|h[1-6]|table|tr|td|th|tbody|thead|blockquote)"
    r"(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)


def strip_html_tags(text: str) -> tuple[str, int]:
    """Remove leftover HTML tags (``<p>``, ``</li>``, ``<br/>``...); ``<br>`` becomes a line break."""
    count = 0

    def replace(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return "\n" if m.group(0).lower().startswith("<br") else ""

    cleaned = _HTML_TAG_RE.sub(replace, text)
    return cleaned, count


_TABLE_HEADINGS = frozenset(
    {"speaker", "name", "person", "time", "timestamp", "text", "transcript", "utterance"}
)


def table_row_paragraph(cells: Sequence[str], *, first: bool) -> str:
    """A table row (its cells' texts) as one paragraph: ``Speaker: words`` when a cell names
    the speaker. Shared by the .docx and .rtf readers.

    Handles Speaker | Text and Time | Speaker | Text layouts; a first row of
    column headings is skipped (""); other rows keep their cells, tab-separated.
    Whitespace inside a cell is collapsed; a cell repeating the one before (a
    merged cell) counts once.
    """
    kept: list[str] = []
    for cell in cells:
        text = " ".join(cell.split())
        if text and (not kept or kept[-1] != text):
            kept.append(text)
    if not kept or (first and all(c.casefold() in _TABLE_HEADINGS for c in kept)):
        return ""
    if len(kept) >= 3 and parse_timestamp(kept[0]) is not None and is_name_or_role(kept[1]):
        return f"[{kept[0]}] {kept[1]}: {' '.join(kept[2:])}"
    if len(kept) >= 2 and is_name_or_role(kept[0].rstrip(":")):
        return f"{kept[0].rstrip(':')}: {' '.join(kept[1:])}"
    return "\t".join(kept)


def document_from_text(
    request: ReadRequest, text: str, fmt: str, notes: list[str] | None = None
) -> RawDocument:
    """Repair ``text``, find its header and units, and build the document."""
    text, repair_notes = repair_text(text)
    all_notes = [*(notes or []), *repair_notes]
    if not text.strip():
        raise InputFileError(request.display_path, "has no text; remove it or add its content")
    text, header, units, kind = _analyse(text, request.interviewer_labels, all_notes)
    labels = [*request.interviewer_labels, *_header_interviewers(header.attributes)]
    if kind == "interview":
        units, cuts = split_answers(text, units, labels)
        if cuts:
            lines = ", ".join(str(text.count("\n", 0, c) + 1) for c in cuts[:5])
            more = f" and {len(cuts) - 5} more" if len(cuts) > 5 else ""
            all_notes.append(
                f"warning: {len(cuts)} unlabelled paragraph(s) after an interviewer's question"
                f" (line(s) {lines}{more}) read as the answer, not the interviewer's words;"
                " start them with the speaker's label to be sure"
            )
    if kind == "document":
        note = few_labels_note(text, header.body_start, len(text), labels)
        if note:
            all_notes.append(f"warning: {note}")
    if not units:
        raise InputFileError(
            request.display_path, "has a header but no text after it; add the text or remove it"
        )
    return RawDocument(
        path=request.display_path,
        format=fmt,
        text=text,
        units=tuple(units),
        kind=kind,
        header_attributes=dict(header.attributes),
        repair_notes=tuple(n for n in all_notes if not n.startswith("warning: ")),
        warnings=tuple(n.removeprefix("warning: ") for n in all_notes if n.startswith("warning: ")),
    )


def _analyse(
    text: str, interviewer_labels: Collection[str], notes: list[str]
) -> tuple[str, Header, list[Unit], DocumentKind]:
    """Header and units; a line-numbered transcript loses its line numbers first."""
    header = find_header(text)
    labels = [*interviewer_labels, *_header_interviewers(header.attributes)]
    units, kind = units_from_text(text, header.body_start, labels)
    if kind == "interview":
        return text, header, units, kind
    stripped = strip_line_numbers(text)
    if stripped is None:
        return text, header, units, kind
    plain, count = stripped
    plain_header = find_header(plain)
    labels = [*interviewer_labels, *_header_interviewers(plain_header.attributes)]
    plain_units, plain_kind = units_from_text(plain, plain_header.body_start, labels)
    if plain_kind != "interview":
        return text, header, units, kind
    notes.append(f"removed line numbers from {count} lines")
    return plain, plain_header, plain_units, plain_kind


_LINE_NO_RE = re.compile(r"[ \t]*(\d{1,5})(?:[ \t]+|$)")
_LEADING_NO_RE = re.compile(r"^[ \t]*\d{1,5}(?:[ \t]|$)", re.M)


def strip_line_numbers(text: str) -> tuple[str, int] | None:
    """``text`` without the numbers at the start of its lines, and how many lines had one.

    None unless the text is line-numbered: most non-blank lines start with a
    number, and the numbers mostly count up by one (court transcripts restart
    at 1 on every page).
    """
    head = text[:3000]
    if len(_LEADING_NO_RE.findall(head)) * 2 < head.count("\n"):
        return None
    lines = text.split("\n")
    matches = [_LINE_NO_RE.match(line) for line in lines]
    nonblank = sum(1 for line in lines if line.strip())
    numbers = [int(m.group(1)) for m in matches if m]
    if nonblank < 4 or len(numbers) < 0.8 * nonblank:
        return None
    steps = sum(1 for a, b in itertools.pairwise(numbers) if b == a + 1)
    if steps < 0.6 * (len(numbers) - 1):
        return None
    out = [line[m.end() :] if m else line for line, m in zip(lines, matches, strict=True)]
    return "\n".join(out), len(numbers)


def units_from_text(
    text: str, start: int = 0, interviewer_labels: Collection[str] = ()
) -> tuple[list[Unit], DocumentKind]:
    """Speaker turns if the text reads as a transcript, else paragraphs.

    Either way a unit ending in a timestamp (f4's ``#00:01:23-4#``) takes it as its
    ``t_end`` and stops before it (see :func:`~themegrid.segment.labels.closing_times`);
    paragraphs starting with one take it as their ``t_start`` (``opening_times``).
    """
    turns = find_turns(text, start, len(text), interviewer_labels)
    if turns is not None:
        return turns, "interview"
    paragraphs = opening_times(text, paragraph_units(text, start, len(text)))
    return closing_times(text, paragraphs), "document"


def _header_interviewers(attributes: Mapping[str, str]) -> list[str]:
    return [v for k, v in attributes.items() if k in {"interviewer", "moderator"} and v]


def find_header(text: str) -> Header:
    """The attribute header at the top of ``text``, or an empty one."""
    return _yaml_header(text) or _key_value_header(text) or Header({}, 0)


def _yaml_header(text: str) -> Header | None:
    m = re.match(r"\s*---[ \t]*\n", text)
    if not m:
        return None
    close = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M).search(text, m.end())
    if not close or text.count("\n", m.end(), close.start()) > _MAX_HEADER_LINES:
        return None
    attributes = _parse_pairs(text[m.end() : close.start()].splitlines())
    return Header(attributes, close.end())


def _key_value_header(text: str) -> Header | None:
    lead = len(text) - len(text.lstrip())
    block_end = re.compile(r"\n[ \t]*\n").search(text, lead)
    if not block_end:
        return None
    lines = text[lead : block_end.start()].splitlines()
    if not 1 <= len(lines) <= _MAX_HEADER_LINES:
        return None
    matches = [_KEY_LINE_RE.fullmatch(line) for line in lines]
    if not all(matches):
        return None
    keys = [_key(m.group(1)) for m in matches if m]
    known = [k for k in keys if k in _KNOWN_KEYS]
    distinct = len(set(keys)) == len(keys)
    if not distinct or len(known) * 2 <= len(keys) or not set(known) - _ROLE_KEYS:
        return None
    return Header(_parse_pairs(lines), block_end.start())


def _parse_pairs(lines: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for line in lines:
        m = _KEY_LINE_RE.fullmatch(line)
        if m:
            pairs[_key(m.group(1))] = m.group(2).strip().strip("\"'")
    return pairs


def _key(raw: str) -> str:
    return re.sub(r"\s+", " ", raw.strip().lower())
