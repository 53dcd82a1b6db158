"""Tagging in parallel processes: ``themegrid code --workers N``.

Each worker process builds its own spaCy pipeline and :class:`CueRuler` from
the codebook, tags chunks of texts and sends the suggestions back; the parent
receives them in the order it sent the texts and alone writes the store. The
results are the same objects ``RuleTagger.tag_many`` gives in one process
(the matches depend only on the text and the codebook), so ``--workers 1`` and
``--workers N`` write identical suggestion tables.

On Linux workers are forked, so they start with spaCy already imported (a
fresh interpreter per worker costs seconds). The parent's only other thread is
the progress bar's refresher, whose locks the workers never touch; workers
never use the parent's SQLite connection. Elsewhere they are spawned, and a
script that calls :func:`~themegrid.pipeline.coding.run_coding` then needs the
usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Protocol

from themegrid.codebook import Codebook
from themegrid.errors import CodebookError

if TYPE_CHECKING:
    from themegrid.tag.tagger import RuleTagger, Suggestion

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


def make_tagger(codebook: Codebook, workers: int | None, n_texts: int) -> Tagger:
    """A tagger for ``n_texts`` texts: in this process, or spread over ``workers`` processes."""
    from themegrid.tag.tagger import RuleTagger

    n = default_workers() if workers is None else workers
    if n <= 1 or n_texts < MIN_PARALLEL:
        return RuleTagger(codebook)
    from themegrid.tag.tagger import compile_problems

    problems = compile_problems(codebook)  # a codebook spaCy rejects fails here, not in a worker
    if problems:
        raise CodebookError(problems, f"the codebook has {len(problems)} problem(s)")
    return ParallelTagger(codebook, n)


class ParallelTagger:
    """``tag_many`` over a pool of worker processes, results in input order."""

    def __init__(self, codebook: Codebook, workers: int) -> None:
        self.codebook = codebook
        self.workers = workers

    def tag_many(self, texts: Iterable[str]) -> Iterator[list[Suggestion]]:
        ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        pool = ctx.Pool(self.workers, initializer=_init_worker, initargs=(self.codebook,))
        try:
            for chunk in pool.imap(_tag_chunk, _chunks(texts, CHUNK)):
                yield from chunk
            pool.close()
        finally:
            pool.terminate()
            pool.join()


def _chunks(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(texts)
    while chunk := list(islice(it, size)):
        yield chunk


_WORKER: dict[str, object] = {}


def _init_worker(codebook: Codebook) -> None:
    # An exception escaping a Pool initializer makes the pool restart the worker forever:
    # keep it and raise it from the first task instead, which the parent then sees.
    from themegrid.tag.tagger import RuleTagger

    try:
        _WORKER["tagger"] = RuleTagger(codebook)
    except Exception as exc:  # re-raised by _tag_chunk
        _WORKER["error"] = RuntimeError(f"a tagging worker could not start: {exc}")


def _tag_chunk(texts: list[str]) -> list[list[Suggestion]]:
    if "error" in _WORKER:
        raise _WORKER["error"]  # type: ignore[misc]
    tagger: RuleTagger = _WORKER["tagger"]  # type: ignore[assignment]
    return list(tagger.tag_many(texts))
