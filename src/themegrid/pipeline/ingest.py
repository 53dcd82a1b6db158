"""Ingestion: the corpus folder into documents and segments in the store.

New files are read and segmented; unchanged files (same content hash) are
skipped; changed files are re-segmented, and segments keep their ids where
their text is unchanged, so human codings stay attached. A segment that
disappears is kept with ``active = 0``; human codings on it are *orphaned*
(listed by ``themegrid status``), never dropped. Files that can no longer be
found are marked ``missing``; ``prune=True`` deletes those that carry no human
coding. All writes happen in the caller's transaction.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Collection, Generator, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePath
from typing import Any

from themegrid.errors import InputFileError, MissingDependency
from themegrid.models import RawDocument, Segment
from themegrid.project import Project
from themegrid.read import SUPPORTED_SUFFIXES, TableOptions, read_document
from themegrid.read.metadata import (
    FileMeta,
    Metadata,
    closest_path,
    is_document_review,
    normalise_path,
    read_metadata,
)
from themegrid.read.repair import conversion_hint
from themegrid.segment.labels import FEW_LABELS_NOTE
from themegrid.segment.paragraphs import as_document
from themegrid.segment.units import segment_document
from themegrid.store import documents as docs_store
from themegrid.store import memos as memos_store
from themegrid.store import segments as segs_store
from themegrid.store.connection import Store
from themegrid.store.documents import StoredDocument

ProgressFn = Callable[[int, int, str], None]
ROW_MARK = "#row="
#: Bump when readers or segmentation change what a file becomes: the next ingest then
#: reads every file again (segment ids are stable, so human codings stay attached).
READING_REVISION = 8  # 3: Otter "Name 12:00" headers, .odt; 4: PDFs via PDFium;
# 5: PDF paragraphs from line geometry, Markdown via markdown-it, turn timestamps, RTF;
# 6: .docx notes, SEQ field numbers, line breaks joined in sentences; 7: a text with a
# paragraph a line and few labels is a document, subtitles saved as .txt read as subtitles;
# 8: mojibake found by ftfy's own test too (text once decoded as Mac Roman)
IGNORED_NAMES = {"metadata.csv", "readme.md", "readme.txt", "readme"}
#: A metadata table saved in another format beside (or instead of) metadata.csv: skipped
#: with a warning, never ingested as a survey of the files.
METADATA_LOOKALIKES = {".xlsx", ".xlsm", ".xls", ".ods", ".tsv"}
MAX_FILE_BYTES_ENV = "THEMEGRID_MAX_FILE_BYTES"
DEFAULT_MAX_FILE_BYTES = 100 * 1024**2


@dataclass(frozen=True)
class FileOutcome:
    path: str
    action: str  # added | changed | unchanged | attributes | rejected | missing | pruned | kept
    message: str = ""
    segments: int = 0
    kind: str = ""
    speakers: tuple[str, ...] = ()
    interviewers: tuple[str, ...] = ()
    labelled: int = 0  # segments with a speaker label


@dataclass(frozen=True)
class IngestSummary:
    outcomes: tuple[FileOutcome, ...]
    warnings: tuple[str, ...] = ()
    orphaned: int = 0  # human codings on segments no longer in their file, in all
    words: int = 0
    newly_orphaned: int = 0  # of them, orphaned by this ingest

    def paths(self, action: str) -> list[str]:
        return [o.path for o in self.outcomes if o.action == action]

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def changed_anything(self) -> bool:
        return any(o.action not in ("unchanged", "rejected", "kept") for o in self.outcomes)

    def to_dict(self) -> dict[str, object]:
        actions = (
            "added",
            "changed",
            "attributes",
            "unchanged",
            "rejected",
            "missing",
            "pruned",
            "kept",
        )
        return {
            **{a: self.paths(a) for a in actions if self.count(a)},
            "rejected_reasons": {
                o.path: o.message for o in self.outcomes if o.action == "rejected"
            },
            "orphaned_human_codings": self.orphaned,
            "newly_orphaned_human_codings": self.newly_orphaned,
            "warnings": list(self.warnings),
        }


@dataclass
class CorpusPlan:
    files: list[tuple[str, Path]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Discovered:
    """What a caller already worked out about ``corpus/`` (``themegrid code`` does, to
    decide whether to run): ingest then neither lists the folder nor hashes the files again."""

    metadata: Metadata
    plan: CorpusPlan
    #: corpus-relative path -> SHA-256 (hex) of the file's content
    hashes: Mapping[str, str]


def discover(project: Project, metadata: Metadata) -> CorpusPlan:
    """Corpus files to ingest, with warnings for undocumented and missing files."""
    plan = CorpusPlan(warnings=list(metadata.warnings))
    root = project.corpus_dir
    found: dict[str, Path] = {}
    if root.is_dir():
        project_root = project.root.resolve()
        corpus_inside = root.resolve().is_relative_to(project_root)
        for names, entry in _walk(root):
            rel = normalise_path("/".join(names))
            parts = rel.split("/")
            if any(p.startswith((".", "_", "~$")) for p in parts) or not _is_file(entry):
                continue
            if entry.name.lower() in IGNORED_NAMES:
                continue
            if (
                len(parts) == 1
                and PurePath(entry.name).stem.lower() == "metadata"
                and PurePath(entry.name).suffix.lower() in METADATA_LOOKALIKES
            ):
                # metadata.xlsx saved from Excel: a table of files, not a survey to code
                plan.warnings.append(
                    f"corpus/{rel}: skipped, not read as a document; case attributes are read "
                    "from corpus/metadata.csv only"
                    + (
                        ", which is there: delete this copy if it is an old one"
                        if project.metadata_path.is_file()
                        else ": save this sheet as CSV (Excel: File > Save As > CSV UTF-8) "
                        "named metadata.csv and run the command again"
                    )
                )
                continue
            path = root.joinpath(*names)
            # Folders that are links are not entered (see _walk): only a file that is a
            # link can resolve to somewhere other than the corpus folder's own place.
            if not (_inside(path, project_root) if entry.is_symlink() else corpus_inside):
                plan.warnings.append(
                    f"corpus/{rel}: a symbolic link to {path.resolve()}, outside the project; "
                    "skipped, not read (copy the file into corpus/ to ingest it)"
                )
                continue
            if not _decodes(rel):
                shown = os.fsencode(rel).decode("utf-8", "backslashreplace")
                plan.warnings.append(
                    f"corpus/{shown}: the file name is not valid UTF-8 (written by another "
                    "system's encoding); skipped, not read: rename the file (for example "
                    "'convmv -f latin1 -t utf-8 --notest FILE') and run the command again"
                )
                continue
            if any(ord(c) < 32 or ord(c) == 127 for c in rel):
                plan.warnings.append(
                    f"corpus/{rel!r}: the file name holds a control character (newline, tab, ...); "
                    "skipped: rename the file"
                )
                continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                hint = conversion_hint(f"corpus/{rel}")
                plan.warnings.append(
                    f"corpus/{rel}: "
                    + (
                        f"skipped, not read: it is {hint}"
                        if hint
                        else f"file type '{path.suffix}' is not read; skipped"
                    )
                )
                continue
            found[rel] = path
    unmatched_rows = [r for r in metadata.rows if r not in found]
    unnamed = [r for r in found if r not in metadata.rows]
    # a row is offered to the one file it is closest to: 'P3.pfd' is P3.pdf's row, not
    # also P7.pdf's (which merely lacks one)
    best_file = {row: closest_path(row, unnamed) for row in unmatched_rows}
    rowless: list[str] = []
    for rel in sorted(found):
        if metadata.rows and rel not in metadata.rows:
            near = closest_path(rel, unmatched_rows)
            if near and best_file.get(near) == rel:
                plan.warnings.append(
                    f"corpus/{rel}: no row in corpus/metadata.csv (a new file gets no case "
                    "attributes; one read before keeps those it had); did you mean the row "
                    f"for '{near}' (line {metadata.rows[near].line})?"
                )
            else:
                rowless.append(rel)
        plan.files.append((rel, found[rel]))
    if rowless:
        # one line for them all: 62 files without a row are one fact, not 62 warnings
        shown = ", ".join(f"corpus/{r}" for r in rowless[:ROWLESS_SHOWN])
        more = f" and {len(rowless) - ROWLESS_SHOWN} more" if len(rowless) > ROWLESS_SHOWN else ""
        plan.warnings.append(
            f"{shown}{more}: no row in corpus/metadata.csv (a new file gets no case "
            "attributes; one read before keeps those it had); add a row for each to compare "
            "it by state, role, ..."
        )
    for rel, meta in metadata.rows.items():
        if rel not in found and not docs_store.is_imported(rel):  # imported: see ingest
            near = closest_path(rel, unnamed)
            hint = f"did you mean '{near}'? " if near else ""
            plan.warnings.append(
                f"corpus/metadata.csv:{meta.line}: names '{rel}', which is not in corpus/; "
                f"{hint}fix the path or add the file"
            )
    return plan


def _decodes(name: str) -> bool:
    """Whether a file name decoded to real text (undecodable bytes arrive as surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk(root: Path) -> list[tuple[tuple[str, ...], os.DirEntry[str]]]:
    """Every entry below ``root`` as (names from ``root``, entry), sorted as paths sort.

    What ``sorted(root.rglob("*"))`` gives (folders that are symbolic links are not
    entered), without a Path object per entry: on a corpus of a thousand files those
    were a third of a re-run with nothing to do.
    """
    out: list[tuple[tuple[str, ...], os.DirEntry[str]]] = []
    folders: list[tuple[str, tuple[str, ...]]] = [(str(root), ())]
    while folders:
        folder, names = folders.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            continue
        for entry in entries:
            here = (*names, entry.name)
            out.append((here, entry))
            if _is_dir(entry) and not entry.is_symlink():
                folders.append((entry.path, here))
    out.sort(key=lambda item: item[0])
    return out


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _inside(path: Path, project_root: Path) -> bool:
    """Whether ``path`` (a symbolic link) leads to a place inside the (resolved) project."""
    try:
        return path.resolve().is_relative_to(project_root)
    except OSError:
        return False


def max_file_bytes() -> int:
    """The largest corpus file read: ``THEMEGRID_MAX_FILE_BYTES`` or 100 MB."""
    raw = os.environ.get(MAX_FILE_BYTES_ENV, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_FILE_BYTES


def ingest(
    project: Project,
    store: Store,
    *,
    nlp: object | None = None,
    prune: bool = False,
    progress: ProgressFn | None = None,
    workers: int | None = 1,
    discovered: Discovered | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> IngestSummary:
    """Bring the store's documents and segments up to date with ``corpus/``.

    Runs inside one transaction (joining the caller's if there is one). ``workers``:
    processes that read and segment files (None: the machine's cores); this process
    alone writes the store, in file order, so the result does not depend on it.
    ``discovered``: the corpus as the caller just listed and hashed it. ``meanwhile``:
    called once reading workers have started, if they do (this process would otherwise
    wait for their first file): ``code`` builds its tagger then.
    """
    if discovered is None:
        metadata = read_metadata(project.metadata_path, "corpus/metadata.csv")
        discovered = Discovered(metadata, discover(project, metadata), {})
    metadata, plan = discovered.metadata, discovered.plan
    with store.transaction():
        orphaned_before = count_orphaned(store)
        reread = store.get_meta("reading_revision") != str(READING_REVISION)
        # metadata.csv's attribute columns now and at the last ingest: a column deleted
        # since then, or a blanked cell, removes that attribute (see _refresh_attributes)
        columns = {*_previous_columns(store), *metadata.attribute_columns}
        outcomes = list(
            _ingest_files(
                store,
                plan.files,
                metadata,
                nlp,
                progress,
                reread,
                workers,
                discovered.hashes,
                columns,
                meanwhile,
            )
        )
        store.set_meta("reading_revision", str(READING_REVISION))
        store.set_meta(METADATA_COLUMNS_KEY, json.dumps(list(metadata.attribute_columns)))
        outcomes.extend(_mark_missing(store, {rel for rel, _ in plan.files}, prune))
        unknown: list[str] = []
        outcomes.extend(_imported_attributes(store, metadata, unknown, columns))
        orphaned = count_orphaned(store)
        words = docs_store.words_present(store)
    return IngestSummary(
        tuple(outcomes),
        (*plan.warnings, *unknown),
        orphaned,
        words,
        newly_orphaned=max(0, orphaned - orphaned_before),
    )


METADATA_COLUMNS_KEY = "metadata_columns"
#: Files without a metadata row named in the one warning about them; the rest counted.
ROWLESS_SHOWN = 5


def _previous_columns(store: Store) -> list[str]:
    """metadata.csv's attribute columns at the last ingest (none recorded: none known)."""
    try:
        value = json.loads(store.get_meta(METADATA_COLUMNS_KEY) or "[]")
    except json.JSONDecodeError:
        return []
    return [str(c) for c in value] if isinstance(value, list) else []


def _ingest_files(
    store: Store,
    files: list[tuple[str, Path]],
    metadata: Metadata,
    nlp: object | None,
    progress: ProgressFn | None,
    reread: bool = False,
    workers: int | None = 1,
    hashes: Mapping[str, str] | None = None,
    columns: Collection[str] = (),
    meanwhile: Callable[[], object] | None = None,
) -> Iterator[FileOutcome]:
    """``reread``: read every file again, changed or not (after the readers changed).

    First every file is hashed (unchanged ones are settled here; ``hashes``: the ones the
    caller already has); then the files to read are read and segmented
    (:func:`read_file`, in worker processes when there are enough of them) and stored in
    file order.
    """
    hashes = hashes or {}
    existing = {d.path: d for d in docs_store.list_documents(store)}
    settled: dict[int, FileOutcome] = {}
    to_read: list[tuple[int, ReadJob]] = []
    for i, (rel, path) in enumerate(files):
        meta = metadata.get(rel) or FileMeta(rel)
        try:
            size = path.stat().st_size
            if size > max_file_bytes():
                settled[i] = FileOutcome(
                    rel,
                    "rejected",
                    f"corpus/{rel}: {size} bytes is more than a corpus file may be "
                    f"({max_file_bytes()} bytes); split it, or raise {MAX_FILE_BYTES_ENV}",
                )
                continue
            digest = hashes.get(rel) or hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            settled[i] = FileOutcome(
                rel,
                "rejected",
                f"corpus/{rel}: cannot be read ({exc.strerror}); skipped: make it readable "
                f"(chmod u+r) and run the command again",
            )
            continue
        stored = _stored_for_file(existing, rel)
        if not reread and stored and all(r.content_hash == digest for r in stored):
            # no row at all: the file keeps what it had (the warning says so)
            listed = columns if rel in metadata.rows else ()
            settled[i] = _refresh_attributes(store, stored, meta, listed)
            continue
        to_read.append((i, ReadJob(rel, path, digest, meta)))
    reads = _read_files([job for _, job in to_read], nlp, workers, meanwhile)
    for i, (rel, _) in enumerate(files):
        if progress:
            progress(i, len(files), rel)
        if i in settled:
            yield settled[i]
            continue
        read = next(reads)
        if isinstance(read, FileOutcome):
            yield read
            continue
        yield _store_read(store, read, existing)
    if progress:
        progress(len(files), len(files), "")


#: Fewer files to read than this: reading in worker processes costs more than it saves.
MIN_PARALLEL_FILES = 8


def _read_files(
    jobs: list[ReadJob],
    nlp: object | None,
    workers: int | None,
    meanwhile: Callable[[], object] | None = None,
) -> Iterator[ReadFile | FileOutcome]:
    """:func:`read_file` of each job, in order; in worker processes when worth it.

    The workers start before this process builds the spaCy pipeline (and whatever
    ``meanwhile`` builds, then): reading needs spaCy only for units too long to be one
    segment, and a worker that meets one builds its own (:class:`_NlpWhenNeeded`).
    """
    from themegrid.tag.parallel import default_workers, ordered_map

    n = default_workers() if workers is None else workers
    if nlp is not None or n <= 1 or len(jobs) < max(MIN_PARALLEL_FILES, 2):
        return (read_file(job, nlp) for job in jobs)
    reads = ordered_map(read_file, jobs, min(n, len(jobs)))
    if meanwhile is not None:
        try:
            meanwhile()
        except BaseException:
            if isinstance(reads, Generator):
                reads.close()  # the workers stop
            raise
    return reads


class _NlpWhenNeeded:
    """The process's spaCy pipeline (``shared_nlp``), built when first used: segmenting
    needs it only to split a unit too long for one segment into sentences."""

    def __getattr__(self, name: str) -> Any:
        from themegrid.tag.nlp import shared_nlp

        return getattr(shared_nlp(), name)

    def __call__(self, text: str) -> Any:
        from themegrid.tag.nlp import shared_nlp

        return shared_nlp()(text)


@dataclass(frozen=True)
class ReadJob:
    """One corpus file to read: its path, content hash and metadata row."""

    rel: str
    path: Path
    digest: str
    meta: FileMeta


@dataclass(frozen=True)
class ReadFile:
    """A corpus file read and segmented: one part per stored document."""

    job: ReadJob
    raw: RawDocument
    #: (document path, document, attributes, its segments)
    parts: tuple[tuple[str, RawDocument, dict[str, str], list[Segment]], ...]


def read_file(job: ReadJob, nlp: object | None = None) -> ReadFile | FileOutcome:
    """Read and segment one file (no store): what a worker process does.

    A file that cannot be read gives its "rejected" outcome instead.
    """
    rel, meta = job.rel, job.meta
    table = TableOptions(
        text_column=meta.text_column, id_column=meta.id_column, speaker_column=meta.speaker_column
    )
    try:
        raw = read_document(
            job.path,
            display_path=f"corpus/{rel}",
            table=table,
            interviewer_labels=meta.interviewers,
        )
        raw = replace(raw, path=rel)  # ids and offsets are keyed by the corpus-relative path
        if is_document_review(meta.attributes):
            raw = as_document(raw)  # metadata.csv says: a document, whatever its labels
            kept = tuple(w for w in raw.warnings if not w.startswith(FEW_LABELS_NOTE))
            raw = replace(raw, warnings=kept)
        if _rows_are_documents(raw, meta):
            parts = list(_split_rows(raw, rel, meta))
        else:
            parts = [(rel, raw, {**raw.header_attributes, **meta.attributes})]
        segmented = tuple(
            (
                doc_path,
                doc,
                attributes,
                segment_document(
                    doc, nlp or _NlpWhenNeeded(), interviewer_labels=meta.interviewers
                ),
            )
            for doc_path, doc, attributes in parts
        )
    except (InputFileError, MissingDependency) as exc:
        return FileOutcome(rel, "rejected", str(exc))
    return ReadFile(job, raw, segmented)


def row_document_path(rel: str, row_id: str | None) -> str:
    """The path of one survey response stored as a document of its own."""
    return f"{rel}{ROW_MARK}{row_id}"


def file_of(path: str) -> str:
    """The corpus file a stored document comes from."""
    return path.split(ROW_MARK, 1)[0]


def _stored_for_file(existing: dict[str, StoredDocument], rel: str) -> list[StoredDocument]:
    """The stored documents of one corpus file: itself, or one per response row."""
    if rel in existing:
        return [existing[rel]]
    prefix = rel + ROW_MARK
    return [r for path, r in existing.items() if path.startswith(prefix) and r.status == "present"]


def _refresh_attributes(
    store: Store, rows: list[StoredDocument], meta: FileMeta, columns: Collection[str] = ()
) -> FileOutcome:
    """An unchanged file whose metadata row changed: update attributes only.

    ``columns``: the attribute columns metadata.csv has now or had at the last ingest. An
    attribute named by one of them that the file's row no longer gives (its cell blanked,
    or the column deleted) is removed; attributes from elsewhere (a transcript's header,
    an imported project's variables, a survey row's columns) stay.
    """
    changed = False
    removed: set[str] = set()
    for row in rows:
        current = dict(row.attributes)
        gone = {k for k in current if k in columns and k not in meta.attributes}
        wanted = {**{k: v for k, v in current.items() if k not in gone}, **meta.attributes}
        if wanted == current and row.status == "present":
            continue
        changed = True
        removed |= gone
        docs_store.set_attributes(store, row.id, wanted, present=True)
    if not changed:
        return FileOutcome(meta.path, "unchanged")
    note = f" (removed: {', '.join(sorted(removed))})" if removed else ""
    return FileOutcome(meta.path, "attributes", f"case attributes updated from metadata.csv{note}")


def _rows_are_documents(raw: RawDocument, meta: FileMeta) -> bool:
    """Spreadsheet rows are separate respondents (a survey) unless they carry speakers."""
    if raw.kind != "table":
        return False
    if meta.rows_are:
        return meta.rows_are.lower().startswith(("doc", "resp", "row"))
    return not any(u.speaker for u in raw.units)


def _split_rows(
    raw: RawDocument, rel: str, meta: FileMeta
) -> Iterator[tuple[str, RawDocument, dict[str, str]]]:
    """(path, document, attributes) for each response row of a survey spreadsheet."""
    for n, unit in enumerate(raw.units, 1):
        text = raw.text[unit.start : unit.end]
        path = row_document_path(rel, unit.row_id or str(n))
        doc = RawDocument(
            path=path,
            format=raw.format,
            text=text,
            units=(replace(unit, start=0, end=len(text)),),
            kind="document",
            repair_notes=raw.repair_notes,
        )
        yield path, doc, {**meta.attributes, **{k: v for k, v in unit.attributes.items() if v}}


def _store_read(store: Store, read: ReadFile, existing: dict[str, StoredDocument]) -> FileOutcome:
    """Write one read file's documents and segments; its outcome."""
    rel, raw, digest = read.job.rel, read.raw, read.job.digest
    stored_before = _stored_for_file(existing, rel)
    seen: set[str] = set()
    segments: list[Segment] = []
    reattached = 0
    for doc_path, doc, attributes, doc_segments in read.parts:
        doc_id = _upsert_document(store, doc_path, doc, digest, attributes, existing.get(doc_path))
        reattached += _store_segments(store, doc_id, doc_segments, doc.kind)
        segments.extend(doc_segments)
        seen.add(doc_path)
    for old in stored_before:
        if old.path not in seen:  # a response row removed from the spreadsheet
            docs_store.mark_missing(store, old.id)
    action = "changed" if stored_before else "added"
    message = "; ".join([*raw.repair_notes, *raw.warnings])
    if reattached:
        message = "; ".join(
            filter(None, [f"{reattached} human coding(s) followed their edited segment", message])
        )
    parts = read.parts
    if len(parts) > 1 or parts[0][0] != rel:
        message = "; ".join(
            filter(None, [f"{len(parts)} responses, each stored as a document", message])
        )
    speakers = tuple(dict.fromkeys(s.speaker for s in segments if s.speaker))
    interviewers = tuple(
        dict.fromkeys(s.speaker for s in segments if s.speaker and s.is_interviewer)
    )
    labelled = sum(1 for s in segments if s.speaker)
    slips = _label_slips(Counter(s.speaker for s in segments if s.speaker))
    if slips:
        message = "; ".join(filter(None, [message, slips]))
    return FileOutcome(
        rel, action, message, len(segments), raw.kind, speakers, interviewers, labelled
    )


def _label_slips(turns: Counter[str]) -> str:
    """A note naming speaker labels that look like another label misspelt ('Particpant',
    1 turn, beside 'Participant', 59): two labels, so two speakers, unless the file is
    corrected. Labels that differ in a number (P1, P2; INTERVIEWER 1, 2) are people apart."""
    from rapidfuzz.distance import DamerauLevenshtein

    found = []
    labels = sorted(turns, key=lambda lab: -turns[lab])
    for i, common in enumerate(labels):
        for rare in labels[i + 1 :]:
            a, b = common.casefold(), rare.casefold()
            if min(len(a), len(b)) < 5 or any(ch.isdigit() for ch in a + b):
                continue
            if DamerauLevenshtein.distance(a, b) == 1 and turns[rare] * 4 <= turns[common]:
                found.append(
                    f"'{rare}' ({turns[rare]} turn(s)) beside '{common}' ({turns[common]})"
                )
    if not found:
        return ""
    return (
        "speaker labels that look like another misspelt, so counted as another speaker: "
        + ", ".join(found[:5])
        + "; correct the label in the file if it is the same person"
    )


def _upsert_document(
    store: Store,
    path: str,
    raw: RawDocument,
    digest: str,
    attributes: dict[str, str],
    row: StoredDocument | None,
) -> int:
    if row is None:
        return docs_store.insert_document(
            store,
            path=path,
            format=raw.format,
            kind=raw.kind,
            content_hash=digest,
            text=raw.text,
            attributes=attributes,
            repair_notes=raw.repair_notes,
            warnings=raw.warnings,
        )
    docs_store.update_document(
        store,
        row.id,
        format=raw.format,
        kind=raw.kind,
        content_hash=digest,
        text=raw.text,
        attributes=attributes,
        repair_notes=raw.repair_notes,
        warnings=raw.warnings,
    )
    return row.id


def _store_segments(store: Store, doc_id: int, segments: list[Segment], kind: str) -> int:
    """Upsert this document's segments; retire those that disappeared (kept, inactive).

    A segment is codable unless it is an interviewer turn or the preamble of a
    transcript (text before the first speaker label: titles, headers, notices).
    Human codings on a segment that disappeared follow it to its edited version
    when there is one (see :func:`_reattach`). Returns how many codings moved.
    """
    old = segs_store.segment_ids_of_document(store, doc_id)
    new_ids = {s.id for s in segments}
    segs_store.upsert_segments(store, segs_store.new_segments(segments, doc_id, kind))
    gone = old - new_ids
    if not gone:
        return 0
    segs_store.deactivate_segments(store, gone)
    added = [s for s in segments if s.id not in old]
    return _reattach(store, sorted(gone), added)


#: How alike an edited segment must be to its old version for human codings to follow it.
REATTACH_SIMILARITY = 0.8


def _reattach(store: Store, gone: list[str], added: list[Segment]) -> int:
    """Move human codings and memos from vanished segments to their edited versions.

    An edited version is a new segment of the same document by the same speaker
    whose text is at least :data:`REATTACH_SIMILARITY` alike (difflib ratio); each
    new segment takes at most one old one. The move is recorded in the coding's
    note and, by trigger, in its history. Codings with no such match stay on the
    inactive segment: orphaned, listed by ``themegrid status``, never dropped.
    Memos on those segments move the same way (:func:`themegrid.store.memos.move_memos`).
    """
    if not added:
        return 0
    coded = segs_store.human_coded_segments(store, gone)
    with_codings = {c.id for c in coded}
    coded += [c for c in memos_store.memo_segments(store, gone) if c.id not in with_codings]
    free = list(added)
    moved = 0
    for old_id, old_text, speaker in ((c.id, c.text, c.speaker) for c in coded):
        best, best_ratio = None, REATTACH_SIMILARITY
        for candidate in free:
            if candidate.speaker != speaker:
                continue
            matcher = difflib.SequenceMatcher(None, old_text, candidate.text, autojunk=False)
            if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
                continue
            ratio = matcher.ratio()
            if ratio >= best_ratio:
                best, best_ratio = candidate, ratio
        if best is None:
            continue
        free.remove(best)
        note = f"re-attached after the segment was edited (was: {old_text[:80]!r})"
        moved += segs_store.move_human_codings(store, old_id, best.id, note)
        memos_store.move_memos(store, old_id, best.id, note)
        segs_store.move_views(store, old_id, best.id)
    return moved


def _imported_attributes(
    store: Store, metadata: Metadata, unknown: list[str], columns: Collection[str] = ()
) -> Iterator[FileOutcome]:
    """Case attributes for imported documents (Taguette, QualCoder, REFI-QDA,
    import-coded): a ``corpus/metadata.csv`` row may name one by its stored path (the
    ``document`` column of 'themegrid export segments'), as a row names a corpus file.
    A row naming no such document is added to ``unknown`` as a warning."""
    rows = [(rel, meta) for rel, meta in metadata.rows.items() if docs_store.is_imported(rel)]
    if not rows:
        return
    existing = {d.path: d for d in docs_store.list_documents(store)}
    for rel, meta in rows:
        stored = _stored_for_file(existing, rel)
        if not stored:
            near = closest_path(rel, [p for p in existing if docs_store.is_imported(p)])
            hint = f"did you mean '{near}'? " if near else ""
            unknown.append(
                f"corpus/metadata.csv:{meta.line}: names '{rel}', which is neither in corpus/ "
                f"nor an imported document; {hint}'themegrid export segments' lists the "
                "stored documents (column document)"
            )
            continue
        outcome = _refresh_attributes(store, stored, meta, columns)
        if outcome.action != "unchanged":
            yield outcome


def _mark_missing(store: Store, present: set[str], prune: bool) -> Iterator[FileOutcome]:
    for row in docs_store.list_documents(store):
        if file_of(row.path) in present or docs_store.is_imported(row.path):
            continue
        humans = docs_store.human_codings_on_document(store, row.id)
        if prune and not humans:
            docs_store.delete_document(store, row.id)
            yield FileOutcome(row.path, "pruned", "removed from the store (--prune)")
        elif prune:
            if row.status != "missing":
                docs_store.mark_missing(store, row.id)
            yield FileOutcome(
                row.path,
                "kept",
                f"not pruned: it carries {humans} human coding(s), which are never deleted",
            )
        elif row.status != "missing":
            docs_store.mark_missing(store, row.id)
            yield FileOutcome(
                row.path, "missing", "file no longer in corpus/; marked missing (kept)"
            )


def count_orphaned(store: Store) -> int:
    """Human codings whose segment no longer exists in its (changed) file."""
    return segs_store.count_orphaned(store)


def orphaned_codings(store: Store) -> list[dict[str, object]]:
    return [asdict(c) for c in segs_store.orphaned_codings(store)]
