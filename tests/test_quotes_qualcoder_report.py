"""import quotes of QualCoder's coding report exported as .csv or .xlsx.

The layout follows QualCoder's own export code (``src/qualcoder/report_codes.py``,
``export_csv_file`` and ``export_xlsx_file``, ccbogel/QualCoder at commit 06db5fab,
the PyQt6 3.x line; which release that commit went into was not established):

- .csv (UTF-8 with a byte-order mark, every cell quoted): ``File``, ``Coder``, ``Coded``,
  ``Id``, ``Codename``, ``Coded_Memo``, then one ``Category`` column per level of the
  code's categories (the nearest category first), then ``FileVar_<name>`` columns (and
  ``CaseVar_<name>`` for a report by case). A report by case starts ``Case``,
  ``Filename``, then the same columns.
- .xlsx: the same columns, the first one headed ``File/case``.
- ``Coded`` holds the coded text; for an image coding it is ``image`` (Id ``imid:N``),
  for audio/video ``a/v`` (Id ``avid:N``); a text coding's Id is ``ctid:N``.

The reports below are written in that layout; the real-data one from the real quotes
of the pdpilot devdata export and its real transcripts.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from conftest import quoted_spans
from themegrid.api import import_quotes, ingest
from themegrid.errors import InputFileError
from themegrid.exchange.quotes import QuoteRow, read_quote_rows
from themegrid.project import Project, init_project, open_project
from themegrid.store.connection import Store

PDPILOT = Path("../shared/devdata/pdpilot_maxqda_interviews/results")


def report_rows(
    rows: list[QuoteRow], *, coder: str = "colin", by_case: bool = False
) -> tuple[list[str], list[list[str]]]:
    """The header and rows QualCoder writes for ``rows`` (code paths ``A > B > C``: the
    codename C under the categories B and A), with one file variable."""
    depth = max(r.code.count(" > ") for r in rows)
    head = ["Case", "Filename"] if by_case else ["File"]
    header = [*head, "Coder", "Coded", "Id", "Codename", "Coded_Memo"]
    header += ["Category"] * depth + ["FileVar_Interview date"]
    out = []
    for n, row in enumerate(rows, 1):
        *categories, codename = row.code.split(" > ")
        where = [f"Participant {row.document}", row.document] if by_case else [row.document]
        cats = list(reversed(categories)) + [""] * (depth - len(categories))
        out.append([*where, coder, row.quote, f"ctid:{n}", codename, "", *cats, "2023-05-01"])
    # an image and an audio coding: no text
    out.append([*where, coder, "image", "imid:1", codename, "", *cats, "2023-05-01"])
    out.append([*where, coder, "a/v", "avid:1", codename, "a memo", *cats, "2023-05-01"])
    return header, out


def write_report(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, delimiter=",", quotechar='"', quoting=csv.QUOTE_ALL)
            writer.writerow(header)
            writer.writerows(rows)
        return path
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["File/case", *header[1:]])
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


TRANSCRIPT = """\
Dan: So how do you use these plots in your work?

Participant: We look at the pre-computed plots first, and then we compare
the clusters side by side.

Participant: Yeah. Then we report the trend to the business.
"""
ROWS = [
    QuoteRow(2, "P1.txt", "Techniques > Plots > Pre-computed", "the pre-computed plots first"),
    QuoteRow(3, "P1.txt", "Reporting", "Then we report the trend to the business."),
]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project, _ = init_project(tmp_path / "proj", empty_codebook=True)
    (project.root / "corpus" / "P1.txt").write_text(TRANSCRIPT, encoding="utf-8")
    ingest(project)
    return project


@pytest.mark.parametrize(("suffix", "by_case"), [(".csv", False), (".csv", True), (".xlsx", False)])
def test_a_qualcoder_coding_report_imports_with_its_category_paths(
    project: Project, tmp_path: Path, suffix: str, by_case: bool
) -> None:
    header, rows = report_rows(ROWS, by_case=by_case)
    table = write_report(tmp_path / f"report{suffix}", header, rows)
    summary = import_quotes(project, table, coder="Colin", add_codes=True)
    assert (summary.rows, summary.quotes_found, summary.not_found) == (2, 2, ())
    assert summary.not_text == 2  # the image and the audio/video coding
    assert summary.columns[1:] == ("Codename", "Coded")
    assert quoted_spans(project, "Colin") == {
        ("P1.txt", "techniques.plots.pre_computed", "the pre-computed plots first"),
        ("P1.txt", "reporting", "Then we report the trend to the business."),
    }
    assert set(summary.codes_added) >= {"techniques", "techniques.plots", "reporting"}


def test_a_report_of_two_coders_is_refused_naming_them(project: Project, tmp_path: Path) -> None:
    header, rows = report_rows(ROWS)
    rows[1][1] = "ana"
    table = write_report(tmp_path / "report.csv", header, rows)
    with pytest.raises(InputFileError, match=r"2 coders \(ana, colin\).*one report per coder"):
        import_quotes(project, table, coder="Colin", add_codes=True)
    with Store(project.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM codings") == 0


def test_an_xlsx_report_by_case_says_to_run_it_by_file(project: Project, tmp_path: Path) -> None:
    """QualCoder's .xlsx report by case puts the case name where the file name was."""
    header, rows = report_rows(ROWS)
    for row in rows:
        row[0] = "Participant 1"
    table = write_report(tmp_path / "report.xlsx", header, rows)
    with pytest.raises(InputFileError, match="QualCoder report by case names cases"):
        import_quotes(project, table, coder="Colin", add_codes=True)


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_real_quotes_in_a_qualcoder_report_match_the_maxqda_import(
    tmp_path: Path, suffix: str
) -> None:
    """The 262 real coded segments of the pdpilot export, written as QualCoder's report of
    the same transcripts, give the same codings as the MAXQDA export itself."""
    if not PDPILOT.exists():
        pytest.skip("../shared/devdata (pdpilot) is absent")
    pytest.importorskip("pypdf")
    project, _ = init_project(tmp_path / "a", empty_codebook=True)
    for pdf in sorted((PDPILOT / "transcripts").glob("P*.pdf")):
        (project.root / "corpus" / pdf.name).write_bytes(pdf.read_bytes())
    ingest(project)
    shutil.copytree(project.root, tmp_path / "b")
    other = open_project(tmp_path / "b")
    pdf_rows = read_quote_rows(PDPILOT / "coded-segments.pdf")
    maxqda = import_quotes(project, PDPILOT / "coded-segments.pdf", coder="K", add_codes=True)
    as_files = [QuoteRow(r.number, f"{r.document}.pdf", r.code, r.quote) for r in pdf_rows]
    header, rows = report_rows(as_files)
    report = import_quotes(
        other, write_report(tmp_path / f"report{suffix}", header, rows), coder="K", add_codes=True
    )
    assert report.quotes_found == maxqda.quotes_found == len(pdf_rows) == 262
    assert report.not_found == () and report.not_text == 2
    assert quoted_spans(other, "K") == quoted_spans(project, "K")
