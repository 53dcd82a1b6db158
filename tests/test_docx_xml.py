"""The .docx reader reads paragraph XML itself: the text python-docx gives, much faster,
plus the runs python-docx skips inside a paragraph's inline containers (a simple field's
result, tracked insertions, smart tags, content controls)."""

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


CONTAINERS = ("fldSimple", "ins", "moveTo", "smartTag", "customXml", "dir", "bdo")


def _oracle(p: object) -> str:
    """python-docx's ``Paragraph.text`` of ``p`` with its inline containers unwrapped
    (their runs moved up into the paragraph, as Word shows them)."""
    import copy

    from docx.text.paragraph import Paragraph

    p = copy.deepcopy(p)
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    tags = {f"{w}{name}" for name in CONTAINERS}
    while True:
        found = [e for e in p.iter() if e.tag in tags or e.tag == f"{w}sdt"]  # type: ignore[attr-defined]
        if not found:
            return Paragraph(p, None).text  # type: ignore[arg-type]
        e = found[0]
        inner = e.find(f"{w}sdtContent") if e.tag == f"{w}sdt" else e
        parent, at = e.getparent(), e.getparent().index(e)
        parent.remove(e)
        for i, child in enumerate([] if inner is None else list(inner)):
            parent.insert(at + i, child)


@pytest.mark.parametrize("inner", CASES)
def test_paragraph_text_is_what_python_docx_gives(inner: str) -> None:
    p = parse_xml(_paragraph(inner))
    assert paragraph_text(p) == _oracle(p)


@pytest.mark.parametrize(
    ("inner", "text"),
    [
        (
            '<w:r><w:t xml:space="preserve">Table </w:t></w:r><w:fldSimple w:instr=" SEQ Table">'
            "<w:r><w:t>3</w:t></w:r></w:fldSimple><w:r><w:t xml:space='preserve'> Costs</w:t></w:r>",
            "Table 3 Costs",
        ),
        (
            "<w:ins w:id='1' w:author='a'><w:r><w:t>new </w:t></w:r></w:ins>"
            "<w:del w:id='2' w:author='a'><w:r><w:delText>old </w:delText></w:r></w:del>"
            "<w:r><w:t>words</w:t></w:r>",
            "new words",
        ),
        (
            "<w:sdt><w:sdtPr/><w:sdtContent><w:r><w:t>in a control</w:t></w:r></w:sdtContent>"
            "</w:sdt><w:smartTag w:element='place'><w:r><w:t>, Ohio</w:t></w:r></w:smartTag>",
            "in a control, Ohio",
        ),
        (
            '<w:r><w:t xml:space="preserve">Figure </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/>'
            '</w:r><w:r><w:instrText xml:space="preserve"> SEQ Figure \\* ARABIC </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>2</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>',
            "Figure 2",
        ),
    ],
)
def test_field_results_and_insertions_are_text(inner: str, text: str) -> None:
    """A SEQ field's number is kept (simple or complex field), its instruction is not;
    inserted text is text, deleted text is not."""
    assert paragraph_text(parse_xml(_paragraph(inner))) == text


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
            assert paragraph_text(para._p) == _oracle(para._p), f"{path}: {para.text[:60]!r}"
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
