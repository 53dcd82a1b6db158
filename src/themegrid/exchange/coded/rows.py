"""The rows of a coded spreadsheet: text, id, speaker, attributes and the code labels as written."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from themegrid.errors import InputFileError, Problem
from themegrid.exchange.coded.columns import NO_CODE_MARKERS, Columns, indicator_value
from themegrid.exchange.labels import norm
from themegrid.read import table as table_reader
from themegrid.read.table import Table

#: How many row locations one message lists before "and N more".
MAX_LOCATIONS = 8


def read_coded_table(path: Path, sheet: str | None = None) -> Table:
    """A coded spreadsheet read with the one table reader, its cells stripped.

    CRLF line ends in cells become LF; title lines above the header (one filled cell
    each) are dropped; an empty header cell is named ``Column N``;
    rows of survey ImportIds are left out wherever they are.
    """
    table = table_reader.read_table(path, sheet)
    # a report's title lines above the header (one filled cell each) are not the header
    table = table_reader.header_below_title(
        table, lambda cells: sum(bool(c.strip()) for c in cells) >= 2
    )
    if not table.header:
        raise InputFileError(str(path), "has no header row and no rows; add a header row")
    header = tuple(_clean(h) or f"Column {i + 1}" for i, h in enumerate(table.header))
    rows = tuple(
        (number, cells)
        for number, raw in table.rows
        if any(cells := tuple(_clean(c) for c in raw))
        and not all(c.startswith('{"ImportId"') for c in cells if c)
    )
    return replace(table, header=header, rows=rows)


def _clean(cell: str) -> str:
    return cell.replace("\r\n", "\n").strip()


@dataclass(frozen=True)
class Row:
    file: str
    number: int
    row_id: str | None
    text: str
    speaker: str | None
    attributes: dict[str, str]
    labels: tuple[tuple[str, str], ...]  # (label as written, column header)


#: A row id given to the second, third, ... distinct text under one id: ``<id>~2``.
VARIANT_SEP = "~"


def split_labels(cell: str, delimiter: str) -> list[str]:
    """The code labels in one cell: split at ``delimiter`` and at line breaks (ATLAS.ti
    writes one code per line), stripped, empty ones left out."""
    parts = cell.split(delimiter) if delimiter else [cell]
    return [label.strip() for part in parts for label in part.splitlines() if label.strip()]


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", norm(text))


def is_no_code(label: str, markers: tuple[str, ...]) -> bool:
    """Whether a code cell value is a "no code" marker (``NotCodable`` matches "not codable")."""
    if not label.strip():
        return True
    keys, squashes = _marker_keys(markers)
    if norm(label) in keys:
        return True
    squashed = _squash(label)
    return bool(squashed) and squashed in squashes


@functools.lru_cache(maxsize=32)
def _marker_keys(markers: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The markers' normalised and squashed forms, computed once per marker list."""
    return frozenset(norm(m) for m in markers), frozenset(_squash(m) for m in markers)


@dataclass(frozen=True)
class SkippedRow:
    """A row left out by ``--skip-bad-rows``, with why."""

    file: str
    row: int | None
    reason: str


def row_of(problem: Problem) -> int | None:
    """The row a problem is confined to (its location starts ``row N``), else None."""
    m = re.match(r"row (\d+)\b", problem.where or "")
    return int(m.group(1)) if m else None


@dataclass
class RowNotes:
    """What parsing noticed without refusing: merged long-format rows, id variants, markers."""

    merged: int = 0  # rows folded into an earlier row (same id and text: long format)
    variants: list[str] = field(default_factory=list)  # warnings: same id, different text
    no_code: int = 0  # code cells holding a "no code" marker


def parse_rows(
    table: Table,
    cols: Columns,
    delimiter: str,
    problems: list[Problem],
    *,
    markers: tuple[str, ...] = NO_CODE_MARKERS,
    long: bool = False,
    notes: RowNotes | None = None,
) -> list[Row]:
    """The rows of one table. A row repeating an id with the same text is folded into the
    first (long format: one row per segment and code); with a different text it becomes a
    separate segment with the id ``<id>~2`` (noted in ``notes.variants``). ``long`` also
    folds rows without an id that repeat the text of an earlier row."""
    notes = notes if notes is not None else RowNotes()
    out: list[Row] = []
    seen: dict[tuple[str | None, str], int] = {}  # (id, collapsed text) -> index in out
    variants: dict[str, list[int]] = defaultdict(list)  # id -> row numbers of its texts
    for number, cells in table.rows:
        labels: list[tuple[str, str]] = []
        for c in cols.codes:
            for label in split_labels(cells[c], delimiter):
                if is_no_code(label, markers):
                    notes.no_code += 1
                    continue
                labels.append((label, table.header[c]))
        labels += [
            (label, table.header[c]) for c, label in cols.indicators if indicator_value(cells[c])
        ]
        text = cells[cols.text].replace("\r\n", "\n").strip()
        if norm(text) == norm(table.header[cols.text]):
            continue  # Qualtrics repeats the question text in its second header row
        row_id = cells[cols.id] if cols.id is not None and cells[cols.id] else None
        if not text:
            if labels:
                problems.append(
                    Problem(
                        f"codes but no text in column {table.header[cols.text]!r}; add the text or clear the codes",
                        table.name,
                        where=f"row {number}",
                    )
                )
            continue
        attrs = {key: cells[c] for key, c in cols.attributes if cells[c]}
        key = (row_id, " ".join(text.split()))
        if (row_id is not None or long) and key in seen:
            first = out[seen[key]]
            more = tuple(x for x in labels if x not in first.labels)
            out[seen[key]] = replace(
                first, labels=first.labels + more, attributes={**attrs, **first.attributes}
            )
            notes.merged += 1
            continue
        if row_id is not None:
            earlier = list(variants[row_id])
            variants[row_id].append(number)
            if earlier:
                new_id = f"{row_id}{VARIANT_SEP}{len(earlier) + 1}"
                notes.variants.append(
                    f"{table.name} row {number}: id {row_id!r} is also on row {earlier[0]} with a "
                    f"different text; imported as a separate segment with id {new_id!r}"
                )
                row_id = new_id
        seen[key] = len(out)
        speaker = (cells[cols.speaker] or None) if cols.speaker is not None else None
        out.append(Row(table.name, number, row_id, text, speaker, attrs, tuple(labels)))
    return out


def constant_attributes(table: Table, rows: list[Row], problems: list[Problem]) -> dict[str, str]:
    """Attributes of a whole-file document: each column must hold one value."""
    values: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        for key, value in row.attributes.items():
            values[key].setdefault(value, row.number)
    out = {}
    for key, seen in values.items():
        if len(seen) > 1:
            shown = ", ".join(f"{v!r} on row {n}" for v, n in list(seen.items())[:3])
            problems.append(
                Problem(
                    f"attribute column {key!r} has different values ({shown}); a whole file is one "
                    "document, so its attributes must be constant; use --rows-are-documents",
                    table.name,
                )
            )
        out[key] = next(iter(seen))
    return out
