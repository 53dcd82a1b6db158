"""A digest of everything in the store that ``themegrid code`` reads or writes.

Used to decide that a re-run has nothing to do (see
:mod:`themegrid.pipeline.fingerprint`): if the digest recorded at the end of
the last run equals the digest now, no other command (ingest, review import,
import-coded, a REFI import, ...) has changed documents, segments, codes,
codings or meta since. ``coding_history`` is append-only and gains a row for
every insert or update of a coding, so its largest id changes with any coding
write. The ``runs`` table and the meta keys listed in ``ignore`` are left out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from themegrid.store.connection import Store

_QUERIES = (
    "SELECT id, path, content_hash, status, attributes, updated_at FROM documents ORDER BY id",
    "SELECT COUNT(*), MAX(rowid), SUM(active), SUM(codable), SUM(is_interviewer) FROM segments",
    "SELECT tagged_hash, COUNT(*) FROM segments GROUP BY tagged_hash ORDER BY tagged_hash",
    "SELECT COUNT(*), MAX(id), MAX(updated_at) FROM codings",
    "SELECT MAX(id) FROM coding_history",
    "SELECT * FROM codes ORDER BY id",
    "SELECT key, value FROM meta ORDER BY key",
)


def state_digest(store: Store, ignore: Collection[str] = ()) -> str:
    """sha256 over the rows and counts above; ``ignore``: meta keys left out."""
    digest = hashlib.sha256()
    for sql in _QUERIES:
        digest.update(sql.encode())
        for row in store.conn.execute(sql):
            values = tuple(row)
            if sql.startswith("SELECT key, value FROM meta") and values[0] in ignore:
                continue
            digest.update(repr(values).encode())
    return digest.hexdigest()
