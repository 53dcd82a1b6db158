"""Subtitle cue text decodes HTML entities (WebVTT requires them for & and <)."""

from __future__ import annotations

from pathlib import Path

import pytest

from themegrid.read import read_document

PODCAST = Path("../shared/devdata/podcast_transcript_formats/example.vtt")


def texts(path: Path) -> list[tuple[str | None, str]]:
    doc = read_document(path)
    return [(u.speaker, doc.text[u.start : u.end]) for u in doc.units]


def test_vtt_entities_decoded_voice_kept(tmp_path: Path) -> None:
    pytest.importorskip("webvtt")
    path = tmp_path / "a.vtt"
    path.write_text(
        "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n<v O&apos;Brien>Q&amp;A on 5 &lt; 6 &#x2014; "
        "&quot;fine&quot;&nbsp;now\n\n00:00:03.000 --> 00:00:04.000\n<v Ann>Yes &amp; no.\n",
        encoding="utf-8",
    )
    got = texts(path)
    assert got[0] == ("O'Brien", 'Q&A on 5 < 6 \u2014 "fine" now')
    assert got[1] == ("Ann", "Yes & no.")


def test_srt_entities_decoded(tmp_path: Path) -> None:
    path = tmp_path / "a.srt"
    path.write_text(
        "1\n00:00:00,000 --> 00:00:02,000\nAnn: R&amp;D &lt;i&gt;matters&lt;/i&gt;\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nBob: It does &amp; more.\n\n"
        "3\n00:00:05,000 --> 00:00:06,000\nAnn: Good.\n",
        encoding="utf-8",
    )
    assert texts(path)[:2] == [("Ann", "R&D <i>matters</i>"), ("Bob", "It does & more.")]


@pytest.mark.skipif(not PODCAST.is_file(), reason="../shared/devdata podcast set not present")
def test_real_podcast_vtt() -> None:
    pytest.importorskip("webvtt")
    joined = " ".join(t for _, t in texts(PODCAST))
    assert "Podcasting Q&A," in joined and "&amp;" not in joined
