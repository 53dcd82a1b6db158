"""An answer a transcriber left without its label, inside the interviewer's turn, is cut
out as the respondent's turn (so it is coded), with a warning naming its line; an
interviewer's own several paragraphs stay theirs."""

from __future__ import annotations

from pathlib import Path

from conftest import write_project
from themegrid.pipeline.ingest import ingest
from themegrid.read import read_document
from themegrid.segment.interviewer import UNLABELLED, split_answers
from themegrid.segment.labels import find_turns
from themegrid.store.connection import Store

ANSWER = "We look at the graphs first and then we try to explain the feature in a few words."
TRANSCRIPT = f"""Interviewer: How did the pilot start?

Maria: With three schools and a small grant from the state.

Interviewer: And what do you do with the results?

{ANSWER}

Interviewer: Sorry, go ahead.

{" ".join([ANSWER] * 3)}

Interviewer: Thank you. That was my last question.

Maria: You are welcome.
"""


def turns(text: str) -> list[tuple[str | None, str]]:
    units = find_turns(text)
    assert units is not None
    cut, _ = split_answers(text, units)
    return [(u.speaker, text[u.start : u.end]) for u in cut]


def test_unlabelled_answers_after_a_question_or_a_handover_are_the_respondents() -> None:
    got = turns(TRANSCRIPT)
    assert ("Maria", ANSWER) in got
    assert ("Interviewer", "And what do you do with the results?") in got
    assert ("Interviewer", "Sorry, go ahead.") in got
    assert ("Maria", " ".join([ANSWER] * 3)) in got
    assert ("Interviewer", "Thank you. That was my last question.") in got  # one paragraph


def test_an_interviewers_own_paragraphs_stay_theirs() -> None:
    text = (
        "Interviewer: Thanks for joining. We will talk about the pilot.\n\n"
        "First, how did it start?\n\nAna: With a grant.\n\n"
        "Interviewer: Who led it?\n\nAnd who paid for it?\n\nAna: The district.\n\n"
        "Interviewer: Okay.\n\nAna: Yes.\n"
    )
    got = turns(text)
    assert [s for s, _ in got] == ["Interviewer", "Ana", "Interviewer", "Ana", "Interviewer", "Ana"]


def test_with_several_respondents_the_answer_has_no_name() -> None:
    text = (
        "Moderator: What helped most?\n\nThe coaching, honestly, it changed how we plan.\n\n"
        "P1: I agree with that.\n\nP2: For us it was the time to meet.\n\n"
        "Moderator: Anything else?\n\nP1: No.\n"
    )
    got = turns(text)
    assert (UNLABELLED, "The coaching, honestly, it changed how we plan.") in got


def test_the_cut_answer_is_coded_and_the_reader_warns(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study", {"maria.txt": TRANSCRIPT}, "file\nmaria.txt\n")
    doc = read_document(project.corpus_dir / "maria.txt")
    assert any("2 unlabelled paragraph(s)" in w and "line(s) 7, 11" in w for w in doc.warnings)
    with Store(project.store_path) as store:
        ingest(project, store)
        rows = store.query("SELECT speaker, codable FROM segments WHERE text = ?", (ANSWER,))
    assert [tuple(r) for r in rows] == [("Maria", 1)]
