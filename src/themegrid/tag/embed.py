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

Speed, with the same vectors. wordllama's tokenizer (SentencePiece-style BPE:
spaces become ``▁``, no pre-tokenizer) runs its BPE over each whole text, which
was three quarters of the time of embedding 13,000 interview segments. BPE
merges never join a symbol to a following ``▁`` (no token of the vocabulary
has ``▁`` after another character), so a text's tokens are the tokens of its
words (each run of ``▁`` with the characters up to the next one), and each
distinct word is tokenized once, by the library's own BPE model, and
remembered. The token vectors are then averaged and normalised exactly as
wordllama does (same float32 operations, same order: equal bits, tested
against ``WordLlama.embed``). :func:`load_embedder` checks that the loaded
tokenizer is of that kind (normaliser, no pre-tokenizer, BPE without dropout
or whole-word lookup, the vocabulary rule) and otherwise, or for a text that
holds one of the tokenizer's special tokens (``<s>``), embeds through
``WordLlama.embed``. Each distinct text is embedded once.

Kept between runs. :func:`embed_cached` keeps the vectors of the texts it was
last asked for in ``.themegrid-cache/embeddings.npz`` beside the store, keyed
by a hash of each text, so a re-run or one new file embeds only new text. The
file is a numpy archive read with ``allow_pickle=False`` (loading it runs no
code); it is used only when its key (this format, the wordllama version, the
dimension, the character cut) matches and its arrays have the expected types
and shapes, and is otherwise ignored and rewritten. Deleting the folder only
costs one embedding of every text.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from themegrid.atomic import atomic_path
from themegrid.errors import OutputError

#: The model dimension used (wordllama's default 256; its matryoshka embedding allows
#: truncation, which we do not use).
DIMENSION = 256
#: Texts longer than this many characters are cut before embedding (a static model
#: averages token vectors, so the rest of a very long paragraph only blurs it).
MAX_CHARS = 2000

#: Texts per call of the model: with texts sorted by length, small batches pad least
#: (5,000 sentences: 0.4 s at 32, 0.7 s at 64, 3.8 s at 4,096 on a loaded 2-core machine).
BATCH = 32

#: SentencePiece's word mark: the tokenizer's normaliser turns every space into it.
WORD_MARK = "\u2581"
_WORD = re.compile(f"{WORD_MARK}+[^{WORD_MARK}]*")
#: Distinct words whose tokens are remembered (cleared when full).
MAX_WORDS = 500_000

_failure: list[str] = []


class _WordTokens(dict[str, list[int]]):
    """Word -> its token ids, tokenized by the BPE model on first use."""

    def __init__(self, bpe: Any) -> None:
        super().__init__()
        self.bpe = bpe

    def __missing__(self, word: str) -> list[int]:
        ids = self[word] = [t.id for t in self.bpe.tokenize(word)]
        return ids


@dataclass(frozen=True)
class Embedder:
    """A loaded wordllama model; :meth:`embed` gives L2-normalised float32 rows.

    ``words``: the tokens of each word seen so far, or ``None`` when the tokenizer is not of
    the kind the word-by-word path needs (see the module docstring)."""

    model: Any
    source: str
    words: _WordTokens | None = field(default=None, compare=False, repr=False)

    def embed(self, texts: Sequence[str], batch_size: int = BATCH) -> np.ndarray:
        """One unit-length row per text (a zero row for an empty text).

        Each distinct text once, word by word when the tokenizer allows (module doc);
        otherwise through ``WordLlama.embed`` in order of length, so that a batch pads its
        token matrix to a length close to each of its texts' (one long text in a batch of
        short ones would otherwise multiply the work)."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        cut = [t[:MAX_CHARS] if t else " " for t in texts]
        distinct: dict[str, int] = {}
        index = np.fromiter(
            (distinct.setdefault(t, len(distinct)) for t in cut), dtype=np.int64, count=len(cut)
        )
        unique = list(distinct)
        vectors = np.empty((len(unique), self.model.embedding.shape[1]), dtype=np.float32)
        special = self._special_tokens()
        by_words = [
            i
            for i, t in enumerate(unique)
            if self.words is not None and not any(s in t for s in special)
        ]
        if by_words:
            vectors[by_words] = self._pooled([self._token_ids(unique[i]) for i in by_words])
        rest = sorted(set(range(len(unique))) - set(by_words), key=lambda i: len(unique[i]))
        if rest:
            vectors[rest] = np.asarray(
                self.model.embed([unique[i] for i in rest], norm=True, batch_size=batch_size)
            )
        out = vectors[index]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[[not (t or "").strip() for t in texts]] = 0.0
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)

    def _special_tokens(self) -> tuple[str, ...]:
        decoder = self.model.tokenizer.get_added_tokens_decoder()
        return tuple(str(t.content) for t in decoder.values())

    def _token_ids(self, text: str) -> list[int]:
        """The ids wordllama's tokenizer gives ``text``, word by word (see the module doc)."""
        assert self.words is not None
        if len(self.words) > MAX_WORDS:
            self.words.clear()
        words = _WORD.findall(WORD_MARK + text.replace(" ", WORD_MARK))
        return list(chain.from_iterable(map(self.words.__getitem__, words)))

    def _pooled(self, token_ids: Sequence[list[int]]) -> np.ndarray:
        """Mean of each text's token vectors, normalised: wordllama's ``avg_pool`` and
        ``norm=True``, the same float32 operations in the same order."""
        table = self.model.embedding
        counts = np.fromiter(map(len, token_ids), dtype=np.int64, count=len(token_ids))
        flat = np.fromiter(chain.from_iterable(token_ids), dtype=np.int32, count=counts.sum())
        np.clip(flat, 0, table.shape[0] - 1, out=flat)
        ends = np.cumsum(counts).tolist()
        sums = np.empty((len(token_ids), table.shape[1]), dtype=np.float32)
        start = 0
        for k, end in enumerate(ends):
            sums[k] = table[flat[start:end]].sum(axis=0, dtype=np.float32)
            start = end
        pooled = sums / np.maximum(counts, 1).astype(np.float32)[:, None]
        pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled


