"""What the project store holds: the ``themegrid status`` summary and codings as objects."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from themegrid.models import Coding, Source, Status
from themegrid.pipeline.ingest import orphaned_codings
from themegrid.store import runs as store_runs
from themegrid.store import segments as store_segments
from themegrid.store import views
from themegrid.store.connection import Store


def project_status(store: Store) -> dict[str, Any]:
    by_status = views.document_counts(store)
    present, missing = by_status.get("present"), by_status.get("missing")
    active, inactive = views.segment_counts(store)
    codings = [
        {"source": c.source, "status": c.status, "n": c.n} for c in views.coding_counts(store)
    ]
    coders = [{"coder": coder, "n": n} for coder, n in views.human_decision_counts(store)]
    pending = views.pending_suggestion_count(store)
    decided = views.decided_suggestion_count(store)
    last = store_runs.latest_run(store)
    return {
        "documents": {
            "present": present.n if present else 0,
            "missing": missing.n if missing else 0,
            "words": present.words if present else 0,
        },
        "segments": {"active": active, "inactive": inactive},
        "codings": codings,
        "coders": coders,
        "review": {"pending": pending, "decided_suggestions": decided},
        "runs": store_runs.run_count(store),
        "last_run": asdict(last) if last else None,
        "orphaned": orphaned_codings(store),
        "model_gates": model_gates(store),
        "not_machine_coded": not_machine_coded(store),
    }


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
