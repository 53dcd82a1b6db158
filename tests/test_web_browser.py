"""The workspace in a real browser: Playwright driving Debian's Chromium on the bundled example.

Nothing is downloaded: the tests use /usr/bin/chromium (``.ci/run`` installs
Debian's ``chromium`` package) and skip where it or Playwright is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

pytest.importorskip(
    "starlette", reason="the web extra is not installed (pip install 'themegrid[web]')"
)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="the web extra is not installed")

from conftest import REPO  # noqa: E402
from themegrid.project import Project  # noqa: E402
from themegrid.store import codings as codings_store  # noqa: E402
from themegrid.store import workspace  # noqa: E402
from themegrid.store.connection import Store  # noqa: E402
from themegrid.web import decisions  # noqa: E402
from web_helpers import Served, code_project, serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCRIPT_FILE = "interviews/zz_script_test.txt"
SCRIPT_TEXT = (
    "Interviewer: Anything else?\n"
    "Respondent: <script>window.__pwned = 1; document.title = 'pwned'</script>"
    ' <img src=x onerror="window.__pwned = 2"> Our budget was cut twice.\n'
)
# Screenshots of the reader, the queue and the matrix, to look at (never committed).
SHOTS = Path(
    os.environ.get("THEMEGRID_SCREENSHOTS", Path(tempfile.gettempdir()) / "themegrid-shots")
)

# About 40 s in all (a coded copy of the bundled example, a browser): run by
# `make test-all` and by .ci/run after `make test`; `make test` runs tests/test_web.py.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str]]:
    root = tmp_path_factory.mktemp("browser") / "example"
    root.mkdir()
    shutil.copytree(REPO / "codebook", root / "codebook")
    shutil.copytree(REPO / "corpus", root / "corpus")
    (root / "corpus" / SCRIPT_FILE).write_text(SCRIPT_TEXT, encoding="utf-8")
    project = Project(root)
    code_project(project)
    yield from _running(serve(project))


def _running(served: Served) -> Iterator[tuple[Served, str]]:
    """Serve ``served`` on a free local port in a thread; yields it with its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(served.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield served, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)
    served.store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _open(browser: Any, site: tuple[Served, str], coder: str) -> Any:
    served, base = site
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{base}/?token={served.secrets.token}")
    page.fill("#coder-input", coder)
    page.click("#coder-save")
    page.wait_for_selector("#coder-name")
    return page


def _fresh(store_path: str) -> Store:
    return Store(store_path)


def _select(page: Any, segment_id: str, a: int, b: int) -> None:
    """Select characters a..b of a turn's text in the reader, as a mouse drag would."""
    page.evaluate(
        """([id, a, b]) => {
            const box = document.querySelector('#seg-' + CSS.escape(id) + ' .text');
            const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
            let node, seen = 0, range = document.createRange(), started = false;
            while ((node = walker.nextNode())) {
                const n = node.data.length;
                if (!started && a < seen + n) { range.setStart(node, a - seen); started = true; }
                if (started && b <= seen + n) { range.setEnd(node, b - seen); break; }
                seen += n;
            }
            const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
        }""",
        [segment_id, a, b],
    )


def test_without_token_refused_and_post_without_csrf_refused(
    browser: Any, site: tuple[Served, str]
) -> None:
    served, base = site
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(f"{base}/queue")
    assert response is not None and response.status == 403
    page = _open(browser, site, "Csrf Tester")
    item = codings_store.pending_suggestions(served.store)[0]
    form = {"segment_id": item.segment_id, "code_id": item.code_id, "decision": "accepted"}
    r = page.request.post(f"{base}/decide", form=form)
    assert r.status == 403
    with _fresh(served.store.path) as s:
        assert s.scalar("SELECT COUNT(*) FROM codings WHERE coder = 'Csrf Tester'") == 0


