"""Benchmark: writing the theme-matrix workbook for a large synthetic project.

``bench_workbook()`` builds a project in a temporary folder (the codebook as YAML and a
store of 50 cases, 100 codes, 100,000 codings by default; not timed) and times
:func:`write_workbook`, the workbook and HTML report from one computation, and the whole
``themegrid report`` command in a new process (start, imports, queries, aggregation,
writing, rename; its CPU seconds from ``getrusage``, the second process that renders the
Codings rows included). ``stages``: the command's steps in this process, CPU seconds each
(``child_cpu_s``: the process rendering the Codings rows meanwhile, see
:class:`themegrid.export.workbook.BackgroundParts`). Targets: the whole command under 5 seconds
(issue 12), the others under 15. Run alone with ``python benchmarks/bench_workbook.py``.
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from themegrid.aggregate import matrix as mx
from themegrid.aggregate.matrix import load_codings
from themegrid.codebook import Code, Codebook
from themegrid.export import workbook as wbmod
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


def write_codebook(book: Codebook, folder: Path) -> None:
    """``book`` as the project's ``codebook/codebook.yaml`` (parents with their children)."""
    codes = []
    for code in book.codes:
        if code.parent_id is None:
            children = [
                {"id": c.id, "name": c.name, "definition": c.definition}
                for c in book.codes
                if c.parent_id == code.id
            ]
            codes.append(
                {
                    "id": code.id,
                    "name": code.name,
                    "definition": code.definition,
                    "children": children,
                }
            )
    doc = {"codebook": {"name": book.name, "version": book.version}, "codes": codes}
    (folder / "codebook").mkdir(parents=True, exist_ok=True)
    (folder / "codebook" / "codebook.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def report_command(folder: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``themegrid report`` on the project in ``folder``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "themegrid", "report", "--project", str(folder), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def command_stages(store: Store, book: Codebook, out: Path) -> dict[str, float]:
    """CPU seconds of each step ``themegrid report`` takes (:func:`write_reports`), here."""
    stages: dict[str, float] = {}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start, wall = time.process_time(), time.perf_counter()
    cf = load_codings(store, book)
    by = mx.choose_by(cf, None, ()).by
    stages["load_codings_cpu_s"] = time.process_time() - start
    with wbmod.BackgroundParts.start(cf, by) as rows:
        start = time.process_time()
        report = wbmod.compute_report(cf, book, by, True, 3, rows)
        stages["compute_report_cpu_s"] = time.process_time() - start
        start = time.process_time()
        wbmod.write_report_workbook(store, report, out, codings_rows=rows)
        stages["write_workbook_cpu_s"] = time.process_time() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stages["child_cpu_s"] = (after.ru_utime - children.ru_utime) + (
        after.ru_stime - children.ru_stime
    )
    stages["wall_s"] = time.perf_counter() - wall
    return {k: round(v, 2) for k, v in stages.items()}


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
        write_codebook(book, folder)
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
            stages = command_stages(store, book, folder / "reports" / "stages.xlsx")
        finally:
            store.close()
        command_s, command_cpu = report_command(folder, folder / "reports" / "command.xlsx")
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
        "report_command_s": round(command_s, 2),
        "report_command_cpu_s": round(command_cpu, 2),
        "report_command_target_s": 5,
        "stages": stages,
        "load": [round(x, 2) for x in os.getloadavg()],
        "target_s": 15,
        "ok": write_s < 15 and report_s < 15 and command_s < 5,
        "counted_check": len(cf.codings) == summary.n_codings,
    }


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    print(json.dumps(bench_workbook(*args), indent=2))
