"""Workspace figures (not a test): the reader page for a 2,000-turn transcript, and
10,000 decisions posted back to back.

    .venv/bin/python benchmarks/bench_web.py [--turns 2000] [--decisions 10000] [--no-freeze]
    .venv/bin/python benchmarks/bench_web.py --project DIR   # CPU per page of a real project

Last, the agreement page's first visit in a fresh process, CPU time, as a server
that did not warm up would serve it and as ``themegrid serve`` does (after
:func:`~themegrid.web.server.warm_up`), with the warm-up's own CPU cost.

Builds a project in benchmarks/_work/web/ from the bundled codebook and a transcript
made of the example interviews' turns repeated, codes it (rules only), then times
requests through the whole ASGI stack (security middleware, routing, templates,
store) in-process with Starlette's TestClient. Prints one line per figure.

Server time is taken around the ASGI app itself (:class:`ServerClock`): from the
request reaching the security middleware to the last byte of the response handed
back, wall clock and CPU time of the thread serving it (the event loop's; the app
does its work there), so the client's own cost (building the request, reading 2 MB of
HTML back) is left out. The client's round trip is printed beside it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from starlette.testclient import TestClient  # noqa: E402

from themegrid.pipeline.coding import run_coding  # noqa: E402
from themegrid.project import Project  # noqa: E402
from themegrid.store import codings as codings_store  # noqa: E402
from themegrid.store import workspace  # noqa: E402
from themegrid.store.connection import Store  # noqa: E402
from themegrid.web.server import build, freeze_startup_heap, warm_up  # noqa: E402

WORK = REPO / "benchmarks" / "_work" / "web"


class ServerClock:
    """An ASGI wrapper that records each HTTP request's server time: (wall, thread CPU) in s."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.times: list[tuple[float, float]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            await self.app(scope, receive, send)
        finally:
            self.times.append((time.perf_counter() - wall, time.thread_time() - cpu))

    def since(self, n: int) -> tuple[list[float], list[float]]:
        """Wall and CPU times of the requests after the first ``n``."""
        done = self.times[n:]
        return [w for w, _ in done], [c for _, c in done]


def _turns() -> list[str]:
    out = []
    for path in sorted((REPO / "corpus" / "interviews").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(("Q:", "A:", "Interviewer:", "Respondent:")) and len(line) > 20:
                out.append(line.split(":", 1)[1].strip())
    return out


def make_project(n_turns: int) -> Project:
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "corpus" / "interviews").mkdir(parents=True)
    shutil.copytree(REPO / "codebook", WORK / "codebook")
    pool = _turns()
    lines = []
    for i in range(n_turns):
        who = "Interviewer" if i % 2 == 0 else "Respondent"
        lines.append(f"{who}: {pool[i % len(pool)]}")
    (WORK / "corpus" / "interviews" / "long_interview.txt").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )
    (WORK / "corpus" / "metadata.csv").write_text(
        "file,state,role,source_type\ninterviews/long_interview.txt,Arizona,teacher,interview\n",
        encoding="utf-8",
    )
    project = Project(WORK)
    with Store(project.store_path) as store:
        run_coding(project, store, project.load_codebook(), use_model=False)
    return project


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def _figures(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values) * 1000:.1f} ms, p95 {p95(values) * 1000:.1f} ms,"
        f" max {max(values) * 1000:.1f} ms"
    )


AGREEMENT_CODERS = ("Ana", "Ben")


def two_coders(store: Store, pending: list[Any], n: int = 400) -> None:
    """Two coders decide the same ``n`` suggestions, differing on every fifth."""
    pending = pending[:n]
    for k, coder in enumerate(AGREEMENT_CODERS):
        decisions = [
            codings_store.HumanDecision(
                p.segment_id,
                p.code_id,
                "rejected" if (k == 1 and i % 5 == 0) or (i % 3 == 0) else "accepted",
                "bench",
            )
            for i, p in enumerate(pending)
        ]
        with store.transaction():
            codings_store.record_human_codings(
                store, coder, decisions, run_id=None, at=f"2026-01-0{k + 1}T00:00:00+00:00"
            )


def first_agreement_visit(warm: bool) -> None:
    """In this (fresh) process: serve the existing bench project, then time the first
    visit to the agreement page; prints 'warm-up CPU s, first visit CPU s'."""
    app, secrets_, store = build(Project(WORK))
    t = time.process_time()
    if warm:
        warm_up()
    warm_cpu = time.process_time() - t
    freeze_startup_heap()
    client = TestClient(app)
    client.get(f"/?token={secrets_.token}")
    client.post("/coder", data={"coder": "Bench", "next": "/", "csrf": secrets_.csrf})
    a, b = AGREEMENT_CODERS
    t = time.process_time()
    r = client.get(f"/agreement?a={a}&b={b}")
    visit_cpu = time.process_time() - t
    assert r.status_code == 200 and "kappa" in r.text.lower(), r.status_code
    store.close()
    print(f"{warm_cpu:.3f} {visit_cpu:.3f}")


