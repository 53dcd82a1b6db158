"""The review queue's suggestions in review order, kept between requests.

Each coder has a queue: the suggestions that coder has not decided (see
:class:`ReviewQueue`). Ordering the suggestions (:func:`~themegrid.exchange.review.review_order`:
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

The order is also kept on disk, in ``.themegrid-cache/review-order.json`` beside the
store (JSON, never code; the folder may be deleted at any time), keyed by the run id:
a server started after the run reads it instead of ordering again (4.3 s of CPU at 1M
words). It is used only under the same rule as the kept order (the same last run, and
every pending suggestion in it), and only where each suggestion's case (which groups
the order) is still the one it was ordered under (a re-ingest may change metadata
without a run).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from pathlib import Path

from themegrid.atomic import atomic_path
from themegrid.codebook.model import Codebook
from themegrid.errors import OutputError
from themegrid.exchange.review import (
    ReviewItem,
    offered_suggestions,
    pending_suggestions,
    review_order,
)
from themegrid.store import codings, workspace
from themegrid.store.connection import Store
from themegrid.tag.model_cache import CACHE_DIR

Key = tuple[str, str]  # (segment id, code id)
ORDER_FILE = "review-order.json"
_FORMAT = "themegrid review order 1"


def _key(item: ReviewItem) -> Key:
    return (item.segment_id, item.code_id)


class ReviewQueue:
    """Each coder's pending suggestions in review order for one store (call with its
    connection's lock).

    A coder's queue holds the suggestions that coder has not decided, whatever other
    coders decided (:func:`~themegrid.exchange.review.pending_suggestions` with
    ``coder``), and shows nothing of the others' decisions: two coders double-code blind.
    The order is computed once per run over every suggestion any coder could be offered
    (:func:`~themegrid.exchange.review.offered_suggestions`: the sheet a coder who has
    decided nothing gets), so every coder meets the suggestions in the same order and
    two coders who stop early overlap as much as they can.
    """

    def __init__(self, codebook: Codebook) -> None:
        self.codebook = codebook
        #: coder -> (store version the list was read or updated at, the list in order)
        self.lists: dict[str, tuple[tuple[int, int, int], list[ReviewItem]]] = {}
        self.rank: dict[Key, int] = {}
        self.ordered_in_run: int | None = None
        self.lock = threading.Lock()
        self.full_orders = 0  # how many times the whole order was computed (tests read it)

    def version(self, coder: str) -> tuple[int, int, int] | None:
        """The store version ``coder``'s kept list is up to date with (None: none kept)."""
        kept = self.lists.get(coder)
        return None if kept is None else kept[0]

    def pending(self, store: Store, coder: str) -> list[ReviewItem]:
        """Every suggestion ``coder`` has not decided, in review order."""
        with self.lock:
            version = workspace.store_version(store)
            kept = self.lists.get(coder)
            if kept is not None and kept[0] == version:
                return kept[1]
            run = version[2]
            fresh: list[ReviewItem] | None = None
            if self.ordered_in_run != run:
                on_disk = _kept_order(store, run)
                if on_disk is not None:
                    # used only if every suggestion of the coder's is in it, under the
                    # case it was ordered under
                    fresh = pending_suggestions(store, self.codebook, coder=coder)
                    cases, rank = on_disk
                    if all(cases.get(_key(i)) == i.case for i in fresh):
                        self.rank, self.ordered_in_run = rank, run
            else:
                fresh = pending_suggestions(store, self.codebook, coder=coder)
            if (
                fresh is None
                or run != self.ordered_in_run
                or not all(_key(i) in self.rank for i in fresh)
            ):
                every = review_order(offered_suggestions(store, self.codebook))
                self.rank = {_key(i): n for n, i in enumerate(every)}
                self.ordered_in_run = run
                self.full_orders += 1
                self.lists = {}  # lists ordered under the old rank are read again
                _write_order(store, run, every)
                # the coder's part of what was just ordered, not read again (the rows of
                # ``pending_suggestions(coder=...)``: 1.1 s of CPU at 1M words)
                mine = codings.human_codings(store, coder, sorted({i.segment_id for i in every}))
                fresh = [i for i in every if _key(i) not in mine]
            ordered = sorted(fresh, key=lambda i: self.rank[_key(i)])
            self.lists[coder] = (version, ordered)
            return ordered

    def decided(
        self, store: Store, before: tuple[int, int, int], coder: str, keys: Iterable[Key]
    ) -> None:
        """``coder`` just decided ``keys`` in the server (a human coding on each (segment,
        code)), in a transaction that began at version ``before``. Lists read at ``before``
        stay good: ``coder``'s loses those keys, every other coder's is unchanged (another
        coder's decision never takes a suggestion out of a queue); they take the new
        version. A list read at another version is read again at its next :meth:`pending`."""
        with self.lock:
            gone = set(keys)
            after = workspace.store_version(store)
            for who, (version, items) in list(self.lists.items()):
                if version != before:
                    del self.lists[who]
                elif who == coder:
                    self.lists[who] = (after, [i for i in items if _key(i) not in gone])
                else:
                    self.lists[who] = (after, items)


def _kept_order(store: Store, run: int) -> tuple[dict[Key, str], dict[Key, int]] | None:
    """The order kept on disk for ``run``: each suggestion's case when it was ordered, and
    its rank; None when there is none for that run (or it is unreadable, or not ours)."""
    found = _order_file(store)
    if found is None or not found.exists():
        return None
    try:
        kept = json.loads(found.read_text(encoding="utf-8"))
        if kept.get("format") != _FORMAT or kept.get("run") != run:
            return None
        cases = {(str(seg), str(code)): str(case) for seg, code, case in kept["items"]}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return cases, {key: n for n, key in enumerate(cases)}


def _order_file(store: Store) -> Path | None:
    return None if store.path == ":memory:" else Path(store.path).parent / CACHE_DIR / ORDER_FILE


def _write_order(store: Store, run: int, ordered: list[ReviewItem]) -> None:
    """Keep the order for the next server (a folder that cannot be written: not kept)."""
    target = _order_file(store)
    if target is None:
        return
    body = {
        "format": _FORMAT,
        "run": run,
        "items": [[i.segment_id, i.code_id, i.case] for i in ordered],
    }
    try:
        with atomic_path(target) as tmp:
            tmp.write_text(json.dumps(body, separators=(",", ":")), encoding="utf-8")
    except (OSError, OutputError):
        return


__all__ = ["ORDER_FILE", "ReviewQueue"]
