"""Zip bombs in every zip-based corpus format (.docx, .xlsx) are refused by the same
limits as REFI-QDA archives, naming the entry, the ratio and the setting to raise."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from fault_helpers import cli

from conftest import INTERVIEW_AZ, write_project
from themegrid.store.connection import Store


def _bomb_into(path: Path, mb: int = 20) -> None:
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/zeros.bin" if path.suffix == ".xlsx" else "word/media/zeros.bin",
                    b"\0" * (mb * 1024**2))  # fmt: skip


def _docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Respondent: the budget was cut.")
    document.save(str(path))


def _xlsx(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Text"])
    sheet.append(["The budget was cut."])
    book.save(path)


@pytest.mark.parametrize("suffix", [".docx", ".xlsx"])
def test_a_zip_bomb_in_the_corpus_is_rejected_and_the_rest_is_read(
    tmp_path: Path, suffix: str
) -> None:
    project = write_project(tmp_path / "study", {"interviews/az.txt": INTERVIEW_AZ})
    bomb = project.corpus_dir / f"bomb{suffix}"
    (_docx if suffix == ".docx" else _xlsx)(bomb)
    _bomb_into(bomb)
    assert bomb.stat().st_size < 200_000
    result = cli("ingest", "--project", project.root)
    assert result.exit_code == 0, result.output
    assert f"bomb{suffix}" in result.output and "zip bomb" in result.output
    assert "THEMEGRID_MAX_ZIP_RATIO" in result.output
    with Store(project.store_path) as store:
        paths = {r[0] for r in store.query("SELECT path FROM documents")}
    assert paths == {"interviews/az.txt"}


def test_the_absolute_limit_is_configurable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_project(tmp_path / "study", {"interviews/az.txt": INTERVIEW_AZ})
    _docx(project.corpus_dir / "small.docx")
    assert cli("ingest", "--project", project.root).exit_code == 0
    monkeypatch.setenv("THEMEGRID_MAX_UNZIPPED_BYTES", "1000")
    (project.corpus_dir / "small.docx").unlink()
    _docx(project.corpus_dir / "again.docx")
    result = cli("ingest", "--project", project.root)
    assert "would inflate to" in result.output and "limit 1,000" in result.output


def test_import_coded_refuses_an_xlsx_bomb(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study")
    sheet = tmp_path / "coded.xlsx"
    _xlsx(sheet)
    _bomb_into(sheet)
    result = cli("import-coded", sheet, "--coder", "Ana", "--project", project.root)
    assert result.exit_code == 1
    assert "zip bomb" in result.output and "Traceback" not in result.output
