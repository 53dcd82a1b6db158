"""Span codings (passages inside a turn) through a REFI-QDA export and import, and back out.

The quotes must come back identical and at the same code-point offsets, in a text
with non-ASCII characters before and inside the passages (code points, UTF-16 units
and bytes all differ there).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from factories import add_coding, add_document
from test_refi_fixtures import AZ_TURNS, NV_TURNS, write_codebook
from themegrid.exchange.refi import export_qdpx, import_qdpx
from themegrid.project import Project
from themegrid.store import codings as codings_store
from themegrid.store.connection import Store, now

etree = pytest.importorskip("lxml.etree", reason="lxml is not installed")
NS = "{urn:QDA-XML:project:1.0}"

#: (document, passage, code, coder): two passages of one coder in one turn, a passage
#: by a second coder in the same turn, a passage with an emoji, a multi-script one.
PASSAGES = [
    ("interviews/az_01.txt", "grant money", "barriers.funding", "ana"),
    ("interviews/az_01.txt", "東京", "equity", "ana"),
    ("interviews/az_01.txt", "the budget —", "barriers.staffing", "ben"),
    ("interviews/az_01.txt", "substitute teachers 😞", "barriers.staffing", "ana"),
    ("interviews/nv_01.txt", "that is équité", "equity", "ben"),
]


def _source_project(root: Path) -> Project:
    project = write_codebook(root)
    with Store(project.store_path) as store:
        az = add_document(store, "interviews/az_01.txt", AZ_TURNS, {"state": "Arizona"})
        add_document(store, "interviews/nv_01.txt", NV_TURNS, {"state": "Nevada"})
        ids = {p: i for i, p in store.query("SELECT id, path FROM documents")}
        for path, phrase, code, coder in PASSAGES:
            text = store.scalar("SELECT text FROM documents WHERE path = ?", (path,))
            start = text.index(phrase)
            d = codings_store.span_decision(
                store, ids[path], start, start + len(phrase), code, "coded in test"
            )
            with store.transaction():
                codings_store.record_human_codings(store, coder, [d], run_id=None, at=now())
        # a whole-turn human coding and an unreviewed suggestion beside the passages
        add_coding(store, az[3], "equity", source="human", coder="ben", status="accepted")
        add_coding(store, az[1], "equity")
    return project


def _human_quotes(store: Store, prefix: str = "") -> set[tuple[str, str, int, int, str, str]]:
    """(document path, quote, start, end, code, coder) for every human accepted coding that
    counts: the passage where the coding has one, else its whole segment."""
    rows = store.query(
        'SELECT d.path, d.text, COALESCE(c.span_start, s.start), COALESCE(c.span_end, s."end"),'
        " e.code_id, e.coder FROM effective_codings e"
        " JOIN codings c ON c.segment_id = e.segment_id AND c.code_id = e.code_id"
        " AND c.source = 'human' AND c.coder = e.coder"
        " JOIN segments s ON s.id = e.segment_id JOIN documents d ON d.id = s.document_id"
        " WHERE e.status = 'accepted'"
    )
    return {(r[0].removeprefix(prefix), r[1][r[2] : r[3]], r[2], r[3], r[4], r[5]) for r in rows}


def _selections(data: bytes, prefix: str = "") -> set[tuple[str, int, int, str, str]]:
    """(source name, start, end, code GUID, user name) for each Coding in a .qdpx."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = etree.fromstring(zf.read("project.qde"))
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{NS}User")}
    out = set()
    for source in root.iter(f"{NS}TextSource"):
        for sel in source.iter(f"{NS}PlainTextSelection"):
            for coding in sel.iter(f"{NS}Coding"):
                code = coding.find(f"{NS}CodeRef").get("targetGUID")
                out.add(
                    (
                        source.get("name").removeprefix(prefix),
                        int(sel.get("startPosition")),
                        int(sel.get("endPosition")),
                        code,
                        users[coding.get("creatingUser")],
                    )
                )
    return out


def test_span_codings_round_trip_with_identical_quotes_and_offsets(tmp_path: Path) -> None:
    src = _source_project(tmp_path / "src")
    first = io.BytesIO()
    export_qdpx(src, first)
    (tmp_path / "p.qdpx").write_bytes(first.getvalue())
    # the other side knows the same codebook, so the codes land on the same ids
    dst = write_codebook(tmp_path / "dst")
    summary = import_qdpx(dst, tmp_path / "p.qdpx")
    prefix = f"refi/{src.root.name}/"
    with Store(src.store_path) as store:
        expected = _human_quotes(store)
    with Store(dst.store_path) as store:
        got = _human_quotes(store, prefix)
    # every passage, quoted from the source documents, is among what the export holds
    quoted = {(p, q, c, who) for p, q, _s, _e, c, who in expected}
    assert {(p, phrase, c, who) for p, phrase, c, who in PASSAGES} <= quoted
    assert got == expected
    assert summary.codings == len(expected)
    # and a second export from the importing project writes the same selections
    second = io.BytesIO()
    export_qdpx(dst, second)
    assert _selections(second.getvalue(), prefix) == _selections(first.getvalue())
