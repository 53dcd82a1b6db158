"""Zip-bomb limits shared by every zip-based format: .docx and .xlsx in the corpus, .qdpx.

A zip entry's declared size bounds what Python's ``zipfile`` will inflate, so
checking declared sizes before opening is enough: an archive whose entries
would inflate past ``max_total_bytes`` in all, or an entry larger than
``ratio_min_bytes`` compressed more than ``max_ratio``:1, is refused.
Corpus files take their limits from ``THEMEGRID_MAX_UNZIPPED_BYTES`` and
``THEMEGRID_MAX_ZIP_RATIO``.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAX_UNZIPPED_ENV = "THEMEGRID_MAX_UNZIPPED_BYTES"
MAX_RATIO_ENV = "THEMEGRID_MAX_ZIP_RATIO"


@dataclass(frozen=True)
class ZipLimits:
    max_total_bytes: int = 512 * 1024**2
    max_ratio: float = 200.0
    ratio_min_bytes: int = 1024**2


def corpus_zip_limits() -> ZipLimits:
    """The limits for corpus files, from the environment where set."""
    default = ZipLimits()
    total = os.environ.get(MAX_UNZIPPED_ENV, "").strip()
    ratio = os.environ.get(MAX_RATIO_ENV, "").strip()
    return ZipLimits(
        max_total_bytes=int(total) if total.isdigit() else default.max_total_bytes,
        max_ratio=float(ratio) if ratio.replace(".", "", 1).isdigit() else default.max_ratio,
        ratio_min_bytes=default.ratio_min_bytes,
    )


def zip_bomb_reason(entries: Iterable[zipfile.ZipInfo], limits: ZipLimits) -> str | None:
    """Why the archive with these entries is refused as a possible zip bomb, or None."""
    total = 0
    for info in entries:
        total += info.file_size
        if info.file_size > limits.ratio_min_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            return (
                f"zip entry '{info.filename}' inflates {ratio:.0f}:1 "
                f"(limit {limits.max_ratio:.0f}:1); refused as a possible zip bomb"
            )
    if total > limits.max_total_bytes:
        return (
            f"the archive would inflate to {total:,} bytes (limit {limits.max_total_bytes:,}); "
            "refused as a possible zip bomb"
        )
    return None


def corpus_zip_reason(path: Path) -> str | None:
    """:func:`zip_bomb_reason` for a corpus file, naming the settings that raise the limits."""
    try:
        with zipfile.ZipFile(path) as zf:
            reason = zip_bomb_reason(zf.infolist(), corpus_zip_limits())
    except (zipfile.BadZipFile, OSError):
        return None  # the reader reports a damaged archive in its own words
    if reason is None:
        return None
    return f"{reason}; if the file is genuine, raise {MAX_UNZIPPED_ENV} or {MAX_RATIO_ENV}"
