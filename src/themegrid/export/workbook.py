"""The cross-case theme workbook (``reports/theme_matrix.xlsx``), written with openpyxl.

:func:`write_workbook` builds the matrices of :mod:`themegrid.aggregate.matrix` and writes
one sheet each (About, Matrix, Respondents, Framework, Co-occurrence, Source
types, Codings, Codebook). The workbook is streamed in openpyxl's write-only
mode (100,000 codings in seconds) to a temporary file beside the target, then
moved into place with :func:`os.replace`: a crash never leaves a half-written
workbook, and the previous one stays until the new one is complete.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import io
import itertools
import json
import math
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import warnings
import weakref
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.dimensions import SheetFormatProperties
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import Outline, PageSetupProperties
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from themegrid import __version__, cells
from themegrid.aggregate import matrix as mx
from themegrid.atomic import atomic_path
from themegrid.codebook.model import Codebook
from themegrid.errors import WorkbookError
from themegrid.store import runs as store_runs
from themegrid.store import views
from themegrid.store.connection import Store

MAX_CELL = 32_767
#: openpyxl's ILLEGAL_CHARACTERS_RE (control characters XML 1.0 forbids) as one character
#: class: the same characters, found about ten times faster in a long text.
ILLEGAL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: zlib level of the saved workbook: 1 is 3 to 4 times faster than 6 on the Codings text.
ZIP_LEVEL = 1
CODINGS_SHEET = "Codings"
MAX_OUTLINE = 7
HEADER_FONT = Font(name="Calibri", size=11, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
LEFT_TOP = Alignment(wrap_text=True, vertical="top", horizontal="left")
RIGHT_TOP = Alignment(vertical="top", horizontal="right")
TOP = Alignment(vertical="top")
RIGHT = Alignment(horizontal="right")
SCALE = ColorScaleRule(start_type="min", start_color="FFFFFF", end_type="max", end_color="5B9BD5")
UNREVIEWED_SCALE = ColorScaleRule(
    start_type="min", start_color="FFFFFF", end_type="max", end_color="F4B183"
)
PARENT_FONT = Font(name="Calibri", size=11, bold=True)
#: Co-occurrence: zero counts in light grey, so that the pairs that occur stand out.
ZERO_GREY = CellIsRule(operator="equal", formula=["0"], font=Font(color="B0B0B0"))
#: The two blocks of every count sheet: (key, label in the Code id column, title).
BLOCKS = {
    "confirmed": (
        "Confirmed",
        "Confirmed: human-accepted codings (the findings)",
        PatternFill("solid", fgColor="C6EFCE"),
    ),
    "unreviewed": (
        "Unreviewed",
        "Unreviewed: machine suggestions nobody has reviewed (not findings)",
        PatternFill("solid", fgColor="FCE4D6"),
    ),
}
#: Print: sheets whose printed columns add up to at most FIT_CHARS characters of width
#: are fitted to the page width (about 75 % or more); wider ones print at PRINT_SCALE %
#: in pages of PAGE_CHARS (a landscape Letter page with half-inch side margins holds
#: about 160 at 85 %; kept below that for wider fallback fonts).
FIT_CHARS = 190
PAGE_CHARS = 140
PRINT_SCALE = 85
#: Page margins in inches (left/right, top/bottom): narrower than Excel's 0.75 / 1.
SIDE_MARGIN = 0.5
TOP_MARGIN = 0.6
#: A landscape Letter page inside those margins, in points (11 x 8.5 inches less margins).
PAGE_WIDTH_PT = (11 - 2 * SIDE_MARGIN) * 72
PAGE_HEIGHT_PT = (8.5 - 2 * TOP_MARGIN) * 72
#: Excel's height of a row with no height of its own (LibreOffice's is lower, 12.8).
DEFAULT_ROW_PT = 15.0
#: The share of a page's height the page breaks plan to fill (a margin for rounding).
PAGE_ROOM = 0.97
#: A page ends at a code group's start only once it is this full (see page_breaks).
PAGE_FILL = 0.6
#: Co-occurrence: narrow code columns with their header turned upright, and the code
#: names (repeated at the left of each printed page) wrapped at CODE_NAME_PRINT.
COOC_WIDTH = 3.5
CODE_NAME_PRINT = 30
#: Co-occurrence prints at this scale (%), its narrow count columns in pages of code groups.
COOC_SCALE = 80
#: Framework: quote columns (three cases side by side on a printed page, or all cases at
#: QUOTE_MIN or wider when the code column and theirs add up to FRAMEWORK_FIT) and the code column.
QUOTE_WIDTH = 38
QUOTE_MIN = 26
FRAMEWORK_FIT = 170
#: Framework: quotes a cell shows, and words a quote keeps (with "…"); the rest of the
#: cell's segments are counted in a "+N more" line pointing to the Codings sheet.
FRAMEWORK_QUOTES = 2
FRAMEWORK_WORDS = 20
MORE_NOTE = "see the Codings sheet"
#: Wrapped text: characters a line per unit of column width (bold: BOLD_CHARS times as
#: many), and points a line (see _row_height).
CHARS_PER_WIDTH = 1.15
BOLD_CHARS = 0.9
LINE_PT = 14.0
#: Upright header text (co-occurrence): 8-point bold code ids turned upright and wrapped
#: onto UPRIGHT_LINES lines in a column, UPRIGHT_PT_PER_CHAR points of row height per
#: character, the row at most UPRIGHT_MAX_PT high (a longer id is cut at the top).
UPRIGHT_FONT = Font(name="Calibri", size=8, bold=True)
UPRIGHT = Alignment(text_rotation=90, horizontal="center", vertical="bottom", wrap_text=True)
UPRIGHT_LINES = 2
UPRIGHT_PT_PER_CHAR = 3.6
UPRIGHT_MAX_PT = 120
FRAMEWORK_NAME_WIDTH = 26
TOP_CODES = 5
CHARTS_SHEET = "Charts"
#: Charts: height (cm) and rows between anchors (15-point rows), two to a landscape page.
#: 14 rows (210 pt) hold a 7 cm (198 pt) chart; the first page, the title row and two
#: charts, is 29 rows: LibreOffice's landscape Letter page with the footer holds 30, so
#: 15-row slots (31 rows) pushed the first chart's bottom edge onto a page of its own.
CHART_HEIGHT = 7.0
CHART_WIDTH = 21
CHART_ROWS = 14
#: How each block's last row ("... with any code") names what it counts: a unit with a
#: confirmed code counts under Confirmed only, as a parent's row counts its children.
ANY_CODE_KIND = {"confirmed": "confirmed", "unreviewed": "unreviewed only, none confirmed"}

SHEET_HELP = {
    "About": "This page: what the workbook was made from and how to read it.",
    "Matrix": "Segments coded with each code (rows, in codebook order; click + / - at the "
    "left to open or close a parent's children; parents in bold) in each case (columns). "
    "Two blocks: 'Confirmed' counts segments a human accepted the code on (the findings); "
    "'Unreviewed' counts segments where the code is only a machine suggestion nobody has "
    "reviewed yet (not findings). The two add up to all counted codings. A parent's row "
    "counts each segment once even when several of its children are coded on it. "
    "Each block ends with the segments with any code: a segment with a confirmed code counts "
    "under Confirmed only (as in a parent's row), so the Unreviewed block's last row ('unreviewed "
    "only') counts segments with unreviewed codes and none confirmed. The colour scale covers "
    "leaf codes only. "
    "A segment is a speaker turn or a paragraph: a passage coded across several turns (as "
    "MAXQDA, ATLAS.ti or NVivo let a coder do) counts once for each turn it covers, so these "
    "counts can be higher than the other tool's count of coded segments.",
    "Charts": "Bar charts made from the Matrix sheet: the most frequent codes by case "
    "(confirmed only), and for each of them confirmed and unreviewed stacked per case.",
    "Respondents": "'n of N': how many documents (respondents, focus groups, reviewed "
    "documents) in the case carry the code, out of all documents in the case. 'Confirmed': "
    "a human accepted the code in the document; 'Unreviewed': the code is there only as "
    "unreviewed machine suggestions. Each block's last row counts documents with any "
    "code: under Unreviewed, those with unreviewed codes and none confirmed, so it can be "
    "lower than one code's row.",
    "Framework": "For each case and code, the confirmed and unreviewed counts, then up to two "
    "of the strongest quotes, each from a different document (human-accepted codings "
    "first, then higher confidence, then quotes of 20 to 80 words), shortened to 20 words "
    "so that the sheet prints; a last line counts the cell's other segments, every one of "
    "them on the Codings sheet. Each quote says whether it is [confirmed] by a human or an "
    "[unreviewed suggestion] of the machine. The HTML report (--html) and framework.csv "
    "(--csv) keep three quotes per cell, whole.",
    "Co-occurrence": "Segments coded with both the row code and the column code; the "
    "diagonal is the segments with the code. Parent codes are not rolled up here. "
    "'Confirmed': both codes accepted by a human on the segment; 'Unreviewed': at least one "
    "of the two is an unreviewed machine suggestion.",
    "Source types": "Segments per code by source type (interview, focus group, document "
    "review, ...), to see whether themes are triangulated across kinds of evidence; "
    "confirmed and unreviewed apart, as on the Matrix sheet.",
    "Codings": "One row per coding counted in the other sheets, with its document, case "
    "attributes, speaker, code, status, source, coder, confidence, the machine's reason "
    "and the segment text. Filter with the arrows in the header row. Too wide and long to "
    "read on paper, it prints only a note: filter it on screen, or print a filtered copy.",
    "Codebook": "The codes: ids, names, parents, definitions, when to use and not to use.",
    "Memos": "Present when the project has memos: every memo (on the project, a document, a "
    "passage or turn with its text, a code), who wrote it and when, in reading order.",
    "Agreement": "Present when two or more people coded: per code percent agreement, Cohen's kappa "
    "and Krippendorff's alpha over the segments all of them saw, pooled and mean figures, and "
    "each disagreement for the reconciliation meeting; with three or more coders, also each "
    "pair on the segments both saw. With --coder, only those coders.",
}


FORMULA_NOTE = (
    "None. Every cell made from the data (quotes, speakers, case names, codebook text) is "
    "stored as text, even when it begins with =. CSV files written with --csv put a ' "
    "before a cell that begins with = + - @, a tab or a carriage return, so that Excel "
    "shows it instead of running it; 'themegrid report --csv DIR --raw' leaves them as they are."
)


@dataclass(frozen=True)
class WorkbookSummary:
    """What :func:`write_workbook` wrote."""

    path: Path | None
    include: str
    basis: str
    by: tuple[str, ...]
    cases: tuple[str, ...]
    n_codes_with_codings: int
    n_codings: int
    n_documents: int
    n_segments: int
    sheets: tuple[str, ...]
    csv_files: tuple[Path, ...] = ()
    n_confirmed: int = 0
    n_unreviewed: int = 0


@dataclass(frozen=True)
class Split:
    """One measure as its confirmed and unreviewed blocks (``unreviewed`` is None with
    ``include="accepted"``: no unreviewed suggestion is counted then)."""

    confirmed: pd.DataFrame
    unreviewed: pd.DataFrame | None

    def blocks(self) -> list[tuple[str, pd.DataFrame]]:
        out = [("confirmed", self.confirmed)]
        if self.unreviewed is not None:
            out.append(("unreviewed", self.unreviewed))
        return out


@dataclass(frozen=True, eq=False)
class _Report:
    """Everything the sheets show, computed once."""

    cf: mx.CodingFrame
    codebook: Codebook | None
    by: tuple[str, ...]
    roll_up: bool
    counts: pd.DataFrame
    coded: pd.Series
    documents: pd.DataFrame
    sizes: pd.Series
    respondents: pd.DataFrame
    framework: pd.DataFrame
    quotes: pd.DataFrame
    cooccurrence: pd.DataFrame
    source_types: pd.DataFrame
    split_counts: Split
    split_coded: tuple[pd.Series, pd.Series | None]
    split_respondents: Split
    split_documents: Split
    split_cooccurrence: Split
    split_source_types: Split

    @functools.cached_property
    def leaf_codes(self) -> set[str]:
        """Codes that are no code's parent (computed once: the sheets ask per row)."""
        parents = set(self.cf.codes["parent_id"].dropna())
        return {c for c in self.cf.codes.index if c not in parents}


