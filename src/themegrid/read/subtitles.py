"""Subtitles from Zoom, Otter, Teams and the like (.vtt via webvtt-py, .srt).

A cue's speaker comes from a voice span (``<v Jane Doe>``) or a ``Name:``
prefix that recurs across cues. Consecutive cues by the same speaker are
merged into one turn, which keeps the first cue's start and the last cue's
end time. The document text reads like a transcript: ``Speaker: words``, one
turn per paragraph; each unit covers the words only.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from themegrid.errors import InputFileError, MissingDependency
from themegrid.models import RawDocument, Unit
from themegrid.read import ReadRequest, register
from themegrid.read.repair import decode_bytes, repair_text
from themegrid.segment.labels import is_name_or_role, normalise_speaker, parse_timestamp

_TIMING_RE = re.compile(
    r"^\s*(\d{1,2}:\d{2}(?::\d{2})?[.,]\d{1,3})\s*-->\s*(\d{1,2}:\d{2}(?::\d{2})?[.,]\d{1,3})"
)
_NAME_PREFIX_RE = re.compile(r"^\s*(?:-\s*)?([^\W\d_][\w.'’\- ]{0,38}?)\s*:\s+(?=\S)")
_TAG_RE = re.compile(r"</?[^>\n]+>")
_VOICE_RE = re.compile(r"<v(?:\.[\w.]+)?\s+([^>]+)>")
#: Cues without a speaker are merged up to this length or this pause, so times stay useful.
_UNLABELLED_MAX_CHARS = 1000
_UNLABELLED_MAX_GAP = 2.0


@dataclass(frozen=True)
class Cue:
    """One subtitle cue: times in seconds, its text, and its speaker if given."""

    start: float
    end: float
    text: str
    speaker: str | None = None


@register(".vtt")
def read_vtt(request: ReadRequest) -> RawDocument:
    text, notes = _decoded(request)
    return _vtt_document(request, text, notes)


def _vtt_document(request: ReadRequest, text: str, notes: list[str]) -> RawDocument:
    try:
        import webvtt
    except ImportError as exc:
        raise MissingDependency("Reading .vtt files", "webvtt-py", "vtt") from exc
    try:
        captions = list(webvtt.from_string(text).captions)
    except Exception as exc:
        raise InputFileError(
            request.display_path,
            f"is not a valid WebVTT file ({_short(exc)}); re-export the transcript as .vtt",
        ) from exc
    cues = [_vtt_cue(c) for c in captions]
    return _document(request, "vtt", cues, notes)


@register(".srt")
def read_srt(request: ReadRequest) -> RawDocument:
    text, notes = _decoded(request)
    return _srt_document(request, text, notes)


def _srt_document(request: ReadRequest, text: str, notes: list[str]) -> RawDocument:
    cues = list(parse_srt(text))
    if not cues:
        raise InputFileError(
            request.display_path,
            "has no subtitle cues ('00:00:01,000 --> 00:00:04,000' lines); "
            "re-export it as .srt, or rename it to .txt if it is a plain transcript",
        )
    return _document(request, "srt", cues, notes)


def subtitle_format(text: str) -> str | None:
    """``"vtt"`` or ``"srt"`` when a text file holds subtitles (a Zoom or Otter download
    saved or renamed as .txt), else None: WebVTT starts with ``WEBVTT``; SubRip's first
    block has a timing line (``00:00:01,000 --> 00:00:04,000``) in its first three lines."""
    head = text.lstrip("\ufeff \t\r\n")
    if re.match(r"WEBVTT(?:[ \t].*)?(?:\r?\n|$)", head):
        return "vtt"
    first = re.split(r"\n[ \t]*\n", head[:2000], maxsplit=1)[0].split("\n")[:3]
    if any(_TIMING_RE.match(line) for line in first) and len(list(parse_srt(text[:20000]))) >= 2:
        return "srt"
    return None


def subtitles_from_text(request: ReadRequest, text: str, fmt: str, notes: list[str]) -> RawDocument:
    """A text file whose content is subtitles (see :func:`subtitle_format`), read as such."""
    text, more = repair_text(text)
    note = f"its content is {'WebVTT' if fmt == 'vtt' else 'SubRip (.srt)'} subtitles: read as such"
    read = _vtt_document if fmt == "vtt" else _srt_document
    return read(request, text, [*notes, *more, note])


def _decoded(request: ReadRequest) -> tuple[str, list[str]]:
    text, notes = decode_bytes(request.path.read_bytes(), request.display_path)
    text, more = repair_text(text)
    return text, notes + more


def _vtt_cue(caption: object) -> Cue:
    raw = getattr(caption, "raw_text", "") or ""
    voice = _VOICE_RE.search(raw)
    start = parse_timestamp(getattr(caption, "start", "")) or 0.0
    end = parse_timestamp(getattr(caption, "end", "")) or start
    return Cue(start, end, _clean(raw), _voice(voice))


def _voice(voice: re.Match[str] | None) -> str | None:
    return html.unescape(voice.group(1)).strip() if voice else None


def parse_srt(text: str) -> Iterable[Cue]:
    """Cues of an .srt file: blocks of an index line, a timing line and text lines."""
    for block in re.split(r"\n[ \t]*\n", text.strip()):
        lines = block.split("\n")
        timing_at = next((i for i, line in enumerate(lines[:3]) if _TIMING_RE.match(line)), None)
        if timing_at is None:
            continue
        m = _TIMING_RE.match(lines[timing_at])
        assert m is not None
        start = parse_timestamp(m.group(1)) or 0.0
        end = parse_timestamp(m.group(2)) or start
        raw = "\n".join(lines[timing_at + 1 :])
        voice = _VOICE_RE.search(raw)
        yield Cue(start, end, _clean(raw), _voice(voice))


def _clean(raw: str) -> str:
    """Cue text without tags, entities decoded (``Q&amp;A``: ``Q&A``; after the tags go, so
    an escaped ``&lt;v&gt;`` stays text), whitespace collapsed."""
    return " ".join(html.unescape(_TAG_RE.sub("", raw)).split())


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:80] or type(exc).__name__


def _with_prefix_speakers(cues: list[Cue]) -> list[Cue]:
    """Take ``Name:`` prefixes as speakers when they recur; carry a speaker forward."""
    prefixes = [_NAME_PREFIX_RE.match(c.text) if c.speaker is None else None for c in cues]
    counts = Counter(normalise_speaker(m.group(1)) for m in prefixes if m)
    recurring = any(n >= 2 for n in counts.values())
    out: list[Cue] = []
    current: str | None = None
    labelled = any(c.speaker for c in cues)
    for cue, m in zip(cues, prefixes, strict=True):
        speaker, text = cue.speaker, cue.text
        if m and recurring and is_name_or_role(m.group(1)):
            speaker, text = m.group(1).strip(), cue.text[m.end() :]
            labelled = True
        if speaker is None and labelled:
            speaker = current
        current = speaker
        out.append(Cue(cue.start, cue.end, text, speaker))
    return out


def _turns(cues: list[Cue]) -> list[Cue]:
    turns: list[Cue] = []
    for cue in cues:
        if not cue.text:
            continue
        last = turns[-1] if turns else None
        if last and _same_turn(last, cue):
            turns[-1] = Cue(last.start, cue.end, f"{last.text} {cue.text}", last.speaker)
        else:
            turns.append(cue)
    return turns


def _same_turn(last: Cue, cue: Cue) -> bool:
    if last.speaker is not None or cue.speaker is not None:
        return last.speaker == cue.speaker
    short = len(last.text) + len(cue.text) < _UNLABELLED_MAX_CHARS
    return short and cue.start - last.end <= _UNLABELLED_MAX_GAP


def _document(request: ReadRequest, fmt: str, cues: list[Cue], notes: list[str]) -> RawDocument:
    turns = _turns(_with_prefix_speakers(cues))
    if not turns:
        raise InputFileError(
            request.display_path, "has no subtitle text; re-export it with the transcript"
        )
    parts: list[str] = []
    units: list[Unit] = []
    pos = 0
    for turn in turns:
        prefix = f"{turn.speaker}: " if turn.speaker else ""
        start = pos + len(prefix)
        units.append(Unit(start, start + len(turn.text), turn.speaker, turn.start, turn.end))
        parts.append(prefix + turn.text)
        pos += len(prefix) + len(turn.text) + 2
    labelled = sum(1 for t in turns if t.speaker)
    return RawDocument(
        path=request.display_path,
        format=fmt,
        text="\n\n".join(parts),
        units=tuple(units),
        kind="interview" if labelled * 2 >= len(turns) else "document",
        repair_notes=tuple(n for n in notes if not n.startswith("warning: ")),
        warnings=tuple(n.removeprefix("warning: ") for n in notes if n.startswith("warning: ")),
    )


def document_from_cues(
    request: ReadRequest, fmt: str, cues: list[Cue], notes: list[str] | None = None
) -> RawDocument:
    """A document from timed cues (any transcript format): consecutive cues of one speaker
    are one turn; ``Speaker: `` prefixes are written into the text, outside the units."""
    return _document(request, fmt, cues, list(notes or []))


__all__ = ["Cue", "document_from_cues", "parse_srt", "read_srt", "read_vtt"]
