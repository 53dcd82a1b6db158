"""``themegrid report``: the workbook and, on request, the HTML report from one computation.

:func:`write_reports` reads the codings that count once, chooses the case attribute
(:func:`themegrid.aggregate.matrix.choose_by`), computes every matrix once and writes
the workbook (:mod:`themegrid.export.workbook`) and the HTML file
(:mod:`themegrid.export.html`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from themegrid.aggregate import matrix as mx
from themegrid.codebook.model import Codebook
from themegrid.export import workbook as wb
from themegrid.store.connection import Store


@dataclass(frozen=True)
class ReportResult:
    """What :func:`write_reports` wrote, and why the columns are what they are."""

    workbook: wb.WorkbookSummary
    html: Path | None
    by_reason: str


def write_reports(
    store: Store,
    codebook: Codebook | None,
    out: Path,
    *,
    html_out: Path | None = None,
    by: Sequence[str] | None = None,
    metadata_path: Path | None = None,
    include: mx.Include = "suggested",
    roll_up: bool = True,
    quotes: int = 3,
    csv_dir: Path | None = None,
    project_name: str | None = None,
    coders: Sequence[str] | None = None,
    raw_csv: bool = False,
) -> ReportResult:
    """Write the workbook to ``out`` and, with ``html_out``, the HTML report.

    ``metadata_path`` (``corpus/metadata.csv``): its header order decides the case
    attribute when ``by`` is not given and no document has ``state``. The garbage
    collector is paused meanwhile (:func:`themegrid.export.workbook.collection_paused`).
    """
    with wb.collection_paused():
        return _write_reports(
            store,
            codebook,
            out,
            html_out=html_out,
            by=by,
            metadata_path=metadata_path,
            include=include,
            roll_up=roll_up,
            quotes=quotes,
            csv_dir=csv_dir,
            project_name=project_name,
            coders=coders,
            raw_csv=raw_csv,
        )


def _write_reports(
    store: Store,
    codebook: Codebook | None,
    out: Path,
    *,
    html_out: Path | None,
    by: Sequence[str] | None,
    metadata_path: Path | None,
    include: mx.Include,
    roll_up: bool,
    quotes: int,
    csv_dir: Path | None,
    project_name: str | None,
    coders: Sequence[str] | None,
    raw_csv: bool,
) -> ReportResult:
    cf = mx.load_codings(store, codebook, include=include, coders=coders)
    order: tuple[str, ...] = ()
    # The metadata's column order matters only when neither --by nor state decides.
    if (
        not by
        and mx.DEFAULT_BY not in cf.attributes
        and metadata_path is not None
        and metadata_path.exists()
    ):
        from themegrid.read.metadata import read_metadata  # the readers: only when needed

        order = read_metadata(metadata_path).attribute_columns
    choice = mx.choose_by(cf, by, order)
    # A second process computes the Framework quotes and renders the Codings rows meanwhile.
    with wb.BackgroundParts.start(cf, choice.by, k=quotes, roll_up=roll_up) as rows:
        report = wb.compute_report(cf, codebook, choice.by, roll_up, quotes, rows)
        summary = wb.write_report_workbook(
            store,
            report,
            out,
            csv_dir=csv_dir,
            project_name=project_name,
            raw_csv=raw_csv,
            codings_rows=rows,
        )
    html_path = None
    if html_out is not None:
        from themegrid.export.html import write_html

        facts = wb.about_facts(store, report, project_name)
        from themegrid.store.memos import report_memos

        html_path = write_html(
            report,
            html_out,
            project_name=project_name or "themegrid",
            facts=facts,
            memos=report_memos(store),
        )
    return ReportResult(summary, html_path, choice.reason + _without_value(cf, choice.by))


def _without_value(cf: mx.CodingFrame, by: Sequence[str]) -> str:
    """'; 2 document(s) have no value for it ...': the '(none)' column explained, with the
    documents (a metadata row missing or misspelt is the usual cause)."""
    if tuple(by) == (mx.DOCUMENT_CASE,):
        return ""
    columns = [cf.attribute_columns.get(b, b) for b in by]
    docs = cf.documents
    if not all(c in docs for c in columns):
        return ""
    missing = docs[docs[columns].isna().any(axis=1) | (docs[columns] == mx.NONE_LABEL).any(axis=1)]
    if missing.empty:
        return ""
    names = sorted(str(d) for d in missing["document"])
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"; {len(names)} document(s) have no value for it and are counted under "
        f"'{mx.NONE_LABEL}': {shown} (give them one in corpus/metadata.csv)"
    )
