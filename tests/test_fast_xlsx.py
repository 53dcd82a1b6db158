"""The fast .xlsx path (python-calamine) reads exactly what openpyxl reads, or declines.

``read_table`` reads a sheet with calamine where that gives the values openpyxl's
read-only, data-only mode gives, and leaves every other sheet to openpyxl: error
cells, 16-digit integers, an extent over the cell limit, a count of valued cells that
differs from the sheet's XML. Each case is compared with the openpyxl reading.
"""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import themegrid.read.table as table_mod
from themegrid import cells
from themegrid.read.table import Table, read_table

openpyxl = pytest.importorskip("openpyxl")
pytest.importorskip("python_calamine", reason="python-calamine is not installed")


def by_openpyxl(path: Path, monkeypatch: pytest.MonkeyPatch, sheet: str | None = None) -> Table:
    with monkeypatch.context() as mp:
        mp.setattr(table_mod, "fast_xlsx_rows", lambda *_: None)
        return read_table(path, sheet)


def varied(path: Path) -> Path:
    """Numbers, dates, times, booleans, blanks, gaps, ragged rows, a formula, two sheets."""
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Answers"
    first.append(["ResponseId", "Answer", "Score", "When", "Flag"])
    first.append(["R1", "Funding was cut.", 3, datetime.datetime(2023, 5, 4, 10, 30), True])
    first.append(["R2", "  spaces kept  ", 2.5, datetime.date(2024, 1, 2), False])
    first.append([None, "no id", -0.0, datetime.time(12, 30), None])
    first.append(["R4", "line one\nline two", 1e20, None, None, "beyond the header"])
    first["A9"] = "R9 after a gap"
    first["B9"] = "=1+1"  # no cached value: empty, as openpyxl's data_only gives it
    first["D2"].number_format = "yyyy-mm-dd hh:mm"
    second = book.create_sheet("Codes")
    second.append(["code", "label"])
    second.append(["barriers.funding", "Funding"])
    book.save(path)
    return path


def test_the_fast_path_reads_what_openpyxl_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = varied(tmp_path / "v.xlsx")
    assert cells.fast_xlsx_rows(path, None) is not None  # the fast path did read it
    fast, slow = read_table(path), by_openpyxl(path, monkeypatch)
    assert (fast.header, fast.rows) == (slow.header, slow.rows)
    assert fast.rows[0] == (2, ("R1", "Funding was cut.", "3", "2023-05-04 10:30:00", "True"))
    assert [n for n, _ in fast.rows] == [2, 3, 4, 5, 9]
    named = read_table(path, "Codes")
    slow_named = by_openpyxl(path, monkeypatch, "Codes")
    assert (named.header, named.rows) == (slow_named.header, slow_named.rows)
    assert named.rows == ((2, ("barriers.funding", "Funding")),)


def test_a_sheet_with_error_cells_or_long_integers_is_left_to_openpyxl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = openpyxl.Workbook()
    book.active.append(["id", "code"])
    book.active.append(["R1", "#N/A"])  # an error cell: calamine would read it as empty
    book.save(tmp_path / "e.xlsx")
    assert cells.fast_xlsx_rows(tmp_path / "e.xlsx", None) is None
    assert read_table(tmp_path / "e.xlsx").rows == ((2, ("R1", "#N/A")),)
    book = openpyxl.Workbook()
    book.active.append(["id", "text"])
    book.active.append([7, "a long numeric id"])
    book.save(tmp_path / "float.xlsx")
    # other generators write long ids as exact integers (openpyxl itself writes a float)
    with (
        zipfile.ZipFile(tmp_path / "float.xlsx") as src,
        zipfile.ZipFile(tmp_path / "n.xlsx", "w") as dst,
    ):
        for info in src.infolist():
            data = src.read(info).replace(b"<v>7</v>", b"<v>1234567890123456789</v>")
            dst.writestr(info, data)
    assert cells.fast_xlsx_rows(tmp_path / "n.xlsx", None) is None
    assert (
        read_table(tmp_path / "n.xlsx").rows == by_openpyxl(tmp_path / "n.xlsx", monkeypatch).rows
    )
    assert read_table(tmp_path / "n.xlsx").rows[0][1][0] == "1234567890123456789"


def test_a_huge_extent_is_left_to_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = "id"
    book.active["A2"] = "R1"
    book.active["XFD1048576"] = "far away"  # 17 billion cells of extent, in a 5 kB file
    book.save(tmp_path / "far.xlsx")
    assert cells.fast_xlsx_rows(tmp_path / "far.xlsx", None) is None
    monkeypatch.setattr(cells, "FAST_MAX_CELLS", 10**12)  # lifted: calamine would be asked
    assert cells.FAST_MAX_CELLS > 1048576 * 16384


def test_a_value_count_that_differs_from_the_xml_declines(tmp_path: Path) -> None:
    """A cell calamine does not report (here: a value element it cannot see) is never
    dropped: the count of valued cells must match the sheet's XML."""
    path = varied(tmp_path / "v.xlsx")
    out = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # an extra valued cell, no r
                data = re.sub(
                    rb"</row>", b'<c t="inlineStr"><is><t>x</t></is></c></row>', data, count=1
                )
            dst.writestr(info, data)
    assert cells.fast_xlsx_rows(out, None) is None


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_AS is POSIX")
def test_a_declared_dimension_bomb_is_read_in_little_memory(tmp_path: Path) -> None:
    """A sheet declaring A1:XFD1048576 over two rows: calamine sizes by the real cells."""
    book = openpyxl.Workbook()
    book.active.append(["id", "text"])
    book.active.append(["R1", "x"])
    book.save(tmp_path / "small.xlsx")
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(tmp_path / "small.xlsx") as src, zipfile.ZipFile(bomb, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(
                    rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', data
                )
                assert b"A1:XFD1048576" in data
            dst.writestr(info, data)
    code = (
        "import resource, sys; from pathlib import Path\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))\n"
        "from themegrid.cells import fast_xlsx_rows\n"
        f"print(fast_xlsx_rows(Path({str(bomb)!r}), None))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "[['id', 'text'], ['R1', 'x']]"
