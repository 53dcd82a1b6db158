"""The review queue's kept order (web/queue.py): decisions made in the browser, by another
program on the same store, and a new run all leave each coder's queue equal to the
suggestions that coder has not decided, in the review sheet's order."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO
from themegrid import api
from themegrid.exchange.review import pending_suggestions, review_order
from themegrid.project import Project
from themegrid.store import workspace
from themegrid.store.connection import Store
from themegrid.web import decisions, queue
from web_helpers import Served, code_project, serve

# Run by .ci/run (its slow line), kept out of `make test` to hold it under two minutes.
pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    root = tmp_path / "example"  # the bundled example: enough suggestions to decide several
    shutil.copytree(REPO / "codebook", root / "codebook")
    shutil.copytree(REPO / "corpus", root / "corpus")
    project = Project(root)
    code_project(project)
    s = serve(project)
    yield s
    s.store.close()


def _keys(items: list) -> list[tuple[str, str]]:
    return [(i.segment_id, i.code_id) for i in items]


def _shown(html: str) -> tuple[str, str]:
    m = re.search(
        r'name="segment_id" value="([^"]+)">\s*<input type="hidden" name="code_id" value="([^"]+)"',
        html,
    )
    assert m, "no suggestion on the page"
    return m.group(1), m.group(2)


def _fresh(s: Served, coder: str = "Ana") -> list[tuple[str, str]]:
    """The review sheet's order for ``coder`` (``review export --coder``)."""
    codebook = s.project.load_codebook()
    return _keys(review_order(pending_suggestions(s.store, codebook, coder=coder)))


def test_browser_decisions_keep_the_order_and_match_the_store(served: Served) -> None:
    ws = served.app.state.workspace
    c = served.client("Ana")
    first = _fresh(served)
    assert len(first) >= 4
    html = c.get("/queue").text
    assert f"Suggestion 1 of {len(first)}" in html and _shown(html) == first[0]
    csrf = served.secrets.csrf
    decided = []
    for status in ("accepted", "rejected"):
        seg, code = _shown(c.get("/queue").text)
        r = c.post(
            "/decide",
            data={"segment_id": seg, "code_id": code, "decision": status, "csrf": csrf, "i": "0"},
            headers={"HX-Request": "1"},
        )
        assert r.status_code == 200
        decided.append((seg, code))
    # a code added from the queue on a turn that has a pending suggestion of that code
    seg, code = first[3]
    r = c.post("/add-code", data={"segment_id": seg, "code_id": code, "csrf": csrf, "i": "0"})
    assert r.status_code in (200, 303)
    decided.append((seg, code))
    kept = _keys(ws.writer.read(lambda st: ws.queue.pending(st, "Ana")))
    store_now = {
        (p.segment_id, p.code_id)
        for p in pending_suggestions(served.store, ws.codebook, coder="Ana")
    }
    assert set(kept) == store_now  # nothing decided is still offered, nothing pending is missing
    assert kept == [k for k in first if k not in decided]  # the same order, decided ones left out
    assert ws.queue.full_orders == 1  # ordered once, not on every decision
    html = c.get("/queue").text
    assert f"Suggestion 1 of {len(first) - 3}" in html and _shown(html) == kept[0]


def test_a_decision_by_another_program_leaves_the_queue(served: Served) -> None:
    c = served.client("Ana")
    first = _fresh(served)
    assert _shown(c.get("/queue").text) == first[0]
    seg, code = first[0]
    other = Store(served.project.store_path)  # e.g. a review sheet imported meanwhile
    with other:
        with other.transaction():
            decisions.decide(other, "Bo", seg, code, "accepted")
        html = c.get("/queue").text  # Bo's decision: Ana still has it to decide
        assert f"Suggestion 1 of {len(first)}" in html and _shown(html) == first[0]
        with other.transaction():
            decisions.decide(other, "Ana", seg, code, "rejected")  # Ana's own sheet, imported
    html = c.get("/queue").text
    assert f"Suggestion 1 of {len(first) - 1}" in html and _shown(html) == first[1]


def test_a_new_run_orders_the_queue_again(served: Served) -> None:
    ws = served.app.state.workspace
    c = served.client("Ana")
    c.get("/queue")
    assert ws.queue.full_orders == 1
    path = next((served.project.root / "corpus").rglob("*.txt"))
    path.write_text(
        path.read_text(encoding="utf-8")
        + "\nRespondent: The grant money ran out and we lost two teaching positions.\n",
        encoding="utf-8",
    )
    code_project(served.project)
    html = c.get("/queue").text
    assert ws.queue.full_orders == 2
    fresh = _fresh(served)
    assert f"Suggestion 1 of {len(fresh)}" in html and _shown(html) == fresh[0]
    assert workspace.store_version(served.store) == ws.queue.version("Ana")


