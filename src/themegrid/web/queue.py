"""The review queue's suggestions in review order, kept between requests.

Ordering the pending suggestions (:func:`~themegrid.exchange.review.review_order`:
embeddings, diversity per code and case) is the queue's costly step: 3.6 s of CPU for
11,709 suggestions, and it ran on every page and every decision. Here the order is
computed once per run and kept: while no run has happened, the pending suggestions
are a subset of those ordered, shown in the kept order (the review sheet's order
with the decided ones left out, so the queue does not reshuffle under the researcher
as they decide). The pending list itself is kept while the store's version
(:func:`~themegrid.store.workspace.store_version`) is unchanged, and the server's
own decisions update it in place (:meth:`ReviewQueue.decided`, inside the write's
transaction); any other writer (a CLI import, a run) changes the version and the
list is read again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from themegrid.codebook.model import Codebook
from themegrid.exchange.review import ReviewItem, pending_suggestions, review_order
from themegrid.store import workspace
from themegrid.store.connection import Store

Key = tuple[str, str]  # (segment id, code id)


def _key(item: ReviewItem) -> Key:
    return (item.segment_id, item.code_id)


class ReviewQueue:
    """Pending suggestions in review order for one store (call with its connection's lock)."""

    def __init__(self, codebook: Codebook) -> None:
        self.codebook = codebook
        self.version: tuple[int, int, int] | None = None
        self.items: list[ReviewItem] = []
        self.rank: dict[Key, int] = {}
        self.ordered_in_run: int | None = None
        self.lock = threading.Lock()
        self.full_orders = 0  # how many times the whole order was computed (tests read it)

    def pending(self, store: Store) -> list[ReviewItem]:
        """Every pending suggestion, in review order."""
        with self.lock:
            version = workspace.store_version(store)
            if version == self.version:
                return self.items
            fresh = pending_suggestions(store, self.codebook)
            run = version[2]
            if run == self.ordered_in_run and all(_key(i) in self.rank for i in fresh):
                ordered = sorted(fresh, key=lambda i: self.rank[_key(i)])
            else:
                ordered = review_order(fresh)
                self.rank = {_key(i): n for n, i in enumerate(ordered)}
                self.ordered_in_run = run
                self.full_orders += 1
            self.items, self.version = ordered, version
            return ordered

    def decided(self, store: Store, before: tuple[int, int, int], keys: Iterable[Key]) -> None:
        """The server just decided ``keys`` (a human coding on each (segment, code): none is
        pending any more), in a transaction that began at version ``before``. If nothing
        else had changed the store since the list was read, drop them and take the new
        version; otherwise the next :meth:`pending` reads the list again."""
        with self.lock:
            if before != self.version:
                self.version = None
                return
            gone = set(keys)
            self.items = [i for i in self.items if _key(i) not in gone]
            self.version = workspace.store_version(store)


__all__ = ["ReviewQueue"]
