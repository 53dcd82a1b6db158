"""The matrix and overview pages on data shaped like the real sets: cases nothing is coded in (the
Taguette set's ingested copies) are left out and named, and thousands of one-sentence
documents (an import-coded spreadsheet: 6,113 of them) do not make thousands of columns,
thousands of overview rows, or a queue filter listing documents with nothing to review."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import INTERVIEW_AZ, INTERVIEW_NV, write_project
from themegrid.store import codings as codings_store
from themegrid.web import app as web_app
from web_helpers import Served, code_project, serve

QUIET = "Interviewer: Anything to add?\nRespondent: Mostly we talked about the weather.\n"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    project = write_project(
        tmp_path / "study",
        {"interviews/az.txt": INTERVIEW_AZ, "interviews/nv.txt": INTERVIEW_NV},
        metadata="file,state\ninterviews/az.txt,Arizona\ninterviews/nv.txt,Nevada\n",
    )
    (project.corpus_dir / "interviews" / "quiet.txt").write_text(QUIET, encoding="utf-8")
    code_project(project)
    s = serve(project)
    yield s
    s.store.close()


def _columns(html: str) -> list[str]:
    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    return re.findall(r'<th title="([^"]+)"', head)


def test_a_case_with_nothing_coded_is_left_out_and_named(served: Served) -> None:
    html = served.client().get("/matrix").text
    assert _columns(html) == ["Arizona", "Nevada"]
    empty = re.search(r'<p class="empty-cases" id="empty-cases">(.*?)</p>', html, re.S)
    # quiet.txt has no row in metadata.csv: its case is "(none)", as on the workbook's sheet
    assert empty and "1 case(s)" in empty.group(1)
    assert "(none): documents with no value for it" in empty.group(1)


def test_past_the_limit_the_most_coded_cases_are_shown(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = served.client()
    nevada = next(
        p for p in codings_store.pending_suggestions(served.store) if p.path.endswith("nv.txt")
    )
    form = {"segment_id": nevada.segment_id, "code_id": nevada.code_id, "decision": "accepted"}
    assert c.post("/decide", data={**form, "csrf": served.secrets.csrf}).status_code == 200
    full = c.get("/matrix").text
    counts = {
        case: sum(int(n) for n in re.findall(rf'data-case="{case}"><b>(\d+)</b>', full))
        for case in _columns(full)
    }
    monkeypatch.setattr(web_app, "MATRIX_CASES", 1)
    html = c.get("/matrix").text
    top = max(counts, key=lambda k: counts[k])
    assert top == "Nevada" and counts["Nevada"] > counts["Arizona"]
    assert _columns(html) == ["Nevada"]
    assert 'id="cut-cases"' in html and "1 left out" in html


def test_column_heads_show_the_file_name_and_keep_the_path_on_hover(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "study", {"taguette/Usability Study - 2022/p1.txt": INTERVIEW_AZ}, metadata=""
    )
    code_project(project)
    s = serve(project)
    try:
        html = s.client().get("/matrix").text
    finally:
        s.store.close()
    assert (
        '<th title="taguette/Usability Study - 2022/p1.txt" data-case="p1.txt">p1.txt</th>' in html
    )


def test_the_overview_shows_the_first_documents_and_offers_all(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = served.client()
    monkeypatch.setattr(web_app, "OVERVIEW_DOCS", 2)
    html = c.get("/").text
    rows = re.findall(r'<tr><td><a href="/doc/\d+">([^<]+)</a>', html)
    assert rows == ["interviews/az.txt", "interviews/nv.txt"]
    assert "2 of 3 documents shown" in html and 'href="/?all=1"' in html
    html = c.get("/?all=1").text
    assert len(re.findall(r'<tr><td><a href="/doc/\d+">', html)) == 3 and "docs-cut" not in html


def test_the_queue_offers_only_documents_with_something_to_review(served: Served) -> None:
    html = served.client().get("/queue").text
    select = html.split('<select name="doc">', 1)[1].split("</select>", 1)[0]
    pending = {p.path for p in codings_store.pending_suggestions(served.store)}
    assert "interviews/quiet.txt" not in pending
    assert re.findall(r"<option>([^<]+)</option>", select) == sorted(pending)
