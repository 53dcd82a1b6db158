"""kill -9 and SIGINT into each writing command, run as a real process: afterwards the
store passes ``PRAGMA integrity_check``, every human decision that existed before is
present and unchanged, no temporary or half-imported file is left, and the same command
then succeeds. The counts are printed (run with ``-s`` to see them).

Two kinds of run. *At a random moment* (seeded, from start-up to past the end): many of
these land before the first write or after the command has finished, and are counted as
such. *Mid-write*: the command runs under ``paused_run.py``, which stops it right after
a seeded, randomly chosen call of one of its store write functions, inside the write
transaction (the wrapper checks and says so); the signal is sent then, the command must
die of it (exit -9, or 130 for Ctrl-C), and the store must be exactly as it was (every
table, row for row, but the failed run's own record), with a failed run recorded for a
Ctrl-C once the run had started.

Fast subset: one random kill of review import, import qdpx and remove, one mid-write kill
of remove and review import and one mid-write Ctrl-C of code; ``-m slow``: 30 random kills,
10 mid-write kills and 3 mid-write Ctrl-Cs per command.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from fault_helpers import failed_runs, full_dump, human_decisions, integrity, report_counts
from fault_project import (
    COMMANDS,
    LANDED,
    NO_STORE_WRITES,
    ONCE_ONLY,
    build_base,
    command_args,
    copy_base,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
SEED = 20261201
TALLY: Counter[str] = Counter()
WRAPPER = Path(__file__).resolve().parent / "paused_run.py"
# the mid-write runs pause in a store write function, which init and restore do not call
STORE_WRITERS = [name for name in COMMANDS if name not in NO_STORE_WRITES]
Point = tuple[str, str, int]  # a write function's module and name, and which call of it


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_base(tmp_path_factory.mktemp("kills") / "base")


@pytest.fixture(scope="module")
def durations(base: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    """How long each command takes here, so kills land anywhere from start-up to the end."""
    out = {}
    for name in COMMANDS:
        root = copy_base(base, tmp_path_factory.mktemp("timing") / "p", name)
        start = time.monotonic()
        done = _run(name, root)
        assert done.wait(300) == 0, done.stderr.read() if done.stderr else ""
        out[name] = time.monotonic() - start
    return out


def _ctrl_c_as_usual() -> None:
    """In the child: SIGINT as a terminal sends it. A parent that ignores SIGINT (a
    pytest-xdist worker does) passes that on, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _runs(store: Path) -> int:
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM runs WHERE failed IS NULL").fetchone()[0])
    finally:
        conn.close()


