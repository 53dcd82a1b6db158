"""Each way a store file can be unusable gets its own message, and nothing is written to it.

Read-only file system or folder, permission denied, 0-byte file, corruption, a foreign
SQLite file and a store from a newer themegrid: each says what happened and what to do,
never "rebuild" (which would lose human decisions), and leaves the file as it was.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import pytest
from fault_helpers import cli, digest, human_decisions, integrity, reviewed_project

from themegrid.errors import (
    DiskFull,
    ForeignStore,
    StoreDamaged,
    StoreEmpty,
    StorePermissionDenied,
    StoreReadOnly,
    StoreTooNew,
)
from themegrid.store import connection
from themegrid.store.connection import Store


def _no_rebuild(message: str) -> None:
    assert "rebuild" not in message
    assert "run 'themegrid ingest'" not in message


@pytest.fixture(scope="module")
def coded(tmp_path_factory: pytest.TempPathFactory):
    return reviewed_project(tmp_path_factory.mktemp("coded") / "study")


def test_foreign_sqlite_file_is_refused_and_left_unwritten(tmp_path: Path) -> None:
    path = tmp_path / "themegrid.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE patients (id INTEGER, name TEXT)")
    conn.execute("INSERT INTO patients VALUES (1, 'x')")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(ForeignStore, match=r"not a themegrid store \(its tables: patients\)") as e:
        Store(path)
    _no_rebuild(str(e.value))
    assert digest(path) == before
    tables = sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("patients",)]  # no schema_migrations created inside it


def test_a_store_from_a_newer_themegrid_is_refused_naming_both_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "themegrid.sqlite"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO schema_migrations VALUES ('0099_from_the_future', '2030-01-01T00:00:00')"
    )
    conn.execute("UPDATE meta SET value = '9.1.0' WHERE key = ?", (connection.VERSION_KEY,))
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(StoreTooNew) as e:
        Store(path)
    message = str(e.value)
    assert "version 9.1.0" in message and f"({connection.__version__})" in message
    assert "0099_from_the_future" in message and "upgrade themegrid" in message
    assert digest(path) == before


def test_an_empty_store_file_is_not_started_afresh(tmp_path: Path) -> None:
    path = tmp_path / "themegrid.sqlite"
    path.write_bytes(b"")
    with pytest.raises(StoreEmpty, match=r"empty \(0 bytes\)") as e:
        Store(path)
    _no_rebuild(str(e.value))
    assert path.stat().st_size == 0


def test_a_truncated_store_is_damaged_and_the_message_names_the_newest_backup(
    tmp_path: Path,
) -> None:
    project = reviewed_project(tmp_path / "study")
    result = cli("review", "import", project.reports_dir / "review.xlsx", "--coder", "Ben",
                 "--project", project.root)  # fmt: skip
    assert result.exit_code == 0, result.output
    backups = sorted((project.root / ".themegrid" / "backups").glob("*.sqlite"))
    assert len(backups) == 2
    with Store(project.store_path) as store:
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = project.store_path.read_bytes()
    project.store_path.write_bytes(data[: len(data) // 3])
    status = cli("status", "--project", project.root)
    assert status.exit_code == 1
    assert "Traceback" not in status.output
    assert "damaged" in status.output and backups[-1].name in status.output
    assert "themegrid restore" in status.output
    _no_rebuild(status.output)


def test_garbage_in_the_store_is_damaged_not_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "themegrid.sqlite"
    Store(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(4096 - 100)  # the schema page
    path.write_bytes(bytes(data))
    with pytest.raises(StoreDamaged, match="damaged") as e:
        Store(path)
    _no_rebuild(str(e.value))


def test_read_only_folder_is_its_own_message(coded, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = str(coded.root)
    real = os.access
    monkeypatch.setattr(
        connection.os, "access", lambda p, mode: False if str(p) == folder else real(p, mode)
    )
    with pytest.raises(StoreReadOnly, match=r"folder .* is not writable") as e:
        Store(coded.store_path)
    _no_rebuild(str(e.value))
    assert "untouched" in str(e.value)


def test_read_only_file_system_is_its_own_message(coded, monkeypatch: pytest.MonkeyPatch) -> None:
    class Vfs:
        f_flag = os.ST_RDONLY

    monkeypatch.setattr(connection.os, "statvfs", lambda p: Vfs())
    monkeypatch.setattr(connection.os, "access", lambda p, mode: mode != os.W_OK)
    with pytest.raises(StoreReadOnly, match=r"file system .* is read-only"):
        Store(coded.store_path)


def test_permission_denied_is_its_own_message(coded, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = Path.open

    def denied(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if self == coded.store_path:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(StorePermissionDenied, match="permission denied"):
        Store(coded.store_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_mode_000_store_is_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "themegrid.sqlite"
    Store(path).close()
    path.chmod(0)
    try:
        with pytest.raises(StorePermissionDenied):
            Store(path)
    finally:
        path.chmod(0o644)


def test_disk_full_during_a_command_rolls_back_with_a_message(
    coded, monkeypatch: pytest.MonkeyPatch
) -> None:
    from themegrid.store import codings

    before = human_decisions(coded.store_path)

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(codings, "record_human_codings", full)
    result = cli("review", "import", coded.reports_dir / "review.xlsx", "--coder", "Cy",
                 "--project", coded.root)  # fmt: skip
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "disk is full" in result.output and "rolled back" in result.output
    assert human_decisions(coded.store_path) == before
    assert integrity(coded.store_path) == "ok"


def test_disk_full_is_a_themegrid_error_from_the_transaction() -> None:
    store = Store(":memory:")
    with pytest.raises(DiskFull, match="rolled back"), store.transaction():
        store.execute("INSERT INTO meta VALUES ('k', 'v')")
        raise sqlite3.OperationalError("database or disk is full")
    assert store.get_meta("k") is None
