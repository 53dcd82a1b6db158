"""What the project store holds: the ``themegrid status`` summary and codings as objects."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from themegrid.models import MODEL_CODER, SEMANTIC_CODER, Coding, Source, Status
from themegrid.pipeline.ingest import orphaned_codings
from themegrid.store import memos as store_memos
from themegrid.store import runs as store_runs
from themegrid.store import segments as store_segments
from themegrid.store import views, workspace
from themegrid.store.connection import Store


@dataclass(frozen=True)
class ProjectStatus:
    """What ``themegrid status`` reports. ``to_dict()`` is its ``--json`` form."""

    documents_present: int
    documents_missing: int
    words: int
    segments_active: int
    segments_inactive: int
    codings: tuple[views.CodingCount, ...]
    coders: tuple[tuple[str, int], ...]
    pending: int
    decided_suggestions: int
    runs: int
    last_run: store_runs.RunRecord | None
    orphaned: tuple[dict[str, object], ...]
    #: each code's model gate as the last ``code`` run recorded it
    model_gates: tuple[dict[str, Any], ...] = ()
    #: reason -> {document path: segments} the machine did not code
    not_machine_coded: dict[str, dict[str, int]] = field(default_factory=dict)
    #: runs that failed after they started: rolled back, recorded with why
    failed_runs: tuple[store_runs.RunRecord, ...] = ()
    #: machine coding rows per (source, suggester, status): the learned model and semantic
    #: suggestions are both source 'model', shown apart by their coder
    suggesters: tuple[dict[str, Any], ...] = ()
    #: memos on turns or passages an edited file no longer has (kept, never dropped)
    orphaned_memos: tuple[dict[str, object], ...] = ()
    #: human decisions on codes the codebook no longer has, each with its fix (set by api.status)
    codebook_warnings: tuple[str, ...] = ()
    #: the run history, newest first (the last ten, or as many as asked for)
    recent_runs: tuple[workspace.RunLine, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": {
                "present": self.documents_present,
                "missing": self.documents_missing,
                "words": self.words,
            },
            "segments": {"active": self.segments_active, "inactive": self.segments_inactive},
            "codings": [{"source": c.source, "status": c.status, "n": c.n} for c in self.codings],
            "suggesters": list(self.suggesters),
            "coders": [{"coder": coder, "n": n} for coder, n in self.coders],
            "review": {"pending": self.pending, "decided_suggestions": self.decided_suggestions},
            "runs": self.runs,
            "last_run": asdict(self.last_run) if self.last_run else None,
            "orphaned": list(self.orphaned),
            "orphaned_memos": list(self.orphaned_memos),
            "model_gates": list(self.model_gates),
            "not_machine_coded": self.not_machine_coded,
            "failed_runs": [asdict(r) for r in self.failed_runs],
            "codebook_warnings": list(self.codebook_warnings),
            "recent_runs": [asdict(r) for r in self.recent_runs],
        }


def project_status(store: Store, runs: int | None = 10) -> ProjectStatus:
    """Documents, segments, codings by source and status, coders, review progress, runs
    (the latest ``runs`` of the history; None: all)."""
    by_status = views.document_counts(store)
    present, missing = by_status.get("present"), by_status.get("missing")
    active, inactive = views.segment_counts(store)
    return ProjectStatus(
        documents_present=present.n if present else 0,
        documents_missing=missing.n if missing else 0,
        words=present.words if present else 0,
        segments_active=active,
        segments_inactive=inactive,
        codings=tuple(views.coding_counts(store)),
        coders=tuple(views.human_decision_counts(store)),
        pending=views.pending_suggestion_count(store),
        decided_suggestions=views.decided_suggestion_count(store),
        runs=store_runs.run_count(store),
        last_run=store_runs.latest_run(store),
        orphaned=tuple(orphaned_codings(store)),
        model_gates=tuple(model_gates(store)),
        not_machine_coded=not_machine_coded(store),
        failed_runs=tuple(store_runs.failed_runs(store)),
        suggesters=tuple(suggester_counts(store)),
        orphaned_memos=tuple(asdict(m) for m in store_memos.orphaned_memos(store)),
        recent_runs=tuple(workspace.recent_runs(store, runs)),
    )


#: What a machine coder's rows are called in tables (source 'model' holds two suggesters).
SUGGESTER_NAMES = {MODEL_CODER: "learned model", SEMANTIC_CODER: "semantic"}


def suggester_counts(store: Store) -> list[dict[str, Any]]:
    """Machine coding rows per (source, suggester, status); the suggester is named from the
    coder (``themegrid:model``: learned model, ``themegrid:semantic``: semantic), so
    semantic suggestions are never counted as the learned model's."""
    return [
        {
            "source": source,
            "suggester": SUGGESTER_NAMES.get(coder, source if source == "rule" else coder),
            "coder": coder,
            "status": status,
            "n": n,
        }
        for source, coder, status, n in views.coding_counts_by_coder(store)
    ]


def model_gates(store: Store) -> list[dict[str, Any]]:
    """Each code's model gate as the last ``themegrid code`` run recorded it (no retraining)."""
    run = store_runs.latest_run_of(store, "code")
    if run is None or not run.summary:
        return []
    gates = json.loads(run.summary).get("model", {}).get("gates", [])
    return list(gates)


def not_machine_coded(store: Store) -> dict[str, dict[str, int]]:
    """Reason -> {document path: active segments} the machine did not code (tag/codable.py)."""
    out: dict[str, dict[str, int]] = {}
    for row in store_segments.machine_skipped_counts(store):
        out.setdefault(row.reason, {})[row.path] = row.n
    return out


def list_codings(
    store: Store,
    *,
    source: Source | None = None,
    coder: str | None = None,
    status: Status | None = None,
) -> list[Coding]:
    """Codings as :class:`~themegrid.models.Coding` objects, filtered by source, coder, status.

    For researchers working from Python: ``list_codings(store, source="human")`` is every
    human decision with its coder, time, reason and note.
    """
    return views.list_codings(store, source=source, coder=coder, status=status)