def test_code_a_selected_passage(browser: Any, site: tuple[Served, str]) -> None:
    served, _ = site
    page = _open(browser, site, "Ana Ruiz")
    doc = next(
        d
        for d in workspace.document_progress(served.store)
        if d.path.startswith("interviews/az_district")
    )
    page.goto(page.url.rsplit("/", 1)[0] + f"/doc/{doc.id}")
    text = workspace.reader_document(served.store, doc.id).text
    turn = next(
        t
        for t in workspace.reader_turns(served.store, doc.id)
        if t.speaker and not t.is_interviewer and len(t.text) > 60
    )
    phrase = turn.text[10:50]
    _select(page, turn.id, 10, 50)  # 40 characters inside the turn, as a mouse drag would
    page.locator("#span-apply:not([disabled])").wait_for()
    code = next(c.id for c in served.app.state.workspace.codebook.codable)
    page.select_option("#span-code", code)
    page.click("#span-apply")
    page.wait_for_selector("mark.span.human")
    with _fresh(served.store.path) as s:
        row = s.query(
            "SELECT segment_id, code_id, span_start, span_end FROM codings"
            " WHERE coder = 'Ana Ruiz' AND span_start IS NOT NULL"
        )
    assert len(row) == 1
    seg, code_id, start, end = tuple(row[0])
    assert (seg, code_id) == (turn.id, code)
    assert (start, end) == (turn.start + 10, turn.start + 50)
    assert text[start:end] == phrase
    assert page.inner_text("mark.span.human") == phrase
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate(
        "([id]) => { document.getElementById('seg-' + id).scrollIntoView();"
        " window.scrollBy(0, -140); }",
        [turn.id],
    )
    page.screenshot(path=str(SHOTS / "reader.png"))


def test_accept_and_reject_with_the_keyboard(browser: Any, site: tuple[Served, str]) -> None:
    served, _ = site
    page = _open(browser, site, "Kim Keys")
    page.goto(page.url.rsplit("/", 1)[0] + "/queue")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "queue.png"))
    first = (
        page.get_attribute("#decide-form input[name=segment_id]", "value"),
        page.get_attribute("#decide-form input[name=code_id]", "value"),
    )
    page.keyboard.press("a")
    page.wait_for_selector("p.flash")
    second = (
        page.get_attribute("#decide-form input[name=segment_id]", "value"),
        page.get_attribute("#decide-form input[name=code_id]", "value"),
    )
    assert second != first
    page.keyboard.press("r")
    page.locator("p.flash", has_text="rejected").wait_for()
    with _fresh(served.store.path) as s:
        rows = [
            tuple(r)
            for r in s.query(
                "SELECT segment_id, code_id, status FROM codings WHERE coder = 'Kim Keys' ORDER BY id"
            )
        ]
    assert rows == [(*first, "accepted"), (*second, "rejected")]
    # j / k move through the queue without deciding
    before = page.inner_text(".position")
    page.keyboard.press("j")
    page.wait_for_url("**/queue?i=1")
    assert page.inner_text(".position") != before
    page.keyboard.press("k")
    page.wait_for_url("**/queue?i=0")


def test_drill_from_a_matrix_cell_to_a_passage(browser: Any, site: tuple[Served, str]) -> None:
    page = _open(browser, site, "Mo Matrix")
    page.goto(page.url.rsplit("/", 1)[0] + "/matrix")
    SHOTS.mkdir(parents=True, exist_ok=True)
    cell = page.locator("a.drill").first
    label = cell.inner_text()
    cell.click()
    page.wait_for_selector("#passages blockquote")
    page.screenshot(path=str(SHOTS / "matrix.png"), full_page=False)
    n_conf, n_unrev = (int(x) for x in label.split("/"))
    assert page.locator("#passages blockquote").count() == n_conf + n_unrev
    link = page.locator("#passages a.open").first
    href = link.get_attribute("href")
    link.click()
    page.wait_for_load_state()
    seg = href.split("#", 1)[1]
    assert page.locator(f"#{seg}").count() == 1
    assert page.url.endswith(href)


def test_script_in_a_transcript_renders_inert(browser: Any, site: tuple[Served, str]) -> None:
    served, _ = site
    page = _open(browser, site, "Sam Safe")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text))
    doc = next(d for d in workspace.document_progress(served.store) if d.path == SCRIPT_FILE)
    page.goto(page.url.rsplit("/", 1)[0] + f"/doc/{doc.id}")
    assert page.evaluate("window.__pwned") is None
    assert page.title() != "pwned"
    assert "<script>window.__pwned = 1;" in page.inner_text("#reader")
    assert page.locator("#reader img").count() == 0


