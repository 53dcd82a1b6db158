"""From a read document to segments, the units of coding.

One segment per turn, paragraph or row; a unit longer than ``max_chars`` is
split at sentence boundaries (the spaCy pipeline is run on long units only).
Offsets are exact: ``raw.text[seg.start:seg.end] == seg.text`` always.

Tokenize once: the doc of each piece cut from a long unit is kept on
:data:`PIECE_DOCS` for the tagger, which takes it instead of tokenizing the
piece's text again. Only pieces whose both ends touch whitespace (or the unit's
ends) are kept: spaCy's tokenizer splits the text at whitespace first and
tokenizes each run on its own, so such a piece's tokens are exactly those of
its text tokenized alone.

Segment ids are stable (see :mod:`themegrid.segment.ids`): a hash of the
document path, the speaker, the text with whitespace collapsed, and the
ordinal of that same (speaker, text) among earlier segments of the document.
Editing one paragraph changes only its own segments' ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # spaCy is imported only where a long unit is split (a warm run imports none)
    import numpy
    from spacy.tokens import Doc, Span
    from spacy.vocab import Vocab

from themegrid.models import RawDocument, Segment, Unit
from themegrid.segment.ids import segment_id
from themegrid.segment.interviewer import infer_interviewers
from themegrid.segment.paragraphs import trim_span


class DocShelf:
    """Pieces' tokens by text, for the tagger to take back as docs.

    Kept compact (token ``ORTH`` hashes and spacing, 16 bytes a token; a ``Doc`` costs
    about 200) and bounded: at most ``max_tokens`` tokens, the oldest dropped first.
    """

    def __init__(self, max_tokens: int = 3_000_000) -> None:
        self.max_tokens = max_tokens
        self._kept: dict[str, tuple[Vocab, numpy.ndarray]] = {}
        self._tokens = 0

    def __len__(self) -> int:
        return len(self._kept)

    def put(self, text: str, span: Span, rows: numpy.ndarray) -> None:
        """Keep the tokens of ``span`` (whose text is ``text``) as a doc of its own.

        ``rows``: the span's doc as ``to_array([ORTH, SPACY])``.
        """
        if text in self._kept or not len(span):
            return
        rows = rows[span.start : span.end]
        self._kept[text] = (span.doc.vocab, rows)
        self._tokens += len(rows)
        while self._tokens > self.max_tokens and self._kept:
            oldest = next(iter(self._kept))
            self._tokens -= len(self._kept.pop(oldest)[1])

    def take(self, text: str, vocab: Vocab) -> Doc | None:
        """The doc of ``text`` as its own text tokenized alone, if kept (and with ``vocab``)."""
        kept = self._kept.pop(text, None)
        if kept is None:
            return None
        self._tokens -= len(kept[1])
        if kept[0] is not vocab:
            return None
        from spacy.tokens import Doc

        strings = vocab.strings
        orths, spaces = kept[1][:, 0].tolist(), kept[1][:, 1].astype(bool).tolist()
        spaces[-1] = False  # the piece ends there: no trailing space
        return Doc(vocab, words=[strings[o] for o in orths], spaces=spaces)

    def clear(self) -> None:
        self._kept.clear()
        self._tokens = 0


#: Docs of the pieces of long units segmented in this process (see the module docstring).
PIECE_DOCS = DocShelf()


@dataclass(frozen=True)
class _Piece:
    unit: Unit
    start: int
    end: int


def segment_document(
    raw: RawDocument,
    nlp: Any,
    *,
    max_chars: int = 1500,
    interviewer_labels: Collection[str] = (),
) -> list[Segment]:
    """Split ``raw`` into segments; ``nlp`` is a spaCy pipeline with sentence boundaries."""
    labels = [*interviewer_labels, *_header_interviewers(raw)]
    interviewers = _interviewers(raw, labels)
    seen: Counter[tuple[str, str]] = Counter()
    segments: list[Segment] = []
    for piece in _pieces(raw, nlp, max_chars):
        text = raw.text[piece.start : piece.end]
        speaker = piece.unit.speaker
        key = (speaker or "", " ".join(text.split()))
        ordinal = seen[key]
        seen[key] += 1
        segments.append(
            Segment(
                id=segment_id(raw.path, key[0], key[1], ordinal),
                document_path=raw.path,
                seq=len(segments),
                start=piece.start,
                end=piece.end,
                text=text,
                speaker=speaker,
                is_interviewer=speaker in interviewers,
                t_start=piece.unit.t_start,
                t_end=piece.unit.t_end,
                row_id=piece.unit.row_id,
            )
        )
    return segments


def _header_interviewers(raw: RawDocument) -> list[str]:
    return [v for k, v in raw.header_attributes.items() if k in {"interviewer", "moderator"} and v]


def _interviewers(raw: RawDocument, labels: Collection[str]) -> frozenset[str]:
    turns = ((u.speaker, raw.text[u.start : u.end]) for u in raw.units if u.speaker)
    return infer_interviewers(turns, labels)


def _pieces(raw: RawDocument, nlp: Any, max_chars: int) -> Iterator[_Piece]:
    for unit in raw.units:
        start, end = trim_span(raw.text, unit.start, unit.end)
        if start >= end:
            continue
        if end - start <= max_chars:
            yield _Piece(unit, start, end)
        else:
            for a, b in _split_long(raw.text, start, end, nlp, max_chars):
                if a < b:
                    yield _Piece(unit, a, b)


def _split_long(
    text: str, start: int, end: int, nlp: Any, max_chars: int
) -> Iterator[tuple[int, int]]:
    """Greedy packing of whole sentences into chunks of at most ``max_chars``.

    A single sentence longer than ``max_chars`` stays whole.
    """
    spans, doc = _sentences(text[start:end], nlp)
    chunks: list[tuple[int, int]] = []
    chunk_start: int | None = None
    chunk_end = start
    for s_start, s_end in spans:
        a, b = start + s_start, start + s_end
        if chunk_start is not None and b - chunk_start > max_chars:
            chunks.append(trim_span(text, chunk_start, chunk_end))
            chunk_start = None
        if chunk_start is None:
            chunk_start = a
        chunk_end = b
    if chunk_start is not None:
        chunks.append(trim_span(text, chunk_start, end))
    if doc is not None:
        from spacy.attrs import ORTH, SPACY

        rows = doc.to_array([ORTH, SPACY])
        for a, b in chunks:
            if a < b:
                _keep_piece(text, start, end, a, b, doc, rows)
    yield from chunks


def _keep_piece(
    text: str, start: int, end: int, a: int, b: int, doc: Doc, rows: numpy.ndarray
) -> None:
    """Put the piece ``text[a:b]`` of the unit ``text[start:end]`` (tokenized as ``doc``) on the shelf."""
    if not (a == start or text[a - 1].isspace()) or not (b == end or text[b].isspace()):
        return  # a piece cut inside a run of non-space characters: tokenized again
    span = doc.char_span(a - start, b - start)
    if span is not None:
        PIECE_DOCS.put(text[a:b], span, rows)


def _sentences(text: str, nlp: Any) -> tuple[list[tuple[int, int]], Doc | None]:
    """Sentence spans of ``text``, and its doc (None when it was cut to fit spaCy's limit)."""
    limit = int(getattr(nlp, "max_length", 1_000_000))
    if len(text) > limit:  # spaCy refuses longer texts (E088): split at whitespace first
        spans: list[tuple[int, int]] = []
        pos = 0
        while pos < len(text):
            cut = min(pos + limit, len(text))
            if cut < len(text):
                space = max(text.rfind(" ", pos + 1, cut), text.rfind("\n", pos + 1, cut))
                cut = space if space > pos else cut
            spans.extend((pos + a, pos + b) for a, b in _sentences(text[pos:cut], nlp)[0])
            pos = cut
        return spans, None
    if "sentencizer" in nlp.pipe_names:
        doc = nlp.get_pipe("sentencizer")(nlp.make_doc(text))
    else:
        doc = nlp(text)
    spans = [(s.start_char, s.end_char) for s in doc.sents]
    return spans or [(0, len(text))], doc