#: The computed report, for the HTML writer (:mod:`themegrid.export.html`).
Report = _Report


def write_workbook(
    store: Store,
    codebook: Codebook | None,
    out: Path | str | BinaryIO,
    *,
    by: str | Sequence[str] = ("state",),
    include: mx.Include = "suggested",
    roll_up: bool = True,
    quotes: int = 3,
    csv_dir: Path | str | None = None,
    project_name: str | None = None,
    coders: Sequence[str] | None = None,
    raw_csv: bool = False,
) -> WorkbookSummary:
    """Write the theme-matrix workbook to a path (atomically) or an open binary file.

    ``by``: the case attribute(s) for the columns; ``include``: ``"suggested"``
    (accepted + unreviewed suggestions, in separate blocks) or ``"accepted"``;
    ``coders``: count only these coders' human decisions; ``csv_dir``: also write each
    matrix there as CSV (cells that a spreadsheet would run as a formula get a leading
    ``'`` unless ``raw_csv``).
    """
    with collection_paused():  # see collection_paused: 0.3 to 0.5 s at 100,000 codings
        cf = mx.load_codings(store, codebook, include=include, coders=coders)
        cases = mx.normalise_by(by)
        with BackgroundParts.start(cf, cases, k=quotes, roll_up=roll_up) as rows:
            report = compute_report(cf, codebook, cases, roll_up, quotes, rows)
            return write_report_workbook(
                store,
                report,
                out,
                csv_dir=csv_dir,
                project_name=project_name,
                raw_csv=raw_csv,
                codings_rows=rows,
            )


def write_report_workbook(
    store: Store,
    report: _Report,
    out: Path | str | BinaryIO,
    *,
    csv_dir: Path | str | None = None,
    project_name: str | None = None,
    raw_csv: bool = False,
    codings_rows: BackgroundParts | None = None,
) -> WorkbookSummary:
    """Write an already computed report (see :func:`compute_report`) as the workbook.

    ``codings_rows``: the Codings sheet's rows being rendered by :meth:`BackgroundParts.start`
    for the same codings and case attributes (else they are rendered here)."""
    cf = report.cf
    wb = Workbook(write_only=True)
    _about_sheet(wb, store, report, project_name)
    matrix_ws, rows = _matrix_sheet(
        wb,
        "Matrix",
        report,
        report.split_counts,
        report.split_coded,
        "Segments with any code",
        kind_names=ANY_CODE_KIND,
    )
    _charts_sheet(wb, report, matrix_ws, rows)
    _respondents_sheet(wb, report)
    _framework_sheet(wb, report)
    _cooccurrence_sheet(wb, report)
    _matrix_sheet(
        wb,
        "Source types",
        report,
        report.split_source_types,
        with_any_code(report, ("source_type",), "segment_id", strict=False),
        "Segments with any code",
        kind_names=ANY_CODE_KIND,
    )
    _codings_sheet(wb, report)
    _codebook_sheet(wb, report)
    _memos_sheet(wb, store)
    _agreement_sheet(wb, store, report)
    codings_xml = functools.partial(_codings_rows_xml, report.cf, report.by)
    path = _save(wb, out, codings_xml, _DEFERRED.pop(wb, []), codings_rows)
    csv_files = write_csv(report, Path(csv_dir), raw=raw_csv) if csv_dir is not None else ()
    return WorkbookSummary(
        path=path,
        include=cf.include,
        basis=cf.basis,
        by=report.by,
        cases=tuple(c for c in report.counts.columns if c != mx.TOTAL),
        n_codes_with_codings=int(cf.codings["code_id"].nunique()),
        n_codings=len(cf.codings),
        n_documents=len(cf.documents),
        n_segments=cf.n_segments,
        sheets=tuple(wb.sheetnames),
        csv_files=csv_files,
        n_confirmed=int((cf.codings["status"] == "accepted").sum()),
        n_unreviewed=int((cf.codings["status"] == "suggested").sum()),
    )


def compute_report(
    cf: mx.CodingFrame,
    codebook: Codebook | None,
    by: tuple[str, ...],
    roll_up: bool,
    k: int,
    background: BackgroundParts | None = None,
) -> _Report:
    """Every matrix the workbook and the HTML report show, computed once.

    ``background``: a second process computing the Framework quotes meanwhile
    (:meth:`BackgroundParts.start`); they are asked for last."""
    unreviewed = cf.include == "suggested"

    def split(fn: Any, *args: Any, **kwargs: Any) -> Split:
        return Split(
            fn(*args, **kwargs, which="confirmed"),
            fn(*args, **kwargs, which="unreviewed") if unreviewed else None,
        )

    counts = mx.count_matrix(cf, by, roll_up=roll_up)
    coded = mx.coded_segments_by_case(cf, by)
    documents = mx.document_matrix(cf, by, roll_up=roll_up)
    sizes = mx.case_sizes(cf, by)
    respondents = mx.respondent_matrix(cf, by, roll_up=roll_up)
    cooccurrence = mx.cooccurrence_matrix(cf)
    source_types = mx.source_type_matrix(cf, roll_up=roll_up)
    split_counts = split(mx.count_matrix, cf, by, roll_up=roll_up)
    split_coded = (
        mx.coded_segments_by_case(cf, by, which="confirmed"),
        mx.coded_segments_by_case(cf, by, which="unreviewed") if unreviewed else None,
    )
    split_respondents = split(mx.respondent_matrix, cf, by, roll_up=roll_up)
    split_documents = split(mx.document_matrix, cf, by, roll_up=roll_up)
    split_cooccurrence = split(mx.cooccurrence_matrix, cf)
    split_source_types = split(mx.source_type_matrix, cf, roll_up=roll_up)
    quotes = background.quotes(by, k, roll_up) if background is not None else None
    if quotes is None:
        quotes = mx.framework_quotes(cf, by, k=k, roll_up=roll_up)
    return _Report(
        cf=cf,
        codebook=codebook,
        by=by,
        roll_up=roll_up,
        counts=counts,
        coded=coded,
        documents=documents,
        sizes=sizes,
        respondents=respondents,
        framework=mx.framework_matrix(cf, by, k=k, roll_up=roll_up, labels=True, quotes=quotes),
        quotes=quotes,
        cooccurrence=cooccurrence,
        source_types=source_types,
        split_counts=split_counts,
        split_coded=split_coded,
        split_respondents=split_respondents,
        split_documents=split_documents,
        split_cooccurrence=split_cooccurrence,
        split_source_types=split_source_types,
    )


# --- saving ----------------------------------------------------------------------------------


def _save(
    wb: Workbook,
    out: Path | str | BinaryIO,
    rows: Callable[[dict[str, int] | None], Iterator[bytes]],
    deferred: Sequence[_Deferred] = (),
    rendered: BackgroundParts | None = None,
) -> Path | None:
    """Save, streaming the Codings rows in; to a path atomically (see :mod:`themegrid.atomic`).

    ``rows(strings)``: the Codings rows' XML (:func:`_codings_rows_xml`), unless
    ``rendered`` has them already."""
    skeleton = io.BytesIO()
    wb.save(skeleton)
    if not isinstance(out, (str, os.PathLike)):
        _splice_rows(skeleton, out, CODINGS_SHEET, rows, deferred, rendered)
        return None
    target = Path(out)
    try:
        with atomic_path(target) as tmp, open(tmp, "wb") as handle:
            _splice_rows(skeleton, handle, CODINGS_SHEET, rows, deferred, rendered)
    except OSError as exc:
        raise WorkbookError(
            f"{target}: cannot write the workbook ({exc.strerror or exc}); if it is open in "
            "Excel close it, or choose another --out, and run again"
        ) from exc
    return target


# --- streaming a large sheet's rows ------------------------------------------------------------
#
# openpyxl spends ~20 µs per cell; the Codings sheet has ~2 million cells for 100,000
# codings. openpyxl writes the sheet with its header row, widths, frozen pane and table;
# its data rows are then written here as plain OOXML rows (numbers, booleans, and text as
# indexes into a shared-strings part added to the package: each distinct text is stored
# once, a third of the bytes of inline strings to format and compress) into the copy of
# the package, just before ``</sheetData>``.

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
SHARED_STRINGS = "xl/sharedStrings.xml"
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _splice_rows(
    skeleton: io.BytesIO,
    out: BinaryIO,
    sheet: str,
    rows: Callable[[dict[str, int] | None], Iterator[bytes]],
    deferred: Sequence[_Deferred] = (),
    rendered: BackgroundParts | None = None,
) -> None:
    with zipfile.ZipFile(skeleton) as zin:
        part = _sheet_part(zin, sheet)
        kept = {_sheet_part(zin, d.title): d for d in deferred}
        # openpyxl's write-only cells are inline strings; if a version writes a shared-strings
        # part of its own, the rows keep inline strings rather than renumber it.
        strings: dict[str, int] | None = None if SHARED_STRINGS in zin.namelist() else {}
        files = rendered.files() if rendered is not None and strings is not None else None
        # Entries are named by string so that they take the archive's level (a ZipInfo
        # passed in keeps zlib's default level 6: 3 to 4 times slower on the Codings text).
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as zout:
            for info in zin.infolist():
                if info.filename != part:
                    continue
                xml = zin.read(info)
                cut = xml.rfind(b"</sheetData>")
                if cut < 0:
                    raise WorkbookError(f"internal error: no sheetData in {part}")
                with zout.open(info.filename, "w", force_zip64=True) as sink:
                    sink.write(xml[:cut])
                    if files is not None:
                        with open(files.rows, "rb") as src:
                            shutil.copyfileobj(src, sink, _COPY_CHUNK)
                    else:
                        for chunk in rows(strings):
                            sink.write(chunk)
                    sink.write(xml[cut:])
            shared = files.strings is not None if files is not None else bool(strings)
            for info in zin.infolist():
                if info.filename == part:
                    continue
                body = zin.read(info)
                if info.filename in kept:
                    body = _with_rows(body, kept[info.filename], info.filename)
                if shared:
                    body = _with_shared_strings(info.filename, body)
                zout.writestr(info.filename, body)
            if files is not None and files.strings is not None:
                with open(files.strings, "rb") as src, zout.open(SHARED_STRINGS, "w") as sink:
                    shutil.copyfileobj(src, sink, _COPY_CHUNK)
            elif strings:
                zout.writestr(SHARED_STRINGS, _shared_strings_xml(strings))


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused (then restored as it was).

    A report makes millions of objects that live to its end (rows, cells, strings) and
    no reference cycles worth collecting early; every few thousand of them the
    collector walks the heap again: 0.3 to 0.5 CPU seconds of the command at 100,000
    codings. Memory is freed by reference counting as ever."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- the Codings rows rendered in a second process ---------------------------------------------
#
# The Codings sheet's rows and shared strings (about 1.5 s of Python at 100,000 codings)
# depend only on the codings and the case attributes, the Framework quotes (0.7 s) on
# those and the quote settings. On Linux a forked child computes the quotes (sent back
# through a pipe, asked for after the other matrices), then renders the rows into files,
# while this process computes the matrices and builds the other sheets; the save copies
# the files in. Anywhere else, with one core, on a machine whose cores are all busy, or
# if the child fails, this process does the work as before (the same functions do it
# either way).

#: Bytes per read when copying the rendered rows into the archive.
_COPY_CHUNK = 1 << 20
#: Below this many codings the work takes less time than starting a process.
MIN_BACKGROUND_ROWS = 20_000


