"""import quotes: a coded-quotes table (MAXQDA's Coded Segments) anchored in ingested documents."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from themegrid.api import import_quotes, ingest
from themegrid.codebook import load_codebook
from themegrid.errors import InputFileError, ValidationError
from themegrid.exchange.quotes import anchor, read_quote_rows
from themegrid.project import init_project
from themegrid.store.connection import Store

PDPILOT = Path("../shared/devdata/pdpilot_maxqda_interviews/results")

TRANSCRIPT = """\
Dan: So how do you use these plots in your work?

Participant: We look at the pre-computed plots first, and then we compare
the clusters side by side.

Dan: Okay. Yeah.

Participant: Yeah. Then we report the trend to the business.
"""


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["Document name", "Code", "Segment"], *rows])
    return path


@pytest.fixture
def project(tmp_path: Path):
    project, _ = init_project(tmp_path / "proj")
    (project.root / "corpus" / "P1.txt").write_text(TRANSCRIPT, encoding="utf-8")
    ingest(project)
    return project


def test_anchor_ignores_wrapping_but_never_guesses() -> None:
    text = "We look at the pre-computed plots\nfirst. Yeah. Yeah."
    assert anchor(text, "the pre-\ncomputed   plots first.") == (11, 40)
    assert text[11:40] == "the pre-computed plots\nfirst."
    assert "2 times" in str(anchor(text, "Yeah."))
    assert "not in the document" in str(anchor(text, "the plots first"))


def test_quotes_become_human_codings_with_exact_spans(project, tmp_path: Path) -> None:
    table = write_rows(
        tmp_path / "coded.csv",
        [
            ["P1", "Techniques > Pre-computed plots", "the pre-\ncomputed plots first"],
            # one quote over two turns: coded on the answer, clipped to it; the
            # interviewer's "Okay." it also covers is not coded
            ["P1", "Techniques > Comparing", "the clusters side by side. Dan: Okay."],
            ["P1", "Reporting", "Then we report the trend to the business."],
            ["P1", "Reporting", "Yeah."],  # twice in the text: left out, not guessed
            ["P1", "Reporting", "we report it to the board"],  # not in the text
        ],
    )
    summary = import_quotes(project, table, coder="Dan K", add_codes=True)
    assert (summary.rows, summary.quotes_found) == (5, 3)
    assert [r.split(":")[0] for r in summary.not_found] == ["row 5 (P1)", "row 6 (P1)"]
    assert summary.template_replaced
    book = load_codebook(project.codebook_dir)
    assert not book.get("techniques").codable
    assert book.get("techniques.comparing").codable and "reporting" in book
    assert "barriers.funding" not in book  # the template's example codes are gone
    with Store(project.store_path) as store:
        rows = store.query(
            'SELECT c.code_id, c.span_start, c.span_end, s.start, s."end", d.text FROM codings c'
            " JOIN segments s ON s.id = c.segment_id JOIN documents d ON d.id = s.document_id"
            " WHERE c.source = 'human' AND c.coder = 'Dan K' ORDER BY c.span_start"
        )
    got = [(r[0], r[5][r[1] : r[2]]) for r in rows]
    assert got == [
        ("techniques.pre_computed_plots", "the pre-computed plots first"),
        ("techniques.comparing", "the clusters side by side."),
        ("reporting", "Then we report the trend to the business."),
    ]
    assert all(r[3] <= r[1] < r[2] <= r[4] for r in rows)  # each span inside its segment
    assert (summary.with_interviewer, summary.interviewer_turns_left) == (1, 1)


def coded_texts(project, coder: str) -> list[tuple[str, str, int, str]]:
    """(code, coded text, is_interviewer, reason) of a coder's codings, in text order."""
    with Store(project.store_path) as store:
        rows = store.query(
            "SELECT c.code_id, c.span_start, c.span_end, s.is_interviewer, c.reason, d.text"
            " FROM codings c JOIN segments s ON s.id = c.segment_id"
            " JOIN documents d ON d.id = s.document_id"
            " WHERE c.source = 'human' AND c.coder = ? ORDER BY c.span_start",
            (coder,),
        )
    return [(r[0], r[5][r[1] : r[2]], r[3], r[4]) for r in rows]


