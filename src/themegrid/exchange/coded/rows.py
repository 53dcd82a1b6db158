"""The rows of a coded spreadsheet: text, id, speaker, attributes and the code labels as written."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from themegrid.cells import ERROR_VALUES
from themegrid.errors import InputFileError, Problem
from themegrid.exchange.coded.columns import NO_CODE_MARKERS, Columns, indicator_value
from themegrid.exchange.labels import norm
from themegrid.read import table as table_reader
from themegrid.read.repair import MOJIBAKE_REPAIRED, repair_text
from themegrid.read.table import Table, Unheaded

#: How many row locations one message lists before "and N more".
MAX_LOCATIONS = 8


def read_coded_table(path: Path, sheet: str | None = None) -> tuple[Table, list[Unheaded]]:
    """A coded spreadsheet read with the one table reader, its cells stripped, and its
    rows' filled cells to the right of the last named header (:func:`unheaded_problems`).

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
    unheaded = table_reader.unheaded_cells(table)
    repaired: list[tuple[int, str, str]] = []  # (row, before, after) of mojibake repaired
    header = tuple(
        _repaired(h, 1, repaired) or f"Column {i + 1}" for i, h in enumerate(table.header)
    )
    rows = tuple(
        (number, cells)
        for number, raw in table.rows
        if any(cells := tuple(_repaired(c, number, repaired) for c in raw))
        and not all(c.startswith('{"ImportId"') for c in cells if c)
    )
    notes = table.notes
    if repaired:
        row, before, after = repaired[0]
        numbers = sorted({r for r, _, _ in repaired})
        where = ", ".join(map(str, numbers[:8])) + (
            f" and {len(numbers) - 8} more" if len(numbers) > 8 else ""
        )
        notes = (
            *notes,
            f"{MOJIBAKE_NOTE} in {len(repaired)} cell(s) (rows {where}; e.g. row {row}: "
            f"{before[:40]!r} read as {after[:40]!r}): the file was saved in one encoding "
            "and read in another before; check the source if a name looks wrong",
        )
    return replace(table, header=header, rows=rows, notes=notes), unheaded


#: How the note :func:`read_coded_table` adds when it repaired mojibake in cells begins.
MOJIBAKE_NOTE = MOJIBAKE_REPAIRED


def _repaired(cell: str, row: int, repaired: list[tuple[int, str, str]]) -> str:
    """A cell cleaned (:func:`_clean`) and, where it looks like mojibake
    ("Dataf\u221a\u00b6reningen"), repaired as the corpus readers repair text."""
    text = _clean(cell)
    if text.isascii():
        return text
    fixed, notes = repair_text(text)
    if fixed != text and any(n.startswith(MOJIBAKE_REPAIRED) for n in notes):
        repaired.append((row, text, fixed))
        return fixed
    return text


def used_columns(cols: Columns) -> set[int]:
    """The columns an import reads (an unnamed ``Column N`` named by an option among them)."""
    used = {cols.text, *cols.codes, *(c for c, _ in cols.indicators)}
    used |= {c for _, c in cols.attributes}
    used |= {c for c in (cols.id, cols.speaker) if c is not None}
    return used


def unheaded_problems(
    table: Table, unheaded: Iterable[Unheaded], cols: Columns, delimiter: str
) -> list[Problem]:
    """A problem for each row with filled cells that have no header (and no option names
    them): the import would lose them, so the row is refused (or skipped with
    --skip-bad-rows). ``delimiter`` separates codes within a cell."""
    used = used_columns(cols)
    out = []
    for found in unheaded:
        left = found.without(used)
        if left is None:
            continue
        sep = table.delimiter
        if not sep:
            fix = "move the value into a column with a header, or add a header for its column"
        else:
            shown = "tab" if sep == "\t" else f"'{sep}'"
            if delimiter and delimiter != sep:
                split = f"separate the codes in a cell with '{delimiter}'"
            else:
                alt = "," if sep != "," else "|"
                split = f"separate the codes in a cell with '{alt}' and pass --delimiter '{alt}'"
            fix = (
                f"put double quotes around the cell that holds the {shown}, write the codes "
                f"of a cell one per line (or {split}), or add a header for the column"
            )
        out.append(
            Problem(
                f"{left.describe(sep)}, so it would be lost; {fix}",
                table.name,
                where=f"row {found.row}",
            )
        )
    return out


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


