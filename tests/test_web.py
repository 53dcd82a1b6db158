"""The browser workspace through Starlette's TestClient: access, CSRF, escaping, writes."""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from conftest import INTERVIEW_AZ, INTERVIEW_NV, write_project
from factories import add_coding
from themegrid.errors import InvalidCoder, WebError
from themegrid.exchange.refi.qdpx import export_qdpx
from themegrid.store import codings as codings_store
from themegrid.store import workspace
from themegrid.store.connection import Store
from themegrid.web.server import build
from web_helpers import Served, code_project, serve

SCRIPT_TURN = "Respondent: <script>document.title='pwned'</script> the budget & the grant money.\n"


@pytest.fixture
def served(tmp_path: Path) -> Served:
    project = write_project(
        tmp_path / "study",
        {
            "interviews/az.txt": INTERVIEW_AZ,
            "interviews/nv.txt": INTERVIEW_NV + SCRIPT_TURN,
        },
    )
    code_project(project)
    s = serve(project)
    yield s
    s.store.close()


def _doc_id(s: Served, path: str) -> int:
    return next(d.id for d in workspace.document_progress(s.store) if d.path == path)


def _human_rows(s: Served) -> list[tuple]:
    return [
        tuple(r)
        for r in s.store.query(
            "SELECT segment_id, code_id, coder, status, reason, span_start, span_end"
            " FROM codings WHERE source = 'human' ORDER BY id"
        )
    ]


# --- access -------------------------------------------------------------------------------


def test_request_without_token_is_refused(served: Served) -> None:
    from starlette.testclient import TestClient

    c = TestClient(served.app)
    for path in ("/", "/doc/1", "/queue", "/matrix", "/static/htmx.min.js"):
        assert c.get(path).status_code == 403, path
    assert c.get("/?token=wrong").status_code == 403
    r = c.get(f"/?token={served.secrets.token}", follow_redirects=False)
    assert r.status_code == 303 and "token" not in r.headers["location"]
    assert c.get("/static/htmx.min.js").status_code == 200  # the cookie now carries the token


def test_first_visit_asks_for_the_coder_name(served: Served) -> None:
    c = served.client(coder=None)
    r = c.get("/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/coder")
    r = c.post("/coder", data={"coder": "themegrid:rules", "csrf": served.secrets.csrf})
    assert r.status_code == 400  # a machine name is not a coder
    c.post("/coder", data={"coder": "Bo Lee", "next": "/queue", "csrf": served.secrets.csrf})
    assert "Bo Lee" in c.get("/queue").text


def test_security_headers(served: Served) -> None:
    r = served.client().get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert "<script>" not in re.sub(r'<script src="/static/[a-z.]+" defer></script>', "", r.text)


def test_post_without_csrf_is_refused_and_stores_nothing(served: Served) -> None:
    c = served.client()
    item = codings_store.pending_suggestions(served.store)[0]
    form = {"segment_id": item.segment_id, "code_id": item.code_id, "decision": "accepted"}
    assert c.post("/decide", data=form).status_code == 403
    assert c.post("/decide", data={**form, "csrf": "guess"}).status_code == 403
    assert _human_rows(served) == []
    assert c.post("/decide", data={**form, "csrf": served.secrets.csrf}).status_code == 200
    assert [r[:4] for r in _human_rows(served)] == [
        (item.segment_id, item.code_id, "Ana", "accepted")
    ]


def test_public_address_needs_accounts(served: Served) -> None:
    with pytest.raises(WebError, match=r"127\.0\.0\.1"):
        build(served.project, host="0.0.0.0")


# --- escaping -----------------------------------------------------------------------------


def test_script_in_a_transcript_is_shown_as_text(served: Served) -> None:
    c = served.client()
    html = c.get(f"/doc/{_doc_id(served, 'interviews/nv.txt')}").text
    quote = "(&#39;|&#x27;)"  # markupsafe and the standard library spell the quote differently
    assert re.search(f"&lt;script&gt;document.title={quote}pwned{quote}&lt;/script&gt;", html)
    assert "<script>document.title" not in html


# --- reader: coding a passage -------------------------------------------------------------