def _splits_at_words(tokenizer: Any) -> bool:
    """Whether ``tokenizer`` gives a text the tokens of its words (see the module doc)."""
    try:
        normalizer = json.loads(tokenizer.normalizer.__getstate__())
        model = tokenizer.model
        vocab = tokenizer.get_vocab()
        plain_bpe = (
            type(model).__name__ == "BPE"
            and model.dropout is None
            and not model.ignore_merges
            and not model.continuing_subword_prefix
            and not model.end_of_word_suffix
        )
    except Exception:  # an unknown tokenizer: use wordllama's own path
        return False
    expected = {
        "type": "Sequence",
        "normalizers": [
            {"type": "Prepend", "prepend": WORD_MARK},
            {"type": "Replace", "pattern": {"String": " "}, "content": WORD_MARK},
        ],
    }
    inner_mark = re.compile(f"[^{WORD_MARK}]{WORD_MARK}")
    return (
        plain_bpe
        and normalizer == expected
        and tokenizer.pre_tokenizer is None
        and WORD_MARK in vocab
        and not any(inner_mark.search(token) for token in vocab)
    )


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
    words = _WordTokens(model.tokenizer.model) if _splits_at_words(model.tokenizer) else None
    return Embedder(model, str(folder), words)


#: The embeddings file beside the store (in the folder tag/model_cache.py uses).
CACHE_FILE = "embeddings.npz"
_CACHE_FORMAT = "themegrid embeddings 1"


def cache_key() -> str:
    """What the cached vectors depend on besides the text: change one, and the file is stale."""
    from importlib.metadata import version

    return f"{_CACHE_FORMAT}; wordllama {version('wordllama')}; {DIMENSION} dims; {MAX_CHARS} chars"


def text_digest(text: str) -> bytes:
    """The 16-byte hash a text's vector is kept under."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def read_cache(path: Path) -> dict[bytes, np.ndarray]:
    """Text hash -> vector from ``path``; empty when the file is missing, stale or corrupt."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            key, digests, vectors = archive["key"], archive["digests"], archive["vectors"]
            if (
                str(key) != cache_key()
                or digests.dtype != np.dtype("S16")
                or digests.ndim != 1
                or vectors.dtype != np.float32
                or vectors.shape != (len(digests), DIMENSION)
                or not np.isfinite(vectors).all()
            ):
                return {}
    except Exception:  # unreadable in any way: embed again
        return {}
    return dict(zip(digests.tolist(), vectors, strict=True))


def write_cache(path: Path, kept: dict[bytes, np.ndarray]) -> None:
    """Replace ``path`` with ``kept``; a failure to write only costs embedding again."""
    buffer = io.BytesIO()
    digests = np.array(list(kept), dtype="S16")
    vectors = np.array(list(kept.values()), dtype=np.float32).reshape(len(kept), DIMENSION)
    np.savez(buffer, key=np.array(cache_key()), digests=digests, vectors=vectors)
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(buffer.getvalue())
    except (OSError, OutputError):
        return


def embed_cached(embedder: Embedder, texts: Sequence[str], path: Path | None) -> np.ndarray:
    """:meth:`Embedder.embed` of ``texts``, reusing the vectors kept in ``path`` (module doc)
    and keeping those of ``texts`` there for the next run; ``path`` None: no cache."""
    if path is None:
        return embedder.embed(texts)
    digests = [text_digest(t) for t in texts]
    kept = read_cache(path)
    wanted = {d: t for d, t in zip(digests, texts, strict=True) if d not in kept}
    if wanted:
        fresh = embedder.embed(list(wanted.values()))
        kept.update(zip(wanted, fresh, strict=True))
    out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
    for k, d in enumerate(digests):
        out[k] = kept[d]
    if wanted or len(kept) != len(set(digests)):
        write_cache(path, {d: kept[d] for d in dict.fromkeys(digests)})
    return out


def unavailable_reason() -> str:
    """Why :func:`load_embedder` returned ``None`` (empty when it did not)."""
    return _failure[0] if _failure else ""


def embed_texts(texts: Sequence[str]) -> np.ndarray | None:
    """Embed ``texts``, or ``None`` when no embedder is available."""
    embedder = load_embedder()
    return None if embedder is None else embedder.embed(texts)


__all__ = [
    "CACHE_FILE",
    "DIMENSION",
    "Embedder",
    "cache_key",
    "embed_cached",
    "embed_texts",
    "load_embedder",
    "read_cache",
    "text_digest",
    "unavailable_reason",
    "write_cache",
]
