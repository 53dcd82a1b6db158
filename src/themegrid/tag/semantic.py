"""Semantic suggestions: a segment near a code's definition, include note or examples.

Suggestions before any human decision. Each codable code is described by
*prototypes*: its definition joined with its include note (not the reminder an
import writes for a code that came without a definition), and each of its
examples; its counterexamples are prototypes that speak against it. Every
prototype and every segment is embedded (:mod:`themegrid.tag.embed`,
unit-length vectors, so a dot product is the cosine similarity). A segment's
similarity to a code is its highest similarity to one of the code's
prototypes. The segment is suggested the code when

* that similarity is at least ``semantic_threshold`` (codebook header), and
* it is within :data:`MARGIN` of the segment's best code (a sentence that
  is as close to three codes as to one says little about any of them), and
* the segment's single nearest prototype is not a counterexample of the code.

The reason says "semantic", the similarity, and quotes the nearest example
(or the definition when the code has no example nearer).

Where: only segments the machine codes (``machine_skip`` unset: no
back-channel, too-few-content-word or other-language segments, see
:mod:`themegrid.tag.codable`) that no human has seen or coded, never a
(segment, code) a human rejected, and never a code whose learned model has
passed its gate (:mod:`themegrid.tag.gate`): once the model has earned the
right to suggest a code, it speaks for it and that code's semantic
suggestions are retired. Switching semantic suggestions off (``semantic:
false`` in the codebook header or ``themegrid code --no-semantic``) retires
every live one, recorded in the run.

Segment vectors are kept between runs in ``.themegrid-cache/embeddings.npz``
(:func:`themegrid.tag.embed.embed_cached`): a re-run or one new file embeds
only text it has not embedded before.

Stored as machine suggestions with source ``model`` and coder
:data:`~themegrid.models.SEMANTIC_CODER` (the schema's sources are rule,
model and human; the coder keeps them apart from the learned model's rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from themegrid.codebook import Codebook
from themegrid.codebook.model import is_placeholder_definition
from themegrid.models import SEMANTIC_CODER
from themegrid.store import codings as store_codings
from themegrid.store import segments as store_segments
from themegrid.store.connection import Store, now
from themegrid.tag.embed import CACHE_FILE, Embedder, embed_cached
from themegrid.tag.model_cache import CACHE_DIR

#: A code is suggested only when its similarity is this close to the segment's best code's.
MARGIN = 0.02
#: Characters of the nearest example quoted in a reason.
QUOTE_CHARS = 90

DEFINITION, EXAMPLE, COUNTER = "definition", "example", "counterexample"


@dataclass(frozen=True)
class Prototypes:
    """The texts that describe each code, embedded: row ``i`` belongs to ``code_ids[owner[i]]``."""

    code_ids: tuple[str, ...]
    owner: np.ndarray
    kinds: tuple[str, ...]
    texts: tuple[str, ...]
    vectors: np.ndarray


def prototypes(codebook: Codebook, embedder: Embedder) -> Prototypes:
    """Definition + include note, examples and counterexamples of every codable code."""
    code_ids: list[str] = []
    owner: list[int] = []
    kinds: list[str] = []
    texts: list[str] = []
    for code in codebook.codable:
        j = len(code_ids)
        code_ids.append(code.id)
        definition = "" if is_placeholder_definition(code.definition) else code.definition
        described = " ".join(t for t in (definition, code.include) if t.strip())
        entries = [(DEFINITION, described)] if described else []
        entries += [(EXAMPLE, t) for t in code.examples if t.strip()]
        entries += [(COUNTER, t) for t in code.counterexamples if t.strip()]
        for kind, text in entries:
            owner.append(j)
            kinds.append(kind)
            texts.append(text)
    return Prototypes(
        tuple(code_ids),
        np.asarray(owner, dtype=np.int64),
        tuple(kinds),
        tuple(texts),
        embedder.embed(texts),
    )


@dataclass(frozen=True)
class SemanticScores:
    """Per segment and code: similarity, nearest positive prototype, and whether the
    segment's nearest prototype overall is one of the code's counterexamples."""

    similarity: np.ndarray  # (n, codes); -1 where the code has no positive prototype
    nearest: np.ndarray  # (n, codes) prototype row, -1 where none
    blocked: np.ndarray  # (n, codes) bool


def score(protos: Prototypes, vectors: np.ndarray) -> SemanticScores:
    """Similarities of segment ``vectors`` (unit rows) to each code (see the module doc)."""
    n, k = len(vectors), len(protos.code_ids)
    similarity = np.full((n, k), -1.0, dtype=np.float32)
    nearest = np.full((n, k), -1, dtype=np.int64)
    blocked = np.zeros((n, k), dtype=bool)
    if n == 0 or len(protos.texts) == 0:
        return SemanticScores(similarity, nearest, blocked)
    sims = vectors @ protos.vectors.T  # (n, prototypes)
    positive = np.array([kind != COUNTER for kind in protos.kinds])
    for j in range(k):
        rows = np.flatnonzero((protos.owner == j) & positive)
        if len(rows) == 0:
            continue
        best = np.argmax(sims[:, rows], axis=1)
        nearest[:, j] = rows[best]
        similarity[:, j] = sims[np.arange(n), rows[best]]
    top = np.argmax(sims, axis=1)
    counter = ~positive[top]
    blocked[np.flatnonzero(counter), protos.owner[top[counter]]] = True
    return SemanticScores(similarity, nearest, blocked)


def predict(scores: SemanticScores, threshold: float, margin: float = MARGIN) -> np.ndarray:
    """0/1 matrix (n, codes): the rule of the module docstring."""
    sim = scores.similarity
    if sim.size == 0:
        return np.zeros(sim.shape, dtype=np.int8)
    best = sim.max(axis=1, keepdims=True)
    chosen = (sim >= threshold) & (sim >= best - margin) & ~scores.blocked
    return chosen.astype(np.int8)


def reason(protos: Prototypes, similarity: float, row: int) -> str:
    """``semantic 0.62; nearest example: "..."`` (or nearest: definition)."""
    text = " ".join(protos.texts[row].split())
    if len(text) > QUOTE_CHARS:
        text = text[: QUOTE_CHARS - 1].rstrip() + "…"
    what = "nearest example" if protos.kinds[row] == EXAMPLE else "nearest: definition"
    return f'semantic similarity {similarity:.2f}; {what}: "{text}"'


# --- the store side -------------------------------------------------------------------


def suggest_semantic(
    store: Store,
    codebook: Codebook,
    embedder: Embedder,
    run_id: int | None,
    *,
    model_active: Sequence[str] = (),
) -> dict[str, Any]:
    """Write semantic suggestions (see the module docstring); call inside the command's
    transaction. ``model_active``: codes whose learned model passed its gate."""
    threshold = codebook.settings.semantic_threshold
    protos = prototypes(codebook, embedder)
    decided = store_codings.segments_seen_by_humans(store)
    rejected = store_codings.human_rejected(store)
    codable = store_segments.codable_segment_ids(store)
    taken_over = set(model_active)
    # the learned model speaks for every code: no segment can get one, none is embedded
    anything_open = not set(protos.code_ids) <= taken_over
    texts = {
        s.id: s.text
        for s in store_segments.segments_in_context(store)
        if anything_open and s.id in codable and s.id not in decided
    }
    ids = sorted(texts)
    cache = None if store.path == ":memory:" else Path(store.path).parent / CACHE_DIR / CACHE_FILE
    scores = score(protos, embed_cached(embedder, [texts[i] for i in ids], cache))
    chosen = predict(scores, threshold)
    wanted: dict[tuple[str, str], tuple[float, str]] = {}
    for i, j in zip(*np.nonzero(chosen), strict=True):
        key = (ids[i], protos.code_ids[j])
        if key in rejected or key[1] in taken_over:
            continue
        sim = round(float(scores.similarity[i, j]), 2)
        wanted[key] = (sim, reason(protos, sim, int(scores.nearest[i, j])))
    existing = store_codings.machine_suggestions(store, "model", SEMANTIC_CODER)
    summary = {"new": 0, "updated": 0, "unchanged": 0, "retired": 0, "segments_scored": len(ids)}
    suggest: list[store_codings.Suggestion] = []
    for key, (sim, why) in sorted(wanted.items()):
        old = existing.get(key)
        if old is not None and old.status == "suggested" and old.reason == why:
            summary["unchanged"] += 1
            continue
        summary["new" if old is None or old.status != "suggested" else "updated"] += 1
        suggest.append(store_codings.Suggestion(key[0], key[1], sim, why))
    retire: list[tuple[str, str, str | None]] = []
    for key, old in existing.items():
        if old.status != "suggested" or key in wanted:
            continue
        if key[1] in taken_over:
            why_not = "retired: the learned model passed its gate for this code"
        elif key in rejected:
            why_not = "retired: a human rejected it"
        elif key[0] in decided:
            continue  # a human has looked at the segment: the decision counts, keep history
        elif key[0] not in codable:
            why_not = "retired: segment not machine-coded"
        else:
            why_not = "retired: no longer near the code's definition or examples"
        retire.append((key[0], key[1], why_not))
    summary["retired"] = len(retire)
    stamp = now()
    with store.transaction():
        store_codings.record_suggestions(
            store, "model", SEMANTIC_CODER, suggest, run_id=run_id, at=stamp
        )
        store_codings.retire_suggestions(
            store, "model", SEMANTIC_CODER, retire, run_id=run_id, at=stamp
        )
    return summary


def retire_semantic(store: Store, reason_text: str, run_id: int | None) -> int:
    """Retire every live semantic suggestion with ``reason_text``; returns how many."""
    live = [
        (seg, code, reason_text)
        for (seg, code), row in store_codings.machine_suggestions(
            store, "model", SEMANTIC_CODER
        ).items()
        if row.status == "suggested"
    ]
    with store.transaction():
        store_codings.retire_suggestions(
            store, "model", SEMANTIC_CODER, live, run_id=run_id, at=now()
        )
    return len(live)


__all__ = [
    "MARGIN",
    "Prototypes",
    "SemanticScores",
    "predict",
    "prototypes",
    "retire_semantic",
    "score",
    "suggest_semantic",
]
