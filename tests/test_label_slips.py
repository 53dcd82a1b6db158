"""A speaker label misspelt once (PDPilot's P5: 'Particpant' beside 'Participant') is named."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from conftest import write_project
from themegrid.pipeline.ingest import _label_slips, ingest
from themegrid.store import Store


def test_a_misspelt_label_is_named_in_the_files_note(tmp_path: Path) -> None:
    turns = "".join(
        f"Interviewer: Question {n}?\nParticipant: Answer number {n} about the budget.\n"
        for n in range(6)
    )
    text = turns + "Particpant: One more thing about the grant.\n"
    project = write_project(tmp_path / "p", {"t.txt": text})
    with Store(project.store_path) as store:
        summary = ingest(project, store)
    [outcome] = summary.outcomes
    assert "Particpant" in outcome.speakers  # kept as written: the file decides, not us
    assert (
        "speaker labels that look like another misspelt, so counted as another speaker: "
        "'Particpant' (1 turn(s)) beside 'Participant' (6)"
    ) in outcome.message


def test_labels_apart_by_a_number_or_as_common_are_people_apart() -> None:
    assert _label_slips(Counter({"INTERVIEWER 1": 9, "INTERVIEWER 2": 3, "P1": 5, "P2": 5})) == ""
    assert _label_slips(Counter({"Maria": 6, "Mario": 5})) == ""  # both speak a lot: two people
    assert "'Particpant'" in _label_slips(Counter({"Participant": 40, "Particpant": 2}))
