"""The commands as library calls: one function per ``themegrid`` command.

Each takes the project (a :class:`~themegrid.project.Project` or the path of its
folder), does everything the command does — the checks included — and returns a
frozen dataclass. The command line only parses arguments, calls one of these and
prints the result, so a researcher working in Python gets exactly what the
command does::

    import themegrid
    summary = themegrid.code("~/studies/pcbl")
    themegrid.report("~/studies/pcbl", by="state")

Heavy libraries (spaCy, pandas, scikit-learn) are imported inside the functions
that need them, so ``import themegrid`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from themegrid.errors import CodebookError, ProjectError
from themegrid.exchange.options import DEFAULT_IMPORT_OPTIONS, ImportOptions
from themegrid.project import Project, open_project

if TYPE_CHECKING:
    from themegrid.aggregate.agreement import AgreementReport
    from themegrid.aggregate.evaluate import EvaluationReport, LearningCurve
    from themegrid.codebook.check import CheckReport
    from themegrid.codebook.model import Codebook
    from themegrid.exchange.coded import ImportSummary as CodedImportSummary
    from themegrid.exchange.coded import Layout
    from themegrid.exchange.qualcoder import QualcoderSummary
    from themegrid.exchange.quotes import QuotesSummary
    from themegrid.exchange.refi import ImportSummary as RefiImportSummary
    from themegrid.exchange.refi import QdcExport, QdpxExport
    from themegrid.exchange.review import ExportSummary, ReviewImportSummary
    from themegrid.exchange.taguette import TaguetteSummary
    from themegrid.export.report import ReportResult
    from themegrid.pipeline.coding import CodingSummary
    from themegrid.pipeline.ingest import IngestSummary, ProgressFn
    from themegrid.pipeline.merge import MergeSummary, UnmergeSummary
    from themegrid.pipeline.remove import RemoveSummary
    from themegrid.pipeline.status import ProjectStatus
    from themegrid.store.backup import RestorePlan
    from themegrid.store.connection import Store

ProjectLike = Project | str | Path
DEFAULT_REPORT = Path("reports") / "theme_matrix.xlsx"
DEFAULT_REVIEW = Path("reports") / "review.xlsx"


def project_of(project: ProjectLike, *, need: tuple[str, ...] = ("codebook",)) -> Project:
    """The project itself, or the one found at (or, for ``"."``, above) a path."""
    if isinstance(project, Project):
        return project
    return open_project(Path(project).expanduser(), need=need)


def _need_store(proj: Project, what: str = "nothing coded yet") -> None:
    if not proj.store_path.exists():
        raise ProjectError(f"{proj.root}: {what}; run 'themegrid code' first")


def _off_codebook(store: Store, book: Codebook) -> tuple[str, ...]:
    """Warnings for human decisions on codes the codebook does not have (renamed ids)."""
    from themegrid.codebook.orphans import known_ids, off_codebook_warnings
    from themegrid.store.codes import human_decisions_off_codebook

    return off_codebook_warnings(book, human_decisions_off_codebook(store, known_ids(book)))


def _coder(store: Store, coder: str, *, new_coder: bool, insist: str = "--new-coder") -> str:
    """The coder name checked against the project's coders: ``ana`` beside ``Ana`` is
    refused with "did you mean" unless ``new_coder``."""
    from themegrid.exchange.labels import check_coder_known
    from themegrid.store.views import coders_with_decisions_or_views

    existing = () if new_coder else coders_with_decisions_or_views(store)
    return check_coder_known(coder, existing, insist=insist)


# --- read -> segment -> tag -> store ---------------------------------------------------------


def ingest(
    project: ProjectLike, *, prune: bool = False, progress: ProgressFn | None = None
) -> IngestSummary:
    """``themegrid ingest``: read new and changed corpus files into the store."""
    from themegrid.pipeline.ingest import ingest as run_ingest

    proj = project_of(project, need=("corpus",))
    with proj.open_store() as store:
        return run_ingest(proj, store, prune=prune, progress=progress)


def code(
    project: ProjectLike,
    *,
    include_interviewers: bool = False,
    use_model: bool = True,
    prune: bool = False,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    semantic: bool | None = None,
) -> CodingSummary:
    """``themegrid code``: ingest, then suggest codes for every codable segment (one run).

    ``semantic``: semantic suggestions on/off (None: the codebook's ``semantic:`` setting)."""
    from themegrid.pipeline.coding import run_coding
    from themegrid.pipeline.merge import settle_codebook_files

    proj = project_of(project, need=("codebook", "corpus"))
    codebook = proj.load_codebook()
    with proj.open_store() as store:
        if settle_codebook_files(store, proj.codebook_dir):  # a merge killed after COMMIT
            codebook = proj.load_codebook()
        summary = run_coding(
            proj,
            store,
            codebook,
            include_interviewers=include_interviewers,
            use_model=use_model,
            prune=prune,
            progress=progress,
            workers=workers,
            semantic=semantic,
        )
        return replace(summary, codebook_warnings=_off_codebook(store, codebook))


def status(project: ProjectLike, runs: int | None = 10) -> ProjectStatus:
    """``themegrid status``: what the store holds, with the latest ``runs`` of the run
    history (None: every run)."""
    from themegrid.pipeline.status import project_status

    proj = project_of(project, need=())
    if not proj.store_path.exists():
        raise ProjectError(
            f"{proj.root}: no project store yet; run 'themegrid code' (or 'themegrid ingest') first"
        )
    try:
        book = proj.load_codebook() if proj.codebook_dir.is_dir() else None
    except CodebookError:  # status still reports; 'codebook check' says what is wrong
        book = None
    with proj.open_store() as store:
        found = project_status(store, runs)
        warnings = _off_codebook(store, book) if book is not None else ()
    return replace(found, codebook_warnings=warnings)


def check_codebook(project: ProjectLike) -> CheckReport:
    """``themegrid codebook check``: validation plus each code's examples through its cues."""
    from themegrid.codebook.check import check_codebook as run_check

    proj = project_of(project)
    report = run_check(proj.codebook_dir)
    if report.codebook is None or not proj.store_path.exists():
        return report
    with proj.open_store() as store:
        extra = _off_codebook(store, report.codebook)
    # the warnings that need a decision (human decisions on codes not in the codebook) first
    return replace(report, warnings=extra + report.warnings)


# --- aggregate -> export ----------------------------------------------------------------------


def report(
    project: ProjectLike,
    out: Path | str | None = None,
    *,
    html: bool = False,
    by: str | Sequence[str] | None = None,
    accepted_only: bool = False,
    csv_dir: Path | str | None = None,
    raw_csv: bool = False,
    roll_up: bool = True,
    coders: Sequence[str] | None = None,
) -> ReportResult:
    """``themegrid report``: the cross-case theme matrices as an Excel workbook (and HTML).

    ``by`` defaults to ``state`` when the study has it, else the first case attribute
    of ``corpus/metadata.csv``; the result says which was used and why.
    """
    from themegrid.aggregate.matrix import has_codings
    from themegrid.export.report import write_reports

    proj = project_of(project)
    codebook = proj.load_codebook()
    _need_store(proj)
    target = Path(out) if out is not None else proj.root / DEFAULT_REPORT
    with proj.open_store() as store:
        if not has_codings(store):
            raise ProjectError(f"{proj.store_path}: no codings yet; run 'themegrid code' first")
        return write_reports(
            store,
            codebook,
            target,
            html_out=target.with_suffix(".html") if html else None,
            by=((by,) if isinstance(by, str) else tuple(by)) if by else None,
            metadata_path=proj.metadata_path,
            include="accepted" if accepted_only else "suggested",
            csv_dir=Path(csv_dir) if csv_dir is not None else None,
            project_name=proj.root.name,
            roll_up=roll_up,
            coders=coders,
            raw_csv=raw_csv,
        )


@dataclass(frozen=True)
class SegmentsExport:
    """What ``export segments`` wrote: rows, and CSV cells given a leading ``'``."""

    path: Path
    rows: int
    quoted: int


def export_segments(
    project: ProjectLike, out: Path | str | None = None, *, raw: bool = False
) -> SegmentsExport:
    """``themegrid export segments``: one row per segment as CSV or Excel."""
    from themegrid.export.segments import write_segments

    proj = project_of(project, need=())
    if not proj.store_path.exists():
        raise ProjectError(f"{proj.root}: no project store yet; run 'themegrid ingest' first")
    target = Path(out) if out is not None else proj.reports_dir / "segments.csv"
    with proj.open_store() as store:
        rows, quoted = write_segments(store, target, raw=raw)
    return SegmentsExport(target, rows, quoted)


def agreement(project: ProjectLike, coders: Sequence[str]) -> AgreementReport:
    """``themegrid agreement``: per-code agreement of two or more human coders."""
    from themegrid.aggregate.agreement import compute_agreement

    proj = project_of(project, need=())
    if not proj.store_path.exists():
        raise ProjectError(
            f"{proj.store_path}: no project store here; pass --project DIR or run 'themegrid code' first"
        )
    with proj.open_store() as store:
        result = compute_agreement(store, coders)
    if result.n_segments == 0:
        raise ProjectError(
            f"{', '.join(coders)} have no segment in common, so there is nothing to compare; "
            "give each coder a copy of the same review sheet ('themegrid review export') or "
            "import their codings of the same spreadsheet with 'themegrid import-coded'"
        )
    return result


def evaluate(
    project: ProjectLike,
    against: str,
    *,
    folds: int = 5,
    baseline: bool = True,
    context: bool = False,
    progress: Callable[[str], None] | None = None,
) -> EvaluationReport:
    """``themegrid evaluate``: cross-validated rules, model and both against a human coder."""
    from themegrid.aggregate.evaluate import evaluate as run_evaluate
    from themegrid.tag.model import SuggestionModel

    proj = project_of(project)
    codebook = proj.load_codebook()
    _need_store(proj)
    with proj.open_store() as store:
        return run_evaluate(
            store,
            codebook,
            against,
            folds=folds,
            model_factory=lambda: SuggestionModel(context=context, n_jobs=-1),
            n_jobs=-1,
            baseline=baseline,
            progress=progress,
        )


def learning_curve(
    project: ProjectLike,
    against: str,
    *,
    folds: int = 5,
    baseline: bool = True,
    progress: Callable[[str], None] | None = None,
) -> LearningCurve:
    """``themegrid evaluate --curve``: scores after 25, 50, 100, ... of the coder's decisions."""
    from themegrid.aggregate.evaluate import learning_curve as run_curve

    proj = project_of(project)
    codebook = proj.load_codebook()
    _need_store(proj)
    with proj.open_store() as store:
        return run_curve(
            store, codebook, against, folds=folds, n_jobs=-1, baseline=baseline, progress=progress
        )


# --- exchange ---------------------------------------------------------------------------------


def review_export(
    project: ProjectLike,
    out: Path | str | None = None,
    *,
    limit: int | None = None,
    codes: Sequence[str] | None = None,
    by_segment: bool = False,
    coder: str | None = None,
) -> ExportSummary:
    """``themegrid review export``: a sheet of pending suggestions to decide in Excel
    (``coder``: the blind sheet for that coder: the suggestions they have not decided)."""
    from themegrid.exchange.review import export_review

    proj = project_of(project)
    _need_store(proj)
    target = Path(out) if out is not None else proj.root / DEFAULT_REVIEW
    with proj.open_store() as store:
        return export_review(
            store,
            proj.load_codebook(),
            target,
            limit=limit,
            codes=codes,
            by_segment=by_segment,
            coder=coder,
        )


def review_import(
    project: ProjectLike,
    file: Path | str,
    *,
    coder: str,
    skip_changed: bool = False,
    new_coder: bool = False,
) -> ReviewImportSummary:
    """``themegrid review import``: store a filled review sheet's decisions as ``coder``'s
    (``skip_changed``: leave out, and list, rows on segments edited since the export;
    ``new_coder``: accept a name differing from a known coder's only in case or spaces)."""
    from themegrid.exchange.review import import_review

    proj = project_of(project)
    _need_store(proj)
    with proj.open_store() as store:
        coder = _coder(store, coder, new_coder=new_coder, insist="")
        return import_review(
            store, file, coder=coder, codebook=proj.load_codebook(), skip_changed=skip_changed
        )


def import_coded(
    project: ProjectLike,
    files: Sequence[Path | str],
    *,
    coder: str,
    layout: Layout | None = None,
    rows_are_documents: bool | None = None,
    document_name: str | None = None,
    document_column: str | None = None,
    add_codes: bool = False,
    sheet: str | None = None,
    skip_bad_rows: bool = False,
    code_map: Path | str | None = None,
    new_coder: bool = False,
) -> CodedImportSummary:
    """``themegrid import-coded``: spreadsheets of already-coded excerpts as ``coder``'s codings.

    Skipped rows are listed in ``reports/``; codes created by ``add_codes`` are written
    to ``codebook/imported_<coder>.yaml``. A ``coder`` differing from a known coder's
    name only in case or spaces is refused unless ``new_coder``.
    """
    from themegrid.exchange.coded import Layout
    from themegrid.exchange.coded import import_coded as run_import

    proj = project_of(project)
    with proj.open_store() as store:
        coder = _coder(store, coder, new_coder=new_coder)
        return run_import(
            store,
            files,
            coder=coder,
            codebook=proj.load_codebook(),
            layout=layout or Layout(),
            rows_are_documents=rows_are_documents,
            document_name=document_name,
            document_column=document_column,
            add_codes=add_codes,
            sheet=sheet,
            skip_bad_rows=skip_bad_rows,
            report_dir=proj.reports_dir,
            codebook_dir=proj.codebook_dir,
            code_map=Path(code_map) if code_map is not None else None,
        )


def export_qdc(project: ProjectLike, out: Path | str | None = None) -> QdcExport:
    """``themegrid export qdc``: the codebook as REFI-QDA (default ``reports/codebook.qdc``)."""
    from themegrid.exchange.refi import export_qdc as run_export

    proj = project_of(project)
    return run_export(proj, out or proj.reports_dir / "codebook.qdc")


def export_qdpx(
    project: ProjectLike, out: Path | str | None = None, *, include_suggestions: bool = False
) -> QdpxExport:
    """``themegrid export qdpx``: the coded project as REFI-QDA (default ``reports/project.qdpx``)."""
    from themegrid.exchange.refi import export_qdpx as run_export

    proj = project_of(project)
    return run_export(
        proj, out or proj.reports_dir / "project.qdpx", include_suggestions=include_suggestions
    )


def import_qdc(project: ProjectLike, file: Path | str) -> RefiImportSummary:
    """``themegrid import qdc``: a REFI-QDA codebook into the store and ``codebook/``."""
    from themegrid.exchange.refi import import_qdc as run_import

    return run_import(project_of(project), file)


def import_qdpx(
    project: ProjectLike,
    file: Path | str,
    options: ImportOptions = DEFAULT_IMPORT_OPTIONS,
) -> RefiImportSummary:
    """``themegrid import qdpx``: a REFI-QDA project: codes, text sources and their codings."""
    from themegrid.exchange.refi import import_qdpx as run_import

    return run_import(project_of(project), file, options)


def import_taguette(
    project: ProjectLike,
    file: Path | str,
    options: ImportOptions = DEFAULT_IMPORT_OPTIONS,
) -> TaguetteSummary:
    """``themegrid import taguette``: a Taguette project database, read-only."""
    from themegrid.exchange.taguette import import_taguette as run_import

    return run_import(project_of(project), file, options)


def import_qualcoder(
    project: ProjectLike,
    path: Path | str,
    options: ImportOptions = DEFAULT_IMPORT_OPTIONS,
) -> QualcoderSummary:
    """``themegrid import qualcoder``: a QualCoder project (``.qda`` folder or ``data.qda``)."""
    from themegrid.exchange.qualcoder import import_qualcoder as run_import

    return run_import(project_of(project), path, options)


def import_quotes(
    project: ProjectLike,
    file: Path | str,
    *,
    coder: str,
    add_codes: bool = False,
    complete: bool = False,
    document_column: str | None = None,
    code_column: str | None = None,
    quote_column: str | None = None,
    new_coder: bool = False,
    code_interviewer_turns: bool = False,
) -> QuotesSummary:
    """``themegrid import quotes``: coded quotes (MAXQDA's Coded Segments) into ingested documents.
    The ``*_column`` arguments name the table's columns (default: found by header or cells)."""
    from themegrid.exchange.quotes import QuoteColumns
    from themegrid.exchange.quotes import import_quotes as run_import

    proj = project_of(project)
    _need_store(proj)
    with proj.open_store() as store:
        coder = _coder(store, coder, new_coder=new_coder)
    return run_import(
        proj,
        file,
        coder=coder,
        add_codes=add_codes,
        complete=complete,
        columns=QuoteColumns(document_column, code_column, quote_column),
        code_interviewer_turns=code_interviewer_turns,
    )


def merge_codes(project: ProjectLike, sources: Sequence[str], into: str) -> MergeSummary:
    """``themegrid codebook merge``: every coding of ``sources`` onto ``into``, one run."""
    from themegrid.pipeline.merge import merge_codes as run_merge
    from themegrid.pipeline.merge import settle_codebook_files

    proj = project_of(project)
    _need_store(proj)
    with proj.open_store() as store:
        settle_codebook_files(store, proj.codebook_dir)
        return run_merge(store, proj.load_codebook(), list(sources), into, proj.codebook_dir)


def unmerge(project: ProjectLike, run_id: int) -> UnmergeSummary:
    """``themegrid codebook unmerge``: undo a merge run from the history."""
    from themegrid.pipeline.merge import settle_codebook_files
    from themegrid.pipeline.merge import unmerge as run_unmerge

    proj = project_of(project)
    _need_store(proj)
    with proj.open_store() as store:
        settle_codebook_files(store, proj.codebook_dir)
        return run_unmerge(store, run_id, proj.codebook_dir)


def remove(project: ProjectLike, document: str, *, force: bool = False) -> RemoveSummary:
    """``themegrid remove``: take a document out of the project (``force``: keep its human
    decisions as orphaned codings)."""
    from themegrid.pipeline.remove import remove_document

    proj = project_of(project, need=())
    _need_store(proj, "no project store yet")
    with proj.open_store() as store:
        return remove_document(proj, store, document, force=force)


# --- backups --------------------------------------------------------------------------------


def backups(project: ProjectLike) -> list[Path]:
    """``themegrid backups``: the store's automatic backups, oldest first."""
    from themegrid.store.connection import list_backups

    return list_backups(project_of(project, need=()).store_path)


def plan_restore(project: ProjectLike, backup: Path | str) -> RestorePlan:
    """``themegrid restore``, first step: check the backup, count what restoring would lose."""
    from themegrid.store.backup import plan_restore as run_plan

    return run_plan(project_of(project, need=()).store_path, backup)


def restore(plan: RestorePlan) -> Path | None:
    """``themegrid restore``, second step: replace the store; returns the copy made of it first."""
    from themegrid.store.backup import restore_backup

    return restore_backup(plan)
