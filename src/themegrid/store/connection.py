"""The project store: one SQLite file per project, owned by this module.

Every command's writes happen inside :meth:`Store.transaction`, a
``BEGIN IMMEDIATE`` transaction: either all of a command's changes land or
none do (an exception or Ctrl-C rolls back). Two commands on one project:
the second waits up to ``busy_timeout`` seconds for the first, then stops
with :class:`~themegrid.errors.StoreBusy`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from themegrid.errors import ProjectError, StoreBusy
from themegrid.store.migrations import MIGRATIONS

STORE_NAME = "themegrid.sqlite"

#: Called once, before waiting, when another command holds the write lock; it gets the
#: store path and the seconds it will wait at most. The command line sets it to print a
#: line at once (see :mod:`themegrid.cli`); None: wait silently.
on_wait: Callable[[str, float], None] | None = None


def now() -> str:
    """UTC time as ISO 8601 with microseconds (sortable as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


class Store:
    """A connection to a project's SQLite store, migrated to the current schema."""

    def __init__(self, path: Path | str, *, busy_timeout: float = 30.0) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        try:
            self.conn = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise ProjectError(f"{self.path}: cannot open the project store ({exc})") from exc
        self.conn.row_factory = sqlite3.Row
        try:
            if self.path != ":memory:":
                self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.migrate()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise ProjectError(
                f"{self.path}: not a themegrid store or damaged ({exc}); "
                "move it aside and run 'themegrid ingest' to rebuild"
            ) from exc

    # --- transactions ---------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside land together or not at all (also on KeyboardInterrupt)."""
        if self.conn.in_transaction:
            yield self.conn
            return
        try:
            self._begin()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreBusy(
                    f"{self.path}: another themegrid command is writing to this project; "
                    "wait for it to finish and run this command again"
                ) from exc
            raise
        try:
            yield self.conn
        except BaseException:
            self.conn.rollback()
            raise
        else:
            self.conn.commit()

    def _begin(self) -> None:
        """BEGIN IMMEDIATE; when another writer holds the lock, say so (:data:`on_wait`)
        at once, then wait up to ``busy_timeout`` seconds."""
        if on_wait is None:
            self.conn.execute("BEGIN IMMEDIATE")
            return
        self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            on_wait(self.path, self.busy_timeout)
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        self.conn.execute("BEGIN IMMEDIATE")

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
