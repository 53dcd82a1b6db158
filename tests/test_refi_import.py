"""REFI-QDA import: round trip, the specification's example codebook, a commercial-style .qdpx."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from test_refi_fixtures import SHARED_REFI, accepted_codings, build_project, fresh_project
from themegrid.cli import app
from themegrid.codebook import load_codebook
from themegrid.exchange.options import ImportOptions
from themegrid.exchange.refi import (
    MACHINE_USER,
    RefiError,
    export_qdc,
    export_qdpx,
    import_qdc,
    import_qdpx,
)
from themegrid.exchange.refi.qdpx import normalise_newlines
from themegrid.store.connection import Store

EXAMPLE = SHARED_REFI / "example-codebook.qdc"


def _name_paths(rows: list[dict]) -> dict[str, str]:
    """code id -> 'Parent > Child' name path, from rows with id, name, parent_id."""
    by_id = {r["id"]: r for r in rows}

    def path(code_id: str) -> str:
        row = by_id[code_id]
        return (path(row["parent_id"]) + " > " if row["parent_id"] else "") + row["name"]

    return {i: path(i) for i in by_id}


def _store_codes(store: Store) -> list[dict]:
    return [dict(r) for r in store.query("SELECT * FROM codes WHERE origin = 'refi'")]


# --- round trip ---------------------------------------------------------------------------


def test_round_trip_through_qdpx(tmp_path: Path) -> None:
    src = build_project(tmp_path / "src")
    export_qdpx(src, tmp_path / "p.qdpx")
    dst = fresh_project(tmp_path / "dst")
    summary = import_qdpx(dst, tmp_path / "p.qdpx")

    book = load_codebook(src.codebook_dir)
    src_rows = [{"id": c.id, "name": c.name, "parent_id": c.parent_id} for c in book.codes]
    src_paths = _name_paths(src_rows)
    expected_codes = {
        src_paths[c.id]: (c.definition, c.include, c.exclude, c.color, c.codable)
        for c in book.codes
    }
    with Store(dst.store_path) as store:
        rows = _store_codes(store)
        dst_paths = _name_paths(rows)
        got_codes = {
            dst_paths[r["id"]]: (
                r["definition"],
                r["include_note"],
                r["exclude_note"],
                r["color"],
                bool(r["codable"]),
            )
            for r in rows
        }
        assert got_codes == expected_codes
        dst_docs = {r["path"]: r for r in store.query("SELECT * FROM documents")}
        dst_codings = accepted_codings(store)
    # the YAML codebook written beside them loads and holds the same codes
    imported_book = load_codebook(dst.codebook_dir)
    assert {c.id for c in imported_book.codes} == set(dst_paths)

    with Store(src.store_path) as store:
        src_docs = store.query("SELECT * FROM documents")
        src_codings = accepted_codings(store)
    prefix = f"refi/{src.root.name}/"
    assert set(dst_docs) == {prefix + d["path"] for d in src_docs}
    for doc in src_docs:
        got = dst_docs[prefix + doc["path"]]
        assert got["text"] == doc["text"]
        assert json.loads(got["attributes"]) == json.loads(doc["attributes"])
        assert got["format"] == "refi"
    assert {(p, q, dst_paths[c], who) for p, q, c, who in dst_codings} == {
        (prefix + p, q, src_paths[c], who) for p, q, c, who in src_codings
    }
    assert summary.codings == len(src_codings)
    with Store(dst.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM codings WHERE source != 'human'") == 0
        assert (
            store.scalar("SELECT COUNT(*) FROM codings WHERE reason != 'imported from p.qdpx'") == 0
        )
        views = {(r[0], r[1]) for r in store.query("SELECT segment_id, coder FROM segment_views")}
        coded = {(r[0], r[1]) for r in store.query("SELECT segment_id, coder FROM codings")}
        assert views == coded
        run = store.query("SELECT * FROM runs")[-1]
        assert run["command"] == "import qdpx" and run["finished_at"] and run["codebook_hash"]


def test_machine_suggestions_are_not_imported_as_human(tmp_path: Path) -> None:
    src = build_project(tmp_path / "src")
    export_qdpx(src, tmp_path / "p.qdpx", include_suggestions=True)
    dst = fresh_project(tmp_path / "dst")
    summary = import_qdpx(dst, tmp_path / "p.qdpx")
    with Store(src.store_path) as store:
        n_human = len(accepted_codings(store))
    assert summary.codings == n_human
    assert any(MACHINE_USER in s for s in summary.skipped)
    assert MACHINE_USER not in summary.coders


def test_coder_prefix(tmp_path: Path) -> None:
    src = build_project(tmp_path / "src")
    export_qdpx(src, tmp_path / "p.qdpx")
    summary = import_qdpx(
        fresh_project(tmp_path / "dst"), tmp_path / "p.qdpx", ImportOptions(coder_prefix="nvivo:")
    )
    assert summary.coders and all(c.startswith("nvivo:") for c in summary.coders)


def test_own_codebook_comes_back_onto_its_own_codes(tmp_path: Path) -> None:
    """GUIDs are derived from code ids, so a round trip lands on the existing codes."""
    src = build_project(tmp_path / "src")
    buffer = io.BytesIO()
    export_qdc(src, buffer)
    (tmp_path / "own.qdc").write_bytes(buffer.getvalue())
    summary = import_qdc(src, tmp_path / "own.qdc")
    assert summary.codes_added == ()
    assert set(summary.codes_matched) == {c.id for c in load_codebook(src.codebook_dir).codes}
    assert summary.codebook_file is None
    assert not list(src.codebook_dir.glob("imported_*"))


# --- the specification's example codebook --------------------------------------------------


def test_example_codebook_imports_with_its_hierarchy(tmp_path: Path) -> None:
    if not EXAMPLE.exists():
        pytest.skip(f"{EXAMPLE} not found (clone the shared/ folder beside the repo)")
    ns = "{urn:QDA-XML:codebook:1.0}"
    tree = etree.parse(str(EXAMPLE))
    expected = {}
    for el in tree.iter(f"{ns}Code"):
        parent = el.getparent()
        expected[el.get("name")] = (
            parent.get("name") if parent.tag == f"{ns}Code" else None,
            el.get("isCodable") == "true",
            el.get("color"),
            (el.findtext(f"{ns}Description") or "").strip(),
        )
    project = fresh_project(tmp_path / "p")
    summary = import_qdc(project, EXAMPLE)
    assert len(summary.codes_added) == len(expected) == 6
    with Store(project.store_path) as store:
        rows = _store_codes(store)
    names = {r["id"]: r["name"] for r in rows}
    got = {
        r["name"]: (
            names.get(r["parent_id"]),
            bool(r["codable"]),
            r["color"],
            r["definition"],
        )
        for r in rows
    }
    assert got == expected
    book = load_codebook(project.codebook_dir)  # what codebook check and the tagger read
    assert {c.name for c in book.codes} == set(expected)


def test_importing_twice_is_refused_naming_the_codes(tmp_path: Path) -> None:
    if not EXAMPLE.exists():
        pytest.skip(f"{EXAMPLE} not found")
    project = fresh_project(tmp_path / "p")
    import_qdc(project, EXAMPLE)
    yaml_before = sorted(p.name for p in project.codebook_dir.iterdir())
    with pytest.raises(RefiError) as err:
        import_qdc(project, EXAMPLE)
    message = str(err.value)
    assert (
        "example-codebook.qdc" in message
        and "economy" in message
        and "nothing was written" in message
    )
    assert "\n" not in message
    assert sorted(p.name for p in project.codebook_dir.iterdir()) == yaml_before


# --- a .qdpx as a commercial tool writes it ----------------------------------------------


def G(label: str) -> str:
    """A braced, upper-case GUID, as some Windows tools write them."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, label)).upper() + "}"


