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
