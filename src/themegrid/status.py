"""``themegrid status``: what the project store holds, as plain data."""

from __future__ import annotations

from typing import Any

from .ingest import orphaned_codings
from .store import Store


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
        "runs": store.scalar("SELECT COUNT(*) FROM runs"),
        "last_run": dict(last[0]) if last else None,
        "orphaned": orphaned_codings(store),
    }
