"""PDF pages whose words are separated by tabs (MAXQDA exports) read with spaces."""

from __future__ import annotations

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