@pytest.mark.parametrize("keep", [False, True])
def test_a_quote_with_its_question_is_coded_on_the_answer_unless_asked(
    project, tmp_path: Path, keep: bool
) -> None:
    table = write_rows(
        tmp_path / "coded.csv",
        [
            # the researcher selected the question with its answer, for context
            ["P1", "Plots", "in your work?\n\nParticipant: We look at the pre-computed plots"],
            ["P1", "Small talk", "Okay. Yeah."],  # wholly in the interviewer's turn
        ],
    )
    summary = import_quotes(
        project, table, coder="Dan K", add_codes=True, code_interviewer_turns=keep
    )
    got = [(code, text, turn) for code, text, turn, _ in coded_texts(project, "Dan K")]
    question = [("plots", "in your work?", 1)] if keep else []
    assert got == [
        *question,
        ("plots", "We look at the pre-computed plots", 0),
        ("small_talk", "Okay. Yeah.", 1),  # all the coder decided: coded where it is
    ]
    assert (summary.with_interviewer, summary.interviewer_only) == (1, 1)
    lines = "\n".join(summary.lines())
    if keep:
        assert summary.interviewer_turns_left == 0 and "coded on every turn" in lines
    else:
        assert summary.interviewer_turns_left == 1
        assert "1 interviewer turn(s) left uncoded; --code-interviewer-turns" in lines
        reasons = [r for code, _, _, r in coded_texts(project, "Dan K") if code == "plots"]
        assert reasons == [
            "imported from coded.csv row(s) 2 (the quote's interviewer turns are not coded)"
        ]


