"""Reading, segmenting and tagging in parallel processes: ``themegrid code --workers N``.

Two pools, one after the other. Ingest maps a top-level reading function over
the files to read (:func:`ordered_map`): each worker reads and segments whole
files. Tagging (:func:`examine_and_tag`): each worker judges and tags chunks of
segment texts with the spaCy pipeline, :class:`CueRuler` and machine filter built
from the codebook, and sends verdicts and suggestion rows (code, score, reason:
strings, cheap to pickle) back. The parent receives results in the order it sent
the inputs and alone writes the store. The results are the same objects one
process computes (they depend only on the file, the text and the codebook), so
``--workers 1`` and ``--workers N`` write identical tables.

On Linux workers are forked, so they start with spaCy already imported (a
fresh interpreter per worker costs seconds) and with the spaCy pipeline, cues and
machine filter the parent built once (:func:`make_tagger`; ingest builds the
pipeline before its pool starts), instead of building them again on every core;
the language classifier too, and the inherited heap is frozen out of the workers'
garbage collection (:func:`_pool`). The parent's only other thread is
the progress bar's refresher, whose locks the workers never touch; workers
never use the parent's SQLite connection. Elsewhere they are spawned, and a
script that calls :func:`~themegrid.pipeline.coding.run_coding` then needs the
usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.pool
import os
import sys
from collections.abc import Callable, Generator, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from themegrid.codebook import Codebook
from themegrid.codebook.model import MachineSettings
from themegrid.tag.codable import MachineFilter, Verdict

if TYPE_CHECKING:
    from themegrid.tag.tagger import RuleTagger, Suggestion, SuggestionRow

T = TypeVar("T")
R = TypeVar("R")

#: Texts per task sent to a worker: large enough that pickling overhead is small,
#: small enough that both workers stay busy to the end.
CHUNK = 200
#: Below this many texts, starting processes costs more than it saves.
MIN_PARALLEL = 2 * CHUNK


class Tagger(Protocol):
    def tag_many(self, texts: Iterable[str]) -> Iterator[list[Suggestion]]: ...


def default_workers() -> int:
    """The machine's cores (those this process may use, where the OS says)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def prepare_tagger(codebook: Codebook) -> None:
    """Build now what :func:`make_tagger` will need for ``codebook`` (the spaCy pipeline,
    the cues, the machine filter with its language classifier), for a caller that has a
    core to spare now and would otherwise wait for it later (``code`` while reading
    workers read). A codebook spaCy rejects fails here."""
    from themegrid.tag.tagger import RuleTagger

    tagger = RuleTagger(codebook)
    machine_filter = MachineFilter(codebook.settings)
    if _forks():
        machine_filter.load_classifier()
    _PREPARED.clear()
    _PREPARED.update(codebook=codebook, tagger=tagger, filter=machine_filter)


def make_tagger(codebook: Codebook, workers: int | None, n_texts: int) -> Tagger:
    """A tagger for ``n_texts`` texts: in this process, or spread over ``workers`` processes."""
    from themegrid.tag.tagger import RuleTagger

    n = default_workers() if workers is None else workers
    prepared = dict(_PREPARED) if _PREPARED.get("codebook") is codebook else {}
    _PREPARED.clear()
    tagger = prepared.get("tagger")
    if not isinstance(tagger, RuleTagger):
        tagger = RuleTagger(codebook)  # a codebook spaCy rejects fails here, not in a worker
    if n <= 1 or n_texts < MIN_PARALLEL:
        return tagger
    # Built once here: forked workers inherit it instead of each building its own (the
    # spaCy pipeline and the cues: about a second of CPU per worker, on every core).
    machine_filter = prepared.get("filter")
    if not isinstance(machine_filter, MachineFilter):
        machine_filter = MachineFilter(codebook.settings)
    if _forks():
        # Some segment of this many almost surely needs the language classifier: loaded
        # here once, not once in every worker.
        machine_filter.load_classifier()
    _INHERITED.clear()
    _INHERITED.update(codebook=codebook, tagger=tagger, filter=machine_filter)
    return ParallelTagger(codebook, n)


def _forks() -> bool:
    return sys.platform.startswith("linux")


def _context() -> multiprocessing.context.BaseContext:
    return multiprocessing.get_context("fork" if _forks() else "spawn")


