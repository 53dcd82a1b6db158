"""REFI-QDA export: schema-valid .qdc and .qdpx, stable GUIDs, descriptions, code-point offsets."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from lxml import etree
from typer.testing import CliRunner

from test_refi_fixtures import AZ_TURNS, accepted_codings, build_project, schema, write_codebook
from themegrid.cli import app
from themegrid.codebook import load_codebook
from themegrid.exchange.refi import (
    MACHINE_USER,
    export_qdc,
    export_qdpx,
    fold_description,
    unfold_description,
)
from themegrid.exchange.refi.ids import code_guid, document_guid
from themegrid.store.connection import Store

P = "{urn:QDA-XML:project:1.0}"
C = "{urn:QDA-XML:codebook:1.0}"


def _qde(qdpx: Path | bytes) -> tuple[etree._Element, zipfile.ZipFile]:
    zf = zipfile.ZipFile(qdpx if isinstance(qdpx, Path) else io.BytesIO(qdpx))
    return etree.fromstring(zf.read("project.qde")), zf


def test_qdc_validates_and_carries_the_codebook(tmp_path: Path) -> None:
    project = write_codebook(tmp_path)
    out = tmp_path / "out.qdc"
    result = export_qdc(project, out)
    doc = etree.parse(str(out))
    schema("Codebook.xsd").assertValid(doc)
    book = load_codebook(project.codebook_dir)
    assert result.codes == len(book.codes)
    by_guid = {el.get("guid"): el for el in doc.iter(f"{C}Code")}
    for code in book.codes:
        el = by_guid[code_guid(code.id)]
        assert el.get("name") == code.name
        assert el.get("isCodable") == ("true" if code.codable else "false")
        assert el.get("color") == code.color
        parent = el.getparent()
        expected_parent = code_guid(code.parent_id) if code.parent_id else None
        assert (parent.get("guid") if parent.tag == f"{C}Code" else None) == expected_parent
        desc = el.findtext(f"{C}Description") or ""
        assert unfold_description(desc) == (code.definition, code.include, code.exclude)
        if code.include:
            assert f"When to use: {code.include}" in desc
        if code.exclude:
            assert f"When not to use: {code.exclude}" in desc


def test_guid_format_is_plain_lowercase() -> None:
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", code_guid("a.b")
    )
    assert code_guid("a.b") != code_guid("a.c")


def test_fold_and_unfold_are_inverse() -> None:
    parts = ("Line one.\nLine two.", "Use it when X.", "Not when Y.")
    assert unfold_description(fold_description(*parts)) == parts
    assert unfold_description("Only a definition") == ("Only a definition", "", "")


def test_qdpx_validates_and_holds_sources_cases_users(tmp_path: Path) -> None:
    project = build_project(tmp_path)
    out = tmp_path / "out.qdpx"
    result = export_qdpx(project, out)
    root, zf = _qde(out)
    schema("Project.xsd").assertValid(root)
    with Store(project.store_path) as store:
        docs = store.query("SELECT path, text, attributes FROM documents")
        expected = accepted_codings(store)
    assert result.codings == len(expected)
    users = {u.get("name") for u in root.iter(f"{P}User")}
    assert users == {coder for *_, coder in expected}
    assert MACHINE_USER not in users
    variables = {v.get("name") for v in root.iter(f"{P}Variable")}
    assert variables == {"state", "role"}
    assert len(root.findall(f"{P}Cases/{P}Case")) == len(docs)
    for doc in docs:
        guid = document_guid(doc["path"])
        assert zf.read(f"sources/{guid}.txt").decode("utf-8") == doc["text"]
        src = root.find(f"{P}Sources/{P}TextSource[@guid='{guid}']")
        assert src.get("plainTextPath") == f"internal://{guid}.txt"
    description = root.findtext(f"{P}Description")
    assert "Exchange test codebook" in description and "2.1.0" in description


def test_qdpx_offsets_are_code_points_into_the_source(tmp_path: Path) -> None:
    project = build_project(tmp_path)
    export_qdpx(project, tmp_path / "x.qdpx")
    root, zf = _qde(tmp_path / "x.qdpx")
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{P}User")}
    codes = {c.get("guid"): c.get("name") for c in root.iter(f"{P}Code")}
    found = set()
    for src in root.iter(f"{P}TextSource"):
        text = zf.read(f"sources/{src.get('guid')}.txt").decode("utf-8")
        for sel in src.iter(f"{P}PlainTextSelection"):
            quote = text[int(sel.get("startPosition")) : int(sel.get("endPosition"))]
            for coding in sel.iter(f"{P}Coding"):
                found.add(
                    (
                        quote,
                        codes[coding.find(f"{P}CodeRef").get("targetGUID")],
                        users[coding.get("creatingUser")],
                    )
                )
    # The second Arizona turn follows an emoji-laden line: its quote is found only if
    # positions count code points (not UTF-16 units or bytes).
    assert (AZ_TURNS[1][1], "Funding constraints", "ana") in found
    assert (AZ_TURNS[3][1], "Staffing — pénurie", "ana") in found
    prefix = "Interviewer: " + AZ_TURNS[0][1]
    assert len(prefix.encode("utf-16-le")) // 2 != len(prefix)


def test_include_suggestions_adds_machine_user_and_validates(tmp_path: Path) -> None:
    project = build_project(tmp_path)
    plain = export_qdpx(project, tmp_path / "a.qdpx")
    with_sugg = export_qdpx(project, tmp_path / "b.qdpx", include_suggestions=True)
    root, _ = _qde(tmp_path / "b.qdpx")
    schema("Project.xsd").assertValid(root)
    with Store(project.store_path) as store:
        n_suggested = store.scalar(
            "SELECT COUNT(*) FROM effective_codings WHERE status = 'suggested'"
        )
    assert n_suggested > 0
    assert with_sugg.codings == plain.codings + n_suggested
    machine = [u for u in root.iter(f"{P}User") if u.get("name") == MACHINE_USER]
    assert len(machine) == 1
    machine_codings = [
        c for c in root.iter(f"{P}Coding") if c.get("creatingUser") == machine[0].get("guid")
    ]
    assert len(machine_codings) == n_suggested


def test_guids_and_bytes_identical_across_exports(tmp_path: Path) -> None:
    project = build_project(tmp_path)
    export_qdpx(project, tmp_path / "1.qdpx")
    export_qdpx(project, tmp_path / "2.qdpx")
    first, second = (_qde(tmp_path / f"{n}.qdpx")[0] for n in (1, 2))
    guids = [[el.get("guid") for el in r.iter() if el.get("guid")] for r in (first, second)]
    assert guids[0] == guids[1] and len(set(guids[0])) == len(guids[0])
    assert (tmp_path / "1.qdpx").read_bytes() == (tmp_path / "2.qdpx").read_bytes()
    buf1, buf2 = io.BytesIO(), io.BytesIO()
    export_qdc(project, buf1)
    export_qdc(project, buf2)
    assert buf1.getvalue() == buf2.getvalue()


def test_exporters_accept_a_binary_file_object(tmp_path: Path) -> None:
    project = build_project(tmp_path)
    buffer = io.BytesIO()
    export_qdpx(project, buffer)
    root, _ = _qde(buffer.getvalue())
    schema("Project.xsd").assertValid(root)


def test_export_writes_atomically_leaving_no_temp_files(tmp_path: Path) -> None:
    project = build_project(tmp_path)
    out = tmp_path / "reports" / "p.qdpx"
    out.parent.mkdir()
    out.write_bytes(b"old")
    export_qdpx(project, out)
    assert zipfile.is_zipfile(out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["p.qdpx"]


def test_export_skips_orphaned_segments_and_says_so(tmp_path: Path) -> None:
    project = build_project(tmp_path)
    with Store(project.store_path) as store:
        seg = store.scalar(
            "SELECT segment_id FROM codings WHERE coder = 'ben' AND code_id = 'equity'"
        )
        store.execute("UPDATE segments SET active = 0 WHERE id = ?", (seg,))
    result = export_qdpx(project, tmp_path / "o.qdpx")
    assert any("orphaned" in s for s in result.skipped)


def test_cli_export_both(tmp_path: Path) -> None:
    project = build_project(tmp_path)
    runner = CliRunner()
    r1 = runner.invoke(app, ["export", "qdc", str(tmp_path / "c.qdc"), "-p", str(project.root)])
    r2 = runner.invoke(
        app,
        [
            "export",
            "qdpx",
            str(tmp_path / "p.qdpx"),
            "-p",
            str(project.root),
            "--include-suggestions",
        ],
    )
    assert r1.exit_code == 0, r1.output
    assert r2.exit_code == 0, r2.output
    assert "wrote" in r1.output and "codes" in r1.output
    assert MACHINE_USER in r2.output
