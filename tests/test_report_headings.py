"""A report's bold run-in headings and heading lines are not speaker labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from themegrid.read import read_document

NCD = Path("../shared/devdata/ncd_federal_education_reports/pdf_docx")
BODY = "The state should act on this, and report what it did within the year. " * 4


def bold_docx(path: Path, paragraphs: list[tuple[str | None, str]]) -> Path:
    """Paragraphs of an optional bold lead run and plain text."""
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for lead, text in paragraphs:
        para = document.add_paragraph()
        if lead:
            para.add_run(lead).bold = True
        if text:
            para.add_run(text)
    document.save(str(path))
    return path


def units(path: Path) -> tuple[str, list[tuple[str | None, str]]]:
    doc = read_document(path)
    return doc.kind, [(u.speaker, doc.text[u.start : u.end]) for u in doc.units]


def test_run_in_headings_are_a_document(tmp_path: Path) -> None:
    heads = ["Charter Authorizers:", "Charter Operators:", "State Legislatures:"]
    heads += ["State Education Agencies:", "Public Reporting:", "Review:"]
    paras: list[tuple[str | None, str]] = [("Staff", ""), (None, BODY)]
    paras += [(h, " " + BODY) for h in heads]
    kind, got = units(bold_docx(tmp_path / "report.docx", paras))
    assert kind == "document"
    assert all(s is None for s, _ in got)
    assert any(t.startswith("Charter Operators: ") for _, t in got)


def test_bold_speakers_still_an_interview(tmp_path: Path) -> None:
    paras: list[tuple[str | None, str]] = []
    for i in range(4):
        paras += [("Interviewer:", f" Question {i}?"), ("Maria:", " " + BODY)]
    paras.append(("Dana:", " One remark from an observer."))
    kind, got = units(bold_docx(tmp_path / "interview.docx", paras))
    assert kind == "interview"
    assert [s for s, _ in got][:2] == ["Interviewer", "Maria"]


@pytest.mark.skipif(not NCD.is_dir(), reason="../shared/devdata (NCD reports) not present")
def test_real_charter_report_docx() -> None:
    pytest.importorskip("docx")
    kind, got = units(NCD / "ncd-charter-schools-2018.docx")
    assert kind == "document"
    assert all(s is None for s, _ in got)
