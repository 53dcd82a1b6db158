"""Spreadsheet cells from untrusted text, and spreadsheets read whole.

Everything themegrid writes into a spreadsheet from text it did not author
(transcript turns, speaker names, codebook text, imported cells, notes, case
attributes, file names) goes through :func:`cell` (openpyxl) or
:func:`csv_safe` (CSV), so that it can never become a live formula:

- in an .xlsx, a ``str`` is always stored with the string data type; openpyxl
  would otherwise store text beginning with ``=`` as a formula (and ``#N/A`` as
  an error). The researcher sees the same text.
- in a CSV, a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return gets a leading single quote (the OWASP rule), because Excel and
  LibreOffice evaluate such cells when they open the file; ``--raw`` turns it off.

:func:`read_rows` reads every row of a read-only openpyxl worksheet, whatever
dimension the file claims, and checks the count against the rows in the sheet's
XML: a mismatch is an error, never a silent drop.
"""

from __future__ import annotations

import datetime
import io
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pandas as pd
from openpyxl.cell import Cell, WriteOnlyCell

from themegrid.errors import InputFileError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(ws: Any, value: Any, **style: Any) -> Any:
    """A cell for ``ws`` (write-only or normal) holding ``value``; text stays text.

    Returns the value itself when no cell object is needed (numbers, booleans,
    empty cells without style), so rows of numbers stay cheap.
    """
    if not style and not isinstance(value, str):
        return value
    made = WriteOnlyCell(ws, value=value) if _write_only(ws) else Cell(ws, value=value)
    if isinstance(value, str):
        made.data_type = "s"
    for key, val in style.items():
        setattr(made, key, val)
    return made


def row(ws: Any, values: Any) -> list[Any]:
    """A row for ``ws.append``, every text value a string cell."""
    return [cell(ws, v) for v in values]


