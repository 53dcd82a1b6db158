"""Readers: every format, front matter, and every bad-input path with its message."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from themegrid.errors import InputFileError, MissingDependency
from themegrid.models import RawDocument
from themegrid.read import SUPPORTED_SUFFIXES, TableOptions, read_document

TRANSCRIPT = (
    "Interviewer: How did the pilot start?\n\n"
    "Respondent: With three schools. There are three reasons: time, money, trust.\n\n"
    "Interviewer: What happened next?\n\n"
    "Respondent: It grew to the whole district.\n"
)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def turns(doc: RawDocument) -> list[tuple[str | None, str]]:
    return [(u.speaker, doc.text[u.start : u.end]) for u in doc.units]


def error_message(path: Path, **kwargs: object) -> str:
    with pytest.raises(InputFileError) as err:
        read_document(path, display_path=f"corpus/{path.name}", **kwargs)  # type: ignore[arg-type]
    message = str(err.value)
    assert message.startswith(f"corpus/{path.name}: ")
    assert "\n" not in message
    return message


def test_supported_suffixes() -> None:
    assert {".txt", ".md", ".docx", ".pdf", ".vtt", ".srt", ".csv", ".xlsx"} <= SUPPORTED_SUFFIXES


# --- plain text -----------------------------------------------------------------------


def test_text_transcript(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "a.txt", TRANSCRIPT), display_path="interviews/a.txt")
    assert doc.path == "interviews/a.txt"
    assert doc.format == "txt"
    assert doc.kind == "interview"
    assert turns(doc)[1] == (
        "Respondent",
        "With three schools. There are three reasons: time, money, trust.",
    )
    assert [s for s, _ in turns(doc)] == ["Interviewer", "Respondent"] * 2


def test_text_document_paragraphs(tmp_path: Path) -> None:
    text = "A report.\n\nNote: two paragraphs here,\nwrapped.\n\nThe end.\n"
    doc = read_document(write(tmp_path, "r.txt", text))
    assert doc.kind == "document"
    assert [t for _, t in turns(doc)] == [
        "A report.",
        "Note: two paragraphs here,\nwrapped.",
        "The end.",
    ]


def test_markdown_bold_labels(tmp_path: Path) -> None:
    text = "# Interview 4\n\n**Moderator:** Welcome.\n\n**P1:** Thanks.\n\n**Moderator:** First?\n"
    doc = read_document(write(tmp_path, "fg.md", text))
    assert doc.format == "md"
    assert turns(doc) == [
        (None, "Interview 4"),  # read as Markdown: the heading's words, without its mark
        ("Moderator", "Welcome."),
        ("P1", "Thanks."),
        ("Moderator", "First?"),
    ]


def test_yaml_front_matter(tmp_path: Path) -> None:
    text = "---\nState: Nevada\nInterviewer: Kim Lee\n---\n" + TRANSCRIPT
    doc = read_document(write(tmp_path, "a.txt", text))
    assert doc.header_attributes == {"state": "Nevada", "interviewer": "Kim Lee"}
    assert doc.units[0].start > text.index("---\n", 4)
    assert doc.text[doc.units[0].start :].startswith("How did the pilot start?")


def test_key_value_front_matter(tmp_path: Path) -> None:
    text = "State: Nevada\nDistrict: Washoe\nRespondent role: Teacher\n\n" + TRANSCRIPT
    doc = read_document(write(tmp_path, "a.txt", text))
    assert doc.header_attributes == {
        "state": "Nevada",
        "district": "Washoe",
        "respondent role": "Teacher",
    }
    assert doc.kind == "interview"
    assert all(u.start > text.index("\n\n") for u in doc.units)


def test_transcript_without_blank_lines_is_not_a_header(tmp_path: Path) -> None:
    text = "Interviewer: Hi.\nRespondent: Hello.\nInterviewer: Date?\nRespondent: June.\n\nEnd."
    doc = read_document(write(tmp_path, "a.txt", text))
    assert doc.header_attributes == {}
    assert [s for s, _ in turns(doc)] == ["Interviewer", "Respondent"] * 2


def test_non_english_transcript_and_document(tmp_path: Path) -> None:
    spanish = (
        "Entrevistadora: ¿Cómo empezó el programa piloto?\n\n"
        "Participante: Con tres escuelas. Había tres razones: tiempo, dinero y confianza.\n\n"
        "Entrevistadora: ¿Y después?\n\n"
        "Participante: Creció a todo el distrito.\n"
    )
    doc = read_document(write(tmp_path, "es.txt", spanish.encode("cp1252")))
    assert doc.kind == "interview"
    assert doc.warnings == ()
    assert turns(doc)[0] == ("Entrevistadora", "¿Cómo empezó el programa piloto?")
    german = "Die Schulen arbeiten zusammen.\n\nÜberprüfung: noch offen.\n"
    doc = read_document(write(tmp_path, "de.txt", german))
    assert doc.kind == "document"
    assert doc.warnings == () and doc.repair_notes == ()


def test_mojibake_note_reaches_the_document(tmp_path: Path) -> None:
    broken = "Respondent: it’s the café".encode().decode("cp1252")
    doc = read_document(write(tmp_path, "m.txt", f"Interviewer: Hi.\n{broken}\n"))
    assert doc.repair_notes and doc.repair_notes[0].startswith("repaired mojibake on 1 line")
    assert "it’s the café" in doc.text


# --- docx -----------------------------------------------------------------------------


def make_docx(path: Path, paragraphs: list[list[tuple[str, str | None]]]) -> Path:
    """Paragraphs of runs; each run is (text, None | 'bold' | 'strong')."""
    import docx

    document = docx.Document()
    for runs in paragraphs:
        para = document.add_paragraph()
        for text, style in runs:
            run = para.add_run(text)
            if style == "bold":
                run.bold = True
            elif style == "strong":
                run.style = document.styles["Strong"]
    document.save(str(path))
    return path


def test_docx_bold_labels(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "a.docx",
        [
            [("Interview with a superintendent, 2022", None)],
            [("Interviewer:", "bold"), (" How did it start?", None)],
            [("Dr. Solberg: ", "strong"), ("With a pilot.", None)],
            [("It grew after that.", None)],
            [("Interviewer", "bold"), (": And then?", None)],
            [("Dr. Solberg:", "bold"), (" The state joined.", None)],
        ],
    )
    doc = read_document(path)
    assert doc.format == "docx" and doc.kind == "interview"
    assert turns(doc) == [
        (None, "Interview with a superintendent, 2022"),
        ("Interviewer", "How did it start?"),
        ("Dr. Solberg", "With a pilot.\n\nIt grew after that."),
        ("Interviewer", "And then?"),
        ("Dr. Solberg", "The state joined."),
    ]


def test_docx_bold_name_paragraphs(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "b.docx",
        [
            [("Jane Doe", "bold")],
            [("How did it start?", None)],
            [("Sam Roe", "bold")],
            [("With a pilot.", None)],
            [("Jane Doe", "bold")],
            [("Thanks.", None)],
        ],
    )
    doc = read_document(path)
    assert turns(doc) == [
        ("Jane Doe", "How did it start?"),
        ("Sam Roe", "With a pilot."),
        ("Jane Doe", "Thanks."),
    ]


def test_docx_plain_labels_and_documents(tmp_path: Path) -> None:
    lines = [line for line in TRANSCRIPT.splitlines() if line]
    doc = read_document(make_docx(tmp_path / "c.docx", [[(x, None)] for x in lines]))
    assert [s for s, _ in turns(doc)] == ["Interviewer", "Respondent"] * 2
    report = [[("Introduction", "bold")], [("States moved fast.", None)], [("Done.", None)]]
    doc = read_document(make_docx(tmp_path / "d.docx", report))
    assert doc.kind == "document"
    assert [t for _, t in turns(doc)] == ["Introduction", "States moved fast.", "Done."]


def test_corrupt_docx(tmp_path: Path) -> None:
    message = error_message(write(tmp_path, "bad.docx", b"this is not a zip"))
    assert "not a valid .docx" in message and "save it as .docx" in message


def test_missing_python_docx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_docx(tmp_path / "a.docx", [[("Hello", None)]])
    monkeypatch.setitem(sys.modules, "docx", None)
    with pytest.raises(MissingDependency, match=r"themegrid\[docx\]"):
        read_document(path)


# --- pdf ------------------------------------------------------------------------------


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for paragraphs in pages:
        pdf.add_page()
        for para in paragraphs:
            pdf.multi_cell(0, 6, para)
            pdf.ln(6)
    pdf.output(str(path))
    return path


def test_pdf_pages_paragraphs_and_hyphenation(tmp_path: Path) -> None:
    first = (
        "The state supported implementation in many districts, and each of the districts "
        "took its own path. Implementation started with a competency-based pilot in imple-\n"
        "mentation sites and then moved on to a self-\nassessment of the work."
    )
    path = make_pdf(
        tmp_path / "r.pdf",
        [[first, "Second paragraph is short."], ["Third paragraph on page two."]],
    )
    doc = read_document(path)
    assert doc.format == "pdf" and doc.kind == "document"
    texts = [t for _, t in turns(doc)]
    assert len(texts) == 3
    assert "in implementation sites" in texts[0]
    # no evidence either way: the hyphen stays; the paragraph's lines are one line
    assert "self-assessment" in texts[0]
    assert texts[1:] == ["Second paragraph is short.", "Third paragraph on page two."]


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50)
    pdf.output(str(tmp_path / "scan.pdf"))
    message = error_message(tmp_path / "scan.pdf")
    assert "looks like a scanned PDF with no text layer; run OCR (e.g. ocrmypdf)" in message


def test_password_protected_pdf(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 6, "Hidden text.")
    pdf.output(str(tmp_path / "locked.pdf"))
    message = error_message(tmp_path / "locked.pdf")
    assert "locked.pdf" in message and "is password-protected" in message


def test_corrupt_pdf(tmp_path: Path) -> None:
    message = error_message(write(tmp_path, "bad.pdf", b"%PDF-1.4\n garbage garbage"))
    assert "not a readable PDF" in message


def test_missing_pypdfium2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_pdf(tmp_path / "r.pdf", [["Hello."]])
    monkeypatch.setitem(sys.modules, "pypdfium2", None)
    with pytest.raises(MissingDependency, match=r"themegrid\[pdf\]"):
        read_document(path)


# --- subtitles ------------------------------------------------------------------------

VTT = """WEBVTT

