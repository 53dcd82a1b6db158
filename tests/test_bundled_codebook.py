"""The bundled codebook: valid, self-testing, and covering every theme the brief names."""

from __future__ import annotations

from pathlib import Path

import pytest

from themegrid.codebook import Codebook, load_codebook
from themegrid.codebook.check import check_codebook

CODEBOOK = Path(__file__).resolve().parents[1] / "codebook"

# Every theme MISSION.md says the codebook must cover, as (code id, words its name must contain).
REQUIRED = [
    ("catalyst.legislation", "legislation"),
    ("catalyst.covid", "covid"),
    ("catalyst.graduation_pathways", "graduation"),
    ("vision.each_student", "each student"),
    ("vision.flexibility_innovation", "innovation"),
    ("vision.graduate_goals", "graduate"),
    ("policy.legislation", "legislation"),
    ("policy.commission", "task force"),
    ("policy.framework", "framework"),
    ("policy.pilot", "pilot"),
    ("policy.seat_time", "seat-time"),
    ("policy.innovation_fund", "innovation fund"),
    ("policy.essa", "essa"),
    ("leadership.nonprofit", "nonprofit"),
    ("leadership.multiple_offices", "multiple offices"),
    ("leadership.coalition", "coalition"),
    ("leadership.designated_office", "designated office"),
    ("partners.cohort_network", "cohort"),
    ("partners.regional_centers", "regional"),
    ("partners.ta_providers", "technical assistance"),
    ("partners.state_partnerships", "partnership"),
    ("local_order.district_systems", "district"),
    ("local_order.schools", "school"),
    ("local_order.both", "both"),
    ("scale.organic", "organic"),
    ("scale.peer_network", "peer"),
    ("scale.demonstration_sites", "demonstration"),
    ("scale.entry_points", "entry points"),
    ("logic_model.resources.policymakers", "policymakers"),
    ("logic_model.resources.organizations", "organizations"),
    ("logic_model.resources.district_leaders", "district leaders"),
    ("logic_model.resources.educators", "educators"),
    ("logic_model.activities.capacity", "capacity"),
    ("logic_model.activities.systems_change", "systems change"),
    ("logic_model.activities.student_learning", "student learning"),
    ("logic_model.activities.quality", "quality"),
    ("logic_model.short_term", "short-term"),
    ("logic_model.long_term", "long-term"),
    ("equity.definition", "defining equity"),
    ("equity.factor.ses", "socio-economic"),
    ("equity.factor.special_ed", "special education"),
    ("equity.factor.race", "race"),
    ("equity.factor.resources", "resources"),
    ("equity.factor.performance", "performance"),
    ("equity.each_student", "each student"),
    ("equity.strategy", "strategy"),
    ("context.local_control", "local control"),
    ("context.political_cultural", "political"),
    ("context.stakeholder_support", "stakeholder"),
]


@pytest.fixture(scope="module")
def book() -> Codebook:
    return load_codebook(CODEBOOK)


@pytest.mark.parametrize(("code_id", "words"), REQUIRED)
def test_theme_is_a_codable_code(book: Codebook, code_id: str, words: str) -> None:
    assert code_id in book, f"{code_id} missing"
    code = book.get(code_id)
    assert code.codable
    assert words in code.name.lower()


def test_every_codable_code_is_documented_and_tested(book: Codebook) -> None:
    for code in book.codable:
        assert code.definition and code.include and code.exclude, code.id
        assert len(code.examples) >= 2, code.id
        assert len(code.counterexamples) >= 1, code.id
        assert code.cues.count() >= 1, code.id


def test_codebook_check_passes_strictly() -> None:
    report = check_codebook(CODEBOOK)
    assert report.valid, report.problems
    missed = {c.code_id: c.missed_examples for c in report.examples if c.missed_examples}
    hit = {c.code_id: c.hit_counterexamples for c in report.examples if c.hit_counterexamples}
    assert not missed and not hit
    assert report.examples_total >= 2 * len(report.codebook.codable)


def test_cues_do_not_match_everything(book: Codebook) -> None:
    """No code may fire on more than a third of the example corpus's respondent turns."""
    from themegrid.read import read_document
    from themegrid.segment.units import segment_document
    from themegrid.tag.nlp import make_nlp
    from themegrid.tag.tagger import RuleTagger

    nlp = make_nlp()
    texts = []
    for path in sorted((CODEBOOK.parent / "corpus" / "interviews").glob("*.txt")):
        texts += [
            s.text for s in segment_document(read_document(path), nlp) if not s.is_interviewer
        ]
    tagger = RuleTagger(book, nlp)
    counts: dict[str, int] = {}
    for suggestions in tagger.tag_many(texts):
        for s in suggestions:
            counts[s.code_id] = counts.get(s.code_id, 0) + 1
    assert len(texts) > 50
    assert max(counts.values()) < len(texts) / 3, sorted(counts.items(), key=lambda kv: -kv[1])[:3]
    assert len(counts) >= len(book.codable) // 2


def test_suggestion_rows_made_directly_equal_the_suggestions_rows(book: Codebook) -> None:
    """Tagging workers build the stored rows straight from the matches (no hit objects, offsets
    from token columns): the same rows as ``Suggestion.row`` of ``tag_many``, whose hits are
    checked here against spaCy's own spans of the same tokens."""
    from themegrid.read import read_document
    from themegrid.segment.units import segment_document
    from themegrid.tag.nlp import make_nlp
    from themegrid.tag.tagger import RuleTagger

    nlp = make_nlp()
    texts = [
        s.text
        for path in sorted((CODEBOOK.parent / "corpus").rglob("*"))
        if path.suffix in (".txt", ".vtt", ".srt", ".docx") and path.name != "README.md"
        for s in segment_document(read_document(path), nlp)
    ]
    tagger = RuleTagger(book, nlp)
    direct = list(tagger.rows_many(texts))
    reference = [[s.row() for s in suggestions] for suggestions in tagger.tag_many(texts)]
    assert sum(map(len, reference)) > 100
    assert direct == reference
    for text, suggestions in zip(texts, tagger.tag_many(texts), strict=True):
        doc = nlp(text)
        for s in suggestions:
            for hit in s.hits:
                span = doc.char_span(hit.start, hit.end)
                assert span is not None and span.text == hit.text == text[hit.start : hit.end]
