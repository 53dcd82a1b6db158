"""Which column of a coded spreadsheet is which: named by the user or detected from headers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from themegrid.errors import Problem
from themegrid.exchange.labels import norm
from themegrid.read.table import Table

CODE_COLUMN_RE = re.compile(r"^(codes?|themes?|tags?)[\s_\-]*\d*$", re.I)
ID_NAMES = {"responseid", "id", "segmentid", "rowid", "respondentid", "turnid", "lfdn"}
TEXT_NAMES = {
    "text",
    "segment",
    "segmenttext",
    "excerpt",
    "quote",
    "response",
    "answer",
    "content",
    "utterance",
}
SPEAKER_NAMES = {"speaker"}
#: Cell values that mean "this row has no code" (compared ignoring case, spaces and punctuation).
NO_CODE_MARKERS = (
    "not codable",
    "not codeable",
    "not answered",
    "-",
    "n/a",
    "none",
)


@dataclass(frozen=True)
class Layout:
    """Column names (as written in the header; matched ignoring case and spaces).

    ``code_columns`` entries may be ranges like ``"Code 1..Code 8"``. Left empty,
    the id, text, speaker and code columns are detected from their headers.
    ``attribute_columns`` entries may rename: ``"state=Q2"`` stores column Q2 as
    the case attribute ``state``. Code cells equal to one of ``no_code_markers``
    (ignoring case, spaces and punctuation) are no code.
    """

    id_column: str | None = None
    text_column: str | None = None
    speaker_column: str | None = None
    attribute_columns: tuple[str, ...] = ()
    code_columns: tuple[str, ...] = ()
    delimiter: str = ";"
    no_code_markers: tuple[str, ...] = NO_CODE_MARKERS
    long: bool = False  # fold rows repeating a text even without an id column


@dataclass(frozen=True)
class Columns:
    id: int | None
    text: int
    speaker: int | None
    attributes: tuple[tuple[str, int], ...]  # (attribute key, column)
    codes: tuple[int, ...]


def expand_range(spec: str) -> list[str]:
    """``"Code 1..Code 8"`` → Code 1, ..., Code 8; anything else is one column name."""
    m = re.fullmatch(r"\s*(.*?)(\d+)\s*\.\.\s*(.*?)(\d+)\s*", spec)
    if not m or norm(m.group(1)) != norm(m.group(3)) or int(m.group(2)) > int(m.group(4)):
        return [spec.strip()]
    return [f"{m.group(1)}{i}" for i in range(int(m.group(2)), int(m.group(4)) + 1)]


def find_columns(table: Table, layout: Layout) -> tuple[Columns | None, list[Problem]]:
    problems: list[Problem] = []
    heads = [norm(h) for h in table.header]
    squashed = [h.replace(" ", "").replace("_", "") for h in heads]

    def named(name: str | None, option: str) -> int | None:
        if name is None:
            return None
        if norm(name) in heads:
            return heads.index(norm(name))
        problems.append(
            Problem(
                f"no column {name!r} (columns: {', '.join(table.header)}); fix {option}",
                table.name,
            )
        )
        return None

    id_col = named(layout.id_column, "--id-column")
    speaker = named(layout.speaker_column, "--speaker-column")
    attrs = tuple(
        (key, i)
        for spec in layout.attribute_columns
        for key, column in [_attribute_spec(spec, heads)]
        if (i := named(column, "--attribute-column")) is not None
    )
    if layout.code_columns:
        names = [n for spec in layout.code_columns for n in expand_range(spec)]
        codes = tuple(i for n in names if (i := named(n, "--code-columns")) is not None)
    else:
        codes = tuple(i for i, h in enumerate(table.header) if CODE_COLUMN_RE.match(h.strip()))
        if not codes:
            problems.append(
                Problem(
                    f"no code columns found (columns: {', '.join(table.header)}); "
                    "name them with --code-columns 'Code 1..Code 8' or --code-column",
                    table.name,
                )
            )
    if layout.id_column is None:
        id_col = _detect(squashed, ID_NAMES)
    if layout.speaker_column is None:
        speaker = _detect(squashed, SPEAKER_NAMES)
    taken = {id_col, speaker, *(i for _, i in attrs), *codes}
    text = named(layout.text_column, "--text-column") if layout.text_column else None
    if layout.text_column is None:
        text = _detect_text(table, squashed, taken, problems)
    if problems or text is None:
        return None, problems
    return Columns(id_col, text, speaker, attrs, codes), problems


def _attribute_spec(spec: str, heads: list[str]) -> tuple[str, str]:
    """``"state=Q2"`` → ("state", "Q2"); a plain column name keys the attribute by its header."""
    key, sep, column = spec.partition("=")
    if not sep or norm(spec) in heads:
        return _attr_key(spec), spec
    return _attr_key(key), column.strip()


def _detect(squashed: list[str], names: set[str]) -> int | None:
    hits = [i for i, h in enumerate(squashed) if h in names]
    return hits[0] if len(hits) == 1 else None


def _detect_text(
    table: Table, squashed: list[str], taken: set[int | None], problems: list[Problem]
) -> int | None:
    free = [i for i in range(len(table.header)) if i not in taken]
    named = [i for i in free if squashed[i] in TEXT_NAMES]
    if len(named) == 1:
        return named[0]
    sample = table.rows[:500]
    length = {i: sum(len(r[i]) for _, r in sample) / max(len(sample), 1) for i in free}
    ranked = sorted((i for i in free if length[i] > 0), key=lambda i: -length[i])
    if len(ranked) == 1 or (len(ranked) > 1 and length[ranked[0]] >= 2 * length[ranked[1]]):
        return ranked[0]
    problems.append(
        Problem(
            "cannot tell which column holds the text (candidates: "
            f"{', '.join(table.header[i] for i in ranked) or 'none'}); pass --text-column",
            table.name,
        )
    )
    return None


def _attr_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", norm(header)).strip("_") or "attribute"
