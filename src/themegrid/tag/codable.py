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
* **Language** is judged on segments with at least :data:`MIN_WORDS_FOR_LANGUAGE`
  words (shorter ones are too short to tell and keep the codebook's language),
  by their function words first and ``py3langid`` (its model ships inside the
  wheel) only where those cannot decide:

  1. When the codebook declares English, a segment whose letters are all ASCII
     and where at least one word in :data:`ENGLISH_SHARE` (and two in all) is an
     English function word no other language shares
     (``segment/data/english_function_words.txt``: "the", "that", "with", "they";
     written by ``scripts/english_function_words.py`` from spaCy's stop-word lists)
     is English. On the real transcripts and reports in ``../shared/devdata`` this
     decides 80% of segments, and none of them had been called another language
     by the classifier; no non-English sentence among spaCy's example sentences
     passes it.
  2. Otherwise the classifier judges the first :data:`LANGUAGE_SAMPLE` characters.
     A language the codebook declares is kept. Another language is the verdict
     (the segment is not machine-coded) when the classifier is sure of it (a
     normalised probability of at least :data:`LANGUAGE_CONFIDENCE`), or when the
     segment is *mostly* in it: its function words (spaCy's stop words for that
     language, less those the declared languages share) outnumber the declared
     languages' own and number at least two. A German or Spanish sentence with a
     few English nouns ("Wir hatten Probleme mit dem funding und dem staffing")
     is written in German grammar, whatever its nouns, and gets no English cue
     suggestion; a list of English terms with one foreign word stays English.

  The classifier's model (about a second to load) is loaded on first need, once
  per process.
* **Transcriber's notes**: a segment that is one bracketed note and nothing else
  (:data:`NOTE_RE`: "(The participant reads the home tab text)", "[laughter]") describes
  what happened; nobody said it.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from themegrid.codebook.model import MachineSettings
from themegrid.segment.lexicon import word_set

#: A word: letters, with inner apostrophes ("didn't", "we're"); digits and symbols are not words.
WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
#: A letter outside ASCII ("é", "ß", "ñ", any non-Latin script): the classifier is asked.
NON_ASCII_LETTER = re.compile(r"[^\W\d_a-zA-Z]")
#: Fewer words than this: too short to tell the language; the codebook's is assumed.
MIN_WORDS_FOR_LANGUAGE = 5
#: English without the classifier: at least one word in this many is an English-only
#: function word (and at least :data:`MIN_FUNCTION_WORDS`; the letters all ASCII).
ENGLISH_SHARE = 10
#: Function words needed to call a segment mostly in one language.
MIN_FUNCTION_WORDS = 2
#: Characters of a segment the language is judged on (langid's cost grows with length;
#: 400 characters are 60-80 words, plenty to tell a language).
LANGUAGE_SAMPLE = 400
#: py3langid's normalised probability needed to call a segment another language.
LANGUAGE_CONFIDENCE = 0.95

SKIP_FILLER = "back-channel or too few content words"
SKIP_LANGUAGE = "another language"
SKIP_NOTE = "transcriber's note"
#: Text word for word in several documents: a protocol, script or template (see
#: ``MachineSettings.repeated_in_documents``); decided over the corpus, not per segment.
SKIP_REPEATED = "the same text in several documents (a protocol, script or template)"
#: Fewest words a repeated text needs to be set aside (shorter ones are fillers' business).
REPEATED_MIN_WORDS = 4
#: A segment that is one bracketed note and nothing else: the transcriber describing, not
#: the speaker speaking ("(The participant reads the home tab text)", "[laughter]",
#: "[crosstalk 00:12:13]").
NOTE_RE = re.compile(r"\s*(?:\([^()]*\)|\[[^\[\]]*\])\s*")


@dataclass(frozen=True)
class Verdict:
    """Whether the machine codes a segment. ``skip``: why not (None: it does)."""

    skip: str | None
    language: str | None
    content_words: int


_NOT_CONTENT, _CONTENT, _ENGLISH_ONLY = 0, 1, 2


class MachineFilter:
    """Decides, per segment, whether rules and model may suggest codes on it."""

    def __init__(self, settings: MachineSettings) -> None:
        self.settings = settings
        self._not_content = _stop_words("en") | word_set("filler_words")
        self._english_only = word_set("english_function_words")
        self._english_first = "en" in settings.languages
        # Per distinct word as it is written: its base (lower-cased, contraction cut)
        # and its kind; a segment then costs one dictionary lookup per word.
        self._bases: dict[str, str] = {}
        self._kinds: dict[str, int] = {}

    def load_classifier(self) -> None:
        """Load the language classifier now, not at the first segment that needs it.

        Called before worker processes fork, so that they share the one the parent
        loaded (about a second of CPU each) instead of each loading its own.
        """
        _identifier()

    def _learn(self, word: str) -> int:
        base = word.lower()
        if base.endswith("n't"):
            base = base[:-3]  # "didn't" -> "did", as spaCy's tokenizer splits it
        base = base.split("'", 1)[0]  # "we're" -> "we"
        self._bases[word] = base
        if base in self._english_only:
            kind = _ENGLISH_ONLY
        elif base in self._not_content:
            kind = _NOT_CONTENT
        else:
            kind = _CONTENT
        self._kinds[word] = kind
        return kind

    def _words(self, text: str) -> tuple[list[str], list[int]]:
        words = WORD_RE.findall(text.replace("\u2019", "'"))
        kinds = self._kinds
        return words, [kinds[w] if w in kinds else self._learn(w) for w in words]

    def content_words(self, text: str) -> tuple[int, int]:
        """(content words, alphabetic words) of ``text``."""
        words, kinds = self._words(text)
        return kinds.count(_CONTENT), len(words)

    def examine(self, text: str, *, speaker_turn: bool) -> Verdict:
        """The verdict for one segment; ``speaker_turn``: a transcript turn (has a speaker)."""
        words, kinds = self._words(text)
        content = kinds.count(_CONTENT)
        if NOTE_RE.fullmatch(text):
            return Verdict(SKIP_NOTE, None, content)
        needed = self.settings.min_content_words
        if not speaker_turn:
            needed = min(needed, 1)
        if content < needed:
            return Verdict(SKIP_FILLER, None, content)
        if len(words) < MIN_WORDS_FOR_LANGUAGE:
            return Verdict(None, None, content)
        if self._english_first and self._english(text, kinds):
            return Verdict(None, "en", content)
        lang, prob = _identifier().classify(text[:LANGUAGE_SAMPLE])
        language = str(lang)
        if language in self.settings.languages:
            return Verdict(None, language, content)
        if prob >= LANGUAGE_CONFIDENCE or self._mostly(words, language):
            return Verdict(f"{SKIP_LANGUAGE} ({language})", language, content)
        return Verdict(None, None, content)  # not sure enough to call it another language

    def english_by_function_words(self, text: str) -> bool:
        """Whether ``text`` is English by its function words alone (rule 1 above)."""
        return self._english(text, self._words(text)[1])

    def _english(self, text: str, kinds: list[int]) -> bool:
        english = kinds.count(_ENGLISH_ONLY)
        return (
            english >= MIN_FUNCTION_WORDS
            and english * ENGLISH_SHARE >= len(kinds)
            and not NON_ASCII_LETTER.search(text)
        )

    def _mostly(self, words: list[str], language: str) -> bool:
        """Whether ``language``'s function words outnumber the declared languages' in ``words``."""
        theirs = _stop_words(language)
        if not theirs:
            return False
        ours = _declared_stop_words(self.settings.languages)
        bases = [self._bases[w] for w in words]
        foreign = sum(1 for b in bases if b in theirs and b not in ours)
        declared = sum(1 for b in bases if b in ours and b not in theirs)
        return foreign >= MIN_FUNCTION_WORDS and foreign > declared


@cache
def _declared_stop_words(languages: tuple[str, ...]) -> frozenset[str]:
    """The stop words of all the codebook's languages (worked out once per codebook)."""
    return frozenset().union(*(_stop_words(lang) for lang in languages))


@cache
def _stop_words(language: str) -> frozenset[str]:
    """spaCy's stop words for a language (empty when spaCy has none for it).

    Read from the language's ``stop_words.py`` alone: importing ``spacy.lang.<code>``
    builds its tokenizer rules (60 ms a language, seconds over the languages the
    classifier names for fragments); the stop-word modules import nothing.
    """
    if language == "en":  # imported here: a warm run that tags nothing imports no spaCy
        from spacy.lang.en.stop_words import STOP_WORDS

        return frozenset(STOP_WORDS)
    import spacy.lang

    path = Path(spacy.lang.__path__[0]) / language / "stop_words.py"
    if not language.isalpha() or not path.is_file():
        return frozenset()
    spec = importlib.util.spec_from_file_location(f"_themegrid_stop_words_{language}", path)
    if spec is None or spec.loader is None:
        return frozenset()
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(str(w).lower() for w in getattr(module, "STOP_WORDS", ()))


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from themegrid.tag.langid_cache import load_identifier

    return load_identifier()