def test_two_coders_decide_the_same_suggestion(browser: Any, site: tuple[Served, str]) -> None:
    served, _ = site
    item = codings_store.pending_suggestions(served.store)[-1]
    path = next(
        d.path for d in workspace.document_progress(served.store) if d.id == item.document_id
    )
    one, two = _open(browser, site, "Coder One"), _open(browser, site, "Coder Two")
    from urllib.parse import urlencode

    for page in (one, two):
        page.goto(
            page.url.rsplit("/", 1)[0] + "/queue?" + urlencode({"code": item.code_id, "doc": path})
        )
    target = (item.segment_id, item.code_id)
    for page in (one, two):  # both see the same suggestion first
        assert (
            page.get_attribute("#decide-form input[name=segment_id]", "value"),
            page.get_attribute("#decide-form input[name=code_id]", "value"),
        ) == target or pytest.fail("the filtered queue did not start at the chosen suggestion")
    one.click("#btn-accept")
    one.wait_for_selector("p.flash")
    two.click("#btn-reject")
    two.wait_for_selector("p.flash")
    with _fresh(served.store.path) as s:
        history = [
            tuple(r)
            for r in s.query(
                "SELECT coder, status FROM coding_history WHERE segment_id = ? AND code_id = ?"
                " AND source = 'human' ORDER BY id",
                target,
            )
        ]
        counts = codings_store.effective_coding(s, *target)
    assert history == [("Coder One", "accepted"), ("Coder Two", "rejected")]
    assert counts is not None and (counts.coder, counts.status) == ("Coder Two", "rejected")


def test_a_decision_meeting_a_busy_store_is_kept_and_resent(
    browser: Any, site: tuple[Served, str]
) -> None:
    served, _ = site
    page = _open(browser, site, "Busy Bee")
    page.goto(page.url.rsplit("/", 1)[0] + "/queue")
    target = (
        page.get_attribute("#decide-form input[name=segment_id]", "value"),
        page.get_attribute("#decide-form input[name=code_id]", "value"),
    )
    other = Store(served.store.path)
    other.conn.execute("BEGIN IMMEDIATE")  # a `themegrid code` writing
    try:
        page.keyboard.press("a")
        page.locator("#busy-banner", has_text="not stored yet").wait_for(timeout=20000)
        assert (
            page.evaluate("JSON.parse(localStorage.getItem('themegrid-pending-decisions')).length")
            == 1
        )
        with _fresh(served.store.path) as s:
            assert s.scalar("SELECT COUNT(*) FROM codings WHERE coder = 'Busy Bee'") == 0
    finally:
        other.conn.rollback()
        other.close()
    page.locator("#busy-banner").wait_for(state="hidden", timeout=20000)  # resent by itself
    with _fresh(served.store.path) as s:
        rows = [
            tuple(r)
            for r in s.query(
                "SELECT segment_id, code_id, status FROM codings WHERE coder = 'Busy Bee'"
            )
        ]
    assert rows == [(*target, "accepted")]


def _shown(page: Any) -> tuple[str | None, str | None]:
    return (
        page.get_attribute("#decide-form input[name=segment_id]", "value"),
        page.get_attribute("#decide-form input[name=code_id]", "value"),
    )


def test_add_a_code_in_the_queue_with_a_digit_and_the_quick_filter(
    browser: Any, site: tuple[Served, str]
) -> None:
    served, _ = site
    page = _open(browser, site, "Dee Digits")
    page.goto(page.url.rsplit("/", 1)[0] + "/queue")
    target = _shown(page)
    codable = [c for c in served.app.state.workspace.codes().values() if c.codable]
    page.keyboard.press("1")  # the first numbered code
    page.locator("p.flash", has_text=f"added: {codable[0].name}").wait_for()
    assert _shown(page) == target  # the suggestion is still there to decide
    wanted = codable[-1]
    page.keyboard.press("/")
    page.keyboard.type(wanted.name[:12])
    assert page.locator("#code-choices li:not([hidden])").count() >= 1
    assert page.inner_text("#code-choices li:not([hidden]) kbd.key >> nth=0") == "1"
    page.keyboard.press("Enter")
    page.locator("p.flash", has_text="added: ").last.wait_for()
    with _fresh(served.store.path) as s:
        for _ in range(50):  # the second add is posted by the page: wait for it to land
            if s.scalar("SELECT COUNT(*) FROM codings WHERE coder = 'Dee Digits'") == 2:
                break
            time.sleep(0.1)
    with _fresh(served.store.path) as s:
        rows = [
            tuple(r)
            for r in s.query(
                "SELECT segment_id, code_id, status, reason FROM codings"
                " WHERE coder = 'Dee Digits' ORDER BY id"
            )
        ]
    first_match = next(
        c.id for c in codable if wanted.name[:12].strip().lower() in f"{c.name} {c.id}".lower()
    )
    added = "added in the browser review queue"
    assert rows == [
        (target[0], codable[0].id, "accepted", added),
        (target[0], first_match, "accepted", added),
    ]
    assert _shown(page) == target