def test_unknown_codes_and_documents_write_nothing(project, tmp_path: Path) -> None:
    table = write_rows(tmp_path / "c.csv", [["P1", "Reporting", "Then we report the trend"]])
    with pytest.raises(ValidationError, match="--add-codes"):
        import_quotes(project, table, coder="Ana")
    other = write_rows(tmp_path / "d.csv", [["P9", "Reporting", "Then we report the trend"]])
    with pytest.raises(InputFileError, match=r"row 2: document 'P9' is not in the project"):
        import_quotes(project, other, coder="Ana", add_codes=True)
    with Store(project.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM codings WHERE source = 'human'") == 0
        assert store.scalar("SELECT COUNT(*) FROM runs WHERE command = 'import quotes'") == 0
    assert not list(project.codebook_dir.glob("imported_*.yaml"))


@pytest.mark.slow
@pytest.mark.skipif(not PDPILOT.exists(), reason="../shared/devdata (pdpilot) is absent")
def test_the_real_maxqda_coded_segments(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    project, _ = init_project(tmp_path / "proj", empty_codebook=True)
    for pdf in sorted((PDPILOT / "transcripts").glob("P*.pdf")):
        (project.root / "corpus" / pdf.name).write_bytes(pdf.read_bytes())
    ingest(project)
    table = PDPILOT / "coded-segments.pdf"
    # counted independently: rows of the plain text extraction that start with a document name
    plain = "\n".join(p.extract_text() for p in pypdf.PdfReader(str(table)).pages)
    counted = len(re.findall(r"^P\d+ ", plain, re.M))
    assert len(read_quote_rows(table)) == counted
    summary = import_quotes(project, table, coder="Kerrigan", add_codes=True)
    assert summary.rows == counted and summary.quotes_found == counted, summary.not_found


@pytest.mark.parametrize("complete", [False, True])
def test_only_a_complete_table_makes_uncoded_segments_negatives(
    project, tmp_path: Path, complete: bool
) -> None:
    """An export filtered to a few codes must not teach the model that every other segment
    of its documents lacks every code: only ``--complete`` marks the whole document seen."""
    table = write_rows(
        tmp_path / "coded.csv", [["P1", "Reporting", "Then we report the trend to the business."]]
    )
    summary = import_quotes(project, table, coder="Ana", add_codes=True, complete=complete)
    assert summary.complete is complete
    with Store(project.store_path) as store:
        seen = store.scalar("SELECT COUNT(*) FROM segment_views WHERE coder = 'Ana'")
        in_doc = store.scalar(
            "SELECT COUNT(*) FROM segments s JOIN documents d ON d.id = s.document_id"
            " WHERE d.path LIKE '%P1%' AND s.active = 1"
        )
    assert in_doc > 1
    assert seen == (in_doc if complete else 1)


# MAXQDA's Coded Segments table as exported to Excel (MAXQDA 2022/24, English interface).
# The three columns themegrid reads are those of the pdpilot devdata export (a PDF of the
# same table); the further ones are those researchers' scripts read from or drop out of
# real exports (Color, Document group, Beginning, End, Weight score, Modified by, Modified,
# Created by, Created; plus Comment, Area, Coverage %). With document variables
# in the export, they follow, the system variable 'Document name' repeating that column.
MAXQDA_HEADER = [
    "Color", "Document group", "Document name", "Code", "Beginning", "End", "Segment",
    "Modified by", "Modified", "Created by", "Created", "Weight score", "Comment", "Area",
    "Coverage %",
]  # fmt: skip
# The same export from MAXQDA's German interface: MAXQDA localises the headers ('Farbe',
# 'Dokumentgruppe', 'Dokumentname', 'Erstellt am' are seen in real German exports; 'Code'
# and 'Segment' stay).
GERMAN_HEADER = [
    "Farbe", "Dokumentgruppe", "Dokumentname", "Code", "Anfang", "Ende", "Segment",
    "Geändert von", "Geändert am", "Erstellt von", "Erstellt am", "Gewicht", "Kommentar",
    "Fläche", "Abdeckungsgrad %",
]  # fmt: skip
VARIABLES = {"english": ("Document name", "Interview date"), "german": ("Dokumentname", "Interview date")}  # fmt: skip


def maxqda_xlsx(
    path: Path,
    rows: list[tuple[str, str, str]],
    header: list[str] = MAXQDA_HEADER,
    variables: tuple[str, ...] = (),
) -> Path:
    """The export as MAXQDA writes it; ``variables``: document variables exported too."""
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Coded Segments"
    sheet.append([*header, *variables])
    for n, (doc, code, quote) in enumerate(rows):
        values = [
            None,  # colour is a cell fill in MAXQDA, the value empty
            "Interviews",
            doc,
            code,
            n + 1,  # paragraph numbers, as numbers
            n + 2,
            quote,
            "Kim",
            datetime.datetime(2023, 5, 6, 9, 0),
            "Kim",
            datetime.datetime(2023, 5, 4, 10, 30),
            0,
            None,
            len(quote),
            12.5,
        ]
        # a document variable's value must never be read as the document or the quote
        sheet.append([*values, *[doc, "2023-05-01"][: len(variables)]])
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("header", "variables"),
    [
        (MAXQDA_HEADER, ()),
        (MAXQDA_HEADER, VARIABLES["english"]),
        (GERMAN_HEADER, VARIABLES["german"]),
    ],
    ids=["english", "english-with-document-variables", "german-with-document-variables"],
)
def test_a_maxqda_xlsx_export_imports_with_exact_spans(
    project, tmp_path: Path, header: list[str], variables: tuple[str, ...]
) -> None:
    table = maxqda_xlsx(
        tmp_path / "Coded Segments.xlsx",
        [
            ("P1", "Techniques > Pre-computed plots", "the pre-\ncomputed plots first"),
            ("P1", "Reporting", "Then we report the trend to the business."),
            ("P1", "Reporting", ""),  # an image segment: no text, not a quote
        ],
        header,
        variables,
    )
    rows = read_quote_rows(table)
    assert [(r.number, r.document, r.code) for r in rows] == [
        (2, "P1", "Techniques > Pre-computed plots"),
        (3, "P1", "Reporting"),
    ]
    summary = import_quotes(project, table, coder="Kim", add_codes=True)
    assert (summary.rows, summary.quotes_found, summary.not_found) == (2, 2, ())
    with Store(project.store_path) as store:
        got = [
            (r[0], r[1][r[2] : r[3]])
            for r in store.query(
                "SELECT c.code_id, d.text, c.span_start, c.span_end FROM codings c"
                " JOIN segments s ON s.id = c.segment_id JOIN documents d ON d.id = s.document_id"
                " WHERE c.coder = 'Kim' ORDER BY c.span_start"
            )
        ]
    assert got == [
        ("techniques.pre_computed_plots", "the pre-computed plots first"),
        ("reporting", "Then we report the trend to the business."),
    ]


def test_an_xlsx_without_maxqdas_columns_names_them(project, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Document", "Code", "Words"])
    book.active.append(["P1", "Reporting", "Then we report"])
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(InputFileError, match=r"no column 'Segment' \(or 'Quotation Content'"):
        read_quote_rows(tmp_path / "x.xlsx")


def coded_segments_pdf(
    path: Path,
    rows: list[tuple[str, list[str], list[str]]],
    headers: tuple[str, str, str] = ("Document name", "Code", "Segment"),
) -> Path:
    """A PDF laid out as MAXQDA prints its Coded Segments table: a title, the three column
    headers, then per row the document name, the code (wrapped) and the segment (wrapped),
    each piece at its column's left edge, rows continuing onto the next page."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=10)
    columns = (15.0, 40.0, 95.0)
    pdf.add_page()
    pdf.text(15, 15, "Coded Segments")
    for x, name in zip(columns, headers, strict=True):
        pdf.text(x, 25, name)
    y = 35.0
    for doc, code_lines, quote_lines in rows:
        height = 6 * max(len(code_lines), len(quote_lines))
        if y + height > 280:
            pdf.add_page()
            y = 20.0
        pdf.text(columns[0], y, doc)
        for i, line in enumerate(code_lines):
            pdf.text(columns[1], y + 6 * i, line)
        for i, line in enumerate(quote_lines):
            pdf.text(columns[2], y + 6 * i, line)
        y += height + 4
    pdf.output(str(path))
    return path


def test_a_coded_segments_pdf_built_here_reads_and_imports(project, tmp_path: Path) -> None:
    pytest.importorskip("fpdf")
    filler = [("P1", ["Reporting"], ["Then we report the trend to the business."])] * 25
    table = coded_segments_pdf(
        tmp_path / "coded-segments.pdf",
        [
            ("P1", ["Techniques > Pre-", "computed plots"], ["We look at the pre-", "computed plots first"]),
            ("P1", ["Techniques >", "Comparing"], ["and then we compare", "the clusters side by side."]),
            *filler,  # pushes the last row onto a second page
            ("P1", ["Dialogue"], ["Dan: Okay. Yeah."]),
        ],
    )  # fmt: skip
    pypdf = pytest.importorskip("pypdf")
    assert len(pypdf.PdfReader(str(table)).pages) == 2
    rows = read_quote_rows(table)
    assert len(rows) == 28
    assert (rows[0].document, rows[0].code) == ("P1", "Techniques > Pre- computed plots")
    assert rows[0].quote == "We look at the pre-\ncomputed plots first"
    assert (rows[1].code, rows[1].quote) == (
        "Techniques > Comparing",
        "and then we compare\nthe clusters side by side.",
    )
    assert (rows[-1].number, rows[-1].code, rows[-1].quote) == (28, "Dialogue", "Dan: Okay. Yeah.")
    summary = import_quotes(project, table, coder="Dan K", add_codes=True)
    assert summary.quotes_found == 28, summary.not_found
    with Store(project.store_path) as store:
        quoted = {
            r[0][r[1] : r[2]]
            for r in store.query(
                "SELECT d.text, c.span_start, c.span_end FROM codings c JOIN segments s"
                " ON s.id = c.segment_id JOIN documents d ON d.id = s.document_id"
                " WHERE c.coder = 'Dan K'"
            )
        }
    assert "We look at the pre-computed plots first" in quoted
    assert "and then we compare\nthe clusters side by side." in quoted


def test_a_german_coded_segments_pdf_reads(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    pytest.importorskip("fpdf")
    rows = [("P1", ["Reporting"], ["Then we report the trend to the business."])]
    table = coded_segments_pdf(
        tmp_path / "Codierte Segmente.pdf", rows, ("Dokumentname", "Code", "Segment")
    )
    [row] = read_quote_rows(table)
    assert (row.document, row.code, row.quote) == ("P1", "Reporting", rows[0][2][0])


def test_a_pdf_without_the_table_is_refused_by_name(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.text(15, 20, "Minutes of the board meeting")
    pdf.output(str(tmp_path / "minutes.pdf"))
    with pytest.raises(InputFileError, match=r"minutes\.pdf.*no table with the columns"):
        read_quote_rows(tmp_path / "minutes.pdf")
