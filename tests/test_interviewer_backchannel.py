"""An interviewer who also says "Okay." and "Mm hmm." between questions (the real MAXQDA
pdpilot interviews: 26-46% of Dan's turns end on a question) is still found, and a
respondent's "you know?" inside an answer is not a question asked."""

from __future__ import annotations

from themegrid.segment.interviewer import infer_interviewers


def test_an_interviewer_with_back_channel_turns_is_found() -> None:
    turns = []
    for i in range(10):
        question = "So how did the pilot start?" if i % 3 == 0 else "Okay. Mm hmm."
        turns.append(("Dan", question))
        answer = "It was slow, you know? Then the district funded it and we went on."
        turns.append(("Participant", answer if i % 2 else "We used the plots a lot."))
    assert infer_interviewers(turns) == frozenset({"Dan"})


def test_two_people_asking_alike_have_no_interviewer() -> None:
    turns = [("Ana", "Why?"), ("Ben", "Why not?"), ("Ana", "Fine."), ("Ben", "Good.")] * 3
    assert infer_interviewers(turns) == frozenset()
