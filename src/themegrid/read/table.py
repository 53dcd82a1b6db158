"""Spreadsheets of responses (.csv, .xlsx): one response or utterance per row.

Each non-empty row becomes a unit with its ``row_id`` (the id column, named or
called ``id``/``response_id``/..., else the spreadsheet row number with the
header as row 1) and its attributes. The
document text is the rows' texts joined by blank lines, so offsets stay exact.
Without a named text column, a column named like ``text``/``response``/... is
used, else the column with the longest average text.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from themegrid.errors import InputFileError
from themegrid.models import RawDocument, Unit
from themegrid.read import ReadRequest, TableOptions, register
from themegrid.read.archive import corpus_zip_reason
from themegrid.read.repair import decode_bytes, repair_text

_TEXT_NAMES = (
    "text",
    "response",
    "responses",
    "utterance",
    "answer",
    "answers",
    "transcript",
    "verbatim",
    "comment",
    "comments",
    "open_end",
    "open end",
    "quote",
    "content",
    "message",
)
_ID_NAMES = ("id", "row_id", "response_id", "respondent_id", "responseid", "respondentid")
_ROW_SEP = "\n\n"


@dataclass(frozen=True)
class Table:
    """A header and rows of strings, with the spreadsheet row number of each row."""

    columns: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]


@register(".csv", ".tsv")
def read_csv(request: ReadRequest) -> RawDocument:
    text, notes = decode_bytes(request.path.read_bytes(), request.display_path)
    return _document(request, "csv", _parse_csv(text, request.path.suffix.lower()), notes)


@register(".xlsx", ".xlsm")
def read_xlsx(request: ReadRequest) -> RawDocument:
    return _document(request, "xlsx", _load_xlsx(request), [])


def _parse_csv(text: str, suffix: str) -> Table:
    sample = text[:20_000]
    delimiter = "\t" if suffix == ".tsv" else _sniff_delimiter(sample)
    records = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    return _table(records)


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _load_xlsx(request: ReadRequest) -> Table:
    if not zipfile.is_zipfile(request.path):
        raise InputFileError(
            request.display_path,
            "is not a valid .xlsx (not a zip archive; maybe an old .xls or a renamed file); "
            "open it in Excel and save it as .xlsx",
        )
    bomb = corpus_zip_reason(request.path)
    if bomb:
        raise InputFileError(request.display_path, f"{bomb}; not read")
    from openpyxl import load_workbook

    from themegrid.cells import read_rows

    try:
        workbook = load_workbook(request.path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputFileError(
            request.display_path,
            f"could not be opened as a workbook ({type(exc).__name__}); "
            "open it in Excel and save it again as .xlsx",
        ) from exc
    try:
        sheet = _sheet(request, workbook)
        rows = read_rows(sheet, request.display_path)
        records = [[_cell(v) for v in row] for row in rows]
    finally:
        workbook.close()
    return _table(records)


def _sheet(request: ReadRequest, workbook: object) -> object:
    name = request.table.sheet
    names = list(workbook.sheetnames)  # type: ignore[attr-defined]
    if name is None:
        return workbook.worksheets[0]  # type: ignore[attr-defined]
    if name not in names:
        raise InputFileError(
            request.display_path,
            f"has no sheet '{name}'; its sheets are: {', '.join(names)}",
        )
    return workbook[name]  # type: ignore[index]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table(records: list[list[str]]) -> Table:
    numbered = [(i, r) for i, r in enumerate(records, 1) if any(c.strip() for c in r)]
    if not numbered:
        return Table((), ())
    _, header = numbered[0]
    columns = tuple(c.strip() for c in header)
    width = len(columns)
    rows = tuple(
        (n, tuple((list(r) + [""] * width)[:width]))
        for k, (n, r) in enumerate(numbered[1:])
        if not (k < 2 and _is_export_header(r, columns))
    )
    return Table(columns, rows)


def _is_export_header(row: Sequence[str], columns: Sequence[str]) -> bool:
    """Survey tools' extra header rows (Qualtrics: the question texts, then ImportIds)."""
    cells = [(c.strip(), h) for c, h in zip(row, columns, strict=False) if c.strip()]
    if not cells:
        return False
    if all(c.startswith('{"ImportId"') for c, _ in cells):
        return True
    same = sum(1 for c, h in cells if _squash(c) == _squash(h))
    return same >= max(2, len(cells) // 2)


def _squash(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _document(request: ReadRequest, fmt: str, table: Table, notes: list[str]) -> RawDocument:
    shown = request.display_path
    if not table.columns or not table.rows:
        raise InputFileError(shown, "has no data rows under a header row; add a header and rows")
    opts = request.table
    text_col = _column(shown, table, opts.text_column, "text")
    if text_col is None:
        text_col = _guess_text_column(table)
    id_col = _column(shown, table, opts.id_column, "id")
    if id_col is None:
        id_col = _named_column(table, _ID_NAMES)
    speaker_col = _column(shown, table, opts.speaker_column, "speaker")
    attr_cols = _attribute_columns(shown, table, opts, (text_col, id_col, speaker_col))
    parts: list[str] = []
    units: list[Unit] = []
    pos = 0
    for number, row in table.rows:
        cell, cell_notes = repair_text(row[text_col].strip())
        notes += [f"row {number}: {n}" for n in cell_notes]
        if not cell.strip():
            continue
        units.append(_unit(pos, cell, number, row, table, id_col, speaker_col, attr_cols))
        parts.append(cell)
        pos += len(cell) + len(_ROW_SEP)
    if not units:
        name = table.columns[text_col]
        raise InputFileError(shown, f"column '{name}' is empty in every row; name the text column")
    return RawDocument(
        path=shown,
        format=fmt,
        text=_ROW_SEP.join(parts),
        units=tuple(units),
        kind="table",
        repair_notes=tuple(n for n in notes if "warning: " not in n),
        warnings=tuple(n.replace("warning: ", "") for n in notes if "warning: " in n),
    )


def _unit(
    pos: int,
    cell: str,
    number: int,
    row: Sequence[str],
    table: Table,
    id_col: int | None,
    speaker_col: int | None,
    attr_cols: Sequence[int],
) -> Unit:
    row_id = row[id_col].strip() if id_col is not None and row[id_col].strip() else str(number)
    speaker = (row[speaker_col].strip() or None) if speaker_col is not None else None
    attributes = {table.columns[c]: row[c].strip() for c in attr_cols if row[c].strip()}
    return Unit(pos, pos + len(cell), speaker=speaker, row_id=row_id, attributes=attributes)


def _column(path: str, table: Table, name: str | None, role: str) -> int | None:
    if name is None:
        return None
    folded = [c.casefold() for c in table.columns]
    if name.casefold() in folded:
        return folded.index(name.casefold())
    existing = ", ".join(f"'{c}'" for c in table.columns if c)
    raise InputFileError(
        path, f"has no {role} column '{name}'; the columns are: {existing}; name one of these"
    )


def _attribute_columns(
    path: str, table: Table, opts: TableOptions, used: Sequence[int | None]
) -> list[int]:
    if opts.attribute_columns:
        found = [_column(path, table, name, "attribute") for name in opts.attribute_columns]
        return [c for c in found if c is not None]
    return [i for i, name in enumerate(table.columns) if name and i not in used]


def _guess_text_column(table: Table) -> int:
    named = _named_column(table, _TEXT_NAMES)
    if named is not None:
        return named
    return max(range(len(table.columns)), key=lambda i: _average_text_length(table, i))


def _named_column(table: Table, names: Sequence[str]) -> int | None:
    folded = [c.casefold().replace("-", "_") for c in table.columns]
    for name in names:
        if name in folded:
            return folded.index(name)
    return None


def _average_text_length(table: Table, column: int) -> float:
    values = [row[column].strip() for _, row in table.rows]
    texty = [v for v in values if v and not _is_number(v)]
    return sum(len(v) for v in texty) / max(1, len(values))


def _is_number(value: str) -> bool:
    try:
        float(value.replace(",", ""))
    except ValueError:
        return False
    return True
