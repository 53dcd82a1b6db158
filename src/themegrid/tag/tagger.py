"""The rule tagger: a codebook's cues compiled into spaCy matchers.

Shaped like spaCy's ``SpanRuler``: phrase cues go to a ``PhraseMatcher`` on
``LOWER``, lemma cues to a ``PhraseMatcher`` on ``LEMMA`` (lower-cased lookup
lemmas, see :mod:`themegrid.tag.nlp`), token patterns to a ``Matcher``. Several
codes may match one segment and matches may overlap. As a pipeline component
(``nlp.add_pipe("themegrid_cues", config=...)``) it writes the matches to
``doc.spans["themegrid"]`` with the code id as label and the cue as ``id_``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from spacy.attrs import IDX, LEMMA, LENGTH, LOWER
from spacy.errors import MatchPatternError
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from themegrid.codebook import Code, Codebook, load_codebook
from themegrid.codebook.patterns import unknown_attribute_message
from themegrid.errors import CodebookError, Problem
from themegrid.segment.lexicon import english_word_forms
from themegrid.segment.units import PIECE_DOCS
from themegrid.tag.nlp import LowercaseLookupLemmatizer, shared_nlp

SPANS_KEY = "themegrid"
_SEP = "\x1f"
#: A cue word written in capitals (two or more letters).
_CAPITALS = re.compile(r"[A-Z]{2,}")


@dataclass(frozen=True)
class CueHit:
    """One cue matching in a text: which code, which cue, and where (character offsets)."""

    code_id: str
    cue: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Suggestion:
    """A code suggested for a text, with every cue hit that supports it."""

    code_id: str
    score: float
    hits: tuple[CueHit, ...]

    @property
    def reason(self) -> str:
        return _reason([(h.code_id, h.cue, h.start, h.end, h.text) for h in self.hits])

    def row(self) -> SuggestionRow:
        """What the store records of it (and what tagging workers send back: small to pickle)."""
        return SuggestionRow(self.code_id, self.score, self.reason)


class SuggestionRow(NamedTuple):
    """A suggestion as recorded: code, score, reason (no hit objects)."""

    code_id: str
    score: float
    reason: str


def _reason(hits: Sequence[tuple[str, str, int, int, str]]) -> str:
    """The first three hits (code, cue, start, end, text) in words, and how many more."""
    parts = [f'{cue} matched "{text}" at {start}-{end}' for _, cue, start, end, text in hits[:3]]
    more = f" (+{len(hits) - 3} more)" if len(hits) > 3 else ""
    return "; ".join(parts) + more


def _score(texts: Iterable[str]) -> float:
    """1 - 0.5^k for k distinct matched texts: one cue 0.5, two 0.75, three 0.875."""
    distinct = len({text.lower() for text in texts})
    return round(1 - 0.5**distinct, 4)


class CueRuler:
    """Compiled cues of one codebook."""

    def __init__(self, codebook: Codebook, nlp: Language | None = None) -> None:
        self.nlp = nlp or shared_nlp()
        vocab = self.nlp.vocab
        self.phrases = PhraseMatcher(vocab, attr="LOWER")
        self.lemmas = PhraseMatcher(vocab, attr="LEMMA")
        self.vetoes = PhraseMatcher(vocab, attr="LEMMA")
        # Token patterns run only on docs where their anchor token occurs (see _anchor):
        # spaCy's Matcher tries every pattern at every token, with Python-level
        # predicates for IN sets, which made it 90% of tagging time. An anchor is one
        # token, so "occurs" is set membership: anchor value (LEMMA or LOWER hash) ->
        # the patterns it anchors.
        self.anchors: dict[int, dict[int, list[str]]] = {LEMMA: {}, LOWER: {}}
        self.pattern_matchers: dict[str, Matcher] = {}
        self.pattern_lengths: dict[str, int | None] = {}
        self.pattern_needs: dict[str, list[tuple[int, frozenset[int]]]] = {}
        self.ungated: list[str] = []
        self.codes = tuple(c for c in codebook.codes if c.codable and c.cues.count())
        # Hits at the same offsets are listed in the order their cues were compiled
        # (codebook order; per code phrases, lemmas, patterns).
        self._rank: dict[int, int] = {}
        # Compiling is the check (compile_problems): only when it fails, or for the codes
        # not compiled here, are the cues checked one by one for the problems to report.
        self._empty_cue = False
        # cue hash -> (token offset, word in capitals) its matches must keep (_note_capitals)
        self._capitals: dict[int, tuple[tuple[int, str], ...]] = {}
        failed: Exception | None = None
        try:
            for code in self.codes:
                self._add(code)
        except (MatchPatternError, ValueError, TypeError, KeyError) as exc:
            failed = exc
        compiled = {c.id for c in self.codes} if failed is None and not self._empty_cue else set()
        problems = [
            p
            for code in codebook.codes
            if code.id not in compiled
            for p in _code_problems(code, self.nlp)
        ]
        if problems:
            raise CodebookError(problems, f"the codebook has {len(problems)} problem(s)")
        if failed is not None:
            raise failed
        self.anchor_values = {attr: frozenset(index) for attr, index in self.anchors.items()}
        # Patterns with no anchor share one Matcher, run only on docs where one of them
        # can match: one whose required tokens include a ``LOWER`` regular expression
        # needs a token whose lower-cased text it finds (checked once per vocabulary entry).
        self.ungated_matcher: Matcher | None = None
        self.ungated_regexes: list[list[re.Pattern[str]]] = []
        # Per regular expression: the LOWER values it was tried on, and those it finds.
        self._regex_seen: dict[re.Pattern[str], tuple[set[int], set[int]]] = {}
        if self.ungated:
            self.ungated_matcher = Matcher(vocab, validate=True)
            for code in self.codes:
                for i, pattern in enumerate(code.cues.patterns, 1):
                    key = f"{code.id}{_SEP}pattern cue #{i}"
                    if key in self.ungated:
                        self.ungated_matcher.add(key, [[dict(t) for t in pattern]])
                        regexes = _required_regexes(pattern)
                        self.ungated_regexes.append(regexes)
                        for regex in regexes:
                            self._regex_seen.setdefault(regex, (set(), set()))
        self._index_needs()

    def _note_capitals(self, key: str, cue: Doc) -> None:
        """A cue word in capitals that is also an English word ("IDEA", the disability law;
        "STEM"; "ACT") is an acronym only in capitals: its matches must keep them. Other
        capitals ("ESSA", "COVID") match in any case, as every cue does."""
        words = english_word_forms() if _CAPITALS.search(cue.text) else {}
        exact = tuple(
            (i, t.text)
            for i, t in enumerate(cue)
            if _CAPITALS.fullmatch(t.text)
            and (
                (lower := t.text.lower()) in words
                or (lower.endswith("s") and lower[:-1] in words)
                or lower in STOP_WORDS  # IT, US, WHO
            )
        )
        if exact:
            self._capitals[self.nlp.vocab.strings.add(key)] = exact

    def _keeps_capitals(self, doc: Doc, m_id: int, start: int) -> bool:
        exact = self._capitals.get(m_id)
        return exact is None or all(doc[start + i].text.startswith(w) for i, w in exact)

    def _lemma_docs(self, texts: Iterable[str]) -> list[Doc]:
        docs = [self.nlp(t) for t in texts]
        self._empty_cue = self._empty_cue or not all(docs)
        return docs

    def _ranked(self, key: str) -> str:
        self._rank.setdefault(self.nlp.vocab.strings.add(key), len(self._rank))
        return key

    def _add(self, code: Code) -> None:
        cues = code.cues
        for phrase in cues.phrases:
            key = self._ranked(f"{code.id}{_SEP}phrase cue '{phrase}'")
            doc = self.nlp.make_doc(phrase)
            self._empty_cue = self._empty_cue or not len(doc)
            self.phrases.add(key, [doc])
            self._note_capitals(key, doc)
        for lemma in cues.lemmas:
            key = self._ranked(f"{code.id}{_SEP}lemma cue '{lemma}'")
            docs = self._lemma_docs([lemma])
            self.lemmas.add(key, docs)
            self._note_capitals(key, docs[0])
        for i, pattern in enumerate(cues.patterns, 1):
            key = self._ranked(f"{code.id}{_SEP}pattern cue #{i}")
            matcher = Matcher(self.nlp.vocab, validate=True)
            matcher.add(key, [[dict(token) for token in pattern]])
            self.pattern_matchers[key] = matcher
            self.pattern_lengths[key] = _max_length(pattern)
            self.pattern_needs[key] = [
                (
                    LEMMA if attr == "LEMMA" else LOWER,
                    frozenset(self.nlp.vocab.strings.add(v) for v in values),
                )
                for attr, values in _required(pattern)
            ]
            anchor = _anchor(pattern)
            if anchor is None:
                self.ungated.append(key)
                continue
            attr, values = anchor
            index = self.anchors[LEMMA if attr == "LEMMA" else LOWER]
            for value in dict.fromkeys(values):
                index.setdefault(self.nlp.vocab.strings.add(value), []).append(key)
        if cues.veto:
            self.vetoes.add(code.id, self._lemma_docs(cues.veto))

    def __call__(self, doc: Doc) -> Doc:
        """As a pipeline component: write matches to ``doc.spans['themegrid']``."""
        spans = []
        for hit in self.hits(doc):
            span = doc.char_span(hit.start, hit.end, label=hit.code_id, alignment_mode="expand")
            if span is not None:
                span = Span(doc, span.start, span.end, label=hit.code_id, span_id=hit.cue)
                spans.append(span)
        doc.spans[SPANS_KEY] = spans
        return doc

    def _index_needs(self) -> None:
        """Bit masks that make "does every token a pattern requires occur?" one integer test.

        Each distinct (attribute, allowed values) requirement gets a bit; a value maps to
        the bits of the requirements it satisfies, a pattern to the bits it needs. A doc's
        satisfied bits are the union over the few of its values that any pattern requires.
        """
        bits: dict[tuple[int, frozenset[int]], int] = {}
        masks: dict[int, dict[int, int]] = {LEMMA: {}, LOWER: {}}
        self._key_masks: dict[str, int] = {}
        for key, needs in self.pattern_needs.items():
            mask = 0
            for attr, values in needs:
                bit = bits.setdefault((attr, values), 1 << len(bits))
                mask |= bit
                for value in values:
                    masks[attr][value] = masks[attr].get(value, 0) | bit
            self._key_masks[key] = mask
        self._need_masks = masks
        self._need_values = {attr: frozenset(m) for attr, m in masks.items()}
        # anchor value -> (pattern, its mask) per attribute: the mask test without lookups
        self._anchor_masks = {
            attr: {v: [(k, self._key_masks[k]) for k in keys] for v, keys in index.items()}
            for attr, index in self.anchors.items()
        }
        # Per gated pattern: how many tokens a match can have before and after its anchor.
        self._reach: dict[str, tuple[int, int] | None] = {}
        for code in self.codes:
            for i, pattern in enumerate(code.cues.patterns, 1):
                key = f"{code.id}{_SEP}pattern cue #{i}"
                if key in self.pattern_matchers and key not in self.ungated:
                    self._reach[key] = _reach(pattern)
        self._cue_names: dict[int, tuple[str, str]] = {}
        self._regex_tried: set[int] = set()

    def hits(self, doc: Doc) -> list[CueHit]:
        """Every cue match in ``doc`` whose code is not vetoed there."""
        return [CueHit(*hit) for hit in self._hits(doc)]

    def _hits(
        self, doc: Doc, text: str | None = None, columns: _Columns | None = None
    ) -> list[tuple[str, str, int, int, str]]:
        """:meth:`hits` as plain tuples (code, cue, start, end, text): no objects per hit.

        ``text``: the doc's text when the caller has it (``doc.text`` joins every token);
        ``columns``: its ``LEMMA`` and ``LOWER`` columns, when the caller has them.
        """
        strings = self.nlp.vocab.strings
        matches = {*self.phrases(doc), *self.lemmas(doc)}
        if self._capitals and matches:
            matches = {m for m in matches if self._keeps_capitals(doc, m[0], m[1])}
        if columns is None:
            columns = _Columns.of(doc)
        if self.ungated_matcher is not None and self._ungated_possible(columns):
            matches.update(self.ungated_matcher(doc))
        for key, windows in self._windows(columns).items():
            matcher = self.pattern_matchers[key]
            for start, end in windows:
                matches.update((m, start + s, start + e) for m, s, e in matcher(doc[start:end]))
        if not matches:
            return []
        vetoed = {strings[m_id] for m_id, _, _ in self.vetoes(doc)}
        rank, names = self._rank, self._cue_names
        text = doc.text if text is None else text
        out: list[tuple[str, str, int, int, str]] = []
        # a Span's offsets, without the Span (nor a Token per hit): first token's start,
        # last token's end, from two columns read once
        offsets = doc.to_array([IDX, LENGTH])
        starts: list[int] = offsets[:, 0].tolist()
        ends: list[int] = (offsets[:, 0] + offsets[:, 1]).tolist()
        for m_id, start, end in sorted(matches, key=lambda m: (m[1], m[2], rank[m[0]])):
            name = names.get(m_id)
            if name is None:
                code_id, cue = strings[m_id].split(_SEP, 1)
                name = names[m_id] = (code_id, cue)
            if name[0] in vetoed:
                continue
            first, last = starts[start], ends[end - 1]
            out.append((name[0], name[1], first, last, text[first:last]))
        return out

    def _ungated_possible(self, columns: _Columns) -> bool:
        """Whether any pattern without an anchor could match (see ``__init__``).

        Each regular expression is tried once per vocabulary entry; a doc then costs
        set operations only.
        """
        lowers = columns.sets[LOWER]
        new = lowers - self._regex_tried
        if new:
            strings = self.nlp.vocab.strings
            self._regex_tried |= new
            for regex, (_tried, found) in self._regex_seen.items():
                found.update(v for v in new if regex.search(strings[v]))
        for regexes in self.ungated_regexes:
            if all(not self._regex_seen[r][1].isdisjoint(lowers) for r in regexes):
                return True
        return False

    def _windows(self, columns: _Columns) -> dict[str, list[tuple[int, int]]]:
        """For each pattern whose anchor occurs: the token windows where a match could lie.

        A pattern is kept only when every token it requires occurs in the doc, and a
        window only when they all occur inside it (a match lies inside its window and
        contains its required tokens), so most anchors never reach the ``Matcher``.
        """
        n, sets, lists = columns.n, columns.sets, columns.lists
        satisfied = 0
        for attr, need_masks in self._need_masks.items():
            for value in sets[attr] & self._need_values[attr]:
                satisfied |= need_masks[value]
        positions: dict[str, list[int]] = {}
        for attr, index in self._anchor_masks.items():
            present = sets[attr] & self.anchor_values[attr]
            if not present:
                continue
            kept_here: dict[int, list[str]] = {}
            for value in present:
                keys = [k for k, mask in index[value] if mask & satisfied == mask]
                if keys:
                    kept_here[value] = keys
            if not kept_here:
                continue
            for i in [i for i, value in enumerate(lists[attr]) if value in kept_here]:
                for key in kept_here[lists[attr][i]]:
                    positions.setdefault(key, []).append(i)
        out: dict[str, list[tuple[int, int]]] = {}
        for key, starts in positions.items():
            reach = self._reach[key]
            spans: list[tuple[int, int]]
            if reach is None:
                spans = [(0, n)]  # every token this pattern requires occurs in the doc
            else:
                before, after = reach
                spans = []
                for start in sorted(set(starts)):
                    a, b = max(0, start - before), min(n, start + after + 1)
                    if spans and a <= spans[-1][1]:
                        spans[-1] = (spans[-1][0], max(spans[-1][1], b))
                    else:
                        spans.append((a, b))
                needs = self.pattern_needs[key]
                spans = [
                    (a, b)
                    for a, b in spans
                    if all(not values.isdisjoint(lists[attr][a:b]) for attr, values in needs)
                ]
            if spans:
                out[key] = spans
        return out

    def suggest(self, doc: Doc) -> list[Suggestion]:
        grouped: dict[str, list[CueHit]] = {}
        for hit in self.hits(doc):
            grouped.setdefault(hit.code_id, []).append(hit)
        out = []
        for code_id, hits in grouped.items():
            ordered = tuple(sorted(hits, key=lambda h: (h.start, h.end)))
            out.append(Suggestion(code_id, _score(h.text for h in ordered), ordered))
        out.sort(key=lambda s: s.code_id)
        return out

    def suggestion_rows(
        self, doc: Doc, text: str | None = None, columns: _Columns | None = None
    ) -> list[SuggestionRow]:
        """``[s.row() for s in self.suggest(doc)]``, without the hit and suggestion objects.

        ``text``: the text ``doc`` was made from, when the caller has it; ``columns``: its
        ``LEMMA`` and ``LOWER`` columns, when the caller has them.
        """
        grouped: dict[str, list[tuple[str, str, int, int, str]]] = {}
        for hit in self._hits(doc, text, columns):
            grouped.setdefault(hit[0], []).append(hit)
        out = []
        for code_id in sorted(grouped):
            ordered = sorted(grouped[code_id], key=lambda h: (h[2], h[3]))
            out.append(SuggestionRow(code_id, _score(h[4] for h in ordered), _reason(ordered)))
        return out


class _Columns:
    """A doc's ``LEMMA`` and ``LOWER`` columns, as lists and as sets (by attribute id)."""

    def __init__(self, lemmas: list[int], lowers: list[int]) -> None:
        self.n = len(lowers)
        self.lists = {LEMMA: lemmas, LOWER: lowers}
        self.sets = {LEMMA: set(lemmas), LOWER: set(lowers)}

    @classmethod
    def of(cls, doc: Doc) -> _Columns:
        if not len(doc):
            return cls([], [])
        array = doc.to_array([LEMMA, LOWER])
        return cls(array[:, 0].tolist(), array[:, 1].tolist())


