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
