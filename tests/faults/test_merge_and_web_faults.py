"""The fault suite for `codebook merge` and the workspace's decision endpoint (POST /decide):
an exception, a Ctrl-C (KeyboardInterrupt) and a full disk at each write step, and kill -9
at random moments. After each: integrity ok, every human decision present and unchanged,
nothing of the failed write kept, the next write works. Counts are printed at the end.

The fast subset runs in `make test`; the 30-kill runs are marked slow.
"""

from __future__ import annotations

import json
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
import web_plan
from fault_helpers import (
    failed_runs,
    full_dump,
    human_decisions,
    integrity,
    patch_everywhere,
    report_counts,
)
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
    before, decisions = full_dump(store), human_decisions(store)
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
    assert full_dump(store) == before, f"{step}/{kind} left changes"
    failed = failed_runs(store)
    if step != "start_run":  # the run had started: the history says it failed
        assert [c for c, _ in failed] == ["codebook merge"], failed
        TALLY["codebook merge failed run recorded"] += 1
    done = _cli(*MERGE, "--project", root)
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    TALLY["codebook merge held"] += 1


# --- the workspace's write endpoints: injected faults ----------------------------------------

# (endpoint, write step) for every store write each endpoint makes
WEB_STEPS = [
    *[(e, codings, "record_human_codings") for e in web_plan.ENDPOINTS if e != "/memo"],
    *[(e, segments, "mark_seen") for e in web_plan.ENDPOINTS if e != "/memo"],
    ("/memo", web_plan.memos_store, "add_memo"),
]
FAST_WEB = ("/decide",)  # the fast subset; the other endpoints run in the slow suite


def _web_action(endpoint: str, form: dict[str, str]):  # type: ignore[no-untyped-def]
    """The write the endpoint makes for ``form``, called as the endpoint calls it."""
    from themegrid.store.connection import now
    from themegrid.web import decisions as web_decisions

    seg, code = form.get("segment_id", ""), form.get("code_id", "")
    coder = web_plan.CODER
    if endpoint == "/decide":
        return lambda s: web_decisions.decide(s, coder, seg, code, form["decision"])
    if endpoint == "/add-code":
        return lambda s: web_decisions.add_code(s, coder, seg, code)
    if endpoint == "/remove":
        return lambda s: web_decisions.remove(s, coder, seg, code)
    if endpoint == "/code-span":
        doc, start, end = int(form["document_id"]), int(form["start"]), int(form["end"])
        return lambda s: web_decisions.code_span(s, coder, doc, start, end, code)
    return lambda s: web_plan.memos_store.add_memo(
        s, "segment", form["target"], coder, form["text"], now()
    )