class RenderedRows(NamedTuple):
    """The files a :class:`BackgroundParts` child wrote: the rows' XML, the shared
    strings' part (None when no cell holds text)."""

    rows: Path
    strings: Path | None


class BackgroundParts:
    """The Framework quotes and the Codings sheet's rows being made by a forked child.

    A context manager: leaving it stops the child if it still runs and removes its files.
    :meth:`quotes` and :meth:`files` wait for the child; None when it failed (the caller
    does the work itself)."""

    def __init__(
        self,
        process: Any = None,
        folder: Path | None = None,
        receiver: Any = None,
        settings: tuple[Any, ...] = (),
    ) -> None:
        self._process = process
        self._folder = folder
        self._receiver = receiver
        self._settings = settings
        self._quotes: pd.DataFrame | None = None

    @classmethod
    def start(
        cls,
        cf: mx.CodingFrame,
        by: Sequence[str],
        *,
        k: int = 3,
        roll_up: bool = True,
        min_rows: int | None = None,
    ) -> BackgroundParts:
        """Start computing ``framework_quotes(cf, by, k=k, roll_up=roll_up)`` and rendering
        the rows of :func:`codings_table` ``(cf, by)`` (or, where that does not pay (fewer
        than ``min_rows`` codings, default :data:`MIN_BACKGROUND_ROWS`) or cannot fork,
        return an instance that does nothing)."""
        least = MIN_BACKGROUND_ROWS if min_rows is None else min_rows
        if len(cf.codings) < least or not _can_fork() or not _core_free():
            return cls()
        folder = Path(tempfile.mkdtemp(prefix="themegrid-rows-"))
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        settings = (tuple(by), k, roll_up)
        process = context.Process(
            target=_background_child, args=(cf, *settings, folder, sender), daemon=True
        )
        gc.freeze()  # the child neither walks nor copies the inherited heap in collections
        try:
            process.start()
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            receiver.close()
            return cls()
        finally:
            gc.unfreeze()
            sender.close()  # the child's end: this side sees EOF if the child dies
        return cls(process, folder, receiver, settings)

    def quotes(self, by: Sequence[str], k: int, roll_up: bool) -> pd.DataFrame | None:
        """The child's Framework quotes if it computed them for these settings, else None."""
        if self._settings != (tuple(by), k, roll_up):
            return None
        if self._receiver is not None:
            try:
                self._quotes = self._receiver.recv()
            except (EOFError, OSError):
                self._quotes = None
            self._receiver.close()
            self._receiver = None
        return self._quotes

    def files(self) -> RenderedRows | None:
        """The rendered files, once the child is done; None if it failed or never ran."""
        if self._process is None or self._folder is None:
            return None
        if self._receiver is not None:  # quotes not asked for: the child may wait to send
            self._receiver.close()
            self._receiver = None
        self._process.join()
        if self._process.exitcode != 0:
            return None
        strings = self._folder / "strings.xml"
        return RenderedRows(self._folder / "rows.xml", strings if strings.exists() else None)

    def close(self) -> None:
        if self._receiver is not None:
            self._receiver.close()
            self._receiver = None
        if self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._process = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def __enter__(self) -> BackgroundParts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cores() -> int:
    """The cores this process may use (where the OS says), else the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _can_fork() -> bool:
    """Fork is safe and useful: Linux (macOS forks badly), and a second core to run on."""
    return sys.platform.startswith("linux") and _cores() > 1


def _core_free() -> bool:
    """Some core is idle (the last minute's load average below the cores): on a busy
    machine the two processes only take turns and no time is won (at a load of 10 on 2
    cores the command took 22 to 23 s with the child and without it), while the child's
    extra work (pickling the quotes, writing and reading the rows' files) still costs."""
    try:
        return os.getloadavg()[0] < _cores()
    except OSError:  # no load average to read
        return True


def render_codings_rows(cf: mx.CodingFrame, by: Sequence[str], folder: Path) -> RenderedRows:
    """Write the Codings sheet's rows (``rows.xml``) and, when cells hold text, the
    shared-strings part (``strings.xml``) into ``folder``: what the save would stream."""
    strings: dict[str, int] = {}
    rows = folder / "rows.xml"
    with open(rows, "wb") as sink:
        for chunk in _codings_rows_xml(cf, by, strings):
            sink.write(chunk)
    if not strings:
        return RenderedRows(rows, None)
    shared = folder / "strings.xml"
    shared.write_bytes(_shared_strings_xml(strings))
    return RenderedRows(rows, shared)


def _codings_rows_xml(
    cf: mx.CodingFrame, by: Sequence[str], strings: dict[str, int] | None
) -> Iterator[bytes]:
    """The Codings sheet's data rows as XML (:func:`_rows_xml` of :func:`codings_table`)."""
    data = codings_table(cf, by)
    # The segment id and text columns hold one value per segment: numbered once already.
    numbers = mx.segment_numbers(cf)
    grouped = {data.columns[0]: numbers, data.columns[-1]: numbers}
    return _rows_xml(data, first_row=2, strings=strings, grouped=grouped)


def _background_child(
    cf: mx.CodingFrame,
    by: tuple[str, ...],
    k: int,
    roll_up: bool,
    folder: Path,
    sender: Any,
) -> None:
    """The child's work; any failure (an interrupt too) is reported by the exit code only:
    the parent then does the work itself, and shows its own error if there is one."""
    try:
        # OSError: the parent no longer waits for the quotes; the rows still help it.
        with contextlib.suppress(OSError):
            sender.send(mx.framework_quotes(cf, by, k=k, roll_up=roll_up))
        sender.close()
        render_codings_rows(cf, by, folder)
    except BaseException:  # the parent redoes the work and reports
        os._exit(1)
    os._exit(0)


class _Deferred:
    """A write-only sheet whose rows are kept and written as XML on save (:func:`_with_rows`),
    the cells as openpyxl writes them; everything else (widths, row heights and outline
    levels, print settings, conditional formats) is the openpyxl sheet's.

    openpyxl spends ~20 µs writing a cell; the count sheets of 100 codes and 50 cases hold
    about 45,000. Their cells come from :func:`_cell` as values or :class:`_Styled`."""

    def __init__(self, ws: Any) -> None:
        object.__setattr__(self, "ws", ws)
        object.__setattr__(self, "rows", [])

    def append(self, row: Iterable[Any]) -> None:
        self.rows.append(list(row))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ws, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.ws, name, value)


class _Styled(NamedTuple):
    """A cleaned value of a deferred sheet with the index of its style in the workbook."""

    value: Any
    style: int


#: Per workbook: its deferred sheets, in the order they were made (see :func:`_save`).
_DEFERRED: weakref.WeakKeyDictionary[Any, list[_Deferred]] = weakref.WeakKeyDictionary()


def _deferred(wb: Workbook, title: str) -> Any:
    """A new sheet whose rows are written on save (:class:`_Deferred`)."""
    sheet = _Deferred(wb.create_sheet(title))
    _DEFERRED.setdefault(wb, []).append(sheet)
    return sheet


#: Per workbook: style objects (by identity, kept alive here) -> their style index.
_STYLE_IDS: weakref.WeakKeyDictionary[Any, dict[tuple[int, ...], tuple[Any, int]]] = (
    weakref.WeakKeyDictionary()
)


def _style_id(ws: _Deferred, style: Mapping[str, Any]) -> int:
    """The workbook's index of a cell style (0: none), made once per style objects."""
    known = _STYLE_IDS.setdefault(ws.ws.parent, {})
    key = (*(id(v) for v in style.values()), *map(hash, style))
    found = known.get(key)
    if found is None:
        made = cells.cell(ws.ws, None, **style)
        found = known[key] = (tuple(style.values()), made.style_id if made.has_style else 0)
    return int(found[1])


def _with_rows(xml: bytes, sheet: _Deferred, part: str) -> bytes:
    """The sheet part with the deferred rows as its ``sheetData`` (openpyxl, given no rows,
    writes there an empty row for each row dimension: they are replaced, as the rows carry
    their dimensions)."""
    rows = b"<sheetData>" + _deferred_rows_xml(sheet) + b"</sheetData>"
    start = xml.find(b"<sheetData")
    end = xml.find(b"</sheetData>", start)
    if start >= 0 and end >= 0:
        return xml[:start] + rows + xml[end + len(b"</sheetData>") :]
    for empty in (b"<sheetData/>", b"<sheetData />"):
        if empty in xml:
            return xml.replace(empty, rows, 1)
    raise WorkbookError(f"internal error: no sheetData in {part}")


def _deferred_rows_xml(sheet: _Deferred) -> bytes:
    """The rows as openpyxl's write-only sheet writes them: each row with its dimensions'
    attributes (height, outline level), every cell with a value or a style, numbers as
    ``%.16g``, text always as an inline string (never a formula: see :mod:`themegrid.cells`)."""
    dims = sheet.ws.row_dimensions
    letters: list[str] = []
    out: list[str] = []
    for number, row in enumerate(sheet.rows, start=1):
        attrs = "".join(f' {k}="{escape(v)}"' for k, v in dims.get(number, {}))
        parts = [f'<row r="{number}"{attrs}>']
        while len(letters) < len(row):
            letters.append(get_column_letter(len(letters) + 1))
        for letter, item in zip(letters, row, strict=False):
            if isinstance(item, _Styled):
                value, style = item
            else:
                value, style = item, 0
            if value is None and not style:
                continue
            ref = f'<c r="{letter}{number}"' + (f' s="{style}"' if style else "")
            parts.append(_deferred_cell(ref, value))
        parts.append("</row>")
        out.append("".join(parts) if len(parts) > 2 else parts[0][:-1] + "/>")
    return "".join(out).encode("utf-8")


def _deferred_cell(ref: str, value: Any) -> str:
    if value is None:
        return f'{ref} t="n"/>'
    if isinstance(value, str):
        if value == "":
            return f'{ref} t="inlineStr"/>'
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f'{ref} t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'{ref} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'{ref} t="n"><v>{value:.16g}</v></c>'
    raise WorkbookError(f"internal error: a cell of type {type(value).__name__} in a count sheet")


def _with_shared_strings(name: str, body: bytes) -> bytes:
    """The content types and the workbook's relationships, naming the shared-strings part."""
    if name == "[Content_Types].xml":
        entry = f'<Override PartName="/{SHARED_STRINGS}" ContentType="{_SST_TYPE}"/>'
        return body.replace(b"</Types>", entry.encode() + b"</Types>")
    if name == "xl/_rels/workbook.xml.rels":
        entry = (
            f'<Relationship Id="rIdThemegridStrings" Type="{_SST_REL}" Target="sharedStrings.xml"/>'
        )
        return body.replace(b"</Relationships>", entry.encode() + b"</Relationships>")
    return body


def _shared_strings_xml(strings: dict[str, int]) -> bytes:
    """The shared-strings part: each text once, in index order (dicts keep insertion order).

    The texts are escaped in one go, joined by NUL (a character no cleaned text holds), and
    the NULs become the boundaries between items. Every item keeps its spaces
    (``xml:space="preserve"``): the same texts as marking only those that start or end
    with a space, without looking at each of them."""
    texts = list(strings)
    joined = "\x00".join(texts)
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="{_NS["m"]}" uniqueCount="{len(strings)}">'
    )
    if not texts:
        return (head + "</sst>").encode("utf-8")
    start, end = '<si><t xml:space="preserve">', "</t></si>"
    if joined.count("\x00") != len(texts) - 1:  # a NUL of its own: one by one
        body = "".join(f"{start}{escape(text)}{end}" for text in texts)
    else:
        body = start + escape(joined).replace("\x00", end + start) + end
    return (head + body + "</sst>").encode("utf-8")


def codings_print_note(n_rows: int) -> str:
    """The note the Codings sheet prints at the top of its page (its rows are left out of
    the print area: only the header row prints)."""
    return (
        f"Codings: {n_rows:,} rows, left out of the printout (too wide and long to read on "
        "paper). Filter the sheet on screen, or copy the rows you need to a new sheet and "
        "print that."
    )