def _run(name: str, root: Path) -> subprocess.Popen[str]:
    args = ["status", "--project", str(root)] if name == "status" else command_args(name, root)
    return subprocess.Popen(
        [sys.executable, "-m", "themegrid", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ctrl_c_as_usual,
    )


def kill_once(base: Path, tmp: Path, name: str, delay: float, sig: int) -> str:
    root = copy_base(base, tmp, name)
    store = root / "themegrid.sqlite"
    before = set(human_decisions(store))
    codebook_before = {p.name: p.read_bytes() for p in (root / "codebook").iterdir()}
    runs_before = _runs(store)
    proc = _run(name, root)
    time.sleep(delay)
    proc.send_signal(sig)
    code = proc.wait(120)
    TALLY[f"{name} runs"] += 1
    assert integrity(store) == "ok"
    after = set(human_decisions(store))
    lost = before - after
    if lost and name == "restore":  # by design: the store is now the backup, whole ...
        assert after == set(human_decisions(root / "reports" / "backup.sqlite"))
        # ... and what it replaced is in a backup made first
        kept = [set(human_decisions(p)) for p in (root / ".themegrid" / "backups").glob("*.sqlite")]
        lost = before - set().union(*kept)
    if lost and name == "codebook unmerge":  # by design: each merged coding goes back ...
        pre_merge = human_decisions(base / "themegrid.sqlite")
        assert {r[:8] for r in after if r[0] == "c"} == {r[:8] for r in pre_merge if r[0] == "c"}
        lost = {r for r in lost if r[0] == "h"}  # ... and every state it had stays in the history
    TALLY[f"{name} human decisions lost"] += len(lost)
    assert not lost, f"{name}: {len(lost)} human decision(s) lost"
    committed = after != before or _runs(store) > runs_before
    if not committed and name in ONCE_ONLY:  # the codebook files change only with the store
        codebook_after = {p.name: p.read_bytes() for p in (root / "codebook").iterdir()}
        assert codebook_after == codebook_before, f"{name}: codebook/ changed, store did not"
    if name != "init":  # init writes files only: its next run clears a killed one's temps
        assert not [p for p in root.rglob("*.tmp")], "a temporary file was left"
    # the next command: the same again, unless an import already landed (a second import of
    # the same file is refused by design), then 'status'
    landed = (name in ONCE_ONLY and _runs(store) > runs_before) or (
        name in LANDED and (root / LANDED[name]).exists()
    )
    again = _run("status" if landed else name, root)
    rc = again.wait(300)
    assert rc == 0, (
        f"{name} after a kill at {delay:.2f}s: {again.stderr.read() if again.stderr else ''}"
    )
    if not landed:  # the same command ran again: a killed one's partial backup is gone
        assert not [p for p in root.rglob("*.partial")], "a partial backup was left"
    if name == "init":  # the new project is whole: every template file, none cut short
        _assert_whole_scaffold(root / "fresh")
        assert not [p for p in root.rglob("*.tmp")], "a temporary file was left"
    outcome = "finished before the signal" if code == 0 else "killed"
    TALLY[f"{name} {outcome}"] += 1
    return outcome


def _assert_whole_scaffold(folder: Path) -> None:
    from importlib import resources

    from themegrid.project import TEMPLATE_FILES

    templates = resources.files("themegrid") / "templates"
    for rel in TEMPLATE_FILES:
        want = (templates / rel.replace("/", "__")).read_text(encoding="utf-8")
        assert (folder / rel).read_text(encoding="utf-8") == want, f"{rel} is not whole"


def _delays(name: str, n: int, total: float) -> list[float]:
    rng = random.Random(f"{SEED}-{name}")
    return [rng.uniform(0.0, total * 1.05) for _ in range(n)]


@pytest.mark.processes
@pytest.mark.parametrize("name", ["review import", "import qdpx", "remove"])
def test_kill_9_fast_subset(base: Path, tmp_path: Path, name: str) -> None:
    [delay] = _delays(f"fast-{name}", 1, 3.0)
    kill_once(base, tmp_path / "k", name, delay, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(COMMANDS))
def test_kill_9_thirty_times(
    base: Path, durations: dict[str, float], tmp_path: Path, name: str
) -> None:
    outcomes = Counter(
        kill_once(base, tmp_path / f"k{i}", name, d, signal.SIGKILL)
        for i, d in enumerate(_delays(name, 30, durations[name]))
    )
    print(f"\nkill -9 {name}: 30 runs over 0-{durations[name]:.1f}s, {dict(outcomes)}, "
          f"human decisions lost: {TALLY[f'{name} human decisions lost']}")  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("name", NO_STORE_WRITES)
def test_sigint_at_random_moments(
    base: Path, durations: dict[str, float], tmp_path: Path, name: str
) -> None:
    """init and restore have no mid-write pause point (see STORE_WRITERS): Ctrl-C at
    seeded random moments instead."""
    outcomes = Counter(
        kill_once(base, tmp_path / f"i{i}", name, d, signal.SIGINT)
        for i, d in enumerate(_delays(f"int-{name}", 10, durations[name]))
    )
    print(f"\nSIGINT {name}: 10 runs over 0-{durations[name]:.1f}s, {dict(outcomes)}")


# --- mid-write: the signal lands inside the write transaction ------------------------------


def _wrapped(
    root: Path, name: str, plan: dict[str, object], plan_path: Path
) -> subprocess.Popen[str]:
    plan_path.write_text(json.dumps(plan))
    return subprocess.Popen(
        [sys.executable, str(WRAPPER), str(plan_path), *command_args(name, root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ctrl_c_as_usual,
    )


@pytest.fixture(scope="module")
def write_points(base: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Point]]:
    """Every store write call each command makes here: (module, function, n-th call)."""
    out = {}
    for name in STORE_WRITERS:
        tmp = tmp_path_factory.mktemp("count")
        counts = tmp / "counts.json"
        proc = _wrapped(
            copy_base(base, tmp / "p", name), name, {"count": str(counts)}, tmp / "plan"
        )
        assert proc.wait(300) == 0, proc.stderr.read() if proc.stderr else ""
        calls = json.loads(counts.read_text())
        out[name] = [
            (key.split(":")[0], key.split(":")[1], n)
            for key, total in sorted(calls.items())
            for n in range(1, total + 1)
        ]
        assert out[name], f"{name} made no store write"
    return out


def _points(points: list[Point], label: str, n: int) -> list[Point]:
    rng = random.Random(f"{SEED}-{label}")
    return [rng.choice(points) for _ in range(n)]


def signal_mid_write(base: Path, tmp: Path, name: str, point: Point, sig: int) -> None:
    """Run ``name`` until it has made the write call ``point``, signal it there, check."""
    root = copy_base(base, tmp / "p", name)
    store = root / "themegrid.sqlite"
    before, decisions = full_dump(store), human_decisions(store)
    codebook_before = sorted(p.name for p in (root / "codebook").iterdir())
    marker = tmp / "paused.json"
    proc = _wrapped(root, name, {"pause": list(point), "marker": str(marker)}, tmp / "plan")
    deadline = time.monotonic() + 300
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"{name} ended (exit {proc.returncode}) before write call {point}")
        assert time.monotonic() < deadline, f"{name} never reached {point}"
        time.sleep(0.02)
    state = json.loads(marker.read_text())
    assert state["in_transaction"], f"{name}: {point} was called outside a transaction"
    proc.send_signal(sig)
    code = proc.wait(120)
    label = "kill -9" if sig == signal.SIGKILL else "SIGINT"
    TALLY[f"{name} mid-write {label} runs"] += 1
    # it died of the signal, mid-write: not finished before it
    expected = -signal.SIGKILL if sig == signal.SIGKILL else 130
    assert code == expected, (code, proc.stderr.read() if proc.stderr else "")
    assert integrity(store) == "ok"
    assert human_decisions(store) == decisions
    assert full_dump(store) == before, f"{name}: a write before {point} was kept"
    assert sorted(p.name for p in (root / "codebook").iterdir()) == codebook_before
    assert not [p for p in root.rglob("*.tmp")], "a temporary file was left"
    failed = failed_runs(store)
    if sig == signal.SIGINT and "themegrid.store.runs:start_run" in state["calls"]:
        # the run had started: its history says it was interrupted
        assert len(failed) == 1 and "interrupted" in failed[0][1], failed
        TALLY[f"{name} mid-write SIGINT failed run recorded"] += 1
    else:
        assert failed == []
    again = _run(name, root)
    assert again.wait(300) == 0, again.stderr.read() if again.stderr else ""
    TALLY[f"{name} mid-write {label} held"] += 1


@pytest.mark.processes
@pytest.mark.parametrize(
    ("name", "sig"),
    [("remove", signal.SIGKILL), ("review import", signal.SIGKILL), ("code", signal.SIGINT)],
    ids=["kill-9-remove", "kill-9-review-import", "sigint-code"],
)
def test_mid_write_fast_subset(
    base: Path, write_points: dict[str, list[Point]], tmp_path: Path, name: str, sig: int
) -> None:
    [point] = _points(write_points[name], f"fast-{name}-{sig}", 1)
    signal_mid_write(base, tmp_path, name, point, sig)


@pytest.mark.slow
@pytest.mark.parametrize("name", STORE_WRITERS)
def test_kill_9_mid_write_ten_times(
    base: Path, write_points: dict[str, list[Point]], tmp_path: Path, name: str
) -> None:
    chosen = _points(write_points[name], f"kill-{name}", 10)
    for i, point in enumerate(chosen):
        signal_mid_write(base, tmp_path / f"k{i}", name, point, signal.SIGKILL)
    print(f"\nkill -9 mid-write {name}: 10 runs at {len(set(chosen))} of its "
          f"{len(write_points[name])} write calls, all killed inside the transaction, "
          f"human decisions lost: 0")  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("name", STORE_WRITERS)
def test_sigint_mid_write(
    base: Path, write_points: dict[str, list[Point]], tmp_path: Path, name: str
) -> None:
    for i, point in enumerate(_points(write_points[name], f"int-{name}", 3)):
        signal_mid_write(base, tmp_path / f"i{i}", name, point, signal.SIGINT)


def teardown_module() -> None:
    report_counts("kill/SIGINT runs", TALLY)
