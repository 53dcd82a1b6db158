"""``themegrid export segments``: one row per segment, the table researchers take into R, Stata or Excel."""

from __future__ import annotations

import io
import math
import zipfile
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


#: Column widths (characters) of the .xlsx: the text column is this wide and wraps; the
#: others fit their longest value among the first rows, within these bounds.
TEXT_WIDTH = 80
MIN_WIDTH, MAX_WIDTH = 6, 40
_WIDTH_SAMPLE = 2000


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """The table as one sheet: header row bold, frozen and filtered; the text column wide
    and wrapped, the others as wide as their values; print settings as above. openpyxl writes the workbook with the
    header only; the data rows are spliced into its sheet as XML by :func:`cells.rows_xml`
    (text always an inline string, never a formula), ~20 times faster than a cell object
    per value."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Segments")
    sheet.freeze_panes = "A2"
    # Printed: landscape, fitted to the page width, each page headed by the header row and
    # numbered "Segments, page 3 of 40".
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = "1:1"
    sheet.oddFooter.center.text = "&A, page &P of &N"
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(frame.columns), 1))}{len(frame) + 1}"
    names = [str(c) for c in frame.columns]
    for i, name in enumerate(names, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = _width(frame.iloc[:, i - 1], name)
    bold = Font(bold=True)
    sheet.append([cells.cell(sheet, name, font=bold) for name in names])
    wrap = cells.cell(sheet, None, alignment=Alignment(wrap_text=True, vertical="top"))
    top = cells.cell(sheet, None, alignment=Alignment(vertical="top"))
    styles = [wrap.style_id if name == "text" else top.style_id for name in names]
    skeleton = io.BytesIO()
    book.save(skeleton)
    columns = [frame[c].tolist() for c in frame.columns]
    heights = _heights(frame["text"].tolist()) if "text" in frame.columns else []
    with zipfile.ZipFile(skeleton) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if not info.filename.startswith("xl/worksheets/sheet"):
                zout.writestr(info.filename, body)
                continue
            cut = body.rfind(b"</sheetData>")
            if cut < 0:  # an empty sheetData is written as <sheetData/>
                body = body.replace(b"<sheetData/>", b"<sheetData></sheetData>", 1)
                cut = body.rfind(b"</sheetData>")
            with zout.open(info.filename, "w", force_zip64=True) as sink:
                sink.write(body[:cut])
                rows = cells.rows_xml(columns, first_row=2, styles=styles, heights=heights)
                for chunk in rows:
                    sink.write(chunk)
                sink.write(body[cut:])


def _heights(texts: list[object]) -> list[float | None]:
    """Each row's height for its wrapped text (spreadsheet programs do not all fit wrapped
    rows on opening: LibreOffice draws them over the next rows): about TEXT_WIDTH + 5
    characters a line of 15 pt, at most Excel's 409 pt; one-line rows keep the default."""
    per_line = TEXT_WIDTH + 5
    out: list[float | None] = []
    for text in texts:
        if not isinstance(text, str) or (len(text) <= per_line and "\n" not in text):
            out.append(None)
            continue
        lines = sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))
        out.append(min(409.0, 15.0 * lines))
    return out


def _width(values: pd.Series, name: str) -> float:
    if name == "text":
        return TEXT_WIDTH
    sample = values.iloc[:_WIDTH_SAMPLE].dropna().astype(str)
    longest = int(sample.str.len().max()) if len(sample) else 0
    return float(min(MAX_WIDTH, max(MIN_WIDTH, len(name) + 2, longest + 2)))
