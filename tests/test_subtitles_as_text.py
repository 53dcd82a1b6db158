"""Subtitles saved or renamed as .txt (a Zoom, Otter or Teams download) are read as
subtitles: speakers and times, not timing lines and cue numbers as paragraphs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from themegrid.read import read_document

PODCAST = Path("../shared/devdata/podcast_transcript_formats")

SRT = """1
00:00:01,000 --> 00:00:04,000
Interviewer: How did the pilot start?

2
00:00:04,500 --> 00:00:09,000
Ana: With three schools and a grant.

3
00:00:09,500 --> 00:00:12,000
Interviewer: And then?
"""

VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v Interviewer>How did the pilot start?

00:00:04.500 --> 00:00:09.000
<v Ana>With three schools and a grant.
"""


@pytest.mark.parametrize(("content", "fmt"), [(SRT, "srt"), (VTT, "vtt")])
def test_subtitles_in_a_txt_file_are_read_as_subtitles(
    tmp_path: Path, content: str, fmt: str
) -> None:
    path = tmp_path / "zoom_transcript.txt"
    path.write_text(content, encoding="utf-8")
    doc = read_document(path)
    assert doc.format == fmt and doc.kind == "interview"
    assert [u.speaker for u in doc.units][:2] == ["Interviewer", "Ana"]
    assert doc.units[1].t_start == 4.5
    body = " ".join(doc.text[u.start : u.end] for u in doc.units)
    assert "-->" not in body
    assert any("subtitles: read as such" in n for n in doc.repair_notes)


def test_a_transcript_that_mentions_a_time_range_stays_a_transcript(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(
        "Interviewer: When was the meeting?\n\nAna: From 00:00:01,000 --> 00:00:04,000 we met.\n\n"
        "Interviewer: And after it?\n\nAna: We wrote the plan.\n",
        encoding="utf-8",
    )
    doc = read_document(path)
    assert doc.format == "txt"
    assert [u.speaker for u in doc.units] == ["Interviewer", "Ana"] * 2


@pytest.mark.skipif(not PODCAST.is_dir(), reason=f"{PODCAST} (the shared real data) is not here")
@pytest.mark.parametrize("name", ["example.srt", "example.vtt"])
def test_real_subtitles_renamed_to_txt_read_as_the_original(tmp_path: Path, name: str) -> None:
    original = read_document(PODCAST / name)
    renamed = tmp_path / f"{Path(name).stem}.txt"
    shutil.copy(PODCAST / name, renamed)
    again = read_document(renamed)
    assert again.text == original.text
    assert [(u.start, u.end, u.speaker, u.t_start) for u in again.units] == [
        (u.start, u.end, u.speaker, u.t_start) for u in original.units
    ]
