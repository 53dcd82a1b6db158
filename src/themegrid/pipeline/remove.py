"""``themegrid remove DOC``: take a document out of the project, in one recorded run.

A document no human touched is deleted with its segments and machine
suggestions. A document carrying human decisions (human codings, or memos on it
or its passages) is refused unless ``force``; with ``force`` it is *archived*,
never deleted: its row and segments stay (the document marked ``missing``, the
segments inactive), so every human decision keeps its text, coder, time and
history and is listed by ``themegrid status`` as orphaned. The store is backed
up first. If the file comes back into ``corpus/``, the next ingest re-attaches
those decisions (segment ids are stable). Corpus files are never touched: a
document whose file is still in ``corpus/`` is refused, since the next ingest
would read it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from themegrid.errors import RemoveError
from themegrid.pipeline.ingest import file_of
from themegrid.project import Project
from themegrid.store import documents as docs_store
from themegrid.store import memos as memos_store
from themegrid.store.backup import backup_before
from themegrid.store.connection import Store
from themegrid.store.runs import finish_run, start_run

COMMAND = "remove"


@dataclass(frozen=True)
class RemovedDocument:
    path: str
    action: str  # deleted | archived
    segments: int
    machine_codings: int  # deleted
    human_codings: int  # kept (archived documents only)
    memos: int  # kept


@dataclass(frozen=True)
class RemoveSummary:
    run_id: int
    documents: tuple[RemovedDocument, ...]
    backup: Path | None

    @property
    def human_codings_kept(self) -> int:
        return sum(d.human_codings for d in self.documents)

    def to_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "documents": [d.__dict__ for d in self.documents],
            "human_codings_kept": self.human_codings_kept,
            "backup": str(self.backup) if self.backup else None,
        }


def stored_name(project: Project, doc: str) -> str:
    """The store's path for ``doc``: corpus-relative for a corpus file (given as
    ``corpus/x.txt``, as a path from here, or as stored), else as given."""
    given = Path(doc).expanduser()
    for candidate in (given, Path.cwd() / given):
        try:
            return candidate.resolve().relative_to(project.corpus_dir.resolve()).as_posix()
        except ValueError:
            continue
    text = doc.replace("\\", "/")
    return text[len("corpus/") :] if text.startswith("corpus/") else text


def remove_document(
    project: Project, store: Store, doc: str, *, force: bool = False
) -> RemoveSummary:
    """Remove the document(s) stored at ``doc`` (see module doc); all or nothing."""
    name = stored_name(project, doc)
    backup: Path | None = None
    if force and _human_decisions(store, name):
        backup = backup_before(store, COMMAND)
    with store.transaction():
        found = docs_store.documents_named(store, name)
        if not found:
            raise RemoveError(
                f"{doc}: no such document in {store.path}; 'themegrid export segments' lists the "
                "stored documents (column document); nothing was changed"
            )
        source = file_of(name)
        if not docs_store.is_imported(name) and (project.corpus_dir / source).exists():
            raise RemoveError(
                f"corpus/{source}: the file is still in corpus/, so the next ingest would read it "
                "again; move it out of corpus/ first, then run 'themegrid remove' again; nothing "
                "was changed"
            )
        counts = [
            (
                row,
                docs_store.human_codings_on_document(store, row.id),
                memos_store.memos_on_document(store, row.id),
            )
            for row in found
        ]
        humans = sum(h for _, h, _ in counts)
        memos = sum(m for _, _, m in counts)
        if (humans or memos) and not force:
            raise RemoveError(
                f"{doc}: carries {humans} human coding(s) and {memos} memo(s), which are research "
                "data; nothing was changed; to remove the document and keep them as orphaned "
                f"codings (listed by 'themegrid status'), run: themegrid remove '{doc}' --force"
            )
        run_id = start_run(store, COMMAND, None)
        removed = []
        for row, human, memo in counts:
            machine = docs_store.machine_codings_on_document(store, row.id)
            if human or memo:
                docs_store.archive_document(store, row.id)
                action = "archived"
            else:
                docs_store.delete_document(store, row.id)
                action = "deleted"
            removed.append(RemovedDocument(row.path, action, row.segments, machine, human, memo))
        summary = RemoveSummary(run_id, tuple(removed), backup)
        finish_run(store, run_id, summary.to_dict())
    return summary


def _human_decisions(store: Store, name: str) -> int:
    return sum(
        docs_store.human_codings_on_document(store, row.id)
        + memos_store.memos_on_document(store, row.id)
        for row in docs_store.documents_named(store, name)
    )
