"""The spaCy pipeline: a blank English pipeline, lower-cased lookup lemmas, a sentencizer.

Nothing is downloaded: the lemma table comes from the ``spacy-lookups-data``
package that pip installs. Lemmas are looked up on the lower-cased token so
that "Pilots", "piloted" and "PILOTING" all have the lemma "pilot".
"""

from __future__ import annotations

from functools import lru_cache

import numpy
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from themegrid.segment.lexicon import english_word_forms

LEMMATIZER = "themegrid_lemmatizer"


class LowercaseLookupLemmatizer:
    """Sets ``token.lemma_`` from spaCy's English lookup table, keyed by the lower-cased text."""

    def __init__(self, nlp: Language) -> None:
        # spacy-lookups-data's table as a plain dict, read once per process and shared with
        # the "is this an English word" test (the same table: a lemma not listed maps to
        # itself either way), instead of a second copy in a spaCy Lookups Table.
        self._table = english_word_forms()
        self._strings = nlp.vocab.strings
        self._cache: dict[int, int] = {}

    def _lemma_of(self, lower: int) -> int:
        text = self._strings[lower]
        lemma = self._table.get(text, text)
        if not isinstance(lemma, str):
            lemma = text
        return self._strings.add(lemma.lower())

    def __call__(self, doc: Doc) -> Doc:
        self.lemmatize(doc)
        return doc

    def lemmatize(self, doc: Doc) -> tuple[list[int], list[int]]:
        """Set the lemmas of ``doc``; its ``LOWER`` and ``LEMMA`` columns, as the tagger
        reads them (so that it does not read them from the doc again)."""
        # Whole-doc arrays instead of a Token object per token; one table lookup per
        # vocabulary entry (the cache), then plain integer lookups.
        if not len(doc):
            return [], []
        cache = self._cache
        lowers: list[int] = doc.to_array("LOWER").tolist()
        try:  # usually every word was seen before: no set of this doc's words to build
            lemmas = list(map(cache.__getitem__, lowers))
        except KeyError:
            for lower in set(lowers).difference(cache):
                cache[lower] = self._lemma_of(lower)
            lemmas = list(map(cache.__getitem__, lowers))
        column = numpy.array(lemmas, dtype=numpy.uint64).reshape(-1, 1)
        doc.from_array(["LEMMA"], column)  # type: ignore[arg-type]
        return lowers, lemmas


@Language.factory(LEMMATIZER)
def _make_lemmatizer(nlp: Language, name: str) -> LowercaseLookupLemmatizer:
    return LowercaseLookupLemmatizer(nlp)


def make_nlp() -> Language:
    """A fresh pipeline: tokenizer, lower-cased lookup lemmatizer, sentencizer."""
    nlp = spacy.blank("en")
    nlp.add_pipe(LEMMATIZER)
    nlp.add_pipe("sentencizer")
    return nlp


@lru_cache(maxsize=1)
def shared_nlp() -> Language:
    """One pipeline per process; building it costs about a second."""
    return make_nlp()
