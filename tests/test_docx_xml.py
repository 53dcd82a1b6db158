"""The .docx reader reads paragraph XML itself: the text python-docx gives, much faster."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml

from themegrid.read import read_document
from themegrid.read.docx import paragraph_text

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
W_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
DEVDATA = Path("../shared/devdata")


def _paragraph(inner: str) -> str:
    return f"<w:p {W} {W_R}>{inner}</w:p>"


CASES = [
    "<w:r><w:t>plain</w:t></w:r>",
    '<w:r><w:t xml:space="preserve">a </w:t><w:tab/><w:t>b</w:t></w:r>',
    "<w:r><w:t>line</w:t><w:br/><w:t>two</w:t><w:cr/><w:t>three</w:t></w:r>",
    '<w:r><w:t>page</w:t><w:br w:type="page"/><w:t>col</w:t><w:br w:type="column"/></w:r>',
    '<w:r><w:t>wrap</w:t><w:br w:type="textWrapping"/><w:t>x</w:t></w:r>',
    "<w:r><w:t>non</w:t><w:noBreakHyphen/><w:t>breaking</w:t><w:softHyphen/></w:r>",
    '<w:r><w:ptab w:relativeTo="margin" w:alignment="right" w:leader="none"/><w:t/></w:r>',
    '<w:r><w:t>see </w:t></w:r><w:hyperlink r:id="rId9"><w:r><w:t>the link</w:t></w:r>'
    "<w:r><w:tab/><w:t>too</w:t></w:r></w:hyperlink><w:r><w:t> after</w:t></w:r>",
    "<w:pPr><w:pStyle w:val='Heading1'/></w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t>Head</w:t>"
    "</w:r><w:bookmarkStart w:id='0' w:name='x'/><w:r><w:t>ing</w:t></w:r>",
    "<w:ins w:id='1' w:author='a'><w:r><w:t>inserted</w:t></w:r></w:ins><w:r><w:t>kept</w:t>"
    "</w:r><!-- a comment --><w:r><w:fldChar w:fldCharType='begin'/></w:r>",
    "",
]


@pytest.mark.parametrize("inner", CASES)
def test_paragraph_text_is_what_python_docx_gives(inner: str) -> None:
    from docx.text.paragraph import Paragraph

    p = parse_xml(_paragraph(inner))
    assert paragraph_text(p) == Paragraph(p, None).text  # type: ignore[arg-type]


def _docx_files() -> list[Path]:
    found = sorted(Path("corpus").rglob("*.docx"))
    if DEVDATA.is_dir():
        found += sorted(DEVDATA.rglob("*.docx"))
    return found


@pytest.mark.slow  # python-docx's own .text, the oracle, takes ~5 CPU-s over the 31,784 paragraphs
def test_paragraph_text_equals_python_docx_on_every_real_paragraph() -> None:
    files = _docx_files()
    if not any(DEVDATA in f.parents for f in files):
        pytest.skip("../shared/devdata is not here (CI has it beside the clone)")
    n = 0
    for path in files:
        document = docx.Document(str(path))
        cells = [c for t in document.tables for row in t.rows for c in row.cells]
        for para in [*document.paragraphs, *(p for c in cells for p in c.paragraphs)]:
            assert paragraph_text(para._p) == para.text, f"{path}: {para.text[:60]!r}"
            n += 1
    assert n > 10_000


def test_bold_by_value_and_by_style(tmp_path: Path) -> None:
    """w:b with val 0/false is not bold; a Strong-styled run is, as python-docx reads them."""
    document = docx.Document()
    rows = [
        ("Interviewer:", {"bold": True}, " How did it start?"),
        ("Dana Ruiz:", {"style": "Strong"}, " With a pilot."),
        ("Sam Roe:", {"bold": False}, " plain words here."),
        ("Interviewer:", {"bold": True}, " And then?"),
        ("Dana Ruiz:", {"bold": True}, " It grew."),
    ]
    for label, how, rest in rows:
        para = document.add_paragraph()
        run = para.add_run(label)
        if "bold" in how:
            run.bold = how["bold"]
        else:
            run.style = document.styles[how["style"]]
        para.add_run(rest)
    path = tmp_path / "t.docx"
    document.save(str(path))
    doc = read_document(path)
    speakers = [u.speaker for u in doc.units]
    assert speakers == ["Interviewer", "Dana Ruiz", "Interviewer", "Dana Ruiz"]
    assert "Sam Roe: plain words here." in doc.text[doc.units[1].start : doc.units[1].end]
