"""What the project store holds: the ``themegrid status`` summary and codings as objects."""

from __future__ import annotations

from typing import Any

from themegrid.models import Coding, Source, Status
from themegrid.pipeline.ingest import orphaned_codings
from themegrid.store.connection import Store


def project_status(store: Store) -> dict[str, Any]:
    docs = store.query(
        "SELECT status, COUNT(*) AS n, COALESCE(SUM(n_words), 0) AS words FROM documents GROUP BY status"
    )
    by_status = {r["status"]: (r["n"], r["words"]) for r in docs}
    segs = {
        r[0]: r[1] for r in store.query("SELECT active, COUNT(*) FROM segments GROUP BY active")
    }
    codings = [
        dict(r)
        for r in store.query(
            "SELECT source, status, COUNT(*) AS n FROM codings GROUP BY source, status ORDER BY source, status"
        )
    ]
    coders = [
        dict(r)
        for r in store.query(
            "SELECT coder, COUNT(*) AS n FROM codings WHERE source = 'human' GROUP BY coder ORDER BY coder"
        )
    ]
    pending = store.scalar(
        "SELECT COUNT(*) FROM effective_codings e JOIN segments s ON s.id = e.segment_id"
        " JOIN documents d ON d.id = s.document_id"
        " WHERE e.status = 'suggested' AND s.active = 1 AND s.codable = 1 AND d.status = 'present'"
    )
    decided = store.scalar(
        "SELECT COUNT(*) FROM (SELECT DISTINCT m.segment_id, m.code_id FROM codings m"
        " JOIN codings h ON h.segment_id = m.segment_id AND h.code_id = m.code_id"
        " WHERE m.source IN ('rule', 'model') AND m.status = 'suggested' AND h.source = 'human')"
    )
    last = store.query("SELECT * FROM runs ORDER BY id DESC LIMIT 1")
    return {
        "documents": {
            "present": by_status.get("present", (0, 0))[0],
            "missing": by_status.get("missing", (0, 0))[0],
            "words": by_status.get("present", (0, 0))[1],
        },
        "segments": {"active": segs.get(1, 0), "inactive": segs.get(0, 0)},
        "codings": codings,
        "coders": coders,
        "review": {"pending": int(pending or 0), "decided_suggestions": int(decided or 0)},
        "runs": store.scalar("SELECT COUNT(*) FROM runs"),
        "last_run": dict(last[0]) if last else None,
        "orphaned": orphaned_codings(store),
    }


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
    clauses, params = [], []
    for column, value in (("source", source), ("coder", coder), ("status", status)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = store.query(
        "SELECT segment_id, code_id, source, coder, status, confidence, reason, run_id,"
        f" created_at, updated_at, note FROM codings{where} ORDER BY id",
        tuple(params),
    )
    return [Coding(**dict(r)) for r in rows]
