"""Speaker-label styles met in real transcripts beyond ``Name:``, and their false-positive guards.

Hearing and court records (``Mr. SMITH.``, ``The CHAIRMAN.``, ``Q.`` / ``A.``,
``THE WITNESS:``), line-numbered transcripts, chat logs with lower-case user
names, French typography (a no-break space before the colon), timestamps on
their own lines, and two-turn transcripts with role labels.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from themegrid.read import read_document
from themegrid.read.text import strip_line_numbers
from themegrid.segment.interviewer import infer_interviewers, is_interviewer
from themegrid.segment.labels import find_labels, find_turns

ANSWERS = [
    "How did the work start in your district?",
    "It started with a pilot in three schools, and then it grew.",
    "What helped most along the way?",
    "Honestly, the coaching. Having someone in the room made the difference.",
]


def inline(a: str, b: str, sep: str = "\n\n", answers: list[str] = ANSWERS) -> str:
    """Four alternating turns, labels written exactly as ``a`` and ``b``."""
    labels = [a, b, a, b]
    return sep.join(f"{lab} {text}" for lab, text in zip(labels, answers, strict=True))


def own_line(a: str, b: str) -> str:
    labels = [a, b, a, b]
    return "\n\n".join(f"{lab}\n{text}" for lab, text in zip(labels, ANSWERS, strict=True))


LOWER_ANSWERS = [
    "hi, how did the work start in your district?",
    "it started with a pilot in three schools",
    "what helped most?",
    "honestly the coaching",
]

STYLES = [
    (inline("Mr. SMITH.", "Dr. OKAFOR."), ["Mr. SMITH", "Dr. OKAFOR"]),
    (inline("The CHAIRMAN.", "Ms. GARCIA."), ["The CHAIRMAN", "Ms. GARCIA"]),
    (inline("Senator LEE.", "Chairman JONES."), ["Senator LEE", "Chairman JONES"]),
    (inline("MR. SMITH.", "THE CHAIRMAN."), ["MR. SMITH", "THE CHAIRMAN"]),
    (inline("Mr. John J. SMITH.", "Ms. Rosa ALVAREZ."), ["Mr. John J. SMITH", "Ms. Rosa ALVAREZ"]),
    (inline("    The Chairman.", "    Mr. Morelle.", sep="\n"), ["The Chairman", "Mr. Morelle"]),
    (inline("Q.", "A."), ["Q", "A"]),
    (inline("     Q.  ", "     A.  ", sep="\n"), ["Q", "A"]),
    (inline("MR. LEE:", "THE WITNESS:"), ["MR. LEE", "THE WITNESS"]),
    (inline("THE COURT:", "THE WITNESS:", sep="\n"), ["THE COURT", "THE WITNESS"]),
    (inline("amy_r:", "jdoe_teach:", "\n", LOWER_ANSWERS), ["amy_r", "jdoe_teach"]),
    (inline("m.lee2:", "kchen:", "\n", LOWER_ANSWERS), ["m.lee2", "kchen"]),
    (inline("Enquêteur\u00a0:", "Enquêtée\u00a0:"), ["Enquêteur", "Enquêtée"]),
    (inline("Enquêteur\u202f:", "Enquêtée :"), ["Enquêteur", "Enquêtée"]),
    (own_line("Speaker 1 (00:00:03):", "Speaker 2 (00:00:09):"), ["Speaker 1", "Speaker 2"]),
    (own_line("[00:00:03] Speaker 1", "[00:00:09] Speaker 2"), ["Speaker 1", "Speaker 2"]),
]


@pytest.mark.parametrize(("text", "speakers"), STYLES)
def test_label_styles(text: str, speakers: list[str]) -> None:
    turns = find_turns(text)
    assert turns is not None, "should read as a transcript"
    labelled = [u for u in turns if u.speaker]
    assert [u.speaker for u in labelled] == [speakers[0], speakers[1]] * 2
    answers = LOWER_ANSWERS if speakers[0].islower() else ANSWERS
    for unit, answer in zip(labelled, answers, strict=True):
        assert text[unit.start : unit.end] == answer


@pytest.mark.parametrize(
    "text",
    [
        "Interviewer: Go on.\nRespondent: Turnover among coaches was brutal.\n",
        "Q: Go on.\nA: Turnover among coaches was brutal.\n",
        "Moderator: Go on.\n\nParticipant 3: Turnover among coaches was brutal.",
        "Interviewer: Go on.\nInterviewee: Turnover among coaches was brutal.",
        "I: Go on.\nR: Turnover among coaches was brutal.",
    ],
)
def test_two_turns_with_role_labels(text: str) -> None:
    turns = find_turns(text)
    assert turns is not None
    assert [text[u.start : u.end] for u in turns] == [
        "Go on.",
        "Turnover among coaches was brutal.",
    ]
    assert is_interviewer(turns[0].speaker or "")
    assert not is_interviewer(turns[1].speaker or "")


@pytest.mark.parametrize(
    "text",
    [
        "Jane: Go on.\nBob: Turnover among coaches was brutal.",
        "Respondent: Turnover among coaches was brutal.\n\nA paragraph.\n\nAnother one.",
        "Interviewer: Go on.\nNotes: turnover among coaches was brutal.",
        "Question: why now?\n\nBecause the money arrived.\n\nAnd the law changed.",
    ],
)
def test_single_roles_or_names_once_are_not_a_transcript(text: str) -> None:
    assert find_turns(text) is None


PERIOD_FALSE_POSITIVES = [
    "Mr. Smith. That was the name on the letter.",
    "The Chairman. A title he kept for years.",
    "Senator Lee. Nobody else came close.",
    "A. Smith and B. Jones wrote the report.",
    "Q. Why does this matter? Because budgets are tight.",
    "General. The word meant little to them.",
    "Mr. Smith said the budget was fine.",
]


@pytest.mark.parametrize("line", PERIOD_FALSE_POSITIVES)
def test_full_stop_in_prose_is_not_a_speaker(line: str) -> None:
    document = f"Some opening paragraph of a report.\n\n{line}\n\nA closing paragraph.\n"
    assert find_labels(document) == []
    assert find_turns(document) is None


@pytest.mark.parametrize(
    "line",
    [
        *PERIOD_FALSE_POSITIVES,
        "Funding: that was the big one.",
        "Year 9: that is when it starts.",
        "Dr. Okafor: she ran the whole network.",
    ],
)
def test_full_stop_or_colon_inside_a_colon_transcript(line: str) -> None:
    text = f"Interviewer: Tell me more.\n\nRespondent: Well.\n\n{line}\n\nInterviewer: Thanks."
    turns = find_turns(text)
    assert turns is not None
    assert [u.speaker for u in turns] == ["Interviewer", "Respondent", "Interviewer"]
    assert line in text[turns[1].start : turns[1].end]


def test_outline_letters_are_not_q_and_a() -> None:
    text = "A. Introduction\n\nThe state began in 2018.\n\nB. Methods\n\nWe interviewed leaders."
    assert find_turns(text) is None


def test_one_off_member_in_a_hearing() -> None:
    text = inline("The CHAIRMAN.", "Dr. OKAFOR.") + "\n\nMs. GARCIA. One question, Doctor."
    turns = find_turns(text)
    assert turns is not None
    assert turns[-1].speaker == "Ms. GARCIA"
    assert text[turns[-1].start : turns[-1].end] == "One question, Doctor."


@pytest.mark.parametrize(
    "lines",
    [
        ["pros: cheap", "cons: slow", "pros: fast", "cons: risky"],
        ["however: it varies", "note: later", "however: not always", "note: again"],
        ["first: convene", "second: fund", "first: again", "second: review"],
    ],
)
def test_lower_case_list_words_are_not_chat_names(lines: list[str]) -> None:
    assert find_turns("\n".join(lines)) is None


def test_one_lower_case_name_is_not_enough() -> None:
    text = "\n".join(["amy_r: hi", "Some prose follows.", "amy_r: again", "More prose."])
    assert find_turns(text) is None


def test_timestamp_line_starts_the_next_turn() -> None:
    parts = []
    for i, (label, answer) in enumerate(zip(["Interviewer", "Teacher"] * 2, ANSWERS, strict=True)):
        parts += [f"[00:0{i}:15]", f"{label}: {answer}"]
    text = "\n\n".join(parts)
    turns = find_turns(text)
    assert turns is not None
    assert [u.speaker for u in turns] == ["Interviewer", "Teacher"] * 2
    assert [text[u.start : u.end] for u in turns] == ANSWERS
    assert [u.t_start for u in turns] == [i * 60 + 15 for i in range(4)]


def test_timestamp_on_the_label_wins_over_the_line_before() -> None:
    text = "[00:00:05]\n\n[00:00:07] Ann Lee: Hello.\n\n[00:00:09] Bo Park: Hi there."
    turns = find_turns(text)
    assert turns is not None
    assert [u.t_start for u in turns] == [7, 9]


def test_one_turn_speaker_does_not_hide_the_interviewer() -> None:
    turns = [
        ("Maria Lopez", "Can you tell me about your school?"),
        ("Tom Becker", "Sure. It is small."),
        ("Maria Lopez", "How did it start?"),
        ("Tom Becker", "With a summer institute."),
        ("Unknown Speaker", "Is this the room for the 2 o'clock?"),
        ("Maria Lopez", "We are using it until 2:30, sorry."),
        ("Maria Lopez", "Did the guide help?"),
        ("Tom Becker", "It did."),
    ]
    assert infer_interviewers(turns) == {"Maria Lopez"}


def numbered(lines: list[str], restart_every: int = 0) -> str:
    out = []
    for i, line in enumerate(lines):
        n = i % restart_every + 1 if restart_every else i + 1
        out.append(f"{n:>3}  {line}".rstrip())
    return "\n".join(out) + "\n"


ORAL_HISTORY = [
    "Interview with a retired teacher, County Oral History Project",
    "",
    "I: So you started teaching in the county in what year?",
    "R: Nineteen eighty-eight. I had a class of thirty-four and a",
    "   chalkboard that did not erase properly.",
    "I: And when did you first hear the phrase competency-based?",
    "R: Much later. Before that we called it mastery.",
    "I: Tell me about the vocational wing.",
    "R: Welding, nursing, auto. They graded on what you could do.",
]

DEPOSITION = [
    "BY MS. HARTMAN:",
    "     Q.  Could you state your position with the",
    "district for the record?",
    "     A.  I am the director of curriculum.",
    "     Q.  Since when?",
    "     MR. LEE:  Objection. Form.",
    "     A.  Since July of 2017.",
    "     Q.  Were you involved in the decision?",
    "     THE WITNESS:  Can I add something?",
    "     A.  I drafted the plan. The board decided.",
]


def test_line_numbered_oral_history(tmp_path: Path) -> None:
    path = tmp_path / "oral_history.txt"
    path.write_text(numbered(ORAL_HISTORY), encoding="utf-8")
    doc = read_document(path)
    assert doc.kind == "interview"
    speakers = [u.speaker for u in doc.units if u.speaker]
    assert speakers == ["I", "R"] * 3
    second = doc.text[doc.units[2].start : doc.units[2].end]
    assert (
        second
        == "Nineteen eighty-eight. I had a class of thirty-four and a\nchalkboard that did not erase properly."
    )
    assert any("line numbers" in n for n in doc.repair_notes)


def test_line_numbered_deposition_restarting_each_page(tmp_path: Path) -> None:
    path = tmp_path / "deposition.txt"
    path.write_text(numbered(DEPOSITION, restart_every=6), encoding="utf-8")
    doc = read_document(path)
    assert doc.kind == "interview"
    expected = ["Q", "A", "Q", "MR. LEE", "A", "Q", "THE WITNESS", "A"]
    assert [u.speaker for u in doc.units if u.speaker] == expected
    first_q = next(u for u in doc.units if u.speaker == "Q")
    assert doc.text[first_q.start : first_q.end] == (
        "Could you state your position with the\ndistrict for the record?"
    )


@pytest.mark.parametrize(
    "text",
    [
        "1 Introduction\n2 Background\n3 Findings\n4 Conclusion\n",
        "2019 was the first year.\n2020 was harder.\n2021 brought money.\n2022 the law.\n",
        "Line one of prose.\nLine two of prose.\nLine three.\nLine four.\n",
    ],
)
def test_numbered_non_transcripts_keep_their_numbers(text: str, tmp_path: Path) -> None:
    path = tmp_path / "doc.txt"
    path.write_text(text, encoding="utf-8")
    doc = read_document(path)
    assert doc.kind == "document"
    assert doc.text == text.rstrip("\n") or doc.text == text
    assert not any("line numbers" in n for n in doc.repair_notes)


def test_strip_line_numbers_needs_counting_numbers() -> None:
    assert strip_line_numbers("5 a\n17 b\n3 c\n99 d\n42 e\n") is None
    plain = strip_line_numbers(numbered(["I: Hello?", "R: Hi.", "I: Well?", "R: Fine."]))
    assert plain is not None
    assert plain[0].split("\n")[:2] == ["I: Hello?", "R: Hi."]
    assert plain[1] == 4


def test_family_name_first_with_timestamp() -> None:
    text = own_line("Nguyen, Linh   0:00:03", "Okoro, David   0:00:21")
    turns = find_turns(text)
    assert turns is not None
    assert [u.speaker for u in turns] == ["Nguyen, Linh", "Okoro, David"] * 2
    assert [u.t_start for u in turns][:2] == [3, 21]


def test_family_name_first_without_timestamp_is_not_a_label() -> None:
    text = "\n\n".join(["Smith, Jane", "A reference.", "Doe, John", "Another one.", "Smith, Jane"])
    assert find_turns(text) is None


def test_first_turn_by_a_facilitator_is_not_a_header(tmp_path: Path) -> None:
    path = tmp_path / "fg.txt"
    path.write_text(
        "FACILITATOR: Okay, let's start. What does a good day look like?\n\n"
        "P1: Kids working on different things.\n\nFACILITATOR: Does everyone agree?\n\n"
        "P2: Mostly.\n",
        encoding="utf-8",
    )
    doc = read_document(path)
    assert doc.header_attributes == {}
    assert [u.speaker for u in doc.units] == ["FACILITATOR", "P1", "FACILITATOR", "P2"]


def test_header_with_a_facilitator_line_is_still_a_header(tmp_path: Path) -> None:
    path = tmp_path / "fg.txt"
    path.write_text(
        "Facilitator: Dr K. Mensah\nDate: 2022-03-01\nSite: Lakeview\n\n"
        "Moderator: What does a good day look like?\n\nP1: Kids working.\n\n"
        "Moderator: And?\n\nP1: Mostly fine.\n",
        encoding="utf-8",
    )
    doc = read_document(path)
    assert doc.header_attributes["facilitator"] == "Dr K. Mensah"
    assert [u.speaker for u in doc.units] == ["Moderator", "P1"] * 2