def test_memo_on_a_selected_passage(browser: Any, site: tuple[Served, str]) -> None:
    served, _ = site
    page = _open(browser, site, "Mia Memo")
    doc = next(
        d for d in workspace.document_progress(served.store) if d.path.startswith("interviews/nv_")
    )
    page.goto(page.url.rsplit("/", 1)[0] + f"/doc/{doc.id}")
    text = workspace.reader_document(served.store, doc.id).text
    turn = next(
        t
        for t in workspace.reader_turns(served.store, doc.id)
        if not t.is_interviewer and len(t.text) > 60
    )
    _select(page, turn.id, 5, 45)
    page.locator("#passage-memo-save:not([disabled])").wait_for()
    assert "Memo on the passage" in page.inner_text("#passage-memo-where")
    page.fill("#passage-memo-text", "Check this against the district plan.")
    page.click("#passage-memo-save")
    page.locator(f"#seg-{turn.id} blockquote.memo").wait_for()
    assert "Check this against the district plan." in page.inner_text(f"#seg-{turn.id}")
    # the passage itself is marked in the turn, the memo on hover
    marked = page.locator(f"#seg-{turn.id} .text .memo-span")
    assert marked.inner_text() == turn.text[5:45]
    assert "Check this against the district plan." in (marked.get_attribute("title") or "")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate(
        "([id]) => { document.getElementById('seg-' + id).scrollIntoView();"
        " window.scrollBy(0, -140); }",
        [turn.id],
    )
    page.screenshot(path=str(SHOTS / "reader_memo.png"))
    with _fresh(served.store.path) as s:
        rows = [
            tuple(r)
            for r in s.query(
                "SELECT target_kind, target_id, coder, span_start, span_end FROM memos"
                " WHERE coder = 'Mia Memo'"
            )
        ]
    assert rows == [("segment", turn.id, "Mia Memo", turn.start + 5, turn.start + 45)]
    assert text[rows[0][3] : rows[0][4]] == turn.text[5:45]
    # a click in the turn (a collapsed selection) puts the next memo on the whole turn
    page.evaluate(
        """([id]) => { const box = document.querySelector('#seg-' + CSS.escape(id) + ' .text');
            const sel = window.getSelection(); sel.removeAllRanges();
            const r = document.createRange(); r.setStart(box.lastChild, 0); r.collapse(true);
            sel.addRange(r); }""",
        [turn.id],
    )
    page.locator("#passage-memo-where", has_text="Memo on the turn").wait_for()
    page.fill("#passage-memo-text", "The whole answer is hedged.")
    page.click("#passage-memo-save")
    page.locator(f"#seg-{turn.id} blockquote.memo >> nth=1").wait_for()
    with _fresh(served.store.path) as s:
        last = tuple(
            s.query(
                "SELECT target_id, span_start, span_end FROM memos WHERE coder = 'Mia Memo'"
                " ORDER BY id DESC LIMIT 1"
            )[0]
        )
    assert last == (turn.id, None, None)


# --- agreement: two coders' decisions, the figures the page shows against the library's ---

CODER_A, CODER_B = "Ann Able", "Ben Baker"


@pytest.fixture(scope="module")
def two_coders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str]]:
    """The bundled example coded by the machine, then by two coders over the same 40
    suggestions: A accepts all, B rejects every third and adds a code to one passage."""
    root = tmp_path_factory.mktemp("agreement") / "example"
    root.mkdir()
    shutil.copytree(REPO / "codebook", root / "codebook")
    shutil.copytree(REPO / "corpus", root / "corpus")
    project = Project(root)
    code_project(project)
    served = serve(project)
    items = codings_store.pending_suggestions(served.store)[:40]
    other = next(c.id for c in project.load_codebook().codable if c.id != items[0].code_id)
    with served.store.transaction():
        for n, item in enumerate(items):
            decisions.decide(served.store, CODER_A, item.segment_id, item.code_id, "accepted")
            status = "rejected" if n % 3 == 0 else "accepted"
            decisions.decide(served.store, CODER_B, item.segment_id, item.code_id, status)
        decisions.add_code(served.store, CODER_B, items[1].segment_id, other)
    yield from _running(served)


def _fmt(value: float | None, pattern: str) -> str:
    return "–" if value is None else pattern % value


