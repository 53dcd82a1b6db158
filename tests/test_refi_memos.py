"""Memos through a REFI-QDA export and import: on a document, a code, a passage, a turn.

A memo is a ``<Note>`` in ``<Notes>``; the thing it is on refers to it with a
``<NoteRef>`` (a ``<Code>``, a ``<TextSource>``, or a ``<PlainTextSelection>`` of the
passage). The memo's text, coder, time and the passage it is on must come back as
they were; a memo whose passage left its file is not exported and the export says so.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lxml import etree

from test_refi_fixtures import build_project, schema, write_codebook
from themegrid.exchange.refi import export_qdpx, import_qdpx, read_qdpx
from themegrid.project import Project
from themegrid.store import memos as memos_store
from themegrid.store.connection import Store

P = "{urn:QDA-XML:project:1.0}"

#: (kind, where, coder, text); where: a document path, a code id, or (path, turn, passage)
MEMOS = [
    ("document", "interviews/az_01.txt", "ana", "District leader; budget year 2 of 3."),
    ("code", "equity", "ben", "Split this into access and outcomes? <b>not bold</b>"),
    ("code", "barriers", "ana", "Parent code: only its children are applied."),
    ("passage", ("interviews/az_01.txt", 1, "grant money"), "ana", "Which grant? 東京 again"),
    ("passage", ("interviews/nv_01.txt", 1, None), "ben", "Whole turn: équité as fairness."),
]


def _add_memos(project: Project) -> None:
    with Store(project.store_path) as store:
        doc_ids = {p: i for i, p in store.query("SELECT id, path FROM documents")}
        with store.transaction():
            for n, (kind, where, coder, text) in enumerate(MEMOS):
                at = f"2026-03-0{n + 1}T10:00:00.000000+00:00"
                if kind == "document":
                    memos_store.add_memo(store, kind, str(doc_ids[str(where)]), coder, text, at)
                elif kind == "code":
                    memos_store.add_memo(store, kind, str(where), coder, text, at)
                else:
                    path, turn, phrase = where
                    seg, start, seg_text = store.query(
                        "SELECT id, start, text FROM segments WHERE document_id = ? ORDER BY seq",
                        (doc_ids[path],),
                    )[turn]
                    span = None
                    if phrase is not None:
                        lo = start + seg_text.index(phrase)
                        span = (lo, lo + len(phrase))
                    memos_store.add_memo(store, "segment", seg, coder, text, at, span)


def _memos(project: Project, prefix: str = "") -> set[tuple[str, str, str, str, str]]:
    """(kind, what it is on: document path, code id or quoted passage with its document
    path, coder, time, text) for every memo in the project."""
    out: set[tuple[str, str, str, str, str]] = set()
    with Store(project.store_path) as store:
        docs = dict(store.query("SELECT id, path FROM documents"))
        for doc_id, memos in memos_store.memos_by_target(store, "document").items():
            for m in memos:
                path = docs[int(doc_id)].removeprefix(prefix)
                out.add(("document", path, m.coder, m.created_at, m.text))
        for code_id, memos in memos_store.memos_by_target(store, "code").items():
            out |= {("code", code_id, m.coder, m.created_at, m.text) for m in memos}
        for doc_id, path in docs.items():
            for pm in memos_store.passage_memos(store, doc_id):
                if pm.active:
                    where = f"{path.removeprefix(prefix)}: {pm.passage}"
                    out.add(("passage", where, pm.memo.coder, pm.memo.created_at, pm.memo.text))
    return out


def _qde(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return etree.fromstring(zf.read("project.qde"))


def test_memos_round_trip_through_qdpx(tmp_path: Path) -> None:
    src = build_project(tmp_path / "src")
    _add_memos(src)
    out = io.BytesIO()
    result = export_qdpx(src, out)
    root = _qde(out.getvalue())
    schema("Project.xsd").assertValid(root)
    assert result.memos == len(MEMOS)
    notes = {n.get("guid"): n for n in root.iter(f"{P}Note")}
    assert sorted(n.findtext(f"{P}PlainTextContent") for n in notes.values()) == sorted(
        m[3] for m in MEMOS
    )
    # each Note is referred to from where its memo is: codes, the source, a passage
    refs = {r.get("targetGUID"): r.getparent() for r in root.iter(f"{P}NoteRef")}
    assert set(refs) == set(notes)
    assert sorted(etree.QName(p).localname for p in refs.values()) == [
        "Code",
        "Code",
        "PlainTextSelection",
        "PlainTextSelection",
        "TextSource",
    ]
    (tmp_path / "p.qdpx").write_bytes(out.getvalue())
    dst = write_codebook(tmp_path / "dst")
    summary = import_qdpx(dst, tmp_path / "p.qdpx")
    assert summary.memos == len(MEMOS)
    expected = _memos(src)
    assert len(expected) == len(MEMOS)
    assert ("passage", "interviews/az_01.txt: grant money", "ana") in {e[:3] for e in expected}
    assert _memos(dst, f"refi/{src.root.name}/") == expected
    # and out again: the same memos, on the same kinds of thing
    again = _qde(_export_bytes(dst))
    schema("Project.xsd").assertValid(again)
    assert sorted(n.findtext(f"{P}PlainTextContent") for n in again.iter(f"{P}Note")) == sorted(
        m[3] for m in MEMOS
    )


def _export_bytes(project: Project) -> bytes:
    out = io.BytesIO()
    export_qdpx(project, out)
    return out.getvalue()


def test_a_memo_whose_passage_left_the_file_is_kept_and_the_export_says_so(
    tmp_path: Path,
) -> None:
    project = build_project(tmp_path)
    _add_memos(project)
    with Store(project.store_path) as store:
        seg = store.scalar(
            "SELECT target_id FROM memos WHERE text LIKE 'Which grant%'"
        )  # the passage memo on "grant money"; its turn is now gone from the file
        store.execute("UPDATE segments SET active = 0 WHERE id = ?", (seg,))
    result = export_qdpx(project, io.BytesIO())
    assert result.memos == len(MEMOS) - 1
    assert any("1 memo(s) on passages no longer in their file" in s for s in result.skipped)
    with Store(project.store_path) as store:
        assert memos_store.memo_count(store) == len(MEMOS)


def test_import_names_notes_it_cannot_place(tmp_path: Path) -> None:
    src = build_project(tmp_path / "src")
    _add_memos(src)
    root = _qde(_export_bytes(src))
    notes_el = root.find(f"{P}Notes")
    notes_el.remove(notes_el[0])  # a NoteRef now points at nothing
    extra = etree.SubElement(
        notes_el, f"{P}Note", guid="0b3c7d8e-1111-4222-8333-944445555666", name="project note"
    )
    etree.SubElement(extra, f"{P}PlainTextContent").text = "about the whole project"
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_export_bytes(src))) as zin,
        zipfile.ZipFile(buffer, "w") as zout,
    ):
        for name in zin.namelist():
            data = etree.tostring(root) if name == "project.qde" else zin.read(name)
            zout.writestr(name, data)
    plan = read_qdpx(io.BytesIO(buffer.getvalue()))
    assert len(plan.notes) == len(MEMOS)  # four of ours and the project note
    assert "1 NoteRef(s) point at a Note the file does not hold" in plan.skipped
    assert any(s.startswith("1 note(s) not on a code, source or passage") for s in plan.skipped)


def test_a_memo_time_the_schema_does_not_accept_is_left_out_not_the_memo(tmp_path: Path) -> None:
    project = build_project(tmp_path)
    with Store(project.store_path) as store, store.transaction():
        memos_store.add_memo(store, "code", "equity", "ana", "typed long ago", "12/03/2024 10:00")
    root = _qde(_export_bytes(project))
    schema("Project.xsd").assertValid(root)
    (note,) = root.iter(f"{P}Note")
    assert note.findtext(f"{P}PlainTextContent") == "typed long ago"
    assert note.get("creationDateTime") is None


def test_importing_a_project_back_does_not_double_its_code_memos(tmp_path: Path) -> None:
    project = build_project(tmp_path / "p")
    _add_memos(project)
    (tmp_path / "p.qdpx").write_bytes(_export_bytes(project))
    with Store(project.store_path) as store:
        before = {k: len(v) for k, v in memos_store.memos_by_target(store, "code").items()}
    summary = import_qdpx(project, tmp_path / "p.qdpx")  # its sources come in as new documents
    with Store(project.store_path) as store:
        after = {k: len(v) for k, v in memos_store.memos_by_target(store, "code").items()}
    assert after == before == {"equity": 1, "barriers": 1}
    assert summary.memos == len(MEMOS) - 2  # the document and passage memos, on the new copies
