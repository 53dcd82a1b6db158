"""``themegrid codebook merge``: several codes become one, in one recorded, undoable run.

Every coding of the source codes, human and machine, moves onto the target
(:func:`themegrid.store.codings.merge_codings` says what happens where a coder
already decided on the target). The run's summary names the codes, so
``codebook unmerge RUN`` puts every coding the run changed back from the
history.

The codebook files say what the store says: each source code defined in them is
removed from its file and every source's id and name become ``aliases`` of the
target (:mod:`themegrid.codebook.edit`; other lines and comments untouched), so
labels naming a merged code still find the target and the machine no longer
suggests it. The merged codes are retired (inactive) in the store. The files are
written atomically once the store has committed; the run's summary keeps each
file's text before and after, and the undo writes the "before" text back to every
file still as the merge left it (a file edited since is left alone, its pre-merge
text saved beside it as ``_before_merge_<run>_<file>``).

The store is the record: a merge or undo killed after its COMMIT but before its
files were renamed into place is finished by the next ``code``, ``merge`` or
``unmerge`` (:func:`settle_codebook_files`), which writes each file the latest
run names if it still holds the text that run started from, and any pre-merge copy an
undo meant to save beside a file and did not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from themegrid.atomic import atomic_path
from themegrid.codebook import Codebook
from themegrid.codebook.edit import FileEdit, plan_merge_edits
from themegrid.errors import MergeError
from themegrid.exchange.labels import known_codes
from themegrid.store import codes as store_codes
from themegrid.store import codings as store_codings
from themegrid.store.backup import backup_before
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
    in_codebook: tuple[str, ...]  # source codes that were defined in codebook files
    files_edited: tuple[str, ...] = ()  # codebook files rewritten (sources out, aliases in)

    def to_dict(self) -> dict[str, object]:
        return {
            **self.__dict__,
            "sources": list(self.sources),
            "in_codebook": list(self.in_codebook),
            "files_edited": list(self.files_edited),
        }


@dataclass(frozen=True)
class UnmergeSummary:
    run_id: int
    undone_run: int
    restored: int
    left: tuple[int, ...]  # coding ids changed again after the merge, left as they are
    files_restored: tuple[str, ...] = ()
    files_left: tuple[str, ...] = ()  # edited since the merge: pre-merge text saved beside them

    def to_dict(self) -> dict[str, object]:
        return {
            **self.__dict__,
            "left": list(self.left),
            "files_restored": list(self.files_restored),
            "files_left": list(self.files_left),
        }


def merge_codes(
    store: Store,
    codebook: Codebook,
    sources: list[str],
    target: str,
    codebook_dir: Path | None = None,
) -> MergeSummary:
    """Move every coding of ``sources`` onto ``target`` in one run, and edit the codebook
    files in ``codebook_dir`` to match (see module doc)."""
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
    names = {c.id: c.name for c in store_codes.all_codes(store)}
    edits = plan_merge_edits(codebook_dir, codebook, ids, into, names) if codebook_dir else []
    root = codebook_dir.resolve() if codebook_dir else None
    backup_before(store, COMMAND)  # it changes human decisions (and undo is a command too)
    with store.transaction():
        run_id = start_run(store, COMMAND, codebook)
        counts = store_codings.merge_codings(
            store, ids, into, run_id=run_id, at=now(), note=f"merged into {into} in run {run_id}"
        )
        retired_codes = store_codes.set_active(store, ids, False)
        summary = MergeSummary(
            run_id,
            tuple(ids),
            into,
            counts.moved,
            counts.combined,
            counts.retired,
            tuple(i for i in ids if i in codebook),
            tuple(str(e.path.relative_to(root)) for e in edits) if root else (),
        )
        finish_run(
            store,
            run_id,
            {
                **summary.to_dict(),
                "codes_retired": retired_codes,
                "codebook_edits": [
                    {"file": str(e.path.relative_to(root)), "before": e.before, "after": e.after}
                    for e in edits
                ]
                if root
                else [],
            },
        )
    # Written once the store has committed, like every import's codebook file.
    _write_files(edits, run_id)
    return summary


def settle_codebook_files(store: Store, codebook_dir: Path) -> tuple[Path, ...]:
    """Finish the file writes of a merge or undo whose store changes committed but whose
    codebook files were not written (killed in between); returns the files written.

    For each file the merge and undo runs name, the latest run says what it should hold
    (a merge: its "after"; an undo: the merge's "before") and what it held when that run
    began. The file is written only if it still holds the latter and was last changed
    before the run finished: any other text, or the same text saved later (a researcher
    who put it back by hand), is the researcher's and is left as it is.
    """
    merges = {r.id: r for r in runs_by_command(store, COMMAND)}
    events: list[tuple[int, str | None, list[dict[str, str]], bool]] = [
        (r.id, r.finished_at, json.loads(r.summary or "{}").get("codebook_edits") or [], False)
        for r in merges.values()
    ]
    written = []
    for undo in runs_by_command(store, UNDO_COMMAND):
        undone = json.loads(undo.summary or "{}")
        merged = merges.get(undone.get("undone_run", -1))
        if merged is not None:
            edits = json.loads(merged.summary or "{}").get("codebook_edits") or []
            events.append((undo.id, undo.finished_at, edits, True))
            written += _settle_side_files(codebook_dir, merged.id, edits, undone)
    # file -> (text the run began from, text it wrote, when it finished)
    want: dict[Path, tuple[str, str, str | None]] = {}
    for _, finished, edits, undoing in sorted(events, key=lambda e: e[0]):
        for edit in edits:
            begun, wrote = edit["before"], edit["after"]
            want[codebook_dir / edit["file"]] = (
                (wrote, begun, finished) if undoing else (begun, wrote, finished)
            )
    for path, (begun, wrote, finished) in want.items():
        if begun == wrote or finished is None or not path.is_file():
            continue
        changed = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        if changed < datetime.fromisoformat(finished) and path.read_text("utf-8") == begun:
            with atomic_path(path) as tmp:
                tmp.write_text(wrote, encoding="utf-8")
            written.append(path)
    return tuple(written)


def _settle_side_files(
    folder: Path, merge_run: int, edits: list[dict[str, str]], undone: dict[str, object]
) -> list[Path]:
    """The pre-merge copies an undo saved beside files edited since the merge
    (``files_left``), written again where the undo was killed before it wrote them."""
    saved = undone.get("files_left")
    left = {Path(str(p)).name for p in saved} if isinstance(saved, list) else set()
    out = []
    for edit in edits:
        side = _side_file(folder / edit["file"], merge_run)
        if side.name in left and not side.exists():
            with atomic_path(side) as tmp:
                tmp.write_text(edit["before"], encoding="utf-8")
            out.append(side)
    return out


def _side_file(path: Path, merge_run: int) -> Path:
    return path.with_name(f"_before_merge_{merge_run}_{path.name}")


def _write_files(edits: list[FileEdit], run_id: int) -> None:
    for edit in edits:
        try:
            with atomic_path(edit.path) as tmp:
                tmp.write_text(edit.after, encoding="utf-8")
        except OSError as exc:
            raise MergeError(
                f"{edit.path}: cannot be written ({exc.strerror}); the store merge (run {run_id}) "
                f"is committed: fix the file's permissions and undo with "
                f"'themegrid codebook unmerge {run_id}', then merge again"
            ) from exc


def unmerge(store: Store, run_id: int, codebook_dir: Path | None = None) -> UnmergeSummary:
    """Undo the merge run ``run_id``: each coding it changed goes back to its earlier state,
    its retired codes become active again, and the codebook files it edited get their
    pre-merge text back (see module doc)."""
    record = run_record(store, run_id)
    if record is None or record.command != COMMAND:
        what = "no run" if record is None else f"run {run_id} is '{record.command}'"
        raise MergeError(
            f"{what}, not a '{COMMAND}' run; list the runs with 'themegrid status' and pass a merge run's id"
        )
    for undo in runs_by_command(store, UNDO_COMMAND):
        if json.loads(undo.summary or "{}").get("undone_run") == run_id:
            raise MergeError(f"run {run_id} was already undone by run {undo.id}")
    merged = json.loads(record.summary or "{}")
    edits = merged.get("codebook_edits") or []
    if edits and codebook_dir is None:
        raise MergeError(
            f"run {run_id} edited codebook files; undo it from the project (themegrid codebook "
            "unmerge) so they are restored too"
        )
    backup_before(store, UNDO_COMMAND)
    with store.transaction():
        undo_id = start_run(store, UNDO_COMMAND, None)
        restored, left = store_codings.undo_run_codings(
            store, run_id, undo_run_id=undo_id, at=now()
        )
        store_codes.set_active(store, merged.get("codes_retired") or [], True)
        back, kept = _restore_plan(codebook_dir, edits, run_id) if codebook_dir else ([], [])
        summary = UnmergeSummary(
            undo_id,
            run_id,
            restored,
            tuple(left),
            tuple(str(p) for p, _ in back),
            tuple(str(p) for p, _ in kept),
        )
        finish_run(store, undo_id, summary.to_dict())
    for path, text in back + kept:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return summary


def _restore_plan(
    folder: Path, edits: list[dict[str, str]], run_id: int
) -> tuple[list[tuple[Path, str]], list[tuple[Path, str]]]:
    """(file, pre-merge text) to write back, and (side file, pre-merge text) for files
    edited since the merge (left as they are)."""
    back: list[tuple[Path, str]] = []
    kept: list[tuple[Path, str]] = []
    for edit in edits:
        path = folder / edit["file"]
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == edit["after"]:
            back.append((path, edit["before"]))
        elif current != edit["before"]:
            side = _side_file(path, run_id)
            kept.append((side, edit["before"]))
    return back, kept
