"""A transcript printed to PDF keeps its turns: a header line (``Name  0:37``, as Otter,
Zoom and Teams export) is never joined to the short line that follows it, and a labelled
turn (``Ana: ...``) after a finished sentence starts a new paragraph even when the line
before it fills the column."""

from __future__ import annotations

from pathlib import Path

import pytest

from themegrid.read import read_document

pytest.importorskip("pypdfium2")

OTTER = [
    "Priya Raman  0:03",
    "All right, it says we're recording. Could you tell me about your work?",
    "",
    "Denise Gadsden  0:12",
    "Sure. We are a nonprofit intermediary between the state and the schools, and",
    "we run a summer institute that any district can send its teams to.",
    "",
    "Priya Raman  0:37",
    "What does your support look like?",
    "",
    "Denise Gadsden  0:42",
    "Mostly coaching.",
]
COLONS = [
    "Ana: We lost three teachers in one year, and the budget cut the rest of it too.",
    "Ben: And the grant?",
    "Ana: It ran out in the spring, so the district had to find the money elsewhere.",
    "Ben: Thank you.",
]


def _pdf(path: Path, lines: list[str]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    y = 20
    for line in lines:
        if line:
            pdf.text(15, y, line)
        y += 5
    pdf.output(str(path))
    return path


def _turns(path: Path) -> list[tuple[str | None, str]]:
    doc = read_document(path)
    return [(u.speaker, " ".join(doc.text[u.start : u.end].split())) for u in doc.units]


def test_a_turn_header_line_stays_on_its_own(tmp_path: Path) -> None:
    turns = _turns(_pdf(tmp_path / "otter.pdf", OTTER))
    assert [s for s, _ in turns] == ["Priya Raman", "Denise Gadsden"] * 2
    assert turns[2][1] == "What does your support look like?"
    assert turns[1][1].endswith("send its teams to.")


def test_a_labelled_turn_after_a_full_line_starts_anew(tmp_path: Path) -> None:
    turns = _turns(_pdf(tmp_path / "colons.pdf", COLONS))
    assert [s for s, _ in turns] == ["Ana", "Ben", "Ana", "Ben"]
    assert (
        turns[2][1] == "It ran out in the spring, so the district had to find the money elsewhere."
    )