def _pool(workers: int, **kwargs: Any) -> multiprocessing.pool.Pool:
    """A pool whose forked workers leave the parent's objects out of their garbage collection.

    Frozen objects are never traversed by the collector: a worker neither spends CPU
    walking the inherited heap (spaCy, the cues) nor copies the pages it would touch.
    """
    gc.freeze()
    try:
        return _context().Pool(workers, **kwargs)
    finally:
        gc.unfreeze()


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``map(fn, items)`` over ``workers`` processes, results in input order, one item a task.

    ``fn`` must be a module-level function (workers find it by name). Used by ingest to
    read and segment files in parallel; the caller alone writes the store. The workers
    start on return, before the first result is asked for: the caller may do other work
    meanwhile.
    """
    pool = _pool(workers)
    drain = _drain(pool, pool.imap(fn, items, chunksize=1))
    next(drain)  # started: from here on, closing it (or losing it) ends the pool
    return drain


def _drain(pool: multiprocessing.pool.Pool, results: Iterator[R]) -> Generator[R, None, None]:
    try:
        yield None  # type: ignore[misc]  # the priming step of ordered_map
        yield from results
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def examine_and_tag(
    tagger: Tagger, machine_filter: MachineFilter, items: Iterable[tuple[str, bool]]
) -> Iterator[tuple[Verdict, list[SuggestionRow]]]:
    """Per (text, is a speaker turn): the machine filter's verdict and the rule suggestions.

    A text the filter skips is not tagged (no suggestions). With a :class:`ParallelTagger`
    both run in its workers; otherwise here, chunk by chunk. Suggestions come as the rows
    the store records (code, score, reason), worked out where the tagging ran: a worker
    sends back strings, not hit objects the parent would unpickle and format.
    """
    if isinstance(tagger, ParallelTagger):
        yield from tagger.examine_and_tag(items)
        return
    for chunk in _chunks(items, CHUNK):
        yield from _examine_and_tag_here(tagger, machine_filter, chunk)


def _examine_and_tag_here(
    tagger: Tagger, machine_filter: MachineFilter, chunk: list[tuple[str, bool]]
) -> list[tuple[Verdict, list[SuggestionRow]]]:
    verdicts = [machine_filter.examine(text, speaker_turn=turn) for text, turn in chunk]
    texts = (t for (t, _), v in zip(chunk, verdicts, strict=True) if v.skip is None)
    rows_many = getattr(tagger, "rows_many", None)  # a RuleTagger: rows without hit objects
    tagged: Iterator[list[SuggestionRow]] = (
        rows_many(texts)
        if rows_many is not None
        else ([s.row() for s in x] for x in tagger.tag_many(texts))
    )
    return [(v, next(tagged) if v.skip is None else []) for v in verdicts]


class ParallelTagger:
    """``tag_many`` (and :func:`examine_and_tag`) over worker processes, results in input order."""

    def __init__(self, codebook: Codebook, workers: int) -> None:
        self.codebook = codebook
        self.workers = workers

    def tag_many(self, texts: Iterable[str]) -> Iterator[list[Suggestion]]:
        for chunk in self._run(_tag_chunk, _chunks(texts, CHUNK)):
            yield from chunk

    def examine_and_tag(
        self, items: Iterable[tuple[str, bool]]
    ) -> Iterator[tuple[Verdict, list[SuggestionRow]]]:
        for chunk in self._run(_examine_and_tag_chunk, _chunks(items, CHUNK)):
            yield from chunk

    def _run(self, task: Callable[[list[T]], R], chunks: Iterable[list[T]]) -> Iterator[R]:
        initargs = (self.codebook, self.codebook.settings)
        pool = _pool(self.workers, initializer=_init_worker, initargs=initargs)
        try:
            yield from pool.imap(task, chunks)
            pool.close()
        finally:
            pool.terminate()
            pool.join()


def _chunks(texts: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(texts)
    while chunk := list(islice(it, size)):
        yield chunk


_WORKER: dict[str, object] = {}
#: What :func:`prepare_tagger` built ahead of :func:`make_tagger` (taken, then cleared).
_PREPARED: dict[str, object] = {}
#: The tagger and filter :func:`make_tagger` built in the parent for this codebook; a
#: forked worker starts with them (a spawned one starts with this empty and builds its own).
_INHERITED: dict[str, object] = {}


def _init_worker(codebook: Codebook, settings: MachineSettings) -> None:
    # An exception escaping a Pool initializer makes the pool restart the worker forever:
    # keep it and raise it from the first task instead, which the parent then sees.
    from themegrid.tag.tagger import RuleTagger

    if _INHERITED.get("codebook") is codebook:  # forked: the very objects the parent built
        _WORKER["tagger"], _WORKER["filter"] = _INHERITED["tagger"], _INHERITED["filter"]
        return
    try:
        _WORKER["tagger"] = RuleTagger(codebook)
        _WORKER["filter"] = MachineFilter(settings)
    except Exception as exc:  # re-raised by the first task
        _WORKER["error"] = RuntimeError(f"a tagging worker could not start: {exc}")


def _worker_tagger() -> RuleTagger:
    if "error" in _WORKER:
        raise _WORKER["error"]  # type: ignore[misc]
    return _WORKER["tagger"]  # type: ignore[return-value]


def _tag_chunk(texts: list[str]) -> list[list[Suggestion]]:
    return list(_worker_tagger().tag_many(texts))


def _examine_and_tag_chunk(
    items: list[tuple[str, bool]],
) -> list[tuple[Verdict, list[SuggestionRow]]]:
    tagger = _worker_tagger()
    machine_filter: MachineFilter = _WORKER["filter"]  # type: ignore[assignment]
    return _examine_and_tag_here(tagger, machine_filter, items)
