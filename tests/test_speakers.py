"""Speaker-label detection in plain-text transcripts."""

from __future__ import annotations

import pytest

from themegrid.segment.interviewer import infer_interviewers, is_interviewer
from themegrid.segment.labels import find_labels, find_turns, normalise_speaker, parse_timestamp

ANSWERS = [
    "How did the work start in your district?",
    "It started with a pilot in three schools, and then it grew.",
    "What helped most along the way?",
    "Honestly, the coaching. Having someone in the room made the difference.",
]


def inline(a: str, b: str, sep: str = "\n\n") -> str:
    """Four alternating turns, labels written exactly as ``a`` and ``b``."""
    labels = [a, b, a, b]
    return sep.join(f"{lab} {text}" for lab, text in zip(labels, ANSWERS, strict=True))


def own_line(a: str, b: str) -> str:
    labels = [a, b, a, b]
    return "\n\n".join(f"{lab}\n{text}" for lab, text in zip(labels, ANSWERS, strict=True))


STYLES = [
    (inline("Interviewer:", "Respondent:"), ["Interviewer", "Respondent"]),
    (inline("Interviewer 1:", "Participant 2:"), ["Interviewer 1", "Participant 2"]),
    (inline("INTERVIEWER1 :", "RESPONDENT :"), ["INTERVIEWER1", "RESPONDENT"]),
    (inline("Interviewer:", "Interviewee:"), ["Interviewer", "Interviewee"]),
    (inline("Q:", "A:"), ["Q", "A"]),
    (inline("I:", "R:"), ["I", "R"]),
    (inline("I:", "R:", sep="\n"), ["I", "R"]),
    (inline("R1:", "P3:"), ["R1", "P3"]),
    (inline("Dr. Smith:", "Jane Doe:"), ["Dr. Smith", "Jane Doe"]),
    (inline("Moderator:", "Participant 2:"), ["Moderator", "Participant 2"]),
    (inline("Facilitator:", "Speaker 1:"), ["Facilitator", "Speaker 1"]),
    (inline(">> CHAIR JONES:", ">> MS. RIVERA:"), ["CHAIR JONES", "MS. RIVERA"]),  # captions
    (inline("Speaker 1:", "Speaker 2:", sep="\n"), ["Speaker 1", "Speaker 2"]),
    (inline("[00:01:02] Ann Lee:", "[00:01:30] Bo Park:"), ["Ann Lee", "Bo Park"]),
    (inline("(00:01:02) Ann Lee:", "(00:01:30) Bo Park:"), ["Ann Lee", "Bo Park"]),
    (inline("00:01:02 Ann Lee:", "00:01:30 Bo Park:"), ["Ann Lee", "Bo Park"]),
    (inline("Ann Lee (00:01:02):", "Bo Park (00:01:30):"), ["Ann Lee", "Bo Park"]),
    (inline("Ann Lee [00:01:02]:", "Bo Park [00:01:30]:"), ["Ann Lee", "Bo Park"]),
    (own_line("Jane Doe  0:03", "Sam Roe  0:15"), ["Jane Doe", "Sam Roe"]),
    (own_line("JANE DOE", "SAM ROE"), ["JANE DOE", "SAM ROE"]),
    (own_line("Jane Doe:", "Sam Roe:"), ["Jane Doe", "Sam Roe"]),
    (own_line("Speaker 1 (00:00:05)", "Speaker 2 (00:00:12)"), ["Speaker 1", "Speaker 2"]),
    (own_line("00:00:05 Speaker 1", "00:00:12 Speaker 2"), ["Speaker 1", "Speaker 2"]),
    (inline("**Interviewer:**", "**Ms. Ortiz:**"), ["Interviewer", "Ms. Ortiz"]),
    (inline("**Jane**:", "**Omar**:"), ["Jane", "Omar"]),
    (inline("Jane Doe (Interviewer):", "Omar Said (Teacher):"), ["Jane Doe (Interviewer)"]),
    (inline("Int:", "Resp:"), ["Int", "Resp"]),
    (inline("Entrevistador:", "Entrevistada:"), ["Entrevistador", "Entrevistada"]),
    (inline("Enquêteur :", "Enquêtée :"), ["Enquêteur", "Enquêtée"]),
    (inline("采访者：", "受访者："), ["采访者", "受访者"]),
    (inline("Rep. Lindqvist:", "Dr. Okafor:"), ["Rep. Lindqvist", "Dr. Okafor"]),
    (inline("Interviewer\t", "Respondent\t"), ["Interviewer", "Respondent"]),
    (inline("Interviewer -", "Respondent -", sep="\n"), ["Interviewer", "Respondent"]),
    (own_line("[Jane Doe] 10:02:33", "[Bob Smith] 10:02:40"), ["Jane Doe", "Bob Smith"]),
    (inline("Interviewer (IV):", "Respondent 1 (R1):"), ["Interviewer (IV)", "Respondent 1 (R1)"]),
]


@pytest.mark.parametrize(("text", "speakers"), STYLES)
def test_label_styles(text: str, speakers: list[str]) -> None:
    turns = find_turns(text)
    assert turns is not None, "should read as a transcript"
    labelled = [u for u in turns if u.speaker]
    assert len(labelled) == 4
    assert labelled[0].speaker == speakers[0]
    if len(speakers) > 1:
        assert labelled[1].speaker == speakers[1]
    for unit, answer in zip(labelled, ANSWERS, strict=True):
        assert text[unit.start : unit.end] == answer


