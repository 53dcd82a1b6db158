"""The ``runs`` table: one row per command that changes codings.

A run records the tool version, the codebook it ran with (name, version, hash,
cue hash), the hashes of its inputs and a JSON summary of what it changed.
The ``meta`` key/value table is read and written with
:meth:`~themegrid.store.connection.Store.get_meta` and ``set_meta``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from themegrid import __version__
from themegrid.store.connection import Store, dumps, explain_database_error, now

if TYPE_CHECKING:
    from themegrid.codebook.model import Codebook


def start_run(
    store: Store,
    command: str,
    codebook: Codebook | None,
    *,
    input_hashes: Mapping[str, str] | None = None,
    started_at: str | None = None,
) -> int:
    """Record that ``command`` started; returns the run id (call inside the transaction).

    Should the transaction roll back, the run is recorded again, as failed, in a
    transaction of its own (:func:`record_failed_run`): the history says a command
    failed, and nothing else it wrote is kept.
    """
    row = (
        command,
        started_at or now(),
        __version__,
        codebook.name if codebook else None,
        codebook.version if codebook else None,
        codebook.hash if codebook else None,
        codebook.cue_hash if codebook else None,
        dumps(dict(input_hashes or {})),
    )
    cur = store.conn.execute(
        "INSERT INTO runs (command, started_at, tool_version, codebook_name, codebook_version,"
        " codebook_hash, cue_hash, input_hashes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        row,
    )
    store.on_rollback(lambda exc: record_failed_run(store, row, exc))
    return int(cur.lastrowid or 0)


FAILED_RUN_WAIT = 2.0  # seconds a failed run's record waits for another writer


def failure_text(exc: BaseException) -> str:
    """Why a run failed, in one line for the run history."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C); everything it wrote was rolled back"
    explained = explain_database_error(exc)
    text = str(explained or exc).strip().splitlines()
    return f"{type(explained or exc).__name__}: {text[0] if text else ''}"[:500]


def record_failed_run(store: Store, row: tuple[object, ...], exc: BaseException) -> None:
    """Record, in a transaction of its own, a run whose transaction rolled back."""
    saved = store.busy_timeout
    store.busy_timeout = FAILED_RUN_WAIT
    try:
        with store.transaction():
            store.conn.execute(
                "INSERT INTO runs (command, started_at, tool_version, codebook_name,"
                " codebook_version, codebook_hash, cue_hash, input_hashes, finished_at, failed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, now(), failure_text(exc)),
            )
    finally:
        store.busy_timeout = saved


def finish_run(
    store: Store,
    run_id: int,
    summary: Mapping[str, Any],
    inputs: Mapping[str, str] | None = None,
    *,
    codebook: Codebook | None = None,
) -> None:
    """Record the run's end and summary.

    ``inputs`` replaces the input hashes (``None`` keeps those given to
    :func:`start_run`); ``codebook`` records the codebook the run ended with
    (name, version, hash), for commands that change it.
    """
    store.conn.execute(
        "UPDATE runs SET finished_at = ?, summary = ?,"
        " input_hashes = COALESCE(?, input_hashes),"
        " codebook_name = CASE WHEN ? THEN ? ELSE codebook_name END,"
        " codebook_version = CASE WHEN ? THEN ? ELSE codebook_version END,"
        " codebook_hash = CASE WHEN ? THEN ? ELSE codebook_hash END"
        " WHERE id = ?",
        (
            now(),
            dumps(dict(summary)),
            None if inputs is None else dumps(dict(inputs)),
            codebook is not None,
            codebook.name if codebook else None,
            codebook is not None,
            codebook.version if codebook else None,
            codebook is not None,
            codebook.hash if codebook else None,
            run_id,
        ),
    )


__all__ = ["finish_run", "record_failed_run", "start_run"]


@dataclass(frozen=True)
class RunRecord:
    """A row of the ``runs`` table (``input_hashes`` and ``summary`` as stored JSON text)."""

    id: int
    command: str
    started_at: str
    finished_at: str | None
    tool_version: str
    codebook_name: str | None
    codebook_version: str | None
    codebook_hash: str | None
    cue_hash: str | None
    input_hashes: str
    summary: str
    failed: str | None = None  # why the run failed (rolled back), None if it did not


def latest_run(store: Store) -> RunRecord | None:
    """The most recent run that did not fail (highest id), or None before the first."""
    rows = store.conn.execute(
        "SELECT id, command, started_at, finished_at, tool_version, codebook_name,"
        " codebook_version, codebook_hash, cue_hash, input_hashes, summary, failed"
        " FROM runs WHERE failed IS NULL ORDER BY id DESC LIMIT 1"
    ).fetchall()
    return RunRecord(*rows[0]) if rows else None


def latest_run_of(store: Store, command: str) -> RunRecord | None:
    """The most recent finished run of ``command``, or None."""
    rows = store.conn.execute(
        "SELECT id, command, started_at, finished_at, tool_version, codebook_name,"
        " codebook_version, codebook_hash, cue_hash, input_hashes, summary, failed"
        " FROM runs WHERE command = ? AND finished_at IS NOT NULL AND failed IS NULL"
        " ORDER BY id DESC LIMIT 1",
        (command,),
    ).fetchall()
    return RunRecord(*rows[0]) if rows else None


def run_count(store: Store) -> int:
    """How many runs the store records."""
    return int(store.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])


def run_record(store: Store, run_id: int) -> RunRecord | None:
    """The run with this id, or None."""
    rows = store.conn.execute(
        "SELECT id, command, started_at, finished_at, tool_version, codebook_name,"
        " codebook_version, codebook_hash, cue_hash, input_hashes, summary, failed"
        " FROM runs WHERE id = ?",
        (run_id,),
    ).fetchall()
    return RunRecord(*rows[0]) if rows else None


def runs_by_command(store: Store, command: str) -> list[RunRecord]:
    """Every run of ``command`` that did not fail, oldest first."""
    return [
        RunRecord(*r)
        for r in store.conn.execute(
            "SELECT id, command, started_at, finished_at, tool_version, codebook_name,"
            " codebook_version, codebook_hash, cue_hash, input_hashes, summary, failed"
            " FROM runs WHERE command = ? AND failed IS NULL ORDER BY id",
            (command,),
        )
    ]


def failed_runs(store: Store) -> list[RunRecord]:
    """Every run that failed and was rolled back, oldest first."""
    return [
        RunRecord(*r)
        for r in store.conn.execute(
            "SELECT id, command, started_at, finished_at, tool_version, codebook_name,"
            " codebook_version, codebook_hash, cue_hash, input_hashes, summary, failed"
            " FROM runs WHERE failed IS NOT NULL ORDER BY id"
        )
    ]
