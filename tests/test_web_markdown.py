"""Markdown in memos and codebook text renders (paragraphs, emphasis, lists) and stays
inert: no raw HTML, no script link, no image fetched."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import write_project
from themegrid.store import workspace
from themegrid.web.markdown import render_markdown
from web_helpers import Served, code_project, serve

HOSTILE = (
    "**Budget** is the _main_ theme.\n\n- first\n- second\n\n"
    "<script>window.__pwned = 1</script> <img src=x onerror=alert(1)> "
    "[click](javascript:alert(1)) ![tracker](http://example.org/pixel.png)"
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    project = write_project(tmp_path / "study")
    book = project.codebook_dir / "codebook.yaml"
    text = book.read_text(encoding="utf-8")
    text = text.replace(
        "definition: Talk about money, budgets or grants limiting the work.",
        'definition: "Talk about **money**.\\n\\nAlso *grants*:\\n\\n- state\\n- federal"',
    )
    book.write_text(text, encoding="utf-8")
    code_project(project)
    s = serve(project)
    yield s
    s.store.close()


def _assert_inert(html: str) -> None:
    assert "<script>window.__pwned" not in html and "&lt;script&gt;window.__pwned" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript:' not in html
    assert "http://example.org/pixel.png" not in re.findall(r'src="([^"]+)"', html)


def test_render_markdown_renders_and_escapes() -> None:
    html = str(render_markdown(HOSTILE))
    assert "<strong>Budget</strong>" in html and "<em>main</em>" in html
    assert "<ul>\n<li>first</li>\n<li>second</li>\n</ul>" in html
    _assert_inert(html)
    assert str(render_markdown("   ")) == ""


def test_a_document_memo_in_markdown_renders_inert(served: Served) -> None:
    c = served.client()
    doc = workspace.document_progress(served.store)[0].id
    r = c.post(
        "/memo",
        data={"kind": "document", "target": str(doc), "text": HOSTILE, "csrf": served.secrets.csrf},
    )
    assert r.status_code == 200
    memos = r.text.split('id="memos"', 1)[1].split("</details>", 1)[0]
    assert "<strong>Budget</strong>" in memos and "<li>second</li>" in memos
    _assert_inert(r.text)
    stored = served.store.query("SELECT text FROM memos")
    assert [m[0] for m in stored] == [HOSTILE]  # stored as typed; only the page renders it


def test_a_passage_memo_and_a_code_memo_render_markdown(served: Served) -> None:
    c = served.client()
    turn = served.store.query("SELECT id FROM segments ORDER BY id LIMIT 1")[0][0]
    form = {"kind": "segment", "target": turn, "text": "see **this**", "csrf": served.secrets.csrf}
    r = c.post("/memo", data=form)
    assert r.status_code == 200 and "see <strong>this</strong>" in r.text
    form = {**form, "kind": "code", "target": "barriers.funding", "text": "a *code* memo"}
    r = c.post("/memo", data=form)
    assert r.status_code == 200 and "a <em>code</em> memo" in r.text


def test_codebook_definitions_render_markdown_in_the_panel(served: Served) -> None:
    html = served.client().get("/codebook").text
    panel = html.split('id="code-barriers.funding"', 1)[1].split("</details>", 1)[0]
    assert "Talk about <strong>money</strong>." in panel
    assert "<li>state</li>" in panel and "<em>grants</em>" in panel
    assert "**money**" not in panel


def test_a_project_memo_is_kept_and_shown_on_the_overview(served: Served) -> None:
    c = served.client("Ana")
    r = c.post(
        "/memo",
        data={"kind": "project", "target": "ignored", "text": HOSTILE, "csrf": served.secrets.csrf},
    )
    assert r.status_code == 200 and str(r.url).endswith("/#project-memos")
    section = r.text.split('id="project-memos"', 1)[1].split("</section>", 1)[0]
    assert "<strong>Budget</strong>" in section and "Ana" in section
    _assert_inert(section)
    rows = served.store.query("SELECT target_kind, target_id, coder, text FROM memos")
    assert [tuple(m) for m in rows] == [("project", "", "Ana", HOSTILE)]
