"""Markdown transcripts: speakers as headings (``### Name``), front matter kept out of the turns."""

from __future__ import annotations

from pathlib import Path

from themegrid.read import read_document

TRANSCRIPT = """\
---
title: Interview 3
state: AZ
---

### Interviewer

How did the rollout go?

### Maria Lopez

It went well, mostly.

We had some issues.

### Interviewer

Which ones?

### Maria Lopez

Scheduling.
"""


def test_heading_speakers_and_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "i3.md"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    doc = read_document(path)
    turns = [(u.speaker, doc.text[u.start : u.end].strip()) for u in doc.units]
    assert turns == [
        ("Interviewer", "How did the rollout go?"),
        ("Maria Lopez", "It went well, mostly.\n\nWe had some issues."),
        ("Interviewer", "Which ones?"),
        ("Maria Lopez", "Scheduling."),
    ]
    assert not any("title:" in t for _, t in turns)


def test_section_headings_of_a_report_are_not_speakers(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    path.write_text(
        "# Findings\n\nSchools reported gaps.\n\n## Methods\n\nWe surveyed 40 districts.\n\n"
        "## Findings\n\nMore gaps.\n",
        encoding="utf-8",
    )
    assert all(u.speaker is None for u in read_document(path).units)
