"""Segmenting: exact offsets, sentence splits of long units, stable ids."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from themegrid.models import RawDocument, Unit
from themegrid.read import read_document
from themegrid.read.text import units_from_text
from themegrid.segment.units import segment_document


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    return pipeline


def raw_from_text(text: str, path: str = "interviews/a.txt") -> RawDocument:
    units, kind = units_from_text(text)
    return RawDocument(path=path, format="txt", text=text, units=tuple(units), kind=kind)


TRANSCRIPT = (
    "Interviewer: How did it start?\n\n"
    "Jane Doe: With a pilot.\n\n"
    "Interviewer: And then?\n\n"
    "Jane Doe: With a pilot.\n"
)


def test_one_segment_per_turn(nlp: spacy.language.Language) -> None:
    segments = segment_document(raw_from_text(TRANSCRIPT), nlp)
    assert [(s.speaker, s.text, s.is_interviewer) for s in segments] == [
        ("Interviewer", "How did it start?", True),
        ("Jane Doe", "With a pilot.", False),
        ("Interviewer", "And then?", True),
        ("Jane Doe", "With a pilot.", False),
    ]
    assert [s.seq for s in segments] == [0, 1, 2, 3]
    assert len({s.id for s in segments}) == 4  # the repeated answer gets its own ordinal
    assert all(len(s.id) == 16 for s in segments)


def test_interviewer_from_metadata_and_from_questions(nlp: spacy.language.Language) -> None:
    text = "Ann Lee: Why?\n\nBo Park: Because.\n\nAnn Lee: How?\n\nBo Park: Slowly.\n"
    by_questions = segment_document(raw_from_text(text), nlp)
    assert [s.is_interviewer for s in by_questions] == [True, False, True, False]
    by_metadata = segment_document(raw_from_text(text), nlp, interviewer_labels=["Bo Park"])
    assert [s.is_interviewer for s in by_metadata] == [False, True, False, True]


def test_long_units_split_at_sentences(nlp: spacy.language.Language) -> None:
    sentences = [f"Sentence number {i} talks about the pilot districts." for i in range(60)]
    text = "Interviewer: Tell me.\n\nJane Doe: " + " ".join(sentences) + "\n\nInterviewer: Ok?\n"
    raw = raw_from_text(text)
    segments = segment_document(raw, nlp, max_chars=500)
    answer = [s for s in segments if s.speaker == "Jane Doe"]
    assert len(answer) > 4
    assert all(len(s.text) <= 500 for s in answer)
    assert all(s.text.startswith("Sentence number") and s.text.endswith(".") for s in answer)
    assert " ".join(s.text for s in answer) == " ".join(sentences)


def test_table_rows_keep_row_ids(nlp: spacy.language.Language, tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id,response\nr1,Good.\nr2,Bad.\n", encoding="utf-8")
    segments = segment_document(read_document(path), nlp)
    assert [(s.row_id, s.text) for s in segments] == [("r1", "Good."), ("r2", "Bad.")]


def test_ids_depend_on_path(nlp: spacy.language.Language) -> None:
    a = segment_document(raw_from_text(TRANSCRIPT, "a.txt"), nlp)
    b = segment_document(raw_from_text(TRANSCRIPT, "b.txt"), nlp)
    assert {s.id for s in a}.isdisjoint(s.id for s in b)


def test_whitespace_only_edits_keep_ids(nlp: spacy.language.Language) -> None:
    a = segment_document(raw_from_text(TRANSCRIPT), nlp)
    b = segment_document(raw_from_text(TRANSCRIPT.replace("With a pilot.", "With  a\npilot.")), nlp)
    assert [s.id for s in a] == [s.id for s in b]


words = st.sampled_from(
    [
        "the",
        "pilot",
        "state",
        "district",
        "teachers",
        "said:",
        "yes",
        "no",
        "time",
        "money,",
        "trust.",
        "why?",
        "we",
        "grew",
        "and",
    ]
)
sentence = st.lists(words, min_size=1, max_size=25).map(lambda ws: " ".join(ws).capitalize() + ".")
turn_text = st.lists(sentence, min_size=1, max_size=8).map(" ".join)
label_pairs = st.sampled_from(
    [
        ("Interviewer:", "Respondent:"),
        ("Q:", "A:"),
        ("Jane Doe:", "Dr. Smith:"),
        ("[00:01:02] Bo:", "[00:02:03] Al:"),
        ("**Moderator:**", "**P1:**"),
    ]
)
separator = st.sampled_from(["\n", "\n\n", "\n \n", "\r\n\r\n"])
bodies = st.lists(st.tuples(turn_text, separator), min_size=4, max_size=12)
transcripts = st.builds(
    lambda pair, body: [(pair[i % 2], text, sep) for i, (text, sep) in enumerate(body)],
    label_pairs,
    bodies,
)


def render(turns: list[tuple[str, str, str]]) -> str:
    return "".join(f"{lab} {text}{sep}" for lab, text, sep in turns).replace("\r\n", "\n")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(turns=transcripts, edit_at=st.integers(min_value=0, max_value=11))
def test_offsets_exact_and_ids_stable(
    nlp: spacy.language.Language, turns: list[tuple[str, str, str]], edit_at: int
) -> None:
    text = render(turns)
    raw = raw_from_text(text)
    first = segment_document(raw, nlp, max_chars=120)
    second = segment_document(raw_from_text(text), nlp, max_chars=120)
    assert raw.kind == "interview"
    assert first and [s.id for s in first] == [s.id for s in second]
    for s in first:
        assert raw.text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and s.text

    # Edit one turn: every segment outside it keeps its id.
    i = edit_at % len(turns)
    edited_turns = list(turns)
    lab, _, sep = turns[i]
    edited_turns[i] = (lab, "Completely new words here about something else.", sep)
    edited = segment_document(raw_from_text(render(edited_turns)), nlp, max_chars=120)
    changed_start = len(render(turns[:i]))
    changed_end = changed_start + len(render(turns[i : i + 1]))
    inside = [s for s in first if changed_start <= s.start < changed_end]
    # an identical (speaker, text) inside the edit shifts the ordinal of later copies
    keys = {(s.speaker, s.text) for s in inside}
    outside = {s.id for s in first if s not in inside and (s.speaker, s.text) not in keys}
    assert outside <= {s.id for s in edited}


def test_unit_with_only_whitespace_is_skipped(nlp: spacy.language.Language) -> None:
    raw = RawDocument("a.txt", "txt", "a  \n  ", (Unit(0, 1), Unit(1, 6)), "document")
    assert [s.text for s in segment_document(raw, nlp)] == ["a"]


REPORT = Path("../shared/devdata/ncd_federal_education_reports/markdown")


def test_pieces_of_long_units_are_kept_as_their_text_tokenized_alone() -> None:
    """Tokenize once: the tagger takes the pieces' docs, which equal a fresh tokenization."""
    from themegrid.segment.units import PIECE_DOCS
    from themegrid.tag.nlp import shared_nlp
    from themegrid.tag.tagger import RuleTagger

    nlp = shared_nlp()
    tricky = (
        'He said "we\'re done."Then the U.S. Dept. of Ed. stepped in!  Really?? (Yes.) '
        "The pilot ended.Next year:\tmore districts\n\n- a list item; e.g. this one... "
    )
    texts = [tricky * 12]
    if REPORT.is_dir():
        texts += [p.read_text(encoding="utf-8")[:40_000] for p in sorted(REPORT.glob("*.md"))[:2]]
    PIECE_DOCS.clear()
    kept = pieces = 0
    for text in texts:
        raw = RawDocument(
            path="d.md", format="md", text=text, units=(Unit(0, len(text)),), kind="document"
        )
        segments = segment_document(raw, nlp, max_chars=300)
        pieces += len(segments)
        for seg in segments:
            doc = PIECE_DOCS.take(seg.text, nlp.vocab)
            if doc is None:
                continue
            kept += 1
            fresh = nlp.make_doc(seg.text)
            assert doc.text == seg.text
            assert [(t.text, t.whitespace_) for t in doc] == [
                (t.text, t.whitespace_) for t in fresh
            ]
    assert pieces > 10 and kept > pieces // 2

    from themegrid.codebook import load_codebook

    tagger = RuleTagger(load_codebook(Path("codebook")))
    raw = RawDocument(
        path="d.md", format="md", text=texts[0], units=(Unit(0, len(texts[0])),), kind="document"
    )
    segments = segment_document(raw, nlp, max_chars=300)
    assert len(PIECE_DOCS) > 0
    reused = list(tagger.tag_many(s.text for s in segments))
    assert len(PIECE_DOCS) == 0  # taken, not tokenized again
    assert reused == list(tagger.tag_many(s.text for s in segments))


def test_a_line_ends_a_sentence_as_the_regular_expression_says() -> None:
    """label_share's end-of-sentence test reads a line's last characters; it must say what the
    regular expression it replaced says, anywhere inside a text."""
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from themegrid.segment.labels import _ends_sentence

    regex = re.compile(r"""[.!?…:;"”’')\]][ \t\r]*$""")

    @settings(max_examples=400, deadline=None)
    @given(st.text(alphabet="ab .!?…:;\"”’')]\t\r[(x", max_size=14), st.data())
    def check(line: str, data: st.DataObject) -> None:
        a = data.draw(st.integers(0, len(line)))
        b = data.draw(st.integers(a, len(line)))
        assert _ends_sentence(line, a, b) == bool(regex.search(line, a, b))

    check()