def _web_fault_case(
    base: Path, tmp: Path, endpoint: str, module: object, step: str, kind: str
) -> None:
    pytest.importorskip("starlette", reason="the web extra is not installed")
    from starlette.testclient import TestClient

    from web_helpers import serve

    project = Project(_copy(base, tmp / "study"))
    served = serve(project)
    web_plan.prepare(served.store, endpoint)
    client = served.client(web_plan.CODER)
    [(form, effect), *_] = web_plan.requests(served.store, endpoint, served.secrets.csrf)
    before, decisions = full_dump(project.store_path), human_decisions(project.store_path)
    with pytest.MonkeyPatch.context() as mp:
        patch_everywhere(mp, module, step, _fault(kind))
        if kind == "ctrl-c":  # the server's write path, as the endpoint calls it
            from themegrid.web import decisions as web_decisions

            writer = web_decisions.Writer(served.store)
            with pytest.raises(KeyboardInterrupt):
                writer.write(_web_action(endpoint, form))
        else:
            quiet = TestClient(served.app, raise_server_exceptions=False, cookies=client.cookies)
            assert quiet.post(endpoint, data=form).status_code == 500
    TALLY[f"web {endpoint} runs"] += 1
    assert not served.store.conn.in_transaction
    assert integrity(project.store_path) == "ok"
    assert human_decisions(project.store_path) == decisions
    assert full_dump(project.store_path) == before, f"{endpoint} {step}/{kind} left changes"
    assert effect not in web_plan.stored(project.store_path, endpoint)
    # the same long-lived connection then stores the write, and it persists
    assert client.post(endpoint, data=form).status_code == 200
    served.store.close()
    assert effect in web_plan.stored(project.store_path, endpoint)
    TALLY[f"web {endpoint} held"] += 1


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("endpoint", "module", "step"),
    [w for w in WEB_STEPS if w[0] in FAST_WEB],
    ids=[f"{e}-{s}" for e, _, s in WEB_STEPS if e in FAST_WEB],
)
def test_decide_endpoint_fault_at_each_write(
    base: Path, tmp_path: Path, endpoint: str, module: object, step: str, kind: str
) -> None:
    _web_fault_case(base, tmp_path, endpoint, module, step, kind)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("endpoint", "module", "step"),
    [w for w in WEB_STEPS if w[0] not in FAST_WEB],
    ids=[f"{e}-{s}" for e, _, s in WEB_STEPS if e not in FAST_WEB],
)
def test_other_write_endpoints_fault_at_each_write(
    base: Path, tmp_path: Path, endpoint: str, module: object, step: str, kind: str
) -> None:
    _web_fault_case(base, tmp_path, endpoint, module, step, kind)


# --- kill -9 ----------------------------------------------------------------------------------

POSTER = textwrap.dedent(
    """
    import sys, time
    sys.path[:0] = {paths!r}
    import web_plan
    from web_helpers import serve
    from paused_run import wrap_everywhere
    from pathlib import Path
    from themegrid.project import Project
    served = serve(Project(Path({root!r})))
    web_plan.prepare(served.store, {endpoint!r})
    client = served.client(web_plan.CODER)
    plan = web_plan.requests(served.store, {endpoint!r}, served.secrets.csrf)
    if {where!r} is not None:  # pause inside the write of one request, after its row
        module, name = web_plan.PAUSE_IN[{endpoint!r}]
        pause_at = 1 + int({where!r} * len(plan))
        calls = []
        original = getattr(module, name)

        def paused(store, *args, **kwargs):
            out = original(store, *args, **kwargs)
            calls.append(1)
            if len(calls) == pause_at:  # written, not yet committed
                print("paused", len(calls), store.conn.in_transaction, sep="\t", flush=True)
                time.sleep(600)
            return out

        wrap_everywhere(module, name, paused)
    print("ready", flush=True)
    for form, effect in plan:
        print("post", *effect, sep="\t", flush=True)
        assert client.post({endpoint!r}, data=form).status_code == 200
        print("ack", *effect, sep="\t", flush=True)
    print("done", flush=True)
    """
)


def _poster(root: Path, endpoint: str, where: float | None) -> subprocess.Popen[str]:
    here = Path(__file__).resolve().parent
    script = POSTER.format(
        paths=[str(here), str(here.parent)], root=str(root), endpoint=endpoint, where=where
    )
    return subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _effects(lines: list[list[str]], kind: str) -> list[tuple[str, ...]]:
    return [tuple(w[1:]) for w in lines if w and w[0] == kind]


