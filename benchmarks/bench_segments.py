"""Benchmark: ``export segments`` to .csv and .xlsx for a synthetic store (23,000 segments
by default, 5 to 120 words each, with case attributes; built untimed). Prints CPU seconds
(``time.process_time``) and wall seconds of each. Run alone with
``python benchmarks/bench_segments.py [ROWS]``.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

from themegrid.export.segments import write_segments
from themegrid.store.connection import Store, now

WORDS = [
    "the",
    "grant",
    "money",
    "ran",
    "out",
    "and",
    "we",
    "had",
    "to",
    "rethink",
    "staffing",
    "teachers",
    "time",
    "trust",
    "policy",
]


def build_store(store: Store, n_rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    stamp = now()
    n_docs = max(n_rows // 200, 1)
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO documents (id, path, format, kind, content_hash, text, attributes,"
            " added_at, updated_at) VALUES (?, ?, 'txt', 'interview', 'x', '', ?, ?, ?)",
            [
                (
                    d + 1,
                    f"interviews/doc_{d:04d}.txt",
                    json.dumps({"state": f"State {d % 20}", "role": "teacher", "date": "2022"}),
                    stamp,
                    stamp,
                )
                for d in range(n_docs)
            ],
        )
        conn.executemany(
            'INSERT INTO segments (id, document_id, seq, start, "end", text, speaker)'
            " VALUES (?, ?, ?, 0, 0, ?, ?)",
            [
                (
                    f"seg{s:07d}",
                    s % n_docs + 1,
                    s // n_docs,
                    " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 120))),
                    f"Speaker {s % 7}",
                )
                for s in range(n_rows)
            ],
        )


def bench_segments(n_rows: int = 23_000) -> dict[str, float]:
    out: dict[str, float] = {"rows": n_rows}
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "s.sqlite") as store:
        build_store(store, n_rows)
        for suffix in ("csv", "xlsx"):
            cpu, wall = time.process_time(), time.perf_counter()
            write_segments(store, Path(tmp) / f"segments.{suffix}")
            out[f"{suffix}_cpu_s"] = time.process_time() - cpu
            out[f"{suffix}_wall_s"] = time.perf_counter() - wall
    return out


if __name__ == "__main__":
    r = bench_segments(int(sys.argv[1]) if len(sys.argv) > 1 else 23_000)
    print(
        f"export segments, {r['rows']:,} rows: .csv {r['csv_cpu_s']:.2f} s CPU"
        f" ({r['csv_wall_s']:.2f} s wall), .xlsx {r['xlsx_cpu_s']:.2f} s CPU"
        f" ({r['xlsx_wall_s']:.2f} s wall)"
    )