def rows_xml(
    columns: Sequence[Sequence[Any]],
    *,
    first_row: int = 1,
    styles: Sequence[int] = (),
    heights: Sequence[float | None] = (),
) -> Iterator[bytes]:
    """Rows of a worksheet as SpreadsheetML ``<row>`` elements, built column by column, for
    tables too long for a cell object each (openpyxl spends ~40 µs a cell).

    ``columns``: equal-length sequences of values, one per column; ``styles``: the
    workbook's style index for each column (0 or absent: none). Text is always an inline
    string (``t="inlineStr"``: never a formula, whatever it begins with), with the
    characters XML cannot hold removed; ``None`` and NaN are empty cells; ``bool`` is
    ``t="b"``; other numbers ``%.16g``. ``heights``: each row's height in points (``None``
    or absent: the default). Yields the XML in chunks of rows."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter

    rendered: list[list[str]] = []
    for i, values in enumerate(columns):
        letter = get_column_letter(i + 1)
        style = f' s="{styles[i]}"' if i < len(styles) and styles[i] else ""
        out = []
        for n, value in enumerate(values, start=first_row):
            ref = f'<c r="{letter}{n}"{style}'
            if hasattr(value, "item") and not isinstance(value, str):
                value = value.item()  # a numpy scalar
            if (
                value is None
                or value is pd.NA
                or (isinstance(value, float) and value != value)
                or (isinstance(value, str) and not value)
            ):
                out.append(f"{ref}/>" if style else "")
            elif isinstance(value, str):
                text = _xml_escape(ILLEGAL_CHARACTERS_RE.sub("", value))
                space = ' xml:space="preserve"' if value != value.strip() else ""
                out.append(f'{ref} t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif isinstance(value, bool):
                out.append(f'{ref} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
                out.append(f'{ref} t="n"><v>{value:.16g}</v></c>')
            else:  # dates, infinities and the like and the like: their text, never a formula
                text = _xml_escape(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
                out.append(f'{ref} t="inlineStr"><is><t>{text}</t></is></c>')
        rendered.append(out)
    n_rows = len(rendered[0]) if rendered else 0
    chunk = 2000
    for start in range(0, n_rows, chunk):
        rows = [
            f'<row r="{n + first_row}"{_height(heights, n)}>'
            + "".join(col[n] for col in rendered)
            + "</row>"
            for n in range(start, min(start + chunk, n_rows))
        ]
        yield "".join(rows).encode("utf-8")


def _height(heights: Sequence[float | None], n: int) -> str:
    height = heights[n] if n < len(heights) else None
    return "" if height is None else f' ht="{height:g}" customHeight="1"'


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def put(ws: Any, row_no: int, column: int, value: Any) -> Any:
    """Set one cell of a normal worksheet; text stays text."""
    target = ws.cell(row=row_no, column=column)
    target.value = value
    if isinstance(value, str):
        target.data_type = "s"
    return target


def _write_only(ws: Any) -> bool:
    return type(ws).__name__ == "WriteOnlyWorksheet"


def csv_safe(value: Any) -> Any:
    """``value`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """A copy of ``frame`` for CSV with :func:`csv_safe` applied to every cell, column
    label and index label; and how many were prefixed."""
    count = 0

    def safe(value: Any) -> Any:
        nonlocal count
        out = csv_safe(value)
        count += out is not value
        return out

    table = frame.map(safe)
    table.columns = [safe(c) for c in table.columns]
    table.index = pd.Index([safe(i) for i in table.index], name=safe(table.index.name))
    return table, count


def read_rows(ws: Any, source: str) -> list[tuple[Any, ...]]:
    """Every row of a worksheet opened with ``read_only=True``, as value tuples.

    The dimension stored in the file is ignored (some generators write a stale
    one, and openpyxl would stop reading at it); the rows read are counted
    against the rows the sheet's XML holds. ``source`` names the file in errors.
    """
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    rows = list(ws.iter_rows(values_only=True))
    present = _rows_present(ws)
    if present is not None and present != len(rows):
        raise InputFileError(
            source,
            f"sheet {ws.title!r}: read {len(rows)} rows but the file holds {present}; "
            "open it in Excel or LibreOffice, save it again as .xlsx and retry",
        )
    return rows


#: What a spreadsheet shows in a cell whose formula failed (Excel's error values; LibreOffice
#: writes its own errors as these in .xlsx).
ERROR_VALUES = frozenset(
    ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!")
)  # fmt: skip


def error_cells(ws: Any, rows: set[int], columns: set[int]) -> set[tuple[int, int]]:
    """(row, column) of the cells among ``rows`` x ``columns`` (1-based) of a read-only
    sheet that hold an error value (a failed formula), not text that reads like one."""
    if not rows:
        return set()
    found: set[tuple[int, int]] = set()
    for row in ws.iter_rows(min_row=min(rows), max_row=max(rows)):
        for cell in row:
            number, column = getattr(cell, "row", None), getattr(cell, "column", None)
            if number in rows and column in columns and getattr(cell, "data_type", "") == "e":
                found.add((number, column))
    return found


def unsaved_formulas(ws: Any, columns: set[int] | None = None) -> dict[tuple[int, int], str]:
    """(row, column) -> formula of the cells in ``columns`` (1-based; None: every column) of
    a read-only sheet that hold a formula with no saved value. openpyxl and pandas write
    text starting with ``=`` as such a formula; a ``data_only`` read then gives None, as for
    an empty cell, so the text would vanish unseen. Empty for other worksheets and sheets
    with no formula."""
    opener = getattr(ws, "_get_source", None)
    if opener is None or columns == set():
        return {}
    with opener() as src:
        return _unsaved_in_xml(src.read(), columns)


def file_unsaved_formulas(path: Path, sheet: str | None) -> dict[tuple[int, int], str]:
    """:func:`unsaved_formulas` of a workbook's sheet (``None``: the first), read from its
    XML part directly (no openpyxl workbook is opened: most sheets hold no formula, and
    that is one byte search). Empty where the part cannot be found or read (the reading
    names that problem). Call it after the archive's zip and DOCTYPE checks."""
    try:
        with zipfile.ZipFile(path) as zf:
            found = _sheet_part(zf, sheet)
            if found is None:
                return {}
            xml = zf.read(found[1])
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}
    return _unsaved_in_xml(xml, None)


def _unsaved_in_xml(xml: bytes, columns: set[int] | None) -> dict[tuple[int, int], str]:
    if b"<f" not in xml:
        return {}
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    found: dict[tuple[int, int], str] = {}
    for _, element in ElementTree.iterparse(io.BytesIO(xml), events=("end",)):
        if not (element.tag.endswith("}c") or element.tag == "c"):
            continue
        formula = value = None
        for child in element:
            if child.tag.endswith("}f") or child.tag == "f":
                formula = child.text or ""
            elif child.tag.endswith("}v") or child.tag == "v":
                value = child.text
        ref = element.get("r")
        if formula is not None and not value and ref:
            letters, number = coordinate_from_string(ref)
            column = column_index_from_string(letters)
            if columns is None or column in columns:
                found[(number, column)] = "=" + formula
        element.clear()
    return found


def _rows_present(ws: Any) -> int | None:
    """The last row number in a read-only sheet's XML (None for other worksheets)."""
    opener = getattr(ws, "_get_source", None)
    if opener is None:
        return None
    last = 0
    with opener() as src:
        for _, element in ElementTree.iterparse(src, events=("end",)):
            if element.tag.endswith("}row") or element.tag == "row":
                number = element.get("r")
                last = int(number) if number and number.isdigit() else last + 1
                element.clear()
    return last


# --- the fast path: python-calamine, only where it reads exactly what openpyxl reads ------

#: Sheets whose extent (last row x last column) is larger are left to openpyxl, which
#: streams them; calamine would hold every cell of the extent in memory at once.
FAST_MAX_CELLS = 20_000_000
_ROW_NUMBERS = re.compile(rb'<row\b[^>]*?\br="(\d+)"')
_CELL_REFS = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d+)"')
_CELLS = re.compile(rb"<c[\s>/]")
_VALUES = re.compile(rb"(?:<v>|<v\s[^>/]*>)(?!</v>)|<is>")  # an empty <v></v> is no value
_LONG_NUMBER = re.compile(rb"<v>-?\d{16,}</v>")  # an exact integer openpyxl keeps, a float loses
_RELS_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def fast_xlsx_rows(path: Path, sheet: str | None) -> list[list[Any]] | None:
    """A worksheet's rows read by python-calamine (about 20 times less CPU than openpyxl),
    as the values openpyxl's ``read_only=True, data_only=True`` would give; or None,
    and the caller reads it with openpyxl, whenever they might differ: calamine is not
    installed, the sheet (``None``: the first worksheet) is not a plain worksheet part,
    it holds error cells (calamine reads them as empty) or integers of 16 digits or more
    (calamine reads them as floats), its extent is over :data:`FAST_MAX_CELLS`, or the
    number of cells with a value differs from the sheet's XML (never a silent drop).
    Call it after the archive's zip and DOCTYPE checks."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            found = _sheet_part(zf, sheet)
            if found is None:
                return None
            name, part = found
            xml = zf.read(part)
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    if b't="e"' in xml or _LONG_NUMBER.search(xml):
        return None
    refs = _CELL_REFS.findall(xml)
    last_row = max((int(n) for n in _ROW_NUMBERS.findall(xml)), default=0)
    last_col = max((_column_number(c) for c, _ in refs), default=0)
    if last_row * max(last_col, 1) > FAST_MAX_CELLS:
        return None
    try:
        values = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name)
        grid = values.to_python(skip_empty_area=False)
    except Exception:  # any doubt: openpyxl reads it, with its own checks
        return None
    widths: dict[int, int] = {}
    for col, row_no in refs:  # openpyxl gives each row up to its last cell in the XML
        n = int(row_no)
        widths[n] = max(widths.get(n, 0), _column_number(col))
    grid += [[] for _ in range(last_row - len(grid))]
    rows = [
        [_as_openpyxl(v) for v in (list(r) + [""] * widths.get(i, 0))[: widths.get(i, 0)]]
        for i, r in enumerate(grid, 1)
    ]
    valued = len(_VALUES.findall(xml))
    if len(refs) != len(_CELLS.findall(xml)) or valued != sum(
        1 for r in rows for v in r if v is not None
    ):
        return None
    return rows


def _as_openpyxl(value: Any) -> Any:
    """A calamine value as openpyxl gives it: empty is None, a date a datetime."""
    if isinstance(value, str) and value == "":
        return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return datetime.datetime.combine(value, datetime.time())
    return value


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _sheet_part(zf: zipfile.ZipFile, sheet: str | None) -> tuple[str, str] | None:
    """(sheet name, zip part) of the named worksheet, or of the first worksheet."""
    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {
        r.get("Id"): r.get("Target", "")
        for r in rels.iter(f"{_PKG_NS}Relationship")
        if r.get("Type", "").endswith("/worksheet")
    }
    for s in book.iter(f"{_MAIN_NS}sheet"):
        target = targets.get(s.get(f"{_RELS_NS}id"))
        if target is None or (sheet is not None and s.get("name") != sheet):
            continue
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        return str(s.get("name")), part
    return None
