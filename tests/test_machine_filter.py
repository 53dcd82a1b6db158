"""Where the machine suggests nothing: back-channel turns, near-empty turns, other languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_project
from themegrid.codebook import load_codebook
from themegrid.errors import CodebookError
from themegrid.pipeline.coding import run_coding
from themegrid.pipeline.status import project_status
from themegrid.project import Project
from themegrid.store import segments as segs_store

FRENCH = (
    "Le budget de notre école a été réduit cette année et les enseignants sont partis "
    "parce que nous ne pouvions plus payer les formations."
)
ENGLISH = "Honestly the budget. Once the grant money ran out we had to rethink everything."
INTERVIEW = f"""\
Interviewer: What about the money side?
Respondent: Budget?
Respondent: Okay. Budget, yeah.
Respondent: Mm-hmm
Respondent: {FRENCH}
Respondent: {ENGLISH}
"""


def suggested(project: Project) -> dict[str, set[str]]:
    """Segment text -> codes with a live machine suggestion."""
    with project.open_store() as store:
        rows = store.query(
            "SELECT s.text, c.code_id FROM codings c JOIN segments s ON s.id = c.segment_id"
            " WHERE c.source IN ('rule', 'model') AND c.status = 'suggested'"
        )
    out: dict[str, set[str]] = {}
    for text, code in rows:
        out.setdefault(text, set()).add(code)
    return out


def set_header(project: Project, extra: str) -> None:
    path = project.codebook_dir / "codebook.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("codebook:\n", "codebook:\n" + extra, 1),
        encoding="utf-8",
    )


@pytest.fixture
def study(tmp_path: Path) -> Project:
    return write_project(tmp_path / "study", {"interviews/mixed.txt": INTERVIEW})


def code(project: Project):
    with project.open_store() as store:
        return run_coding(project, store, project.load_codebook(), use_model=False)


def test_back_channel_and_one_word_turns_get_no_rule_suggestion(study: Project) -> None:
    summary = code(study)
    found = suggested(study)
    assert "barriers.funding" in found[ENGLISH]
    # Each of these has the cue "budget" but fewer than two content words.
    assert "Budget?" not in found and "Okay. Budget, yeah." not in found
    reasons = summary.not_machine_coded
    filler = next(v for k, v in reasons.items() if k.startswith("back-channel"))
    assert filler == {"interviews/mixed.txt": 3}


def test_foreign_language_turn_is_not_machine_coded_and_reported(study: Project) -> None:
    summary = code(study)
    assert FRENCH not in suggested(study)
    assert summary.not_machine_coded["another language (fr)"] == {"interviews/mixed.txt": 1}
    with study.open_store() as store:
        status = project_status(store)
        assert status.not_machine_coded["another language (fr)"] == {"interviews/mixed.txt": 1}
        # The model may not suggest there either: it reads the same verdict.
        french_id = store.scalar("SELECT id FROM segments WHERE text = ?", (FRENCH,))
        assert french_id not in segs_store.codable_segment_ids(store)


def test_codebook_declaring_french_codes_french_turns_and_rechecks_old_ones(
    study: Project,
) -> None:
    code(study)
    assert FRENCH not in suggested(study)
    set_header(study, "  language: [en, fr]\n")
    summary = code(study)  # the cue hash changed: every segment is examined again
    assert "barriers.funding" in suggested(study)[FRENCH]
    assert not any(k.startswith("another language") for k in summary.not_machine_coded)


def test_threshold_is_configurable_and_old_suggestions_are_retired(study: Project) -> None:
    set_header(study, "  min_content_words: 1\n")
    code(study)
    assert "barriers.funding" in suggested(study)["Budget?"]
    path = study.codebook_dir / "codebook.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("min_content_words: 1", "min_content_words: 3"), encoding="utf-8")
    summary = code(study)
    assert "Budget?" not in suggested(study)
    assert summary.suggestions_retired >= 1
    with study.open_store() as store:
        reason = store.scalar(
            "SELECT c.reason FROM codings c JOIN segments s ON s.id = c.segment_id"
            " WHERE s.text = 'Budget?' AND c.source = 'rule'"
        )
    assert reason.startswith("retired: segment not machine-coded: back-channel")


def test_survey_answers_need_only_one_content_word(tmp_path: Path) -> None:
    from themegrid.codebook.model import MachineSettings
    from themegrid.tag.codable import MachineFilter

    f = MachineFilter(MachineSettings())
    assert f.examine("Budget.", speaker_turn=False).skip is None
    assert f.examine("Budget.", speaker_turn=True).skip is not None
    assert f.examine("Yeah, okay.", speaker_turn=False).skip is not None


def test_bad_settings_name_the_header_line(study: Project) -> None:
    set_header(study, "  min_content_words: lots\n  language: English\n")
    with pytest.raises(CodebookError) as err:
        load_codebook(study.codebook_dir)
    text = str(err.value) + " ".join(str(p) for p in err.value.problems)
    assert "min_content_words" in text and "language" in text
