"""``themegrid codebook merge``: several codes become one, in one recorded, undoable run.

Every coding of the source codes, human and machine, moves onto the target
(:func:`themegrid.store.codings.merge_codings` says what happens where a coder
already decided on the target). The run's summary names the codes, so
``codebook unmerge RUN`` puts every coding the run changed back from the
history. The codebook files are not edited: the summary says which source codes
to remove from them (else the machine may suggest them again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from themegrid.codebook import Codebook
from themegrid.errors import MergeError
from themegrid.exchange.labels import known_codes
from themegrid.store import codes as store_codes
from themegrid.store import codings as store_codings
from themegrid.store.connection import Store, now
from themegrid.store.runs import finish_run, run_record, runs_by_command, start_run

COMMAND = "codebook merge"
UNDO_COMMAND = "codebook unmerge"


@dataclass(frozen=True)
class MergeSummary:
    run_id: int
    sources: tuple[str, ...]
    target: str
    moved: int
    combined: int
    retired: int
    in_codebook: tuple[str, ...]  # source codes still defined in codebook files

    def to_dict(self) -> dict[str, object]:
        return {
            **self.__dict__,
            "sources": list(self.sources),
            "in_codebook": list(self.in_codebook),
        }


@dataclass(frozen=True)
class UnmergeSummary:
    run_id: int
    undone_run: int
    restored: int
    left: tuple[int, ...]  # coding ids changed again after the merge, left as they are

    def to_dict(self) -> dict[str, object]:
        return {**self.__dict__, "left": list(self.left)}


def merge_codes(store: Store, codebook: Codebook, sources: list[str], target: str) -> MergeSummary:
    """Move every coding of ``sources`` onto ``target`` in one run (see module doc)."""
    if not target.strip():
        raise MergeError("name the code that remains with --into TARGET")
    index = known_codes(store, codebook)
    stored = store_codes.code_ids(store)

    def resolve(label: str) -> str:
        if label in index.codes or label in stored:
            return label
        res = index.resolve(label)
        if res.code_id is None:
            hint = index.suggest(label)
            raise MergeError(
                f"code {label!r} is not in the codebook or the store"
                + (
                    f"; did you mean {hint}?"
                    if hint
                    else "; check the id with 'themegrid codebook check'"
                )
            )
        return res.code_id

    into = resolve(target)
    if into in index.codes and not index.codes[into].codable:
        raise MergeError(
            f"--into {into} is a grouping, not a codable code; merge into one of its children"
        )
    ids = list(dict.fromkeys(resolve(s) for s in sources))
    if into in ids:
        raise MergeError(f"{into} is both a source and the target; leave it out of the sources")
    if not ids:
        raise MergeError("name at least one code to merge, e.g. codebook merge a b --into c")
    with store.transaction():
        run_id = start_run(store, COMMAND, codebook)
        counts = store_codings.merge_codings(
            store, ids, into, run_id=run_id, at=now(), note=f"merged into {into} in run {run_id}"
        )
        summary = MergeSummary(
            run_id,
            tuple(ids),
            into,
            counts.moved,
            counts.combined,
            counts.retired,
            tuple(i for i in ids if i in codebook),
        )
        finish_run(store, run_id, summary.to_dict())
    return summary


def unmerge(store: Store, run_id: int) -> UnmergeSummary:
    """Undo the merge run ``run_id``: each coding it changed goes back to its earlier state."""
    record = run_record(store, run_id)
    if record is None or record.command != COMMAND:
        what = "no run" if record is None else f"run {run_id} is '{record.command}'"
        raise MergeError(
            f"{what}, not a '{COMMAND}' run; list the runs with 'themegrid status' and pass a merge run's id"
        )
    for undo in runs_by_command(store, UNDO_COMMAND):
        if json.loads(undo.summary or "{}").get("undone_run") == run_id:
            raise MergeError(f"run {run_id} was already undone by run {undo.id}")
    with store.transaction():
        undo_id = start_run(store, UNDO_COMMAND, None)
        restored, left = store_codings.undo_run_codings(
            store, run_id, undo_run_id=undo_id, at=now()
        )
        summary = UnmergeSummary(undo_id, run_id, restored, tuple(left))
        finish_run(store, undo_id, summary.to_dict())
    return summary
