"""Putting what a ``.qdc``/``.qdpx`` holds into a project: codes, documents, segments, codings.

Everything is checked first (id clashes, documents already imported); then one
transaction writes the store and ``codebook/imported_<name>.yaml``. If anything
fails, the store is rolled back and the YAML file removed: nothing is half-imported.

Imported codes go to both places on purpose: the store's ``codes`` table (origin
``refi``) so codings can refer to them at once, and a YAML file in the codebook
format (without cues) so ``themegrid codebook check``, the tagger and later
exports keep seeing one codebook. Source texts stay in the store only (documents
with format ``refi``); they are not written into ``corpus/``, because they are not
files the researcher put there and re-ingesting them would duplicate them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from themegrid.codebook import Codebook, codebook_files, load_codebook
from themegrid.codebook import files as template_files
from themegrid.errors import CodebookError, ProjectError
from themegrid.exchange.refi.codes import ImportedCode, assign_ids, slugify, unfold_description
from themegrid.exchange.refi.ids import code_guid
from themegrid.exchange.refi.safety import RefiError, write_output
from themegrid.project import Project
from themegrid.segment.ids import imported_segment_id
from themegrid.store import codes as store_codes
from themegrid.store import codings as store_codings
from themegrid.store import documents as docs_store
from themegrid.store import memos as memos_store
from themegrid.store import runs as store_runs
from themegrid.store import segments as segs_store
from themegrid.store.backup import backup_before
from themegrid.store.connection import Store, now

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
                f"  codings: {self.codings} human accepted codings on {self.segments} segments"
                + (f" by {', '.join(self.coders)}" if self.coders else "")
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
        return out


def apply_import(project: Project, plan: ImportPlan, *, coder_prefix: str = "") -> ImportSummary:
    """Write ``plan`` into ``project`` in one transaction; refuse clashes before writing.

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
        return _Writer(project, store, codebook, plan, coder_prefix, replacing).run()


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
        coder_prefix: str,
        replacing_template: bool = False,
    ) -> None:
        self.project, self.store, self.codebook, self.plan = project, store, codebook, plan
        self.coder_prefix = coder_prefix
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
        rows = self._codings(ids)
        return self._write(ids, new_codes, matched, yaml_path, documents, rows)

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
        return self.coder_prefix + name

    def _codings(
        self, ids: Mapping[str, str]
    ) -> dict[tuple[str, int, int], dict[tuple[str, str], list[str]]]:
        """(source GUID, start, end) -> {(code id, coder): selection labels}; unknown codes and
        machine rows skipped."""
        out: dict[tuple[str, int, int], dict[tuple[str, str], list[str]]] = {}
        unknown = machine = 0
        for source in self.plan.sources:
            for sel in source.selections:
                for code_ref, user in sel.codings:
                    if code_ref not in ids:
                        unknown += 1
                        continue
                    coder = self._coder(user)
                    if coder is None:
                        machine += 1
                        continue
                    labels = out.setdefault((source.guid, sel.start, sel.end), {}).setdefault(
                        (ids[code_ref], coder), []
                    )
                    if sel.label:
                        labels.append(sel.label)
        if unknown:
            self.skipped.append(
                f"{unknown} coding(s) refer to a code the file's codebook does not define"
            )
        if machine:
            self.skipped.append(
                f"{machine} coding(s) by '{MACHINE_USER}' (unreviewed machine suggestions): only human codings are imported"
            )
        return out

    # --- writing --------------------------------------------------------------------------

    def _write(
        self,
        ids: Mapping[str, str],
        new_codes: list[ImportedCode],
        matched: tuple[str, ...],
        yaml_path: Path | None,
        documents: list[tuple[SourceText, str]],
        codings: dict[tuple[str, int, int], dict[tuple[str, str], list[str]]],
    ) -> ImportSummary:
        started = now()
        n_segments = n_codings = n_memos = 0
        coders: set[str] = set()
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
            for source, path in documents:
                doc_id = self._insert_document(conn, source, path)
                n_memos += self._insert_memos("document", str(doc_id), source.memos)
                on_span: dict[tuple[int, int], list[str]] = {}
                for s in source.selections:
                    on_span.setdefault((s.start, s.end), []).extend(s.memos)
                for seq, sel in enumerate(sorted(on_span)):
                    pairs = codings.get((source.guid, *sel))
                    memo_refs = [g for g in on_span[sel] if g in self.plan.notes]
                    if not pairs and not memo_refs:
                        continue
                    seg_id = imported_segment_id(source.guid, *sel)
                    self._insert_segment(conn, seg_id, doc_id, seq, sel, source.text)
                    n_segments += 1
                    for (code_id, coder), labels in sorted((pairs or {}).items()):
                        self._insert_coding(conn, seg_id, code_id, coder, run_id, labels)
                        coders.add(coder)
                        n_codings += 1
                    n_memos += self._insert_memos("segment", seg_id, memo_refs)
            yaml_text = self._yaml(ids, new_codes) if yaml_path is not None else None
            book = self._codebook_with(yaml_path, yaml_text)
            summary = ImportSummary(
                file=self.plan.file,
                codes_added=tuple(ids[c.guid] for c in new_codes),
                codes_matched=matched,
                codebook_file=str(yaml_path.relative_to(self.project.root)) if yaml_path else None,
                documents=tuple(p for _, p in documents),
                segments=n_segments,
                codings=n_codings,
                coders=tuple(sorted(coders)),
                skipped=tuple(self.skipped),
                run_id=run_id,
                template_replaced=self.replacing_template,
                memos=n_memos,
            )
            if self.replacing_template:
                store_codes.sync_codebook(self.store, book)  # the template's codes retire
            store_runs.finish_run(self.store, run_id, summary.to_dict(), codebook=book)
        # Written only once the codes are committed: a kill before COMMIT leaves neither.
        if self.replacing_template:
            template_files.replace_template(self.project.codebook_dir)
        if yaml_path is not None and yaml_text is not None:
            write_output(yaml_path, yaml_text.encode("utf-8"))
        return summary

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

    def _insert_document(self, conn: Any, source: SourceText, path: str) -> int:
        return docs_store.insert_document(
            self.store,
            path=path,
            format=self.plan.folder,
            kind="document",
            content_hash=hashlib.sha256(source.text.encode("utf-8")).hexdigest(),
            text=source.text,
            attributes=source.attributes,
            repair_notes=source.notes,
            source_name=source.name,
        )

    def _insert_segment(
        self, conn: Any, seg_id: str, doc_id: int, seq: int, span: tuple[int, int], text: str
    ) -> None:
        start, end = span
        if segs_store.segment_exists(self.store, seg_id):
            raise RefiError(
                self.plan.file,
                f"segment {seg_id} already exists (imported before?); nothing was written",
            )
        segs_store.insert_segments(
            self.store, [segs_store.NewSegment(seg_id, doc_id, seq, start, end, text[start:end])]
        )

    def _insert_coding(
        self, conn: Any, seg_id: str, code_id: str, coder: str, run_id: int, labels: list[str]
    ) -> None:
        stamp = now()
        reason = f"imported from {Path(self.plan.file).name}"
        if labels:
            reason += f" ({', '.join(labels)})"
        store_codings.record_human_codings(
            self.store,
            coder,
            [store_codings.HumanDecision(seg_id, code_id, "accepted", reason)],
            run_id=run_id,
            at=stamp,
        )
        segs_store.mark_seen(self.store, [seg_id], coder, self.plan.folder, at=stamp)

    def _insert_memos(self, kind: str, target: str, note_guids: Any) -> int:
        """The Notes ``note_guids`` as memos on one target; returns how many were written.

        A memo already on the target (same coder, time and text) is not written twice,
        so a codebook's code memos imported again do not double."""
        there = {
            (m.coder, m.created_at, m.text) for m in memos_store.memos_on(self.store, kind, target)
        }
        written = 0
        origin = f"imported from {Path(self.plan.file).name}"
        for guid in note_guids:
            note = self.plan.notes.get(guid)
            if note is None:
                continue
            coder = self._coder(note.user) or self.coder_prefix + MACHINE_USER
            at = note.created_at or now()
            if (coder, at, note.text) in there:
                continue
            memos_store.add_memo(self.store, kind, target, coder, note.text, at, note=origin)
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