1
00:00:01.000 --> 00:00:03.500
<v Jane Doe>How did the pilot start?</v>

2
00:00:04.000 --> 00:00:06.000
<v Sam Roe>With three schools,

3
00:00:06.000 --> 00:00:09.250
<v Sam Roe>and then it grew.

4
00:00:10.000 --> 00:00:11.000
<v Jane Doe>Why?
"""

ZOOM_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:03.000
Jane Doe: How did the pilot start?

2
00:00:03.500 --> 00:00:05.000
Sam Roe: With three schools.

3
00:00:05.000 --> 00:00:06.000
Sam Roe: Then more.

4
00:00:07.000 --> 00:00:08.000
Jane Doe: Note: thanks.
"""

SRT = """1
00:00:01,000 --> 00:00:03,000
Interviewer: How did the pilot start?

2
00:00:03,500 --> 00:00:05,000
Respondent: With three
schools.

3
00:00:05,100 --> 00:00:07,000
Interviewer: Why?
"""


def test_vtt_voice_spans_merge_turns(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "z.vtt", VTT))
    assert doc.format == "vtt" and doc.kind == "interview"
    assert turns(doc) == [
        ("Jane Doe", "How did the pilot start?"),
        ("Sam Roe", "With three schools, and then it grew."),
        ("Jane Doe", "Why?"),
    ]
    assert (doc.units[1].t_start, doc.units[1].t_end) == (4.0, 9.25)