def _kill_web_once(base: Path, tmp: Path, delay: float, endpoint: str = "/decide") -> str:
    """kill -9 the server at a random moment while it stores a coder's writes one after
    another: every earlier piece of work is kept, and every acknowledged write."""
    pytest.importorskip("starlette", reason="the web extra is not installed")
    root = _copy(base, tmp)
    store = root / "themegrid.sqlite"
    proc = _poster(root, endpoint, None)
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    assert first == "ready", proc.stderr.read() if proc.stderr else ""
    before = web_plan.researchers_work(store)  # after prepare (for /remove: Ben's codings)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(60)
    lines = [line.split("\t") for line in out.splitlines()]
    acked = _effects(lines, "ack")
    TALLY[f"web {endpoint} kill -9 runs"] += 1
    assert integrity(store) == "ok"
    now_stored = web_plan.stored(store, endpoint)
    lost = web_plan.lost(before, web_plan.researchers_work(store))
    lost += len([a for a in acked if a not in now_stored])
    TALLY[f"web {endpoint} human decisions lost"] += lost
    assert not lost, f"{lost} human decision(s) or memo(s) lost"
    TALLY[f"web {endpoint} acknowledged writes checked"] += len(acked)
    return "finished" if "done" in out else "killed"


def _kill_web_mid_write(base: Path, tmp: Path, where: float, endpoint: str = "/decide") -> int:
    """Kill the server while it stores one write (inside the write transaction, after the
    row is written); returns how many writes were acknowledged before."""
    pytest.importorskip("starlette", reason="the web extra is not installed")
    root = _copy(base, tmp)
    store = root / "themegrid.sqlite"
    proc = _poster(root, endpoint, where)
    assert proc.stdout is not None
    lines: list[list[str]] = []
    for line in proc.stdout:
        lines.append(line.rstrip("\n").split("\t"))
        if lines[-1][0] == "ready":
            before = web_plan.researchers_work(store)
            dump = full_dump(store)
        if lines[-1][0] in ("paused", "done"):
            break
    assert lines and lines[-1][0] == "paused", (lines, proc.stderr.read() if proc.stderr else "")
    _, nth, in_transaction = lines[-1]
    assert in_transaction == "True", "the write was made outside a transaction"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(60)
    assert proc.returncode == -signal.SIGKILL  # killed mid-write, not after the response
    acked = set(_effects(lines, "ack"))
    [in_flight] = [e for e in _effects(lines, "post") if e not in acked]
    assert len(acked) == int(nth) - 1
    TALLY[f"web {endpoint} mid-write kill -9 runs"] += 1
    assert integrity(store) == "ok"
    now_stored = web_plan.stored(store, endpoint)
    lost = web_plan.lost(before, web_plan.researchers_work(store))
    lost += len(acked - now_stored)
    TALLY[f"web {endpoint} human decisions lost"] += lost
    assert not lost, f"{lost} human decision(s) or memo(s) lost"
    # the acknowledged writes were kept: the one in flight was rolled back whole
    assert in_flight not in now_stored
    if not acked:
        assert full_dump(store) == dump
    TALLY[f"web {endpoint} mid-write acknowledged writes checked"] += len(acked)
    return len(acked)


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


OTHER_ENDPOINTS = [e for e in web_plan.ENDPOINTS if e != "/decide"]


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", OTHER_ENDPOINTS)
def test_kill_9_other_write_endpoints_thirty_times(
    web_base: Path, tmp_path: Path, endpoint: str
) -> None:
    outcomes = Counter(
        _kill_web_once(web_base, tmp_path / f"w{i}", d, endpoint)
        for i, d in enumerate(_delays(f"web{endpoint}", 30, 2.0))
    )
    print(f"\nkill -9 POST {endpoint}: 30 runs, {dict(outcomes)}")


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", OTHER_ENDPOINTS)
def test_kill_9_other_write_endpoints_mid_write(
    web_base: Path, tmp_path: Path, endpoint: str
) -> None:
    acked = Counter(
        _kill_web_mid_write(web_base, tmp_path / f"wm{i}", w, endpoint)
        for i, w in enumerate(_delays(f"web-mid-write{endpoint}", 10, 1.0))
    )
    print(f"\nkill -9 POST {endpoint} mid-write: 10 runs, all killed inside the transaction; "
          f"writes acknowledged before the kill: {dict(sorted(acked.items()))}")  # fmt: skip


def teardown_module() -> None:
    report_counts("merge/web faults", TALLY)
