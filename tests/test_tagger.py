"""The rule tagger: lemma-aware, case-insensitive cues, vetoes, overlapping codes, reasons."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from themegrid.codebook import load_codebook
from themegrid.tag.nlp import make_nlp
from themegrid.tag.tagger import SPANS_KEY, CueRuler, RuleTagger

CODEBOOK = textwrap.dedent(
    """\
    codebook: {name: T, version: "1"}
    codes:
      - id: policy
        name: Policy
        codable: false
        children:
          - id: policy.pilot
            name: Pilot testing
            definition: Pilots.
            cues:
              lemmas: [pilot]
              veto: [pilot light]
          - id: policy.task_force
            name: Task forces
            definition: Task forces.
            cues:
              phrases: [task force, blue ribbon commission]
              patterns:
                - [{LEMMA: {IN: [commission, committee]}}, {LOWER: on}, {LOWER: {IN: [competency, mastery]}}]
          - id: policy.seat_time
            name: Seat time
            definition: Waivers.
            cues:
              lemmas: [seat time waiver]
    """
)


@pytest.fixture(scope="module")
def tagger(tmp_path_factory: pytest.TempPathFactory) -> RuleTagger:
    folder = tmp_path_factory.mktemp("cb")
    (folder / "cb.yaml").write_text(CODEBOOK)
    return RuleTagger(load_codebook(folder))


def codes(tagger: RuleTagger, text: str) -> set[str]:
    return {s.code_id for s in tagger.tag(text)}


@pytest.mark.parametrize(
    "text", ["We ran pilots.", "The state PILOTED it.", "Piloting began.", "A pilot."]
)
def test_lemma_cues_find_inflections_in_any_case(tagger: RuleTagger, text: str) -> None:
    assert codes(tagger, text) == {"policy.pilot"}


def test_phrase_cues_are_exact_words_but_case_insensitive(tagger: RuleTagger) -> None:
    assert codes(tagger, "The TASK FORCE met.") == {"policy.task_force"}
    assert codes(tagger, "Both task forces met.") == set()


def test_token_patterns(tagger: RuleTagger) -> None:
    assert codes(tagger, "The Commissions on Mastery reported.") == {"policy.task_force"}
    assert codes(tagger, "The commission on budgets reported.") == set()


def test_multiword_lemma_cue(tagger: RuleTagger) -> None:
    assert (
        codes(tagger, "Districts applied for seat-time waivers.") == set()
    )  # hyphen splits differently
    assert codes(tagger, "Districts applied for seat time waivers.") == {"policy.seat_time"}


def test_veto_suppresses_the_code(tagger: RuleTagger) -> None:
    assert codes(tagger, "The pilot light on the furnace went out.") == set()


def test_overlapping_codes_and_reasons_with_offsets(tagger: RuleTagger) -> None:
    text = "The task force recommended pilots and a pilot of seat time waivers."
    suggestions = {s.code_id: s for s in tagger.tag(text)}
    assert set(suggestions) == {"policy.pilot", "policy.task_force", "policy.seat_time"}
    pilot = suggestions["policy.pilot"]
    assert len(pilot.hits) == 2
    for hit in pilot.hits:
        assert text[hit.start : hit.end] == hit.text
    assert "lemma cue 'pilot'" in pilot.reason and '"pilots"' in pilot.reason
    assert pilot.score > suggestions["policy.task_force"].score


def test_tag_many_matches_tag(tagger: RuleTagger) -> None:
    texts = ["pilots", "nothing at all", "a task force", ""]
    assert [[s.code_id for s in r] for r in tagger.tag_many(texts)] == [
        [s.code_id for s in tagger.tag(t)] for t in texts
    ]


def test_component_writes_doc_spans(tmp_path: Path) -> None:
    (tmp_path / "cb.yaml").write_text(CODEBOOK)
    nlp = make_nlp()
    nlp.add_pipe("themegrid_cues", config={"codebook_path": str(tmp_path)})
    doc = nlp("A task force piloted waivers.")
    spans = doc.spans[SPANS_KEY]
    assert {(s.label_, s.text) for s in spans} == {
        ("policy.task_force", "task force"),
        ("policy.pilot", "piloted"),
    }
    assert all(s.id_ for s in spans)


def test_ungrouped_codes_without_cues_are_not_compiled(tmp_path: Path) -> None:
    (tmp_path / "cb.yaml").write_text(CODEBOOK)
    ruler = CueRuler(load_codebook(tmp_path))
    assert {c.id for c in ruler.codes} == {"policy.pilot", "policy.task_force", "policy.seat_time"}


GATED = textwrap.dedent(
    """\
    codebook: {name: G, version: "1"}
    codes:
      - id: a
        name: A
        definition: x
        cues:
          patterns:
            - [{LOWER: {IN: [the, our]}}, {LEMMA: {IN: [superintendent, principal]}}, {IS_PUNCT: false, OP: "{0,3}"}, {LEMMA: decide}]
            - [{LEMMA: district}, {OP: "*"}, {LOWER: together}]
            - [{IS_PUNCT: true}, {LOWER: "on", OP: "?"}, {LEMMA: pilot}]
            - [{LIKE_NUM: true}, {LEMMA: school}]
            - [{LOWER: {REGEX: "^(sb|hb)[0-9]+$"}}]
            - [{LIKE_NUM: true}, {LOWER: {REGEX: "^dist"}, OP: "+"}]
            - [{LEMMA: grant}, {IS_PUNCT: false, OP: "{0,2}"}, {LEMMA: {IN: [money, fund]}}]
    """
)
WORDS = [
    "the",
    "our",
    "superintendent",
    "principals",
    "decided",
    "decides",
    "district",
    "districts",
    "together",
    ",",
    ".",
    "on",
    "pilot",
    "piloted",
    "3",
    "schools",
    "school",
    "we",
    "then",
    "the superintendent then decided",
    "our principals we then decides",
    "district we then together",
    ", on piloted",
    "3 schools",
    "sb12",
    "hb7",
    "HB",
    "3 districts district",
    "grant",
    "grants",
    "money",
    "funds",
    "the grant money",
    "grant we then funds",
]


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> CueRuler:
    folder = tmp_path_factory.mktemp("gated")
    (folder / "cb.yaml").write_text(GATED)
    return CueRuler(load_codebook(folder))


def test_gated_pattern_matching_equals_a_plain_matcher(gated: CueRuler) -> None:
    """Anchors and windows are an optimisation only: same matches as running every pattern everywhere."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from spacy.matcher import Matcher

    plain = Matcher(gated.nlp.vocab)
    for key in gated.pattern_matchers:
        code = load_codebook_text(GATED).get("a")
        plain.add(key, [list(code.cues.patterns[int(key.rsplit("#", 1)[1]) - 1])])

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=40))
    def check(words: list[str]) -> None:
        doc = gated.nlp(" ".join(words))
        strings = gated.nlp.vocab.strings
        expected = {(strings[m].split("\x1f")[1], s, e) for m, s, e in plain(doc)}
        got = {
            (h.cue, doc.char_span(h.start, h.end).start, doc.char_span(h.start, h.end).end)
            for h in gated.hits(doc)
        }
        assert got == expected

    check()
    for word in WORDS:  # each alone: gates that wrongly close on a one-word doc show here
        check.hypothesis.inner_test([word])  # type: ignore[attr-defined]


