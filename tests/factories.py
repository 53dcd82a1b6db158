"""Test helpers that put documents and segments into a store without reading files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

from themegrid.store.connection import Store, now


def add_document(
    store: Store,
    path: str,
    turns: Sequence[tuple[str | None, str]],
    attributes: Mapping[str, str] | None = None,
    *,
    kind: str = "interview",
    interviewer_labels: Sequence[str] = ("Interviewer",),
) -> list[str]:
    """Insert a document made of (speaker, text) turns; returns the segment ids in order.

    The document text is the turns joined by blank lines, as "Speaker: text" when a
    speaker is given; segment offsets point at the text after the label.
    """
    parts: list[str] = []
    spans: list[tuple[int, int, str | None, str]] = []
    pos = 0
    for speaker, text in turns:
        prefix = f"{speaker}: " if speaker else ""
        start = pos + len(prefix)
        parts.append(prefix + text)
        spans.append((start, start + len(text), speaker, text))
        pos += len(prefix) + len(text) + 2
    full = "\n\n".join(parts)
    stamp = now()
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO documents (path, format, kind, content_hash, text, attributes, n_words,"
            " added_at, updated_at) VALUES (?, 'txt', ?, ?, ?, ?, ?, ?, ?)",
            (
                path,
                kind,
                hashlib.sha256(full.encode()).hexdigest(),
                full,
                json.dumps(dict(attributes or {})),
                len(full.split()),
                stamp,
                stamp,
            ),
        )
        doc_id = cur.lastrowid
        ids = []
        for seq, (start, end, speaker, text) in enumerate(spans):
            seg_id = hashlib.sha1(f"{path}|{seq}|{text}".encode()).hexdigest()[:16]
            conn.execute(
                'INSERT INTO segments (id, document_id, seq, start, "end", text, speaker, is_interviewer)'
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    seg_id,
                    doc_id,
                    seq,
                    start,
                    end,
                    text,
                    speaker,
                    int(speaker in interviewer_labels),
                ),
            )
            ids.append(seg_id)
    return ids


def add_coding(
    store: Store,
    segment_id: str,
    code_id: str,
    *,
    source: str = "rule",
    coder: str = "themegrid:rules",
    status: str = "suggested",
    confidence: float | None = 0.5,
    reason: str = "test",
) -> None:
    stamp = now()
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO codings (segment_id, code_id, source, coder, status, confidence, reason,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (segment_id, code_id, source, coder, status, confidence, reason, stamp, stamp),
        )