TEXT_CRLF = (
    "Intro line: café.\r\nWe lacked funding 💸 for years.\r\nTeachers left; 教师 shortages.\r\n"
)
PDF_TEXT = "Page one of the state plan.\nGrants from the state fund pilots.\n"
INLINE_TEXT = "An inline note about grants."
QUOTES = {
    "funding": ("text", "We lacked funding 💸 for years."),
    "staffing": ("text", "Teachers left; 教师 shortages."),
    "grants": ("pdf", "Grants from the state fund pilots."),
}


def commercial_qdpx() -> bytes:
    def pos(text: str, quote: str) -> str:
        start = text.index(quote)
        return f'startPosition="{start}" endPosition="{start + len(quote)}"'

    user = G("user")
    text_src, pdf_src, rep = G("text"), G("pdf"), G("rep")
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="State study" origin="SomeQDA 14">
  <Users><User guid="{user}" name="Maria"/></Users>
  <CodeBook><Codes>
    <Code guid="{G("barriers")}" name="Barriers" isCodable="false">
      <Code guid="{G("funding")}" name="Funding">
        <Description>Money problems.</Description>
        <Code guid="{G("grants")}" name="Grants" isCodable="true"/>
      </Code>
      <Code guid="{G("staffing")}" name="Staffing" isCodable="true"/>
    </Code>
  </Codes></CodeBook>
  <Variables><Variable guid="{G("var")}" name="State" typeOfVariable="Text"/></Variables>
  <Cases><Case guid="{G("case")}" name="Nevada case">
    <VariableValue><VariableRef targetGUID="{G("var")}"/><TextValue>Nevada</TextValue></VariableValue>
    <SourceRef targetGUID="{text_src}"/>
  </Case></Cases>
  <Sources>
    <TextSource guid="{text_src}" name="Interview 1" plainTextPath="internal://{text_src[1:-1]}.txt">
      <PlainTextSelection guid="{G("s1")}" {pos(TEXT_CRLF, QUOTES["funding"][1])} creatingUser="{user}">
        <Coding guid="{G("c1")}" creatingUser="{user}"><CodeRef targetGUID="{G("funding")}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{G("s2")}" {pos(TEXT_CRLF, QUOTES["staffing"][1])}>
        <Coding guid="{G("c2")}" creatingUser="{user.lower()}"><CodeRef targetGUID="{G("staffing").lower()}"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <PDFSource guid="{pdf_src}" name="State plan.pdf" path="relative://State plan.pdf">
      <Representation guid="{rep}" plainTextPath="internal://{rep[1:-1]}.txt">
        <PlainTextSelection guid="{G("s3")}" {pos(PDF_TEXT, QUOTES["grants"][1])} creatingUser="{user}">
          <Coding guid="{G("c3")}" creatingUser="{user}"><CodeRef targetGUID="{G("grants")}"/></Coding>
        </PlainTextSelection>
      </Representation>
    </PDFSource>
    <AudioSource guid="{G("audio")}" name="Focus group.mp3" path="internal://{G("audio")[1:-1]}.mp3"/>
    <TextSource guid="{G("inline")}" name="Memo">
      <PlainTextContent>{INLINE_TEXT}</PlainTextContent>
    </TextSource>
  </Sources>
