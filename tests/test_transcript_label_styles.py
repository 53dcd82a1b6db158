"""A table of transcript label styles from the transcription tools researchers use.

Each style is written as the tool writes it (Rev, Otter, Trint, Descript, Zoom,
bracketed timestamps, Q:/A:, upper-case roles, role with a name, I:/R:/P1:,
labels on their own line); for each: the turns found, each turn's speaker, which
speaker is the interviewer, and that each turn's offsets cut exactly its words.
Synthetic text: these are edge-case tests, not a measure of quality on real data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from themegrid.read import read_document
from themegrid.segment.interviewer import infer_interviewers

Q1 = "How did the coaching start in your district?"
A1 = "It began with two coaches shared across five schools, which was thin."
Q2 = "What changed once the state grant arrived?"
A2 = "We hired four more coaches and every new teacher got one."
TURNS = [Q1, A1, Q2, A2]


def build(labels: list[str], sep: str = " ", between: str = "\n\n") -> str:
    return between.join(f"{lab}{sep}{text}" for lab, text in zip(labels, TURNS, strict=True))


# (name, text, expected speakers in order, the interviewer's label)
STYLES = [
    (
        "rev",
        build(["Speaker 1 (00:01:02):", "Speaker 2 (00:01:09):"] * 2, "\n"),
        ["Speaker 1", "Speaker 2"] * 2,
        "Speaker 1",
    ),
    (
        "rev_named",
        build(["Jane Doe (00:00:05):", "Luis Ortega (00:00:11):"] * 2, "\n"),
        ["Jane Doe", "Luis Ortega"] * 2,
        "Jane Doe",
    ),
    (
        "otter",
        build(["Jane Doe  0:03", "Luis Ortega  0:10"] * 2, "\n"),
        ["Jane Doe", "Luis Ortega"] * 2,
        "Jane Doe",
    ),
    (
        "trint",
        build(["[00:00:03] Jane Doe", "[00:00:10] Luis Ortega"] * 2, "\n"),
        ["Jane Doe", "Luis Ortega"] * 2,
        "Jane Doe",
    ),
    (
        "descript",
        build(["Jane Doe: [00:00:03]", "Luis Ortega: [00:00:10]"] * 2, " "),
        ["Jane Doe", "Luis Ortega"] * 2,
        "Jane Doe",
    ),
    (
        "bracket_ts_name_colon",
        build(["[00:01:02] Jane:", "[00:01:09] Luis:"] * 2),
        ["Jane", "Luis"] * 2,
        "Jane",
    ),
    ("qa_colon", build(["Q:", "A:"] * 2), ["Q", "A"] * 2, "Q"),
    (
        "upper_roles",
        build(["INTERVIEWER:", "PARTICIPANT:"] * 2),
        ["INTERVIEWER", "PARTICIPANT"] * 2,
        "INTERVIEWER",
    ),
    (
        "role_with_name",
        build(["Interviewer (Jane):", "Teacher (Luis):"] * 2),
        ["Interviewer (Jane)", "Teacher (Luis)"] * 2,
        "Interviewer (Jane)",
    ),
    ("i_r", build(["I:", "R:"] * 2), ["I", "R"] * 2, "I"),
    ("i_p1", build(["I:", "P1:"] * 2), ["I", "P1"] * 2, "I"),
    ("single_newlines", build(["I:", "R:"] * 2, " ", "\n"), ["I", "R"] * 2, "I"),
    (
        "own_line_colon",
        build(["Interviewer:", "Luis Ortega:"] * 2, "\n"),
        ["Interviewer", "Luis Ortega"] * 2,
        "Interviewer",
    ),
    (
        "own_line_bare_upper",
        build(["JANE DOE", "LUIS ORTEGA"] * 2, "\n"),
        ["JANE DOE", "LUIS ORTEGA"] * 2,
        "JANE DOE",
    ),
    (
        "rev_roles",
        build(["Interviewer (00:01:02):", "Participant (00:01:09):"] * 2, "\n"),
        ["Interviewer", "Participant"] * 2,
        "Interviewer",
    ),
    ("int_resp", build(["INT:", "RESP:"] * 2), ["INT", "RESP"] * 2, "INT"),
    (
        "speakers_numbered_asker",
        build(["Speaker 1:", "Speaker 2:"] * 2),
        ["Speaker 1", "Speaker 2"] * 2,
        "Speaker 1",
    ),
    (
        "participant_codes",
        build(["Interviewer:", "P01:"] * 2),
        ["Interviewer", "P01"] * 2,
        "Interviewer",
    ),
    (
        "otter_one_space_trailing",
        build(["Jane Doe 0:03  ", "Luis Ortega 0:10 "] * 2, "\n"),
        ["Jane Doe", "Luis Ortega"] * 2,
        "Jane Doe",
    ),
    (
        "markdown_bold",
        build(["**Interviewer:**", "**Luis:**"] * 2),
        ["Interviewer", "Luis"] * 2,
        "Interviewer",
    ),
    (
        "own_line_paren_ts",
        build(["Jane Doe (00:00:03)", "Luis Ortega (00:00:10)"] * 2, "\n"),
        ["Jane Doe", "Luis Ortega"] * 2,
        "Jane Doe",
    ),
    (
        "dash_ts_name",
        build(["00:01:02 - Jane:", "00:01:09 - Luis:"] * 2),
        ["Jane", "Luis"] * 2,
        "Jane",
    ),
    (
        "interviewer_named_upper",
        build(["INTERVIEWER (JANE):", "MR. ORTEGA:"] * 2),
        ["INTERVIEWER (JANE)", "MR. ORTEGA"] * 2,
        "INTERVIEWER (JANE)",
    ),
    (
        "rev_inline",
        build(["Speaker 1 (00:01:02):", "Speaker 2 (00:01:09):"] * 2),
        ["Speaker 1", "Speaker 2"] * 2,
        "Speaker 1",
    ),
    (
        "own_line_ts_first_plain",
        build(["00:00:03 Jane Doe", "00:00:10 Luis Ortega"] * 2, "\n"),
        ["Jane Doe", "Luis Ortega"] * 2,
        "Jane Doe",
    ),
    (
        "own_line_name_dash_ts",
        build(["Jane Doe - 00:00:03", "Luis Ortega - 00:00:10"] * 2, "\n"),
        ["Jane Doe", "Luis Ortega"] * 2,
        "Jane Doe",
    ),
    (
        "accented_hyphenated",
        build(["José Núñez:", "Anne-Marie O'Neil:"] * 2),
        ["José Núñez", "Anne-Marie O'Neil"] * 2,
        "José Núñez",
    ),
    (
        "hours_ts_ms",
        build(["[10:01:02.250] Jane:", "[10:01:09.900] Luis:"] * 2),
        ["Jane", "Luis"] * 2,
        "Jane",
    ),
    (
        "focus_group",
        "\n\n".join(
            f"{lab} {text}"
            for lab, text in zip(
                ["Moderator:", "Participant 1:", "Moderator:", "Participant 2:"], TURNS, strict=True
            )
        ),
        ["Moderator", "Participant 1", "Moderator", "Participant 2"],
        "Moderator",
    ),
    (
        "own_line_bare_upper_single_spaced",
        build(["JANE DOE", "LUIS ORTEGA"] * 2, "\n", "\n"),
        ["JANE DOE", "LUIS ORTEGA"] * 2,
        "JANE DOE",
    ),
    (
        "zoom_txt",
        "\n".join(
            f"[{who}] {ts}\n{text}\n"
            for who, ts, text in zip(
                ["Jane Doe", "Luis Ortega"] * 2,
                ["10:02:03", "10:02:11", "10:02:30", "10:02:41"],
                TURNS,
                strict=True,
            )
        ),
        ["Jane Doe", "Luis Ortega"] * 2,
        "Jane Doe",
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "speakers", "interviewer"), STYLES, ids=[s[0] for s in STYLES]
)
def test_label_style(
    tmp_path: Path, name: str, text: str, speakers: list[str], interviewer: str
) -> None:
    path = tmp_path / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    doc = read_document(path)
    turns = [u for u in doc.units if u.speaker]
    assert [u.speaker for u in turns] == speakers
    assert [doc.text[u.start : u.end] for u in turns] == TURNS
    found = infer_interviewers((u.speaker, doc.text[u.start : u.end]) for u in turns if u.speaker)
    assert found == {interviewer}


@pytest.mark.parametrize(
    ("header_a", "header_b", "speakers"),
    [
        ("Jane Doe   0:03", "Luis Ortega   0:10", ["Jane Doe", "Luis Ortega"]),
        ("Doe, Jane   0:00:03", "Ortega, Luis   0:00:10", ["Doe, Jane", "Ortega, Luis"]),
    ],
    ids=["name_first", "family_name_first"],
)
def test_teams_docx_transcript(
    tmp_path: Path, header_a: str, header_b: str, speakers: list[str]
) -> None:
    """Teams' .docx transcript: a paragraph ``Name   m:ss`` then the turn's paragraph."""
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for header, text in zip([header_a, header_b] * 2, TURNS, strict=True):
        document.add_paragraph(header)
        document.add_paragraph(text)
    path = tmp_path / "meeting.docx"
    document.save(str(path))
    doc = read_document(path)
    turns = [u for u in doc.units if u.speaker]
    assert [u.speaker for u in turns] == speakers * 2
    assert [doc.text[u.start : u.end] for u in turns] == TURNS
    assert [u.t_start for u in turns][:2] == [3.0, 10.0]


def test_title_case_lines_between_single_spaced_paragraphs_are_no_labels(tmp_path: Path) -> None:
    """Only capitals make a bare line a label without a blank line before it: a short
    title-case line inside running text stays text."""
    text = "\n".join(
        f"{lab}\n{t}" for lab, t in zip(["Jane Doe", "Luis Ortega"] * 2, TURNS, strict=True)
    )
    path = tmp_path / "notes.txt"
    path.write_text(text, encoding="utf-8")
    assert not [u for u in read_document(path).units if u.speaker]
