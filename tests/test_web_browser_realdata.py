"""The workspace in a real browser on REAL data: the SERDIF usability study's Taguette
project (../shared/devdata/serdif_usability_taguette; 17 transcripts, 1,794 highlights).

What a researcher does first: open the longest transcript, see the imported codings,
select a passage and code it (stored with the exact offsets), follow a matrix cell to
its passage (outlined where the reader opens), and leave a memo in markdown. Skips
where the devdata, Playwright or Chromium is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip(
    "starlette", reason="the web extra is not installed (pip install 'themegrid[web]')"
)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from test_web_browser import ARGS, CHROMIUM, SHOTS, _running, _select  # noqa: E402
from themegrid.exchange.taguette import import_taguette  # noqa: E402
from themegrid.project import init_project  # noqa: E402
from themegrid.store import workspace  # noqa: E402
from themegrid.store.connection import Store  # noqa: E402
from web_helpers import Served, serve  # noqa: E402

SERDIF = Path("../shared/devdata/serdif_usability_taguette/data/transcripts/thematic-analysis")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    ),
    pytest.mark.skipif(
        not SERDIF.is_dir(), reason=f"{SERDIF} is absent (the shared devdata sits beside the clone)"
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str]]:
    project, _ = init_project(tmp_path_factory.mktemp("serdif") / "p", empty_codebook=True)
    import_taguette(project, next(SERDIF.glob("*.sqlite3")))
    yield from _running(serve(project))


@pytest.fixture(scope="module")
def page(site: tuple[Served, str]) -> Iterator[Any]:
    served, base = site
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = b.new_context(viewport={"width": 1400, "height": 900}).new_page()
        pg.errors = []  # the console's errors (a missing file, a script error), checked last
        pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
        pg.goto(f"{base}/?token={served.secrets.token}")
        pg.fill("#coder-input", "New Researcher")
        pg.click("#coder-save")
        pg.wait_for_selector("#coder-name")
        yield pg
        b.close()


def test_code_a_passage_in_the_longest_transcript(site: tuple[Served, str], page: Any) -> None:
    served, base = site
    docs = workspace.document_progress(served.store)
    doc = max(docs, key=lambda d: d.turns)
    assert doc.turns > 100 and doc.decided > 50  # the imported highlights count as decided
    page.goto(f"{base}/doc/{doc.id}")
    assert page.locator("li.coding.human").count() >= doc.decided  # the imported codings show
    text = workspace.reader_document(served.store, doc.id).text
    turn = next(t for t in workspace.reader_turns(served.store, doc.id) if len(t.text) > 120)
    _select(page, turn.id, 20, 90)
    page.locator("#span-apply:not([disabled])").wait_for()
    code = page.locator("#span-code option").nth(2).get_attribute("value")
    page.select_option("#span-code", code)
    page.click("#span-apply")
    page.wait_for_selector(f"#seg-{turn.id} button.remove")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "real_serdif_reader.png"))
    with Store(served.store.path) as s:
        row = s.query(
            "SELECT span_start, span_end FROM codings WHERE coder = 'New Researcher'"
            " AND segment_id = ? AND code_id = ?",
            (turn.id, code),
        )
    assert [tuple(r) for r in row] == [(turn.start + 20, turn.start + 90)]
    assert text[turn.start + 20 : turn.start + 90] == turn.text[20:90]


def test_matrix_cell_opens_its_passage_outlined(site: tuple[Served, str], page: Any) -> None:
    _, base = site
    page.goto(f"{base}/matrix")
    heads = page.locator("table.matrix thead th").count() - 1
    assert heads == 17  # one column per transcript, none empty
    page.locator("table.matrix a.drill").first.click()
    link = page.locator("#drill a[href^='/doc/']").first
    link.wait_for()
    target = link.get_attribute("href").split("#", 1)[1]
    link.click()
    page.wait_for_url(f"**#{target}")
    outline = page.eval_on_selector(f"#{target}", "el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"
    page.screenshot(path=str(SHOTS / "real_serdif_matrix_to_reader.png"))


def test_a_markdown_memo_renders(site: tuple[Served, str], page: Any) -> None:
    _, base = site
    page.goto(f"{base}/")
    page.click("#project-memos summary")
    page.fill("#project-memo-text", "Ask **P3** about _exports_.\n\n- one\n- two")
    page.click("#project-memo-save")
    page.wait_for_selector("#project-memos .md strong")
    assert page.inner_text("#project-memos .md strong") == "P3"
    assert page.locator("#project-memos .md li").count() == 2


def test_no_console_errors_on_the_way(page: Any) -> None:
    assert page.errors == []  # e.g. the 404 every page got for /favicon.ico