</Project>
"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("State study.qde", qde.encode("utf-8"))
        zf.writestr(f"Sources/{text_src[1:-1]}.txt", TEXT_CRLF.encode("utf-8"))
        zf.writestr(f"Sources/{rep[1:-1]}.txt", PDF_TEXT.encode("utf-8"))
        zf.writestr(f"Sources/{G('audio')[1:-1]}.mp3", b"ID3\x00fake")
    return buffer.getvalue()


def test_commercial_style_qdpx_imports(tmp_path: Path) -> None:
    path = tmp_path / "From NVivo.qdpx"
    path.write_bytes(commercial_qdpx())
    project = fresh_project(tmp_path / "p")
    summary = import_qdpx(project, path)
    assert len(summary.codes_added) == 4
    assert any("AudioSource 'Focus group.mp3'" in s for s in summary.skipped)
    with Store(project.store_path) as store:
        rows = _store_codes(store)
        paths = _name_paths(rows)
        assert set(paths.values()) == {
            "Barriers",
            "Barriers > Funding",
            "Barriers > Funding > Grants",
            "Barriers > Staffing",
        }
        assert all(r["color"] is None for r in rows)
        assert {r["name"]: bool(r["codable"]) for r in rows} == {
            "Barriers": False,
            "Funding": True,  # isCodable missing: codable
            "Grants": True,
            "Staffing": True,
        }
        docs = {r["path"]: r for r in store.query("SELECT * FROM documents")}
        spans = store.query(  # each selection a span coding on the paragraph it falls in
            "SELECT substr(d.text, c.span_start + 1, c.span_end - c.span_start), c.code_id,"
            ' c.coder, s.start <= c.span_start AND c.span_end <= s."end" FROM codings c'
            " JOIN segments s ON s.id = c.segment_id JOIN documents d ON d.id = s.document_id"
        )
        assert all(r[3] for r in spans)
        got = {(r[0], paths[r[1]].rsplit(" > ", 1)[-1].lower(), r[2]) for r in spans}
        for seg in store.query(
            'SELECT s.start, s."end", s.text, d.text AS doc FROM segments s JOIN documents d ON d.id = s.document_id'
        ):
            assert seg["doc"][seg["start"] : seg["end"]] == seg["text"]
    assert got == {(quote, code, "Maria") for code, (_, quote) in QUOTES.items()}
    # each source keeps its own name, nothing appended ("Interview 1", not "Interview 1.txt")
    assert set(docs) == {f"refi/State study/{n}" for n in ("Interview 1", "State plan.pdf", "Memo")}
    text_doc = docs["refi/State study/Interview 1"]
    assert text_doc["text"] == TEXT_CRLF.replace("\r\n", "\n")
    assert json.loads(text_doc["attributes"]) == {"State": "Nevada"}
    assert docs["refi/State study/State plan.pdf"]["text"] == PDF_TEXT
    assert docs["refi/State study/Memo"]["text"] == INLINE_TEXT
    assert load_codebook(project.codebook_dir)  # codebook check keeps working


