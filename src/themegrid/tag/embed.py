"""Static sentence embeddings (``wordllama``), loaded offline from its own wheel.

The one place themegrid turns text into vectors; semantic suggestions
(:mod:`themegrid.tag.semantic`), the learned model's embedding features and
the review order all call :func:`load_embedder`.

``wordllama`` ships its 256-dimension model and tokenizer inside the wheel,
but its default loader looks for the tokenizer in a cache folder and then
downloads it. :func:`load_embedder` passes ``cache_dir`` set to the installed
package's own folder and forbids the download, so nothing is fetched at run
time. Loading takes about a quarter of a second and is done once per process
(cached). Import this module lazily: neither it nor ``wordllama`` is imported
by a re-run that has nothing to do.

When ``wordllama`` is missing or fails to load, :func:`load_embedder` returns
``None`` and :func:`unavailable_reason` says why in one line; callers then run
without semantic features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

#: The model dimension used (wordllama's default 256; its matryoshka embedding allows
#: truncation, which we do not use).
DIMENSION = 256
#: Texts longer than this many characters are cut before embedding (a static model
#: averages token vectors, so the rest of a very long paragraph only blurs it).
MAX_CHARS = 2000

#: Texts per call of the model: with texts sorted by length, small batches pad least
#: (5,000 sentences: 0.4 s at 32, 0.7 s at 64, 3.8 s at 4,096 on a loaded 2-core machine).
BATCH = 32

_failure: list[str] = []


@dataclass(frozen=True)
class Embedder:
    """A loaded wordllama model; :meth:`embed` gives L2-normalised float32 rows."""

    model: Any
    source: str

    def embed(self, texts: Sequence[str], batch_size: int = BATCH) -> np.ndarray:
        """One unit-length row per text (a zero row for an empty text).

        Texts are embedded in order of length, so that a batch pads its token
        matrix to a length close to each of its texts' (one long text in a batch of
        short ones would otherwise multiply the work)."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        cut = [t[:MAX_CHARS] if t else " " for t in texts]
        order = np.argsort([len(t) for t in cut], kind="stable")
        vectors = np.asarray(
            self.model.embed([cut[i] for i in order], norm=True, batch_size=batch_size)
        )
        out = np.empty_like(vectors, dtype=np.float32)
        out[order] = vectors
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[[not (t or "").strip() for t in texts]] = 0.0
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


@lru_cache(maxsize=1)
def load_embedder() -> Embedder | None:
    """The embedder, or ``None`` when wordllama is missing or does not load offline."""
    _failure.clear()
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError:
        _failure.append(
            "wordllama is not installed (pip install 'wordllama>=0.4'): no semantic features"
        )
        return None
    folder = Path(wordllama.__file__).parent
    try:
        model = WordLlama.load(cache_dir=folder, disable_download=True)
    except Exception as exc:  # any failure to load means: run without embeddings
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        _failure.append(f"wordllama did not load from {folder} ({first}): no semantic features")
        return None
    return Embedder(model, str(folder))


def unavailable_reason() -> str:
    """Why :func:`load_embedder` returned ``None`` (empty when it did not)."""
    return _failure[0] if _failure else ""


def embed_texts(texts: Sequence[str]) -> np.ndarray | None:
    """Embed ``texts``, or ``None`` when no embedder is available."""
    embedder = load_embedder()
    return None if embedder is None else embedder.embed(texts)


__all__ = ["DIMENSION", "Embedder", "embed_texts", "load_embedder", "unavailable_reason"]
