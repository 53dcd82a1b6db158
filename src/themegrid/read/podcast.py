"""Podcast transcripts: the Podcasting 2.0 JSON format (``.json``) and its HTML format (``.html``).

JSON: ``{"segments": [{"speaker", "startTime", "endTime", "body"}, ...]}``, often one
word per segment; consecutive segments of one speaker become one turn. HTML:
``<cite>Name:</cite> <time>0:00</time> <p>text</p>`` per turn (entities unescaped).
An HTML file without ``<cite>`` turns is read as a plain document (its text, tags
dropped). Both keep exact offsets through :func:`themegrid.read.subtitles.document_from_cues`.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

from themegrid.errors import InputFileError
from themegrid.models import RawDocument
from themegrid.read import ReadRequest, register
from themegrid.read.repair import decode_bytes
from themegrid.read.subtitles import Cue, document_from_cues
from themegrid.read.text import document_from_text
from themegrid.segment.labels import parse_timestamp


@register(".json")
def read_podcast_json(request: ReadRequest) -> RawDocument:
    text, notes = decode_bytes(request.path.read_bytes(), request.display_path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            request.display_path,
            f"is not valid JSON (line {exc.lineno}: {exc.msg}); fix or remove it",
        ) from exc
    segments = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(segments, list):
        raise InputFileError(
            request.display_path,
            'is JSON but not a transcript (no "segments" list of {speaker, startTime, body}); '
            "export the transcript as JSON (Podcasting 2.0), SRT or VTT",
        )
    cues = []
    for n, seg in enumerate(segments, 1):
        if not isinstance(seg, dict) or not isinstance(seg.get("body"), str):
            raise InputFileError(request.display_path, f"segment {n} has no text ('body'); fix it")
        start = float(seg.get("startTime") or 0.0)
        end = float(seg.get("endTime") or start)
        speaker = str(seg["speaker"]).strip() if seg.get("speaker") else None
        cues.append(Cue(start, end, " ".join(seg["body"].split()), speaker or None))
    return document_from_cues(request, "json", cues, notes)


class _Turns(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.turns: list[list[str]] = []  # [speaker, time, text]
        self.plain: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("cite", "time", "p"):
            self._in = tag
            if tag == "cite":
                self.turns.append(["", "", ""])
        if tag in ("p", "br", "div", "li", "h1", "h2", "h3", "h4") and self.plain:
            self.plain.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        self.plain.append(data)
        if self._in is None or not self.turns:
            return
        slot = {"cite": 0, "time": 1, "p": 2}[self._in]
        self.turns[-1][slot] += data


@register(".html", ".htm")
def read_podcast_html(request: ReadRequest) -> RawDocument:
    text, notes = decode_bytes(request.path.read_bytes(), request.display_path)
    parser = _Turns()
    parser.feed(text)
    parser.close()
    if not parser.turns:
        return document_from_text(request, "".join(parser.plain), "html", notes)
    cues = []
    for speaker, stamp, body in parser.turns:
        start = parse_timestamp(stamp.strip()) or 0.0
        name = speaker.strip().rstrip(":").strip() or None
        cues.append(Cue(start, start, " ".join(body.split()), name))
    return document_from_cues(request, "html", cues, notes)
