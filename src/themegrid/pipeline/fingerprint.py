"""Deciding, before anything heavy is imported, that ``themegrid code`` has nothing to do.

A run's inputs are the corpus files (content hashes), ``corpus/metadata.csv``,
the codebook (its hash and cue hash), the run's options, the tool version and
the readers' revision. At the end of every full run the digest of those
inputs, the digest of the store's state (:func:`themegrid.store.state.state_digest`)
and the human-decisions fingerprint are recorded in the store's meta table,
with what the run reported. The next run computes the same three; when all
match, the store is exactly as the last run left it and the inputs are the
same, so a full run would change nothing: the run is recorded and the last
report replayed without importing spaCy or scikit-learn.

Runs in which a file was rejected are never replayed: a rejection may be due
to a missing optional package that has since been installed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from themegrid import __version__
from themegrid.codebook import Codebook
from themegrid.pipeline.ingest import READING_REVISION, Discovered, discover
from themegrid.project import Project
from themegrid.read.metadata import read_metadata
from themegrid.store.codings import human_decisions_fingerprint
from themegrid.store.connection import Store
from themegrid.store.state import state_digest

META_KEY = "code_fingerprint"


@dataclass(frozen=True)
class CodeInputs:
    """What one ``themegrid code`` run reads from outside the store."""

    digest: str
    files: tuple[str, ...]
    warnings: tuple[str, ...]
    #: the corpus as listed and hashed here, handed to ingest so it does neither again
    discovered: Discovered | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class LastRun:
    """What the last full run recorded, when inputs and store still match it."""

    outcomes: tuple[tuple[str, str, str], ...]  # (path, action, message) of 'kept' files
    orphaned: int
    words: int
    per_theme: dict[str, int]
    #: the run's pending-suggestion counts per code (None in a record from before they were kept)
    awaiting_review: dict[str, dict[str, int]] | None = None


def code_inputs(project: Project, codebook: Codebook, **options: object) -> CodeInputs:
    """Hash the run's inputs: every corpus file ingest would read, metadata, codebook, options."""
    metadata = read_metadata(project.metadata_path, "corpus/metadata.csv")
    plan = discover(project, metadata)
    digest = hashlib.sha256()
    head = [
        __version__,
        READING_REVISION,
        codebook.hash,
        codebook.cue_hash,
        sorted(options.items()),
    ]
    digest.update(json.dumps(head, sort_keys=True, default=str).encode())
    meta_path = project.metadata_path
    if meta_path.is_file():
        digest.update(b"metadata\x00" + hashlib.sha256(meta_path.read_bytes()).digest())
    hashes: dict[str, str] = {}
    for rel, path in plan.files:
        try:
            content = hashlib.sha256(path.read_bytes()).digest()
            hashes[rel] = content.hex()
        except OSError:  # unreadable: ingest reports it; a fresh marker forces a full run
            content = os.urandom(32)
        digest.update(rel.encode() + b"\x00" + content)
    return CodeInputs(
        digest.hexdigest(),
        tuple(rel for rel, _ in plan.files),
        tuple(plan.warnings),
        Discovered(metadata, plan, hashes),
    )


def _current(store: Store, inputs: CodeInputs) -> dict[str, Any]:
    return {
        "inputs": inputs.digest,
        "human": list(human_decisions_fingerprint(store)),
        "state": state_digest(store, ignore=(META_KEY,)),
    }


def last_run_if_unchanged(store: Store, inputs: CodeInputs) -> LastRun | None:
    """The last run's record when nothing it depended on has changed since, else None."""
    raw = store.get_meta(META_KEY)
    if not raw:
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("key"), dict):
        return None
    if record["key"].get("inputs") != inputs.digest:  # a file or the codebook changed: no
        return None  # need to digest the store to know that the run has work to do
    if record["key"] != _current(store, inputs):
        return None
    return LastRun(
        outcomes=tuple((str(p), str(a), str(m)) for p, a, m in record["outcomes"]),
        orphaned=int(record["orphaned"]),
        words=int(record["words"]),
        per_theme={str(k): int(v) for k, v in record["per_theme"]},
        awaiting_review=record.get("awaiting_review"),
    )


def record_run(
    store: Store,
    inputs: CodeInputs,
    outcomes: list[tuple[str, str, str]],
    orphaned: int,
    words: int,
    per_theme: dict[str, int],
    awaiting_review: dict[str, dict[str, int]] | None = None,
) -> None:
    """Remember this run (call last, inside its transaction); a run with a rejected file forgets.

    What the run reported from the store (``per_theme``, ``awaiting_review``) is kept so
    that a replay, which runs only when the store is as this run left it, reports it
    without querying every coding again.
    """
    if any(action == "rejected" for _, action, _ in outcomes):
        store.set_meta(META_KEY, "")
        return
    record = {
        "key": _current(store, inputs),
        "outcomes": [list(o) for o in outcomes if o[1] == "kept"],  # the only kind that recurs
        "orphaned": orphaned,
        "words": words,
        "per_theme": [[k, v] for k, v in per_theme.items()],
        "awaiting_review": awaiting_review,
    }
    store.set_meta(META_KEY, json.dumps(record))
