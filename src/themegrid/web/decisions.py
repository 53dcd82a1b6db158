"""The workspace's writes: human decisions, through the store's one writer of human codings.

A decision in the queue goes through :func:`themegrid.exchange.review.apply_decisions`,
the call a review-sheet import makes; a coded passage through
:func:`themegrid.store.codings.record_human_codings` with its span. Each write
is one transaction. A store busy with another command (``themegrid code``) is
retried; if it stays busy :class:`~themegrid.errors.StoreBusy` reaches the page,
which keeps the decision and sends it again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from themegrid.errors import SpanError, StoreBusy
from themegrid.exchange.review import Decision, apply_decisions
from themegrid.store import codings, segments
from themegrid.store.connection import Store, now

T = TypeVar("T")

REASONS = {"accepted": "accepted in the browser", "rejected": "rejected in the browser"}
SPAN_REASON = "coded in the browser"
REMOVED_REASON = "removed in the browser"
ADDED_REASON = "added in the browser review queue"


class Writer:
    """Serialises the server's writes on its store connection and retries a busy store."""

    def __init__(self, store: Store, *, attempts: int = 3, pause: float = 0.2) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.attempts = attempts
        self.pause = pause

    def write(self, action: Callable[[Store], T]) -> T:
        """Run ``action`` in one transaction; retry a busy store, then raise StoreBusy."""
        for attempt in range(self.attempts):
            try:
                with self.lock, self.store.transaction():
                    return action(self.store)
            except StoreBusy:
                if attempt + 1 == self.attempts:
                    raise
                time.sleep(self.pause * (attempt + 1))
        raise AssertionError("unreachable")

    def read(self, action: Callable[[Store], T]) -> T:
        with self.lock:
            return action(self.store)


def decide(store: Store, coder: str, segment_id: str, code_id: str, status: str) -> dict[str, int]:
    """``coder`` accepts or rejects ``code_id`` on a segment (call inside a transaction)."""
    if status not in REASONS:
        raise ValueError(f"a decision is accepted or rejected, not {status!r}")
    decision = Decision(segment_id, code_id, status, REASONS[status], "", 0)
    return apply_decisions(store, [decision], {segment_id}, coder, None)


def remove(store: Store, coder: str, segment_id: str, code_id: str) -> dict[str, int]:
    """``coder`` withdraws their coding: a rejection by them, kept in the history."""
    decision = Decision(segment_id, code_id, "rejected", REMOVED_REASON, "", 0)
    return apply_decisions(store, [decision], {segment_id}, coder, None)


def add_code(store: Store, coder: str, segment_id: str, code_id: str) -> dict[str, int]:
    """``coder`` codes a whole segment with ``code_id`` from the review queue (an added code,
    as a review sheet's added-code column is stored)."""
    decision = Decision(segment_id, code_id, "accepted", ADDED_REASON, "", 0)
    return apply_decisions(store, [decision], {segment_id}, coder, None)


def code_span(
    store: Store, coder: str, document_id: int, start: int, end: int, code_id: str
) -> str:
    """``coder`` applies ``code_id`` to the passage ``start:end``; returns its segment id."""
    decision = codings.span_decision(store, document_id, start, end, code_id, SPAN_REASON)
    mine = codings.human_codings(store, coder, [decision.segment_id])
    old = mine.get((decision.segment_id, code_id))
    if (
        old is not None
        and old.status == "accepted"
        and (old.span_start, old.span_end) != (start, end)
    ):
        # one coding per coder, code and turn: a second passage would replace the first
        where = (
            f"the passage {old.span_start}..{old.span_end}"
            if old.span_start is not None
            else "the whole turn"
        )
        raise SpanError(
            f"you already coded {where} of this turn with {code_id}; remove that coding first"
            " (its 'remove' button), or select one passage that covers both"
        )
    stamp = now()
    codings.record_human_codings(store, coder, [decision], run_id=None, at=stamp)
    segments.mark_seen(store, [decision.segment_id], coder, "browser", at=stamp)
    return decision.segment_id


__all__ = ["REASONS", "Writer", "add_code", "code_span", "decide", "remove"]
