"""REFI-QDA projects (``.qdpx``): export the coded project, import one from another tool.

A ``.qdpx`` is a zip with ``project.qde`` (QDA-XML) and ``sources/<guid>.txt``.
Positions in ``PlainTextSelection`` are Unicode code points into the source's
plain text with ``\\n`` line endings, which is exactly how the store keeps
document text and segment offsets.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from themegrid import __version__
from themegrid.errors import Problem, ProjectError
from themegrid.exchange.options import DEFAULT_IMPORT_OPTIONS, ImportOptions
from themegrid.exchange.refi.codes import (
    ExportCode,
    add_code_elements,
    export_codes,
    read_code_elements,
)
from themegrid.exchange.refi.ids import (
    case_guid,
    coding_guid,
    document_guid,
    memo_guid,
    memo_selection_guid,
    normalise_guid,
    selection_guid,
    user_guid,
    variable_guid,
)
from themegrid.exchange.refi.importer import (
    JOINED_REASON,
    MACHINE_USER,
    ImportedNote,
    ImportPlan,
    ImportSummary,
    Selection,
    SourceText,
    apply_import,
)
from themegrid.exchange.refi.qdc import raise_first
from themegrid.exchange.refi.safety import (
    DEFAULT_LIMITS,
    PROJECT_NS,
    Limits,
    PathOrFile,
    RefiError,
    SafeZip,
    display_name,
    iter_children,
    lxml_etree,
    parse_xml,
    write_output,
)
from themegrid.project import Project
from themegrid.store import documents as store_documents
from themegrid.store import memos as store_memos
from themegrid.store import runs as store_runs
from themegrid.store import views
from themegrid.store.connection import Store, loads

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so two exports of one project are byte-identical
#: What the schema's xsd:dateTime accepts; a memo's time in any other form is left out.
_XSD_DATETIME = re.compile(r"^-?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")


@dataclass(frozen=True)
class QdpxExport:
    path: str
    codes: int
    documents: int
    selections: int
    codings: int
    users: tuple[str, ...]
    skipped: tuple[str, ...]
    memos: int = 0  # written as <Note>s, each referred to from its code, source or passage
    joined: int = 0  # codings an import joined from several selections: one selection here

    def lines(self) -> list[str]:
        out = [
            f"wrote {self.path}: {self.codes} codes, {self.documents} documents, "
            f"{self.codings} codings on {self.selections} selections, {self.memos} memos",
            f"  users: {', '.join(self.users) if self.users else '(none)'}",
        ]
        if self.joined:
            out.append(
                f"  {self.joined} coding(s) joined on import from several selections of one code by "
                "one coder in one turn are one selection each here (covering them); the original "
                "selections are in each coding's reason and the import's joined_selections report"
            )
        out.extend(f"  skipped: {reason}" for reason in self.skipped)
        return out


# --- export -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    segment_id: str
    code_id: str
    coder: str  # the REFI user name
    document_id: int
    start: int
    end: int


@dataclass(frozen=True)
class _Note:
    """A memo on its way out: a ``<Note>``, and where its ``<NoteRef>`` goes."""

    guid: str
    kind: str  # document, code, segment (a passage: a selection of its own) or project
    target: str  # the document id, code id or segment id
    coder: str
    created_at: str
    text: str
    document_id: int | None = None  # for document and passage memos
    start: int = 0  # a passage memo's selection (document offsets)
    end: int = 0


def export_qdpx(
    project: Project, out: PathOrFile, *, include_suggestions: bool = False
) -> QdpxExport:
    """Write the coded project as a ``.qdpx``: codebook, documents, human accepted codings,
    memos (each a ``<Note>``, referred to from its code, its source, or a selection of
    the passage it is on).

    With ``include_suggestions`` unreviewed machine suggestions are added as codings
    by the user "themegrid (machine)". ``out`` is a path (written atomically) or a
    binary file object.
    """
    codebook = project.load_codebook()
    if not project.store_path.exists():
        raise ProjectError(
            f"{project.store_path}: no project store yet; run 'themegrid code' first"
        )
    with Store(project.store_path) as store:
        codes = export_codes(codebook, store)
        docs = views.present_documents_with_text(store)
        names = store_documents.source_names(store)
        rows, skipped = _coding_rows(
            store, {c.id for c in codes}, {d.id: d.text for d in docs}, include_suggestions
        )
        joined = views.human_codings_with_reason(store, JOINED_REASON)
        notes, note_skips = _memo_notes(store, {c.id for c in codes}, docs)
        skipped += note_skips
        description = _description(
            store, codebook.name, codebook.version, codebook.hash, include_suggestions
        )
    qde, n_selections = _project_xml(
        project.root.name, codes, docs, rows, description, names, notes
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        _add(zf, "project.qde", qde)
        for doc in docs:
            _add(zf, f"sources/{document_guid(doc.path)}.txt", doc.text.encode("utf-8"))
    written = write_output(out, buffer.getvalue())
    users = tuple(sorted({r.coder for r in rows} | {n.coder for n in notes}))
    n_joined = sum((r.segment_id, r.code_id, r.coder) in joined for r in rows)
    return QdpxExport(
        written,
        len(codes),
        len(docs),
        n_selections,
        len(rows),
        users,
        tuple(skipped),
        len(notes),
        n_joined,
    )


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def _coding_rows(
    store: Store, code_ids: set[str], texts: Mapping[int, str], include_suggestions: bool
) -> tuple[list[_Row], list[str]]:
    """The codings to export, checked against the document texts; reasons for the rest."""
    found = views.counted_codings_for_export(store, include_suggestions=include_suggestions)
    rows: list[_Row] = []
    counts = {"missing document": 0, "orphaned": 0, "unknown code": 0, "offsets": 0}
    for r in found:
        text = texts.get(r.document_id)
        if text is None:
            counts["missing document"] += 1
        elif not r.active:
            counts["orphaned"] += 1
        elif r.code_id not in code_ids:
            counts["unknown code"] += 1
        elif text[r.start : r.end] != r.text:
            counts["offsets"] += 1
        else:
            coder = MACHINE_USER if r.status == "suggested" else r.coder
            if r.span_start is not None and r.span_end is not None:  # the exact passage
                start, end = r.span_start, r.span_end
            else:
                start, end = r.start, r.end
            rows.append(_Row(r.segment_id, r.code_id, coder, r.document_id, start, end))
    reasons = {
        "missing document": "coding(s) on documents no longer in corpus/",
        "orphaned": "coding(s) on orphaned segments (their file changed; see 'themegrid status')",
        "unknown code": "coding(s) with a code that is not in the codebook",
        "offsets": "coding(s) whose segment offsets do not match the document text (re-run 'themegrid code')",
    }
    return rows, [f"{n} {reasons[k]}" for k, n in counts.items() if n]


def _memo_notes(
    store: Store, code_ids: set[str], docs: list[views.DocumentText]
) -> tuple[list[_Note], list[str]]:
    """Every memo that has a place in the export, and reasons for the rest (never silent)."""
    paths = {d.id: d.path for d in docs}
    texts = {d.id: d.text for d in docs}
    notes: list[_Note] = []
    orphaned = unknown = 0

    def note(m: store_memos.Memo, identity: str, **where: Any) -> _Note:
        guid = memo_guid(m.target_kind, identity, m.coder, m.created_at, m.text)
        return _Note(guid, m.target_kind, m.target_id, m.coder, m.created_at, m.text, **where)

    on_docs = store_memos.memos_by_target(store, "document")
    for doc in docs:
        for m in on_docs.get(str(doc.id), ()):
            notes.append(note(m, doc.path, document_id=doc.id))
    for code_id, memos in store_memos.memos_by_target(store, "code").items():
        for m in memos:
            if code_id in code_ids:
                notes.append(note(m, code_id))
            else:
                unknown += 1
    for m in store_memos.memos_on(store, "project", store_memos.PROJECT):
        notes.append(note(m, "project"))
    for doc in docs:
        for pm in store_memos.passage_memos(store, doc.id):
            m = pm.memo
            if m.span_start is not None and m.span_end is not None:
                start, end = m.span_start, m.span_end
            else:
                start, end = pm.segment_start, pm.segment_start + len(pm.segment_text)
            if not pm.active or texts[doc.id][start:end] != pm.passage:
                orphaned += 1
                continue
            where = f"{paths[doc.id]}@{start}-{end}"
            notes.append(note(m, where, document_id=doc.id, start=start, end=end))
    missing = store_memos.memo_count(store) - len(notes) - orphaned - unknown
    reasons = [
        (missing, "memo(s) on documents no longer in corpus/"),
        (orphaned, "memo(s) on passages no longer in their file (see 'themegrid status')"),
        (unknown, "memo(s) on a code that is not in the codebook"),
    ]
    return notes, [f"{n} {why}" for n, why in reasons if n]


def _description(store: Store, name: str, version: str, book_hash: str, suggestions: bool) -> str:
    lines = [
        f"Exported by themegrid {__version__}.",
        f"Codebook: {name}, version {version} (hash {book_hash}).",
    ]
    r = store_runs.latest_run(store)
    if r:
        lines.append(
            f"Last run: #{r.id} '{r.command}', finished {r.finished_at or '(unfinished)'}, "
            f"themegrid {r.tool_version}, codebook {r.codebook_name} version {r.codebook_version} "
            f"(hash {r.codebook_hash})."
        )
    else:
        lines.append("Last run: none recorded.")
    lines.append(
        "Codings: human accepted codings"
        + (
            f", plus unreviewed machine suggestions as the user '{MACHINE_USER}'."
            if suggestions
            else " only."
        )
    )
    return "\n".join(lines)


def _project_xml(
    name: str,
    codes: list[ExportCode],
    docs: list[views.DocumentText],
    rows: list[_Row],
    description: str,
    names: Mapping[int, str],
    notes: Sequence[_Note] = (),
) -> tuple[bytes, int]:
    """The project.qde; a source is named by its store path, or by the name it had in the
    REFI-QDA project it was imported from (``names``, by document id), so names round-trip."""
    etree = lxml_etree()
    ns = PROJECT_NS

    def sub(parent: Any, tag: str, **attrs: str) -> Any:
        return etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)

    root = etree.Element(
        f"{{{ns}}}Project", nsmap={None: ns}, name=name, origin=f"themegrid {__version__}"
    )
    users = sorted({r.coder for r in rows} | {n.coder for n in notes})
    if users:
        users_el = sub(root, "Users")
        for user in users:
            sub(users_el, "User", guid=user_guid(user), name=user)
    code_notes: dict[str, list[str]] = {}
    doc_notes: dict[int, list[_Note]] = {}
    passage_notes: dict[int, list[_Note]] = {}
    for n in notes:
        if n.kind == "code":
            code_notes.setdefault(n.target, []).append(n.guid)
        elif n.document_id is not None:
            into = doc_notes if n.kind == "document" else passage_notes
            into.setdefault(n.document_id, []).append(n)
    add_code_elements(sub(sub(root, "CodeBook"), "Codes"), codes, ns, code_notes)
    attributes = {d.id: {k: _text(v) for k, v in loads(d.attributes, {}).items()} for d in docs}
    keys = sorted({k for attrs in attributes.values() for k in attrs})
    if keys:
        variables = sub(root, "Variables")
        for key in keys:
            sub(variables, "Variable", guid=variable_guid(key), name=key, typeOfVariable="Text")
    if docs:
        # One Case per document, holding its case attributes and pointing at it: the
        # simplest faithful mapping, and the one QualCoder and NVivo read as "case
        # classification + attribute values" without further configuration.
        cases = sub(root, "Cases")
        for doc in docs:
            case = sub(cases, "Case", guid=case_guid(doc.path), name=doc.path)
            for key, value in sorted(attributes[doc.id].items()):
                vv = sub(case, "VariableValue")
                sub(vv, "VariableRef", targetGUID=variable_guid(key))
                sub(vv, "TextValue").text = value
            sub(case, "SourceRef", targetGUID=document_guid(doc.path))
        sources = sub(root, "Sources")
        by_doc: dict[int, list[_Row]] = {}
        for row in rows:
            by_doc.setdefault(row.document_id, []).append(row)
        n_selections = 0
        for doc in docs:
            guid = document_guid(doc.path)
            source = sub(
                sources,
                "TextSource",
                guid=guid,
                name=names.get(doc.id, doc.path),
                plainTextPath=f"internal://{guid}.txt",
            )
            n_selections += _selections(source, by_doc.get(doc.id, []), sub)
            for n in passage_notes.get(doc.id, []):  # a selection of the passage, no coding
                sel = sub(
                    source,
                    "PlainTextSelection",
                    guid=memo_selection_guid(n.guid),
                    startPosition=str(n.start),
                    endPosition=str(n.end),
                    creatingUser=user_guid(n.coder),
                )
                sub(sel, "NoteRef", targetGUID=n.guid)
            for n in doc_notes.get(doc.id, []):
                sub(source, "NoteRef", targetGUID=n.guid)
    else:
        n_selections = 0
    if notes:
        notes_el = sub(root, "Notes")
        for n in notes:
            when = {"creationDateTime": n.created_at} if _XSD_DATETIME.match(n.created_at) else {}
            note_el = sub(
                notes_el,
                "Note",
                guid=n.guid,
                name=f"memo by {n.coder}",
                creatingUser=user_guid(n.coder),
                **when,
            )
            sub(note_el, "PlainTextContent").text = n.text
    sub(root, "Description").text = description
    for n in notes:  # the project's own notes: NoteRefs last, where the schema puts them
        if n.kind == "project":
            sub(root, "NoteRef", targetGUID=n.guid)
    return etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", pretty_print=True
    ), n_selections


def _selections(source: Any, rows: list[_Row], sub: Callable[..., Any]) -> int:
    """One PlainTextSelection per (segment, coder, passage), with one Coding per code."""
    groups: dict[tuple[str, str, int, int], list[_Row]] = {}
    for row in rows:
        groups.setdefault((row.segment_id, row.coder, row.start, row.end), []).append(row)
    whole: dict[tuple[str, str], tuple[int, int]] = {}
    for row in rows:  # the first passage of a (segment, coder) keeps the segment's guid
        whole.setdefault((row.segment_id, row.coder), (row.start, row.end))
    for (segment_id, coder, start, end), group in groups.items():
        user = user_guid(coder)
        place = segment_id if whole[segment_id, coder] == (start, end) else f"{segment_id}@{start}"
        sel = sub(
            source,
            "PlainTextSelection",
            guid=selection_guid(place, coder),
            startPosition=str(group[0].start),
            endPosition=str(group[0].end),
            creatingUser=user,
        )
        for row in group:
            coding = sub(
                sel, "Coding", guid=coding_guid(segment_id, row.code_id, coder), creatingUser=user
            )
            sub(coding, "CodeRef", targetGUID=ExportCode(row.code_id, "", None).guid)
    return len(groups)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# --- import -----------------------------------------------------------------------------------


def import_qdpx(
    project: Project,
    source: PathOrFile,
    options: ImportOptions = DEFAULT_IMPORT_OPTIONS,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportSummary:
    """Import a ``.qdpx`` into ``project``: codes, text sources as documents, codings as human codings."""
    return apply_import(project, read_qdpx(source, limits), options)


def read_qdpx(source: PathOrFile, limits: Limits = DEFAULT_LIMITS) -> ImportPlan:
    """Parse and check a ``.qdpx`` without touching any project; raises RefiError."""
    display = display_name(source)
    with SafeZip(source, limits) as archive:
        qde = _find_qde(archive)
        data = archive.read(qde, limits.max_xml_bytes)
        return _Reader(archive, display, qde, data).plan()


def _find_qde(archive: SafeZip) -> str:
    names = archive.names()
    exact = archive.find("project.qde")
    if exact:
        return exact
    qdes = [n for n in names if n.lower().endswith(".qde")]
    if len(qdes) == 1:
        return qdes[0]
    if not qdes:
        raise RefiError(
            archive.display,
            "no project.qde (or other .qde) inside; this is not a REFI-QDA project (.qdpx) archive",
        )
    raise RefiError(archive.display, f"several .qde files inside ({', '.join(qdes)}); expected one")


class _Reader:
    def __init__(self, archive: SafeZip, display: str, qde: str, data: bytes) -> None:
        self.archive, self.display, self.data = archive, display, data
        self.xml_display = f"{display}/{qde}"
        self.root = parse_xml(data, self.xml_display, root="Project", namespaces=(PROJECT_NS,))
        self.ns = PROJECT_NS
        self.problems: list[Problem] = []
        self.skipped: list[str] = []

    def find(self, parent: Any, name: str) -> Any:
        return parent.find(f"{{{self.ns}}}{name}")

    def children(self, parent: Any, name: str) -> list[Any]:
        return list(iter_children(parent, self.ns, name)) if parent is not None else []

    def plan(self) -> ImportPlan:
        users = {}
        for user in self.children(self.find(self.root, "Users"), "User"):
            guid = normalise_guid(user.get("guid"))
            if guid:
                users[guid] = (user.get("name") or user.get("id") or guid).strip()
        codebook = self.find(self.root, "CodeBook")
        codes_el = self.find(codebook, "Codes") if codebook is not None else None
        codes = (
            read_code_elements(codes_el, self.ns, self.xml_display, self.problems)
            if codes_el is not None
            else []
        )
        variables = {
            normalise_guid(v.get("guid")): (v.get("name") or v.get("guid") or "").strip()
            for v in self.children(self.find(self.root, "Variables"), "Variable")
        }
        case_attrs = self._case_attributes(variables)
        notes = self._notes()
        code_notes = self._code_notes(codes_el)
        project_notes = self._note_refs(self.root)  # NoteRefs after Description: the project's
        sources = self._sources(variables, case_attrs)
        self._unplaced_notes(notes, {**code_notes, "": project_notes}, sources)
        raise_first(self.problems, self.xml_display)
        return ImportPlan(
            file=self.display,
            command="import qdpx",
            name=(self.root.get("name") or "").strip() or _stem(self.display),
            codes=tuple(codes),
            sources=tuple(sources),
            users=users,
            skipped=tuple(self.skipped),
            input_hash=hashlib.sha256(self.data).hexdigest(),
            notes=notes,
            code_notes=code_notes,
            project_notes=project_notes,
        )

    # --- notes (memos) ------------------------------------------------------------------------

    def _note_refs(self, *elements: Any) -> tuple[str, ...]:
        """The Note GUIDs an element's own ``<NoteRef>`` children point at."""
        out: list[str] = []
        for el in dict.fromkeys(elements):
            for ref in self.children(el, "NoteRef"):
                guid = normalise_guid(ref.get("targetGUID"))
                if guid and guid not in out:
                    out.append(guid)
        return tuple(out)

    def _notes(self) -> dict[str, ImportedNote]:
        """Note GUID -> its text, creating user and time (text inline or in a sources/ file)."""
        out: dict[str, ImportedNote] = {}
        for el in self.children(self.find(self.root, "Notes"), "Note"):
            guid = normalise_guid(el.get("guid"))
            name = (el.get("name") or el.get("guid") or "").strip()
            if guid is None:
                self.skipped.append(f"note '{name}': guid {el.get('guid')!r} is not a GUID")
                continue
            loaded = self._load_text(el, "Note", name)
            if loaded is None:
                continue
            text, _ = normalise_newlines(loaded[0])
            out[guid] = ImportedNote(
                guid,
                text.strip(),
                normalise_guid(el.get("creatingUser")),
                (el.get("creationDateTime") or "").strip(),
            )
        return out

    def _code_notes(self, codes_el: Any) -> dict[str, tuple[str, ...]]:
        """Code GUID -> the Notes on it (memos on codes)."""
        out: dict[str, tuple[str, ...]] = {}
        for el in codes_el.iter(f"{{{self.ns}}}Code") if codes_el is not None else ():
            guid = normalise_guid(el.get("guid"))
            refs = self._note_refs(el)
            if guid and refs:
                out[guid] = refs
        return out

    def _unplaced_notes(
        self,
        notes: Mapping[str, ImportedNote],
        code_notes: Mapping[str, tuple[str, ...]],
        sources: list[SourceText],
    ) -> None:
        """Say which Notes have no code, source, passage or project to go on, and which
        refs miss (``code_notes`` holds the project's refs too, under "")."""
        refs = [g for gs in code_notes.values() for g in gs]
        for source in sources:
            refs += [*source.memos, *(g for s in source.selections for g in s.memos)]
        dangling = sum(1 for g in refs if g not in notes)
        unplaced = len(set(notes) - set(refs))
        if dangling:
            self.skipped.append(f"{dangling} NoteRef(s) point at a Note the file does not hold")
        if unplaced:
            self.skipped.append(
                f"{unplaced} note(s) not on a code, source or passage, nor on the project"
                " (no NoteRef points at them)"
            )

    # --- cases and variables ------------------------------------------------------------------

    def _values(self, element: Any, variables: Mapping[str | None, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for vv in self.children(element, "VariableValue"):
            ref = self.find(vv, "VariableRef")
            guid = normalise_guid(ref.get("targetGUID")) if ref is not None else None
            name = variables.get(guid) or (guid or "")
            value_el = next(
                (c for c in vv.iterchildren() if c is not ref and isinstance(c.tag, str)), None
            )
            if name and value_el is not None and value_el.text is not None:
                out[name] = value_el.text.strip()
        return out

    def _case_attributes(self, variables: Mapping[str | None, str]) -> dict[str, dict[str, str]]:
        """Source GUID -> attributes from every Case that refers to it."""
        out: dict[str, dict[str, str]] = {}
        for case in self.children(self.find(self.root, "Cases"), "Case"):
            values = self._values(case, variables)
            for ref in self.children(case, "SourceRef"):
                guid = normalise_guid(ref.get("targetGUID"))
                if guid:
                    out.setdefault(guid, {}).update(values)
        return out

    # --- sources ------------------------------------------------------------------------------

    def _sources(
        self, variables: Mapping[str | None, str], case_attrs: Mapping[str, dict[str, str]]
    ) -> list[SourceText]:
        out: list[SourceText] = []
        seen: set[str] = set()
        sources_el = self.find(self.root, "Sources")
        for el in sources_el.iterchildren() if sources_el is not None else ():
            if not isinstance(el.tag, str):
                continue
            kind = lxml_etree().QName(el).localname
            guid = normalise_guid(el.get("guid"))
            name = (el.get("name") or el.get("guid") or "").strip()
            if guid is None:
                self.problems.append(
                    Problem(
                        f"guid {el.get('guid')!r} is not a GUID",
                        self.xml_display,
                        el.sourceline,
                        f"{kind} '{name}'",
                    )
                )
                continue
            if guid in seen:
                self.problems.append(
                    Problem(
                        "a second source with the same GUID",
                        self.xml_display,
                        el.sourceline,
                        f"{kind} '{name}'",
                    )
                )
                continue
            seen.add(guid)
            text_el = self._text_element(el, kind, name)
            if text_el is None:
                continue
            loaded = self._load_text(text_el, kind, name)
            if loaded is None:
                continue
            attrs = {**self._values(el, variables), **case_attrs.get(guid, {})}
            out.append(self._source(guid, name, loaded, text_el, el, attrs))
        return out

    def _text_element(self, el: Any, kind: str, name: str) -> Any:
        if kind == "TextSource":
            return el
        if kind == "PDFSource":
            rep = self.find(el, "Representation")
            n_pdf = len(self.children(el, "PDFSelection"))
            if n_pdf:
                self.skipped.append(
                    f"PDFSource '{name}': {n_pdf} region selection(s) on the PDF pages (only text selections are imported)"
                )
            if rep is None:
                self.skipped.append(
                    f"PDFSource '{name}': no plain-text Representation, so no text to import"
                )
            return rep
        label = kind.removesuffix("Source").lower() or kind
        self.skipped.append(
            f"{kind} '{name}': {label} sources are not imported (themegrid codes text only)"
        )
        return None

    def _load_text(self, el: Any, kind: str, name: str) -> tuple[str, list[str]] | None:
        """The source's text as stored (not yet newline-normalised) and notes; None when skipped."""
        content = self.find(el, "PlainTextContent")
        if content is not None:
            return content.text or "", []
        path = (el.get("plainTextPath") or "").strip()
        if not path:
            self.skipped.append(f"{kind} '{name}': neither PlainTextContent nor plainTextPath")
            return None
        entry = self._entry(path)
        if entry is None:
            self.skipped.append(
                f"{kind} '{name}': its text file '{path}' is not inside the archive"
            )
            return None
        return _decode(self.archive.read(entry))

    def _entry(self, path: str) -> str | None:
        scheme, _, rest = path.partition("://")
        if not rest:
            scheme, rest = "relative", path
        if scheme.lower() == "absolute":
            return None
        rest = rest.replace("\\", "/").lstrip("/")
        base = rest.rsplit("/", 1)[-1]
        for candidate in (f"sources/{rest}", rest, f"sources/{base}"):
            found = self.archive.find(candidate)
            if found:
                return found
        return None

    def _source(
        self,
        guid: str,
        name: str,
        loaded: tuple[str, list[str]],
        text_el: Any,
        el: Any,
        attrs: dict[str, str],
    ) -> SourceText:
        raw, notes = loaded
        text, convert = normalise_newlines(raw)
        if text != raw:
            notes = [*notes, "line endings converted to \\n (selection positions adjusted)"]
        selections = [
            self._selection(s, raw, convert, name)
            for s in self.children(text_el, "PlainTextSelection")
        ]
        whole = self.children(text_el, "Coding") + (
            self.children(el, "Coding") if el is not text_el else []
        )
        if whole:  # codings on the source itself cover its whole text
            selections.append(Selection(guid, 0, len(text), tuple(self._codings(whole, None))))
        empty = sum(1 for s in selections if s is not None and s.start == s.end)
        if empty:
            self.skipped.append(f"source '{name}': {empty} empty selection(s) (start = end)")
        kept = tuple(s for s in selections if s is not None and s.start < s.end)
        memos = self._note_refs(el, text_el)
        return SourceText(guid, name, text, attrs, kept, tuple(notes), memos)

    def _selection(
        self, el: Any, raw: str, convert: Callable[[int], int], source: str
    ) -> Selection | None:
        guid = normalise_guid(el.get("guid")) or ""
        where = f"source '{source}', selection {el.get('guid')}"
        try:
            start, end = int(el.get("startPosition")), int(el.get("endPosition"))
        except (TypeError, ValueError):
            self.problems.append(
                Problem(
                    "startPosition/endPosition missing or not whole numbers",
                    self.xml_display,
                    el.sourceline,
                    where,
                )
            )
            return None
        if not 0 <= start <= end <= len(raw):
            self.problems.append(
                Problem(
                    f"positions {start}-{end} fall outside the source text (0-{len(raw)} characters)"
                    if start <= end
                    else f"startPosition {start} is after endPosition {end}",
                    self.xml_display,
                    el.sourceline,
                    where,
                )
            )
            return None
        user = normalise_guid(el.get("creatingUser"))
        return Selection(
            guid,
            convert(start),
            convert(end),
            tuple(self._codings(self.children(el, "Coding"), user)),
            memos=self._note_refs(el),
        )

    def _codings(
        self, codings: list[Any], default_user: str | None
    ) -> list[tuple[str, str | None]]:
        out = []
        for coding in codings:
            ref = self.find(coding, "CodeRef")
            code = normalise_guid(ref.get("targetGUID")) if ref is not None else None
            if code is None:
                self.problems.append(
                    Problem("a Coding without a valid CodeRef", self.xml_display, coding.sourceline)
                )
                continue
            out.append((code, normalise_guid(coding.get("creatingUser")) or default_user))
        return out


def normalise_newlines(text: str) -> tuple[str, Callable[[int], int]]:
    """``\\r\\n`` and lone ``\\r`` to ``\\n``, and a function mapping old positions to new ones."""
    crlf = [m.start() for m in re.finditer("\r\n", text)]
    new = text.replace("\r\n", "\n").replace("\r", "\n")
    return new, lambda pos: pos - bisect.bisect_left(crlf, pos)


def _decode(data: bytes) -> tuple[str, list[str]]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), []
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), ["not UTF-8: read as Windows-1252"]


def _stem(display: str) -> str:
    name = display.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] or "project"
