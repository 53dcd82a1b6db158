"""Where the machine suggests nothing: filler turns, near-empty segments, other languages.

The one rule (:meth:`MachineFilter.examine`), applied at tag time by
``themegrid code`` to every segment it tags, for the rules and the learned
model alike; the verdict is stored with the segment
(``store.segments.set_tag_results``: ``machine_skip`` and ``language``), so
the model and ``status`` read it instead of re-deciding. Humans may still code
any segment.

It lives at tag time, not at segment-write time
(``store.segments.is_codable``), because it depends on the codebook: the
languages its cues are written in and its ``min_content_words``. Both are in
the codebook's cue hash, so changing them re-examines every segment.

* **Content words** are tokens of spaCy's blank English tokenizer that are
  alphabetic (``is_alpha``), not stop words (``is_stop``) and not fillers
  (``segment/data/filler_words.txt``: "okay", "yeah", "mm-hmm", "right", "perfect", ...). A
  speaker turn with fewer than ``min_content_words`` (default 2) is a
  back-channel or fragment ("Okay. Perfect.", "Yeah, yeah.", "data?"); any
  other segment (a survey answer, a paragraph) needs one, so a one-word survey
  answer such as "Communication." is still coded.
* **Language** is detected with ``py3langid`` (its model ships inside the
  wheel) on segments with at least :data:`MIN_WORDS_FOR_LANGUAGE` words; a
  segment whose language is not one the codebook declares, with a normalised
  probability of at least :data:`LANGUAGE_CONFIDENCE`, is not machine-coded.
  Shorter segments are too short to tell and keep the codebook's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from themegrid.codebook.model import MachineSettings
from themegrid.segment.lexicon import word_set

#: Fewer words than this: too short to tell the language; the codebook's is assumed.
MIN_WORDS_FOR_LANGUAGE = 5
#: py3langid's normalised probability needed to call a segment another language.
LANGUAGE_CONFIDENCE = 0.95

SKIP_FILLER = "back-channel or too few content words"
SKIP_LANGUAGE = "another language"


@dataclass(frozen=True)
class Verdict:
    """Whether the machine codes a segment. ``skip``: why not (None: it does)."""

    skip: str | None
    language: str | None
    content_words: int


class MachineFilter:
    """Decides, per segment, whether rules and model may suggest codes on it."""

    def __init__(self, settings: MachineSettings) -> None:
        from themegrid.tag.nlp import shared_nlp

        self.settings = settings
        self._tokenizer = shared_nlp().tokenizer
        self._fillers = word_set("filler_words")

    def content_words(self, text: str) -> tuple[int, int]:
        """(content words, alphabetic words) of ``text``."""
        content = words = 0
        for token in self._tokenizer(text):
            if not token.is_alpha:
                continue
            words += 1
            lower = token.lower_
            if not token.is_stop and lower not in self._fillers:
                content += 1
        return content, words

    def examine(self, text: str, *, speaker_turn: bool) -> Verdict:
        """The verdict for one segment; ``speaker_turn``: a transcript turn (has a speaker)."""
        content, words = self.content_words(text)
        needed = self.settings.min_content_words
        if not speaker_turn:
            needed = min(needed, 1)
        if content < needed:
            return Verdict(SKIP_FILLER, None, content)
        language = None
        if words >= MIN_WORDS_FOR_LANGUAGE:
            lang, prob = _identifier().classify(text)
            language = str(lang)
            if language not in self.settings.languages and prob >= LANGUAGE_CONFIDENCE:
                return Verdict(f"{SKIP_LANGUAGE} ({language})", language, content)
            if language not in self.settings.languages:
                language = None  # not sure enough to call it another language
        return Verdict(None, language, content)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
