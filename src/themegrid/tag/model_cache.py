"""The trained model kept between runs, so a new file does not retrain it.

Training depends only on the human labels (segment id -> codes accepted, for
every segment a human saw or coded; a segment id hashes its text), the codebook
and its cues. :func:`training_key` hashes exactly those. ``themegrid code``
looks the key up here before training: the same key means the same model, so
one new file (new segments, same decisions) is only *predicted* on, not
trained again.

The model and its gates are pickled to ``.themegrid-cache/model-<key>.pickle``
beside the store, a folder that may be deleted at any time (the next run then
trains again). A pickle runs code when loaded, so a file is loaded only when
its SHA-256 equals the one this store recorded when it wrote it (store meta
``model_cache``): a file put there by anyone else is ignored.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

from themegrid.atomic import atomic_path
from themegrid.codebook import Codebook
from themegrid.store.connection import Store

if TYPE_CHECKING:
    from themegrid.tag.gate import CodeGate
    from themegrid.tag.model import SuggestionModel

CACHE_DIR = ".themegrid-cache"
META_KEY = "model_cache"


def training_key(store: Store, codebook: Codebook) -> str:
    """A hash of everything training reads: human labels, codebook, cues."""
    from themegrid.tag.model import human_labels

    labels = sorted((seg, sorted(codes)) for seg, codes in human_labels(store).items())
    blob = json.dumps([codebook.hash, store.get_meta("cue_hash"), labels])
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _file(store: Store, key: str) -> Path | None:
    if store.path == ":memory:":
        return None
    return Path(store.path).parent / CACHE_DIR / f"model-{key[:32]}.pickle"


def load(store: Store, key: str) -> tuple[SuggestionModel | None, tuple[CodeGate, ...]] | None:
    """The model and gates trained for ``key`` by this store's last training, if kept."""
    path = _file(store, key)
    recorded = json.loads(store.get_meta(META_KEY) or "{}")
    if path is None or recorded.get("key") != key:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != recorded.get("sha256"):
        return None
    model, gates = pickle.loads(data)  # checked against the hash the store recorded
    return model, tuple(gates)


def save(
    store: Store, key: str, model: SuggestionModel | None, gates: tuple[CodeGate, ...]
) -> None:
    """Keep the model for ``key`` (replacing the last one); a failure only costs a retrain."""
    path = _file(store, key)
    if path is None:
        return
    data = pickle.dumps((model, gates), protocol=pickle.HIGHEST_PROTOCOL)
    try:
        path.parent.mkdir(exist_ok=True)
        for old in path.parent.glob("model-*.pickle"):
            old.unlink(missing_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    except OSError:
        store.set_meta(META_KEY, "")
        return
    record: dict[str, Any] = {"key": key, "sha256": hashlib.sha256(data).hexdigest()}
    store.set_meta(META_KEY, json.dumps(record))
