"""``themegrid export segments``: one row per segment, the table researchers take into R, Stata or Excel."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from themegrid import cells
from themegrid.atomic import atomic_path
from themegrid.errors import ThemegridError
from themegrid.store import views
from themegrid.store.connection import Store, loads

#: The segment columns, before the case attributes.
BASE_COLUMNS = [c for c in views.SEGMENT_TABLE_COLUMNS if c != "attributes"]

PREFERRED_ATTRIBUTES = ("state", "district", "role", "date", "source_type")


def segments_frame(store: Store, *, include_inactive: bool = False) -> pd.DataFrame:
    """Segments of present documents, with each document's case attributes as columns."""
    frame = views.segments_table(store, include_inactive=include_inactive)
    attrs = [loads(a, {}) for a in frame["attributes"]]
    found = {k for a in attrs for k in a if k not in BASE_COLUMNS}
    keys = [k for k in PREFERRED_ATTRIBUTES if k in found] + sorted(
        found - set(PREFERRED_ATTRIBUTES)
    )
    frame = frame.drop(columns="attributes")
    for key in keys:
        frame.insert(2 + keys.index(key), key, [a.get(key, "") for a in attrs])
    frame["is_interviewer"] = frame["is_interviewer"].astype(bool)
    return frame


def export_segments(store: Store, out: Path, *, raw: bool = False) -> int:
    """Write the segments table to ``out`` (.csv or .xlsx), atomically. Returns the row count.

    Text is never a formula: in .xlsx every text cell is a string cell; in .csv a cell
    beginning with = + - @, a tab or a carriage return gets a leading ``'`` unless ``raw``.
    """
    return write_segments(store, out, raw=raw)[0]


def write_segments(store: Store, out: Path, *, raw: bool = False) -> tuple[int, int]:
    """:func:`export_segments`, also returning how many CSV cells got a leading ``'``."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ThemegridError(
            f"{out}: unsupported output type '{out.suffix}'; use a .csv or .xlsx file name"
        )
    frame = segments_frame(store)
    prefixed = 0
    with atomic_path(out) as tmp:
        if suffix == ".csv":
            table = frame
            if not raw:
                table, prefixed = cells.csv_frame(frame)
            table.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            _write_xlsx(frame, tmp)
    return len(frame), prefixed


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """The table as one sheet, streamed; every text cell a string cell (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Segments")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(frame.columns), 1))}{len(frame) + 1}"
    bold = Font(bold=True)
    sheet.append([cells.cell(sheet, str(c), font=bold) for c in frame.columns])

    def value(v: object) -> object:
        if isinstance(v, str):
            return ILLEGAL_CHARACTERS_RE.sub("", v)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        return v.item() if hasattr(v, "item") else v

    for record in frame.itertuples(index=False, name=None):
        sheet.append(cells.row(sheet, (value(v) for v in record)))
    book.save(path)
