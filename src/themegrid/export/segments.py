"""``themegrid export segments``: one row per segment, the table researchers take into R, Stata or Excel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from themegrid.atomic import atomic_path
from themegrid.errors import ThemegridError
from themegrid.store import views
from themegrid.store.connection import Store, loads

BASE_COLUMNS = [
    "segment_id",
    "document",
    "format",
    "kind",
    "seq",
    "speaker",
    "is_interviewer",
    "start",
    "end",
    "t_start",
    "t_end",
    "text",
]

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


def export_segments(store: Store, out: Path) -> int:
    """Write the segments table to ``out`` (.csv or .xlsx), atomically. Returns the row count."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ThemegridError(
            f"{out}: unsupported output type '{out.suffix}'; use a .csv or .xlsx file name"
        )
    frame = segments_frame(store)
    with atomic_path(out) as tmp:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

            clean = frame.map(
                lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v
            )
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                clean.to_excel(writer, index=False, sheet_name="Segments")
                sheet = writer.sheets["Segments"]
                sheet.freeze_panes = "A2"
                sheet.auto_filter.ref = sheet.dimensions
    return len(frame)
