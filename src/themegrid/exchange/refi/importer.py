"""Putting what a ``.qdc``/``.qdpx`` holds into a project: codes, documents, segments, codings.

Everything is checked first (id clashes, documents already imported); then one
transaction writes the store and ``codebook/imported_<name>.yaml``. If anything
fails, the store is rolled back and the YAML file removed: nothing is half-imported.

Every source is segmented as an ingested file is (:func:`source_segments`: speaker
turns by the same label detection, else paragraphs), on its text exactly as the file
gives it, with ids of the ingest scheme for its document path, so uncoded text can be
read, coded and given suggestions. Each selection becomes a human span coding
(code-point offsets into the document text) on the segment it falls in; one across
several segments, a span coding on each, clipped to it (the browser refuses such a
passage; a file brings it, so it is split, and its whole offsets kept in the reason).
The store keeps one coding per segment, code, source and coder, so a coder's several
selections of one code in one segment are joined into one coding whose span covers
them; the reason keeps each selection's offsets and text, and the import lists them
in ``reports/<name>_joined_selections.csv`` and says so. A selection on no segment's
text (a header, a speaker label) keeps a segment of its own, with the imported-span id.

Imported codes go to both places on purpose: the store's ``codes`` table (origin
``refi``) so codings can refer to them at once, and a YAML file in the codebook
format (without cues) so ``themegrid codebook check``, the tagger and later
exports keep seeing one codebook. Source texts stay in the store only (documents
with format ``refi``); they are not written into ``corpus/``, because they are not
files the researcher put there and re-ingesting them would duplicate them.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import hashlib
import shutil
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from themegrid.atomic import atomic_path
from themegrid.cells import csv_safe
from themegrid.codebook import Codebook, codebook_files, load_codebook
from themegrid.codebook import files as template_files
from themegrid.errors import CodebookError, ProjectError
from themegrid.exchange.labels import near_duplicates
from themegrid.exchange.options import DEFAULT_IMPORT_OPTIONS, ImportOptions
from themegrid.exchange.refi.codes import ImportedCode, assign_ids, slugify, unfold_description
from themegrid.exchange.refi.ids import code_guid
from themegrid.exchange.refi.safety import RefiError, write_output
from themegrid.exchange.turns import coded_turns
from themegrid.models import RawDocument, Segment, Unit
from themegrid.project import Project
from themegrid.read.text import find_header, units_from_text
from themegrid.segment.ids import imported_segment_id
from themegrid.segment.labels import closing_times, find_labels, opening_times
from themegrid.segment.paragraphs import paragraph_units, stripped_unit
from themegrid.segment.units import segment_document
from themegrid.store import codes as store_codes
from themegrid.store import codings as store_codings
from themegrid.store import documents as docs_store
from themegrid.store import memos as memos_store
from themegrid.store import runs as store_runs
from themegrid.store import segments as segs_store
from themegrid.store.backup import backup_before
from themegrid.store.connection import Store, now
from themegrid.store.views import coders_with_decisions_or_views

#: The user themegrid writes its own (machine) suggestions as; never imported as a human.
MACHINE_USER = "themegrid (machine)"
UNATTRIBUTED = "unattributed"


@dataclass(frozen=True)
class Selection:
    """A coded stretch of a source, offsets already converted to the ``\\n`` text."""

    guid: str
    start: int
    end: int
    codings: tuple[tuple[str, str | None], ...]  # (code GUID, user GUID or None)
    #: How the source tool names this stretch ("Taguette highlight 12"); kept in each
    #: coding's reason, so every highlight can be traced and counted in the store.
    label: str = ""
    memos: tuple[str, ...] = ()  # GUIDs of the Notes on this stretch (passage memos)


@dataclass(frozen=True)
class ImportedNote:
    """A ``<Note>`` (a memo) read from a file; where it belongs is said by the NoteRefs."""

    guid: str
    text: str
    user: str | None = None  # the creating user's GUID
    created_at: str = ""  # as the file has it (ISO 8601), else the import's time


@dataclass(frozen=True)
class SourceText:
    guid: str
    name: str
    text: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    selections: tuple[Selection, ...] = ()
    notes: tuple[str, ...] = ()  # repair notes (line endings converted, ...), not memos
    memos: tuple[str, ...] = ()  # GUIDs of the Notes on the whole source (document memos)
    #: Each line is a paragraph of the source (Taguette's ``<p>``), never hard-wrapped prose.
    lines_are_paragraphs: bool = False


@dataclass(frozen=True)
class ImportPlan:
    """What a file holds, checked and ready to write."""

    file: str
    command: str
    name: str  # the project's (or codebook's) name, for document paths and the YAML header
    codes: tuple[ImportedCode, ...]
    sources: tuple[SourceText, ...] = ()
    users: Mapping[str, str] = field(default_factory=dict)  # GUID -> name
    skipped: tuple[str, ...] = ()
    input_hash: str = ""
    folder: str = "refi"  # documents go to <folder>/<name>/... with format <folder>
    notes: Mapping[str, ImportedNote] = field(default_factory=dict)  # Note GUID -> memo
    code_notes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # code GUID -> Notes
    project_notes: tuple[str, ...] = ()  # GUIDs of the Notes on the project as a whole


@dataclass(frozen=True)
class ImportSummary:
    file: str
    codes_added: tuple[str, ...]
    codes_matched: tuple[str, ...]
    codebook_file: str | None
    documents: tuple[str, ...]
    segments: int
    codings: int
    coders: tuple[str, ...]
    skipped: tuple[str, ...]
    run_id: int | None
    template_replaced: bool = False  # the untouched template codebook was emptied
    memos: int = 0  # memos on codes, documents and passages
    coded_segments: int = 0  # segments with at least one imported coding
    selection_codes: int = 0  # (selection, code, coder) links stored, each on its turn(s)
    #: Same-code selections of one coder inside one turn, stored as one coding each
    #: (the store keeps one coding per segment, code and coder): how many selections.
    joined: int = 0
    joined_report: str | None = None  # reports/<name>_joined_selections.csv
    across_turns: int = 0  # selections over two or more turns: a span coding on each
    clipped: int = 0  # selections reaching past their turn's text into a label, a header
    trimmed: int = 0  # selections starting or ending in blank space around their turn
    outside_turns: int = 0  # selections on no turn's text at all: a segment of their own
    #: selections that also cover an interviewer's turn and another speaker's: coded on the
    #: other speakers' turns only (:mod:`themegrid.exchange.turns`), unless kept
    with_interviewer: int = 0
    code_interviewer_turns: bool = False
    #: (imported document, document already in the project) with the same text
    same_text: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "codes_added": list(self.codes_added),
            "codes_matched": list(self.codes_matched),
            "codebook_file": self.codebook_file,
            "documents": list(self.documents),
            "segments": self.segments,
            "codings": self.codings,
            "coders": list(self.coders),
            "skipped": list(self.skipped),
            "run_id": self.run_id,
            "template_replaced": self.template_replaced,
            "memos": self.memos,
            "coded_segments": self.coded_segments,
            "selection_codes": self.selection_codes,
            "joined": self.joined,
            "joined_report": self.joined_report,
            "across_turns": self.across_turns,
            "clipped": self.clipped,
            "trimmed": self.trimmed,
            "outside_turns": self.outside_turns,
            "with_interviewer": self.with_interviewer,
            "code_interviewer_turns": self.code_interviewer_turns,
            "same_text": [list(p) for p in self.same_text],
        }

    def lines(self) -> list[str]:
        out = [f"Imported {self.file}:"]
        out.append(
            f"  codes: {len(self.codes_added)} added"
            + (f" (written to {self.codebook_file})" if self.codebook_file else "")
            + (f", {len(self.codes_matched)} already in the project" if self.codes_matched else "")
        )
        if self.documents or self.codings:
            folder = "/".join(self.documents[0].split("/")[:2]) + "/" if self.documents else "refi/"
            out.append(
                f"  sources: {len(self.documents)} documents, kept in the store only (not in corpus/), "
                f"as {folder}..."
            )
            out.append(
                f"  segments: {self.segments} (turns or paragraphs, as an ingested file), "
                f"{self.coded_segments} of them coded"
            )
            out.append(
                f"  codings: {self.codings} human accepted span codings"
                + (f" by {', '.join(self.coders)}" if self.coders else "")
                + f" ({self.selection_codes} selection-code link(s))"
            )
        if self.across_turns:
            out.append(
                f"  {self.across_turns} selection(s) cross a turn boundary: one span coding on each "
                "turn they overlap, clipped to it (the reason keeps the whole selection's offsets)"
            )
        if self.with_interviewer:
            out.append(
                f"  {self.with_interviewer} selection(s) also cover interviewer turns: coded on"
                " every turn they cover (--code-interviewer-turns)"
                if self.code_interviewer_turns
                else f"  {self.with_interviewer} selection(s) also cover interviewer turns (a"
                " question selected with its answer): coded on the other speakers' turns only;"
                " --code-interviewer-turns codes those turns too"
            )
        if self.clipped:
            out.append(
                f"  {self.clipped} selection(s) reach past their turn's text into other text (a "
                "speaker label): coded on the turn text they cover (the reason keeps their own offsets)"
            )
        if self.trimmed:
            out.append(
                f"  {self.trimmed} selection(s) start or end in blank space (a line break) around "
                "their turn: coded on the turn text they cover (the reason keeps their own offsets)"
            )
        if self.outside_turns:
            out.append(
                f"  {self.outside_turns} selection(s) cover no turn's text (a header, a speaker "
                "label): each kept as a segment of its own, with its exact offsets"
            )
        if self.joined:
            out.append(
                f"  {self.joined} selections of the same code by the same coder in one turn joined "
                "(one coding a turn, code and coder): its span covers them all and its reason keeps "
                f"each selection's offsets and text; listed in {self.joined_report}"
            )
        if self.memos:
            out.append(f"  memos: {self.memos} (on codes, documents and passages)")
        if self.template_replaced:
            out.append(
                "  The codebook was still the untouched template: its example codes were removed "
                f"({template_files.TEMPLATE_NAME} now holds only the header), so only the "
                "imported codes are scored and exported."
            )
        for reason in self.skipped:
            out.append(f"  skipped: {reason}")
        if self.codes_added:
            out.append(
                "  The imported codes have no cues: the machine will not suggest them until you add cues."
            )
        if self.same_text:
            shown = "; ".join(f"{a} = {b}" for a, b in self.same_text[:3])
            more = f" and {len(self.same_text) - 3} more" if len(self.same_text) > 3 else ""
            out.append(
                f"  warning: {len(self.same_text)} imported document(s) have the text of a document"
                f" already in the project ({shown}{more}): each interview now counts twice in"
                " 'n of N' and the matrix; if they are the same, keep one copy (move the file out"
                " of corpus/ and run 'themegrid remove DOC --force', or remove the imported one)"
            )
        return out


def apply_import(
    project: Project,
    plan: ImportPlan,
    options: ImportOptions = DEFAULT_IMPORT_OPTIONS,
) -> ImportSummary:
    """Write ``plan`` into ``project`` in one transaction; refuse clashes before writing
    (among them the file's coders named like the project's but for case or spaces, unless
    ``options.new_coder``).

    A selection that covers an interviewer's turn and another speaker's is coded on the
    other speakers' turns only, unless ``options.code_interviewer_turns``
    (:mod:`themegrid.exchange.turns`).

    A project whose codebook is still the untouched template gets its example codes
    removed (the template replaced by the empty codebook) when the file brings codes of
    its own; an edited codebook is never changed, only extended by the imported file.
    """
    codebook = _current_codebook(project)
    with project.open_store() as store:
        replacing = (
            codebook is not None
            and bool(plan.codes)
            and template_files.template_to_replace(
                project.codebook_dir,
                (c.id for c in codebook.codes),
                store_codings.human_decided_codes(store),
            )
        )
        if replacing and codebook is not None:
            codebook = dataclasses.replace(codebook, codes=())
        return _Writer(project, store, codebook, plan, options, replacing).run()


def _current_codebook(project: Project) -> Codebook | None:
    if not project.codebook_dir.is_dir() or not codebook_files(project.codebook_dir):
        return None
    try:
        return project.load_codebook()
    except CodebookError as exc:
        raise ProjectError(
            f"{project.codebook_dir}: the codebook has problems, so imported codes cannot be checked "
            f"against it; fix them first (themegrid codebook check). First problem: {exc.problems[0]}"
        ) from exc


class _Writer:
    def __init__(
        self,
        project: Project,
        store: Store,
        codebook: Codebook | None,
        plan: ImportPlan,
        options: ImportOptions,
        replacing_template: bool = False,
    ) -> None:
        self.project, self.store, self.codebook, self.plan = project, store, codebook, plan
        self.coder_prefix = options.coder_prefix
        self.code_interviewer_turns = options.code_interviewer_turns
        self.new_coder = options.new_coder
        self.replacing_template = replacing_template
        self.skipped = list(plan.skipped)

    # --- checks ---------------------------------------------------------------------------

    def run(self) -> ImportSummary:
        existing = set(self.codebook._by_id) if self.codebook else set()  # type: ignore[attr-defined]
        existing |= store_codes.code_ids(self.store)
        existing_guids = {code_guid(i): i for i in existing}
        ids = assign_ids(self.plan.codes, existing_guids)
        new_codes = [c for c in self.plan.codes if c.guid not in existing_guids]
        clashes = sorted(ids[c.guid] for c in new_codes if ids[c.guid] in existing)
        if clashes:
            raise RefiError(
                self.plan.file,
                f"{len(clashes)} code id(s) derived from the file's code names already exist in this "
                f"project: {', '.join(clashes[:10])}{' ...' if len(clashes) > 10 else ''}; was it imported "
                "before? Rename those codes in the file or the project; nothing was written",
            )
        matched = tuple(ids[c.guid] for c in self.plan.codes if c not in new_codes)
        yaml_path = self._yaml_path() if new_codes else None
        documents = self._documents()
        layouts = self._layouts(ids, documents)
        self._check_coders(layouts)
        return self._write(ids, new_codes, matched, yaml_path, layouts)

    def _check_coders(self, layouts: list[_Layout]) -> None:
        """Refuse the file's coders named like the project's but for case or spaces (``ana``
        beside ``Ana``: one person counted as two), unless ``new_coder``."""
        if self.new_coder:
            return
        theirs = {coder for lay in layouts for _, _, coder in lay.hits}
        near = near_duplicates(theirs, coders_with_decisions_or_views(self.store))
        if near:
            shown = "; ".join(f"{a!r} beside {b!r}" for a, b in near[:3])
            raise RefiError(
                self.plan.file,
                f"the file's coder(s) and the project's differ only in case or spaces ({shown}):"
                " one person would count as two coders; rename the user in the other tool, pass"
                " --coder-prefix to keep them visibly apart, or --new-coder to import them as"
                " coders of their own; nothing was written",
            )

    def _yaml_path(self) -> Path:
        stem = slugify(Path(self.plan.file).stem)
        path = self.project.codebook_dir / f"imported_{stem}.yaml"
        if path.exists():
            raise RefiError(
                self.plan.file,
                f"{path} already exists (imported before?); remove or rename it to import again; nothing was written",
            )
        return path

    def _documents(self) -> list[tuple[SourceText, str]]:
        out: list[tuple[SourceText, str]] = []
        used: set[str] = set()
        base = f"{self.plan.folder}/" + _path_part(self.plan.name)
        for source in self.plan.sources:
            # the source's own name, with no suffix added ("Interview 1" stays so); the
            # name itself is kept as source_name, which an export gives back
            stem = _path_part(source.name)
            path, n = f"{base}/{stem}", 2
            while path in used:
                path, n = f"{base}/{stem} ({n})", n + 1
            used.add(path)
            if docs_store.document_exists(self.store, path):
                raise RefiError(
                    self.plan.file,
                    f"source '{source.name}' is already in the store as document {path} (imported before?); "
                    "nothing was written",
                )
            out.append((source, path))
        return out

    def _coder(self, user_guid: str | None) -> str | None:
        """The coder name for a user GUID; None for themegrid's own machine user."""
        if user_guid is None:
            return self.coder_prefix + UNATTRIBUTED
        name = self.plan.users.get(user_guid) or user_guid
        if name == MACHINE_USER:
            return None
        # NFC, as every coder name is (check_coder): "José" from a Mac is the same coder
        return unicodedata.normalize("NFC", self.coder_prefix + name)

    def _layouts(
        self, ids: Mapping[str, str], documents: list[tuple[SourceText, str]]
    ) -> list[_Layout]:
        """Each document's segments (as an ingested file's) with its selections placed on them;
        unknown codes and machine rows skipped (and counted)."""
        unknown = machine = empty = 0
        layouts = []
        for source, path in documents:
            segments, kind = source_segments(
                path, source.text, lines_are_paragraphs=source.lines_are_paragraphs
            )
            layout = _Layout(source, path, segments, kind, self.code_interviewer_turns)
            for sel in source.selections:
                pairs: list[tuple[str, str]] = []
                for code_ref, user in sel.codings:
                    if code_ref not in ids:
                        unknown += 1
                        continue
                    coder = self._coder(user)
                    if coder is None:
                        machine += 1
                        continue
                    if (ids[code_ref], coder) not in pairs:
                        pairs.append((ids[code_ref], coder))
                memo_refs = [g for g in sel.memos if g in self.plan.notes]
                if not pairs and not memo_refs:
                    continue
                if sel.start >= sel.end:
                    empty += 1
                    continue
                layout.place(sel, pairs, memo_refs)
            for seg in layout.segments:
                if segs_store.segment_exists(self.store, seg.id):
                    raise RefiError(
                        self.plan.file,
                        f"segment {seg.id} of {path} already exists (imported before?); "
                        "nothing was written",
                    )
            layouts.append(layout)
        if unknown:
            self.skipped.append(
                f"{unknown} coding(s) refer to a code the file's codebook does not define"
            )
        if machine:
            self.skipped.append(
                f"{machine} coding(s) by '{MACHINE_USER}' (unreviewed machine suggestions): only human codings are imported"
            )
        if empty:
            self.skipped.append(f"{empty} empty selection(s) (start = end): nothing to code")
        return layouts

    # --- writing --------------------------------------------------------------------------

    def _write(
        self,
        ids: Mapping[str, str],
        new_codes: list[ImportedCode],
        matched: tuple[str, ...],
        yaml_path: Path | None,
        layouts: list[_Layout],
    ) -> ImportSummary:
        started = now()
        n_segments = n_codings = n_memos = n_coded = 0
        coders: set[str] = set()
        joined_rows: list[list[str]] = []
        by_coder: dict[str, list[store_codings.HumanDecision]] = {}
        backup_before(self.store, self.plan.command)
        with self.store.transaction() as conn:
            self._insert_codes(conn, ids, new_codes)
            run_id = store_runs.start_run(
                self.store,
                self.plan.command,
                None,
                input_hashes={self.plan.file: self.plan.input_hash},
                started_at=started,
            )
            n_memos += self._insert_code_memos(ids)
            n_memos += self._insert_memos("project", memos_store.PROJECT, self.plan.project_notes)
            for layout in layouts:
                source = layout.source
                doc_id = self._insert_document(conn, source, layout.path, layout.kind)
                n_memos += self._insert_memos("document", str(doc_id), source.memos)
                self._insert_segments(doc_id, layout)
                n_segments += len(layout.segments)
                n_coded += len({seg for seg, _, _ in layout.hits})
                for (seg_id, code_id, coder), hits in sorted(layout.hits.items()):
                    by_coder.setdefault(coder, []).append(
                        self._decision(seg_id, code_id, hits, layout, joined_rows, coder)
                    )
                for seg_id, span, refs, where in layout.memos:
                    n_memos += self._insert_memos("segment", seg_id, refs, span, where)
            for coder, decisions in sorted(by_coder.items()):  # one write a coder
                self._insert_codings(coder, decisions, run_id)
                coders.add(coder)
                n_codings += len(decisions)
            yaml_text = self._yaml(ids, new_codes) if yaml_path is not None else None
            book = self._codebook_with(yaml_path, yaml_text)
            summary = ImportSummary(
                file=self.plan.file,
                codes_added=tuple(ids[c.guid] for c in new_codes),
                codes_matched=matched,
                codebook_file=str(yaml_path.relative_to(self.project.root)) if yaml_path else None,
                documents=tuple(lay.path for lay in layouts),
                segments=n_segments,
                codings=n_codings,
                coders=tuple(sorted(coders)),
                skipped=tuple(self.skipped),
                run_id=run_id,
                template_replaced=self.replacing_template,
                memos=n_memos,
                coded_segments=n_coded,
                selection_codes=sum(len(lay.links) for lay in layouts),
                joined=len(joined_rows),
                joined_report=self._joined_name() if joined_rows else None,
                across_turns=sum(lay.across for lay in layouts),
                with_interviewer=sum(lay.with_interviewer for lay in layouts),
                code_interviewer_turns=self.code_interviewer_turns,
                clipped=sum(lay.clipped for lay in layouts),
                trimmed=sum(lay.trimmed for lay in layouts),
                outside_turns=sum(lay.outside for lay in layouts),
                same_text=tuple(
                    docs_store.same_text_pairs(self.store, [lay.path for lay in layouts])
                ),
            )
            if self.replacing_template:
                store_codes.sync_codebook(self.store, book)  # the template's codes retire
            store_runs.finish_run(self.store, run_id, summary.to_dict(), codebook=book)
        # Written only once the codes are committed: a kill before COMMIT leaves neither.
        if self.replacing_template:
            template_files.replace_template(self.project.codebook_dir)
        if yaml_path is not None and yaml_text is not None:
            write_output(yaml_path, yaml_text.encode("utf-8"))
        if joined_rows and summary.joined_report is not None:
            self._write_joined(self.project.root / summary.joined_report, joined_rows)
        return summary

    def _joined_name(self) -> str:
        """``reports/<name>_joined_selections.csv`` (numbered when one is there already)."""
        stem = slugify(Path(self.plan.file).stem)
        folder = self.project.reports_dir
        target, n = folder / f"{stem}_joined_selections.csv", 1
        while target.exists():
            n += 1
            target = folder / f"{stem}_joined_selections_{n}.csv"
        return str(target.relative_to(self.project.root))

    def _write_joined(self, target: Path, rows: list[list[str]]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(JOINED_COLUMNS)
            writer.writerows([csv_safe(v) for v in row] for row in rows)

    def _codebook_with(self, yaml_path: Path | None, yaml_text: str | None) -> Codebook:
        """The project's codebook as it will be with the imported file, read from a copy."""
        if (yaml_path is None or yaml_text is None) and not self.replacing_template:
            return self.project.load_codebook()
        with tempfile.TemporaryDirectory(prefix="themegrid-import-") as tmp:
            folder = Path(tmp)
            if self.project.codebook_dir.is_dir():
                for file in codebook_files(self.project.codebook_dir):
                    shutil.copyfile(file, folder / file.name)
            if self.replacing_template:
                (folder / template_files.TEMPLATE_NAME).write_text(
                    template_files.EMPTY_CODEBOOK, encoding="utf-8"
                )
            if yaml_path is not None and yaml_text is not None:
                (folder / yaml_path.name).write_text(yaml_text, encoding="utf-8")
            return load_codebook(folder)

    def _insert_codes(
        self, conn: Any, ids: Mapping[str, str], new_codes: list[ImportedCode]
    ) -> None:
        created = []
        for code in new_codes:
            definition, include, exclude = unfold_description(code.description)
            created.append(
                store_codes.NewCode(
                    id=ids[code.guid],
                    name=code.name,
                    parent_id=ids.get(code.parent_guid) if code.parent_guid else None,
                    codable=code.codable,
                    origin=self.plan.folder,
                    definition=definition or self._placeholder(code),
                    include_note=include,
                    exclude_note=exclude,
                    color=code.color,
                )
            )
        store_codes.add_codes(self.store, created)

    def _placeholder(self, code: ImportedCode) -> str:
        if not code.codable:
            return ""
        return f"Imported from {Path(self.plan.file).name} without a description; write one."

    def _insert_document(self, conn: Any, source: SourceText, path: str, kind: str) -> int:
        return docs_store.insert_document(
            self.store,
            path=path,
            format=self.plan.folder,
            kind=kind,
            content_hash=hashlib.sha256(source.text.encode("utf-8")).hexdigest(),
            text=source.text,
            attributes=source.attributes,
            repair_notes=source.notes,
            source_name=source.name,
        )

    def _insert_segments(self, doc_id: int, layout: _Layout) -> None:
        segs_store.insert_segments(
            self.store, segs_store.new_segments(layout.segments, doc_id, layout.kind)
        )

    def _decision(
        self,
        seg_id: str,
        code_id: str,
        hits: list[_Hit],
        layout: _Layout,
        joined_rows: list[list[str]],
        coder: str,
    ) -> store_codings.HumanDecision:
        """One span coding for a coder's selections of a code on one turn (joined when several)."""
        text = layout.source.text
        reason = f"imported from {Path(self.plan.file).name}"
        start, end = min(h.start for h in hits), max(h.end for h in hits)
        if len(hits) == 1:
            if hits[0].selection.label or not hits[0].exact:  # a plain one's span says it all
                reason += f" ({hits[0].describe()})"
        else:
            parts = "; ".join(f"{h.describe()}: {text[h.start : h.end]!r}" for h in hits)
            reason += f" ({len(hits)} {JOINED_REASON}: {parts})"
            for h in hits:
                joined_rows.append(
                    [
                        self.plan.file,
                        layout.path,
                        code_id,
                        coder,
                        seg_id,
                        h.selection.label or h.selection.guid,
                        str(h.selection.start),
                        str(h.selection.end),
                        str(h.start),
                        str(h.end),
                        text[h.start : h.end],
                        f"{start}-{end}",
                    ]
                )
        return store_codings.HumanDecision(seg_id, code_id, "accepted", reason, None, start, end)

    def _insert_codings(
        self, coder: str, decisions: list[store_codings.HumanDecision], run_id: int
    ) -> None:
        stamp = now()
        store_codings.record_human_codings(self.store, coder, decisions, run_id=run_id, at=stamp)
        seen = sorted({d.segment_id for d in decisions})
        segs_store.mark_seen(self.store, seen, coder, self.plan.folder, at=stamp)

    def _insert_memos(
        self,
        kind: str,
        target: str,
        note_guids: Any,
        span: tuple[int, int] | None = None,
        where: str = "",
    ) -> int:
        """The Notes ``note_guids`` as memos on one target; returns how many were written.

        A memo already on the target (same coder, time and text) is not written twice,
        so a codebook's code memos imported again do not double."""
        there = {
            (m.coder, m.created_at, m.text) for m in memos_store.memos_on(self.store, kind, target)
        }
        written = 0
        origin = f"imported from {Path(self.plan.file).name}" + (f" ({where})" if where else "")
        for guid in note_guids:
            note = self.plan.notes.get(guid)
            if note is None:
                continue
            coder = self._coder(note.user) or self.coder_prefix + MACHINE_USER
            at = note.created_at or now()
            if (coder, at, note.text) in there:
                continue
            memos_store.add_memo(self.store, kind, target, coder, note.text, at, span, note=origin)
            there.add((coder, at, note.text))
            written += 1
        return written

    def _insert_code_memos(self, ids: Mapping[str, str]) -> int:
        return sum(
            self._insert_memos("code", ids[guid], refs)
            for guid, refs in self.plan.code_notes.items()
            if guid in ids
        )

    def _yaml(self, ids: Mapping[str, str], new_codes: list[ImportedCode]) -> str:
        new_guids = {c.guid for c in new_codes}
        entries: dict[str, dict[str, Any]] = {}
        top: list[dict[str, Any]] = []
        for code in new_codes:
            definition, include, exclude = unfold_description(code.description)
            entry: dict[str, Any] = {"id": ids[code.guid], "name": code.name}
            if not code.codable:
                entry["codable"] = False
            if definition or code.codable:
                entry["definition"] = definition or self._placeholder(code)
            for key, value in (("include", include), ("exclude", exclude), ("color", code.color)):
                if value:
                    entry[key] = value
            entries[code.guid] = entry
            if code.parent_guid in new_guids:
                entries[code.parent_guid].setdefault("children", []).append(entry)
            else:
                if code.parent_guid is not None:
                    entry["parent"] = ids[code.parent_guid]
                top.append(entry)
        doc: dict[str, Any] = {}
        if self.codebook is None:
            doc["codebook"] = {
                "name": self.plan.name,
                "version": "0.1.0",
                "description": f"Imported from {Path(self.plan.file).name}.",
            }
        doc["codes"] = top
        head = (
            f"# Imported from {Path(self.plan.file).name} by 'themegrid {self.plan.command}' on {now()[:10]}.\n"
            "# These codes have no cues yet: add cues (see codebook/README.md) for machine suggestions.\n"
        )
        return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def _path_part(name: str) -> str:
    """A name made safe as part of a store document path (no '..', no empty parts)."""
    parts = [p.strip() for p in name.replace("\\", "/").split("/")]
    parts = [p for p in parts if p and p not in (".", "..")]
    return "/".join(parts) or "untitled"


# --- segmenting an imported source and placing its selections -----------------------------

#: In the reason of a coding that joins several selections (an export counts them by it).
JOINED_REASON = "selections joined into one coding of this turn"

#: The columns of ``reports/<name>_joined_selections.csv``: one row per selection joined.
JOINED_COLUMNS = (
    "file",
    "document",
    "code",
    "coder",
    "segment",
    "selection",
    "selection_start",
    "selection_end",
    "start",
    "end",
    "text",
    "joined_span",
)


def source_segments(
    path: str, text: str, *, lines_are_paragraphs: bool = False
) -> tuple[list[Segment], str]:
    """The segments of an imported source's text, and its kind ("interview" or "document").

    As an ingested ``.txt`` is segmented (a header block, speaker turns by the same label
    detection, else paragraphs; long units split at sentences; ids by the ingest scheme for
    ``path``), but on the text exactly as the source gives it: none of the reader's repairs
    (line numbers removed, characters changed) run, since the selections' offsets point into
    this text. ``lines_are_paragraphs``: the source says where its paragraphs are (one a
    line), so lines of similar width are not joined as hard-wrapped prose.
    """
    if not text.strip():
        return [], "document"
    header = find_header(text)
    units, kind = units_from_text(text, header.body_start)
    start = header.body_start
    if kind == "interview" and not _turns_by_line(text, start, lines_are_paragraphs):
        units, kind = paragraphs_of(text, start, lines_are_paragraphs), "document"
    elif kind == "document" and lines_are_paragraphs:
        units = paragraphs_of(text, start, lines_are_paragraphs)
    raw = RawDocument(path, "imported", text, tuple(units), kind, dict(header.attributes))
    return segment_document(raw, _LazyNlp()), kind


def _turns_by_line(text: str, start: int, lines_are_paragraphs: bool) -> bool:
    """Whether speaker labels start enough of the text's paragraphs for it to be a transcript.

    The label detection counts blank-line blocks. Texts from QDA tools are often one
    paragraph a line with few or no blank lines (Taguette keeps a ``<p>`` a line): there a
    whole interview is one or a few blocks, so a handful of ``MODERATOR:`` lines made it a
    transcript and every unlabelled paragraph after one became the moderator's turn. Here
    the same shares (half the paragraphs, or a quarter with four labels or more) are taken
    of the paragraphs the text has when read as a document.
    """
    paragraphs = len(_paragraphs(text, start, lines_are_paragraphs))
    labels = len(find_labels(text, start, len(text)))
    share = labels / max(1, paragraphs)
    return share >= 0.5 or (labels >= 4 and share >= 0.25)


def paragraphs_of(text: str, start: int, lines_are_paragraphs: bool = False) -> list[Unit]:
    """The paragraph units of ``text[start:]``, as a text that is not a transcript gets them."""
    return closing_times(text, opening_times(text, _paragraphs(text, start, lines_are_paragraphs)))


def _paragraphs(text: str, start: int, lines_are_paragraphs: bool) -> list[Unit]:
    if not lines_are_paragraphs:
        return paragraph_units(text, start, len(text))
    units, pos = [], start
    for line in text[start:].split("\n"):
        unit = stripped_unit(text, pos, pos + len(line))
        if unit is not None:
            units.append(unit)
        pos += len(line) + 1
    return units


class _LazyNlp:
    """The spaCy pipeline, built only when a unit is long enough to split at sentences."""

    def __getattr__(self, name: str) -> Any:
        from themegrid.tag.nlp import shared_nlp

        return getattr(shared_nlp(), name)

    def __call__(self, text: str) -> Any:
        from themegrid.tag.nlp import shared_nlp

        return shared_nlp()(text)


@dataclass(frozen=True)
class _Hit:
    """The part of a selection on one segment (document offsets)."""

    selection: Selection
    start: int
    end: int
    part: int  # 1-based, of ``parts`` segments the selection overlaps
    parts: int

    @property
    def exact(self) -> bool:
        """The coding's span is the selection's own."""
        return (self.start, self.end) == (self.selection.start, self.selection.end)

    def describe(self) -> str:
        name = self.selection.label or f"selection {self.selection.guid}"
        own = self.exact
        where = f"{name} at {self.selection.start}-{self.selection.end}"
        if self.parts > 1:
            return f"{where}, part {self.part} of {self.parts} turns: {self.start}-{self.end}"
        return where if own else f"{where}, on this turn's text {self.start}-{self.end}"


@dataclass
class _Layout:
    """One document to write: its segments and, by (segment, code, coder), what lands there."""

    source: SourceText
    path: str
    segments: list[Segment]
    kind: str
    keep_interviewer: bool = False  # code the interviewer turns a selection covers too
    hits: dict[tuple[str, str, str], list[_Hit]] = field(default_factory=dict)
    memos: list[tuple[str, tuple[int, int], list[str], str]] = field(default_factory=list)
    links: set[tuple[str, str, str]] = field(default_factory=set)  # (selection, code, coder)
    across: int = 0
    clipped: int = 0
    trimmed: int = 0
    outside: int = 0
    with_interviewer: int = 0

    def __post_init__(self) -> None:
        self._starts = [s.start for s in self.segments]

    def overlapping(self, start: int, end: int) -> list[tuple[Segment, int, int]]:
        """The segments sharing text with ``start:end``, each with the clipped span."""
        i = max(bisect.bisect_right(self._starts, start) - 1, 0)
        out = []
        for seg in self.segments[i:]:
            if seg.start >= end:
                break
            if seg.end > start:
                out.append((seg, max(start, seg.start), min(end, seg.end)))
        return out

    def place(self, sel: Selection, pairs: Sequence[tuple[str, str]], memo_refs: list[str]) -> None:
        found = self.overlapping(sel.start, sel.end)
        if not found:  # on no turn's text (a header, a label): a segment of its own
            own = self._own_segment(sel.start, sel.end)
            found = [(own, sel.start, sel.end)]
            self.outside += 1
        elif len(found) > 1:
            self.across += 1
            if any(seg.is_interviewer for seg, _, _ in found) and not all(
                seg.is_interviewer for seg, _, _ in found
            ):
                self.with_interviewer += 1
            found = coded_turns(
                found, lambda f: f[0].is_interviewer, keep_interviewer=self.keep_interviewer
            )
        elif (found[0][1], found[0][2]) != (sel.start, sel.end):
            text = self.source.text
            beyond = text[sel.start : found[0][1]] + text[found[0][2] : sel.end]
            if beyond.strip():
                self.clipped += 1
            else:
                self.trimmed += 1
        for code_id, coder in pairs:
            self.links.add((sel.guid, code_id, coder))
            for n, (seg, a, b) in enumerate(found, 1):
                hit = _Hit(sel, a, b, n, len(found))
                self.hits.setdefault((seg.id, code_id, coder), []).append(hit)
        if memo_refs:
            seg, a, b = found[0]
            where = (
                ""
                if len(found) == 1 and (a, b) == (sel.start, sel.end)
                else (f"on the selection {sel.start}-{sel.end}; kept on the part in its first turn")
            )
            self.memos.append((seg.id, (a, b), memo_refs, where))

    def _own_segment(self, start: int, end: int) -> Segment:
        seg_id = imported_segment_id(self.source.guid, start, end)
        for seg in self.segments:
            if seg.id == seg_id:
                return seg
        seg = Segment(seg_id, self.path, 0, start, end, self.source.text[start:end])
        self.segments.append(seg)
        self.segments.sort(key=lambda s: (s.start, s.end))
        self.segments[:] = [dataclasses.replace(s, seq=n) for n, s in enumerate(self.segments)]
        self._starts = [s.start for s in self.segments]
        return next(s for s in self.segments if s.id == seg_id)