def _agreement_figures() -> None:
    print("agreement page, first visit in a fresh process (CPU time, all threads):")
    for mode, label in (("cold", "without warm-up"), ("warm", "after warm_up() as serve does")):
        out = subprocess.run(
            [sys.executable, __file__, "--first-visit", mode],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        print(
            f"  {label}: first visit {float(out[-1]) * 1000:.0f} ms CPU"
            f" (warm-up at start: {float(out[-2]) * 1000:.0f} ms CPU)"
        )


def pages_of(source: Path) -> None:
    """Server CPU per page on a copy of an existing project (``--project DIR``): each page
    three times after a first visit (the queue's first visit orders all suggestions; it
    is printed on its own), one decision posted from the queue, and the queue's first
    visit on a restarted server (the order then read from ``.themegrid-cache``)."""
    work = WORK.parent / "web_project"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("backups"))
    app, secrets_, store = build(Project(work))
    freeze_startup_heap()
    clock = ServerClock(app)
    client = TestClient(clock)
    client.get(f"/?token={secrets_.token}")
    client.post("/coder", data={"coder": "Bench", "next": "/", "csrf": secrets_.csrf})
    docs = workspace.document_progress(store)
    longest = max(docs, key=lambda d: d.turns)
    print(f"{source}: {len(docs)} documents, the longest {longest.turns} turns")
    for url in ("/", f"/doc/{longest.id}", "/queue", "/codebook", "/matrix", "/agreement"):
        n = len(clock.times)
        size = len(client.get(url).content)
        first = clock.times[n][1]
        for _ in range(3):
            client.get(url)
        cpu = min(c for _, c in clock.times[n + 1 :])
        print(
            f"  {url:12s} {size / 1024:7.0f} KB  CPU {cpu * 1000:7.1f} ms (first {first * 1000:.1f})"
        )
    pending = store.query(
        "SELECT segment_id, code_id FROM effective_codings WHERE status = 'suggested' LIMIT 1"
    )
    if pending:
        n = len(clock.times)
        form = {"segment_id": pending[0][0], "code_id": pending[0][1], "decision": "accepted"}
        client.post(
            "/decide", data={**form, "i": "0", "csrf": secrets_.csrf}, headers={"HX-Request": "1"}
        )
        print(f"  a decision (htmx) CPU {clock.times[n][1] * 1000:.1f} ms")
    store.close()
    # a restarted server: the queue's order read from .themegrid-cache (web/queue.py)
    app, secrets_, store = build(Project(work))
    clock = ServerClock(app)
    client = TestClient(clock)
    client.get(f"/?token={secrets_.token}")
    client.post("/coder", data={"coder": "Bench", "next": "/", "csrf": secrets_.csrf})
    n = len(clock.times)
    client.get("/queue")
    print(
        f"  /queue after a restart (order kept on disk): first CPU {clock.times[n][1] * 1000:.1f} ms"
    )
    store.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=2000)
    ap.add_argument("--decisions", type=int, default=10000)
    ap.add_argument("--reader-runs", type=int, default=50)
    ap.add_argument(
        "--no-freeze", action="store_true", help="leave the start-up heap to the collector"
    )
    ap.add_argument("--first-visit", choices=("cold", "warm"), help=argparse.SUPPRESS)
    ap.add_argument("--project", type=Path, help="CPU per page on a copy of this project only")
    args = ap.parse_args()
    if args.project:
        pages_of(args.project)
        return
    if args.first_visit:
        first_agreement_visit(args.first_visit == "warm")
        return

    t0 = time.perf_counter()
    project = make_project(args.turns)
    print(f"set-up: {args.turns}-turn transcript coded in {time.perf_counter() - t0:.1f} s")
    app, secrets_, store = build(project)
    if not args.no_freeze:
        freeze_startup_heap()  # as `themegrid serve` does before it serves
    clock = ServerClock(app)
    client = TestClient(clock)
    client.get(f"/?token={secrets_.token}")
    client.post("/coder", data={"coder": "Bench", "next": "/", "csrf": secrets_.csrf})
    (doc,) = workspace.document_progress(store)
    n_turns = len(workspace.reader_turns(store, doc.id))
    trips = []
    before = len(clock.times)
    for _ in range(args.reader_runs):
        t = time.perf_counter()
        r = client.get(f"/doc/{doc.id}")
        trips.append(time.perf_counter() - t)
        assert r.status_code == 200, r.status_code
    wall, cpu = clock.since(before)
    print(
        f"reader page, {n_turns} turns, {len(r.content) / 1e6:.1f} MB of HTML,"
        f" {args.reader_runs} requests (target: under 500 ms server time):"
    )
    print(f"  server wall: {_figures(wall)} (first {wall[0] * 1000:.1f} ms)")
    print(f"  server CPU:  {_figures(cpu)}")
    print(f"  client round trip (wall): {_figures(trips)}")

    pending = codings_store.pending_suggestions(store)
    if not pending:
        sys.exit("no suggestions to decide on: the codebook's cues matched nothing")
    trips = []
    before = len(clock.times)
    for i in range(args.decisions):
        item = pending[i % len(pending)]
        # alternate per pass so every request changes the stored decision
        status = "accepted" if (i // len(pending)) % 2 == 0 else "rejected"
        form = {
            "segment_id": item.segment_id,
            "code_id": item.code_id,
            "decision": status,
            "csrf": secrets_.csrf,
        }
        t = time.perf_counter()
        r = client.post("/decide", data=form, follow_redirects=False)
        trips.append(time.perf_counter() - t)
        assert r.status_code == 303, r.status_code
    wall, cpu = clock.since(before)
    n_history = store.scalar("SELECT COUNT(*) FROM coding_history WHERE source = 'human'")
    print(
        f"{args.decisions} decisions posted back to back ({len(pending)} suggestions cycled,"
        f" {n_history} human history rows; target: p95 under 100 ms):"
    )
    print(f"  server wall: {_figures(wall)}")
    print(f"  server CPU:  {_figures(cpu)}")
    print(f"  client round trip (wall): {_figures(trips)}")
    two_coders(store, pending)
    store.close()
    _agreement_figures()
    print(
        f"load average over the last minute: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        " (wall-clock figures grow with it; CPU time does not)"
    )


if __name__ == "__main__":
    main()