def _second_server(s: Served) -> tuple[Served, object]:
    """Another server on the same project (as after a restart)."""
    other = serve(s.project)
    return other, other.app.state.workspace


def test_a_new_server_reads_the_kept_order_instead_of_ordering(served: Served) -> None:
    c = served.client("Ana")
    first = _fresh(served)
    c.get("/queue")
    kept_file = served.project.store_path.parent / ".themegrid-cache" / queue.ORDER_FILE
    assert kept_file.exists()
    csrf = served.secrets.csrf
    seg, code = first[0]
    form = {"segment_id": seg, "code_id": code, "decision": "accepted", "csrf": csrf}
    assert c.post("/decide", data=form).status_code == 200
    other, ws = _second_server(served)
    try:
        kept = _keys(ws.writer.read(lambda st: ws.queue.pending(st, "Ana")))  # type: ignore[attr-defined]
        assert ws.queue.full_orders == 0  # type: ignore[attr-defined]
        assert kept == first[1:]  # the kept order, the decided one left out
        html = other.client("Bo").get("/queue").text
        assert _shown(html) == first[0]  # Ana decided it, Bo has not: Bo's queue keeps it
        assert ws.queue.full_orders == 0  # type: ignore[attr-defined]
    finally:
        other.store.close()


def test_the_kept_order_is_not_used_after_a_new_run(served: Served) -> None:
    served.client("Ana").get("/queue")
    path = next((served.project.root / "corpus").rglob("*.txt"))
    path.write_text(
        path.read_text(encoding="utf-8")
        + "\nRespondent: The grant money ran out and we lost two teaching positions.\n",
        encoding="utf-8",
    )
    code_project(served.project)
    other, ws = _second_server(served)
    try:
        assert _keys(ws.writer.read(lambda st: ws.queue.pending(st, "Ana"))) == _fresh(served)  # type: ignore[attr-defined]
        assert ws.queue.full_orders == 1  # type: ignore[attr-defined]
    finally:
        other.store.close()


def test_the_kept_order_is_not_used_when_a_case_changed(served: Served) -> None:
    served.client("Ana").get("/queue")
    meta = served.project.corpus_dir / "metadata.csv"
    text = meta.read_text(encoding="utf-8")
    assert "Nevada" in text
    meta.write_text(text.replace("Nevada", "Utah"), encoding="utf-8")
    api.ingest(served.project.root)  # a new case, no new run
    other, ws = _second_server(served)
    try:
        assert _keys(ws.writer.read(lambda st: ws.queue.pending(st, "Ana"))) == _fresh(served)  # type: ignore[attr-defined]
        assert ws.queue.full_orders == 1  # type: ignore[attr-defined]
    finally:
        other.store.close()


def test_a_damaged_kept_order_is_ignored(served: Served) -> None:
    served.client("Ana").get("/queue")
    kept_file = served.project.store_path.parent / ".themegrid-cache" / queue.ORDER_FILE
    kept_file.write_text('{"format": "themegrid review order 1", "run": 1, "items": 5}')
    other, ws = _second_server(served)
    try:
        assert _keys(ws.writer.read(lambda st: ws.queue.pending(st, "Ana"))) == _fresh(served)  # type: ignore[attr-defined]
        assert ws.queue.full_orders == 1  # type: ignore[attr-defined]
    finally:
        other.store.close()


def test_the_diversity_pick_is_the_greedy_max_min_one_item_at_a_time() -> None:
    """review_order's window distances taken in one numpy product pick what one dot
    product per item picked (the order the review sheet and the queue share)."""
    import numpy as np

    from themegrid.exchange import review

    rng = np.random.default_rng(3)
    raw = rng.normal(size=(120, 16)).astype(np.float32)
    raw[40:60] = raw[0]  # near-duplicates: ties for the farthest
    vectors = {f"s{k}": v / np.linalg.norm(v) for k, v in enumerate(raw)}
    items = [
        review.ReviewItem(
            segment_id=f"s{k}",
            code_id="c",
            code_name="c",
            document="d.txt",
            seq=k,
            attributes={},
            speaker="",
            before="",
            text="t",
            after="",
            source="rule",
            confidence=None,
            reason="",
        )
        for k in range(120)
    ]

    def reference(queue: list) -> list:
        left, out = list(queue), [queue[0]]
        left.pop(0)
        nearest = {id(i): np.inf for i in queue}
        while left:
            last = vectors[out[-1].segment_id]
            window = left[: review.DIVERSITY_WINDOW]
            for i in window:
                far = 1.0 - float(vectors[i.segment_id] @ last)
                nearest[id(i)] = min(nearest[id(i)], far)
            best = max(range(len(window)), key=lambda w: (nearest[id(window[w])], -w))
            out.append(left.pop(best))
        return out

    assert [i.segment_id for i in review._diverse(items, vectors)] == [
        i.segment_id for i in reference(items)
    ]
