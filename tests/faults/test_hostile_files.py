"""Hostile files: corpus file names that are not UTF-8, and Office files whose XML declares
a DOCTYPE (billion laughs, external entities): each skipped or refused in one line naming the
file and the fix, nothing written, and nothing expanded or read from elsewhere."""

from __future__ import annotations

import os
import sqlite3
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from fault_helpers import cli, human_decisions, reviewed_project

from conftest import INTERVIEW_AZ, write_project

BOMB = (
    '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>'
)
SECRET = "not-for-export-7f3a"


def _xxe(tmp: Path) -> str:
    secret = tmp / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    return f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://{secret}">]>'


def _hostile_xlsx(out: Path, rows: list[list[str]], doctype: str, marker: str) -> Path:
    """A workbook whose first sheet declares ``doctype`` and uses its entity ``marker``."""
    plain = out.with_name(f"plain-{out.name}")
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(plain)
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8").replace(rows[-1][0], marker)
                data = f'<?xml version="1.0" encoding="UTF-8"?>{doctype}{text}'.encode()
            zout.writestr(item, data)
    plain.unlink()
    return out


def _paths(store: Path) -> list[str]:
    conn = sqlite3.connect(store)
    try:
        return sorted(str(r[0]) for r in conn.execute("SELECT path FROM documents"))
    finally:
        conn.close()


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="file names must be bytes")
def test_a_file_name_that_is_not_utf8_is_skipped_naming_it(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study", {"interviews/az.txt": INTERVIEW_AZ})
    raw = os.path.join(os.fsencode(project.corpus_dir), b"caf\xe9 interview.txt")
    with open(raw, "wb") as fh:
        fh.write(b"Interviewer: And funding?\nDana: The budget was cut.\n")
    result = cli("ingest", "--project", project.root)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "not valid UTF-8" in x)
    assert "corpus/caf\\xe9 interview.txt" in line and "rename the file" in line
    assert _paths(project.store_path) == ["interviews/az.txt"]
    assert cli("code", "--no-model", "--project", project.root).exit_code == 0


def test_openpyxl_reads_through_defusedxml() -> None:
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML, "defusedxml is a dependency: openpyxl then refuses entity declarations"


@pytest.mark.parametrize("kind", ["bomb", "xxe"])
def test_a_corpus_spreadsheet_declaring_a_doctype_is_refused(tmp_path: Path, kind: str) -> None:
    project = write_project(tmp_path / "study", {"interviews/az.txt": INTERVIEW_AZ})
    doctype, marker = (BOMB, "&e;") if kind == "bomb" else (_xxe(tmp_path), "&xxe;")
    _hostile_xlsx(
        project.corpus_dir / "survey.xlsx",
        [["id", "answer"], ["r1", "The budget was cut."]],
        doctype,
        marker,
    )
    result = cli("ingest", "--project", project.root)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("rejected: corpus/survey"))
    assert "declares an XML DOCTYPE" in line and "save it again" in line
    assert "xl/worksheets/sheet1.xml" in line
    assert _paths(project.store_path) == ["interviews/az.txt"]


def test_import_coded_refuses_an_entity_spreadsheet_and_writes_nothing(tmp_path: Path) -> None:
    project = reviewed_project(tmp_path / "study")
    before, paths = human_decisions(project.store_path), _paths(project.store_path)
    sheet = _hostile_xlsx(
        tmp_path / "coded.xlsx",
        [["Text", "Code"], ["The budget was cut.", "barriers.funding"]],
        _xxe(tmp_path),
        "&xxe;",
    )
    result = cli("import-coded", sheet, "--coder", "Cy", "--project", project.root)
    assert result.exit_code == 1
    assert "coded.xlsx" in result.output and "declares an XML DOCTYPE" in result.output
    assert SECRET not in result.output
    assert human_decisions(project.store_path) == before
    assert _paths(project.store_path) == paths


def test_review_import_refuses_an_entity_sheet(tmp_path: Path) -> None:
    project = reviewed_project(tmp_path / "study")
    before = human_decisions(project.store_path)
    sheet = _hostile_xlsx(tmp_path / "review.xlsx", [["Key"], ["x"]], BOMB, "&e;")
    result = cli("review", "import", sheet, "--coder", "Ben", "--project", project.root)
    assert result.exit_code == 1
    assert "declares an XML DOCTYPE" in result.output and "nothing was imported" in result.output
    assert human_decisions(project.store_path) == before


def test_a_docx_declaring_a_doctype_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("docx")
    import docx

    project = write_project(tmp_path / "study", {"interviews/az.txt": INTERVIEW_AZ})
    plain = tmp_path / "plain.docx"
    document = docx.Document()
    document.add_paragraph("Respondent: The budget was cut.")
    document.save(str(plain))
    target = project.corpus_dir / "memo.docx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                head, rest = data.decode("utf-8").split("?>", 1)
                data = f"{head}?>{BOMB.replace('worksheet', 'w:document')}{rest}".encode()
            zout.writestr(item, data)
    result = cli("ingest", "--project", project.root)
    line = next(x for x in result.output.splitlines() if x.startswith("rejected: corpus/memo"))
    assert "word/document.xml" in line and "declares an XML DOCTYPE" in line
    assert _paths(project.store_path) == ["interviews/az.txt"]
