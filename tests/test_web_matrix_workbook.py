"""The browser's matrix and the workbook's Matrix sheet show the same cases and the same
counts, confirmed and unreviewed apart: on the bundled example (cases: its states) and on
the real Taguette project imported (no case attribute: documents are the cases)."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from conftest import INTERVIEW_AZ, INTERVIEW_NV, write_project
from themegrid import api
from themegrid.aggregate import matrix as mx
from themegrid.exchange.taguette import import_taguette
from themegrid.project import Project, init_project
from themegrid.store import codings as codings_store
from themegrid.store.connection import Store
from themegrid.web import app as web_app
from themegrid.web import decisions
from web_helpers import Served, code_project, serve

# Run by .ci/run (its slow line), kept out of `make test` to hold it under two minutes.
pytestmark = pytest.mark.slow

TAGUETTE = Path("../shared/devdata/serdif_usability_taguette/data")
TAGUETTE_DB = TAGUETTE / "transcripts/thematic-analysis/SERDIF_P2_ThematicAnalysis.sqlite3"

Cells = dict[tuple[str, str], tuple[int, int]]


def page_cells(page: str) -> tuple[list[str], Cells]:
    """The matrix page's columns (their cases) and its cells: (confirmed, unreviewed)."""
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    cases = [html.unescape(t) for t in re.findall(r'<th title="[^"]*" data-case="([^"]*)">', head)]
    cells: Cells = {}
    for code, case, conf, unrev in re.findall(
        r'data-code="([^"]*)" data-case="([^"]*)"><b>(\d+)</b> / <span class="unrev-n">(\d+)',
        page,
    ):
        cells[(html.unescape(code), html.unescape(case))] = (int(conf), int(unrev))
    return cases, cells


