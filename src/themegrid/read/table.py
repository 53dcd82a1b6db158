"""Spreadsheets (.csv, .tsv, .xlsx): the one table reader, and corpus spreadsheets.

:func:`read_table` reads a spreadsheet whole into a :class:`Table` (header, rows
of strings, each row's spreadsheet row number), detecting a text file's encoding
and delimiter; ingest (here) and import-coded (``exchange.coded``) both use it.

As a corpus document, each non-empty row becomes a unit with its ``row_id`` (the
id column, named or called ``id``/``response_id``/..., else the spreadsheet row
number with the header as row 1) and its attributes. The document text is the
rows' texts joined by blank lines, so offsets stay exact. Without a named text
column, a column named like ``text``/``response``/... is used, else the column
with the longest average text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from themegrid.cells import fast_xlsx_rows, read_rows
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


TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")


@dataclass(frozen=True)
class Table:
    """A spreadsheet read whole: the header and the rows below it, as strings.

    ``rows`` pairs each non-blank row with its spreadsheet row number (the header
    row is usually 1); every row has exactly as many cells as the header. Survey
    tools' extra header rows (Qualtrics: the question texts, the ImportIds) are
    left out. ``name`` is the file name, ``sha256`` the hash of the file's bytes,
    ``notes`` say how a text file was decoded ("decoded as windows-1252").
    """

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    sha256: str = ""
    notes: tuple[str, ...] = ()


def header_below_title(
    table: Table, is_header: Callable[[tuple[str, ...]], bool], look: int = 10
) -> Table:
    """``table`` with its header taken from the first of its first ``look`` rows that
    ``is_header`` accepts, the rows above it (a report's title, a date line) dropped;
    ``table`` itself when the header row is accepted or no row is."""
    if is_header(table.header):
        return table
    for k, (_, cells) in enumerate(table.rows[: look - 1]):
        if is_header(cells):
            return replace(table, header=cells, rows=table.rows[k + 1 :])
    return table


def read_table(path: Path, sheet: str | None = None, *, display_path: str | None = None) -> Table:
    """Read a .csv/.tsv/.txt (encoding and delimiter detected) or .xlsx/.xlsm whole.

    The one table reader: corpus spreadsheets (ingest) and coded spreadsheets
    (import-coded) both read through it. Text files are decoded as UTF-8, UTF-16
    or a detected encoding (:func:`~themegrid.read.repair.decode_bytes`); the
    delimiter is sniffed among ``, ; tab |`` (``.tsv`` is tab). Workbooks are read
    to their real last row (:func:`themegrid.cells.read_rows`); ``sheet`` names
    the worksheet (default: the first). Raises :class:`InputFileError` with a
    one-line message naming ``display_path`` (default: ``path``) and the fix.
    """
    path = Path(path)
    shown = display_path or str(path)
    if not path.is_file():
        raise InputFileError(shown, "no such file; check the path")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InputFileError(shown, "old .xls format; open it in Excel and save as .xlsx or CSV")
    if suffix not in TABLE_SUFFIXES:
        raise InputFileError(shown, f"unsupported file type {suffix!r}; use .csv or .xlsx")
    data = path.read_bytes()
    notes: list[str] = []
    if suffix in (".xlsx", ".xlsm"):
        records = _load_xlsx(path, shown, sheet)
    else:
        text, notes = decode_bytes(data, shown)
        records = _parse_csv(text, suffix, shown)
    header, rows = _table(records)
    return Table(path.name, header, rows, hashlib.sha256(data).hexdigest(), tuple(notes))


@register(".csv", ".tsv")
def read_csv(request: ReadRequest) -> RawDocument:
    table = read_table(request.path, display_path=request.display_path)
    return _document(request, "csv", table)


@register(".xlsx", ".xlsm")
def read_xlsx(request: ReadRequest) -> RawDocument:
    table = read_table(request.path, request.table.sheet, display_path=request.display_path)
    return _document(request, "xlsx", table)


def _parse_csv(text: str, suffix: str, shown: str) -> list[list[str]]:
    sample = text[:20_000]
    delimiter = "\t" if suffix == ".tsv" else _sniff_delimiter(sample)
    try:
        return list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise InputFileError(
            shown, f"not a readable CSV file ({exc}); save it as CSV UTF-8"
        ) from exc


def _sniff_delimiter(sample: str) -> str:
    """The delimiter among ``, ; tab |`` that splits the header into several columns and
    the most rows into as many (quoted cells with line breaks and delimiters read as one
    cell); ties go to :class:`csv.Sniffer`'s guess, then to the order above."""
    try:
        guess = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        guess = ","
    scores = {d: _consistency(sample, d) for d in ",;\t|"}
    best = max(scores.values())
    if best == (0.0, 0) or scores[guess] == best:
        return guess
    return next(d for d, score in scores.items() if score == best)


def _consistency(sample: str, delimiter: str) -> tuple[float, int]:
    """(share of the first rows with the header's number of cells, that number); (0, 0)
    when the header is one cell."""
    try:
        rows = list(itertools.islice(csv.reader(io.StringIO(sample), delimiter=delimiter), 50))
    except csv.Error:
        return (0.0, 0)
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2 or len(rows[0]) < 2:
        return (0.0, 0)
    width = len(rows[0])
    body = rows[1:-1] if len(rows) > 2 else rows[1:]  # the sample may cut its last row short
    return (sum(len(r) == width for r in body) / len(body), width)


def _load_xlsx(path: Path, shown: str, sheet: str | None) -> list[list[str]]:
    if not zipfile.is_zipfile(path):
        raise InputFileError(
            shown,
            "not an Excel workbook (not a valid .xlsx: not a zip archive; maybe an old .xls "
            "or a renamed file); open it in Excel and save it as .xlsx, or export CSV",
        )
    bomb = corpus_zip_reason(path)
    if bomb:
        raise InputFileError(shown, f"{bomb}; not read")
    fast = fast_xlsx_rows(path, sheet)  # None: openpyxl reads it (see its doc)
    if fast is not None:
        return [[_cell(v) for v in row] for row in fast]
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputFileError(
            shown,
            f"not an Excel workbook (it could not be opened: {type(exc).__name__}); "
            "open it in Excel and save it again as .xlsx, or export CSV",
        ) from exc
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise InputFileError(
                shown,
                f"no sheet named {sheet!r}; its sheets are: {', '.join(workbook.sheetnames)}; "
                "name one of these with --sheet",
            )
        ws = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        rows = read_rows(ws, shown)
        records = [[_cell(v) for v in row] for row in rows]
    finally:
        workbook.close()
    return records


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table(
    records: list[list[str]],
) -> tuple[tuple[str, ...], tuple[tuple[int, tuple[str, ...]], ...]]:
    numbered = [(i, r) for i, r in enumerate(records, 1) if any(c.strip() for c in r)]
    if not numbered:
        return (), ()
    _, header = numbered[0]
    width = len(header)
    if sum(bool(c.strip()) for c in header) == 1:  # a title line above the real header
        width = max([width, *(_filled_width(r) for _, r in numbered[1:10])])
    columns = tuple(c.strip() for c in (list(header) + [""] * width)[:width])
    rows = tuple(
        (n, tuple((list(r) + [""] * width)[:width]))
        for k, (n, r) in enumerate(numbered[1:])
        if not (k < 2 and _is_export_header(r, columns))
    )
    return columns, rows


def _filled_width(row: Sequence[str]) -> int:
    """The number of cells up to the row's last filled one."""
    return max((i + 1 for i, c in enumerate(row) if c.strip()), default=0)


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


def _document(request: ReadRequest, fmt: str, table: Table) -> RawDocument:
    shown = request.display_path
    notes = list(table.notes)
    if not table.header or not table.rows:
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
        name = table.header[text_col]
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
    attributes = {table.header[c]: row[c].strip() for c in attr_cols if row[c].strip()}
    return Unit(pos, pos + len(cell), speaker=speaker, row_id=row_id, attributes=attributes)


def _column(path: str, table: Table, name: str | None, role: str) -> int | None:
    if name is None:
        return None
    folded = [c.casefold() for c in table.header]
    if name.casefold() in folded:
        return folded.index(name.casefold())
    existing = ", ".join(f"'{c}'" for c in table.header if c)
    raise InputFileError(
        path, f"has no {role} column '{name}'; the columns are: {existing}; name one of these"
    )


def _attribute_columns(
    path: str, table: Table, opts: TableOptions, used: Sequence[int | None]
) -> list[int]:
    if opts.attribute_columns:
        found = [_column(path, table, name, "attribute") for name in opts.attribute_columns]
        return [c for c in found if c is not None]
    return [i for i, name in enumerate(table.header) if name and i not in used]


def _guess_text_column(table: Table) -> int:
    named = _named_column(table, _TEXT_NAMES)
    if named is not None:
        return named
    return max(range(len(table.header)), key=lambda i: _average_text_length(table, i))


def _named_column(table: Table, names: Sequence[str]) -> int | None:
    folded = [c.casefold().replace("-", "_") for c in table.header]
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
