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


def test_margin_numbers_after_the_last_words_are_dropped() -> None:
    from themegrid.read.pdf import without_trailing_numbers

    assert without_trailing_numbers("Participant: Thank you.\n\n93\n\n94\n\n95\n") == (
        "Participant: Thank you.\n"
    )
    kept = "Dan: We met in\n\n12\n\n14\n"  # not counting by one: not a margin column
    assert without_trailing_numbers(kept) == kept


PDPILOT = Path("../shared/devdata/pdpilot_maxqda_interviews")


@pytest.mark.skipif(not PDPILOT.is_dir(), reason=f"{PDPILOT} (the shared real data) is not here")
def test_real_maxqda_transcripts_end_with_their_last_words() -> None:
    for path in sorted(PDPILOT.rglob("P*.pdf")):
        doc = read_document(path)
        last = doc.text[doc.units[-1].start : doc.units[-1].end]
        assert not last.split()[-1].isdigit(), (path.name, last[-40:])