def _sheet_part(zin: zipfile.ZipFile, sheet: str) -> str:
    book = ElementTree.fromstring(zin.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zin.read("xl/_rels/workbook.xml.rels"))
    rid = next(
        s.get(f"{{{_NS['r']}}}id")
        for s in book.iter(f"{{{_NS['m']}}}sheet")
        if s.get("name") == sheet
    )
    target = next(
        r.get("Target", "")
        for r in rels.iter(f"{{{_NS['rel']}}}Relationship")
        if r.get("Id") == rid
    )
    if target is None:  # openpyxl always writes it; a workbook without it is not ours
        raise WorkbookError(f"sheet '{sheet}' has no part in the workbook just written")
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _rows_xml(
    data: pd.DataFrame,
    first_row: int,
    chunk: int = 2000,
    *,
    strings: dict[str, int] | None = None,
    grouped: Mapping[str, np.ndarray] | None = None,
) -> Iterator[bytes]:
    """The rows as XML, a chunk of rows at a time; each distinct value is rendered once.

    A row is numbered (``<row r="2">``); its cells are not (``<c>`` without ``r``: the
    format places each cell after the one before it, an empty cell is ``<c/>``), which
    makes the rows about a third shorter to build, compress and open.
    ``strings``: text -> shared-string index, filled here (None: inline strings).
    ``grouped``: column -> numbers of the rows that hold the same value (from
    ``pd.factorize``, -1 for missing), for columns already numbered that way.
    """
    grouped = grouped or {}
    columns = [_column_fragments(data[c], strings, grouped.get(c)) for c in data.columns]
    lines: list[str] = []
    join = "".join
    for offset, row in enumerate(zip(*columns, strict=True)):
        lines.append(f'<row r="{first_row + offset}">{join(row)}</row>')
        if len(lines) >= chunk:
            yield join(lines).encode("utf-8")
            lines = []
    if lines:
        yield join(lines).encode("utf-8")


def _column_fragments(
    column: pd.Series, strings: dict[str, int] | None = None, numbers: np.ndarray | None = None
) -> list[str]:
    """Each value's cell XML (see :func:`_fragment`), each distinct value rendered once.

    Columns of one type (text, numbers) are factorised by pandas (or numbered already:
    ``numbers``, the rows of one number hold one value); a column mixing types (``1``,
    ``1.0`` and ``True`` are equal keys there) is rendered value by value.
    """
    kind = pd.api.types.infer_dtype(column, skipna=True)
    if kind in ("string", "integer", "floating", "boolean", "empty"):
        if numbers is not None and len(numbers) == len(column):
            codes = np.asarray(numbers)
            first = pd.Series(codes).drop_duplicates().index.to_numpy()
            uniques = column.to_numpy()[first[codes[first] >= 0]]
        else:
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
        values = uniques.tolist() if hasattr(uniques, "tolist") else list(uniques)
        rendered = _text_fragments(values, strings) if kind == "string" else None
        if rendered is None:
            rendered = [_fragment(u, strings) for u in values]
        fragments = np.array([*rendered, EMPTY_CELL], dtype=object)
        return list(fragments[codes])  # code -1 (missing) takes the last entry: an empty cell
    cache: dict[tuple[type, Any], str] = {}
    out = []
    for value in column.tolist():
        key = (type(value), value)
        frag = cache.get(key)
        if frag is None:
            frag = cache[key] = _fragment(value, strings)
        out.append(frag)
    return out


#: A cell with no value (it keeps the place of the cells after it in the row).
EMPTY_CELL = "<c/>"


def _text_fragments(values: list[Any], strings: dict[str, int] | None) -> list[str] | None:
    """The cells of distinct texts as shared strings, checked for what :func:`clean`
    removes in one search over all of them; None when some text needs cleaning (or is
    not text), for :func:`_fragment` to render one by one."""
    if strings is None or not all(type(v) is str for v in values):
        return None
    if max(map(len, values), default=0) > MAX_CELL:
        return None
    if ILLEGAL_CHARACTER.search("".join(values)):
        return None
    add = strings.setdefault
    return [f'<c t="s"><v>{add(text, len(strings))}</v></c>' for text in values]


def _fragment(value: Any, strings: dict[str, int] | None = None) -> str:
    """A cell's XML without its reference: ``'<c t="b"><v>1</v></c>'``, ``'<c/>'`` when empty.

    Text is an index into ``strings`` (added when new), or inline when it is None.
    """
    value = clean(value)
    if value is None:
        return EMPTY_CELL
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return f"<c><v>{value!r}</v></c>"
    text = str(value)
    if strings is not None:
        index = strings.setdefault(text, len(strings))
        return f'<c t="s"><v>{index}</v></c>'
    return f'<c t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def write_csv(report: _Report, folder: Path, *, raw: bool = False) -> tuple[Path, ...]:
    """Each matrix as a CSV file (UTF-8 with BOM so Excel reads accents) in ``folder``.

    Count files hold the confirmed rows then the unreviewed rows, told apart by their
    ``counted`` column (``confirmed`` / ``unreviewed``), as on the sheets; the framework
    file's quotes carry their own [confirmed] / [unreviewed suggestion] label.
    A cell beginning with = + - @, a tab or a carriage return gets a leading ``'`` so
    that a spreadsheet shows it as text instead of running it (unless ``raw``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = report.cf.codes["name"]
    frames: dict[str, Split | pd.DataFrame] = {
        "matrix.csv": report.split_counts,
        "respondents.csv": report.split_respondents,
        "documents.csv": report.split_documents,
        "framework.csv": report.framework,
        "cooccurrence.csv": report.split_cooccurrence,
        "source_types.csv": report.split_source_types,
    }
    written = []
    for name, item in frames.items():
        if isinstance(item, Split):
            table = pd.concat([block.assign(counted=kind) for kind, block in item.blocks()], axis=0)
            table = table[["counted", *[c for c in table.columns if c != "counted"]]]
        else:
            table = item.copy()
        table.insert(0, "code", names.reindex(table.index).to_numpy())
        if not raw:
            table, _ = cells.csv_frame(table)
        path = folder / name
        table.to_csv(path, encoding="utf-8-sig", index_label="code_id")
        written.append(path)
    return tuple(written)


# --- cells -----------------------------------------------------------------------------------


def clean(value: Any) -> Any:
    """A value Excel accepts: no illegal XML characters, at most 32,767 characters, no NaN."""
    if value is None:
        return None
    if isinstance(value, str):
        if ILLEGAL_CHARACTER.search(value):
            value = ILLEGAL_CHARACTER.sub("", value)
        return value[:MAX_CELL]
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return clean(value.item())
    if value is pd.NA or value is pd.NaT:
        return None
    return value


#: Per workbook: style objects (by identity, kept alive here) -> the style array openpyxl
#: made for the first cell with them. openpyxl hashes every font, fill and alignment
#: each time one is set (about 40 µs a cell); a report styles tens of thousands of cells.
_STYLES: weakref.WeakKeyDictionary[Any, dict[tuple[int, ...], tuple[Any, Any]]] = (
    weakref.WeakKeyDictionary()
)


def _cell(ws: Any, value: Any, **style: Any) -> Any:
    """A cleaned cell; text is always text, never a formula (see :mod:`themegrid.cells`).

    A style already used in the workbook is copied from the first cell that had it.
    """
    value = clean(value)
    if isinstance(ws, _Deferred):
        style_id = _style_id(ws, style) if style else 0
        return _Styled(value, style_id) if style_id else value
    if not style:
        return cells.cell(ws, value)
    known = _STYLES.setdefault(ws.parent, {})
    key = tuple(id(v) for v in style.values()) + tuple(map(hash, style))
    found = known.get(key)
    if found is not None:
        return cells.cell(ws, value, _style=copy.copy(found[1]))
    made = cells.cell(ws, value, **style)
    known[key] = (tuple(style.values()), copy.copy(made._style))
    return made


def _row(ws: Any, values: Iterable[Any]) -> list[Any]:
    return [_cell(ws, v) for v in values]


def _header(ws: Any, values: Iterable[Any]) -> list[Any]:
    return [_cell(ws, v, font=HEADER_FONT, fill=HEADER_FILL, alignment=WRAP_TOP) for v in values]


def _widths(ws: Any, widths: Sequence[float]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def unique_headers(names: Iterable[Any]) -> list[str]:
    """Non-empty, unique header strings (an Excel table refuses anything else)."""
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(names, start=1):
        base = clean(str(name if name is not None else "")).strip().replace("\n", " ")
        base = base or f"Column {i}"
        candidate, n = base, 2
        while candidate.casefold() in seen:
            candidate, n = f"{base} ({n})", n + 1
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


# --- sheets ----------------------------------------------------------------------------------


ABOUT_WIDTH = 100


def about_facts(store: Store, report: _Report, project_name: str | None) -> list[tuple[str, Any]]:
    """The About sheet's key/value rows (also the HTML report's About table)."""
    cf, book = report.cf, report.codebook
    run = store_runs.latest_run(store)
    last_run = (
        f"run {run.id} ({run.command}), finished {_when(run.finished_at)}"
        if run
        else "no runs recorded yet"
    )
    cases = [c for c in report.counts.columns if c != mx.TOTAL]
    confirmed = int((cf.codings["status"] == "accepted").sum())
    unreviewed = int((cf.codings["status"] == "suggested").sum())
    return [
        ("Project", project_name or _project_name(store)),
        ("Codebook", f"{book.name}, version {book.version}" if book else "(no codebook given)"),
        ("Last run", last_run),
        ("What the last coding run changed", _last_coding_changes(store)),
        ("Written", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("themegrid version", __version__),
        ("Documents", len(cf.documents)),
        ("Segments", cf.n_segments),
        ("Codings counted", len(cf.codings)),
        (
            "Confirmed and unreviewed",
            f"{confirmed} confirmed by a human; {unreviewed} unreviewed machine suggestions "
            "(not findings). Each count sheet shows the two in separate blocks.",
        ),
        ("Which codings count", cf.basis),
        ("Human decisions", _human_decisions(store, cf.coders)),
        ("Cases by", " + ".join(report.by)),
        ("Formulas", FORMULA_NOTE),
        ("Cases", f"{len(cases)}: {', '.join(cases)}"),
        (
            "Parent codes",
            "include their children's segments (each segment once)"
            if report.roll_up
            else "count only segments coded with the parent itself",
        ),
    ]


#: What each file outcome of a coding run's ingest is called on the About sheet.
_FILE_CHANGES = {
    "added": "new files",
    "changed": "changed files",
    "attributes": "files with new case attributes",
    "missing": "files gone from corpus/",
    "rejected": "files that could not be read",
    "pruned": "files removed with --prune",
}
#: File names listed per kind of change before "and N more".
_NAMES_SHOWN = 8


def _awaiting(summary: dict[str, Any]) -> int | None:
    """Machine suggestions awaiting review after a coding run, from its summary."""
    per_code = summary.get("awaiting_review_per_code")
    if not isinstance(per_code, dict):
        return None
    return sum(int(v.get("total", 0)) for v in per_code.values() if isinstance(v, dict))


def _last_coding_changes(store: Store) -> str:
    """The last ``code`` run's changes in words: files read and why, suggestions made and
    withdrawn; human decisions are never changed by a run, and the line says so."""
    run = store_runs.latest_run_of(store, "code")
    if run is None:
        return "no coding run yet"
    summary = json.loads(run.summary or "{}")
    ingest = summary.get("ingest") or {}
    parts = []
    for key, label in _FILE_CHANGES.items():
        names = [str(n) for n in ingest.get(key) or []]
        if names:
            shown = ", ".join(names[:_NAMES_SHOWN])
            more = f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else ""
            parts.append(f"{label}: {len(names)} ({shown}{more})")
    unchanged = len(ingest.get("unchanged") or [])
    files = "; ".join(parts) if parts else "no file added or changed"
    return (
        f"run {run.id}, {_when(run.finished_at)}: {files}; files unchanged: {unchanged}. "
        f"Machine suggestions in this run: {summary.get('suggestions_new', 0)} new, "
        f"{summary.get('suggestions_retired', 0)} withdrawn"
        + (
            f", {kept} made again unchanged on re-read text"
            if (kept := summary.get("suggestions_kept"))
            else ""
        )
        + (
            f"; after it, {waiting} awaited review"
            if (waiting := _awaiting(summary)) is not None
            else ""
        )
        + ". Human decisions are never changed by a run"
        + (
            f" ({ingest['orphaned_human_codings']} now on text that is no longer in its file, "
            "kept as orphaned)"
            if ingest.get("orphaned_human_codings")
            else ""
        )
        + "."
    )


def _about_sheet(wb: Workbook, store: Store, report: _Report, project_name: str | None) -> None:
    ws = wb.create_sheet("About")
    _widths(ws, [28, ABOUT_WIDTH])
    rows = about_facts(store, report, project_name)
    _landscape(ws)
    # Write-only sheets take row heights before rows are written; LibreOffice does not
    # grow wrapped rows by itself.
    help_start = len(rows) + 4
    for offset, value in enumerate(v for _, v in rows):
        ws.row_dimensions[offset + 2].height = _row_height([value], ABOUT_WIDTH)
    for offset, text in enumerate(SHEET_HELP.values()):
        ws.row_dimensions[help_start + offset].height = _row_height([text], ABOUT_WIDTH)
    ws.append(_header(ws, ["themegrid theme matrix", ""]))
    for key, value in rows:
        ws.append(
            [
                _cell(ws, key, font=HEADER_FONT, alignment=WRAP_TOP),
                _cell(ws, value, alignment=LEFT_TOP),
            ]
        )
    ws.append([])
    ws.append(_header(ws, ["Sheet", "How to read it"]))
    for name, text in SHEET_HELP.items():
        ws.append(
            [
                _cell(ws, name, font=HEADER_FONT, alignment=WRAP_TOP),
                _cell(ws, text, alignment=WRAP_TOP),
            ]
        )


def _when(iso: str | None) -> str:
    """A stored UTC timestamp as a reader writes it: 2026-11-22 10:48 UTC."""
    if not iso:
        return "not finished"
    try:
        return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def _human_decisions(store: Store, only: Sequence[str] = ()) -> str:
    """Who decided, and the rule when several coders decided the same segment and code."""
    if only:
        return f"only those by {', '.join(only)} count (report --coder)"
    coders = views.human_decision_counts(store)
    if not coders:
        return "none yet: every counted coding is an unreviewed machine suggestion"
    who = ", ".join(f"{coder} ({n})" for coder, n in coders)
    rule = (
        "; where several coders decided the same segment and code, the latest decision counts"
        if len(coders) > 1
        else ""
    )
    return f"by {who}{rule}"


def _project_name(store: Store) -> str:
    return "(in memory)" if store.path == ":memory:" else Path(store.path).resolve().parent.name


def _code_rows(
    report: _Report,
    ws: Any,
    table: pd.DataFrame,
    first_row: int,
    wrap: bool | float | None = False,
) -> Iterator[list[Any]]:
    """Code id and indented name cells, setting each row's outline level (children under parents).

    Top-aligned (beside tall quote cells the label stays level with its quotes); parents bold.
    ``wrap``: wrap the names; a width (characters) also gives rows whose name is longer
    the height of its lines (LibreOffice does not grow rows by itself).
    """
    codes = report.cf.codes
    leaves = report.leaf_codes
    for offset, code_id in enumerate(table.index):
        depth = int(codes.at[code_id, "depth"])
        if depth:
            ws.row_dimensions[first_row + offset].outline_level = min(depth, MAX_OUTLINE)
        bold = {} if code_id in leaves else {"font": PARENT_FONT}
        if not isinstance(wrap, bool) and wrap:
            label = "  " * depth + str(codes.at[code_id, "name"])
            if len(label) + 2 > wrap:
                height = _row_height([label], wrap - 2, bold=bool(bold))
                if height > DEFAULT_ROW_PT + 2:
                    ws.row_dimensions[first_row + offset].height = height
        name = _cell(
            ws,
            codes.at[code_id, "name"],
            alignment=_indented(depth, bool(wrap)),
            **bold,
        )
        yield [_cell(ws, code_id, alignment=TOP, **bold), name]


@functools.cache
def _indented(depth: int, wrap: bool) -> Alignment:
    """A code name's alignment: indented by its depth, top-aligned (one object per kind)."""
    return Alignment(indent=depth, vertical="top", wrap_text=wrap)