def spreadsheet_error(label: str, markers: tuple[str, ...] = ()) -> bool:
    """Whether a cell value is what a spreadsheet shows for a failed formula (``#VALUE!``,
    ``#N/A``, ...), unless the user named it a "no code" marker (``--no-code-marker``)."""
    value = label.strip()
    return value.upper() in ERROR_VALUES and norm(value) not in {norm(m) for m in markers}


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
    """What parsing noticed without refusing: merged long-format rows, id variants, markers,
    texts that are a spreadsheet error (the answer is not in the file: imported as it is)."""

    merged: int = 0  # rows folded into an earlier row (same id and text: long format)
    #: warnings: an id repeated with a different text; texts that are a spreadsheet error
    warnings: list[str] = field(default_factory=list)
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
    refused: Collection[int] = (),
) -> list[Row]:
    """The rows of one table. A row repeating an id with the same text is folded into the
    first (long format: one row per segment and code); with a different text it becomes a
    separate segment with the id ``<id>~2`` (noted in ``notes.warnings``). ``long`` also
    folds rows without an id that repeat the text of an earlier row. Rows numbered in
    ``refused`` (a problem of theirs is already reported) are left out; so is a row whose
    code cell is a spreadsheet error, reported in ``problems``. A text that is one is
    warned about and imported (the file does not hold the answer)."""
    notes = notes if notes is not None else RowNotes()
    # cells the reader found holding a formula with no value (read as the formula's text)
    notes.warnings += [
        f"{table.name}: {n}"
        for n in table.notes
        if table_reader.FORMULA_NOTE in n or n.startswith(MOJIBAKE_NOTE)
    ]
    out: list[Row] = []
    seen: dict[tuple[str | None, str], int] = {}  # (id, collapsed text) -> index in out
    variants: dict[str, list[int]] = defaultdict(list)  # id -> row numbers of its texts
    failed_texts: dict[str, list[int]] = defaultdict(list)  # "#NAME?" -> its rows
    for number, cells in table.rows:
        if number in refused:
            continue
        failed = _error_cells(table, cols, cells, delimiter, markers)
        if failed:
            problems += [Problem(m, table.name, where=f"row {number}") for m in failed]
            continue
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
        if spreadsheet_error(text):
            failed_texts[text].append(number)
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
                notes.warnings.append(
                    f"{table.name} row {number}: id {row_id!r} is also on row {earlier[0]} with a "
                    f"different text; imported as a separate segment with id {new_id!r}"
                )
                row_id = new_id
        seen[key] = len(out)
        speaker = (cells[cols.speaker] or None) if cols.speaker is not None else None
        out.append(Row(table.name, number, row_id, text, speaker, attrs, tuple(labels)))
    for value, numbers in failed_texts.items():
        listed = ", ".join(map(str, numbers[:MAX_LOCATIONS]))
        over = len(numbers) - MAX_LOCATIONS
        tail = f" and {over} more" if over > 0 else ""
        notes.warnings.append(
            f"{table.name} row{'s' if len(numbers) > 1 else ''} {listed}{tail}: the text in column "
            f"{table.header[cols.text]!r} is {value}, a spreadsheet error (a formula that failed), "
            "not the answer; imported as it is: put the answer in the cell if you have it"
        )
    return out


def _error_cells(
    table: Table,
    cols: Columns,
    cells: tuple[str, ...],
    delimiter: str,
    markers: tuple[str, ...],
) -> list[str]:
    """What is wrong with a row whose code cells hold a spreadsheet error value."""
    out = []
    for c in cols.codes:
        bad = [x for x in split_labels(cells[c], delimiter) if spreadsheet_error(x, markers)]
        if bad:
            out.append(
                f"column {table.header[c]!r} holds {', '.join(bad)}, a spreadsheet error "
                "(a formula that failed), not a code; type the code(s) into the cell "
                "instead of the formula, or clear it"
            )
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
