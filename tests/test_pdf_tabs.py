"""PDF pages whose words are separated by tabs (MAXQDA exports) read with spaces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from themegrid.read.pdf import tabs_as_spaces

DEVDATA = Path("../shared/devdata/pdpilot_maxqda_interviews/results/transcripts/P1.pdf")


def test_tab_separated_words_become_spaces() -> None:
    page = "Dan:\t\n\tOkay.\tSo\tnow\tyou\tcan\tstop.\nParticipant:\t\n\tOkay."
    assert tabs_as_spaces(page) == "Dan:\nOkay. So now you can stop.\nParticipant:\nOkay."


def test_a_tab_laid_table_keeps_its_tabs() -> None:
    page = "State\tDistricts\nArizona has many small rural districts\t40\n"
    assert tabs_as_spaces(page) == page


@pytest.mark.skipif(not DEVDATA.exists(), reason="../shared/devdata is absent")
def test_the_maxqda_transcript_has_speakers_and_no_tabs() -> None:
    pytest.importorskip("pypdfium2")
    from themegrid.read import read_document

    doc = read_document(DEVDATA)
    texts = [doc.text[u.start : u.end] for u in doc.units]
    assert not any("\t" in t for t in texts)
    assert sum(1 for u in doc.units if u.speaker) >= 0.9 * len(doc.units)


def test_a_margin_column_of_paragraph_numbers_is_dropped() -> None:
    from themegrid.read.pdf import without_number_column

    page = "Dan: Okay.\nParticipant: It's just\n" + "\n".join(str(n) for n in range(1, 40))
    assert without_number_column(page) == ("Dan: Okay.\nParticipant: It's just", 39)
    assert without_number_column("7\n8\n9\n10\n11\n12\nText here.") == ("Text here.", 6)
    kept = "We counted:\n1\n2\n3\nthat's all."  # a short list in the text stays
    assert without_number_column(kept) == (kept, 0)
    ranked = "Scores\n" + "\n".join(["90", "85", "70", "60", "50"])  # not counting up
    assert without_number_column(ranked) == (ranked, 0)


@pytest.mark.skipif(not DEVDATA.exists(), reason="../shared/devdata is absent")
def test_the_maxqda_transcript_loses_its_paragraph_numbers() -> None:
    pytest.importorskip("pypdf")
    from themegrid.read import read_document

    doc = read_document(DEVDATA)
    assert not re.search(r"\b1\n2\n3\n4\n5\b", doc.text)
    assert not re.search(r"(?:\b\d+\b\s+){5}", doc.text)
    assert any("paragraph numbers" in n for n in doc.repair_notes)


def test_page_headers_and_lines_repeated_over_a_page_break_are_dropped() -> None:
    from themegrid.read.pdf import without_page_furniture

    pages = [
        "1/2\nInterview\nParticipant:\nYeah, I would compare the predicted versus the actual",
        "2/2\nParticipant:\nYeah, I would compare the predicted versus the actual\nacross it.",
    ]
    out, headers, repeats = without_page_furniture(pages)
    assert (headers, repeats) == (2, 2)
    assert "\n".join(out).split("\n") == [
        "Interview",
        "Participant:",
        "Yeah, I would compare the predicted versus the actual",
        "across it.",
    ]
    short = ["Yes.", "Yes.\nNo."]  # a short line said twice is speech, not a repeat
    assert without_page_furniture(short) == (short, 0, 0)