def load_codebook_text(text: str):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "cb.yaml").write_text(text)
        return load_codebook(folder)


def _codebook_with(tmp_path: Path, cues: str, codable: bool = True) -> Path:
    (tmp_path / "cb.yaml").write_text(
        "codebook: {name: T, version: '1'}\n"
        "codes:\n"
        "  - id: good\n    name: Good\n    definition: x\n"
        "    cues:\n      phrases: [task force]\n"
        f"  - id: bad\n    name: Bad\n    definition: x\n    codable: {str(codable).lower()}\n"
        "    cues:\n" + textwrap.indent(textwrap.dedent(cues), "      ") + ""
        "  - id: worse\n    name: Worse\n    definition: x\n"
        "    cues:\n      patterns:\n        - [{LOWER: {NOT_IN: 3}}]\n",
        encoding="utf-8",
    )
    return tmp_path


@pytest.mark.parametrize("codable", [True, False])
@pytest.mark.parametrize(
    "cues",
    [
        "patterns:\n  - [{LOWER: {IN: notalist}}]\n",
        "phrases: [pilot]\npatterns:\n  - [{LOWER: x}]\n  - [{LENGTH: {'>=': x}}]\n",
    ],
)
def test_the_ruler_reports_every_problem_the_codebook_check_finds(
    tmp_path: Path, cues: str, codable: bool
) -> None:
    """Compiling the cues is the check: cues spaCy rejects fail the ruler with every problem
    ``compile_problems`` lists (all codes, not only the first that failed to compile)."""
    from themegrid.errors import CodebookError
    from themegrid.tag.tagger import compile_problems

    book = load_codebook(_codebook_with(tmp_path, cues, codable))
    expected = compile_problems(book)
    assert len(expected) == 2  # one in 'bad', one in 'worse'
    with pytest.raises(CodebookError) as err:
        CueRuler(book)
    assert err.value.problems == expected


def test_an_empty_cue_fails_the_ruler(tmp_path: Path) -> None:
    """A cue that tokenizes to nothing (the loader refuses one; a codebook built in code
    may not) is a problem, as ``compile_problems`` says."""
    from dataclasses import replace

    from themegrid.errors import CodebookError
    from themegrid.tag.tagger import compile_problems

    book = load_codebook(_codebook_with(tmp_path, "phrases: [pilot]\n"))
    book = replace(book, codes=tuple(c for c in book.codes if c.id != "worse"))
    for field_name in ("phrases", "lemmas", "veto"):
        empty = replace(book.get("bad").cues, **{field_name: ("",)})
        broken = replace(
            book, codes=tuple(replace(c, cues=empty) if c.id == "bad" else c for c in book.codes)
        )
        expected = compile_problems(broken)
        assert [p.message for p in expected] == [f"empty cue in '{field_name}'"]
        with pytest.raises(CodebookError) as err:
            CueRuler(broken)
        assert err.value.problems == expected