def _max_length(pattern: tuple[Mapping[str, Any], ...]) -> int | None:
    """The most tokens a match can span, or None when unbounded (``*``, ``+``, ``{n,}``)."""
    total = 0
    for token in pattern:
        op = token.get("OP")
        if op in (None, "!", "?"):
            total += 1
        elif isinstance(op, str) and op.startswith("{") and op.endswith("}"):
            high = op[1:-1].split(",")[-1].strip()
            if not high.isdigit():
                return None
            total += int(high)
        else:
            return None
    return total


def _reach(pattern: tuple[Mapping[str, Any], ...]) -> tuple[int, int] | None:
    """The most tokens a match can have before and after the pattern's anchor token.

    None when either is unbounded or the anchor itself may repeat (``+``).
    """
    anchor = _anchor(pattern)
    for k, token in enumerate(pattern):
        if token.get("OP") is None and anchor in _required((token,)):
            before, after = _max_length(pattern[:k]), _max_length(pattern[k + 1 :])
            return None if before is None or after is None else (before, after)
    return None


def _required(pattern: tuple[Mapping[str, Any], ...]) -> list[tuple[str, list[str]]]:
    """(attribute, allowed values) of every token a match must contain, where known."""
    out = []
    for token in pattern:
        if token.get("OP") not in (None, "+"):
            continue
        for attr in ("LEMMA", "LOWER"):
            value = token.get(attr)
            if isinstance(value, str):
                out.append((attr, [value.lower()]))
            elif isinstance(value, dict) and set(value) == {"IN"} and value["IN"]:
                out.append((attr, [str(v).lower() for v in value["IN"]]))
            else:
                continue
            break
    return out


