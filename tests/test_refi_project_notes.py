"""A REFI-QDA project's own notes (``<NoteRef>`` children of ``<Project>``, after its
``<Description>``: how NVivo and ATLAS.ti write project memos) are kept as project memos
on import and written back, schema-valid, on export."""

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
USER = "7d1c0b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
NOTE = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
STRAY = "0b3c7d8e-1111-4222-8333-944445555666"


def _qde(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return etree.fromstring(zf.read("project.qde"))


def _project_memos(project: Project) -> list[tuple[str, str, str]]:
    with Store(project.store_path) as store:
        return [
            (m.coder, m.created_at, m.text)
            for m in memos_store.memos_on(store, "project", memos_store.PROJECT)
        ]


def _nvivo_like(path: Path) -> Path:
    """A .qdpx as another tool writes it: no sources, one project note, one stray note."""
    root = etree.Element(f"{P}Project", nsmap={None: P[1:-1]}, name="Field study")
    users = etree.SubElement(root, f"{P}Users")
    etree.SubElement(users, f"{P}User", guid=USER, name="Dana")
    notes = etree.SubElement(root, f"{P}Notes")
    for guid, text in ((NOTE, "Sampling:\n\n- **four** districts\n- two states"), (STRAY, "x")):
        note = etree.SubElement(
            notes,
            f"{P}Note",
            guid=guid,
            name="memo",
            creatingUser=USER,
            creationDateTime="2025-05-04T09:30:00Z",
        )
        etree.SubElement(note, f"{P}PlainTextContent").text = text
    etree.SubElement(root, f"{P}Description").text = "made elsewhere"
    etree.SubElement(root, f"{P}NoteRef", targetGUID=NOTE)
    schema("Project.xsd").assertValid(root)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return path


def test_a_project_note_is_imported_as_a_project_memo(tmp_path: Path) -> None:
    qdpx = _nvivo_like(tmp_path / "field.qdpx")
    plan = read_qdpx(qdpx)
    assert plan.project_notes == (NOTE,)
    assert any(s.startswith("1 note(s) not on a code, source or passage") for s in plan.skipped)
    project = write_codebook(tmp_path / "dst")
    summary = import_qdpx(project, qdpx)
    assert summary.memos == 1
    expected = [("Dana", "2025-05-04T09:30:00Z", "Sampling:\n\n- **four** districts\n- two states")]
    assert _project_memos(project) == expected
    import_qdpx(project, qdpx)  # imported again: not doubled
    assert _project_memos(project) == expected


def test_project_memos_round_trip_schema_valid(tmp_path: Path) -> None:
    src = build_project(tmp_path / "src")
    with Store(src.store_path) as store, store.transaction():
        for n, text in enumerate(("Why these four districts.", "Coding rules, 東京 & <b>")):
            at = f"2026-04-0{n + 1}T08:00:00.000000+00:00"
            memos_store.add_memo(store, "project", memos_store.PROJECT, "ana", text, at)
    out = io.BytesIO()
    result = export_qdpx(src, out)
    assert result.memos == 2 and not any("memo" in s for s in result.skipped)
    root = _qde(out.getvalue())
    schema("Project.xsd").assertValid(root)
    refs = [el.get("targetGUID") for el in root if el.tag == f"{P}NoteRef"]
    assert len(refs) == 2 and etree.QName(root[-3]).localname == "Description"
    texts = {n.get("guid"): n.findtext(f"{P}PlainTextContent") for n in root.iter(f"{P}Note")}
    assert sorted(texts[r] for r in refs) == sorted(m[2] for m in _project_memos(src))
    (tmp_path / "p.qdpx").write_bytes(out.getvalue())
    dst = write_codebook(tmp_path / "dst")
    import_qdpx(dst, tmp_path / "p.qdpx")
    assert sorted(_project_memos(dst)) == sorted(_project_memos(src))
    again = io.BytesIO()
    export_qdpx(dst, again)
    schema("Project.xsd").assertValid(_qde(again.getvalue()))