def _value_cells(ws: Any, values: Sequence[Any], parent: bool, **style: Any) -> list[Any]:
    if parent:
        style = {**style, "font": PARENT_FONT}
    if isinstance(ws, _Deferred):  # one style for the row: looked up once
        style_id = _style_id(ws, style) if style else 0
        cleaned = [clean(v) for v in values]
        return [_Styled(v, style_id) for v in cleaned] if style_id else cleaned
    return [_cell(ws, v, **style) for v in values]


def _code_widths(report: _Report) -> list[float]:
    """Widths of the code id and name columns, from the longest (within limits)."""
    codes = report.cf.codes
    longest_id = max((len(str(c)) for c in codes.index), default=8)
    longest_name = max(
        (len(str(n)) + 2 * d for n, d in zip(codes["name"], codes["depth"], strict=True)), default=8
    )
    return [min(max(longest_id + 2, 10), 40), min(max(longest_name + 2, 12), 55)]


def _prepare_grid(
    ws: Any,
    columns: Sequence[Any],
    widths: Sequence[float],
    n_rows: int,
    column_width: float | None = None,
    column_depths: Sequence[int] | None = None,
    print_scale: int = PRINT_SCALE,
) -> float:
    """Outline with parents above children, frozen header and code columns, landscape
    print; returns the scale it prints at."""
    ws.sheet_properties.outlinePr = Outline(summaryBelow=False, summaryRight=True)
    ws.freeze_panes = "C2"
    # Rows of Excel's height in LibreOffice too, so that both end pages on the same rows.
    ws.sheet_format = SheetFormatProperties(defaultRowHeight=DEFAULT_ROW_PT, customHeight=True)
    values = [
        column_width if column_width is not None else min(max(len(str(c)) + 3, 8), 24)
        for c in columns
    ]
    all_widths = [*widths, *values]
    _widths(ws, all_widths)
    return _print_setup(
        ws,
        all_widths,
        names_column=True,
        n_rows=n_rows,
        column_depths=column_depths,
        print_scale=print_scale,
    )


def _row_breaks(ws: Any, scale: float, rows: Sequence[tuple[int, int | None, bool]]) -> None:
    """Page breaks for a count sheet's rows: each block on new pages, code groups kept on
    one page where they fit (see :func:`page_breaks`).

    ``rows``: (row number, depth of the code the row shows or None, whether the row
    starts a page), for the rows below the header row, which repeats on every page.
    Heights are Excel's (LibreOffice's rows are lower, so its pages end on the same rows
    with room to spare)."""

    def height(row: int) -> float:
        dims = ws.row_dimensions.get(row)
        return float(dims.height) if dims is not None and dims.height else DEFAULT_ROW_PT

    room = PAGE_ROOM * PAGE_HEIGHT_PT / scale - height(1)
    starts = page_breaks(
        [height(r) for r, _d, _f in rows],
        [d for _r, d, _f in rows],
        room,
        forced=[i for i, (_r, _d, f) in enumerate(rows) if f],
    )
    for i in starts:
        ws.row_breaks.append(Break(id=rows[i][0] - 1))


def _landscape(ws: Any) -> None:
    """Print landscape, fitted to the page width, with the header row on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_margins = _margins()
    _footer(ws)
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = "1:1"


def _footer(ws: Any) -> None:
    """Each printed page names its sheet and page: "Framework, page 3 of 12"."""
    ws.oddFooter.center.text = "&A, page &P of &N"
    ws.oddFooter.center.size = 9


def _margins() -> PageMargins:
    return PageMargins(
        left=SIDE_MARGIN,
        right=SIDE_MARGIN,
        top=TOP_MARGIN,
        bottom=TOP_MARGIN,
        header=0.3,
        footer=0.3,
    )


def _print_setup(
    ws: Any,
    widths: Sequence[float],
    *,
    names_column: bool = False,
    n_rows: int | None = None,
    column_depths: Sequence[int] | None = None,
    print_scale: int = PRINT_SCALE,
) -> float:
    """Landscape, header row on every page, readable type.

    With ``names_column`` (code sheets: A = code id, B = code name) the printout starts at
    column B, the code names repeated at the left of every page; the ids stay on screen.
    Fitted to the page width only when the printed columns fit at about 70 % or more
    (:data:`FIT_CHARS`); wider sheets print at :data:`PRINT_SCALE` % in pages of whole
    columns (:data:`PAGE_CHARS` each), one page of codes or cases after another
    (``column_depths``: the columns are codes of these depths, and pages split between
    code groups, see :func:`page_breaks`). Returns the scale the sheet prints at.
    """
    printed = list(widths[1:]) if names_column else list(widths)
    ws.page_setup.orientation = "landscape"
    ws.page_margins = _margins()
    _footer(ws)
    ws.print_title_rows = "1:1"
    if names_column:
        ws.print_title_cols = "B:B"
        if n_rows is not None:
            ws.print_area = f"B1:{get_column_letter(len(widths))}{max(n_rows, 1)}"
    if sum(printed) <= FIT_CHARS:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        return printed_scale(printed)
    ws.page_setup.scale = print_scale
    first = 2 if names_column else 1
    start = first + (1 if names_column else 0)
    depths = list(column_depths) if column_depths is not None else [0] * (len(widths) - start + 1)
    sizes, room = _column_pages(widths, start, names_column, print_scale)
    for index in page_breaks(sizes, depths, room):
        ws.col_breaks.append(Break(id=start - 1 + index))
    return print_scale / 100


def _column_pages(
    widths: Sequence[float], start: int, names_column: bool, print_scale: int
) -> tuple[list[float], float]:
    """The printed columns' sizes from column ``start`` on, and a page's room for them.

    At :data:`PRINT_SCALE`, in width units (:data:`PAGE_CHARS` a page, less the repeated
    names column); at another scale, in points with each column's padding (narrow
    count columns are a third padding), :data:`PAGE_ROOM` of the page's width."""
    sizes = list(widths[start - 1 :])
    if print_scale == PRINT_SCALE:
        return sizes, PAGE_CHARS - (widths[1] if names_column else 0)
    room = PAGE_ROOM * PAGE_WIDTH_PT * 100 / print_scale
    if names_column:
        room -= _column_pt(widths[1])
    return [_column_pt(w) for w in sizes], room


def _column_pt(width: float) -> float:
    """A column's printed width in points at 100 % (a 7-pixel digit a unit, 5 pixels of
    padding, 96 pixels an inch)."""
    return 0.75 * (7 * width + 5)


def printed_scale(widths: Sequence[float]) -> float:
    """The scale a sheet fitted to the page width prints at (Excel's column pixels: a
    unit is a 7-pixel digit plus 5 pixels of padding; 96 pixels an inch)."""
    points = sum(_column_pt(w) for w in widths)
    return min(1.0, PAGE_WIDTH_PT / points) if points else 1.0


