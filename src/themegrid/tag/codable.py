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

* **Content words** are words (runs of letters, :data:`WORD_RE`; contractions
  are judged by their first part, "didn't" as "did", as spaCy's tokenizer
  splits them) that are not stop words (spaCy's English ``STOP_WORDS``, what
  ``is_stop`` reads in the blank pipeline; a regular expression is 15 times
  faster than the tokenizer and agreed on 98% of content words in 5,000
  abstract sentences) and not fillers
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

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from themegrid.codebook.model import MachineSettings
from themegrid.segment.lexicon import word_set

#: A word: letters, with inner apostrophes ("didn't", "we're"); digits and symbols are not words.
WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
#: Fewer words than this: too short to tell the language; the codebook's is assumed.
MIN_WORDS_FOR_LANGUAGE = 5
#: Characters of a segment the language is judged on (langid's cost grows with length;
#: 400 characters are 60-80 words, plenty to tell a language).
LANGUAGE_SAMPLE = 400
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
        from spacy.lang.en.stop_words import STOP_WORDS

        self.settings = settings
        self._not_content = frozenset(STOP_WORDS) | word_set("filler_words")

    def content_words(self, text: str) -> tuple[int, int]:
        """(content words, alphabetic words) of ``text``."""
        content = words = 0
        for word in WORD_RE.findall(text.replace("\u2019", "'")):
            words += 1
            base = word.lower()
            if base.endswith("n't"):
                base = base[:-3]  # "didn't" -> "did", as spaCy's tokenizer splits it
            base = base.split("'", 1)[0]  # "we're" -> "we"
            if base not in self._not_content:
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
            lang, prob = _identifier().classify(text[:LANGUAGE_SAMPLE])
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
