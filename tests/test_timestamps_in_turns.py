"""Transcription-software timestamps inside the text: f4/f5transkript's ``#00:01:23-4#`` at the
end of each turn, and ``[00:01:23]`` / ``(00:01:23)`` / ``00:01:23`` / ``#00:01:23#`` at its start.

A closing timestamp becomes the turn's ``t_end`` (and the next turn's ``t_start``) and is
left out of the turn's span, so it is not tagged or quoted; the document text is never
edited, so every segment is still an exact slice of the stored text. f4's speaker labels
(``I:``, ``B:``, ``B1:``, ``IP:``, ``Interviewer:``, ``Befragte/r:``) are found and the
interviewer is inferred from them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from themegrid.models import RawDocument
from themegrid.read import read_document
from themegrid.segment.interviewer import infer_interviewers
from themegrid.segment.labels import parse_timestamp

WORDS = [
    "Wie sind Sie zu dem Projekt gekommen?",
    "Das war eher Zufall, über eine Kollegin aus der Schule.",
    "Und wie ging es dann weiter?",
    "Wir haben mit zwei Klassen angefangen.",
]
TIMES = ["00:00:05-2", "00:00:35-8", "00:00:40-1", "00:01:02-0"]
SECONDS = [5.2, 35.8, 40.1, 62.0]


def f4_text(labels: list[str], stamp: str = "#{}#", times: list[str] = TIMES) -> str:
    return "\n\n".join(
        f"{label}: {words} {stamp.format(t)}"
        for label, words, t in zip(labels, WORDS, times, strict=True)
    )


def read(tmp_path: Path, text: str, name: str = "t.txt") -> RawDocument:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_document(path)


def turns(doc: RawDocument) -> list[tuple[str | None, str]]:
    return [(u.speaker, doc.text[u.start : u.end]) for u in doc.units]


@pytest.mark.parametrize(
    ("labels", "interviewer"),
    [
        (["I", "B", "I", "B"], "I"),
        (["I", "B1", "I", "B2"], "I"),
        (["I", "IP", "I", "IP"], "I"),  # IP: Interviewpartner/in, the interviewee
        (["Interviewer", "Befragte/r", "Interviewer", "Befragte/r"], "Interviewer"),
        (["Interviewer/in", "Befragter", "Interviewer/in", "Befragter"], "Interviewer/in"),
    ],
)
def test_f4_turns_end_with_their_time(tmp_path: Path, labels: list[str], interviewer: str) -> None:
    doc = read(tmp_path, f4_text(labels))
    assert doc.kind == "interview"
    assert turns(doc) == list(zip(labels, WORDS, strict=True))
    assert [u.t_end for u in doc.units] == SECONDS
    assert [u.t_start for u in doc.units] == [None, *SECONDS[:-1]]
    assert infer_interviewers(turns(doc)) == {interviewer}
    assert "#00:00:35-8#" in doc.text  # the stored text keeps it, outside the segment


def test_f4_without_tenths(tmp_path: Path) -> None:
    doc = read(
        tmp_path,
        f4_text(["I", "B", "I", "B"], times=["00:00:05", "00:00:35", "00:00:40", "00:01:02"]),
    )
    assert [u.t_end for u in doc.units] == [5.0, 35.0, 40.0, 62.0]
    assert turns(doc)[1] == ("B", WORDS[1])


@pytest.mark.parametrize("stamp", ["[{}]", "({})", "{} ", "#{}#"])
def test_timestamp_at_the_start_of_a_turn(tmp_path: Path, stamp: str) -> None:
    times = ["00:00:01", "00:00:05", "00:00:40", "00:01:02"]
    text = "\n\n".join(
        f"{stamp.format(t).strip()} {label}: {words}"
        for t, label, words in zip(times, ["I", "B", "I", "B"], WORDS, strict=True)
    )
    doc = read(tmp_path, text)
    assert turns(doc) == list(zip(["I", "B", "I", "B"], WORDS, strict=True))
    assert [u.t_start for u in doc.units] == [1.0, 5.0, 40.0, 62.0]


@pytest.mark.parametrize("stamp", ["[{}]", "({})"])
def test_bracketed_closing_times_count_when_turns_end_so(tmp_path: Path, stamp: str) -> None:
    times = ["00:00:05", "00:00:35", "00:00:40", "00:01:02"]
    doc = read(tmp_path, f4_text(["I", "B", "I", "B"], stamp, times))
    assert turns(doc) == list(zip(["I", "B", "I", "B"], WORDS, strict=True))
    assert [u.t_end for u in doc.units] == [5.0, 35.0, 40.0, 62.0]


def test_one_bracketed_time_at_a_turn_end_is_speech(tmp_path: Path) -> None:
    text = (
        "I: When did the meeting start?\n\nB: It started at (10:30)\n\n"
        "I: And who came?\n\nB: Everyone from the district office."
    )
    doc = read(tmp_path, text)
    assert turns(doc)[1] == ("B", "It started at (10:30)")
    assert all(u.t_end is None for u in doc.units)


def test_times_inside_a_turn_stay_in_its_text(tmp_path: Path) -> None:
    text = (
        "I: Wie fing es an? #00:00:05-2#\n\n"
        "B: Mit zwei Klassen. #00:00:20-0#\n\nDann kamen mehr dazu. #00:00:35-8#\n\n"
        "I: Und dann? #00:00:40-1#\n\nB: Es wuchs. #00:01:02-0#"
    )
    doc = read(tmp_path, text)
    assert turns(doc)[1] == ("B", "Mit zwei Klassen. #00:00:20-0#\n\nDann kamen mehr dazu.")
    assert doc.units[1].t_end == 35.8


def test_a_turn_that_is_only_a_time_has_no_segment(tmp_path: Path) -> None:
    text = f4_text(["I", "B", "I", "B"]) + "\n\nI: #00:01:10-0#\n\nB: Gut. #00:01:15-5#"
    doc = read(tmp_path, text)
    assert turns(doc)[-2:] == [("B", WORDS[3]), ("B", "Gut.")]
    assert doc.units[-1].t_start == 70.0  # the empty turn's time still starts the next


def test_paragraphs_without_speakers_end_with_their_time(tmp_path: Path) -> None:
    text = "\n\n".join(f"{w} #{t}#" for w, t in zip(WORDS, TIMES, strict=True))
    doc = read(tmp_path, text)
    assert doc.kind == "document"
    assert [doc.text[u.start : u.end] for u in doc.units] == WORDS
    assert [u.t_end for u in doc.units] == SECONDS


def test_f4_rtf_reads_as_the_text_file(tmp_path: Path) -> None:
    labels = ["I", "B", "I", "B"]
    body = "".join(
        f"\\pard {lab}: {w.replace('ü', chr(92) + 'u252?')} #{t}#\\par\\pard\\par\n"
        for lab, w, t in zip(labels, WORDS, TIMES, strict=True)
    )
    rtf = tmp_path / "f4.rtf"
    rtf.write_bytes(
        (
            "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fcharset0 Arial;}}" + body + "}"
        ).encode()
    )
    doc = read_document(rtf)
    assert turns(doc) == list(zip(labels, WORDS, strict=True))
    assert [u.t_end for u in doc.units] == SECONDS


def test_segments_carry_the_times_and_quote_the_stored_text(tmp_path: Path) -> None:
    from themegrid.segment.units import segment_document
    from themegrid.tag.nlp import shared_nlp

    doc = read(tmp_path, f4_text(["I", "B", "I", "B"]))
    segments = segment_document(doc, shared_nlp())
    assert [(s.text, s.t_start, s.t_end) for s in segments] == [
        (w, start, end) for w, start, end in zip(WORDS, [None, *SECONDS[:-1]], SECONDS, strict=True)
    ]
    assert all(doc.text[s.start : s.end] == s.text for s in segments)
    assert [s.is_interviewer for s in segments] == [True, False, True, False]


def test_parse_f4_timestamps() -> None:
    assert parse_timestamp("#00:01:23-4#") == pytest.approx(83.4)
    assert parse_timestamp("#01:00:00#") == 3600.0
    assert parse_timestamp("00:01:23-4") == 83.0  # without the closing '#', '-4' is not tenths


def test_ingest_of_an_f4_rtf_stores_times_and_exact_slices(tmp_path: Path) -> None:
    from conftest import write_project
    from themegrid import api
    from themegrid.store.documents import document_by_path
    from themegrid.store.views import segments_table

    labels = ["I", "B", "I", "B"]
    body = "".join(
        f"\\pard {lab}: {w.replace('ü', chr(92) + 'u252?')} #{t}#\\par\n"
        for lab, w, t in zip(labels, WORDS, TIMES, strict=True)
    )
    project = write_project(tmp_path / "study", files={})
    (project.corpus_dir / "f4.rtf").write_text("{\\rtf1\\ansi\\ansicpg1252 " + body + "}")
    summary = api.ingest(project)
    assert summary.paths("added") == ["f4.rtf"]
    with project.open_store() as store:
        table = segments_table(store)
        stored = document_by_path(store, "f4.rtf")
    assert stored is not None
    assert list(table["text"]) == WORDS
    assert list(table["t_end"]) == SECONDS
    assert list(table["is_interviewer"].astype(bool)) == [True, False, True, False]
    for start, end, text in zip(table["start"], table["end"], table["text"], strict=True):
        assert stored.text[start:end] == text  # what is quoted is the stored text
    assert "#00:00:35-8#" in stored.text


def test_word_bold_labels_with_f4_times(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx", reason="python-docx (the 'docx' extra) is not installed")
    document = docx.Document()
    labels = ["Interviewerin", "Frau Weber", "Interviewerin", "Frau Weber"]
    for label, words, t in zip(labels, WORDS, TIMES, strict=True):
        document.add_paragraph().add_run(label).bold = True  # the name alone, in bold
        document.add_paragraph(f"{words} #{t}#")
    path = tmp_path / "f4.docx"
    document.save(str(path))
    doc = read_document(path)
    assert turns(doc) == list(zip(labels, WORDS, strict=True))
    assert [u.t_end for u in doc.units] == SECONDS


@pytest.mark.parametrize("between", ["\n", "\n\n"])
@pytest.mark.parametrize("stamp", ["[{}]", "({})", "{}", "#{}#"])
def test_speakerless_lines_that_start_with_a_time(tmp_path: Path, stamp: str, between: str) -> None:
    times = ["00:00:12", "00:00:30", "00:01:02", "00:01:40"]
    text = "Recording 3, classroom B\n\n" + between.join(
        f"{stamp.format(t)} {w}" for t, w in zip(times, WORDS, strict=True)
    )
    doc = read(tmp_path, text)
    assert doc.kind == "document"
    assert [doc.text[u.start : u.end] for u in doc.units] == ["Recording 3, classroom B", *WORDS]
    assert [u.t_start for u in doc.units] == [None, 12.0, 30.0, 62.0, 100.0]


def test_times_opening_a_few_paragraphs_are_speech(tmp_path: Path) -> None:
    text = (
        "10:30 was when the bus came.\n\nWe waited for an hour.\n\n11:15 it finally left."
        "\n\nThen we went home.\n\nNobody spoke on the way.\n\nThat was all."
    )
    doc = read(tmp_path, text)
    assert doc.text[doc.units[0].start : doc.units[0].end] == "10:30 was when the bus came."
    assert all(u.t_start is None for u in doc.units)