def page_breaks(
    sizes: Sequence[float],
    depths: Sequence[int | None],
    room: float,
    forced: Collection[int] = (),
) -> list[int]:
    """Where to start new pages in a run of rows (or columns): positions ``i`` such that
    a page starts with item ``i``.

    ``sizes``: each item's height (or width); ``room``: what a page holds. ``depths``:
    the outline depth of the code an item starts (0 = a top-level code), None where no
    page may start (a total row, which stays with its block). ``forced``: items that
    always start a page (a block's title row). When an item does not fit, the page
    ends before the shallowest code among the items that would start at least
    :data:`PAGE_FILL` down the page, the latest of those: a code group stays on one
    page when it fits on one, and a page is never left mostly empty for it.
    With no code that far down, the page ends before its last code.
    """
    starts: list[int] = []
    top, used = 0, 0.0
    forced = set(forced)
    for i, size in enumerate(sizes):
        if i in forced and i > top:
            starts.append(i)
            top, used = i, 0.0
        elif used + size > room and i > top:
            filled = [sum(sizes[top:j]) for j in range(top + 1, i + 1)]
            candidates = [
                (depth, -j)
                for j, depth, before in zip(
                    range(top + 1, i + 1), depths[top + 1 : i + 1], filled, strict=True
                )
                if depth is not None and before >= PAGE_FILL * room
            ]
            codes = [j for j in range(top + 1, i + 1) if depths[j] is not None]
            # No code far enough down: the page ends before its last code (a total row
            # stays with the code above it), or, with no code at all, where it is full.
            cut = -min(candidates)[1] if candidates else max(codes, default=i)
            starts.append(cut)
            top, used = cut, sum(sizes[cut:i])
        used += size
    return starts


def _block_title(ws: Any, kind: str, n_columns: int) -> list[Any]:
    label, title, fill = BLOCKS[kind]
    return [
        _cell(ws, label, font=HEADER_FONT, fill=fill),
        _cell(ws, title, font=HEADER_FONT, fill=fill),
        *(_cell(ws, None, fill=fill) for _ in range(n_columns)),
    ]


def _scale_ranges(
    report: _Report, index: Sequence[str], first_row: int, last_col: str
) -> tuple[str, str]:
    """Cell ranges (space-separated) of the leaf-code rows and of the parent rows of a block."""
    leaves = report.leaf_codes
    runs: dict[bool, list[tuple[int, int]]] = {True: [], False: []}
    for offset, code_id in enumerate(index):
        row, leaf = first_row + offset, code_id in leaves
        spans = runs[leaf]
        if spans and spans[-1][1] == row - 1 and offset and (index[offset - 1] in leaves) == leaf:
            spans[-1] = (spans[-1][0], row)
        else:
            spans.append((row, row))

    def ref(spans: list[tuple[int, int]]) -> str:
        return " ".join(f"C{a}:{last_col}{b}" for a, b in spans)

    return ref(runs[True]), ref(runs[False])


@dataclass(frozen=True)
class BlockRows:
    """Where a block's code rows are on a sheet: code id -> row number."""

    kind: str
    rows: Mapping[str, int]
    total_row: int | None


def _matrix_sheet(
    wb: Workbook,
    title: str,
    report: _Report,
    split: Split,
    totals: tuple[pd.Series, pd.Series | None] | None,
    total_label: str,
    scale_columns: int | None = None,
    upright_header: bool = False,
    kind_names: Mapping[str, str] | None = None,
    name_width: float | None = None,
) -> tuple[Any, list[BlockRows]]:
    """A code × column count sheet in two blocks, confirmed then unreviewed, each with its
    own total row; the colour scale over leaf-code rows only (parents are bold, unshaded).

    ``name_width``: wrap the code names at this width (a wide sheet's printed pages keep
    more room for the count columns)."""
    ws = _deferred(wb, title)
    table = split.confirmed
    extra = 1 if totals is not None else 0
    n_rows = 1 + sum(len(b) + 2 + extra for _k, b in split.blocks()) + 2
    code_widths = _code_widths(report)
    # Names longer than the column wrap onto a second line (they were cut off in print).
    name_width = min(code_widths[1], name_width) if name_width is not None else code_widths[1]
    code_widths = [code_widths[0], name_width]
    codes = report.cf.codes
    scale = _prepare_grid(
        ws,
        table.columns,
        code_widths,
        n_rows,
        count_width(split) if upright_header else None,
        [int(codes.at[c, "depth"]) if c in codes.index else 0 for c in table.columns]
        if upright_header
        else None,
        print_scale=COOC_SCALE if upright_header else PRINT_SCALE,
    )
    n_scaled = (
        scale_columns
        if scale_columns is not None
        else len([c for c in table.columns if c != mx.TOTAL])
    )
    layout: list[BlockRows] = []
    row = 2
    for kind, block in split.blocks():
        first = row + 1
        layout.append(
            BlockRows(
                kind,
                {c: first + i for i, c in enumerate(block.index)},
                first + len(block) if totals is not None else None,
            )
        )
        if n_scaled and len(block):
            leaf_ref, _parents = _scale_ranges(
                report, list(block.index), first, get_column_letter(2 + n_scaled)
            )
            if upright_header:  # a sparse code x code grid: its zeros in light grey
                last = get_column_letter(2 + len(table.columns))
                zero = copy.copy(ZERO_GREY)
                zero.priority = 1
                ws.conditional_formatting.add(f"C{first}:{last}{first + len(block) - 1}", zero)
            if leaf_ref:
                rule = copy.copy(SCALE if kind == "confirmed" else UNREVIEWED_SCALE)
                rule.priority = 2  # after the zero rule where both cover a cell
                ws.conditional_formatting.add(leaf_ref, rule)
        row = first + len(block) + (1 if totals is not None else 0) + 1
    if upright_header:
        ws.row_dimensions[1].height = upright_height(table.columns)
        head = _header(ws, ["Code id", "Code"])
        head += [
            _cell(ws, c, font=UPRIGHT_FONT, fill=HEADER_FILL, alignment=UPRIGHT)
            for c in table.columns
        ]
        ws.append(head)
    else:
        ws.append(_header(ws, ["Code id", "Code", *table.columns]))
    leaves = report.leaf_codes
    # Rows whose code name wraps onto two lines: their counts top-aligned beside it (only
    # those rows: a style on every cell of a 100-code co-occurrence costs about a second).
    codes = report.cf.codes
    wrapped = (
        {
            c
            for c in codes.index
            if len(str(codes.at[c, "name"])) + 2 * int(codes.at[c, "depth"]) + 2 > name_width
        }
        if name_width is not None
        else set()
    )
    top = {"alignment": TOP}
    printed: list[tuple[int, int | None, bool]] = []
    for (kind, block), where in zip(split.blocks(), layout, strict=True):
        first = min(where.rows.values(), default=0)
        printed.append((first - 1, None, True))
        printed += [(r, int(codes.at[c, "depth"]), False) for c, r in where.rows.items()]
        tail = first + len(block)
        printed += [(r, None, False) for r in range(tail, tail + 1 + (totals is not None))]
        ws.append(_block_title(ws, kind, len(table.columns)))
        first = min(where.rows.values(), default=0)
        values = block.to_numpy().tolist()
        for head, code_id, vals in zip(
            _code_rows(report, ws, block, first, wrap=name_width), block.index, values, strict=True
        ):
            style = top if code_id in wrapped else {}
            ws.append([*head, *_value_cells(ws, vals, code_id not in leaves, **style)])
        if totals is not None:
            series = totals[0] if kind == "confirmed" else totals[1]
            label = f"{total_label} ({(kind_names or {}).get(kind, kind)})"
            values_t = series.reindex(table.columns).tolist() if series is not None else []
            ws.append(_header(ws, ["", label, *values_t]))
        ws.append([])
    last = printed[-1][0]
    printed += [(last + 1 + i, None, False) for i in range(_note(ws, table, report))]
    _row_breaks(ws, scale, printed)
    return ws, layout


def count_width(split: Split) -> float:
    """Co-occurrence count columns: :data:`COOC_WIDTH`, or wider for counts of more digits
    than two (a unit is a digit's width; one more for the cell's margins and bold)."""
    largest = max(
        (int(block.to_numpy().max()) if block.size else 0 for _k, block in split.blocks()),
        default=0,
    )
    return max(COOC_WIDTH, len(str(largest)) + 1.0)


def upright_height(columns: Iterable[Any]) -> float:
    """The height (points) of a header row of upright code ids wrapped onto
    :data:`UPRIGHT_LINES` lines, at most :data:`UPRIGHT_MAX_PT`."""
    longest = max((len(str(c)) for c in columns), default=4)
    return float(min(UPRIGHT_PT_PER_CHAR * math.ceil(longest / UPRIGHT_LINES) + 8, UPRIGHT_MAX_PT))


def _note(ws: Any, table: pd.DataFrame, report: _Report, measure: str | None = None) -> int:
    """The note under a sheet's counts; returns the number of rows it took."""
    measure = measure if measure is not None else table.attrs.get("measure", "")
    ws.append(_row(ws, ["", f"Counts: {measure}; codings counted: {report.cf.basis}."]))
    if report.cf.include == "accepted":
        ws.append(_row(ws, ["", "Unreviewed machine suggestions are left out (--accepted-only)."]))
        return 2
    return 1


def _charts_sheet(wb: Workbook, report: _Report, matrix: Any, layout: list[BlockRows]) -> None:
    """Native bar charts drawn from the Matrix sheet's cells (they update with them).

    First chart: the :data:`TOP_CODES` most frequent leaf codes (confirmed + unreviewed)
    by case, clustered, confirmed counts. Then one chart per top code: confirmed and
    unreviewed stacked per case.
    """
    ws = wb.create_sheet(CHARTS_SHEET)
    ws.page_setup.orientation = "landscape"
    _footer(ws)
    # Rows of a known height, so that two charts fill a page and none is cut in half.
    ws.sheet_format = SheetFormatProperties(defaultRowHeight=15, customHeight=True)
    cases = [c for c in report.counts.columns if c != mx.TOTAL]
    counts = report.counts
    leaves = [c for c in counts.index if c in report.leaf_codes]
    top = counts.loc[leaves, mx.TOTAL].sort_values(ascending=False, kind="stable").head(TOP_CODES)
    top = top[top > 0]
    names = report.cf.codes["name"]
    if not cases or top.empty:
        ws.append(_row(ws, ["No coded segments yet: nothing to chart."]))
        return
    ws.append(
        _row(
            ws,
            [
                f"Top {len(top)} codes by {' + '.join(report.by)}, from the Matrix sheet. "
                "Green: confirmed; orange: unreviewed (not findings)."
            ],
        )
    )
    ws.print_area = f"A1:L{2 + (len(top) + 1) * CHART_ROWS}"
    last_col = 2 + len(cases)
    cats = Reference(matrix, min_col=3, max_col=last_col, min_row=1, max_row=1)
    confirmed = layout[0]
    unreviewed = layout[1] if len(layout) > 1 else None
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    n_confirmed = int((report.cf.codings["status"] == "accepted").sum())
    chart.title = "Most frequent codes by case: confirmed segments" + (
        "" if n_confirmed else " (none confirmed yet)"
    )
    chart.legend.position = "b"
    chart.y_axis.title = "segments"
    chart.width, chart.height = CHART_WIDTH, CHART_HEIGHT
    for code_id in top.index:
        row = confirmed.rows[code_id]
        chart.add_data(
            Reference(matrix, min_col=2, max_col=last_col, min_row=row, max_row=row),
            from_rows=True,
            titles_from_data=True,
        )
    chart.set_categories(cats)
    ws.add_chart(chart, "A2")
    for i, code_id in enumerate(top.index):
        stacked = BarChart()
        stacked.type = "col"
        stacked.grouping = "stacked"
        stacked.overlap = 100
        stacked.title = f"{names.get(code_id, code_id)}: confirmed and unreviewed"
        stacked.y_axis.title = "segments"
        stacked.width, stacked.height = CHART_WIDTH, CHART_HEIGHT
        for where, colour in ((confirmed, "70AD47"), (unreviewed, "ED7D31")):
            if where is None:
                continue
            row = where.rows[code_id]
            series_ref = Reference(matrix, min_col=3, max_col=last_col, min_row=row, max_row=row)
            stacked.add_data(series_ref, from_rows=True, titles_from_data=False)
            series = stacked.series[-1]
            series.graphicalProperties.solidFill = colour
            series.tx = SeriesLabel(v=BLOCKS[where.kind][0])
        stacked.set_categories(cats)
        stacked.legend.position = "b"
        slot = i + 1
        ws.add_chart(stacked, f"A{2 + slot * CHART_ROWS}")
        if slot % 2 == 0:  # two charts a printed page, never one cut in half
            ws.row_breaks.append(Break(id=1 + slot * CHART_ROWS))


