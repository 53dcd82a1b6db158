"""Files an import writes after its store commit: the skipped-rows CSV and the imported codes.

Both are written atomically and only once the store transaction has committed,
so a failed import leaves neither. Every CSV cell goes through
:func:`themegrid.cells.csv_safe`, so a row text starting with ``=`` is never a
live formula.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from themegrid.atomic import atomic_path
from themegrid.cells import csv_safe
from themegrid.codebook import files as codebook_files
from themegrid.exchange.coded.codes import codes_as_yaml, slug
from themegrid.exchange.coded.rows import SkippedRow
from themegrid.exchange.labels import KnownCode


@dataclass(frozen=True)
class Written:
    skipped_report: str | None = None
    codebook_file: str | None = None
    template_replaced: bool = False


def write_outputs(
    coder: str,
    created: Sequence[KnownCode],
    skipped: Sequence[SkippedRow],
    *,
    codebook_dir: Path | None,
    report_dir: Path | None,
    empty_template: bool,
    source: str,
    sources_by_code: Mapping[str, str] | None = None,
) -> Written:
    """Write the skipped-rows CSV and the imported codes file; call after the commit."""
    report = write_skipped(report_dir, skipped) if report_dir is not None and skipped else None
    book_file = None
    if codebook_dir is not None and created:
        path = codebook_files.imported_codes_path(codebook_dir, slug(coder))
        book_file = str(
            codebook_files.write_imported_codes(
                path, codes_as_yaml(created, source, sources_by_code)
            )
        )
    replaced = False
    if codebook_dir is not None and empty_template and created:
        codebook_files.replace_template(codebook_dir)
        replaced = True
    return Written(
        str(report) if report else None,
        book_file,
        replaced,
    )


def write_skipped(report_dir: Path, skipped: Sequence[SkippedRow]) -> Path:
    """``reports/skipped_rows_<time>.csv``: file, row and reason of each skipped row."""
    stamp = re.sub(r"[^0-9]", "", datetime.now().isoformat(timespec="seconds"))
    target = report_dir / f"skipped_rows_{stamp}.csv"
    n = 1
    while target.exists():
        n += 1
        target = report_dir / f"skipped_rows_{stamp}_{n}.csv"
    with atomic_path(target) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "row", "reason"])
        for s in skipped:
            writer.writerow(
                [csv_safe(s.file), s.row if s.row is not None else "", csv_safe(s.reason)]
            )
    return target