def test_coding_a_passage_stores_its_exact_offsets(served: Served) -> None:
    c = served.client()
    doc = _doc_id(served, "interviews/az.txt")
    text = workspace.reader_document(served.store, doc).text
    start = text.index("substitute teachers")
    end = start + len("substitute teachers")
    code = "barriers.staffing"
    r = c.post(
        "/code-span",
        data={
            "document_id": doc,
            "start": start,
            "end": end,
            "code_id": code,
            "csrf": served.secrets.csrf,
        },
    )
    assert r.status_code == 200
    rows = _human_rows(served)
    assert len(rows) == 1
    seg, code_id, coder, status, _reason, s0, s1 = rows[0]
    assert (code_id, coder, status, s0, s1) == (code, "Ana", "accepted", start, end)
    turn = next(t for t in workspace.reader_turns(served.store, doc) if t.id == seg)
    assert turn.start <= start < end <= turn.end  # counted for the turn it falls in
    assert text[s0:s1] == "substitute teachers"
    history = served.store.query(
        "SELECT span_start, span_end FROM coding_history WHERE source = 'human'"
    )
    assert [tuple(h) for h in history] == [(start, end)]
    # the reader shows it as a human mark in the code's colour
    page = c.get(f"/doc/{doc}").text
    assert re.search(r'<mark class="span code-\d+ human"[^>]*>substitute teachers</mark>', page)


def test_a_passage_across_two_turns_is_refused(served: Served) -> None:
    c = served.client()
    doc = _doc_id(served, "interviews/az.txt")
    text = workspace.reader_document(served.store, doc).text
    start = text.index("rethink")
    end = text.index("And staffing") + 5
    r = c.post(
        "/code-span",
        data={
            "document_id": doc,
            "start": start,
            "end": end,
            "code_id": "barriers.staffing",
            "csrf": served.secrets.csrf,
        },
    )
    assert "not inside one turn" in r.text
    assert _human_rows(served) == []


def test_a_second_passage_with_the_same_code_in_one_turn_is_refused(served: Served) -> None:
    """One coding per coder, code and turn: a second passage would silently replace the first."""
    c = served.client()
    doc = _doc_id(served, "interviews/az.txt")
    text = workspace.reader_document(served.store, doc).text
    csrf = served.secrets.csrf

    def code(phrase: str, code_id: str = "barriers.staffing") -> Any:
        start = text.index(phrase)
        form = {"document_id": doc, "start": start, "end": start + len(phrase), "code_id": code_id}
        return c.post("/code-span", data={**form, "csrf": csrf})

    code("substitute teachers")
    r = code("turnover hurt")  # same turn, same code
    assert "already coded the passage" in r.text and "remove that coding first" in r.text
    assert code("release time", "barriers.funding").status_code == 200  # another code is fine
    spans = {(row[1], text[row[5] : row[6]]) for row in _human_rows(served)}
    assert spans == {
        ("barriers.staffing", "substitute teachers"),
        ("barriers.funding", "release time"),
    }
    seg = _human_rows(served)[0][0]
    c.post("/remove", data={"segment_id": seg, "code_id": "barriers.staffing", "csrf": csrf})
    assert code("turnover hurt").status_code == 200  # after removing, the new passage is taken
    assert ("barriers.staffing", "turnover hurt", "accepted") in {
        (row[1], text[row[5] : row[6]], row[3]) for row in _human_rows(served)
    }


def test_remove_your_own_coding_only(served: Served) -> None:
    ana, bo = served.client("Ana"), served.client("Bo")
    doc = _doc_id(served, "interviews/az.txt")
    text = workspace.reader_document(served.store, doc).text
    start = text.index("budget")
    form = {"document_id": doc, "start": start, "end": start + 6, "code_id": "barriers.staffing"}
    ana.post("/code-span", data={**form, "csrf": served.secrets.csrf})
    seg = _human_rows(served)[0][0]
    gone = {"segment_id": seg, "code_id": "barriers.staffing", "csrf": served.secrets.csrf}
    assert bo.post("/remove", data=gone).status_code == 400
    assert ana.post("/remove", data=gone).status_code == 200
    (row,) = _human_rows(served)
    assert row[2:4] == ("Ana", "rejected")
    statuses = [
        r[0]
        for r in served.store.query(
            "SELECT status FROM coding_history WHERE source = 'human' ORDER BY id"
        )
    ]
    assert statuses == ["accepted", "rejected"]  # the withdrawn coding stays in the history


# --- review queue -------------------------------------------------------------------------


