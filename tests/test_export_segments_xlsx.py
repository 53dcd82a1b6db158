"""export segments as .xlsx: rows written as XML (fast), every value as the table has it,
text never a formula, the text column wide and wrapped."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl

from factories import add_document
from themegrid.export.segments import TEXT_WIDTH, segments_frame, write_segments
from themegrid.store.connection import Store

TEXTS = [
    '=HYPERLINK("http://evil.example","x") <b>&amp;</b> ok',
    "  leading and trailing spaces  ",
    "a bell \x07 and a form feed \x0c removed",
    "+1 -2 @SUM(A1) #N/A",
    "plain words, ümlauts and emoji \U0001f600 " + "and a long answer " * 20,
]


def test_xlsx_holds_the_table_text_as_text_with_widths_and_wrap(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        add_document(
            store,
            "interviews/a.txt",
            [("Interviewer", TEXTS[0]), (None, TEXTS[1]), ("Respondent", TEXTS[2])],
            {"state": "=Arizona", "role": "teacher"},
        )
        add_document(store, "interviews/b.txt", [("Respondent", t) for t in TEXTS[3:]], {})
        frame = segments_frame(store)
        out = tmp_path / "segments.xlsx"
        assert write_segments(store, out) == (len(TEXTS), 0)
    sheet = openpyxl.load_workbook(out).active
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == list(frame.columns)
    for record, row in zip(frame.itertuples(index=False), rows[1:], strict=True):
        for expected, cell in zip(record, row, strict=True):
            assert cell.data_type != "f"
            if isinstance(expected, str) and expected:
                assert cell.data_type == "s"
                assert cell.value == expected.replace("\x07", "").replace("\x0c", "")
            elif isinstance(expected, str):
                assert cell.value is None  # an empty text is an empty cell
            elif expected is None or expected != expected:
                assert cell.value is None
            else:
                assert cell.value == expected and type(cell.value) is type(
                    expected.item() if hasattr(expected, "item") else expected
                )
    texts = [row[list(frame.columns).index("text")].value for row in rows[1:]]
    assert texts[1] == TEXTS[1]  # spaces kept
    letter = rows[0][list(frame.columns).index("text")].column_letter
    assert sheet.column_dimensions[letter].width == TEXT_WIDTH
    assert sheet[f"{letter}2"].alignment.wrap_text
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    # a long text gets a row tall enough for its wrapped lines; one line keeps the default
    assert sheet.row_dimensions[len(TEXTS) + 1].height >= 45
    assert sheet.row_dimensions[2].height is None
    assert 6 <= sheet.column_dimensions["A"].width <= 40
    # printed landscape, fitted to the page width, every page headed by the header row
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.oddFooter.center.text == "&A, page &P of &N"
    with zipfile.ZipFile(out) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml


def test_an_empty_table_is_a_header_only_sheet(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        out = tmp_path / "segments.xlsx"
        assert write_segments(store, out) == (0, 0)
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert len(rows) == 1 and "text" in rows[0]
