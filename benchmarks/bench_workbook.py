"""Benchmark: writing the theme-matrix workbook for a large synthetic project.

``bench_workbook()`` builds a store in a temporary folder (50 cases, 100 codes,
100,000 codings by default; not timed) and times :func:`write_workbook`.
Target: under 15 seconds for the defaults. Run alone with
``python benchmarks/bench_workbook.py``.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

from themegrid.aggregate.matrix import load_codings
from themegrid.codebook import Code, Codebook
from themegrid.export.report import write_reports
from themegrid.export.workbook import write_workbook
from themegrid.store.connection import Store, now

SOURCE_TYPES = ("interview", "focus group", "document review")
WORDS = [
    "state",
    "district",
    "pilot",
    "equity",
    "learner",
    "competency",
    "policy",
    "network",
    "teacher",
    "school",
]


def synthetic_codebook(n_codes: int) -> Codebook:
    """Parents with four children each (a fifth of the codes are parents)."""
    codes: list[Code] = []
    parent: str | None = None
    for i in range(n_codes):
        if i % 5 == 0:
            parent = f"theme{i:03d}"
            codes.append(Code(parent, f"Theme {i}", f"Definition of theme {i}."))
        else:
            codes.append(Code(f"{parent}.sub{i:03d}", f"Sub-theme {i}", "Sub.", parent_id=parent))
    return Codebook("Benchmark codebook", "1.0", "", tuple(codes))


def build_store(store: Store, book: Codebook, n_cases: int, n_codings: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    stamp = now()
    n_docs = n_cases * 4
    n_segments = max(n_codings // 2, 1)
    code_ids = [c.id for c in book.codes]
    with store.transaction() as conn:
        docs = []
        for d in range(n_docs):
            attrs = {
                "state": f"State {d % n_cases:02d}",
                "role": rng.choice(["teacher", "district leader", "state official"]),
                "source_type": rng.choice(SOURCE_TYPES),
            }
            docs.append((d + 1, f"interviews/doc_{d:04d}.txt", json.dumps(attrs), stamp, stamp))
        conn.executemany(
            "INSERT INTO documents (id, path, format, kind, content_hash, text, attributes,"
            " added_at, updated_at) VALUES (?, ?, 'txt', 'interview', 'x', '', ?, ?, ?)",
            docs,
        )
        segments = []
        for s in range(n_segments):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 120)))
            segments.append((f"seg{s:07d}", s % n_docs + 1, s // n_docs, text, f"Speaker {s % 7}"))
        conn.executemany(
            'INSERT INTO segments (id, document_id, seq, start, "end", text, speaker)'
            " VALUES (?, ?, ?, 0, 0, ?, ?)",
            segments,
        )
        rows, seen = [], set()
        while len(rows) < n_codings:
            seg = f"seg{rng.randrange(n_segments):07d}"
            code = rng.choice(code_ids)
            roll = rng.random()
            source, coder, status = ("rule", "themegrid:rules", "suggested")
            if roll > 0.85:
                source, coder = "human", "ana"
                status = "accepted" if roll > 0.9 else "rejected"
            if (seg, code, source) in seen:
                continue
            seen.add((seg, code, source))
            conf = None if source == "human" else round(rng.random(), 3)
            rows.append((seg, code, source, coder, status, conf, f"cue '{code}'", stamp, stamp))
        conn.executemany(
            "INSERT INTO codings (segment_id, code_id, source, coder, status, confidence, reason,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def bench_workbook(n_cases: int = 50, n_codes: int = 100, n_codings: int = 100_000) -> dict:
    """Seconds to load the codings and to write the whole workbook (target < 15 s wall clock).

    The workbook time includes loading the codings again and computing every matrix.
    """
    book = synthetic_codebook(n_codes)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = Store(folder / "themegrid.sqlite")
        try:
            build_store(store, book, n_cases, n_codings)
            start = time.perf_counter()
            cf = load_codings(store, book)
            load_s = time.perf_counter() - start
            start, cpu = time.perf_counter(), time.process_time()
            summary = write_workbook(store, book, folder / "reports" / "theme_matrix.xlsx")
            write_s = time.perf_counter() - start
            write_cpu = time.process_time() - cpu
            size = (folder / "reports" / "theme_matrix.xlsx").stat().st_size
            # What `themegrid report --html` does: workbook and HTML from one computation.
            start, cpu = time.perf_counter(), time.process_time()
            both = write_reports(
                store,
                book,
                folder / "reports" / "both.xlsx",
                html_out=folder / "reports" / "both.html",
            )
            report_s = time.perf_counter() - start
            report_cpu = time.process_time() - cpu
            html_size = (folder / "reports" / "both.html").stat().st_size
            assert both.workbook.n_codings == summary.n_codings
        finally:
            store.close()
    return {
        "n_cases": n_cases,
        "n_codes": n_codes,
        "n_codings_stored": n_codings,
        "n_codings_counted": summary.n_codings,
        "load_codings_s": round(load_s, 2),
        "write_workbook_s": round(write_s, 2),
        "write_workbook_cpu_s": round(write_cpu, 2),
        "workbook_mb": round(size / 1e6, 1),
        "report_html_s": round(report_s, 2),
        "report_html_cpu_s": round(report_cpu, 2),
        "html_mb": round(html_size / 1e6, 1),
        "target_s": 15,
        "ok": write_s < 15 and report_s < 15,
        "counted_check": len(cf.codings) == summary.n_codings,
    }


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    print(json.dumps(bench_workbook(*args), indent=2))
