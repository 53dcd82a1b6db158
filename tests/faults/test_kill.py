"""kill -9 and SIGINT at random moments (seeded) into each writing command, run as a real
process: afterwards the store passes ``PRAGMA integrity_check``, every human decision that
existed before is present and unchanged, no temporary or half-imported file is left, and
the same command then succeeds. The counts are printed (run with ``-s`` to see them).

Fast subset: one kill of review import, import qdpx and remove; ``-m slow``: 30 kills and 3 SIGINTs per command.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from fault_helpers import human_decisions, integrity
from fault_project import COMMANDS, build_base, command_args, copy_base

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
SEED = 20261201
TALLY: Counter[str] = Counter()


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
    )


def kill_once(base: Path, tmp: Path, name: str, delay: float, sig: int) -> str:
    root = copy_base(base, tmp, name)
    store = root / "themegrid.sqlite"
    before = set(human_decisions(store))
    codebook_before = sorted(p.name for p in (root / "codebook").iterdir())
    proc = _run(name, root)
    time.sleep(delay)
    proc.send_signal(sig)
    code = proc.wait(120)
    TALLY[f"{name} runs"] += 1
    assert integrity(store) == "ok"
    after = set(human_decisions(store))
    lost = before - after
    TALLY[f"{name} human decisions lost"] += len(lost)
    assert not lost, f"{name}: {len(lost)} human decision(s) lost"
    committed = after != before
    if not committed and name == "import qdpx":  # the import's YAML only with its codes
        assert sorted(p.name for p in (root / "codebook").iterdir()) == codebook_before
    assert not [p for p in root.rglob("*.tmp")], "a temporary file was left"
    runs_before = _runs(base / "themegrid.sqlite")
    # the next command: the same again, unless an import already landed (a second import of
    # the same file is refused by design), then 'status'
    landed = name.startswith("import") and _runs(store) > runs_before
    again = _run("status" if landed else name, root)
    rc = again.wait(300)
    assert rc == 0, (
        f"{name} after a kill at {delay:.2f}s: {again.stderr.read() if again.stderr else ''}"
    )
    outcome = "finished before the signal" if code == 0 else "killed"
    TALLY[f"{name} {outcome}"] += 1
    return outcome


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
@pytest.mark.parametrize("name", list(COMMANDS))
def test_sigint(base: Path, durations: dict[str, float], tmp_path: Path, name: str) -> None:
    for i, d in enumerate(_delays(f"int-{name}", 3, durations[name])):
        kill_once(base, tmp_path / f"i{i}", name, d, signal.SIGINT)


def teardown_module() -> None:
    if TALLY:
        print("\nkill/SIGINT runs:", dict(sorted(TALLY.items())), f"(pid {os.getpid()})")