def test_two_coders_deciding_one_suggestion_both_kept_latest_counts(served: Served) -> None:
    ana, bo = served.client("Ana"), served.client("Bo")
    item = codings_store.pending_suggestions(served.store)[0]
    base = {"segment_id": item.segment_id, "code_id": item.code_id, "csrf": served.secrets.csrf}
    ana.post("/decide", data={**base, "decision": "accepted"})
    bo.post("/decide", data={**base, "decision": "rejected"})
    history = served.store.query(
        "SELECT coder, status, reason FROM coding_history WHERE source = 'human' ORDER BY id"
    )
    assert [tuple(h) for h in history] == [
        ("Ana", "accepted", "accepted in the browser"),
        ("Bo", "rejected", "rejected in the browser"),
    ]
    counts = codings_store.effective_coding(served.store, item.segment_id, item.code_id)
    assert counts is not None and (counts.coder, counts.status) == ("Bo", "rejected")


def test_queue_shows_one_suggestion_with_context_and_cue(served: Served) -> None:
    html = served.client().get("/queue").text
    assert html.count('id="decide-form"') == 1
    assert '<mark class="cue">' in html
    assert "Suggestion 1 of" in html


def test_a_busy_store_refuses_with_503_and_stores_nothing(served: Served) -> None:
    c = served.client()
    item = codings_store.pending_suggestions(served.store)[0]
    form = {
        "segment_id": item.segment_id,
        "code_id": item.code_id,
        "decision": "accepted",
        "csrf": served.secrets.csrf,
    }
    served.app.state.workspace.writer.attempts = 2
    other = Store(served.project.store_path)
    other.conn.execute("BEGIN IMMEDIATE")  # another command writing
    try:
        r = c.post("/decide", data=form)
        assert r.status_code == 503 and "another themegrid command" in r.text
    finally:
        other.conn.rollback()
        other.close()
    assert _human_rows(served) == []
    assert c.post("/decide", data=form).status_code == 200  # the page's resend lands
    assert len(_human_rows(served)) == 1


# --- matrix -------------------------------------------------------------------------------


def test_matrix_cell_lists_the_passages_behind_it(served: Served) -> None:
    c = served.client()
    html = c.get("/matrix").text
    cells = re.findall(r'href="(/matrix/cell\?[^"]+)"', html)
    assert cells
    link = cells[0].replace("&amp;", "&")
    drill = c.get(link).text
    opened = re.findall(r'href="(/doc/\d+#seg-[^"]+)"', drill)
    assert opened
    shown = re.search(r"(\d+) passage\(s\)", drill)
    assert shown and int(shown.group(1)) == len(opened)
    assert c.get(opened[0].split("#")[0]).status_code == 200


# --- REFI-QDA export of a span -------------------------------------------------------------