def _required_regexes(pattern: tuple[Mapping[str, Any], ...]) -> list[re.Pattern[str]]:
    """``LOWER`` regular expressions of tokens a match must contain (as the Matcher searches)."""
    out = []
    for token in pattern:
        if token.get("OP") not in (None, "+"):
            continue
        value = token.get("LOWER")
        if isinstance(value, dict) and set(value) == {"REGEX"} and isinstance(value["REGEX"], str):
            out.append(re.compile(value["REGEX"]))
    return out


def _anchor(pattern: tuple[Mapping[str, Any], ...]) -> tuple[str, list[str]] | None:
    """The most selective required token: no stop word among its values, fewest values.

    None when no token qualifies (the pattern then runs on every text).
    """
    candidates = _required(pattern)
    if not candidates:
        return None
    return min(candidates, key=lambda c: (any(v in STOP_WORDS for v in c[1]), len(c[1])))


@Language.factory(
    "themegrid_cues",
    default_config={"codebook_path": None},
)
def _make_cue_ruler(nlp: Language, name: str, codebook_path: str | None) -> CueRuler:
    if codebook_path is None:
        raise ValueError("themegrid_cues needs config={'codebook_path': 'path/to/codebook'}")
    return CueRuler(load_codebook(codebook_path), nlp)