def test_vtt_name_prefixes(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "z.vtt", ZOOM_VTT))
    assert turns(doc) == [
        ("Jane Doe", "How did the pilot start?"),
        ("Sam Roe", "With three schools. Then more."),
        ("Jane Doe", "Note: thanks."),
    ]


def test_srt(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "s.srt", SRT))
    assert doc.format == "srt"
    assert turns(doc)[1] == ("Respondent", "With three schools.")
    assert doc.units[1].t_start == 3.5


def test_srt_without_cues(tmp_path: Path) -> None:
    assert "no subtitle cues" in error_message(write(tmp_path, "s.srt", "just text\n"))


def test_missing_webvtt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "z.vtt", VTT)
    monkeypatch.setitem(sys.modules, "webvtt", None)
    with pytest.raises(MissingDependency, match=r"themegrid\[vtt\]"):
        read_document(path)


# --- tables ---------------------------------------------------------------------------

CSV = (
    "id,state,response,score\n"
    "r1,Nevada,The pilot helped our school a lot.,4\n"
    "r2,Arizona,,3\n"
    'r3,Arizona,"Two lines\nin one answer.",5\n'
)


def test_csv_auto_text_column(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "survey.csv", CSV))
    assert doc.kind == "table" and doc.format == "csv"
    assert doc.text == "The pilot helped our school a lot.\n\nTwo lines\nin one answer."
    assert [t for _, t in turns(doc)] == [
        "The pilot helped our school a lot.",
        "Two lines\nin one answer.",
    ]
    assert [u.row_id for u in doc.units] == ["r1", "r3"]
    assert doc.units[0].attributes == {"state": "Nevada", "score": "4"}


