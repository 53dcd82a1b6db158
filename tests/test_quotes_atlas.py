"""import quotes of ATLAS.ti's Quotation Manager exported to Excel (ATLAS.ti 9, 22, 23).

What is confirmed from ATLAS.ti's manual (Quotation Manager): a quotation's ID is two
numbers, ``3:10`` being the 10th quotation of document 3; documents are numbered
(``D3``), so a document cell reads ``D3: Interview 3`` (here also ``D 3: name.docx``,
the number spaced and the file's extension kept). The Codes cell holds one code per
line. The column holding the text is ``Quotation Content`` (``Content`` in other
versions). The rest of the layout (Quotation Name, Comment, Created by, Start, End,
Density, ...) is not read and was not checked against a real export.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from themegrid.api import import_quotes, ingest
from themegrid.project import Project, init_project
from themegrid.store.connection import Store

TEXT = """\
Interviewer: How was the year?

Teacher: Money, mostly. The grant ended in March
and nobody replaced it.

Teacher: We lost two coaches, and the new staff had no training at all.
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project, _ = init_project(tmp_path / "proj", empty_codebook=True)
    (project.root / "corpus" / "teacher_03.txt").write_text(TEXT, encoding="utf-8")
    ingest(project)
    return project


def atlas_xlsx(path: Path, content: str, document: str, title: bool) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    if title:  # a report's title line above the table
        sheet.append(["Quotation Manager: 2 quotations"])
    sheet.append(["ID", "Quotation Name", "Document", content, "Codes", "Comment", "Created by"])
    sheet.append(
        ["1:1", "", document, "Money, mostly. The grant ended in March\nand nobody replaced it.",
         "Barriers::Funding", "", "ana"]
    )  # fmt: skip
    sheet.append(
        ["1:2", "", document, "We lost two coaches, and the new staff had no training at all.",
         "Barriers::Staffing\r\nTraining\n", "two codes, one per line", "ana"]
    )  # fmt: skip
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("content", "document", "title"),
    [
        ("Quotation Content", "D1: teacher_03", False),
        ("Content", "D 1: teacher_03.docx", True),
        ("Quotation Content", "D12:teacher_03.txt", True),
    ],
)
def test_atlas_quotations_with_numbered_documents_and_codes_one_per_line(
    project: Project, tmp_path: Path, content: str, document: str, title: bool
) -> None:
    table = atlas_xlsx(tmp_path / "quotations.xlsx", content, document, title)
    summary = import_quotes(project, table, coder="Ana", add_codes=True)
    assert (summary.rows, summary.quotes_found, summary.not_found) == (2, 2, ())
    assert summary.columns == ("Document", "Codes", content)
    with Store(project.store_path) as store:
        got = {
            (r[0], r[1][r[2] : r[3]][:14])
            for r in store.query(
                "SELECT c.code_id, d.text, c.span_start, c.span_end FROM codings c"
                " JOIN segments s ON s.id = c.segment_id JOIN documents d"
                " ON d.id = s.document_id WHERE c.coder = 'Ana'"
            )
        }
    assert got == {
        ("barriers.funding", "Money, mostly."),
        ("barriers.staffing", "We lost two co"),
        ("training", "We lost two co"),
    }


def test_a_document_of_another_name_is_still_refused(project: Project, tmp_path: Path) -> None:
    """Dropping the number and the extension finds the document; nothing more is guessed."""
    from themegrid.errors import InputFileError

    table = atlas_xlsx(tmp_path / "quotations.xlsx", "Content", "D 1: teacher_3.docx", False)
    with pytest.raises(
        InputFileError, match=r"document 'D 1: teacher_3.docx'.* not in the project"
    ):
        import_quotes(project, table, coder="Ana", add_codes=True)
