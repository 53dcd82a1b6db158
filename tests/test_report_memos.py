"""Memos in the reports: every memo of the project, what it is on, in reading order."""

from __future__ import annotations

from pathlib import Path

from test_refi_fixtures import build_project
from test_refi_memos import MEMOS, _add_memos
from themegrid.store import memos as memos_store
from themegrid.store.connection import Store


def test_report_memos_lists_every_memo_on_what_it_is_on(tmp_path: Path) -> None:
    project = build_project(tmp_path)
    _add_memos(project)
    with Store(project.store_path) as store:
        with store.transaction():
            memos_store.add_memo(
                store, "project", memos_store.PROJECT, "ana", "Overall.", "2026-03-09"
            )
        rows = memos_store.report_memos(store)
    assert len(rows) == len(MEMOS) + 1
    assert [r.kind for r in rows] == ["project", "document", "segment", "segment", "code", "code"]
    by_text = {r.text: r for r in rows}
    grant = by_text["Which grant? 東京 again"]
    assert (grant.on, grant.passage) == ("interviews/az_01.txt", "grant money")
    whole = by_text["Whole turn: équité as fairness."]
    assert whole.on == "interviews/nv_01.txt" and len(whole.passage) > len("équité")
    assert whole.still_in_file
    assert by_text["District leader; budget year 2 of 3."].on == "interviews/az_01.txt"
    codes = [r.on for r in rows if r.kind == "code"]
    assert codes == sorted(codes) == ["barriers", "equity"]
    assert {r.coder for r in rows} == {"ana", "ben"}


def test_workbook_has_a_memos_sheet_with_every_memo(tmp_path: Path) -> None:
    import openpyxl

    from themegrid.export.workbook import write_workbook

    project = build_project(tmp_path)
    _add_memos(project)
    out = tmp_path / "wb.xlsx"
    with Store(project.store_path) as store:
        write_workbook(store, project.load_codebook(), out)
    sheet = openpyxl.load_workbook(out)["Memos"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("On", "Document or code", "Speaker", "Passage", "Memo")
    assert sorted(r[4] for r in rows[1:]) == sorted(text for *_, text in MEMOS)
    grant = next(r for r in rows if r[4] == "Which grant? 東京 again")
    assert grant[:2] == ("passage", "interviews/az_01.txt") and grant[3] == "grant money"
    equity = next(r for r in rows if r[1] == "equity")
    assert equity[0] == "code" and equity[4].endswith("<b>not bold</b>")  # text, as written
    assert all(sheet.cell(row=i, column=5).data_type == "s" for i in range(2, len(rows) + 1))


def test_no_memos_no_memos_sheet(tmp_path: Path) -> None:
    import openpyxl

    from themegrid.export.workbook import write_workbook

    project = build_project(tmp_path)
    out = tmp_path / "wb.xlsx"
    with Store(project.store_path) as store:
        write_workbook(store, project.load_codebook(), out)
    assert "Memos" not in openpyxl.load_workbook(out).sheetnames


def test_html_report_lists_the_memos_as_text(tmp_path: Path) -> None:
    from themegrid.export.report import write_reports

    project = build_project(tmp_path)
    _add_memos(project)
    with Store(project.store_path) as store:
        write_reports(
            store, project.load_codebook(), tmp_path / "r.xlsx", html_out=tmp_path / "r.html"
        )
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    section = page[page.index('<h2 id="memos">') : page.index('<h2 id="about">')]
    assert "Split this into access and outcomes? &lt;b&gt;not bold&lt;/b&gt;" in section
    assert "grant money" in section and "Which grant? 東京 again" in section
    assert '<a href="#memos">Memos</a>' in page
