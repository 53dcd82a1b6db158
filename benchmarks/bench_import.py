"""Benchmark: ``import-coded`` of ~300 .xlsx files, ~200,000 coded rows, into a fresh project.

Run: ``.venv/bin/python benchmarks/bench_import.py [--files 300] [--rows 200000]``.
Target: under 3 minutes for the import (building the files is not timed).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import openpyxl

from themegrid.exchange.coded import Layout, import_coded
from themegrid.project import init_project

WORDS = [
    "district",
    "state",
    "budget",
    "teachers",
    "students",
    "competency",
    "learning",
    "pathway",
    "graduate",
    "portrait",
    "waiver",
    "pilot",
    "cohort",
    "network",
    "coaching",
    "equity",
    "access",
    "funding",
    "staffing",
    "schedule",
    "mastery",
    "assessment",
    "community",
    "family",
    "rural",
    "leaders",
    "principal",
    "policy",
    "flexibility",
    "grant",
]


def build_files(
    folder: Path, n_files: int, n_rows: int, codes: list[str], seed: int = 7
) -> list[Path]:
    """``n_files`` transcripts as .xlsx (Speaker, Text, Code), ``n_rows`` rows in all."""
    rng = random.Random(seed)
    per_file = max(n_rows // n_files, 1)
    paths = []
    for f in range(n_files):
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("Coded")
        sheet.append(["Speaker", "Text", "Code"])
        for r in range(per_file):
            speaker = "Interviewer" if r % 2 == 0 else f"Respondent {f}"
            text = " ".join(rng.choices(WORDS, k=rng.randint(8, 60))) + f" ({f}.{r})"
            code = rng.choice(codes) if rng.random() < 0.6 else ""
            sheet.append([speaker, text, code])
        path = folder / f"transcript_{f:03d}.xlsx"
        book.save(path)
        paths.append(path)
    return paths


def run(n_files: int = 300, n_rows: int = 200_000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project, _ = init_project(root / "project")
        codebook = project.load_codebook()
        codes = [c.name for c in codebook.codable] + [c.id for c in codebook.codable]
        t0 = time.perf_counter()
        files = build_files(root, n_files, n_rows, codes)
        built = time.perf_counter() - t0
        with project.open_store() as store:
            t1 = time.perf_counter()
            summary = import_coded(
                store, files, coder="Bench Coder", codebook=codebook, layout=Layout()
            )
            took = time.perf_counter() - t1
        return {
            "files": len(files),
            "rows": summary.rows,
            "codings": summary.codings_added,
            "build_seconds": round(built, 1),
            "import_seconds": round(took, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    result = run(args.files, args.rows)
    print(result)
    verdict = "within" if result["import_seconds"] < 180 else "OVER"
    print(
        f"import-coded: {result['rows']} rows in {result['import_seconds']} s ({verdict} the 3-minute target)"
    )


if __name__ == "__main__":
    main()