def test_csv_named_columns(tmp_path: Path) -> None:
    opts = TableOptions(text_column="response", id_column="id", attribute_columns=("state",))
    doc = read_document(write(tmp_path, "survey.csv", CSV), table=opts)
    assert [u.row_id for u in doc.units] == ["r1", "r3"]
    assert doc.units[1].attributes == {"state": "Arizona"}


def test_csv_longest_text_column_and_semicolons(tmp_path: Path) -> None:
    data = "who;said;n\nAna;We started with a pilot and grew.;1\nBo;Teachers led the work.;2\n"
    doc = read_document(write(tmp_path, "s.csv", data), table=TableOptions(speaker_column="who"))
    assert turns(doc) == [
        ("Ana", "We started with a pilot and grew."),
        ("Bo", "Teachers led the work."),
    ]
    assert [u.row_id for u in doc.units] == ["2", "3"]  # spreadsheet row numbers


def test_csv_missing_text_column_lists_columns(tmp_path: Path) -> None:
    message = error_message(write(tmp_path, "s.csv", CSV), table=TableOptions(text_column="answer"))
    assert "no text column 'answer'" in message
    assert "'id', 'state', 'response', 'score'" in message


def make_xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Responses")
    sheet.append(["Respondent", "Role", "Utterance"])
    sheet.append([101, "Teacher", "Students choose how to show what they know."])
    sheet.append([102, "Principal", "We built a coaching network."])
    book.save(path)
    return path


def test_xlsx_sheet_and_columns(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "s.xlsx")
    opts = TableOptions(id_column="Respondent", speaker_column="Role", sheet="Responses")
    doc = read_document(path, table=opts)
    assert doc.format == "xlsx"
    assert turns(doc) == [
        ("Teacher", "Students choose how to show what they know."),
        ("Principal", "We built a coaching network."),
    ]
    assert [u.row_id for u in doc.units] == ["101", "102"]


def test_xlsx_missing_column_and_sheet(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "s.xlsx")
    message = error_message(path, table=TableOptions(text_column="Text", sheet="Responses"))
    assert "'Respondent', 'Role', 'Utterance'" in message
    assert "sheets are: Notes, Responses" in error_message(path, table=TableOptions(sheet="X"))


def test_corrupt_xlsx(tmp_path: Path) -> None:
    assert "not a valid .xlsx" in error_message(write(tmp_path, "s.xlsx", b"not a zip"))


# --- bad input ------------------------------------------------------------------------


def test_unsupported_suffix(tmp_path: Path) -> None:
    message = error_message(write(tmp_path, "a.wpd", "WordPerfect"))
    assert "unsupported file type '.wpd'" in message and ".docx" in message


def test_empty_file(tmp_path: Path) -> None:
    assert "file is empty" in error_message(write(tmp_path, "a.txt", b""))
    assert "has no text" in error_message(write(tmp_path, "b.txt", "  \n\n \n"))


def test_binary_file_named_txt(tmp_path: Path) -> None:
    data = bytes(range(256)) * 8
    assert "binary file" in error_message(write(tmp_path, "a.txt", data))


def test_docx_named_txt(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "x.docx", [[("Hello", None)]])
    renamed = path.rename(tmp_path / "x.txt")
    assert "zip archive" in error_message(renamed)
