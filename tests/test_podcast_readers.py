"""Podcasting 2.0 transcripts as JSON and HTML: speakers, times, exact offsets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from themegrid.errors import InputFileError
from themegrid.read import read_document


def test_json_word_segments_become_turns(tmp_path: Path) -> None:
    words = [
        ("Ana", 0.5, "We"),
        ("Ana", 0.9, "started."),
        ("Ben", 2.0, "Why?"),
        ("Ana", 3.0, "Money."),
    ]
    data = {
        "version": "1.0.0",
        "segments": [
            {"speaker": s, "startTime": t, "endTime": t + 0.3, "body": b} for s, t, b in words
        ],
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    doc = read_document(path)
    assert [(u.speaker, u.t_start, doc.text[u.start : u.end]) for u in doc.units] == [
        ("Ana", 0.5, "We started."),
        ("Ben", 2.0, "Why?"),
        ("Ana", 3.0, "Money."),
    ]


def test_json_that_is_not_a_transcript(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"name": "x"}', encoding="utf-8")
    with pytest.raises(InputFileError, match="not a transcript"):
        read_document(path)


def test_html_cite_time_paragraph_turns(tmp_path: Path) -> None:
    path = tmp_path / "t.html"
    path.write_text(
        "<cite>Travis:</cite>\n<time>0:00</time>\n<p>It&#39;s the start.</p>\n"
        "<cite>Sarah:</cite>\n<time>1:05</time>\n<p>Audio &amp; video.</p>\n",
        encoding="utf-8",
    )
    doc = read_document(path)
    assert [(u.speaker, u.t_start, doc.text[u.start : u.end]) for u in doc.units] == [
        ("Travis", 0.0, "It's the start."),
        ("Sarah", 65.0, "Audio & video."),
    ]


def test_html_without_turns_is_a_plain_document(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("<h1>Report</h1><p>Schools gained.</p><p>Costs rose.</p>", encoding="utf-8")
    doc = read_document(path)
    assert "Schools gained." in doc.text and all(u.speaker is None for u in doc.units)
