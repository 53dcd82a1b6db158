"""From a read document to segments, the units of coding.

One segment per turn, paragraph or row; a unit longer than ``max_chars`` is
split at sentence boundaries (the spaCy pipeline is run on long units only).
Offsets are exact: ``raw.text[seg.start:seg.end] == seg.text`` always.

Segment ids are stable (see :mod:`themegrid.segment.ids`): a hash of the
document path, the speaker, the text with whitespace collapsed, and the
ordinal of that same (speaker, text) among earlier segments of the document.
Editing one paragraph changes only its own segments' ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from themegrid.models import RawDocument, Segment, Unit
from themegrid.segment.ids import segment_id
from themegrid.segment.interviewer import infer_interviewers
from themegrid.segment.paragraphs import trim_span


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
    chunk_start: int | None = None
    chunk_end = start
    for s_start, s_end in _sentences(text[start:end], nlp):
        a, b = start + s_start, start + s_end
        if chunk_start is not None and b - chunk_start > max_chars:
            yield trim_span(text, chunk_start, chunk_end)
            chunk_start = None
        if chunk_start is None:
            chunk_start = a
        chunk_end = b
    if chunk_start is not None:
        yield trim_span(text, chunk_start, end)


def _sentences(text: str, nlp: Any) -> list[tuple[int, int]]:
    limit = int(getattr(nlp, "max_length", 1_000_000))
    if len(text) > limit:  # spaCy refuses longer texts (E088): split at whitespace first
        spans: list[tuple[int, int]] = []
        pos = 0
        while pos < len(text):
            cut = min(pos + limit, len(text))
            if cut < len(text):
                space = max(text.rfind(" ", pos + 1, cut), text.rfind("\n", pos + 1, cut))
                cut = space if space > pos else cut
            spans.extend((pos + a, pos + b) for a, b in _sentences(text[pos:cut], nlp))
            pos = cut
        return spans
    if "sentencizer" in nlp.pipe_names:
        doc = nlp.get_pipe("sentencizer")(nlp.make_doc(text))
    else:
        doc = nlp(text)
    spans = [(s.start_char, s.end_char) for s in doc.sents]
    return spans or [(0, len(text))]
