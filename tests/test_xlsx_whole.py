"""Spreadsheets read whole: a stale stored dimension never drops rows silently.

Some generators write ``<dimension ref="A1:C2"/>`` over a sheet of 10 rows; openpyxl's
read-only mode trusts it and stops after row 2. Every xlsx reader of themegrid (corpus
spreadsheets, import-coded, review import) reads to the real last row, and counts the
rows read against the rows the sheet's XML holds: a mismatch is a one-line error.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from themegrid.errors import InputFileError
from themegrid.read import TableOptions, read_document
from themegrid.read.table import read_table

ROWS = 10  # header + 9 responses


def stale_dimension(path: Path, ref: str = "A1:C2") -> Path:
    """Rewrite the stored dimension of every worksheet in ``path`` (a real openpyxl file)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                xml, n = re.subn(
                    rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), data
                )
                assert n == 1, info.filename
                data = xml
            zout.writestr(info, data)
    shutil.move(tmp, path)
    return path


def survey(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ResponseId", "Answer", "Codes"])
    for i in range(1, ROWS):
        sheet.append([f"R_{i}", f"The grant money ran out in year {i}.", "barriers.funding"])
    book.save(path)
    return stale_dimension(path)


def test_the_test_file_really_has_a_stale_dimension(tmp_path: Path) -> None:
    path = survey(tmp_path / "s.xlsx")
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.active.calculate_dimension() == "A1:C2"
    assert len(list(book.active.iter_rows(values_only=True))) == 2  # what openpyxl does
    book.close()


def test_corpus_spreadsheet_reads_every_row(tmp_path: Path) -> None:
    doc = read_document(survey(tmp_path / "s.xlsx"), table=TableOptions(text_column="Answer"))
    assert len(doc.units) == ROWS - 1
    assert doc.text.rstrip().endswith("year 9.")


def test_import_coded_reads_every_row(tmp_path: Path) -> None:
    table = read_table(survey(tmp_path / "s.xlsx"))
    assert table.header == ("ResponseId", "Answer", "Codes")
    assert [n for n, _ in table.rows] == list(range(2, ROWS + 1))


def test_a_short_read_is_an_error_naming_the_file(tmp_path: Path, monkeypatch) -> None:
    """If rows are still lost (here: the dimension not reset), say so; never drop them."""
    import themegrid.read.table

    monkeypatch.setattr(ReadOnlyWorksheet, "reset_dimensions", lambda self: None)
    monkeypatch.setattr(themegrid.read.table, "fast_xlsx_rows", lambda *_: None)  # openpyxl
    path = survey(tmp_path / "s.xlsx")
    for read in (read_table, lambda p: read_document(p, table=TableOptions(text_column="Answer"))):
        with pytest.raises(InputFileError) as err:
            read(path)
        message = str(err.value)
        assert "s.xlsx" in message and "\n" not in message
        assert f"read 2 rows but the file holds {ROWS}" in message and "save it again" in message


def test_review_import_reads_every_row_of_a_stale_sheet(tmp_path: Path) -> None:
    from conftest import write_project
    from themegrid.exchange.review import export_review, import_review
    from themegrid.pipeline.coding import run_coding

    project = write_project(tmp_path / "p")
    codebook = project.load_codebook()
    with project.open_store() as store:
        run_coding(project, store, codebook, use_model=False)
        out = tmp_path / "review.xlsx"
        n = export_review(store, codebook, out).rows
        assert n >= 3
        book = openpyxl.load_workbook(out)
        sheet = book["Review"]
        header = [c.value for c in sheet[1]]
        for row in range(2, n + 2):
            sheet.cell(row=row, column=header.index("Decision") + 1).value = "accept"
        book.save(out)
        stale_dimension(out, "A1:S2")
        summary = import_review(store, out, coder="Ana", codebook=codebook)
        assert summary.accepted == n
