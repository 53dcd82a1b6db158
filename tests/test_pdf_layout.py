"""PDF paragraphs from PDFium's line boxes: two columns, headings, running footers."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pytest

from themegrid.read import read_document

pytest.importorskip("pypdfium2")

NCD = Path("../shared/devdata/ncd_federal_education_reports/pdf_docx")
#: Column one: a paragraph's lines, the last stopping mid-sentence at the column's foot.
COLUMN_ONE = [
    "Families of students with disabilities who choose",
    "a private school often give up the rights that the",
    "federal law gives them in a public school, and so",
    "many of them learn this only after the school year",
    "has started and the services that they counted on",
]
#: Column two: the paragraph goes on, then a paragraph whose first line is indented.
COLUMN_TWO = [
    (0, "are not there. States differ in what they tell the"),
    (0, "parents before they sign, and some tell them little."),
    (5, "The second paragraph is indented and it starts"),
    (0, "after a sentence end, and it runs on for some lines"),
    (0, "in the column, as paragraphs in reports tend to do."),
]


def two_column_pdf(path: Path, pages: int = 3) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 20)
        pdf.text(10, 30, f"Chapter {page + 1}")
        pdf.set_font("Helvetica", size=10)
        for i, line in enumerate(COLUMN_ONE):
            pdf.text(10, 45 + 5 * i, line)
        for i, (indent, line) in enumerate(COLUMN_TWO):
            pdf.text(110 + indent, 45 + 5 * i, line)
        pdf.text(10, 290, f"Choice and Vouchers Report {page + 1}")  # a running footer
    pdf.output(str(path))
    return path


def test_two_columns_keep_paragraphs_whole(tmp_path: Path) -> None:
    doc = read_document(two_column_pdf(tmp_path / "two.pdf"))
    texts = [doc.text[u.start : u.end] for u in doc.units]
    assert texts.count("Chapter 2") == 1  # a heading is its own paragraph
    joined = [t for t in texts if t.startswith("Families of students")]
    assert len(joined) == 3
    # the paragraph goes on across the column break, its lines one line
    assert all(t.endswith("some tell them little.") for t in joined)
    assert all("services that they counted on are not there." in t for t in joined)
    assert all("\n" not in t for t in texts)
    second = [t for t in texts if t.startswith("The second paragraph")]
    assert len(second) == 3 and all(t.endswith("tend to do.") for t in second)
    assert not any("Choice and Vouchers Report" in t for t in texts)
    assert any("running header/footer" in n for n in doc.repair_notes)


def test_footer_kept_when_on_too_few_pages(tmp_path: Path) -> None:
    doc = read_document(two_column_pdf(tmp_path / "short.pdf", pages=2))
    assert any("Choice and Vouchers Report" in doc.text[u.start : u.end] for u in doc.units)


@pytest.mark.skipif(not NCD.is_dir(), reason="../shared/devdata (NCD reports) not present")
@pytest.mark.parametrize("name", ["ncd-choice-vouchers-2018.pdf", "ncd-charter-schools-2018.pdf"])
def test_real_two_column_reports(name: str) -> None:
    doc = read_document(NCD / name)
    texts = [doc.text[u.start : u.end] for u in doc.units]
    phrase = re.compile(r"students\s+with\s+disabilities", re.I)
    whole = len(phrase.findall(" ".join(texts)))
    inside = sum(len(phrase.findall(t)) for t in texts)
    assert whole - inside <= 0.03 * whole  # the line-fragment reading split 20%
    assert statistics.median(len(t.split()) for t in texts) >= 12
    ends = sum(1 for t in texts if t.rstrip().endswith((".", "?", "!", ":", ")", "”")))
    assert ends >= 0.4 * len(texts)


def test_superscript_note_numbers_leave_the_text_and_other_digits_stay(tmp_path: Path) -> None:
    """A report's endnote references (``funds.14``) hid the word from the cues and put the
    number in quotes; a digit in the text's own type, or a subscript, is text."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for before, digits, after, vpos in (
        ("The district ran out of funds.", "14", " Then the grant came through.", "SUP"),
        ("Families chose under IDEA", "3", " with little guidance.", "SUP"),
        ("Emissions of CO", "2", " fell in the pilot year.", "SUB"),
        ("It took 2.5 years and 88,000 students in grade", "7", " to see it.", "LINE"),
    ):
        pdf.write(6, before)
        pdf.char_vpos = vpos
        pdf.write(6, digits)
        pdf.char_vpos = "LINE"
        pdf.write(6, after)
        pdf.ln(12)
    path = tmp_path / "notes.pdf"
    pdf.output(str(path))
    doc = read_document(path)
    text = " ".join(doc.text.split())
    assert "funds. Then the grant" in text and "14" not in text
    assert "under IDEA with little" in text
    assert "CO2 fell" in text  # a subscript is not a note
    assert "2.5 years and 88,000 students in grade7 to see it" in text
    assert "removed 2 superscript note number(s) from the text" in doc.repair_notes