def _source_names(data: bytes) -> dict[str, str]:
    """Source name -> its plain text, from a .qdpx."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = etree.fromstring(zf.read("project.qde"))
        return {
            s.get("name"): zf.read(
                s.get("plainTextPath").replace("internal://", "sources/")
            ).decode("utf-8")
            for s in root.iter("{urn:QDA-XML:project:1.0}TextSource")
        }


def test_source_names_round_trip_through_an_export(tmp_path: Path) -> None:
    path = tmp_path / "From NVivo.qdpx"
    path.write_bytes(commercial_qdpx())
    project = fresh_project(tmp_path / "p")
    import_qdpx(project, path)
    out = io.BytesIO()
    export_qdpx(project, out)
    assert _source_names(out.getvalue()) == {
        "Interview 1": TEXT_CRLF.replace("\r\n", "\n"),
        "State plan.pdf": PDF_TEXT,
        "Memo": INLINE_TEXT,
    }
    # and that export imports into a third project under the same names again
    (tmp_path / "again.qdpx").write_bytes(out.getvalue())
    third = fresh_project(tmp_path / "third")
    import_qdpx(third, tmp_path / "again.qdpx")
    with Store(third.store_path) as store:
        names = {r[0] for r in store.query("SELECT source_name FROM documents")}
    assert names == {"Interview 1", "State plan.pdf", "Memo"}


def test_normalise_newlines_maps_positions() -> None:
    raw = "a\r\nbé\r\n\r\nc😀\rd"
    text, convert = normalise_newlines(raw)
    assert text == "a\nbé\n\nc😀\nd"
    for quote in ("bé", "c😀", "d", "a"):
        start = raw.index(quote)
        assert text[convert(start) : convert(start + len(quote))] == quote


def test_cli_import_prints_summary(tmp_path: Path) -> None:
    path = tmp_path / "study.qdpx"
    path.write_bytes(commercial_qdpx())
    project = fresh_project(tmp_path / "p")
    result = CliRunner().invoke(app, ["import", "qdpx", str(path), "-p", str(project.root)])
    assert result.exit_code == 0, result.output
    assert "codes: 4 added" in result.output
    assert "codings: 3" in result.output
    assert "skipped: AudioSource" in result.output
