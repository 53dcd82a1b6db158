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


MOSTLY_SPANISH = (
    "Pues el budget se redujo mucho cuando the grant ended y no teníamos professional development."
)
MOSTLY_SPANISH_2 = "Bueno, el superintendent nos dijo que el funding para los teachers se acabó."
# Three English-only function words in 19: an accented letter sends it to the classifier.
MOSTLY_SPANISH_3 = (
    "Pues el budget se redujo cuando the grant from the state ended y no teníamos nada "
    "para los maestros."
)
NAPIRE_NOTES = Path(
    "../shared/devdata/napire2018_coded_survey/data/freetext_coded/"
    "0 - Found Errors for Problem Coding (to be fixed).txt"
)


def machine_filter(languages: tuple[str, ...] = ("en",)):
    from themegrid.codebook.model import MachineSettings
    from themegrid.tag.codable import MachineFilter

    return MachineFilter(MachineSettings(languages=languages))


def test_a_turn_mostly_in_another_language_gets_no_english_cue_suggestion() -> None:
    # The classifier is not sure (below the 0.95 it needs on its own), but the
    # sentence is built of Spanish function words around a few English nouns.
    f = machine_filter()
    for text in (MOSTLY_SPANISH, MOSTLY_SPANISH_2, MOSTLY_SPANISH_3):
        assert f.examine(text, speaker_turn=True).skip == "another language (es)", text
    # English with one foreign word, and a list of English terms, stay English.
    for text in (ENGLISH, "We talked to the principal and he said, you know, c'est la vie."):
        assert f.examine(text, speaker_turn=True).skip is None, text
    assert machine_filter(("en", "es")).examine(MOSTLY_SPANISH, speaker_turn=True).skip is None


def test_real_mixed_german_notes_are_judged_by_their_grammar() -> None:
    """A researcher's notes in German about English code names (NaPiRE 2018, CC BY 4.0)."""
    if not NAPIRE_NOTES.exists():
        pytest.skip("../shared/devdata (NaPiRE notes) is not beside the repository")
    lines = NAPIRE_NOTES.read_text(encoding="latin-1").splitlines()
    f = machine_filter()
    verdicts = {line: f.examine(line, speaker_turn=False) for line in lines if line.strip()}
    german = [line for line in verdicts if line.startswith("Ich denke es sollte")]
    english = [line for line in verdicts if line.startswith(("-Tags: Documentation", ", changed"))]
    assert german and len(english) == 2
    assert all(verdicts[line].skip == "another language (de)" for line in german)
    assert all(verdicts[line].skip is None for line in english)


def test_plain_english_is_decided_without_loading_the_classifier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from themegrid.tag import codable

    def no_classifier() -> None:
        raise AssertionError("the language classifier was consulted")

    monkeypatch.setattr(codable, "_identifier", no_classifier)
    f = machine_filter()
    verdict = f.examine(ENGLISH, speaker_turn=True)
    assert verdict.skip is None and verdict.language == "en"
    with pytest.raises(AssertionError):  # another language still goes to the classifier
        f.examine(FRENCH, speaker_turn=True)
    with pytest.raises(AssertionError):  # so does English when the codebook is not in English
        machine_filter(("fr",)).examine(ENGLISH, speaker_turn=True)


def test_the_english_shortcut_admits_no_sentence_of_another_language() -> None:
    """spaCy's example sentences of every other language it ships never pass the shortcut."""
    import ast
    import pkgutil

    import spacy.lang

    f = machine_filter()
    checked = 0
    for module in pkgutil.iter_modules(spacy.lang.__path__):
        if not module.ispkg or module.name in ("en", "xx"):
            continue
        # The ``sentences = [...]`` literal read from examples.py: importing it would
        # import the language's package (tokenizer rules, lemma tables), seconds for 66.
        examples = Path(spacy.lang.__path__[0]) / module.name / "examples.py"
        if not examples.is_file():
            continue
        sentences = [
            sentence
            for node in ast.parse(examples.read_text(encoding="utf-8")).body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "sentences" for t in node.targets)
            for sentence in ast.literal_eval(node.value)
        ]
        for sentence in sentences:
            checked += 1
            assert not f.english_by_function_words(sentence), (module.name, sentence)
    assert checked > 300
    assert f.english_by_function_words(ENGLISH)


def test_transcribers_notes_get_no_suggestion(tmp_path: Path) -> None:
    """A turn that is only a bracketed note describes what happened; nobody said it."""
    note = "(The respondent reads the budget table and the grant money figures aloud)"
    mixed = f"[{ENGLISH}] the rest, said aloud about the budget."
    text = f"Interviewer: What about the money side?\nRespondent: {note}\nRespondent: {mixed}\n"
    project = write_project(tmp_path / "study", {"interviews/notes.txt": text})
    summary = code(project)
    found = suggested(project)
    assert note not in found
    assert "barriers.funding" in found[mixed]  # a note inside speech is speech
    assert summary.not_machine_coded["transcriber's note"] == {"interviews/notes.txt": 1}


