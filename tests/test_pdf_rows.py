"""PDF lines that PDFium cuts on one text row: superscript note numbers and drop caps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from themegrid.read import read_document
from themegrid.read.pdf import Line, paragraph_breaks, with_drop_caps, without_contents

# Run by .ci/run (its slow line), kept out of `make test` to hold it under two minutes.
pytestmark = pytest.mark.slow

pytest.importorskip("pypdfium2")

NCD = Path("../shared/devdata/ncd_federal_education_reports/pdf_docx")

#: A column as PDFium gives it on page 66 of the NCD vouchers report: the note numbers
#: 185 and 186 are lines of their own, on the row of the line before, 4 points tall.
SUPERSCRIPT_COLUMN = [
    Line("the child in such private school or facility.", (81.2, 146.3, 273.4, 155.7)),
    Line("Thus, as shown by the U.S. Supreme Court in ", (81.1, 130.3, 282.5, 139.6)),
    Line("Zobrest v. Catalina Foothills School District,", (81.4, 115.0, 270.8, 123.6)),
    Line("185", (272.5, 119.5, 281.0, 123.7)),
    Line("Board of Education of Kiryas Joel v. Grumet,", (82.0, 98.3, 275.6, 107.6)),
    Line("186", (277.2, 103.5, 285.8, 107.7)),
    Line("and Agostini v. Felton, the district does have ", (81.0, 82.3, 280.6, 91.6)),
    Line("to provide services on site in some cases.", (81.2, 66.3, 250.1, 75.6)),
]


def test_superscript_note_numbers_do_not_cut_the_sentence() -> None:
    assert paragraph_breaks(SUPERSCRIPT_COLUMN, 16.0) == set()


def test_a_line_far_right_on_its_row_is_not_joined() -> None:
    """Two columns side by side on one row stay apart: the gap is wider than a line's height."""
    column_two = Line("A heading in column two", (320.0, 115.0, 420.0, 131.0))
    lines = [*SUPERSCRIPT_COLUMN[:3], column_two]
    assert 2 in paragraph_breaks(lines, 16.0)


def test_drop_cap_goes_back_to_its_word_and_opens_a_paragraph() -> None:
    lines = [
        Line("Chapter 3: Services", (72.0, 640.0, 300.0, 660.0)),
        Line("T", (72.0, 532.0, 101.0, 571.0)),
        Line("his chapter presents several issues ", (102.0, 562.0, 264.0, 571.0)),
        Line("that arise when a school opens its doors.", (102.0, 546.0, 270.0, 555.0)),
    ]
    merged = with_drop_caps(lines)
    assert [line.text for line in merged] == [
        "Chapter 3: Services",
        "This chapter presents several issues ",
        "that arise when a school opens its doors.",
    ]
    assert merged[1].opens and merged[1].box == lines[2].box
    assert paragraph_breaks(merged, 16.0) == {0}
    # a one-letter line of the text's own height is no drop cap
    plain = [Line("I", (72.0, 562.0, 76.0, 571.0)), lines[2]]
    assert with_drop_caps(plain) == plain


def _drop_cap_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.text(10, 20, "Chapter 1: Background")
    pdf.set_font("Helvetica", size=36)
    pdf.text(10, 56.6, "T")
    pdf.set_font("Helvetica", size=10)
    lines = [
        "his chapter presents several issues that arise when",
        "students with disabilities enrol in a charter school and",
        "the school must decide how it will serve them, which",
        "depends on the state law and on the school's own choices.",
    ]
    for i, line in enumerate(lines):
        pdf.text(10 + (9 if i < 3 else 0), 50 + 5 * i, line)
    pdf.output(str(path))
    return path


def test_drop_cap_in_a_pdf(tmp_path: Path) -> None:
    doc = read_document(_drop_cap_pdf(tmp_path / "cap.pdf"))
    texts = [doc.text[u.start : u.end] for u in doc.units]
    assert texts[0] == "Chapter 1: Background"
    assert texts[1].startswith("This chapter presents several issues that arise when students")
    assert texts[1].endswith("own choices.")


def _units(name: str) -> list[str]:
    if not NCD.is_dir():
        pytest.skip("../shared/devdata is not here (CI has it beside the clone)")
    doc = read_document(NCD / name)
    return [" ".join(doc.text[u.start : u.end].split()) for u in doc.units]


