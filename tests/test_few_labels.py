"""A text with a paragraph a line (Word's "Save as plain text": no blank lines) is a
transcript only when speaker labels start enough of its paragraphs, not because its one
blank-line block starts with a label. Otherwise a few ``MODERATOR:`` lines swallow the
participants' words into the moderator's (uncoded) turns."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from themegrid.read import read_document
from themegrid.segment.labels import find_turns

ANSWER_LINES = [
    "We started with three schools in the first year.",
    "The teachers were unsure at first, and the parents asked a lot of questions.",
    "By the second year the district had hired two coaches.",
    "Funding came from a state grant that ended in 2021.",
    "Now the schools pay for it out of their own budgets.",
    "The biggest problem is still the time it takes to assess students.",
]


def word_saved_focus_group(questions: int = 4) -> str:
    """Moderator questions labelled, participants' answers one unlabelled paragraph a line."""
    lines: list[str] = []
    for q in range(questions):
        lines.append(f"MODERATOR: What happened in year {q + 1}?")
        lines.extend(ANSWER_LINES)
    return "\r\n".join(lines) + "\r\n"


def test_few_labels_in_a_paragraph_a_line_text_are_not_turns() -> None:
    text = word_saved_focus_group().replace("\r\n", "\n")
    assert find_turns(text) is None


def test_every_answer_line_is_its_own_segment_when_read(tmp_path: Path) -> None:
    path = tmp_path / "focus_group.txt"
    path.write_bytes(word_saved_focus_group().encode())
    doc = read_document(path)
    assert doc.kind == "document"
    assert all(u.speaker is None for u in doc.units)
    assert len(doc.units) == 4 * (1 + len(ANSWER_LINES))
    assert any("few of its paragraphs" in w for w in doc.warnings), doc.warnings


def test_labelled_paragraph_a_line_transcript_is_still_turns() -> None:
    turns = [
        f"{'Interviewer' if i % 2 == 0 else 'Teacher'}: {a}" for i, a in enumerate(ANSWER_LINES)
    ]
    units = find_turns("\n".join(turns))
    assert units is not None
    assert [u.speaker for u in units] == ["Interviewer", "Teacher"] * 3


def test_hard_wrapped_transcript_without_blank_lines_is_still_turns() -> None:
    """Long turns wrapped at 60 columns: their lines end mid-sentence, so a turn is one
    paragraph however many lines it has."""
    answer = " ".join(ANSWER_LINES * 2)
    turns = []
    for i in range(6):
        label = "Interviewer" if i % 2 == 0 else "Teacher"
        body = "Could you say more about that?" if i % 2 == 0 else answer
        turns.append("\n".join(textwrap.wrap(f"{label}: {body}", 60)))
    text = "\n".join(turns)
    units = find_turns(text)
    assert units is not None
    assert [u.speaker for u in units] == ["Interviewer", "Teacher"] * 3
    assert text[units[1].start : units[1].end].split() == answer.split()


def test_labels_on_their_own_lines_without_blank_lines_are_turns() -> None:
    lines = []
    for i, a in enumerate(ANSWER_LINES):
        lines.append(f"Jane Doe  0:0{i}" if i % 2 else f"Interviewer  0:0{i}")
        lines.append(a)
    units = find_turns("\n".join(lines))
    assert units is not None
    assert len(units) == len(ANSWER_LINES)


SERDIF = Path("../shared/devdata/serdif_usability_taguette/data/transcripts/raw")


@pytest.mark.skipif(not SERDIF.is_dir(), reason=f"{SERDIF} (the shared real data) is not here")
def test_real_sessions_saved_as_plain_text_keep_the_participants_words(tmp_path: Path) -> None:
    """The SERDIF usability sessions label a handful of task prompts and moderator lines;
    saved as plain text (a paragraph a line) they must read as they do from the .odt."""
    swallowed = []
    for odt in sorted(SERDIF.glob("*.odt"))[:6]:
        original = read_document(odt)
        paragraphs = [" ".join(original.text[u.start : u.end].split()) for u in original.units]
        txt = tmp_path / f"{odt.stem}.txt"
        txt.write_text("\r\n".join(paragraphs) + "\r\n", encoding="utf-8")
        again = read_document(txt)
        if again.kind != original.kind or len(again.units) != len(original.units):
            swallowed.append(
                (odt.name, original.kind, len(original.units), again.kind, len(again.units))
            )
    assert not swallowed
