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
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from themegrid.cells import fast_xlsx_rows, file_unsaved_formulas, read_rows
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
    ``beyond`` keeps, by row number, the filled cells a row has past the header's
    width, with their 0-based columns (cut from ``rows``; see :func:`unheaded_cells`).
    ``delimiter`` is a text file's cell separator ("" for a workbook).
    """

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    sha256: str = ""
    notes: tuple[str, ...] = ()
    beyond: tuple[tuple[int, tuple[tuple[int, str], ...]], ...] = ()
    delimiter: str = ""


@dataclass(frozen=True)
class Unheaded:
    """A row's filled cells to the right of the header's last named column.

    ``width`` counts the row's cells up to its last filled one, ``columns`` the
    header's up to its last named one; ``cells`` are (0-based column, value).
    """

    row: int
    width: int
    columns: int
    cells: tuple[tuple[int, str], ...]

    def without(self, used: Collection[int]) -> Unheaded | None:
        """These cells less those in ``used`` columns (read although unnamed); None if none."""
        left = tuple(c for c in self.cells if c[0] not in used)
        return replace(self, cells=left) if left else None

    def describe(self, delimiter: str) -> str:
        """'4 cells, but the header has 3 columns: cell 4 ('x') has no header', with why
        a text file's row can have more cells (an unquoted separator inside a cell)."""
        column, value = self.cells[0]
        shown = value if len(value) <= 40 else value[:37] + "..."
        if delimiter:
            where = f"cell {column + 1}"
            sep = "a tab" if delimiter == "\t" else f"a '{delimiter}'"
            why = f" ({sep} inside a cell splits it unless the cell is in double quotes)"
        else:
            from openpyxl.utils import get_column_letter

            where, why = f"cell {get_column_letter(column + 1)}{self.row}", ""
        more = f" (and {len(self.cells) - 1} more cell(s) after it)" if len(self.cells) > 1 else ""
        return (
            f"{self.width} cells, but the header has {self.columns} columns: {where} "
            f"('{shown}'){more} has no header{why}"
        )


def unheaded_cells(table: Table) -> list[Unheaded]:
    """The rows with filled cells to the right of the header's last named column: in
    unnamed columns the header ends with (a trailing separator), or past the header's
    width (cut from the rows). A header with one filled cell (a title line: the reader
    widened the table to the rows below it) counts all its columns as named."""
    if sum(bool(h.strip()) for h in table.header) <= 1:
        named = len(table.header)
    else:
        named = _filled_width(table.header)
    cut = dict(table.beyond)
    out = []
    for number, cells in table.rows:
        found = tuple((i, c.strip()) for i, c in enumerate(cells[named:], named) if c.strip())
        found += cut.pop(number, ())
        if found:
            out.append(Unheaded(number, found[-1][0] + 1, named, found))
    # rows whose only filled cells were cut (nothing under the header): never in ``rows``
    out += [Unheaded(n, found[-1][0] + 1, named, found) for n, found in cut.items()]
    return sorted(out, key=lambda u: u.row)


def header_below_title(
    table: Table, is_header: Callable[[tuple[str, ...]], bool], look: int = 10
) -> Table:
    """``table`` with its header taken from the first of its first ``look`` rows that
    ``is_header`` accepts, the rows above it (a report's title, a date line) dropped;
    ``table`` itself when the header row is accepted or no row is."""
    if is_header(table.header):
        return table
    for k, (number, cells) in enumerate(table.rows[: look - 1]):
        if is_header(cells):
            beyond = tuple(b for b in table.beyond if b[0] > number)
            return replace(table, header=cells, rows=table.rows[k + 1 :], beyond=beyond)
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
    delimiter = ""
    if suffix in (".xlsx", ".xlsm"):
        records, notes = _load_xlsx(path, shown, sheet)
    else:
        text, notes = decode_bytes(data, shown)
        delimiter = "\t" if suffix == ".tsv" else sniff_delimiter(text[:20_000])
        records = _parse_csv(text, delimiter, shown)
    header, rows, beyond = _table(records)
    digest = hashlib.sha256(data).hexdigest()
    return Table(path.name, header, rows, digest, tuple(notes), beyond, delimiter)


@register(".csv", ".tsv")
def read_csv(request: ReadRequest) -> RawDocument:
    table = read_table(request.path, display_path=request.display_path)
    return _document(request, "csv", table)


@register(".xlsx", ".xlsm")
def read_xlsx(request: ReadRequest) -> RawDocument:
    table = read_table(request.path, request.table.sheet, display_path=request.display_path)
    return _document(request, "xlsx", table)