class RuleTagger:
    """Tags texts with a codebook's cues."""

    def __init__(self, codebook: Codebook, nlp: Language | None = None) -> None:
        self.codebook = codebook
        self.ruler = CueRuler(codebook, nlp)
        self.nlp = self.ruler.nlp

    def tag(self, text: str) -> list[Suggestion]:
        return self.ruler.suggest(self._make(text))

    def tag_many(self, texts: Iterable[str]) -> Iterator[list[Suggestion]]:
        """Suggestions for each text, in order. Runs only tokenizer and lemmatizer.

        A text segmentation already tokenized in this process (a piece of a long unit,
        see :data:`themegrid.segment.units.PIECE_DOCS`) is not tokenized again.
        """
        for doc, _, _ in self._docs(texts):
            yield self.ruler.suggest(doc)

    def rows_many(self, texts: Iterable[str]) -> Iterator[list[SuggestionRow]]:
        """:meth:`tag_many` as the rows the store records (``Suggestion.row``), made directly."""
        for doc, text, columns in self._docs(texts):
            yield self.ruler.suggestion_rows(doc, text, columns)

    def _docs(self, texts: Iterable[str]) -> Iterator[tuple[Doc, str, _Columns | None]]:
        """Each text's doc (tokenizer and lemmatizer), with the text it was made from and,
        from the lemmatizer, its token columns (None: the pipeline is not the one
        ``make_nlp`` builds, and the matcher reads them from the doc).

        The steps are called one by one (``nlp.pipe`` costs a third of the tokenizer's
        time again per doc).
        """
        tokenizer = self.nlp.tokenizer
        steps = [proc for name, proc in self.nlp.pipeline if name != "sentencizer"]
        lemmatizer = (
            steps[0]
            if len(steps) == 1 and isinstance(steps[0], LowercaseLookupLemmatizer)
            else None
        )
        shelf = PIECE_DOCS if len(PIECE_DOCS) else None
        for text in texts:
            doc = (shelf.take(text, self.nlp.vocab) if shelf is not None else None) or tokenizer(
                text
            )
            if lemmatizer is not None:
                lowers, lemmas = lemmatizer.lemmatize(doc)
                yield doc, text if shelf is None else doc.text, _Columns(lemmas, lowers)
                continue
            for proc in steps:
                doc = proc(doc)
            yield doc, text if shelf is None else doc.text, None

    def _make(self, text: str) -> Doc:
        with self.nlp.select_pipes(disable=["sentencizer"]):
            return self.nlp(text)