def with_any_code(
    report: _Report, by: Sequence[str], unit: str, *, strict: bool = True
) -> tuple[pd.Series, pd.Series | None]:
    """Segments (``unit="segment_id"``) or documents (``"document_id"``) with any counted
    code, per case and in Total: confirmed (a human accepted a code on it) and unreviewed
    (only unreviewed machine suggestions; None with ``--accepted-only``)."""
    cf = report.cf
    codings = cf.codings
    labels = mx.case_labels(cf, by, strict=strict)
    frame = pd.DataFrame(
        {
            # Segments by their numbers (grouping 100,000 ids as text is slower).
            "unit": mx.segment_numbers(cf) if unit == "segment_id" else codings[unit].to_numpy(),
            "document_id": codings["document_id"].to_numpy(),
            "confirmed": codings["status"].eq("accepted").to_numpy(),
        }
    )
    per = frame.groupby("unit", sort=False).agg(
        document_id=("document_id", "first"), confirmed=("confirmed", "any")
    )
    per["case"] = per["document_id"].map(labels)
    order = mx.case_order(labels)

    def count(mask: pd.Series) -> pd.Series:
        found = per[mask].groupby("case").size().reindex(order, fill_value=0).astype("int64")
        found[mx.TOTAL] = int(found.sum())
        return found

    unreviewed = count(~per["confirmed"]) if cf.include == "suggested" else None
    return count(per["confirmed"]), unreviewed


def _respondents_sheet(wb: Workbook, report: _Report) -> None:
    ws = _deferred(wb, "Respondents")
    split = report.split_respondents
    table = split.confirmed
    any_code = with_any_code(report, report.by, "document_id")
    n_rows = 1 + sum(len(b) + 4 for _k, b in split.blocks()) + 2
    code_widths = _code_widths(report)
    scale = _prepare_grid(ws, table.columns, code_widths, n_rows)
    ws.append(_header(ws, ["Code id", "Code", *table.columns]))
    leaves = report.leaf_codes
    codes = report.cf.codes
    depth = codes["depth"]
    # Names longer than their column wrap (they were cut off in print), counts top-aligned.
    wrapped = {
        c
        for c in codes.index
        if len(str(codes.at[c, "name"])) + 2 * int(depth[c]) + 2 > code_widths[1]
    }
    printed: list[tuple[int, int | None, bool]] = []
    row = 2
    sizes = report.sizes.reindex(table.columns).tolist()
    for kind, block in split.blocks():
        ws.append(_block_title(ws, kind, len(table.columns)))
        rows = zip(
            _code_rows(report, ws, block, row + 1, wrap=code_widths[1]),
            block.index,
            block.to_numpy().tolist(),
            strict=True,
        )
        for head, code_id, values in rows:
            right = RIGHT_TOP if code_id in wrapped else RIGHT
            ws.append([*head, *_value_cells(ws, values, code_id not in leaves, alignment=right)])
        found = any_code[0] if kind == "confirmed" else any_code[1]
        assert found is not None  # an unreviewed block only when they are counted
        n_of = [
            f"{n} of {size}" for n, size in zip(found.reindex(table.columns), sizes, strict=True)
        ]
        label = f"Documents with any code ({ANY_CODE_KIND[kind]})"
        # the labels wrap in a narrow name column: rows as tall as their lines (LibreOffice
        # drew a wrapped label over the next row)
        for k, text in enumerate((label, "Documents in the case (N)")):
            height = _row_height([text], code_widths[1], bold=True)
            if height > LINE_PT + 2:
                ws.row_dimensions[row + 1 + len(block) + k].height = height
        ws.append(
            [
                *_header(ws, ["", label]),
                *(
                    _cell(ws, v, font=HEADER_FONT, fill=HEADER_FILL, alignment=RIGHT_TOP)
                    for v in n_of
                ),
            ]
        )
        ws.append(_header(ws, ["", "Documents in the case (N)", *sizes]))
        ws.append([])
        printed.append((row, None, True))
        printed += [(row + 1 + i, int(depth[c]), False) for i, c in enumerate(block.index)]
        printed += [(row + 1 + len(block) + i, None, False) for i in range(3)]
        row += len(block) + 4
    printed += [(row + i, None, False) for i in range(_note(ws, table, report))]
    _row_breaks(ws, scale, printed)


def count_line(confirmed: int, unreviewed: int | None, unit: str = "segments") -> str:
    """``"2 confirmed, 5 unreviewed segments"`` (``"2 confirmed segments"`` with
    ``--accepted-only``, where no unreviewed suggestion is counted)."""
    if unreviewed is None:
        return f"{confirmed:,} confirmed {unit}"
    return f"{confirmed:,} confirmed, {unreviewed:,} unreviewed {unit}"


def _framework_sheet(wb: Workbook, report: _Report) -> None:
    """Quotes per code and case; each cell opens with its confirmed and unreviewed counts,
    and a last row gives each case's segments with any code, confirmed and unreviewed."""
    ws = _deferred(wb, "Framework")
    table = report.framework
    cases = list(table.columns)
    split = report.split_counts
    confirmed = split.confirmed.reindex(index=table.index, columns=cases, fill_value=0)
    unreviewed = (
        split.unreviewed.reindex(index=table.index, columns=cases, fill_value=0)
        if split.unreviewed is not None
        else None
    )
    n_confirmed = confirmed.to_numpy().tolist()
    n_unreviewed = (
        unreviewed.to_numpy().tolist()
        if unreviewed is not None
        else [[None] * len(cases)] * len(table)
    )
    printed = _printed_quotes(report)
    rows: list[list[str]] = []
    for code_id, cs, us in zip(table.index, n_confirmed, n_unreviewed, strict=True):
        row = []
        for case, c, u in zip(cases, cs, us, strict=True):
            u = None if u is None else int(u)
            counted = int(c) + (u or 0)
            shown = printed.get((code_id, case), [])
            if not counted and not shown:
                row.append("")
                continue
            text = count_line(int(c), u) + "".join(
                f"\n{q}" if i == 0 else f"\n\n{q}" for i, q in enumerate(shown)
            )
            if counted > len(shown):
                text += f"\n+{counted - len(shown)} more: {MORE_NOTE}"
            row.append(text)
        rows.append(row)
    coded_c, coded_u = report.split_coded
    totals = [
        count_line(
            int(coded_c.get(case, 0)), None if coded_u is None else int(coded_u.get(case, 0))
        )
        for case in cases
    ]
    ws.sheet_properties.outlinePr = Outline(summaryBelow=False, summaryRight=True)
    ws.freeze_panes = "C2"
    quote_width = framework_quote_width(len(cases))
    widths = [_code_widths(report)[0], FRAMEWORK_NAME_WIDTH, *([quote_width] * len(cases))]
    _widths(ws, widths)
    _print_setup(ws, widths, names_column=True, n_rows=len(table) + 3)
    names = report.cf.codes["name"]
    leaves = report.leaf_codes
    for offset, (code_id, row) in enumerate(zip(table.index, rows, strict=True)):
        label = "  " * int(report.cf.codes.at[code_id, "depth"]) + str(names.get(code_id, ""))
        bold = code_id not in leaves
        height = max(
            _row_height(row, quote_width, bold=bold),
            _row_height([label], FRAMEWORK_NAME_WIDTH, bold=bold),
        )
        ws.row_dimensions[offset + 2].height = height
    ws.row_dimensions[len(table) + 2].height = _row_height(totals, quote_width, bold=True)
    ws.append(_header(ws, ["Code id", "Code", *cases]))
    for head, code_id, values in zip(
        _code_rows(report, ws, table, 2, wrap=True), table.index, rows, strict=True
    ):
        ws.append([*head, *_value_cells(ws, values, code_id not in leaves, alignment=WRAP_TOP)])
    ws.append(_header(ws, ["", "Segments with any code", *totals]))
    _note(ws, table, report, f"segments; up to {FRAMEWORK_QUOTES} quotes a cell")


def framework_quote_width(n_cases: int) -> float:
    """The Framework's quote column width: every case side by side on one printed page
    (:data:`FRAMEWORK_FIT` units in all, fitted to the page width) when each column keeps
    at least :data:`QUOTE_MIN`, else :data:`QUOTE_WIDTH` in pages of cases.

    A row has one height for all its cases: printed in pages of cases, each page's rows
    are as tall as the longest cell on any page, blank below the shorter ones."""
    if not n_cases:
        return QUOTE_WIDTH
    fitted = (FRAMEWORK_FIT - FRAMEWORK_NAME_WIDTH) / n_cases
    return min(QUOTE_WIDTH, round(fitted, 1)) if fitted >= QUOTE_MIN else QUOTE_WIDTH


def _printed_quotes(report: _Report) -> dict[tuple[str, str], list[str]]:
    """(code id, case) -> the Framework sheet's quotes: the best :data:`FRAMEWORK_QUOTES`,
    each shortened to :data:`FRAMEWORK_WORDS` words, with its [confirmed] or [unreviewed
    suggestion] label (the HTML report and framework.csv keep them whole)."""
    quotes = report.quotes
    best = quotes.groupby(["code_id", "case"], sort=False).head(FRAMEWORK_QUOTES)
    out: dict[tuple[str, str], list[str]] = {}
    for code_id, case, text, speaker, document, confirmed in zip(
        best["code_id"],
        best["case"],
        best["text"],
        best["speaker"],
        best["document"],
        best["confirmed"],
        strict=True,
    ):
        # The file name, not its folders: the Codings sheet has the whole path.
        name = str(document).rsplit("/", 1)[-1]
        quote = mx.format_quote(text, speaker, name, max_words=FRAMEWORK_WORDS)
        out.setdefault((code_id, case), []).append(f"{mx.QUOTE_LABELS[bool(confirmed)]} {quote}")
    return out


def _row_height(texts: Sequence[Any], width: float, bold: bool = False) -> float:
    """Points for wrapped text in columns ``width`` characters wide (Excel's 409 max).

    The lines are counted as a word wrap makes them (:func:`wrapped_lines`). In
    LibreOffice's rendered pages Calibri / Carlito 11 pt fitted 1.16 (quotes, with their
    capitals and punctuation) to 1.37 (code names) characters a unit of column width (the
    unit is a digit's width), bold about a tenth fewer; :data:`CHARS_PER_WIDTH` takes the
    lower. :data:`LINE_PT` is below Excel's 15 points a wrapped line and above
    LibreOffice's 11.2, so that no line is cut off in Excel.
    """
    chars_per_line = max(width * CHARS_PER_WIDTH * (BOLD_CHARS if bold else 1.0), 1.0)
    lines = 1
    for text in texts:
        if isinstance(text, str) and text:
            lines = max(lines, wrapped_lines(text, chars_per_line))
    return float(min(LINE_PT * lines + 2, 409))


def wrapped_lines(text: str, chars: float) -> int:
    """The lines a word wrap at ``chars`` characters a line makes of ``text``: a word goes
    to the next line when it does not fit on the current one, a word longer than a line
    is broken (as LibreOffice and Excel do), and every newline starts a line."""
    lines = 0
    for part in text.split("\n"):
        n, used = 1, 0.0
        for word in part.split():
            size = len(word)
            if used and used + 1 + size > chars:
                n, used = n + 1, 0.0
            used += size + (1 if used else 0)
            while used > chars:  # a word longer than the line
                n, used = n + 1, used - chars
        lines += n
    return lines