def _parse_csv(text: str, delimiter: str, shown: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise InputFileError(
            shown, f"not a readable CSV file ({exc}); save it as CSV UTF-8"
        ) from exc


def sniff_delimiter(sample: str, candidates: str = ",;\t|") -> str:
    """The delimiter among ``candidates`` (``, ; tab |``) that splits the header into
    several columns and the most rows into as many (quoted cells with line breaks and
    delimiters read as one cell); ties go to :class:`csv.Sniffer`'s guess, then to the
    order of ``candidates``. A row split at an unquoted delimiter does not change it."""
    try:
        guess = csv.Sniffer().sniff(sample, delimiters=candidates).delimiter
    except csv.Error:
        guess = candidates[0]
    scores = {d: _consistency(sample, d) for d in candidates}
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


def _load_xlsx(path: Path, shown: str, sheet: str | None) -> tuple[list[list[str]], list[str]]:
    if not zipfile.is_zipfile(path):
        raise InputFileError(
            shown,
            "not an Excel workbook (not a valid .xlsx: not a zip archive; maybe an old .xls "
            "or a renamed file); open it in Excel and save it as .xlsx, or export CSV",
        )
    bomb = corpus_zip_reason(path)
    if bomb:
        raise InputFileError(shown, f"{bomb}; not read")
    # cells holding a formula with no saved value (pandas writes "=..." text so): read
    # as their formula's text below, never as empty
    unsaved = file_unsaved_formulas(path, sheet)
    fast = None if unsaved else fast_xlsx_rows(path, sheet)  # None: openpyxl reads it
    if fast is not None:
        return [[_cell(v) for v in row] for row in fast], []
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
    notes = []
    if unsaved:
        # openpyxl's read-only rows start at row 1, column A (gaps filled): cell (r, c) is
        # records[r - 1][c - 1]
        from openpyxl.utils import get_column_letter

        for (row, column), formula in unsaved.items():
            if row - 1 >= len(records):
                continue
            cells = records[row - 1]
            cells += [""] * (column - len(cells))
            if not cells[column - 1]:  # what a values-only read gave: nothing
                cells[column - 1] = formula
        first = get_column_letter(min(unsaved)[1]) + str(min(unsaved)[0])
        notes.append(
            f"{len(unsaved)} cell(s) (first {first}) held a {FORMULA_NOTE} (a text starting"
            " with '=' that pandas or openpyxl wrote as a formula): read as the formula's text"
        )
    return records, notes


#: In the note on cells holding a formula with no saved value (read as its text).
FORMULA_NOTE = "formula with no value saved"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table(
    records: list[list[str]],
) -> tuple[
    tuple[str, ...],
    tuple[tuple[int, tuple[str, ...]], ...],
    tuple[tuple[int, tuple[tuple[int, str], ...]], ...],
]:
    """The header, the rows cut or padded to its width, and the filled cells cut."""
    numbered = [(i, r) for i, r in enumerate(records, 1) if any(c.strip() for c in r)]
    if not numbered:
        return (), (), ()
    _, header = numbered[0]
    width = len(header)
    if sum(bool(c.strip()) for c in header) == 1:  # a title line above the real header
        width = max([width, *(_filled_width(r) for _, r in numbered[1:10])])
    columns = tuple(c.strip() for c in (list(header) + [""] * width)[:width])
    rows, beyond = [], []
    for k, (n, r) in enumerate(numbered[1:]):
        if k < 2 and _is_export_header(r, columns):
            continue
        rows.append((n, tuple((list(r) + [""] * width)[:width])))
        if len(r) > width:
            cut = tuple((i, c.strip()) for i, c in enumerate(r[width:], width) if c.strip())
            if cut:
                beyond.append((n, cut))
    return columns, tuple(rows), tuple(beyond)


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
    refuse_unheaded(shown, table, {text_col, id_col, speaker_col, *attr_cols})
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


#: How many rows a refused table's message names before "and N more".
SHOWN_ROWS = 5


def refuse_unheaded(shown: str, table: Table, used: Collection[int | None]) -> None:
    """Refuse a table with filled cells no header names (outside the ``used`` columns,
    read although unnamed): the row was split at a separator inside a cell (its text
    cut, the cells after it shifted), or a value has no column. One line, naming the
    first such row and the others."""
    found = [u for u in unheaded_cells(table) if u.without({c for c in used if c is not None})]
    if not found:
        return
    first = found[0]
    others = [str(u.row) for u in found[1:]]
    also = ""
    if others:
        listed = ", ".join(others[:SHOWN_ROWS])
        more = f" and {len(others) - SHOWN_ROWS} more" if len(others) > SHOWN_ROWS else ""
        also = f" (also row{'s' if len(others) > 1 else ''} {listed}{more})"
    if table.delimiter:
        sep = "tab" if table.delimiter == "\t" else f"'{table.delimiter}'"
        fix = f"put double quotes around the cell that holds the {sep}, or add a header"
    else:
        fix = "move the value into a column with a header, or add a header"
    raise InputFileError(
        shown,
        f"row {first.row}: {first.describe(table.delimiter)}{also}; not read, so nothing is "
        f"stored cut short or under the wrong column: {fix}, and run the command again",
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
