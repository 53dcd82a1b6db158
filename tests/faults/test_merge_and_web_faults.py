"""The fault suite for `codebook merge` and the workspace's decision endpoint (POST /decide):
an exception, a Ctrl-C (KeyboardInterrupt) and a full disk at each write step, and kill -9
at random moments. After each: integrity ok, every human decision present and unchanged,
nothing of the failed write kept, the next write works. Counts are printed at the end.

The fast subset runs in `make test`; the 30-kill runs are marked slow.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from fault_helpers import human_decisions, integrity, patch_everywhere
from typer.testing import CliRunner

import themegrid.pipeline.merge  # noqa: F401  (loaded before patching, see test_injected_faults)
from conftest import write_project
from themegrid.cli import app
from themegrid.project import Project
from themegrid.store import codings, runs, segments
from themegrid.store.connection import Store

SEED = 20261201
TALLY: Counter[str] = Counter()
MERGE = ["codebook", "merge", "barriers.funding", "--into", "barriers.staffing"]
MERGE_STEPS = [(runs, "start_run"), (codings, "merge_codings"), (runs, "finish_run")]
KINDS = ("exception", "ctrl-c", "disk full")


def _fault(kind: str):  # type: ignore[no-untyped-def]
    def fail(*args: object, **kwargs: object) -> None:
        if kind == "disk full":
            raise sqlite3.OperationalError("database or disk is full")
        if kind == "ctrl-c":
            raise KeyboardInterrupt
        raise RuntimeError("injected fault")

    return fail


def _dump(store: Path) -> list[tuple[object, ...]]:
    """Every row of every table but the failed runs' own records."""
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        rows: list[tuple[object, ...]] = []
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in sorted(tables):
            where = " WHERE failed IS NULL" if t == "runs" else ""
            rows += sorted(((t, *r) for r in conn.execute(f'SELECT * FROM "{t}"{where}')), key=repr)
        return rows
    finally:
        conn.close()


