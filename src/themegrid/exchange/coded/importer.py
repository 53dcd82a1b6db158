"""import-coded: validate every file, row and code, then write once, in one run.

Every problem of the files is reported in one run (rows, codes, matching), each
kind up to :data:`MAX_SHOWN` with a count of the rest.

The writes go through the store: codes created by the import, new documents and
segments, attribute values of matched documents, and the coder's decisions
(new codings, re-accepted rejections, and codes a re-import dropped withdrawn).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from themegrid.codebook.files import template_to_replace
from themegrid.codebook.model import Codebook
from themegrid.errors import Problem, ValidationError
from themegrid.exchange.coded.codes import merge_candidates, read_code_map, resolve_row_codes
from themegrid.exchange.coded.columns import Columns, Layout, attribute_key, find_columns
from themegrid.exchange.coded.outputs import write_outputs
from themegrid.exchange.coded.plan import Plan, plan_import
from themegrid.exchange.coded.rows import (
    Row,
    RowNotes,
    SkippedRow,
    constant_attributes,
    parse_rows,
    read_coded_table,
    row_of,
    unheaded_problems,
)
from themegrid.exchange.labels import CodeIndex, KnownCode, check_coder, known_codes
from themegrid.read.table import Table
from themegrid.store import codes as store_codes
from themegrid.store import codings as store_codings
from themegrid.store import documents as docs_store
from themegrid.store import segments as segs_store
from themegrid.store.backup import backup_before
from themegrid.store.connection import Store, now
from themegrid.store.runs import finish_run, start_run

#: How many problems of each kind (rows and files; codes not in the codebook) an error lists.
MAX_SHOWN = 40


@dataclass(frozen=True)
class ImportSummary:
    run_id: int
    coder: str
    files: int
    rows: int
    documents_created: int
    documents_matched: int
    segments_created: int
    segments_matched: int
    codings_added: int
    codings_unchanged: int
    codings_replaced: int
    codings_withdrawn: int
    views_added: int
    codes_created: tuple[KnownCode, ...] = ()
    rows_are_documents: bool = False
    documents_by: str | None = None  # the column whose values name the documents
    documents_updated: int = 0  # existing documents given new attribute values
    rows_merged: int = 0  # rows folded into an earlier row with the same id and text
    no_code_cells: int = 0  # code cells holding a "no code" marker
    warnings: tuple[str, ...] = ()  # an id repeated with another text; failed-formula texts
    skipped: tuple[SkippedRow, ...] = ()  # rows left out by skip_bad_rows
    skipped_report: str | None = None  # the CSV listing them
    codebook_file: str | None = None  # imported_<name>.yaml written for created codes
    template_replaced: bool = False  # the untouched template codebook was emptied
    merge_candidates: tuple[str, ...] = ()  # commands merging near-duplicate codes
    # documents matched to another file's document by their --document-column value
    documents_matched_by_value: int = 0
    rows_appended: int = 0  # rows of matched documents added to them as new segments
    # documents created although a document with the same --document-column value exists
    documents_apart: int = 0

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            k: v for k, v in self.__dict__.items() if k not in ("codes_created", "skipped")
        }
        out["codes_created"] = [c.id for c in self.codes_created]
        # the full lists are in the skipped-rows CSV and the command's output
        out["skipped"] = len(self.skipped)
        out["skipped_first"] = [s.__dict__ for s in self.skipped[:20]]
        out["warnings"] = list(self.warnings[:20])
        out["warnings_total"] = len(self.warnings)
        return out


def import_coded(
    store: Store,
    files: Sequence[Path | str],
    *,
    coder: str,
    codebook: Codebook,
    layout: Layout = Layout(),
    rows_are_documents: bool | None = None,
    document_name: str | None = None,
    document_column: str | None = None,
    add_codes: bool = False,
    sheet: str | None = None,
    skip_bad_rows: bool = False,
    report_dir: Path | None = None,
    codebook_dir: Path | None = None,
    code_map: Path | None = None,
) -> ImportSummary:
    """Import coded spreadsheets as ``coder``'s codings. Validates everything, then writes once.

    ``rows_are_documents`` None: rows are documents unless a file has a speaker
    column or ``document_name`` is given. ``document_column``: rows with the same value in
    that column are one document (sentences of one abstract, turns of one transcript in
    a table of many), in file order; the column is also a case attribute.
    ``skip_bad_rows``: a problem confined to
    one row leaves that row out instead of refusing the import; the skipped rows
    are listed in a CSV in ``report_dir``. ``codebook_dir`` with ``add_codes``:
    the created codes are written to ``imported_<coder>.yaml`` there after the store
    commits (replacing the packaged template codebook when it is untouched).
    ``code_map``: a two-column table (label, code id) applied before matching labels.
    """
    coder = check_coder(coder)
    if not files:
        raise ValidationError([Problem("no files given; name one or more .csv/.xlsx files")])
    if document_name is not None and len(files) > 1:
        raise ValidationError(
            [Problem("--document-name names one document; import one file at a time with it")]
        )
    if document_column is not None:
        if document_name is not None or rows_are_documents:
            option = "--document-name" if document_name is not None else "--rows-are-documents"
            raise ValidationError(
                [Problem(f"--document-column groups rows into documents; leave out {option}")]
            )
        rows_are_documents = False
        if document_column not in layout.attribute_columns:
            layout = replace(layout, attribute_columns=(*layout.attribute_columns, document_column))
    problems: list[Problem] = []
    found_columns: list[tuple[Table, Columns, set[int]]] = []  # with the rows refused
    in_codebook = CodeIndex(
        KnownCode(c.id, c.name, c.parent_id, c.codable, aliases=c.aliases) for c in codebook.codes
    )
    for file in files:
        table, unheaded = read_coded_table(Path(file), sheet)
        cols, found = find_columns(
            table, layout, lambda header: in_codebook.resolve(header).code_id is not None
        )
        problems += found
        if cols is not None:
            lossy = unheaded_problems(table, unheaded, cols, layout.delimiter)
            problems += lossy
            found_columns.append((table, cols, {n for p in lossy if (n := row_of(p))}))
    if rows_are_documents is None:
        rows_are_documents = document_name is None and all(
            c.speaker is None for _, c, _ in found_columns
        )
    parsed: list[tuple[Table, list[Row], dict[str, str]]] = []
    notes = RowNotes()
    skipped: list[SkippedRow] | None = [] if skip_bad_rows else None
    for table, cols, refused in found_columns:
        rows = parse_rows(
            table,
            cols,
            layout.delimiter,
            problems,
            markers=layout.no_code_markers,
            long=layout.long,
            notes=notes,
            refused=refused,
        )
        whole_file = not rows_are_documents and document_column is None
        attrs = constant_attributes(table, rows, problems) if whole_file else {}
        parsed.append((table, rows, attrs))
    _move_row_problems(problems, skipped)
    replacing = (
        add_codes
        and codebook_dir is not None
        and template_to_replace(
            codebook_dir,
            (c.id for c in codebook.codes),
            store_codings.human_decided_codes(store),
        )
    )
    if replacing:
        codebook = replace(codebook, codes=())
    mapping = read_code_map(code_map) if code_map is not None else None

    loosely: dict[str, dict[str, str]] = {}  # code id -> label matched loosely -> where

    def check() -> tuple[CodeIndex, dict[tuple[str, int], list[str]], list[KnownCode], Plan]:
        """Codes and matching of the parsed rows; raises with every problem found."""
        index = known_codes(store, codebook)
        loosely.clear()
        row_codes, created, unknown = resolve_row_codes(
            index, parsed, add_codes, skipped, mapping, layout.delimiter, loosely
        )
        kept = [
            (t, [r for r in rows if (r.file, r.number) in row_codes], a) for t, rows, a in parsed
        ]
        plan = plan_import(
            store,
            kept,
            rows_are_documents,
            document_name,
            problems,
            by=attribute_key(document_column) if document_column is not None else None,
            coder=coder,
        )
        _move_row_problems(problems, skipped)
        _refuse(problems, unknown, skipping=skipped is not None, add_codes=add_codes)
        return index, row_codes, created, plan

    if problems:
        # the rows already refuse the import: say what else is wrong with the files too
        # (codes, matching) before anything is backed up or locked; nothing is written
        check()
    backup_before(store, "import-coded")
    with store.transaction():
        # Planned against the store inside the write transaction: two imports of one file
        # at once, or a concurrent 'code' run, cannot change what the plan matched.
        index, row_codes, created, plan = check()
        parsed = [
            (t, [r for r in rows if (r.file, r.number) in row_codes], a) for t, rows, a in parsed
        ]
        run_id = start_run(store, "import-coded", codebook)
        store_codes.sync_codebook(store, codebook)
        store_codes.add_codes(
            store,
            [store_codes.NewCode(c.id, c.name, c.parent_id, c.codable, "import") for c in created],
        )
        _write_documents(store, plan)
        updated = _update_attributes(store, plan)
        counts = _write_codings(store, plan, row_codes, coder, run_id)
        summary = ImportSummary(
            run_id=run_id,
            coder=coder,
            files=len(parsed),
            rows=sum(len(r) for _, r, _ in parsed),
            documents_created=sum(1 for d in plan.documents if d.existing_id is None),
            documents_matched=plan.documents_matched,
            segments_created=sum(len(d.segments) for d in plan.documents),
            segments_matched=plan.segments_matched,
            codes_created=tuple(created),
            rows_are_documents=rows_are_documents,
            documents_by=document_column,
            documents_updated=updated,
            rows_merged=notes.merged,
            no_code_cells=notes.no_code,
            warnings=(
                *_column_notes(c for _, c, _ in found_columns),
                *_slash_names(created),
                *_loose_spellings(loosely, codebook, created),
                *notes.warnings,
                *_document_warnings(plan, document_column),
            ),
            documents_matched_by_value=len(plan.by_value),
            rows_appended=sum(len(numbers) for _, _, numbers in plan.appended),
            documents_apart=len(plan.apart),
            skipped=tuple(_by_file_and_row(skipped or [])),
            codings_added=counts["codings_added"],
            codings_unchanged=counts["codings_unchanged"],
            codings_replaced=counts["codings_replaced"],
            codings_withdrawn=counts["codings_withdrawn"],
            views_added=counts["views_added"],
        )
        finish_run(store, run_id, summary.to_dict(), {t.name: t.sha256 for t, _, _ in parsed})
    written = write_outputs(
        coder,
        created,
        summary.skipped,
        codebook_dir=codebook_dir if add_codes else None,
        report_dir=report_dir,
        empty_template=replacing,
        source=", ".join(t.name for t, _, _ in parsed[:3]) + (" ..." if len(parsed) > 3 else ""),
        sources_by_code=_files_by_code(row_codes, created),
    )
    used = Counter(c for ids in row_codes.values() for c in ids)
    return replace(
        summary,
        merge_candidates=tuple(
            f"themegrid codebook merge {' '.join(rest)} --into {keep}   # "
            + ", ".join(f"{c}: {used[c]} row(s)" for c in (keep, *rest))
            for keep, rest in merge_candidates(index, used)
        ),
        skipped_report=written.skipped_report,
        codebook_file=written.codebook_file,
        template_replaced=written.template_replaced,
    )


def _move_row_problems(problems: list[Problem], skipped: list[SkippedRow] | None) -> None:
    """Skipping (``skipped`` a list): move the problems confined to one row into it."""
    if skipped is None:
        return
    rest = []
    for p in problems:
        row = row_of(p)
        if row is None:
            rest.append(p)
        else:
            skipped.append(SkippedRow(p.file or "", row, p.message))
    problems[:] = rest


def _refuse(
    problems: list[Problem], unknown: list[Problem], *, skipping: bool, add_codes: bool
) -> None:
    """Raise one error listing the problems and the code labels not resolved, if any
    (``unknown`` is empty when skipping: those rows are skipped)."""
    if not problems and not unknown:
        return
    per_row = sum(1 for p in problems if row_of(p) is not None)
    if add_codes:
        codes = f"{len(unknown)} code label(s) --add-codes does not create"
        codes_fix = "write those cells as their lines say"
    else:
        codes = f"{len(unknown)} code(s) not in the codebook"
        codes_fix = "add the codes to the codebook or rerun with --add-codes"
    if not problems:
        head = (
            f"{codes}; nothing was imported. Fix the cells, {codes_fix}, or rerun with "
            "--skip-bad-rows to import every other row and list these in reports/"
        )
    elif not unknown:
        head = f"{len(problems)} problem(s); nothing was imported" + (
            f"; or rerun with --skip-bad-rows to import every valid row and list the {per_row} "
            "bad one(s) in reports/"
            if per_row and not skipping
            else ""
        )
    else:
        head = (
            f"{len(problems)} problem(s) and {codes}; nothing was imported. Fix the cells; "
            f"{codes_fix}; or rerun with --skip-bad-rows to import every valid row and list "
            + (f"the {per_row} bad one(s) and " if per_row else "")
            + "the rows naming these codes in reports/"
        )
    listed = _capped(in_file_order(problems)) + _capped(unknown, "code label(s)")
    raise ValidationError(listed, head)


def _by_file_and_row(skipped: list[SkippedRow]) -> list[SkippedRow]:
    files: dict[str, int] = {}
    for s in skipped:
        files.setdefault(s.file, len(files))
    return sorted(skipped, key=lambda s: (files[s.file], s.row or 0))


def in_file_order(problems: Sequence[Problem]) -> list[Problem]:
    """Problems by file (in the order the files come) and by row; a file's problems
    without a row first."""
    files: dict[str, int] = {}
    for p in problems:
        files.setdefault(p.file or "", len(files))
    return sorted(problems, key=lambda p: (files[p.file or ""], row_of(p) or 0))


def _capped(problems: list[Problem], what: str = "problem(s)") -> list[Problem]:
    """The first :data:`MAX_SHOWN` problems, then one saying how many more there are."""
    if len(problems) <= MAX_SHOWN:
        return problems
    rest = len(problems) - MAX_SHOWN
    return [*problems[:MAX_SHOWN], Problem(f"... and {rest} more {what}")]


def _files_by_code(
    row_codes: dict[tuple[str, int], list[str]], created: Sequence[KnownCode]
) -> dict[str, str]:
    """Per created code, the file(s) whose rows hold it, a grouping's those of its codes
    (for the definition the new codebook entry starts with)."""
    files: dict[str, set[str]] = defaultdict(set)
    for (file, _row), ids in row_codes.items():
        for code_id in ids:
            files[code_id].add(file)
    parents = {c.id: c.parent_id for c in created}
    for code_id in list(files):
        parent = parents.get(code_id)
        while parent is not None:
            files[parent] |= files[code_id]
            parent = parents.get(parent)
    out = {}
    for code_id, names in files.items():
        shown = sorted(names)
        out[code_id] = ", ".join(shown[:3]) + (
            f" and {len(shown) - 3} more" if len(shown) > 3 else ""
        )
    return out


def _loose_spellings(
    loosely: dict[str, dict[str, str]], codebook: Codebook, created: Sequence[KnownCode]
) -> list[str]:
    """A warning naming labels that were counted as a code once punctuation was ignored
    ('gap[' as 'gap'): a typo the coder may want to see, never silently folded."""
    if not loosely:
        return []
    names = {c.id: c.name for c in codebook.codes} | {c.id: c.name for c in created}
    pairs = [
        f"{label!r} ({where}) as {names.get(code_id, code_id)!r}"
        for code_id, labels in sorted(loosely.items())
        for label, where in labels.items()
    ]
    shown = "; ".join(pairs[:8]) + (f"; and {len(pairs) - 8} more" if len(pairs) > 8 else "")
    return [
        f"{len(pairs)} label(s) named a code only once punctuation is ignored, and were "
        f"counted as it: {shown}; fix the cell, or pass --map FILE to send a label elsewhere"
    ]


def _slash_names(created: Sequence[KnownCode]) -> list[str]:
    """A warning naming the new codes whose '/' was read as part of the name."""
    # top-level only: a child's '/' ("Techniques > PDP/ICE") sits under a stronger separator
    named = [c.name for c in created if "/" in c.name and c.parent_id is None]
    if not named:
        return []
    shown = ", ".join(f"'{n}'" for n in named[:5]) + (
        f" and {len(named) - 5} more" if len(named) > 5 else ""
    )
    return [
        f"{len(named)} new code(s) keep a '/' in their name, read as one name, not "
        f"parent/child (no other label shares the part before it): {shown}; write "
        "'Parent->Child' in the file for a hierarchy"
    ]


def _column_notes(found: Iterable[Columns]) -> list[str]:
    """Each note of :func:`find_columns` once, with the files (and details) it is true of."""
    by_note: dict[str, list[str]] = {}
    for cols in found:
        for note, detail in cols.notes:
            by_note.setdefault(note, []).append(detail)
    out = []
    for note, details in by_note.items():
        shown = ", ".join(details[:6]) + (
            f" and {len(details) - 6} more" if len(details) > 6 else ""
        )
        out.append(f"{len(details)} file(s): {note}: {shown}")
    return out


def _document_warnings(plan: Plan, column: str | None) -> list[str]:
    """Rows added to a matched document, and documents kept apart from one with their value."""
    out = []
    if plan.appended:
        rows = sum(len(numbers) for _, _, numbers in plan.appended)
        shown = "; ".join(
            f"{path} ({file} row(s) {', '.join(map(str, numbers[:5]))}"
            f"{' ...' if len(numbers) > 5 else ''})"
            for path, file, numbers in plan.appended[:3]
        )
        more = f" and {len(plan.appended) - 3} more" if len(plan.appended) > 3 else ""
        out.append(
            f"{rows} row(s) in {len(plan.appended)} matched document(s) have no segment with "
            f"their text (a sentence split or worded differently) and were added as new "
            f"segments after the document's existing ones, in file order: {shown}{more}. "
            "The existing segments and every coder's codings on them are unchanged; agreement "
            "compares only segments both coders coded, so these rows count for this coder alone"
        )
    if plan.apart:
        shown = "; ".join(
            f"{path} (earlier: {', '.join(earlier[:2])}; {why})"
            for path, earlier, why in plan.apart[:3]
        )
        more = f" and {len(plan.apart) - 3} more" if len(plan.apart) > 3 else ""
        out.append(
            f"{len(plan.apart)} document(s) were created again although a document with the "
            f"same {column!r} value exists, because their texts differ in more than sentence "
            f"splits, or the earlier one is this coder's own: {shown}{more}. If one is another "
            "coder's version of the same document, make their text equal in both files (the "
            "sentences may be split differently) and import both again into a fresh project; "
            "if it is this coder's earlier file renamed, import it under its earlier file name "
            "(that updates the earlier import); if they are different documents, give them "
            f"different values in {column!r}"
        )
    return out


def _write_documents(store: Store, plan: Plan) -> None:
    stamp = now()
    segments = []
    for doc in plan.documents:
        digest = hashlib.sha256(doc.text.encode()).hexdigest()
        if doc.existing_id is not None:
            docs_store.replace_text(store, doc.existing_id, doc.text, digest, at=stamp)
            doc_id = doc.existing_id
        else:
            doc_id = docs_store.insert_document(
                store,
                path=doc.path,
                format=doc.format,
                kind=doc.kind,
                content_hash=digest,
                text=doc.text,
                attributes=doc.attributes,
                at=stamp,
            )
        segments += [
            segs_store.NewSegment(
                id=seg,
                document_id=doc_id,
                seq=seq,
                start=start,
                end=end,
                text=text,
                speaker=speaker,
                is_interviewer=interviewer,
                row_id=row_id,
            )
            for seg, seq, start, end, text, speaker, interviewer, row_id in doc.segments
        ]
    segs_store.insert_segments(store, segments)


def _update_attributes(store: Store, plan: Plan) -> int:
    """Merge attribute values named in this import into matched imported documents
    (another file's document keeps its values: only attributes it lacks are added)."""
    stamp, updated = now(), 0
    for doc_id, given in plan.attributes.items():
        current = docs_store.document_attributes(store, doc_id)
        wanted = {**given, **current} if doc_id in plan.only_new else {**current, **given}
        if wanted != current:
            docs_store.set_attributes(store, doc_id, wanted, at=stamp)
            updated += 1
    return updated


def _write_codings(
    store: Store, plan: Plan, row_codes: dict[tuple[str, int], list[str]], coder: str, run_id: int
) -> dict[str, int]:
    """Insert new codings, re-accept earlier rejections, withdraw codes a re-import dropped."""
    stamp = now()
    existing = store_codings.human_codings(store, coder)
    wanted: dict[tuple[str, str], str] = {}
    for row, seg in plan.row_segments:
        for code in row_codes[(row.file, row.number)]:
            wanted.setdefault((seg, code), f"imported from {row.file} row {row.number}")
    inserts, updates, unchanged = [], [], 0
    for key, reason in wanted.items():
        old = existing.get(key)
        if old is None:
            inserts.append(store_codings.HumanDecision(*key, "accepted", reason))
        elif old.status == "accepted":
            unchanged += 1
        else:
            updates.append(store_codings.HumanDecision(*key, "accepted", reason))
    touched = {seg: row for row, seg in plan.row_segments}
    withdrawn = [
        store_codings.HumanDecision(
            seg,
            code,
            "rejected",
            f"not in {touched[seg].file} row {touched[seg].number} (re-import)",
        )
        for (seg, code), old in existing.items()
        if seg in touched
        and (seg, code) not in wanted
        and old.status == "accepted"
        and old.reason.startswith("imported from ")
    ]
    store_codings.record_human_codings(
        store, coder, inserts + updates + withdrawn, run_id=run_id, at=stamp
    )
    views_added = segs_store.mark_seen(store, touched, coder, "import", at=stamp)
    return {
        "codings_added": len(inserts),
        "codings_unchanged": unchanged,
        "codings_replaced": len(updates),
        "codings_withdrawn": len(withdrawn),
        "views_added": views_added,
    }