def sheet_cells(path: Path) -> tuple[list[str], Cells]:
    """The workbook's Matrix sheet: its case columns and every non-zero cell."""
    rows = list(openpyxl.load_workbook(path, read_only=True)["Matrix"].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    cases = [h for h in header[2:] if h != mx.TOTAL]
    blocks: dict[str, dict[tuple[str, str], int]] = {"Confirmed": {}, "Unreviewed": {}}
    current = None
    for row in rows[1:]:
        if row and row[0] in blocks:
            current = blocks[row[0]]
            continue
        if not row or not row[0]:
            current = None
            continue
        if current is not None:
            for case, value in zip(header[2:], row[2:], strict=False):
                if case != mx.TOTAL and value:
                    current[(str(row[0]), case)] = int(value)
    keys = set(blocks["Confirmed"]) | set(blocks["Unreviewed"])
    cells = {k: (blocks["Confirmed"].get(k, 0), blocks["Unreviewed"].get(k, 0)) for k in keys}
    return cases, cells


def page_any_code(page: str) -> dict[str, tuple[int, int]]:
    """The matrix page's last row: segments with any code per case (confirmed, unreviewed)."""
    foot = page.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    found = re.findall(r'data-case="([^"]*)"><b>(\d+)</b> / <span class="unrev-n">(\d+)', foot)
    return {html.unescape(case): (int(a), int(b)) for case, a, b in found}


def sheet_any_code(path: Path) -> dict[str, tuple[int, int]]:
    """The Matrix sheet's "Segments with any code" rows, per case: (confirmed, unreviewed)."""
    rows = list(openpyxl.load_workbook(path, read_only=True)["Matrix"].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    found: dict[str, dict[str, int]] = {}
    for row in rows:
        label = str(row[1]) if len(row) > 1 and row[1] else ""
        if label.startswith("Segments with any code (") and not row[0]:
            kind = "confirmed" if label.endswith("(confirmed)") else "unreviewed"
            found[kind] = {case: int(v or 0) for case, v in zip(header[2:], row[2:], strict=False)}
    unrev = found.get("unreviewed", {})
    return {case: (n, unrev.get(case, 0)) for case, n in found["confirmed"].items()}


def compare(s: Served, workbook: Path) -> tuple[list[str], Cells]:
    c = s.client()
    page = c.get("/matrix").text
    assert 'id="matrix-problem"' not in page
    shown, web = page_cells(page)
    cases, sheet = sheet_cells(workbook)
    coded = [case for case in cases if any(k[1] == case for k in sheet)]
    assert shown == coded  # the same cases, in the same order; the empty ones left out
    assert web == sheet  # the same counts, confirmed and unreviewed apart
    any_code = sheet_any_code(workbook)
    assert page_any_code(page) == {case: any_code[case] for case in shown}
    # a cell's passages are the segments it counts
    for (code, case), (conf, unrev) in list(sheet.items())[:6]:
        drill = c.get("/matrix/cell", params={"code": code, "case": case}).text
        assert drill.count('<blockquote class="passage') == conf + unrev, (code, case)
    return cases, web


@pytest.fixture
def example(bundled_coded: Project) -> Iterator[Served]:
    s = serve(bundled_coded)
    yield s
    s.store.close()


def test_the_bundled_example_matrix_is_the_workbooks(example: Served, tmp_path: Path) -> None:
    c = example.client()
    pending = codings_store.pending_suggestions(example.store)
    for item, decision in zip(pending[:6], ["accepted"] * 4 + ["rejected"] * 2, strict=True):
        form = {"segment_id": item.segment_id, "code_id": item.code_id, "decision": decision}
        assert c.post("/decide", data={**form, "csrf": example.secrets.csrf}).status_code == 200
    out = tmp_path / "matrix.xlsx"
    result = api.report(example.project.root, out=out)
    cases, cells = compare(example, out)
    assert "'state'" in result.by_reason and "North Dakota" in cases
    assert any(conf for conf, _ in cells.values()) and any(u for _, u in cells.values())
    # parents count their children's segments, once each, on both
    parent = next(c.id for c in example.project.load_codebook().codes if c.parent_id is None)
    assert any(code == parent for code, _ in cells)


@pytest.mark.skipif(not TAGUETTE_DB.exists(), reason="../shared/devdata (Taguette set) is absent")
def test_an_imported_taguette_project_has_documents_as_cases(tmp_path: Path) -> None:
    project, _ = init_project(tmp_path / "serdif", empty_codebook=True)
    for odt in sorted((TAGUETTE / "transcripts/raw").glob("*.odt"))[:3]:
        shutil.copy2(odt, project.corpus_dir / odt.name)  # ingested copies: nothing coded
    api.ingest(project.root)
    import_taguette(project, TAGUETTE_DB)
    s = serve(project)
    try:
        out = tmp_path / "matrix.xlsx"
        result = api.report(project.root, out=out)
        assert mx.DOCUMENT_CASE in result.by_reason
        cases, cells = compare(s, out)
        page = s.client().get("/matrix").text
        assert 'id="empty-cases"' in page and "3 case(s)" in page
        assert len({case for _, case in cells}) == len(cases) - 3
        # an imported document named as an ingested copy is: its head shows the whole path
        heads = dict(re.findall(r'<th title="[^"]*" data-case="([^"]*)">([^<]*)</th>', page))
        copies = {c for c in cases if "/" not in c}
        assert len(copies) == 3
        for case, head in heads.items():
            name = html.unescape(case).rsplit("/", 1)[-1]
            assert html.unescape(head) == (html.unescape(case) if name in copies else name)
        assert all(conf and not unrev for conf, unrev in cells.values())  # all human
    finally:
        s.store.close()


def test_past_the_cap_the_page_says_what_the_workbook_has(
    example: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_app, "MATRIX_CASES", 2)
    page = example.client().get("/matrix").text
    shown, _ = page_cells(page)
    assert len(shown) == 2
    cut = re.search(r'<p class="cut-cases" id="cut-cases">(.*?)</p>', page, re.S)
    assert cut and "every one of the" in cut.group(1) and "left out" in cut.group(1)


def test_too_many_documents_without_a_case_attribute_says_so_on_both(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = write_project(
        tmp_path / "study",
        {"a/az.txt": INTERVIEW_AZ, "a/nv.txt": INTERVIEW_NV, "a/nv2.txt": INTERVIEW_NV},
        metadata="",
    )
    code_project(project)
    s = serve(project)
    try:
        monkeypatch.setattr(mx, "MAX_DOCUMENT_CASES", 2)
        c = s.client()
        page = c.get("/matrix").text
        problem = re.search(r'<p class="problem" id="matrix-problem">(.*?)</p>', page, re.S)
        with pytest.raises(mx.MatrixError) as raised:
            api.report(project.root, out=tmp_path / "m.xlsx")
        assert problem and html.unescape(problem.group(1)) == str(raised.value)
        monkeypatch.setattr(web_app, "MATRIX_CASES", 2)
        page = c.get("/matrix", params={"by": "document"}).text
        shown, _ = page_cells(page)
        assert len(shown) == 2 and 'id="cut-cases"' in page
        result = api.report(project.root, out=tmp_path / "m.xlsx", by="document")
        assert len(result.workbook.cases) == 3  # asked for: every document a column
    finally:
        s.store.close()


def test_without_state_both_take_the_first_attribute_of_metadata_csv(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "study",
        {"a/az.txt": INTERVIEW_AZ, "a/nv.txt": INTERVIEW_NV},
        metadata="file,site,district\na/az.txt,Mesa,East\na/nv.txt,Reno,East\n",
    )
    code_project(project)
    s = serve(project)
    try:
        out = tmp_path / "m.xlsx"
        result = api.report(project.root, out=out)
        assert "'site'" in result.by_reason  # the header's order, not the alphabet's
        cases, _ = compare(s, out)
        assert cases == ["Mesa", "Reno"]
        page = html.unescape(s.client().get("/matrix").text)
        assert "'site', the first case attribute" in page
    finally:
        s.store.close()


def _decided_total(page: str) -> int:
    return sum(
        int(n) for n in re.findall(r'<td class="num">\d+</td><td class="num">(\d+)</td>', page)
    )


def test_the_kept_pages_follow_decisions_here_and_elsewhere(example: Served) -> None:
    """The matrix's codings and the overview's counts are kept between visits: a decision in
    the browser or by another program shows on the next visit."""
    c = example.client()
    before = page_cells(c.get("/matrix").text)[1]
    overview = _decided_total(c.get("/").text)
    pending = codings_store.pending_suggestions(example.store)
    first, second = pending[0], pending[1]
    form = {"segment_id": first.segment_id, "code_id": first.code_id, "decision": "accepted"}
    assert c.post("/decide", data={**form, "csrf": example.secrets.csrf}).status_code == 200
    after = page_cells(c.get("/matrix").text)[1]
    assert sum(v[0] for v in after.values()) > sum(v[0] for v in before.values())
    assert _decided_total(c.get("/").text) == overview + 1
    other = Store(example.project.store_path)  # e.g. a review sheet imported meanwhile
    with other, other.transaction():
        decisions.decide(other, "Bo", second.segment_id, second.code_id, "rejected")
    assert _decided_total(c.get("/").text) == overview + 2
    later = page_cells(c.get("/matrix").text)[1]
    assert sum(v[1] for v in later.values()) < sum(v[1] for v in after.values())
