"""Zip-bomb limits shared by every zip-based format: .docx and .xlsx in the corpus, .qdpx.

A zip entry's declared size bounds what Python's ``zipfile`` will inflate, so
checking declared sizes before opening is enough: an archive whose entries
would inflate past ``max_total_bytes`` in all, or an entry larger than
``ratio_min_bytes`` compressed more than ``max_ratio``:1, is refused.
Corpus files take their limits from ``THEMEGRID_MAX_UNZIPPED_BYTES`` and
``THEMEGRID_MAX_ZIP_RATIO``.

An XML part of such a file that declares a DOCTYPE (entities that expand to
gigabytes, or an external entity that reads another file) is refused too: Office
and LibreOffice never write one. openpyxl also parses through defusedxml.
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
    """:func:`zip_bomb_reason` for a corpus file, naming the settings that raise the limits,
    or :func:`xml_declaration_reason`."""
    try:
        with zipfile.ZipFile(path) as zf:
            reason = zip_bomb_reason(zf.infolist(), corpus_zip_limits())
            if reason is None:
                return xml_declaration_reason(zf)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError):
        return None  # the reader reports a damaged archive in its own words
    return f"{reason}; if the file is genuine, raise {MAX_UNZIPPED_ENV} or {MAX_RATIO_ENV}"


_CHUNK = 64 * 1024
_XML_SUFFIXES = (".xml", ".rels", ".vml")


def xml_declaration_reason(zf: zipfile.ZipFile) -> str | None:
    """Why an Office/ODF archive is refused for a DOCTYPE in one of its XML parts, or None.

    A DOCTYPE may only stand in a document's prolog, so each part is read up to
    its first element (a few bytes for the parts Office writes), never whole.
    """
    for info in zf.infolist():
        if info.is_dir() or not info.filename.lower().endswith(_XML_SUFFIXES):
            continue
        if _prolog_declares_doctype(zf, info):
            return (
                f"zip entry '{info.filename}' declares an XML DOCTYPE (entities, which can expand "
                "to gigabytes or read other files on this computer), which Excel, Word and "
                "LibreOffice never write; refused as a possible XML bomb: open the file in its "
                "program, save it again, and use that copy"
            )
    return None


def _prolog_declares_doctype(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    seen = b""
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                return False
            seen += chunk
            text = (
                seen.decode("utf-16", "ignore") if seen[:2] in (b"\xff\xfe", b"\xfe\xff") else None
            )
            head = text.encode("utf-8", "replace") if text is not None else seen
            if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                return True
            if _root_started(head) or len(seen) > 16 * _CHUNK:
                return False


def _root_started(head: bytes) -> bool:
    """Whether the bytes reach the root element: a ``<`` not opening ``<?`` or ``<!``."""
    at = head.find(b"<")
    while at != -1 and at + 1 < len(head):
        if head[at + 1 : at + 2] not in (b"?", b"!"):
            return True
        at = head.find(b"<", at + 1)
    return False