def test_ncd_reports_sentences_whole_across_note_numbers_and_drop_caps() -> None:
    vouchers = _units("ncd-choice-vouchers-2018.pdf")
    whole = [
        # a superscript note number at a line's end (p. 66)
        r"Thus, as shown by the U\.S\. Supreme Court in Zobrest .* 185 ?Board of Education",
        # a drop cap PDFium gives in the line's own box (p. 13)
        r"^According to the 2016–2017 School Choice Yearbook, there are 52 private",
        # a drop cap PDFium gives as a line of its own (p. 23)
        r"^To understand the experiences of students",
    ]
    for pattern in whole:
        assert any(re.search(pattern, t) for t in vouchers), pattern
    charter = _units("ncd-charter-schools-2018.pdf")
    assert any(t.startswith("This chapter presents several issues") for t in charter)
    assert not any(t in {"T", "I"} for t in charter)


def test_a_last_line_of_x_height_letters_is_no_heading() -> None:
    """``means.`` has no ascender or descender: its box is 5 points tall beside 9, at the
    same type size (NCD vouchers report, p. 61); the sentence stays whole, and the list
    item after it (its next word would have fitted) starts anew."""
    lines = [
        Line("notify parents of students with disabilities ", (95.2, 250.9, 279.3, 260.2)),
        Line("that they are waiving rights and what that ", (94.7, 234.9, 278.3, 244.1)),
        Line("means.", (95.2, 220.7, 126.3, 226.0)),
        Line("3. Some parents report feeling unprepared to ", (81.5, 193.9, 283.2, 203.2)),
    ]
    assert paragraph_breaks(lines, 16.0) == {2}
    heading = [Line("Chapter Four", (72.0, 300.0, 200.0, 318.0)), lines[0]]
    assert paragraph_breaks(heading, 16.0) == {0}


def test_a_column_foot_mid_sentence_goes_on_when_the_next_word_would_not_fit() -> None:
    """NCD vouchers report, p. 13: the first column stops at ``and the state`` and the
    second goes on with ``construct``, a word too long for the room left."""
    lines = [
        Line("only cover a portion of private school cost, ", (94.9, 129.3, 280.3, 138.6)),
        Line("leaving a majority of families unable to ", (95.3, 113.3, 263.9, 122.6)),
        Line("access any choice at all; and the state ", (94.9, 97.3, 261.3, 106.5)),
        Line("construct may profoundly affect rights and ", (333.5, 562.4, 519.2, 571.6)),
        Line("outcomes for students with disabilities.", (333.4, 548.1, 506.6, 557.6)),
    ]
    assert paragraph_breaks(lines, 16.0) == set()
    short = [*lines[:3], Line("to go on in the next column.", (333.5, 562.4, 460.0, 571.6))]
    assert paragraph_breaks(short, 16.0) == {2}  # "to" would have fitted: ended on purpose


LEADER = " ." * 30


def test_contents_entries_are_grouped_and_left_out() -> None:
    """A contents entry whose title wraps is one paragraph (its lines down to the dot
    leader and page number), and such paragraphs are left out of the text."""
    lines = [
        Line("Executive Summary" + LEADER + " 11", (72.0, 650.0, 530.0, 660.0)),
        Line(
            "Chapter 2: Federal Legal Requirements Pertaining to Students",
            (82.0, 626.0, 400.0, 636.0),
        ),
        Line("with Disabilities in Charter Schools" + LEADER + " 47", (96.0, 612.0, 530.0, 622.0)),
        Line("Chapter 3: Access" + LEADER + " 49", (82.0, 598.0, 530.0, 608.0)),
    ]
    assert paragraph_breaks(lines, 14.0) == {0, 2}
    body = "The report starts here and it goes on."
    page = "\n\n".join([lines[0].text, lines[1].text + "\n" + lines[2].text, lines[3].text, body])
    kept, dropped = without_contents([page, page], [True, False])
    assert dropped == 3
    assert kept == [body, page]  # a page without line boxes is left as it is


def test_an_ellipsis_and_a_note_number_are_no_contents_entry() -> None:
    quote = "The law requires that the school . . . .12"
    assert without_contents([quote], [True]) == ([quote], 0)


def test_ncd_reports_have_no_contents_left() -> None:
    if not NCD.is_dir():
        pytest.skip("../shared/devdata is not here (CI has it beside the clone)")
    for name in ("ncd-charter-schools-2018.pdf", "ncd-choice-vouchers-2018.pdf"):
        doc = read_document(NCD / name)
        assert not re.search(r"(?:\. ?){8,}\d", doc.text), name
        assert any("table-of-contents entries" in n for n in doc.repair_notes)
        assert "Executive Summary" in doc.text  # the heading in the body stays