def test_refi_export_writes_the_exact_span(served: Served) -> None:
    pytest.importorskip("lxml")
    c = served.client()
    doc = _doc_id(served, "interviews/az.txt")
    text = workspace.reader_document(served.store, doc).text
    start = text.index("grant money")
    end = start + len("grant money")
    c.post(
        "/code-span",
        data={
            "document_id": doc,
            "start": start,
            "end": end,
            "code_id": "barriers.staffing",
            "csrf": served.secrets.csrf,
        },
    )
    buf = io.BytesIO()
    export_qdpx(served.project, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        xml = zf.read("project.qde").decode()
    assert f'startPosition="{start}"' in xml and f'endPosition="{end}"' in xml


def test_names_from_people_and_files_are_escaped(served: Served) -> None:
    c = served.client(coder="<img src=x onerror=alert(1)>")
    html = c.get("/").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html


def test_serve_command_refuses_a_public_address_and_a_missing_extra(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from themegrid.cli import app

    runner = CliRunner()
    root = str(served.project.root)
    r = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--project", root])
    assert r.exit_code == 1 and "needs user accounts" in r.output
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    r = runner.invoke(app, ["serve", "--project", root])
    assert r.exit_code == 1 and "pip install 'themegrid[web]'" in r.output


def test_an_account_named_like_another_but_for_case_is_refused(served: Served) -> None:
    from themegrid.web.accounts import add_user

    add_user(served.project, "Dee", "a long enough passphrase")
    # a near-duplicate of an account would split one person's decisions in two
    with pytest.raises(InvalidCoder, match=r"did you mean 'Dee'.*--new-coder"):
        add_user(served.project, "dee ", "another long passphrase")
    assert add_user(served.project, "dee", "another long passphrase", new_coder=True) == "dee"
    seg = served.store.scalar("SELECT id FROM segments LIMIT 1")
    add_coding(served.store, seg, "funding", source="human", coder="Ana Ruiz", status="accepted")
    with pytest.raises(InvalidCoder, match="did you mean 'Ana Ruiz'"):  # a coder, no account
        add_user(served.project, "ana  ruiz", "a long enough passphrase")
    assert add_user(served.project, "Ana Ruiz", "a long enough passphrase") == "Ana Ruiz"


def test_public_address_with_accounts_needs_a_login_and_attributes_to_the_user(
    served: Served,
) -> None:
    from starlette.testclient import TestClient

    from themegrid.web.accounts import add_user

    with pytest.raises(WebError, match="at least 10"):
        add_user(served.project, "Dee", "short")
    add_user(served.project, "Dee", "a long enough passphrase")
    with pytest.raises(WebError, match="exists already"):
        add_user(served.project, "Dee", "another long passphrase")
    stored = served.store.scalar("SELECT password FROM users WHERE name = 'Dee'")
    assert stored.startswith("scrypt$") and "passphrase" not in stored
    app, secrets_, store = build(served.project, host="0.0.0.0")
    try:
        c = TestClient(app)
        assert (
            c.get(f"/?token={secrets_.token}", follow_redirects=False).headers["location"]
            == "/login"
        )
        item = codings_store.pending_suggestions(store)[0]
        form = {
            "segment_id": item.segment_id,
            "code_id": item.code_id,
            "decision": "accepted",
            "csrf": secrets_.csrf,
        }
        assert c.post("/decide", data=form).status_code == 403
        bad = {"name": "Dee", "password": "wrong password!", "csrf": secrets_.csrf}
        assert c.post("/login", data=bad).status_code == 403
        assert (
            c.post("/login", data={**bad, "password": "a long enough passphrase"}).status_code
            == 200
        )
        c.cookies.set("tg_coder", "Someone Else")  # a chosen name does not count with accounts
        assert c.post("/decide", data=form).status_code == 200
        assert store.scalar("SELECT coder FROM codings WHERE source = 'human'") == "Dee"
    finally:
        store.close()


def test_memo_on_a_document_is_kept_and_escaped(served: Served) -> None:
    c = served.client("Ana")
    doc = _doc_id(served, "interviews/az.txt")
    memo = {"kind": "document", "target": str(doc), "text": "Budget <b>first</b>, staffing second."}
    assert c.post("/memo", data=memo).status_code == 403  # no CSRF token
    assert c.post("/memo", data={**memo, "csrf": served.secrets.csrf}).status_code == 200
    html = c.get(f"/doc/{doc}").text
    assert "Budget &lt;b&gt;first&lt;/b&gt;, staffing second." in html
    rows = served.store.query("SELECT target_kind, target_id, coder, text FROM memos")
    assert [tuple(r) for r in rows] == [("document", str(doc), "Ana", memo["text"])]
    with pytest.raises(Exception, match="never deleted"):
        served.store.execute("DELETE FROM memos")


# --- memos on a code and on a passage -------------------------------------------------------


def test_memo_on_a_code_shows_in_the_codebook_panel_beside_reader_and_queue(
    served: Served,
) -> None:
    c = served.client("Ana")
    doc = _doc_id(served, "interviews/az.txt")
    memo = {"kind": "code", "target": "barriers.staffing", "text": "Merge with <i>turnover</i>?"}
    r = c.post(
        "/memo", data={**memo, "next": f"/doc/{doc}", "csrf": served.secrets.csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == f"/doc/{doc}#code-barriers.staffing"
    rows = served.store.query("SELECT target_kind, target_id, coder, text, created_at FROM memos")
    assert [tuple(r)[:4] for r in rows] == [("code", "barriers.staffing", "Ana", memo["text"])]
    assert rows[0]["created_at"][:4].isdigit()
    for page in (f"/doc/{doc}", "/queue", "/codebook"):
        html = c.get(page).text
        panel = html[html.index('id="code-barriers.staffing"') :]
        panel = panel[: panel.index("</details>")]
        assert "Merge with &lt;i&gt;turnover&lt;/i&gt;?" in panel and "Ana" in panel, page
    bad = {**memo, "target": "no.such.code", "csrf": served.secrets.csrf}
    assert c.post("/memo", data=bad).status_code == 400
    ext = {**memo, "next": "//evil.example/", "csrf": served.secrets.csrf}
    r = c.post("/memo", data=ext, follow_redirects=False)
    assert r.headers["location"] == "/codebook#code-barriers.staffing"  # never off-site
    assert served.store.scalar("SELECT COUNT(*) FROM memos") == 2


def test_memo_on_a_passage_shows_under_its_turn_and_in_the_queue(served: Served) -> None:
    c = served.client("Ana")
    item = codings_store.pending_suggestions(served.store)[0]
    doc = workspace.segment_document(served.store, item.segment_id)
    memo = {"kind": "segment", "target": item.segment_id, "text": "Says this twice, later too."}
    r = c.post("/memo", data={**memo, "csrf": served.secrets.csrf}, follow_redirects=False)
    assert r.headers["location"] == f"/doc/{doc}#seg-{item.segment_id}"
    html = c.get(f"/doc/{doc}").text
    turn = html[html.index(f'id="seg-{item.segment_id}"') :]
    turn = turn[: turn.index("</article>")]
    assert "Says this twice, later too." in turn and "Ana" in turn
    assert html.count("Says this twice, later too.") == 1  # under its turn only
    queue = c.get("/queue", params={"doc": item.path}).text
    assert 'id="passage-memo-form"' not in queue
    if item.segment_id in queue:
        assert "Says this twice, later too." in queue
    bad = {**memo, "target": "no-such-segment", "csrf": served.secrets.csrf}
    assert c.post("/memo", data=bad).status_code == 400
    assert served.store.scalar("SELECT COUNT(*) FROM memos") == 1


def test_memo_on_a_selected_passage_keeps_its_offsets_and_is_marked_where_it_is(
    served: Served,
) -> None:
    c = served.client("Ana")
    doc = _doc_id(served, "interviews/az.txt")
    text = workspace.reader_document(served.store, doc).text
    turn = next(t for t in workspace.reader_turns(served.store, doc) if "substitute" in t.text)
    start = text.index("substitute teachers")
    memo = {
        "kind": "segment",
        "target": turn.id,
        "start": str(start),
        "end": str(start + len("substitute teachers")),
        "text": "Staffing <em>again</em>.",
        "csrf": served.secrets.csrf,
    }
    r = c.post("/memo", data=memo, follow_redirects=False)
    assert r.headers["location"] == f"/doc/{doc}#seg-{turn.id}"
    rows = served.store.query("SELECT target_id, coder, span_start, span_end, text FROM memos")
    assert [tuple(r) for r in rows] == [
        (turn.id, "Ana", start, start + 19, "Staffing <em>again</em>.")
    ]
    html = c.get(f"/doc/{doc}").text
    article = html[html.index(f'id="seg-{turn.id}"') :]
    article = article[: article.index("</article>")]
    marked = re.search(r'<span class="memo-span" title="([^"]*)"[^>]*>([^<]*)</span>', article)
    assert marked and marked.group(2) == "substitute teachers"
    assert "Staffing &lt;em&gt;again&lt;/em&gt;." in marked.group(1)
    assert "on “substitute teachers”" in article  # the memo under its turn quotes its passage
    # a passage reaching past its turn, or empty, or not numbers: refused, nothing stored
    for bad in (
        {"start": str(turn.start), "end": str(turn.end + 5)},
        {"start": str(start), "end": str(start)},
        {"start": "x", "end": "3"},
    ):
        r = c.post("/memo", data={**memo, **bad}, follow_redirects=False)
        assert r.status_code in (303, 400), bad
        if r.status_code == 303:
            assert "error=" in r.headers["location"]
    assert served.store.scalar("SELECT COUNT(*) FROM memos") == 1


def test_the_queue_shows_a_passage_memo_with_its_passage(served: Served) -> None:
    c = served.client("Ana")
    html = c.get("/queue").text
    shown = re.search(r'name="segment_id" value="([^"]+)"', html)
    assert shown
    seg = shown.group(1)
    doc = workspace.segment_document(served.store, seg)
    turn = next(t for t in workspace.reader_turns(served.store, doc) if t.id == seg)
    memo = {"kind": "segment", "target": seg, "text": "Hedged claim.", "csrf": served.secrets.csrf}
    c.post("/memo", data={**memo, "start": str(turn.start + 2), "end": str(turn.start + 14)})
    html = c.get("/queue").text
    assert "Hedged claim." in html and f"memo on “{turn.text[2:14]}” in this turn" in html


def test_memo_on_a_passage_whose_text_is_edited_away_stays_on_the_page(served: Served) -> None:
    c = served.client("Ana")
    doc = _doc_id(served, "interviews/az.txt")
    seg = next(t.id for t in workspace.reader_turns(served.store, doc) if "grant money" in t.text)
    memo = {
        "kind": "segment",
        "target": seg,
        "text": "Ask about the grant.",
        "csrf": served.secrets.csrf,
    }
    c.post("/memo", data=memo)
    edited = INTERVIEW_AZ.replace(
        "Once the grant money ran out we had to rethink everything.", "We started over."
    )
    (served.project.corpus_dir / "interviews" / "az.txt").write_text(edited, encoding="utf-8")
    code_project(served.project)
    html = c.get(f"/doc/{doc}").text
    assert seg not in [t.id for t in workspace.reader_turns(served.store, doc)]
    kept = html[html.index("Memos on passages no longer in the file") :]
    assert "Ask about the grant." in kept and "grant money ran out" in kept


def test_passage_memo_on_text_an_edit_removed_is_listed_with_its_passage(
    served: Served,
) -> None:
    c = served.client("Ana")
    doc = _doc_id(served, "interviews/az.txt")
    text = workspace.reader_document(served.store, doc).text
    turn = next(t for t in workspace.reader_turns(served.store, doc) if "grant money" in t.text)
    start = text.index("grant money ran out")
    memo = {"kind": "segment", "target": turn.id, "text": "Which grant?"}
    span = {"start": str(start), "end": str(start + len("grant money ran out"))}
    c.post("/memo", data={**memo, **span, "csrf": served.secrets.csrf})
    edited = INTERVIEW_AZ.replace("Once the grant money ran out we had", "Then we had")
    (served.project.corpus_dir / "interviews" / "az.txt").write_text(edited, encoding="utf-8")
    code_project(served.project)
    html = c.get(f"/doc/{doc}").text
    kept = html[html.index("Memos on passages no longer in the file") :]
    assert "Which grant?" in kept and "on the passage “grant money ran out”" in kept
    assert served.store.scalar("SELECT COUNT(*) FROM memos") == 1


# --- review queue: adding a code, filtering by case attribute -------------------------------


def test_queue_adds_a_code_by_quick_filter_or_number_as_a_human_coding(served: Served) -> None:
    c = served.client("Ana")
    html = c.get("/queue").text
    shown = re.search(
        r'name="segment_id" value="([^"]+)">\s*<input type="hidden" name="code_id" value="([^"]+)"',
        html,
    )
    assert shown
    item = next(
        p
        for p in codings_store.pending_suggestions(served.store)
        if (p.segment_id, p.code_id) == shown.groups()
    )
    other = "barriers.funding" if item.code_id == "barriers.staffing" else "barriers.staffing"
    typed = {"barriers.funding": "FUNDING con", "barriers.staffing": "staffing sh"}[other]
    assert 'id="add-code-form"' in html and '<kbd class="key">1</kbd>' in html
    form = {"segment_id": item.segment_id, "csrf": served.secrets.csrf, "i": "0"}
    r = c.post("/add-code", data={**form, "code_query": typed}, headers={"HX-Request": "1"})
    assert r.status_code == 200 and "added: " in r.text
    rows = [(s, code, who, st, why) for s, code, who, st, why, *_ in _human_rows(served)]
    assert rows == [
        (item.segment_id, other, "Ana", "accepted", "added in the browser review queue")
    ]
    # the suggestion under review still waits for its own decision, shown with the added code
    assert (item.segment_id, item.code_id) in {
        (p.segment_id, p.code_id) for p in codings_store.pending_suggestions(served.store)
    }
    assert 'class="coded-here"' in r.text and f'value="{item.code_id}"' in r.text
    for bad in ({"code_query": "zzz-no-code"}, {"code_id": "barriers"}, {"code_query": ""}):
        assert c.post("/add-code", data={**form, **bad}).status_code == 400
    assert c.post("/add-code", data={**form, "code_id": other, "csrf": ""}).status_code == 403
    assert len(_human_rows(served)) == 1


def test_queue_filters_by_case_attribute(served: Served) -> None:
    c = served.client()
    pending = codings_store.pending_suggestions(served.store)
    nevada = [p for p in pending if p.path == "interviews/nv.txt"]
    assert nevada and len(nevada) < len(pending)
    html = c.get("/queue", params={"attr": "state=Nevada"}).text
    assert f"Suggestion 1 of {len(nevada)}" in html
    assert '<option value="state=Nevada" selected>' in html
    assert "interviews/az.txt</a>" not in html
    html = c.get("/queue", params={"attr": "state=Nowhere"}).text
    assert 'id="queue-empty"' in html and "with these filters" in html


def test_reader_counts_the_coding_the_store_counts(served: Served) -> None:
    """The reader works out which coding counts from one document's rows; it must agree
    with the store's effective_codings view for every coding on the page."""
    ana, bo = served.client("Ana"), served.client("Bo")
    pending = codings_store.pending_suggestions(served.store)
    csrf = served.secrets.csrf
    first, second = pending[0], pending[1]
    for who, item, decision in ((ana, first, "accepted"), (bo, first, "rejected")):
        who.post(
            "/decide",
            data={"segment_id": item.segment_id, "code_id": item.code_id, "decision": decision,
                  "csrf": csrf},
        )  # fmt: skip
    bo.post("/decide", data={"segment_id": second.segment_id, "code_id": second.code_id,
                             "decision": "accepted", "csrf": csrf})  # fmt: skip
    bo.post("/add-code", data={"segment_id": first.segment_id, "code_id": "barriers.funding",
                               "csrf": csrf})  # fmt: skip
    checked = {True: 0, False: 0}
    for d in workspace.document_progress(served.store):
        for c in codings_store.document_codings(served.store, d.id):
            eff = codings_store.effective_coding(served.store, c.segment_id, c.code_id)
            if c.source == "human":
                expected = eff is not None and eff.source == "human" and eff.coder == c.coder
                checked[expected] += 1
            else:
                expected = eff is not None and eff.status == "suggested"
            assert c.counts == expected, c
    assert checked[True] >= 2 and checked[False] >= 1  # both sides of the rule were seen


def test_agreement_view_puts_two_coders_disagreements_side_by_side(served: Served) -> None:
    ana, bo = served.client("Ana"), served.client("Bo")
    assert 'id="agreement-none"' in ana.get("/agreement").text  # nobody has decided yet
    csrf = served.secrets.csrf
    pending = codings_store.pending_suggestions(served.store)
    same, differ = pending[0], pending[1]
    for who in (ana, bo):
        who.post("/decide", data={"segment_id": same.segment_id, "code_id": same.code_id,
                                  "decision": "accepted", "csrf": csrf})  # fmt: skip
    ana.post("/decide", data={"segment_id": differ.segment_id, "code_id": differ.code_id,
                              "decision": "accepted", "csrf": csrf})  # fmt: skip
    bo.post("/decide", data={"segment_id": differ.segment_id, "code_id": differ.code_id,
                             "decision": "rejected", "csrf": csrf})  # fmt: skip
    html = ana.get("/agreement", params={"a": "Ana", "b": "Bo"}).text
    table = html[html.index('id="disagreements"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr><td>(.*?)</tr>", table, flags=re.S)
    assert len(rows) == 1  # the passage they agree on is not listed
    cells = rows[0].split("<td>")
    name = served.app.state.workspace.codes()[differ.code_id].name
    assert name in cells[1] and name not in cells[2]  # only Ana applied it
    assert f"#seg-{differ.segment_id}" in rows[0]
    assert "2 segment(s) both have seen" in html


def test_agreement_percent_is_rounded_down_so_only_full_agreement_reads_100() -> None:
    from themegrid.web.app import percent_shown

    assert [percent_shown(v) for v in (99.9438, 99.96, 100.0, 0.0, 66.66, 0.57 * 100)] == [
        "99.9",
        "99.9",
        "100.0",
        "0.0",
        "66.6",
        "57.0",
    ]


def test_overview_marks_a_failed_run_with_its_reason(tmp_path: Path) -> None:
    from themegrid.store.runs import start_run

    project = write_project(tmp_path / "study")
    code_project(project)
    with Store(project.store_path) as store, pytest.raises(RuntimeError), store.transaction():
        start_run(store, "import-coded", None)
        raise RuntimeError("the disk went away")
    s = serve(project)
    try:
        page = s.client().get("/").text
    finally:
        s.store.close()
    rows = re.findall(r"<tr[^>]*>.*?</tr>", page.split("Last runs", 1)[1], re.S)
    failed = [r for r in rows if "import-coded" in r]
    assert len(failed) == 1
    assert 'class="run-failed"' in failed[0] and "<b>failed</b>" in failed[0]
    assert "RuntimeError: the disk went away" in failed[0]
    finished = [r for r in rows if ">code<" in r]
    assert finished and not any("failed" in r for r in finished)
    # the figures in words, not the summary's keys
    assert "segments tagged" in finished[0] and "new suggestions" in finished[0]
    assert "run_id" not in page and "codebook_changed" not in page and "False" not in finished[0]


def test_run_facts_reads_the_non_zero_figures() -> None:
    from themegrid.web.app import run_facts

    summary = {"run_id": 4, "codebook_changed": False, "segments_tagged": 1018,
               "suggestions_new": 974, "suggestions_retired": 0, "odd_count": 2, "note": "x"}  # fmt: skip
    assert run_facts(summary) == "1,018 segments tagged, 974 new suggestions, 2 odd count"
    assert run_facts({"run_id": 1, "segments_tagged": 0}) == "nothing changed"


def test_memos_page_lists_every_memo_with_what_it_is_on(served: Served) -> None:
    c = served.client("Ana")
    doc = _doc_id(served, "interviews/az.txt")
    turn = next(t for t in workspace.reader_turns(served.store, doc) if "substitute" in t.text)
    text = workspace.reader_document(served.store, doc).text
    start = text.index("substitute teachers")
    posts = [
        {"kind": "document", "target": str(doc), "text": "Whole interview: <b>budget</b>."},
        {"kind": "code", "target": "barriers.staffing", "text": "Merge with turnover?"},
        {
            "kind": "segment",
            "target": turn.id,
            "start": str(start),
            "end": str(start + len("substitute teachers")),
            "text": "Subs again.",
        },
    ]
    for memo in posts:
        assert c.post("/memo", data={**memo, "csrf": served.secrets.csrf}).status_code == 200
    ben = served.client("Ben")
    assert ben.post("/memo", data={**posts[1], "text": "Ben's view.", "csrf": served.secrets.csrf})
    html = c.get("/memos").text
    assert "4 of 4 memo(s)" in html
    listing = html[html.index('id="memo-list"') :]
    assert listing.index("Whole interview") < listing.index("Subs again.") < listing.index("Merge")
    assert "Whole interview: &lt;b&gt;budget&lt;/b&gt;." in listing  # data never markup
    passage = listing[listing.index("On a passage") :]
    assert f'href="/doc/{doc}#seg-{turn.id}"' in passage
    assert "substitute teachers</blockquote>" in passage
    only_ben = c.get("/memos", params={"coder": "Ben"}).text
    assert "1 of 4 memo(s)" in only_ben
    assert "Ben's view." in only_ben.replace("&#39;", "'")
    assert "Subs again." not in only_ben
    found = c.get("/memos", params={"q": "SUBSTITUTE"}).text  # words of the passage, any case
    assert "1 of 4 memo(s)" in found and "Subs again." in found


def test_the_reader_shows_a_coders_note_beside_the_coding(served: Served) -> None:
    item = codings_store.pending_suggestions(served.store)[0]
    note = "funding, not choice <b>per p. 4</b>"
    with served.store.transaction():
        codings_store.record_human_codings(
            served.store,
            "Ana",
            [
                codings_store.HumanDecision(
                    item.segment_id, item.code_id, "accepted", "review", note
                )
            ],
            run_id=None,
            at="2026-12-02T08:00:00+00:00",
        )
    doc = served.store.scalar("SELECT document_id FROM segments WHERE id = ?", (item.segment_id,))
    page = served.client("Ana").get(f"/doc/{doc}").text
    assert '<span class="note">funding, not choice &lt;b&gt;per p. 4&lt;/b&gt;</span>' in page


def test_the_overview_rolls_parents_up_as_the_matrix_does(served: Served) -> None:
    """A grouping's row counts its codes' segments once each (it showed 0 / 0 while the
    matrix showed the rolled-up counts): confirmed where a child is confirmed, unreviewed
    where a child is suggested and none confirmed."""
    s = served.store
    parent_of = dict(s.query("SELECT id, parent_id FROM codes"))
    children = [c for c, p in parent_of.items() if p == "barriers"]
    assert len(children) >= 2
    marks = ",".join("?" * len(children))
    rows = s.query(
        "SELECT segment_id, code_id FROM effective_codings WHERE status = 'suggested'"
        f" AND code_id IN ({marks})",
        tuple(children),
    )
    first_seg, first_code = rows[0]
    add_coding(s, first_seg, first_code, source="human", coder="Ana", status="accepted")
    counts = workspace.code_counts(s)
    live = s.query(
        "SELECT e.segment_id, e.status FROM effective_codings e JOIN segments g"
        f" ON g.id = e.segment_id WHERE g.active = 1 AND g.codable = 1 AND e.code_id IN ({marks})",
        tuple(children),
    )
    confirmed = {seg for seg, status in live if status == "accepted"}
    pending = {seg for seg, status in live if status == "suggested"} - confirmed
    assert (counts["barriers"].confirmed, counts["barriers"].unreviewed) == (
        len(confirmed),
        len(pending),
    )
    assert counts["barriers"].confirmed == 1 and counts["barriers"].unreviewed >= 1
    page = served.client().get("/").text
    row = page[page.index("<small>barriers</small>") :].split("</tr>", 1)[0]
    assert re.findall(r'<td class="num">(?:<a [^>]*>)?(\d+)', row) == [
        "1",
        str(len(pending)),
    ]
