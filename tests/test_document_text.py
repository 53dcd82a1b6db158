"""Document text: paragraphs, leftover HTML, survey export header rows."""

from __future__ import annotations

from themegrid.segment.paragraphs import paragraph_units


def paragraphs(text: str) -> list[str]:
    return [text[u.start : u.end] for u in paragraph_units(text, 0, len(text))]


WRAPPED = (
    "The state supported implementation in many districts, and each district\n"
    "took its own path through the first two years of the cohort work, with\n"
    "coaching from the regional centres.\n"
    "\n"
    "A second paragraph, also wrapped at about seventy characters a line so\n"
    "that it reads as one paragraph.\n"
)


def test_hard_wrapped_prose_joins_into_paragraphs() -> None:
    out = paragraphs(WRAPPED)
    assert len(out) == 2
    assert out[0].startswith("The state") and out[0].endswith("regional centres.")


def test_unwrapped_lines_are_paragraphs() -> None:
    long = "x " * 150
    text = f"Heading\n{long.strip()}\n{long.strip()}\n\nAnother heading\n{long.strip()}"
    out = paragraphs(text)
    assert [len(p) for p in out] == [7, 299, 299, 15, 299]


def test_list_items_start_new_paragraphs_in_wrapped_text() -> None:
    text = (
        "Recommendations for state leaders follow in the list below, each one\n"
        "- Establish a clear and shared vision and goals for the state effort\n"
        "  and communicate them widely across districts and schools alike\n"
        "- Leverage partners for professional development and assistance\n"
        "2) Plan for scale from the very beginning of the initiative work\n"
    )
    out = paragraphs(text)
    assert len(out) == 4
    assert out[1].startswith("- Establish") and out[1].endswith("schools alike")


def test_offsets_are_exact() -> None:
    text = "Intro line\n" + "word " * 60 + "\n\n" + WRAPPED
    for unit in paragraph_units(text, 0, len(text)):
        segment = text[unit.start : unit.end]
        assert segment == segment.strip() and segment


def test_leftover_html_tags_are_removed_with_a_note(tmp_path) -> None:
    from themegrid.read import read_document
    from themegrid.read.text import strip_html_tags

    assert strip_html_tags("a <p>b</p> <br/>c <v Bob> x < y <B>d</B>") == (
        "a b \nc <v Bob> x < y d",
        5,
    )
    path = tmp_path / "page.txt"
    path.write_text("CATALYST\t<p>States identified catalysts.</p>\n", encoding="utf-8")
    raw = read_document(path)
    assert "<p>" not in raw.text and "States identified catalysts." in raw.text
    assert any("removed 2 HTML tag(s)" in note for note in raw.repair_notes)


def test_survey_export_header_rows_are_not_responses(tmp_path) -> None:
    from themegrid.read import read_document

    path = tmp_path / "qualtrics.csv"
    path.write_text(
        "StartDate,ResponseId,Q1,Q2\n"
        "Start Date,Response ID,What state?,What helped your school most this year?\n"
        '"{""ImportId"":""startDate""}","{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2""}"\n'
        "2026-01-01,R_1,Nevada,Coaching from the regional centre helped most.\n"
        "2026-01-02,R_2,Ohio,Time to plan together.\n",
        encoding="utf-8",
    )
    raw = read_document(path)
    assert [u.row_id for u in raw.units] == ["R_1", "R_2"]
    assert raw.units[0].attributes["Q1"] == "Nevada"


def test_word_transcript_laid_out_as_a_table(tmp_path) -> None:
    import docx

    from themegrid.read import read_document

    document = docx.Document()
    document.add_paragraph("Interview with a district leader (invented)")
    table = document.add_table(rows=0, cols=2)
    rows = [
        ("Speaker", "Text"),
        ("Interviewer", "What happened: tell me."),
        ("Dr. Lee", "The money ran out."),
    ]
    rows += [("Interviewer", "And then?"), ("Dr. Lee", "We found other budget lines.")]
    for speaker, text in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = speaker, text
    timed = document.add_table(rows=0, cols=3)
    for stamp, speaker, text in (
        ("00:10:01", "Interviewer", "One more?"),
        ("00:10:05", "Dr. Lee", "Coaching."),
    ):
        cells = timed.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = stamp, speaker, text
    path = tmp_path / "table.docx"
    document.save(path)
    raw = read_document(path)
    turns = [(u.speaker, raw.text[u.start : u.end], u.t_start) for u in raw.units if u.speaker]
    assert raw.kind == "interview"
    assert turns == [
        ("Interviewer", "What happened: tell me.", None),
        ("Dr. Lee", "The money ran out.", None),
        ("Interviewer", "And then?", None),
        ("Dr. Lee", "We found other budget lines.", None),
        ("Interviewer", "One more?", 601.0),
        ("Dr. Lee", "Coaching.", 605.0),
    ]