def test_agreement_view_shows_the_library_figures(
    browser: Any, two_coders: tuple[Served, str]
) -> None:
    from themegrid.aggregate.agreement import compute_agreement
    from themegrid.web.app import percent_shown

    served, _ = two_coders
    report = compute_agreement(served.store, [CODER_A, CODER_B])
    page = _open(browser, two_coders, CODER_A)
    page.goto(page.url.rsplit("/", 1)[0] + "/agreement?" + urlencode({"a": CODER_A, "b": CODER_B}))
    page.wait_for_selector("#agreement-codes")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "agreement.png"), full_page=True)
    summary = page.inner_text("#agreement-summary")
    assert f"On the {report.n_segments} segment(s) both have seen" in summary
    assert report.pooled.percent is not None and report.pooled.kappa is not None
    assert f"agreement {percent_shown(report.pooled.percent)}%" in summary
    assert f"Cohen's kappa {report.pooled.kappa:.2f}" in summary
    names = {c.id: c.name for c in served.app.state.workspace.codes().values()}
    shown = [
        [cell.strip() for cell in row.split("\t")]
        for row in page.locator("#agreement-codes tbody tr").all_inner_texts()
    ]
    expected = [
        [
            names.get(c.code_id, c.code_id),
            str(c.applied.get(CODER_A, 0)),
            str(c.applied.get(CODER_B, 0)),
            _fmt(c.figures.kappa, "%.2f"),
            _fmt(c.figures.alpha, "%.2f"),
        ]
        for c in report.per_code
    ]
    assert sorted(shown) == sorted(expected)
    in_codebook = [names[c] for c in names if c in {pc.code_id for pc in report.per_code}]
    assert [row[0] for row in shown] == in_codebook  # listed in codebook order
    # one row per passage where they differ, each code on the side of the coder who applied it
    by_seg: dict[str, tuple[set[str], set[str]]] = {}
    for d in report.disagreements:
        side = by_seg.setdefault(d.segment_id, (set(), set()))
        side[0 if CODER_A in d.applied_by else 1].add(names.get(d.code_id, d.code_id))
    rows = page.locator("#disagreements tbody tr")
    assert rows.count() == len(by_seg) > 0
    for i, (only_a, only_b) in enumerate(by_seg.values()):
        cells = rows.nth(i).locator("td")
        assert set(cells.nth(1).locator("div").all_inner_texts()) == only_a
        assert set(cells.nth(2).locator("div").all_inner_texts()) == only_b
    # a disagreement opens its passage in the reader
    first = report.disagreements[0]
    rows.nth(0).locator("a").click()
    page.wait_for_selector(f"#seg-{first.segment_id}")
    assert page.url.endswith(f"#seg-{first.segment_id}")


#: For each code chip of the queue's "add a code" list: is it laid out, inside the
#: window's width, not clipped by its list, and the topmost thing at its left end, centre
#: and right end once scrolled to (nothing drawn over it, such as the codebook panel on
#: a narrow window)?
_CHIPS_IN_VIEW = """() => {
    const ol = document.getElementById('code-choices');
    const out = {n: 0, clipped: ol.scrollHeight - ol.clientHeight, hidden: []};
    for (const b of ol.querySelectorAll('button.choice')) {
        out.n += 1;
        b.scrollIntoView({block: 'center'});
        const r = b.getBoundingClientRect();
        const y = r.top + r.height / 2;
        const seen = [r.left + 2, r.left + r.width / 2, r.right - 2].every(x => {
            const top = document.elementFromPoint(x, y);
            return top && b.contains(top);
        });
        if (r.width === 0 || r.right > document.documentElement.clientWidth + 1 || !seen)
            out.hidden.push(b.value);
    }
    return out;
}"""


@pytest.mark.parametrize("width", [1280, 420])
def test_every_code_chip_in_the_queue_can_be_reached(
    browser: Any, site: tuple[Served, str], width: int
) -> None:
    served, base = site
    codable = [c.id for c in served.project.load_codebook().codes if c.codable]
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(f"{base}/?token={served.secrets.token}")
    page.fill("#coder-input", "Wide Narrow")
    page.click("#coder-save")
    page.goto(f"{base}/queue")
    found = page.evaluate(_CHIPS_IN_VIEW)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"queue_chips_{width}.png"), full_page=True)
    context.close()
    assert found["n"] == len(codable) > 40  # the bundled codebook: 50 codable codes
    assert found["clipped"] <= 1, "the chip list cuts codes off"
    assert found["hidden"] == []
