"""Automatic backups of the store, and restoring one.

Before a command changes human decisions (review import, import-coded, REFI-QDA
imports) :func:`backup_before` copies the store with SQLite's online backup API
(a consistent copy even while another connection reads) into
``.themegrid/backups/`` beside it, keeping the newest ``THEMEGRID_KEEP_BACKUPS``
(default 10; 0 turns backups off). :func:`plan_restore` says what a restore
would lose; :func:`restore_backup` does it, after backing up the current store.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from themegrid.errors import BackupError, DiskFull, StoreDamaged, StoreEmpty, ThemegridError
from themegrid.store.connection import (
    Store,
    backups_dir,
    check_store_contents,
    check_store_file,
    explain_database_error,
    list_backups,
)

DEFAULT_KEEP = 10
KEEP_ENV = "THEMEGRID_KEEP_BACKUPS"


def keep_count() -> int:
    """How many backups to keep: ``THEMEGRID_KEEP_BACKUPS`` or 10."""
    raw = os.environ.get(KEEP_ENV, "")
    if not raw.strip():
        return DEFAULT_KEEP
    try:
        value = int(raw)
    except ValueError as exc:
        raise BackupError(
            f"{KEEP_ENV}={raw!r}: not a whole number; set it to how many backups to keep "
            "(0 turns automatic backups off)"
        ) from exc
    return max(value, 0)


def backup_before(store: Store, command: str, *, keep: int | None = None) -> Path | None:
    """Copy the store into its backups folder before ``command`` changes human decisions.

    Returns the backup's path (None for an in-memory store or when backups are
    off). Rotation then removes the oldest beyond ``keep``. A backup that
    cannot be written stops the command before it changes anything.
    """
    keep = keep_count() if keep is None else keep
    if store.path == ":memory:" or keep == 0:
        return None
    folder = backups_dir(store.path)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", command).strip("-") or "command"
    target = folder / f"{stamp}-{slug}.sqlite"
    partial = folder / f".{target.name}.{os.getpid()}.partial"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(folder)
        dest = sqlite3.connect(partial)
        try:
            store.conn.backup(dest)
        finally:
            dest.close()
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        why = explain_database_error(exc, str(partial))
        message = (
            f"{folder}: could not back up the store before '{command}' "
            f"({'the disk is full' if isinstance(why, DiskFull) else exc}); nothing was changed; "
            f"free some space or fix the folder, or set {KEEP_ENV}=0 to run without a backup"
        )
        raise BackupError(message) from exc
    for old in list_backups(store.path)[:-keep]:
        with contextlib.suppress(OSError):
            old.unlink()
    return target


def remove_stale_partials(folder: Path) -> list[Path]:
    """Delete the half-written copies left by backups whose process was killed (their pid,
    in the name, is no longer running); a copy another command is writing now is kept."""
    removed = []
    for part in folder.glob(".*.partial"):
        pid = part.name.rsplit(".", 2)[-2]
        if pid.isdigit() and int(pid) != os.getpid() and _running(int(pid)):
            continue
        with contextlib.suppress(OSError):
            part.unlink()
            removed.append(part)
    return removed


def _running(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill would end the process there: keep its file
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, under another user
    return True


@dataclass(frozen=True)
class RestorePlan:
    """What restoring ``backup`` over the store would do."""

    store: Path
    backup: Path
    backup_time: str
    decisions_in_backup: int
    decisions_lost: int | None  # human decisions in the store made after the backup; None: unknown
    coders_lost: tuple[str, ...]
    store_damaged: str | None  # why the current store cannot be read, if it cannot
    #: changes to human codings after the backup that no coder decided (codebook merges
    #: and their undoing move or fold them): also undone by the restore
    merge_changes: int = 0

    def warning(self) -> str:
        if self.store_damaged is not None:
            return (
                f"The current store cannot be read ({self.store_damaged}); decisions made after "
                f"{self.backup_time} cannot be counted. It will be kept as "
                f"{self.store.name}.damaged-<time> beside the restored store."
            )
        merges = (
            f"; {self.merge_changes} change(s) to human codings by codebook merge or unmerge "
            "are undone too"
            if self.merge_changes
            else ""
        )
        if not self.decisions_lost:
            return f"No human decision was made after the backup ({self.backup_time}){merges}."
        by = f" (by {', '.join(self.coders_lost)})" if self.coders_lost else ""
        return (
            f"Restoring loses {self.decisions_lost} human decision(s) made after "
            f"{self.backup_time}{by}{merges}; the current store is backed up first, so this too "
            "can be undone with 'themegrid restore'."
        )


def resolve_backup(store_path: Path, name: Path | str) -> Path:
    """A backup given as a path, or as a file name in the store's backups folder."""
    path = Path(name)
    if path.is_file():
        return path
    candidate = backups_dir(store_path) / path.name
    if candidate.is_file():
        return candidate
    found = list_backups(store_path)
    listing = ", ".join(p.name for p in found[-3:]) or "none"
    raise BackupError(
        f"{name}: no such backup; the newest in {backups_dir(store_path)} are: {listing}"
    )