# --- the same paragraph in several documents: a protocol, script or template ---------------

PROMPT = "3.a Please explain whether the budget screen was clear to you."
ANSWER = "The budget numbers confused me, the grant money column most of all."


def _session(n: int) -> str:
    """A think-aloud session written as a document (no speaker labels): the task prompts
    read out in every session, and this participant's own words."""
    return (
        f"Session {n}\n\nTask one.\n\n{PROMPT}\n\n"
        f"{ANSWER} Participant {n} said it in their own way.\n\n"
        "Thank you, that is all for today and goodbye.\n"
    )


def test_a_paragraph_in_three_documents_is_not_machine_coded(tmp_path: Path) -> None:
    """SERDIF: every session's transcript holds the same task prompts ('1.a Was the
    information presented enough ...?'); they are the protocol, not a participant's words.
    Two sessions: still coded. A third arrives: the prompt is set aside in all three
    (suggestions retired, reason recorded); one leaves: coded again."""
    files = {f"s{n}.txt": _session(n) for n in (1, 2)}
    project = write_project(tmp_path / "p", files)
    code(project)
    assert "barriers.funding" in suggested(project)[PROMPT]  # two documents: no protocol yet
    (project.corpus_dir / "s3.txt").write_text(_session(3), encoding="utf-8")
    summary = code(project)
    live = suggested(project)
    assert PROMPT not in live
    answers = [t for t in live if t.startswith(ANSWER)]
    assert len(answers) == 3  # each participant's words are still coded
    reason = "the same text in several documents (a protocol, script or template)"
    # the prompt and the closing line ("Task one." is too short to tell)
    assert summary.not_machine_coded[reason] == {"s1.txt": 2, "s2.txt": 2, "s3.txt": 2}
    with project.open_store() as store:
        retired = store.query(
            "SELECT c.reason FROM codings c JOIN segments s ON s.id = c.segment_id"
            " WHERE s.text = ? AND c.source = 'rule'",
            (PROMPT,),
        )
    assert {r[0] for r in retired} == {f"retired: segment not machine-coded: {reason}"}
    (project.corpus_dir / "s3.txt").unlink()
    code(project)
    assert "barriers.funding" in suggested(project)[PROMPT]


def test_repeated_speaker_turns_and_survey_answers_are_each_persons_own(tmp_path: Path) -> None:
    """The rule is for paragraphs without a speaker in documents of several paragraphs:
    the same sentence in three interviews' respondent turns, or three survey responses
    giving the same answer, are those people's words and stay machine-coded."""
    turn = "Respondent: The grant money ran out in the second year for us.\n"
    files = {
        f"i{n}.txt": "Interviewer: What happened?\n"
        + turn
        + "".join(
            f"Interviewer: And then?\nRespondent: Then step {n}.{k} came.\n" for k in range(3)
        )
        for n in range(3)
    }
    project = write_project(tmp_path / "p", files)
    code(project)
    assert "barriers.funding" in suggested(project)[turn.removeprefix("Respondent: ").strip()]
    survey = "id,answer\n" + "".join(f"R{n},The grant money ran out last year\n" for n in range(3))
    other = write_project(tmp_path / "q", {"survey.csv": survey})
    code(other)
    assert "barriers.funding" in suggested(other)["The grant money ran out last year"]


def test_the_repeat_rule_is_configurable(tmp_path: Path) -> None:
    files = {f"s{n}.txt": _session(n) for n in (1, 2, 3)}
    project = write_project(tmp_path / "p", files)
    set_header(project, "  repeated_in_documents: 0\n")
    code(project)
    assert "barriers.funding" in suggested(project)[PROMPT]
    path = project.codebook_dir / "codebook.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("repeated_in_documents: 0", "repeated_in_documents: 1"))
    with pytest.raises(CodebookError, match="repeated_in_documents: 1 would set aside every"):
        project.load_codebook()


def test_a_repeated_paragraph_set_aside_for_another_reason_is_not_tagged_again(
    tmp_path: Path,
) -> None:
    """A paragraph in three documents that is also in another language keeps that verdict,
    and is not examined again at every run (it would be, were only one reason allowed)."""
    files = {f"s{n}.txt": _session(n) + f"\n{FRENCH}\n" for n in (1, 2, 3)}
    project = write_project(tmp_path / "p", files)
    code(project)
    (project.corpus_dir / "s4.txt").write_text("A new note.\n\nOn another topic entirely.\n\nEnd.")
    again = code(project)
    assert again.segments_tagged == 3  # the new file's paragraphs only
    with project.open_store() as store:
        skips = {
            r[0] for r in store.query("SELECT machine_skip FROM segments WHERE text = ?", (FRENCH,))
        }
    assert skips == {"another language (fr)"}