def test_timestamps_go_to_t_start() -> None:
    turns = find_turns(inline("[00:01:02] Ann Lee:", "[01:00:30.5] Bo Park:"))
    assert turns is not None
    assert [u.t_start for u in turns] == [62.0, 3630.5, 62.0, 3630.5]


def test_otter_minutes_seconds() -> None:
    turns = find_turns(own_line("Jane Doe  0:03", "Sam Roe  1:15"))
    assert turns is not None
    assert [u.t_start for u in turns][:2] == [3.0, 75.0]


def test_preamble_before_first_label_is_kept_without_speaker() -> None:
    text = "Interview with a principal, March 2022.\n\n" + inline("Interviewer:", "Principal:")
    turns = find_turns(text)
    assert turns is not None
    assert turns[0].speaker is None
    assert text[turns[0].start : turns[0].end] == "Interview with a principal, March 2022."


def test_one_off_speaker_between_established_ones() -> None:
    text = inline("Interviewer:", "Jane:") + "\n\nBob: I would add one thing.\n\nJane: Yes."
    turns = find_turns(text)
    assert turns is not None
    assert [u.speaker for u in turns][-2:] == ["Bob", "Jane"]


def test_multi_paragraph_turns_stay_one_turn() -> None:
    long_answer = "First part of my answer.\n\nSecond part.\n\nThird part."
    text = "\n\n".join(
        [f"Interviewer: Question {i}?\n\nRespondent: {long_answer}" for i in range(3)]
    )
    turns = find_turns(text)
    assert turns is not None
    assert len(turns) == 6
    assert text[turns[1].start : turns[1].end] == long_answer


FALSE_POSITIVES = [
    "There are three reasons: time, money, trust.",
    "Note: the pilot ended in June.",
    "Example: a district that starts with two schools.",
    "Step 1: convene the task force.",
    "We met at 10:30 and talked until noon.",
    "See https://example.org/report for details.",
    "The answer was simple: let teachers decide.",
    "Topics: Education Policy, ESSA",
    "KEY TAKEAWAYS:",
    "State partnerships: a brief overview of the efforts in partner states",
    "Ratio 3:1 of students to devices.",
    "Summary: the state set the vision and the districts did the rest.",
    "What we learned: start small, then grow.",
    "Warning: results are preliminary.",
    "Recommendation 1: fund the networks.",
]


@pytest.mark.parametrize("line", FALSE_POSITIVES)
def test_colon_in_speech_is_not_a_speaker(line: str) -> None:
    document = f"Some opening paragraph of a report.\n\n{line}\n\nA closing paragraph.\n"
    assert find_labels(document) == []
    assert find_turns(document) is None


@pytest.mark.parametrize("line", FALSE_POSITIVES)
def test_colon_in_speech_inside_a_turn(line: str) -> None:
    text = f"Interviewer: Tell me more.\n\nRespondent: Well.\n{line}\n\nInterviewer: Thanks."
    turns = find_turns(text)
    assert turns is not None
    assert [u.speaker for u in turns] == ["Interviewer", "Respondent", "Interviewer"]
    assert line in text[turns[1].start : turns[1].end]


def test_policy_document_with_headings_is_not_a_transcript() -> None:
    text = "\n\n".join(
        [
            "Introduction",
            "States have moved quickly. Here is why: pressure from districts.",
            "Findings",
            "Arizona: the state funded pilots.",
            "Nevada: the legislature created a task force.",
            "Conclusion",
            "All four states made progress.",
        ]
    )
    assert find_turns(text) is None


@pytest.mark.parametrize(
    "label",
    [
        "Interviewer",
        "Int",
        "I",
        "Q",
        "Moderator",
        "Facilitator",
        "Researcher",
        "Interviewer 2",
        "INTERVIEWER1",
        "Jane Doe (Interviewer)",
        "Entrevistador",
        "采访者",
    ],
)
def test_is_interviewer(label: str) -> None:
    assert is_interviewer(label)


@pytest.mark.parametrize(
    "label", ["Interviewee", "Respondent", "R", "A", "P3", "Participant 2", "Jane Doe", "Dr. Int"]
)
def test_is_not_interviewer(label: str) -> None:
    assert not is_interviewer(label)


def test_is_interviewer_with_metadata_labels() -> None:
    assert is_interviewer("Dr. Raman", ["dr. raman"])
    assert not is_interviewer("Mr. Elwood", ["Dr. Raman"])


def test_infer_interviewer_from_questions() -> None:
    turns = [
        ("Jane Doe", "How did it start?"),
        ("Sam Roe", "With a pilot."),
        ("Jane Doe", "And then?"),
        ("Sam Roe", "It grew. Why do you ask?"),
        ("Jane Doe", "Who paid for it?"),
        ("Sam Roe", "The state did."),
    ]
    assert infer_interviewers(turns) == {"Jane Doe"}
    assert infer_interviewers([("Interviewer", "Hi."), ("Jane", "Why?")]) == {"Interviewer"}


def test_normalise_speaker() -> None:
    assert normalise_speaker("INTERVIEWER 1") == normalise_speaker("Interviewer1")
    assert normalise_speaker("**Jane Doe:**") == normalise_speaker("jane doe")
    assert normalise_speaker("Speaker 1") != normalise_speaker("Speaker 2")


def test_parse_timestamp() -> None:
    assert parse_timestamp("00:01:02") == 62
    assert parse_timestamp("1:02") == 62
    assert parse_timestamp("00:00:01,500") == 1.5
    assert parse_timestamp("no time") is None