def plan_restore(store_path: Path, backup: Path | str) -> RestorePlan:
    """Check the backup is a usable themegrid store and count what a restore would lose."""
    backup = resolve_backup(store_path, backup)
    with _read_only(backup) as conn:
        in_backup, last_id = _human_history(conn)
    when = datetime.fromtimestamp(backup.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    lost: int | None = 0
    coders: tuple[str, ...] = ()
    damaged = None
    merges = 0
    if store_path.exists():
        try:
            with _read_only(store_path) as conn:
                lost, coders, merges = _decisions_after(conn, last_id)
        except StoreEmpty:
            lost, damaged = None, "it is empty"
        except ThemegridError as exc:
            lost, damaged = None, _short(exc)
    return RestorePlan(store_path, backup, when, in_backup, lost, coders, damaged, merges)


def restore_backup(plan: RestorePlan) -> Path | None:
    """Replace the store with the backup; returns the backup made of the store first (if any).

    A store that cannot be read is renamed to ``<store>.damaged-<time>`` (with
    its -wal and -shm files) rather than overwritten.
    """
    store_path = plan.store
    kept: Path | None = None
    if plan.store_damaged is None and store_path.exists():
        with Store(store_path) as store:
            kept = backup_before(store, "before restore", keep=max(keep_count(), 1))
            source = sqlite3.connect(f"file:{plan.backup}?mode=ro", uri=True)
            try:
                source.backup(store.conn)
            except sqlite3.Error as exc:
                raise (explain_database_error(exc, str(store_path)) or exc) from exc
            finally:
                source.close()
            store.migrate()
        return kept
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{store_path}{suffix}")
        if part.exists():
            os.replace(part, Path(f"{store_path}.damaged-{stamp}{suffix}"))
    source = sqlite3.connect(f"file:{plan.backup}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(store_path)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    Store(store_path).close()  # migrate the restored copy to the current schema
    return None


def _short(exc: ThemegridError) -> str:
    """The reason in an error message, without the path before it or the advice after it."""
    text = str(exc).split(": ", 1)[-1]
    return text.split(";", 1)[0]


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    if path.exists():
        check_store_file(path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            check_store_contents(conn, str(path))
        except sqlite3.DatabaseError as exc:
            raise explain_database_error(exc, str(path)) or StoreDamaged(
                f"{path}: cannot be read ({exc})"
            ) from exc
        yield conn
    finally:
        conn.close()


def _human_history(conn: sqlite3.Connection) -> tuple[int, int]:
    row = conn.execute(
        "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM coding_history WHERE source = 'human'"
    ).fetchone()
    return int(row[0]), int(row[1])


#: Commands whose history rows move human codings without anyone deciding anything.
_NOT_DECISIONS = ("codebook merge", "codebook unmerge")


def _decisions_after(conn: sqlite3.Connection, last_id: int) -> tuple[int, tuple[str, ...], int]:
    """Human decisions recorded after history row ``last_id`` (count, coders), and the
    changes to human codings by merges and their undoing (not decisions of the coder)."""
    marks = ",".join("?" * len(_NOT_DECISIONS))
    rows = conn.execute(
        "SELECT h.coder, COALESCE(r.command, '') IN (" + marks + "), COUNT(*)"
        " FROM coding_history h LEFT JOIN runs r ON r.id = h.run_id"
        " WHERE h.source = 'human' AND h.id > ? GROUP BY 1, 2 ORDER BY 1",
        (*_NOT_DECISIONS, last_id),
    ).fetchall()
    decided = [(str(r[0]), int(r[2])) for r in rows if not r[1]]
    merged = sum(int(r[2]) for r in rows if r[1])
    return sum(n for _, n in decided), tuple(c for c, _ in decided), merged
