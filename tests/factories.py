"""Test helpers that put documents and segments into a store without reading files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

from themegrid.store.connection import Store, now
from themegrid.store.segments import NewSegment, insert_segments

#: A small codebook: one uncodable parent with two codable children.
TWO_BARRIERS_CODEBOOK = """\
codebook:
  name: Test codebook
  version: "1"
codes:
  - id: barriers
    name: Barriers
    codable: false
    children:
      - id: barriers.funding
        name: Funding constraints
        definition: Money limits.
      - id: barriers.staffing
        name: Staffing shortages
        definition: Too few people.
"""


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
        segments = [
            NewSegment(
                id=hashlib.sha1(f"{path}|{seq}|{text}".encode()).hexdigest()[:16],
                document_id=int(doc_id or 0),
                seq=seq,
                start=start,
                end=end,
                text=text,
                speaker=speaker,
                is_interviewer=speaker in interviewer_labels,
            )
            for seq, (start, end, speaker, text) in enumerate(spans)
        ]
        if "0003_segment_codable" in store.applied_migrations():
            insert_segments(store, segments)
        else:  # a store at an older schema (migration tests), written as that version did
            conn.executemany(
                'INSERT INTO segments (id, document_id, seq, start, "end", text, speaker, is_interviewer)'
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        s.id,
                        s.document_id,
                        s.seq,
                        s.start,
                        s.end,
                        s.text,
                        s.speaker,
                        int(s.is_interviewer),
                    )
                    for s in segments
                ],
            )
    return [s.id for s in segments]


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
