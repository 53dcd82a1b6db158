"""Two writers: the second says at once whom it waits for, waits a bounded time, fails
clearly with nothing changed; review import validates inside its write transaction."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fault_helpers import cli, fill_review, human_decisions

from conftest import write_project
from themegrid.errors import StoreBusy, ValidationError
from themegrid.exchange import review
from themegrid.store.connection import Store


def test_the_second_writer_names_the_first_waits_and_fails_changing_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "themegrid.sqlite"
    first = Store(path)
    second = Store(path, busy_timeout=0.3)
    said: list[str] = []
    second.on_wait = said.append  # type: ignore[method-assign]
    with first.transaction():
        first.set_meta("held", "yes")
        with pytest.raises(StoreBusy) as e, second.transaction():
            second.set_meta("second", "wrote")
    assert len(said) == 1 and said[0].startswith("Waiting up to 0 s for '")
    assert "pid" in said[0]
    assert "is still writing" in str(e.value) and "nothing was changed" in str(e.value)
    assert "pid" in str(e.value)
    assert second.get_meta("second") is None and second.get_meta("held") == "yes"
    with second.transaction():  # and once the first is done, the second can write
        second.set_meta("second", "wrote")
    assert not (tmp_path / ".themegrid" / "writer.json").exists()


def test_review_import_validates_inside_its_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 'code' run that removes a segment just before review import takes the write lock:
    the import must see the removal (and refuse), not write decisions on the removed segment."""
    project = write_project(tmp_path / "study")
    assert cli("code", "--no-model", "--project", project.root).exit_code == 0
    sheet = fill_review(project, decision="reject", note="later")
    assert human_decisions(project.store_path) == []
    begin = Store._begin

    def concurrent_code_run(self: Store) -> None:
        other = sqlite3.connect(self.path)
        other.execute("UPDATE segments SET active = 0")
        other.commit()
        other.close()
        begin(self)

    monkeypatch.setattr(Store, "_begin", concurrent_code_run)
    with (
        Store(project.store_path) as store,
        pytest.raises(ValidationError, match="no longer exists"),
    ):
        review.import_review(store, sheet, coder="Ben", codebook=project.load_codebook())
    assert human_decisions(project.store_path) == []


def _coded_csv(path: Path, rows: int) -> Path:
    codes = ("barriers.funding", "barriers.staffing")
    path.write_text(
        "id,Text,Code\n"
        + "".join(
            f"r{i},Respondent {i} said the budget was cut in year {i}.,{codes[i % 2]}\n"
            for i in range(rows)
        ),
        encoding="utf-8",
    )
    return path


@pytest.mark.processes
@pytest.mark.parametrize("coders", [("Ana", "Ben"), ("Cy", "Cy")])
def test_two_import_coded_processes_at_once_both_end_well(
    tmp_path: Path, coders: tuple[str, str]
) -> None:
    """The double-coding workflow: two imports of one file start while a third program holds
    the write lock; both say they wait, then both finish, one after the other: no error, no
    decision lost, the store intact."""
    project = write_project(tmp_path / "study")
    assert cli("code", "--no-model", "--project", project.root).exit_code == 0
    sheet = _coded_csv(tmp_path / "coded.csv", 120)
    holder = sqlite3.connect(project.store_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "themegrid",
                "import-coded",
                str(sheet),
                "--coder",
                coder,
                "--project",
                str(project.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for coder in coders
    ]
    errors: list[list[str]] = [[], []]
    readers = [
        threading.Thread(target=lambda p=p, e=e: e.extend(p.stderr), daemon=True)
        for p, e in zip(procs, errors, strict=True)
    ]
    for reader in readers:
        reader.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not all(
            any("Waiting up to" in line for line in e) for e in errors
        ):
            assert all(p.poll() is None for p in procs), errors
            time.sleep(0.1)
        holder.execute("ROLLBACK")  # the third program is done: the two now take turns
        codes = [p.wait(180) for p in procs]
    finally:
        holder.close()
        for p in procs:
            if p.poll() is None:
                p.kill()
    for reader in readers:
        reader.join(10)
    for code, err in zip(codes, errors, strict=True):
        text = "".join(err)
        assert "Traceback" not in text, text
        assert code == 0, text
        assert "Waiting up to" in text, text
    conn = sqlite3.connect(project.store_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        by_coder = dict(
            conn.execute(
                "SELECT coder, COUNT(*) FROM codings WHERE source = 'human' GROUP BY coder"
            ).fetchall()
        )
        runs = conn.execute(
            "SELECT COUNT(*) FROM runs WHERE command = 'import-coded' AND failed IS NULL"
        ).fetchone()[0]
    finally:
        conn.close()
    assert by_coder == {c: 120 for c in set(coders)}
    assert runs == 2


def test_the_web_writer_retries_a_store_busy_for_a_moment(tmp_path: Path) -> None:
    """The server's writes wait out a short busy spell (a 'code' run committing) instead of
    failing the coder's click; a store that stays busy still ends in StoreBusy."""
    from themegrid.web.decisions import Writer

    path = tmp_path / "themegrid.sqlite"
    Store(path).close()
    store = Store(path, busy_timeout=0.1)
    store.on_wait = lambda message: None  # type: ignore[method-assign]
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.35, lambda: holder.execute("ROLLBACK"))
    release.start()
    try:
        Writer(store, attempts=4, pause=0.2).write(lambda s: s.set_meta("decided", "yes"))
    finally:
        release.join()
    assert store.get_meta("decided") == "yes"
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreBusy):
        Writer(store, attempts=2, pause=0.05).write(lambda s: s.set_meta("late", "no"))
    holder.execute("ROLLBACK")
    holder.close()
    assert store.get_meta("late") is None
    store.close()