def _cooccurrence_sheet(wb: Workbook, report: _Report) -> None:
    """Code × code in two blocks; each block's total row is its diagonal (the segments
    with the column code), the denominator a reader compares each pair against."""
    split = report.split_cooccurrence

    def diagonal(table: pd.DataFrame | None) -> pd.Series | None:
        if table is None:
            return None
        return pd.Series(
            [int(table.at[c, c]) if c in table.index else 0 for c in table.columns],
            index=table.columns,
        )

    confirmed = diagonal(split.confirmed)
    assert confirmed is not None
    _matrix_sheet(
        wb,
        "Co-occurrence",
        report,
        split,
        (confirmed, diagonal(split.unreviewed)),
        "Segments with the column code",
        scale_columns=len(split.confirmed.columns),
        upright_header=True,
        name_width=CODE_NAME_PRINT,
    )


CODING_HEADERS = {
    "segment_id": "Segment id",
    "document": "Document",
    "seq": "Segment no.",
    "speaker": "Speaker",
    "is_interviewer": "Interviewer turn",
    "code_id": "Code id",
    "code_name": "Code",
    "parent_id": "Parent code",
    "status": "Status",
    "source": "Source",
    "coder": "Coder",
    "confidence": "Confidence",
    "reason": "Reason",
    "note": "Note",
    "passage": "Coded passage",
    "text": "Text",
}


def _codings_sheet(wb: Workbook, report: _Report) -> None:
    """The Codings sheet's header row, widths and table; the rows are streamed in on save."""
    ws = wb.create_sheet(CODINGS_SHEET)
    headers = codings_headers(report.cf)
    n_rows = len(report.cf.codings)
    widths = {
        "Text": 80,
        "Coded passage": 40,
        "Reason": 40,
        "Note": 30,
        "Document": 30,
        "Segment id": 18,
    }
    _widths(ws, [widths.get(h, 16) for h in headers])
    ws.freeze_panes = "A2"
    ws.page_setup.orientation = "landscape"
    ws.print_title_rows = "1:1"
    ws.print_area = "A1:C1"
    _footer(ws)
    ws.oddHeader.left.text = codings_print_note(n_rows)
    ws.oddHeader.left.size = 11
    ws.append(_header(ws, headers))
    ref = f"A1:{get_column_letter(len(headers))}{n_rows + 1}"
    if n_rows:
        with warnings.catch_warnings():  # openpyxl warns in write-only mode; columns are given
            warnings.simplefilter("ignore", UserWarning)
            ws.add_table(_table(CODINGS_SHEET, ref, headers))
    else:
        ws.auto_filter.ref = ref


def _codings_columns(cf: mx.CodingFrame) -> list[str]:
    """The Codings sheet's columns of ``cf.codings``, ``case`` (computed) fourth."""
    attr_cols = list(cf.attribute_columns.values())
    columns = ["segment_id", "document", "seq", "case", *attr_cols, "speaker", "is_interviewer"]
    columns += ["code_id", "code_name", "parent_id", "status", "source", "coder", "confidence"]
    # text last: written per segment on save
    return [*columns, "reason", "note", "passage", "text"]


def codings_headers(cf: mx.CodingFrame) -> list[str]:
    """The Codings sheet's column headers (those of :func:`codings_table`)."""
    return unique_headers(
        [CODING_HEADERS.get(c, "Case" if c == "case" else c) for c in _codings_columns(cf)]
    )


def codings_table(cf: mx.CodingFrame, by: Sequence[str]) -> pd.DataFrame:
    """One row per counted coding with every attribute, under the Codings sheet's headers."""
    frame = cf.codings
    columns = [c for c in _codings_columns(cf) if c != "case"]
    data = frame[columns].astype(object).where(frame[columns].notna(), None)
    data.insert(3, "case", frame["document_id"].map(mx.case_labels(cf, by)).to_numpy())
    data.columns = codings_headers(cf)
    return data.reset_index(drop=True)


def _table(name: str, ref: str, headers: Sequence[str]) -> Table:
    """An Excel table with its filter; columns named here (write-only sheets cannot be read back)."""
    return Table(
        displayName=name,
        ref=ref,
        tableColumns=[TableColumn(id=i, name=h) for i, h in enumerate(headers, start=1)],
        tableStyleInfo=TableStyleInfo(name="TableStyleLight9", showRowStripes=True),
        autoFilter=AutoFilter(ref=ref),
    )


#: Memos: the columns and widths; the passage and the memo wrap.
MEMO_COLUMNS = (  # 180 characters: printed fitted to one page width (FIT_CHARS)
    ("On", 9),
    ("Document or code", 26),
    ("Speaker", 12),
    ("Passage", 42),
    ("Memo", 50),
    ("Coder", 11),
    ("Written", 16),
    ("Note", 14),
)


def _memos_sheet(wb: Workbook, store: Store) -> None:
    """Every memo of the project (research notes belong with the findings they explain)."""
    from themegrid.store.memos import report_memos

    memos = report_memos(store)
    if not memos:
        return
    ws = wb.create_sheet("Memos")
    widths = [w for _h, w in MEMO_COLUMNS]
    _widths(ws, widths)
    ws.freeze_panes = "A2"
    _print_setup(ws, widths, n_rows=len(memos) + 1)
    ws.append(_header(ws, [h for h, _w in MEMO_COLUMNS]))
    kinds = {"project": "project", "document": "document", "segment": "passage", "code": "code"}
    for m in memos:
        note = (
            m.note
            if m.still_in_file
            else "; ".join(
                filter(None, ["its passage is no longer in the edited file (kept)", m.note])
            )
        )
        ws.append(
            [
                _cell(ws, kinds.get(m.kind, m.kind), alignment=WRAP_TOP),
                _cell(ws, m.on, alignment=WRAP_TOP),
                _cell(ws, m.speaker, alignment=WRAP_TOP),
                _cell(ws, m.passage, alignment=WRAP_TOP),
                _cell(ws, m.text, alignment=WRAP_TOP),
                _cell(ws, m.coder, alignment=WRAP_TOP),
                _cell(ws, m.created_at[:16].replace("T", " "), alignment=WRAP_TOP),
                _cell(ws, note, alignment=WRAP_TOP),
            ]
        )


def _agreement_sheet(wb: Workbook, store: Store, report: _Report) -> None:
    """Agreement among the human coders (those the report counts, with ``--coder``): all
    of them on the segments every one saw, and with three or more, each pair on the
    segments both saw (a third coder who reviewed elsewhere must not empty the sheet)."""
    from themegrid.aggregate.agreement import compute_agreement, known_coders

    coders = list(report.cf.coders) or known_coders(store)
    if len(coders) < 2:
        return
    groups = [tuple(coders)]
    if len(coders) > 2:
        groups += list(itertools.combinations(coders, 2))
    found = [r for r in (compute_agreement(store, list(g)) for g in groups) if r.per_code]
    if not found:
        return
    names = report.cf.codes["name"].to_dict()
    ws = wb.create_sheet("Agreement")
    n_applied = max(len(r.coders) for r in found)
    widths = [34, 30, *([17] * (n_applied + 4)), 40]
    _widths(ws, widths)
    ws.freeze_panes = "A2"
    rows: list[list[Any]] = []
    intro = (
        "Agreement is computed on the segments the coders all saw (reviewed, or coded"
        " in the browser); a segment one of them never reached is left out. Units: segments"
        " (pooled over codes: segment and code pairs)."
    )
    rows.append([_cell(ws, intro)])
    for r in found:
        who = " and ".join(r.coders) if len(r.coders) == 2 else ", ".join(r.coders)
        saw = "both saw" if len(r.coders) == 2 else "all of them saw"
        rows.append([])
        title = f"Agreement between {who}: {r.n_segments} segment(s) {saw}"
        rows.append([_cell(ws, title, font=HEADER_FONT)])
        figures = ["Percent agreement", "Cohen's kappa", "Krippendorff's alpha", "Note"]
        rows.append(_header(ws, ["Figure", "", "Units", *figures]))
        for label, f in (("Pooled over codes", r.pooled), ("Mean over codes", r.mean)):
            rows.append(_agreement_figures(ws, [label, ""], f))
        rows.append([])
        applied = [f"Applied by {c}" for c in r.coders]
        rows.append(_header(ws, ["Code", "Name", *applied, "Segments", *figures]))
        for c in r.per_code:
            lead = [c.code_id, names.get(c.code_id, ""), *(c.applied.get(k, 0) for k in r.coders)]
            rows.append(_agreement_figures(ws, lead, c.figures))
        if r.disagreements:
            rows.append([])
            heads = ["Document", "Passage", "Code", "Applied by", "Not applied by", "Segment id"]
            rows.append(_header(ws, heads))
            for d in r.disagreements:
                rows.append(
                    [
                        _cell(ws, d.document),
                        _cell(ws, d.excerpt),
                        _cell(ws, f"{d.code_id} {names.get(d.code_id, '')}".strip()),
                        _cell(ws, ", ".join(d.applied_by)),
                        _cell(ws, ", ".join(d.not_applied_by)),
                        _cell(ws, d.segment_id),
                    ]
                )
    _print_setup(ws, widths, n_rows=len(rows))
    for row in rows:
        ws.append(row)


def _agreement_figures(ws: Any, lead: list[Any], f: Any) -> list[Any]:
    """``lead`` cells, then the segments, percent (0.0), kappa and alpha (0.00), note."""
    return [
        *(_cell(ws, v) for v in lead),
        f.n_units,
        _cell(ws, f.percent, number_format="0.0") if f.percent is not None else None,
        _cell(ws, f.kappa, number_format="0.00") if f.kappa is not None else None,
        _cell(ws, f.alpha, number_format="0.00") if f.alpha is not None else None,
        _cell(ws, f.note),
    ]


#: Codebook: the printed columns (Name to Examples, fitted to the page width) first; the
#: parent (shown by the indent of the name), level, codable and origin after them, on screen.
CODEBOOK_COLUMNS = (
    ("Code id", 24),
    ("Name", 26),
    ("Definition", 40),
    ("Include", 32),
    ("Exclude", 32),
    ("Examples", 40),
    ("Parent", 20),
    ("Level", 7),
    ("Codable", 9),
    ("Origin", 11),
)
CODEBOOK_PRINTED = 6


def _codebook_sheet(wb: Workbook, report: _Report) -> None:
    ws = wb.create_sheet("Codebook")
    headers = [h for h, _w in CODEBOOK_COLUMNS]
    widths = [w for _h, w in CODEBOOK_COLUMNS]
    _widths(ws, widths)
    ws.freeze_panes = "C2"
    ws.sheet_properties.outlinePr = Outline(summaryBelow=False, summaryRight=True)
    _print_setup(ws, widths[:CODEBOOK_PRINTED], names_column=True, n_rows=len(report.cf.codes) + 1)
    book = report.codebook
    rows = []
    for code_id, rec in report.cf.codes.iterrows():
        examples = "\n".join(book.get(code_id).examples) if book and code_id in book else ""
        row = [code_id, rec["name"], rec["definition"], rec["include"], rec["exclude"], examples]
        row += [rec["parent_id"], int(rec["depth"]), bool(rec["codable"]), rec["origin"]]
        rows.append(row)
    # Write-only rows take their heights first (LibreOffice does not grow wrapped rows).
    for offset, row in enumerate(rows):
        height = max(
            _row_height([v], w - 2 * (i == 1) * row[7])
            for i, (v, w) in enumerate(zip(row, widths, strict=True))
        )
        ws.row_dimensions[offset + 2].height = height
    ws.append(_header(ws, headers))
    leaves = report.leaf_codes
    for row in rows:
        depth, parent = int(row[7]), row[0] not in leaves
        font = {"font": PARENT_FONT} if parent else {}
        cells_ = [_cell(ws, v, alignment=WRAP_TOP, **font) for v in row]
        cells_[1] = _cell(ws, row[1], alignment=_indented(depth, True), **font)
        ws.append(cells_)
