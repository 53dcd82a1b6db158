"""A cue written in capitals that is also an English word ("IDEA", the disability law) is
an acronym only in capitals; other capitals ("ESSA", "COVID") match in any case."""

from __future__ import annotations

from themegrid.codebook import Code, Codebook
from themegrid.codebook.model import Cues
from themegrid.tag.nlp import shared_nlp
from themegrid.tag.tagger import CueRuler


def _ruler(*, phrases: tuple[str, ...] = (), lemmas: tuple[str, ...] = ()) -> CueRuler:
    code = Code("law", "Law", "Laws named.", cues=Cues(phrases=phrases, lemmas=lemmas))
    return CueRuler(Codebook("t", "1", "", (code,)))


def _matched(ruler: CueRuler, text: str) -> list[str]:
    return [h.text for h in ruler.hits(shared_nlp()(text))]


def test_a_capitalised_english_word_matches_only_in_capitals() -> None:
    ruler = _ruler(phrases=("IDEA", "IDEA Part B", "STEM"), lemmas=("IDEA",))
    text = "My idea was simple. IDEA Part B pays for it. Stem cells are not STEM classes."
    assert _matched(ruler, text) == ["IDEA", "IDEA", "IDEA Part B", "STEM"]


def test_other_acronyms_and_lower_case_cues_match_in_any_case() -> None:
    ruler = _ruler(phrases=("ESSA", "COVID", "grant money"))
    text = "Under Essa and essa rules, covid hit. Grant Money ran out."
    assert _matched(ruler, text) == ["Essa", "essa", "covid", "Grant Money"]


def test_a_plural_in_capitals_counts_as_the_word() -> None:
    ruler = _ruler(lemmas=("ACTS",))
    assert _matched(ruler, "Two acts of kindness and the ACTS of Congress.") == ["ACTS"]