def compile_problems(codebook: Codebook, nlp: Language | None = None) -> list[Problem]:
    """Problems with cues that spaCy would reject, each at its pattern's line."""
    nlp = nlp or shared_nlp()
    return [p for code in codebook.codes for p in _code_problems(code, nlp)]


def _code_problems(code: Code, nlp: Language) -> list[Problem]:
    problems: list[Problem] = []
    where = f"code {code.id}"
    lines = code.cues.pattern_lines
    for i, pattern in enumerate(code.cues.patterns, 1):
        line = lines[i - 1] if len(lines) >= i else code.line
        matcher = Matcher(nlp.vocab, validate=True)
        try:
            matcher.add("check", [[dict(token) for token in pattern]])
        except (MatchPatternError, ValueError, TypeError, KeyError) as exc:
            problems.append(Problem(_pattern_message(i, pattern, exc), code.file, line, where))
    for kind, items in (
        ("phrases", code.cues.phrases),
        ("lemmas", code.cues.lemmas),
        ("veto", code.cues.veto),
    ):
        for item in items:
            if not len(nlp.make_doc(item)):
                problems.append(Problem(f"empty cue in '{kind}'", code.file, code.line, where))
    return problems


def _pattern_message(number: int, pattern: tuple[Mapping[str, Any], ...], exc: Exception) -> str:
    unknown = unknown_attribute_message(number, pattern)
    if unknown:
        return unknown
    detail = " ".join(line.strip() for line in str(exc).strip().splitlines() if line.strip())[:200]
    return (
        f"token pattern #{number} is not a valid spaCy Matcher pattern ({detail}); "
        "see https://spacy.io/usage/rule-based-matching"
    )


@dataclass(frozen=True)
class ExampleCheck:
    """The result of running one code's examples and counterexamples through the cues."""

    code_id: str
    missed_examples: tuple[str, ...]
    hit_counterexamples: tuple[str, ...]
    n_examples: int
    n_counterexamples: int

    @property
    def ok(self) -> bool:
        return not self.missed_examples and not self.hit_counterexamples


def check_examples(codebook: Codebook, tagger: RuleTagger | None = None) -> list[ExampleCheck]:
    """A codebook's own tests: examples must be found by their code's cues, counterexamples not."""
    tagger = tagger or RuleTagger(codebook)
    out = []
    for code in codebook.codable:
        missed = tuple(
            e for e in code.examples if code.id not in {s.code_id for s in tagger.tag(e)}
        )
        hit = tuple(
            e for e in code.counterexamples if code.id in {s.code_id for s in tagger.tag(e)}
        )
        out.append(
            ExampleCheck(code.id, missed, hit, len(code.examples), len(code.counterexamples))
        )
    return out
