"""The project store: one SQLite file per project, owned by this module.

Every command's writes happen inside :meth:`Store.transaction`, a
``BEGIN IMMEDIATE`` transaction: either all of a command's changes land or
none do (an exception or Ctrl-C rolls back). Two commands on one project:
the second waits up to ``busy_timeout`` seconds for the first (default
``THEMEGRID_WAIT``, else 30), then stops with :class:`~themegrid.errors.StoreBusy`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from themegrid import __version__
from themegrid.errors import (
    DiskFull,
    ForeignStore,
    ProjectError,
    StoreBusy,
    StoreDamaged,
    StoreEmpty,
    StorePermissionDenied,
    StoreReadOnly,
    StoreTooNew,
    ThemegridError,
)
from themegrid.store.migrations import MIGRATIONS

STORE_NAME = "themegrid.sqlite"
SQLITE_HEADER = b"SQLite format 3\x00"
VERSION_KEY = "schema_written_by"  # meta: the themegrid version that last migrated the store
BACKUPS = Path(".themegrid") / "backups"  # beside the store, in the project folder
WRITER_NOTE = Path(".themegrid") / "writer.json"  # who holds the write lock, for the waiting
WAIT_ENV = "THEMEGRID_WAIT"  # seconds a writer waits for another (default 30)
DEFAULT_WAIT = 30.0
_OPENED: list[str] = []  # the store opened last, for errors met outside a transaction


def now() -> str:
    """UTC time as ISO 8601 with microseconds (sortable as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


class Store:
    """A connection to a project's SQLite store, migrated to the current schema."""

    busy_timeout: float = 30.0  # seconds a writer waits for another
    _after_rollback: list[Callable[[BaseException], None]]  # see on_rollback

    def __init__(self, path: Path | str, *, busy_timeout: float | None = None) -> None:
        self.path = str(path)
        busy_timeout = wait_seconds() if busy_timeout is None else busy_timeout
        self.busy_timeout = busy_timeout
        in_memory = self.path == ":memory:"
        if not in_memory:
            check_store_file(Path(self.path))
        _OPENED[:] = [self.path]
        try:
            self.conn = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise explain_database_error(exc, self.path) or ProjectError(
                f"{self.path}: cannot open the project store ({exc})"
            ) from exc
        self.conn.row_factory = sqlite3.Row
        try:
            if not in_memory:
                # reads only: a foreign file stays as it is
                check_store_contents(self.conn, self.path)
                self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.migrate()
        except ThemegridError:
            self.conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise explain_database_error(exc, self.path) or StoreDamaged(
                f"{self.path}: the project store cannot be read ({exc}); nothing was written to it; "
                f"{restore_hint(self.path)}"
            ) from exc

    # --- transactions ---------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside land together or not at all (also on KeyboardInterrupt).

        A full disk, a read-only file or a damaged page met on the way becomes a
        one-line :class:`~themegrid.errors.ThemegridError` saying the changes were
        rolled back and what to do.
        """
        if self.conn.in_transaction:
            yield self.conn
            return
        self._begin()
        try:
            yield self.conn
        except BaseException as exc:
            with suppress(sqlite3.Error):
                self.conn.rollback()
            self._drop_writer_note()
            self._rolled_back(exc)
            if isinstance(exc, sqlite3.Error):
                explained = explain_database_error(exc, self.path, rolled_back=True)
                if explained is not None:
                    raise explained from exc
            raise
        else:
            try:
                self.conn.commit()
            except sqlite3.Error as exc:
                with suppress(sqlite3.Error):
                    self.conn.rollback()
                self._drop_writer_note()
                self._rolled_back(exc)
                raise (explain_database_error(exc, self.path, rolled_back=True) or exc) from exc
        finally:
            self._callbacks().clear()
            self._drop_writer_note()

    def on_rollback(self, callback: Callable[[BaseException], None]) -> None:
        """Call ``callback(exc)`` once the current transaction has rolled back (a failed
        run's record, written in a transaction of its own). Forgotten when it commits."""
        self._callbacks().append(callback)

    def _callbacks(self) -> list[Callable[[BaseException], None]]:
        if "_after_rollback" not in self.__dict__:
            self._after_rollback = []
        return self._after_rollback

    def _rolled_back(self, exc: BaseException) -> None:
        callbacks = list(self._callbacks())
        self._callbacks().clear()
        if self.conn.in_transaction:
            return  # the rollback itself failed: write nothing more
        for callback in callbacks:
            # best effort: recording a failure never hides the failure itself
            with suppress(Exception):
                callback(exc)

    def _begin(self) -> None:
        """BEGIN IMMEDIATE; if another command writes, say at once whom we wait for, then wait
        up to ``busy_timeout`` seconds and fail naming it (nothing written)."""
        try:
            self.conn.execute("PRAGMA busy_timeout = 0")
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                holder = self._writer_note()
                self.on_wait(
                    f"Waiting up to {self.busy_timeout:.0f} s for {holder} to finish writing "
                    f"to {self.path} ..."
                )
                self.conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as again:
                    if _is_busy(again):
                        raise StoreBusy(
                            f"{self.path}: another themegrid command ({holder}) is still writing to "
                            f"this project after "
                            f"{self.busy_timeout:.0f} s; nothing was changed; wait for it to "
                            "finish and run this command again"
                        ) from again
                    raise
            finally:
                self.conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        except sqlite3.OperationalError as exc:
            raise (explain_database_error(exc, self.path) or exc) from exc
        self._leave_writer_note()

    def on_wait(self, message: str) -> None:
        """Told, once, that this command waits for another writer (stderr by default)."""
        print(message, file=sys.stderr, flush=True)

    # --- who is writing: a small note beside the store --------------------------------

    def _writer_note_path(self) -> Path | None:
        return None if self.path == ":memory:" else Path(self.path).parent / WRITER_NOTE

    def _leave_writer_note(self) -> None:
        note = self._writer_note_path()
        if note is None:
            return
        info = {"pid": os.getpid(), "command": _command_line(), "since": now()}
        with suppress(OSError):
            note.parent.mkdir(parents=True, exist_ok=True)
            tmp = note.with_name(f"{note.name}.{os.getpid()}")
            tmp.write_text(json.dumps(info), encoding="utf-8")
            os.replace(tmp, note)

    def _drop_writer_note(self) -> None:
        note = self._writer_note_path()
        if note is None:
            return
        with suppress(OSError, ValueError):
            if json.loads(note.read_text(encoding="utf-8")).get("pid") == os.getpid():
                note.unlink()

    def _writer_note(self) -> str:
        """Who holds the write lock, as far as the note says: "'themegrid code' (pid 12, since ...)"."""
        note = self._writer_note_path()
        try:
            info = json.loads(note.read_text(encoding="utf-8")) if note else {}
        except (OSError, ValueError):
            info = {}
        if not info:
            return "a program that left no note"
        return f"'{info.get('command', '?')}' (pid {info.get('pid', '?')}, since {info.get('since', '?')})"

    # --- schema ---------------------------------------------------------------------

    def applied_migrations(self) -> list[str]:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        return [r[0] for r in self.conn.execute("SELECT name FROM schema_migrations ORDER BY name")]

    def migrate(self) -> list[str]:
        """Apply pending migrations, each in its own transaction. Returns their names."""
        done = set(self.applied_migrations())
        ran = []
        for migration in MIGRATIONS:
            if migration.name in done:
                continue
            with self.transaction() as conn:
                for statement in _statements(migration.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (migration.name, now()),
                )
                self.set_meta(VERSION_KEY, __version__)
            ran.append(migration.name)
        return ran

    # --- small helpers --------------------------------------------------------------

    def execute(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return default if value is None else value

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_seconds() -> float:
    """How long a writer waits for another: ``THEMEGRID_WAIT`` seconds, else 30."""
    raw = os.environ.get(WAIT_ENV, "").strip()
    if not raw:
        return DEFAULT_WAIT
    try:
        value = float(raw)
    except ValueError as exc:
        raise ProjectError(
            f"{WAIT_ENV}={raw!r}: not a number; set it to the seconds a command may wait for "
            "another one writing to the project (default 30)"
        ) from exc
    return max(value, 0.0)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _command_line() -> str:
    args = [Path(sys.argv[0]).name if sys.argv else "python", *sys.argv[1:3]]
    name = "themegrid" if args[0] in ("__main__.py", "themegrid", "-m") else args[0]
    return " ".join([name, *(a for a in args[1:] if not a.startswith("-"))])


def _statements(sql: str) -> Iterator[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


def dumps(obj: Any) -> str:
    """JSON for a store column: stable key order, real Unicode."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def loads(text: str | None, default: Any = None) -> Any:
    return default if not text else json.loads(text)


# --- what is wrong with a store, in words ---------------------------------------------


def backups_dir(store_path: Path | str) -> Path:
    """The folder that holds the automatic backups of the store at ``store_path``."""
    return Path(store_path).resolve().parent / BACKUPS


def list_backups(store_path: Path | str) -> list[Path]:
    """The automatic backups of a store, oldest first (names sort by time)."""
    folder = backups_dir(store_path)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.sqlite") if p.is_file())


def restore_hint(store_path: Path | str) -> str:
    """What to do about a lost or damaged store: name the newest automatic backup."""
    backups = list_backups(store_path)
    if not backups:
        return (
            f"there is no automatic backup in {backups_dir(store_path)}; restore the file from "
            "your own backup of the project folder"
        )
    newest = backups[-1]
    when = datetime.fromtimestamp(newest.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"restore the newest automatic backup ({when}) with: themegrid restore '{newest}'"


def check_store_file(path: Path) -> None:
    """Refuse, before SQLite touches it, a store file that cannot be used as it is."""
    folder = path.parent
    if path.is_dir():
        raise ForeignStore(f"{path}: is a folder, not a themegrid store; move it away")
    if not path.exists():
        if folder.is_dir() and not os.access(folder, os.W_OK):
            raise _read_only(path, creating=True)
        return
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except PermissionError as exc:
        raise _permission_denied(path) from exc
    if not header:
        wal = Path(f"{path}-wal")
        if not (wal.exists() and wal.stat().st_size > 0):
            raise StoreEmpty(
                f"{path}: the store file is empty (0 bytes), so the codings it held are not in it; "
                f"{restore_hint(path)}. Only if this project never had codings: delete the empty file "
                "and run 'themegrid code' to start a new store"
            )
    elif header != SQLITE_HEADER:
        raise StoreDamaged(
            f"{path}: not an SQLite database (it begins {header[:8]!r}): the store is damaged or "
            f"another file took its name; nothing was written to it; {restore_hint(path)}"
        )
    if not os.access(path, os.W_OK) or not os.access(folder, os.W_OK):
        raise _read_only(path)


def _read_only(path: Path, *, creating: bool = False) -> StoreReadOnly:
    folder = path.parent
    untouched = "the store is untouched" if not creating else "no store was created"
    if _on_read_only_fs(folder):
        return StoreReadOnly(
            f"{path}: the file system holding the project is read-only and themegrid writes "
            f"beside the store even to read it (its -wal and -shm files); {untouched}: remount it "
            "read-write, or copy the project folder to a writable disk and run the command there"
        )
    if path.exists() and not os.access(path, os.W_OK):
        return StoreReadOnly(
            f"{path}: the store file is read-only for this user; {untouched}: make it writable "
            f"(chmod u+w '{path}') and run the command again"
        )
    return StoreReadOnly(
        f"{path}: its folder {folder} is not writable and themegrid writes beside the store even "
        f"to read it (its -wal and -shm files); {untouched}: make the folder writable "
        f"(chmod u+w '{folder}') and run the command again"
    )


def _on_read_only_fs(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _permission_denied(path: Path) -> StorePermissionDenied:
    try:
        owner = str(path.stat().st_uid)
        import pwd

        owner = pwd.getpwuid(int(owner)).pw_name
    except (OSError, KeyError, ImportError):
        owner = "its owner"
    return StorePermissionDenied(
        f"{path}: permission denied: this user may not read the store (owned by {owner}); it is "
        f"untouched: ask {owner} for access, or run chmod u+rw '{path}' as {owner}"
    )


def check_store_contents(conn: sqlite3.Connection, path: str) -> None:
    """Refuse a foreign SQLite file or a store from a newer themegrid, by reading only."""
    tables = sorted(
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    )
    if not tables:
        return  # a new store
    if "schema_migrations" in tables:
        applied = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
    else:
        applied = []
    if MIGRATIONS[0].name not in applied:
        shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
        raise ForeignStore(
            f"{path}: an SQLite database that is not a themegrid store (its tables: {shown}); "
            "nothing was written to it; move it out of the project folder (or use another folder) "
            "and run the command again"
        )
    known = {m.name for m in MIGRATIONS}
    unknown = [name for name in applied if name not in known]
    if unknown:
        theirs = _writer_version(conn)
        raise StoreTooNew(
            f"{path}: written by a newer themegrid ({theirs}) than this one ({__version__}): it has "
            f"schema migration(s) {', '.join(unknown)} that this version does not know; nothing was "
            "changed; upgrade themegrid (pip install --upgrade themegrid) to open it"
        )


def _writer_version(conn: sqlite3.Connection) -> str:
    for sql in (
        "SELECT value FROM meta WHERE key = ?",
        "SELECT tool_version FROM runs WHERE ? IS NOT NULL ORDER BY id DESC LIMIT 1",
    ):
        with suppress(sqlite3.Error):
            row = conn.execute(sql, (VERSION_KEY,)).fetchone()
            if row and row[0]:
                return f"version {row[0]}"
    return "version unknown"


_FULL = ("SQLITE_FULL",)
_READONLY = ("SQLITE_READONLY",)
_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def explain_database_error(
    exc: BaseException, path: str | None = None, *, rolled_back: bool = False
) -> ThemegridError | None:
    """A one-line message for an SQLite failure that is about the file or the disk, else None."""
    if not isinstance(exc, sqlite3.Error):
        return None
    path = path or (_OPENED[0] if _OPENED else STORE_NAME)
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    undone = (
        "this command's changes were rolled back and the store is as it was"
        if rolled_back
        else "nothing was written"
    )
    if name.startswith(_FULL) or "disk is full" in text or "database or disk is full" in text:
        return DiskFull(
            f"{path}: the disk is full; {undone}; free some space on the disk holding "
            f"{Path(path).parent} and run the command again"
        )
    if name.startswith(_READONLY) or "readonly database" in text or "read-only" in text:
        return _read_only(Path(path))
    if name.startswith(_DAMAGED) or "malformed" in text or "not a database" in text:
        return StoreDamaged(
            f"{path}: the store is damaged ({exc}); {undone}; {restore_hint(path)}; keep the "
            "damaged file (move it aside) until the restored store is checked"
        )
    if name.startswith("SQLITE_PERM") or name.startswith("SQLITE_AUTH"):
        return _permission_denied(Path(path))
    if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
        return StoreDamaged(
            f"{path}: the disk reported an I/O error ({exc}); {undone}; check the disk (and that "
            "it has free space), then run the command again; if the error stays, "
            f"{restore_hint(path)}"
        )
    cant_open = name.startswith("SQLITE_CANTOPEN") or "unable to open database" in text
    if cant_open and not os.access(Path(path).parent, os.W_OK):
        return _read_only(Path(path))
    return None
