"""The workspace's write endpoints as the fault suite drives them: for each, the requests a
coder (Ben) sends one after another, the write function it pauses in for a mid-write kill,
and what each acknowledged request must have stored.

Used in-process by the injected-fault tests and, imported by a child process, by the kill
-9 runs (see test_merge_and_web_faults.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from themegrid.store import codings as codings_store
from themegrid.store import memos as memos_store
from themegrid.store import workspace
from themegrid.store.connection import Store

ENDPOINTS = ("/decide", "/add-code", "/code-span", "/remove", "/memo")
CODER = "Ben"
# the store write function a mid-write kill pauses in, after it returned
PAUSE_IN: dict[str, tuple[Any, str]] = {
    **{e: (codings_store, "record_human_codings") for e in ENDPOINTS if e != "/memo"},
    "/memo": (memos_store, "add_memo"),
}
Effect = tuple[str, ...]


def _other(code: str) -> str:
    return "barriers.staffing" if code != "barriers.staffing" else "barriers.funding"


def requests(store: Store, endpoint: str, csrf: str) -> list[tuple[dict[str, str], Effect]]:
    """The forms Ben posts to ``endpoint`` (in order), each with the effect it must leave."""
    out: list[tuple[dict[str, str], Effect]] = []
    if endpoint in ("/decide", "/add-code"):
        for n, item in enumerate(codings_store.pending_suggestions(store)):
            if endpoint == "/decide":
                status = "rejected" if n % 2 else "accepted"
                form = {"segment_id": item.segment_id, "code_id": item.code_id, "decision": status}
                out.append((form, (item.segment_id, item.code_id, status)))
            else:
                code = _other(item.code_id)
                form = {"segment_id": item.segment_id, "code_id": code}
                out.append((form, (item.segment_id, code, "accepted")))
    elif endpoint == "/remove":
        for (seg, code), mine in sorted(codings_store.human_codings(store, CODER).items()):
            if mine.status == "accepted":
                out.append(({"segment_id": seg, "code_id": code}, (seg, code, "rejected")))
    else:
        for doc in workspace.document_progress(store):
            turns = [t for t in workspace.reader_turns(store, doc.id) if not t.is_interviewer]
            for n, turn in enumerate(turns):
                if endpoint == "/code-span":
                    start, end = str(turn.start), str(turn.start + min(12, turn.end - turn.start))
                    code = "barriers.funding" if n % 2 else "barriers.staffing"
                    form = {"document_id": str(doc.id), "start": start, "end": end}
                    out.append(({**form, "code_id": code}, (turn.id, code, "accepted")))
                else:
                    text = f"memo {doc.id}-{n} by {CODER}"
                    out.append(
                        ({"kind": "segment", "target": turn.id, "text": text}, (turn.id, text))
                    )
    return [({**form, "csrf": csrf}, effect) for form, effect in out]


def prepare(store: Store, endpoint: str) -> None:
    """For /remove: Ben first accepts every pending suggestion, so he has codings to remove."""
    if endpoint != "/remove":
        return
    from themegrid.web import decisions

    with store.transaction():
        for item in codings_store.pending_suggestions(store):
            decisions.decide(store, CODER, item.segment_id, item.code_id, "accepted")


def stored(store_path: Path, endpoint: str) -> set[Effect]:
    """The effects Ben's requests to ``endpoint`` can have left, as found in the store."""
    conn = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        if endpoint == "/memo":
            rows = conn.execute("SELECT target_id, text FROM memos WHERE coder = ?", (CODER,))
        else:
            rows = conn.execute(
                "SELECT segment_id, code_id, status FROM codings "
                "WHERE source = 'human' AND coder = ?",
                (CODER,),
            )
        return {tuple(str(v) for v in r) for r in rows}
    finally:
        conn.close()


def researchers_work(store_path: Path) -> tuple[set[tuple[object, ...]], set[object], set[object]]:
    """What a write may never take away: every human decision in the history, the ids of
    the human codings, and every memo."""
    conn = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        history = set(
            conn.execute(
                "SELECT id, segment_id, code_id, coder, status, reason, note, at "
                "FROM coding_history WHERE source = 'human'"
            ).fetchall()
        )
        codings = {r[0] for r in conn.execute("SELECT id FROM codings WHERE source = 'human'")}
        memos = set(conn.execute("SELECT * FROM memos").fetchall())
        return history, codings, memos
    finally:
        conn.close()


def lost(
    before: tuple[set[Any], set[Any], set[Any]], after: tuple[set[Any], set[Any], set[Any]]
) -> int:
    return sum(len(b - a) for b, a in zip(before, after, strict=True))
