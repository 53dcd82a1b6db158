"""import quotes: a coded-quotes table (MAXQDA's Coded Segments) anchored in ingested documents."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from themegrid.api import import_quotes, ingest
from themegrid.codebook import load_codebook
from themegrid.errors import InputFileError, ValidationError
from themegrid.exchange.quotes import anchor, read_quote_rows
from themegrid.project import init_project
from themegrid.store.connection import Store

PDPILOT = Path("../shared/devdata/pdpilot_maxqda_interviews/results")

TRANSCRIPT = """\
Dan: So how do you use these plots in your work?

Participant: We look at the pre-computed plots first, and then we compare
the clusters side by side.

Dan: Okay. Yeah.

Participant: Yeah. Then we report the trend to the business.
"""


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["Document name", "Code", "Segment"], *rows])
    return path


@pytest.fixture
def project(tmp_path: Path):
    project, _ = init_project(tmp_path / "proj")
    (project.root / "corpus" / "P1.txt").write_text(TRANSCRIPT, encoding="utf-8")
    ingest(project)
    return project


def test_anchor_ignores_wrapping_but_never_guesses() -> None:
    text = "We look at the pre-computed plots\nfirst. Yeah. Yeah."
    assert anchor(text, "the pre-\ncomputed   plots first.") == (11, 40)
    assert text[11:40] == "the pre-computed plots\nfirst."
    assert "2 times" in str(anchor(text, "Yeah."))
    assert "not in the document" in str(anchor(text, "the plots first"))


def test_quotes_become_human_codings_with_exact_spans(project, tmp_path: Path) -> None:
    table = write_rows(
        tmp_path / "coded.csv",
        [
            ["P1", "Techniques > Pre-computed plots", "the pre-\ncomputed plots first"],
            # one quote over two turns: one coding on each segment, clipped to it
            ["P1", "Techniques > Comparing", "the clusters side by side. Dan: Okay."],
            ["P1", "Reporting", "Then we report the trend to the business."],
            ["P1", "Reporting", "Yeah."],  # twice in the text: left out, not guessed
            ["P1", "Reporting", "we report it to the board"],  # not in the text
        ],
    )
    summary = import_quotes(project, table, coder="Dan K", add_codes=True)
    assert (summary.rows, summary.quotes_found) == (5, 3)
    assert [r.split(":")[0] for r in summary.not_found] == ["row 5 (P1)", "row 6 (P1)"]
    assert summary.template_replaced
    book = load_codebook(project.codebook_dir)
    assert not book.get("techniques").codable
    assert book.get("techniques.comparing").codable and "reporting" in book
    assert "barriers.funding" not in book  # the template's example codes are gone
    with Store(project.store_path) as store:
        rows = store.query(
            'SELECT c.code_id, c.span_start, c.span_end, s.start, s."end", d.text FROM codings c'
            " JOIN segments s ON s.id = c.segment_id JOIN documents d ON d.id = s.document_id"
            " WHERE c.source = 'human' AND c.coder = 'Dan K' ORDER BY c.span_start"
        )
    got = [(r[0], r[5][r[1] : r[2]]) for r in rows]
    assert got == [
        ("techniques.pre_computed_plots", "the pre-computed plots first"),
        ("techniques.comparing", "the clusters side by side."),
        ("techniques.comparing", "Okay."),  # the speaker label is not in the segment
        ("reporting", "Then we report the trend to the business."),
    ]
    assert all(r[3] <= r[1] < r[2] <= r[4] for r in rows)  # each span inside its segment


def test_unknown_codes_and_documents_write_nothing(project, tmp_path: Path) -> None:
    table = write_rows(tmp_path / "c.csv", [["P1", "Reporting", "Then we report the trend"]])
    with pytest.raises(ValidationError, match="--add-codes"):
        import_quotes(project, table, coder="Ana")
    other = write_rows(tmp_path / "d.csv", [["P9", "Reporting", "Then we report the trend"]])
    with pytest.raises(InputFileError, match=r"row 2: document 'P9' is not in the project"):
        import_quotes(project, other, coder="Ana", add_codes=True)
    with Store(project.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM codings WHERE source = 'human'") == 0
        assert store.scalar("SELECT COUNT(*) FROM runs WHERE command = 'import quotes'") == 0
    assert not list(project.codebook_dir.glob("imported_*.yaml"))


@pytest.mark.slow
@pytest.mark.skipif(not PDPILOT.exists(), reason="../shared/devdata (pdpilot) is absent")
def test_the_real_maxqda_coded_segments(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    project, _ = init_project(tmp_path / "proj", empty_codebook=True)
    for pdf in sorted((PDPILOT / "transcripts").glob("P*.pdf")):
        (project.root / "corpus" / pdf.name).write_bytes(pdf.read_bytes())
    ingest(project)
    table = PDPILOT / "coded-segments.pdf"
    # counted independently: rows of the plain text extraction that start with a document name
    plain = "\n".join(p.extract_text() for p in pypdf.PdfReader(str(table)).pages)
    counted = len(re.findall(r"^P\d+ ", plain, re.M))
    assert len(read_quote_rows(table)) == counted
    summary = import_quotes(project, table, coder="Kerrigan", add_codes=True)
    assert summary.rows == counted and summary.quotes_found == counted, summary.not_found


@pytest.mark.parametrize("complete", [False, True])
def test_only_a_complete_table_makes_uncoded_segments_negatives(
    project, tmp_path: Path, complete: bool
) -> None:
    """An export filtered to a few codes must not teach the model that every other segment
    of its documents lacks every code: only ``--complete`` marks the whole document seen."""
    table = write_rows(
        tmp_path / "coded.csv", [["P1", "Reporting", "Then we report the trend to the business."]]
    )
    summary = import_quotes(project, table, coder="Ana", add_codes=True, complete=complete)
    assert summary.complete is complete
    with Store(project.store_path) as store:
        seen = store.scalar("SELECT COUNT(*) FROM segment_views WHERE coder = 'Ana'")
        in_doc = store.scalar(
            "SELECT COUNT(*) FROM segments s JOIN documents d ON d.id = s.document_id"
            " WHERE d.path LIKE '%P1%' AND s.active = 1"
        )
    assert in_doc > 1
    assert seen == (in_doc if complete else 1)
