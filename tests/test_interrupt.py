"""Ctrl-C: an interrupted command leaves the store as it was, and the next one works."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_project
from themegrid.cli import app
from themegrid.store import Store

TABLES = ("documents", "segments", "codings", "coding_history", "segment_views", "codes", "runs")


def snapshot(path: Path) -> dict[str, object]:
    """Row counts of every table, and a digest of the documents, codings and meta rows."""
    with Store(path) as store:
        out: dict[str, object] = {t: store.scalar(f"SELECT COUNT(*) FROM {t}") for t in TABLES}
        for name, sql in {
            "documents_digest": "SELECT path, content_hash, status FROM documents ORDER BY path",
            "codings_digest": "SELECT segment_id, code_id, source, coder, status FROM codings"
            " ORDER BY segment_id, code_id, source, coder",
            "meta_digest": "SELECT key, value FROM meta ORDER BY key",
        }.items():
            rows = [tuple(r) for r in store.query(sql)]
            out[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


# --- Store.transaction() and KeyboardInterrupt -------------------------------------------


def test_keyboard_interrupt_mid_transaction_rolls_back_and_leaves_the_store_usable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "themegrid.sqlite"
    store = Store(path)
    with store.transaction():
        store.set_meta("before", "1")
    before = snapshot(path)

    with pytest.raises(KeyboardInterrupt), store.transaction():
        store.set_meta("interrupted", "1")
        store.execute("UPDATE meta SET value = '2' WHERE key = 'before'")
        raise KeyboardInterrupt

    assert not store.conn.in_transaction
    assert store.get_meta("interrupted") is None and store.get_meta("before") == "1"
    assert snapshot(path) == before
    with store.transaction():
        store.set_meta("after", "1")
    store.close()

    with Store(path) as reopened:
        assert reopened.get_meta("after") == "1"
        assert reopened.get_meta("interrupted") is None
        assert reopened.get_meta("before") == "1"


def test_cli_interrupt_is_one_line_and_exit_status_130(project, monkeypatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("themegrid.api.open_project", interrupted)
    result = CliRunner().invoke(app, ["status", "--project", str(project.root)])
    assert result.exit_code == 130
    message = result.output.strip()
    assert "Traceback" not in message and len(message.splitlines()) == 1
    assert "nterrupted" in message


# --- SIGINT to a running `themegrid code` -----------------------------------------------

TURN_Q = "Interviewer: What made the work on competency-based learning hard in year {n}?"
TURN_A = (
    "Respondent: The budget was cut again and the grant money ran out, so we could not find "
    "substitute teachers for release time; staff turnover hurt trust with families. "
    "We also had a state policy change and new graduation requirements to explain. {n}"
)


def big_corpus(n_docs: int, turns: int = 30) -> dict[str, str]:
    return {
        f"interviews/big_{i:04d}.txt": "\n\n".join(
            (TURN_Q if t % 2 == 0 else TURN_A).format(n=f"{i}-{t}") for t in range(turns)
        )
        + "\n"
        for i in range(n_docs)
    }


def themegrid(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "themegrid", *args],
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,  # type: ignore[arg-type]
    )


def write_lock_held(store_path: Path) -> bool:
    """Whether another connection holds the store's write lock (is inside a transaction)."""
    probe = sqlite3.connect(store_path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc) or "busy" in str(exc)
    else:
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_sigint_to_a_running_code_command_leaves_the_store_unchanged(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study")
    first = themegrid("code", "--project", str(project.root), "--no-model")
    assert first.returncode == 0, first.stderr
    before = snapshot(project.store_path)

    extra = big_corpus(400)
    for rel, text in extra.items():
        (project.corpus_dir / rel).write_text(text, encoding="utf-8")
    with project.metadata_path.open("a", encoding="utf-8") as fh:
        fh.writelines(f"{rel},Utah,district leader,interview\n" for rel in extra)

    wal = project.root / "themegrid.sqlite-wal"
    proc = subprocess.Popen(
        [sys.executable, "-m", "themegrid", "code", "--project", str(project.root), "--no-model"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Wait until the command is inside its transaction and has written pages to the WAL.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if write_lock_held(project.store_path) and wal.exists() and wal.stat().st_size > 0:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the command finished before it could be interrupted"
        assert write_lock_held(project.store_path), "the command never started writing"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert not write_lock_held(project.store_path)
    # Everything the run wrote is gone; the same connection, after the Ctrl-C, then wrote
    # the failed run's record in a transaction of its own, and that record persisted. Were the
    # interrupted transaction left open (no rollback on KeyboardInterrupt), the record would
    # be swallowed by it and lost when the process ended.
    after_interrupt = snapshot(project.store_path)
    assert after_interrupt == {**before, "runs": before["runs"] + 1}  # type: ignore[operator]
    with Store(project.store_path) as store:
        failed = [
            tuple(r)
            for r in store.query("SELECT command, failed FROM runs WHERE failed IS NOT NULL")
        ]
    assert failed == [("code", "interrupted (Ctrl-C); everything it wrote was rolled back")]

    second = themegrid("code", "--project", str(project.root), "--no-model")
    assert second.returncode == 0, second.stderr
    after = snapshot(project.store_path)
    assert after["documents"] == before["documents"] + len(extra)  # type: ignore[operator]
    assert after["runs"] == before["runs"] + 2  # type: ignore[operator]
    with Store(project.store_path) as store:
        paths = {r[0] for r in store.query("SELECT path FROM documents WHERE status = 'present'")}
    assert set(extra) <= paths


def test_the_subprocess_helpers_see_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "themegrid.sqlite"
    with Store(path) as store:
        assert not write_lock_held(path)
        with store.transaction():
            assert write_lock_held(path)
        assert not write_lock_held(path)
    assert os.path.exists(path)