def _failed(store: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT command, failed FROM runs WHERE failed IS NOT NULL")
        return [(str(a), str(b)) for a, b in rows]
    finally:
        conn.close()


def partly_reviewed(root: Path, files: dict[str, str] | None = None) -> Project:
    """A coded project where Ana decided two suggestions and the rest still wait."""
    project = write_project(root, files)
    assert _cli("code", "--no-model", "--project", root).exit_code == 0  # type: ignore[attr-defined]
    sheet = root / "reports" / "ana.xlsx"
    assert _cli("review", "export", sheet, "--limit", "2", "--project", root).exit_code == 0  # type: ignore[attr-defined]
    book = openpyxl.load_workbook(sheet)
    header = [c.value for c in book["Review"][1]]
    for row in range(2, book["Review"].max_row + 1):
        book["Review"].cell(row, header.index("Decision") + 1, "accept")
        book["Review"].cell(row, header.index("Note") + 1, f"Ana's note {row}")
    book.save(sheet)
    done = _cli("review", "import", sheet, "--coder", "Ana", "--project", root)
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    return project


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = partly_reviewed(tmp_path_factory.mktemp("mergefaults") / "base")
    assert len(human_decisions(project.store_path)) >= 4  # 2 codings, 2 history rows
    return project.root


@pytest.fixture(scope="module")
def web_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The base project with a third interview, so a run of POST /decide has a dozen
    pending suggestions to decide and a kill can land at any of them."""
    from conftest import INTERVIEW_AZ, INTERVIEW_NV

    wy = "".join(
        f"Interviewer: And in {year}?\nRespondent: The budget for {year} was cut, "
        f"and we had no substitute teachers in {year}.\n"
        for year in range(2012, 2018)
    )
    files = {"interviews/az.txt": INTERVIEW_AZ, "interviews/nv.txt": INTERVIEW_NV,
             "interviews/wy.txt": wy}  # fmt: skip
    project = partly_reviewed(tmp_path_factory.mktemp("webfaults") / "base", files)
    with Store(project.store_path) as store:
        assert len(codings.pending_suggestions(store)) >= 10
    return project.root


def _copy(base: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(base, dest)
    return dest


def _cli(*args: object) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


# --- codebook merge: injected faults ----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("module", "step"), MERGE_STEPS, ids=[s for _, s in MERGE_STEPS])
def test_merge_fault_at_each_write(
    base: Path, tmp_path: Path, module: object, step: str, kind: str
) -> None:
    root = _copy(base, tmp_path / "p")
    store = root / "themegrid.sqlite"
    before, decisions = _dump(store), human_decisions(store)
    with pytest.MonkeyPatch.context() as mp:
        patch_everywhere(mp, module, step, _fault(kind))
        if kind == "ctrl-c":
            with pytest.raises(KeyboardInterrupt):
                from themegrid import api

                api.merge_codes(root, MERGE[2:3], MERGE[4])
        else:
            result = _cli(*MERGE, "--project", root)
            assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
            if kind == "disk full":
                assert "disk is full" in result.output  # type: ignore[attr-defined]
    TALLY["codebook merge runs"] += 1
    assert integrity(store) == "ok"
    assert human_decisions(store) == decisions
    assert _dump(store) == before, f"{step}/{kind} left changes"
    failed = _failed(store)
    if step != "start_run":  # the run had started: the history says it failed
        assert [c for c, _ in failed] == ["codebook merge"], failed
        TALLY["codebook merge failed run recorded"] += 1
    done = _cli(*MERGE, "--project", root)
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    TALLY["codebook merge held"] += 1


# --- the decision endpoint: injected faults ---------------------------------------------------

WEB_STEPS = [(codings, "record_human_codings"), (segments, "mark_seen")]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("module", "step"), WEB_STEPS, ids=[s for _, s in WEB_STEPS])
def test_decide_endpoint_fault_at_each_write(
    base: Path, tmp_path: Path, module: object, step: str, kind: str
) -> None:
    pytest.importorskip("starlette", reason="the web extra is not installed")
    from starlette.testclient import TestClient

    from themegrid.store import codings as codings_store
    from web_helpers import serve

    project = Project(_copy(base, tmp_path / "study"))
    served = serve(project)
    client = served.client("Ben")
    item = codings_store.pending_suggestions(served.store)[0]
    form = {
        "segment_id": item.segment_id,
        "code_id": item.code_id,
        "decision": "rejected",
        "csrf": served.secrets.csrf,
    }
    before, decisions = _dump(project.store_path), human_decisions(project.store_path)
    with pytest.MonkeyPatch.context() as mp:
        patch_everywhere(mp, module, step, _fault(kind))
        if kind == "ctrl-c":  # the server's write path, as the endpoint calls it
            from themegrid.web import decisions as web_decisions

            writer = web_decisions.Writer(served.store)
            with pytest.raises(KeyboardInterrupt):
                writer.write(
                    lambda s: web_decisions.decide(
                        s, "Ben", item.segment_id, item.code_id, "rejected"
                    )
                )
        else:
            quiet = TestClient(served.app, raise_server_exceptions=False, cookies=client.cookies)
            assert quiet.post("/decide", data=form).status_code == 500
    TALLY["web decide runs"] += 1
    assert not served.store.conn.in_transaction
    assert integrity(project.store_path) == "ok"
    assert human_decisions(project.store_path) == decisions
    assert _dump(project.store_path) == before, f"{step}/{kind} left changes"
    # the same long-lived connection then stores the decision, and it persists
    assert client.post("/decide", data=form).status_code == 200
    served.store.close()
    after = {(r[2], r[3], r[4], r[5]) for r in human_decisions(project.store_path) if r[0] == "c"}
    assert (item.segment_id, item.code_id, "Ben", "rejected") in after
    TALLY["web decide held"] += 1


# --- kill -9 ----------------------------------------------------------------------------------

POSTER = textwrap.dedent(
    """
    import sys
    sys.path[:0] = {paths!r}
    from web_helpers import serve
    from pathlib import Path
    from themegrid.project import Project
    from themegrid.store import codings as codings_store
    served = serve(Project(Path({root!r})))
    client = served.client("Ben")
    items = codings_store.pending_suggestions(served.store)
    print("ready", flush=True)
    for n, item in enumerate(items):
        form = {{"segment_id": item.segment_id, "code_id": item.code_id,
                 "decision": "rejected" if n % 2 else "accepted", "csrf": served.secrets.csrf}}
        assert client.post("/decide", data=form).status_code == 200
        print("ack", item.segment_id, item.code_id, form["decision"], flush=True)
    print("done", flush=True)
    """
)


def _kill_web_once(base: Path, tmp: Path, delay: float) -> str:
    pytest.importorskip("starlette", reason="the web extra is not installed")
    root = _copy(base, tmp)
    store = root / "themegrid.sqlite"
    before = set(human_decisions(store))
    here = Path(__file__).resolve().parent
    script = POSTER.format(paths=[str(here), str(here.parent)], root=str(root))
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(60)
    acked = [line.split()[1:] for line in out.splitlines() if line.startswith("ack")]
    TALLY["web decide kill -9 runs"] += 1
    assert integrity(store) == "ok"
    after = set(human_decisions(store))
    lost = before - after
    stored = {(r[2], r[3], r[5]) for r in after if r[0] == "c" and r[4] == "Ben"}
    unacked_lost = [a for a in acked if tuple(a) not in stored]
    TALLY["web decide human decisions lost"] += len(lost) + len(unacked_lost)
    assert not lost, f"{len(lost)} earlier human decision(s) lost"
    assert not unacked_lost, f"{len(unacked_lost)} acknowledged decision(s) lost"
    TALLY["web decide acknowledged decisions checked"] += len(acked)
    return "finished" if "done" in out else "killed"


PAUSED_POSTER = textwrap.dedent(
    """
    import sys, time
    sys.path[:0] = {paths!r}
    from web_helpers import serve
    from paused_run import wrap_everywhere
    from pathlib import Path
    from themegrid.project import Project
    from themegrid.store import codings as codings_store
    served = serve(Project(Path({root!r})))
    client = served.client("Ben")
    items = codings_store.pending_suggestions(served.store)
    pause_at = 1 + int({where!r} * len(items))
    calls = []
    original = codings_store.record_human_codings

    def paused(store, *args, **kwargs):
        out = original(store, *args, **kwargs)
        calls.append(1)
        if len(calls) == pause_at:  # this decision is written, not yet committed
            print("paused", len(calls), store.conn.in_transaction, flush=True)
            time.sleep(600)
        return out

    wrap_everywhere(codings_store, "record_human_codings", paused)
    print("ready", flush=True)
    for n, item in enumerate(items):
        form = {{"segment_id": item.segment_id, "code_id": item.code_id,
                 "decision": "rejected" if n % 2 else "accepted", "csrf": served.secrets.csrf}}
        print("post", item.segment_id, item.code_id, form["decision"], flush=True)
        assert client.post("/decide", data=form).status_code == 200
        print("ack", item.segment_id, item.code_id, form["decision"], flush=True)
    print("done", flush=True)
    """
)


def _kill_web_mid_write(base: Path, tmp: Path, where: float) -> int:
    """Kill the server while it stores a decision (inside the write transaction, after the
    coding row is written); returns how many decisions were acknowledged before."""
    pytest.importorskip("starlette", reason="the web extra is not installed")
    root = _copy(base, tmp)
    store = root / "themegrid.sqlite"
    before, decisions = _dump(store), set(human_decisions(store))
    here = Path(__file__).resolve().parent
    script = PAUSED_POSTER.format(paths=[str(here), str(here.parent)], root=str(root), where=where)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line.split())
        if lines[-1][0] in ("paused", "done"):
            break
    assert lines and lines[-1][0] == "paused", (lines, proc.stderr.read() if proc.stderr else "")
    _, nth, in_transaction = lines[-1]
    assert in_transaction == "True", "the decision was written outside a transaction"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(60)
    assert proc.returncode == -signal.SIGKILL  # killed mid-write, not after the response
    acked = {tuple(w[1:]) for w in lines if w[0] == "ack"}
    [in_flight] = [tuple(w[1:]) for w in lines if w[0] == "post" and tuple(w[1:]) not in acked]
    assert len(acked) == int(nth) - 1
    TALLY["web decide mid-write kill -9 runs"] += 1
    assert integrity(store) == "ok"
    after = set(human_decisions(store))
    lost = (decisions - after) | {a for a in acked if a not in _bens(after)}
    TALLY["web decide human decisions lost"] += len(lost)
    assert not lost, f"{len(lost)} human decision(s) lost"
    # exactly the acknowledged decisions were added: the one in flight was rolled back whole
    assert _bens(after) == acked and in_flight not in _bens(after)
    if not acked:
        assert _dump(store) == before
    TALLY["web decide mid-write acknowledged decisions checked"] += len(acked)
    return len(acked)


def _bens(rows: set[tuple[object, ...]]) -> set[tuple[object, ...]]:
    """Ben's decisions as (segment, code, status), from :func:`human_decisions` rows."""
    return {(r[2], r[3], r[5]) for r in rows if r[0] == "c" and r[4] == "Ben"}


def _kill_merge_once(base: Path, tmp: Path, delay: float) -> str:
    root = _copy(base, tmp)
    store = root / "themegrid.sqlite"
    before = set(human_decisions(store))
    proc = subprocess.Popen(
        [sys.executable, "-m", "themegrid", *MERGE, "--project", str(root), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(60)
    TALLY["codebook merge kill -9 runs"] += 1
    assert integrity(store) == "ok"
    conn = sqlite3.connect(store)
    try:
        merged = conn.execute(
            "SELECT COUNT(*) FROM runs WHERE command = 'codebook merge' AND failed IS NULL"
        ).fetchone()[0]
        on_source = conn.execute(
            "SELECT COUNT(*) FROM codings WHERE code_id = 'barriers.funding'"
        ).fetchone()[0]
    finally:
        conn.close()
    after = set(human_decisions(store))
    # the history of human decisions only grows, and no human coding row goes away
    lost = {r for r in before if r[0] == "h"} - after
    lost |= {r[1] for r in before if r[0] == "c"} - {r[1] for r in after if r[0] == "c"}  # type: ignore[arg-type]
    if merged:  # it committed: nothing is left on the merged-away code
        assert on_source == 0
    else:  # it did not: the store is as it was
        lost |= before - after
    TALLY["codebook merge human decisions lost"] += len(lost)
    assert not lost, f"{len(lost)} human decision(s) lost"
    again = subprocess.run(
        [sys.executable, "-m", "themegrid", "status", "--project", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    if out.strip():
        json.loads(out)  # it finished before the signal
        return "finished"
    return "killed"


def _delays(name: str, n: int, total: float) -> list[float]:
    rng = random.Random(f"{SEED}-{name}")
    return [rng.uniform(0.0, total) for _ in range(n)]


@pytest.mark.processes
def test_kill_9_fast_subset(base: Path, web_base: Path, tmp_path: Path) -> None:
    [d1] = _delays("merge-fast", 1, 1.5)
    _kill_merge_once(base, tmp_path / "m", d1)
    [d2] = _delays("web-fast", 1, 1.0)
    _kill_web_once(web_base, tmp_path / "w", d2)
    [w] = _delays("web-mid-write-fast", 1, 1.0)
    _kill_web_mid_write(web_base, tmp_path / "wm", w)


@pytest.mark.slow
def test_kill_9_merge_thirty_times(base: Path, tmp_path: Path) -> None:
    outcomes = Counter(
        _kill_merge_once(base, tmp_path / f"m{i}", d)
        for i, d in enumerate(_delays("merge", 30, 2.5))
    )
    print(f"\nkill -9 codebook merge: 30 runs, {dict(outcomes)}")


@pytest.mark.slow
def test_kill_9_decide_endpoint_thirty_times(web_base: Path, tmp_path: Path) -> None:
    outcomes = Counter(
        _kill_web_once(web_base, tmp_path / f"w{i}", d)
        for i, d in enumerate(_delays("web", 30, 2.0))
    )
    print(f"\nkill -9 POST /decide: 30 runs, {dict(outcomes)}")


@pytest.mark.slow
def test_kill_9_decide_endpoint_mid_write_thirty_times(web_base: Path, tmp_path: Path) -> None:
    acked = Counter(
        _kill_web_mid_write(web_base, tmp_path / f"wm{i}", w)
        for i, w in enumerate(_delays("web-mid-write", 30, 1.0))
    )
    print(f"\nkill -9 POST /decide mid-write: 30 runs, all killed inside the transaction; "
          f"decisions acknowledged before the kill: {dict(sorted(acked.items()))}")  # fmt: skip


def teardown_module() -> None:
    if TALLY:
        print("\nmerge/web faults:", dict(sorted(TALLY.items())), f"(pid {os.getpid()})")
