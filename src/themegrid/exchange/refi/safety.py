"""Careful handling of files from elsewhere: zip archives, XML, and writing our own output.

A ``.qdpx`` comes from another tool or another person, so it is treated as
hostile until checked: entries whose paths would escape the archive, archives
that would inflate to gigabytes, and XML with DOCTYPE/ENTITY declarations
(external entities, "billion laughs") are refused before anything is written.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from themegrid.atomic import atomic_path
from themegrid.errors import MissingDependency, RefiError, UnsafeArchive
from themegrid.read.archive import ZipLimits, zip_bomb_reason

PathOrFile = Path | str | IO[bytes]

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"


@dataclass(frozen=True)
class Limits:
    """How much a ``.qdpx`` may inflate to. Raise them for genuinely huge projects."""

    max_total_bytes: int = 2 * 1024**3  # sum of declared uncompressed sizes
    max_ratio: float = 200.0  # compression ratio refused ...
    ratio_min_bytes: int = 1024**2  # ... for entries larger than this
    max_xml_bytes: int = 512 * 1024**2  # the project.qde itself


DEFAULT_LIMITS = Limits()


def lxml_etree() -> Any:
    """``lxml.etree``, or MissingDependency naming the extra to install."""
    try:
        from lxml import etree
    except ImportError as exc:  # pragma: no cover - lxml is installed in development
        raise MissingDependency("REFI-QDA export", "lxml", "qda") from exc
    return etree


def display_name(source: PathOrFile) -> str:
    if isinstance(source, str | Path):
        return str(source)
    return str(getattr(source, "name", "<stream>"))


# --- XML ---------------------------------------------------------------------------------


def parse_xml(data: bytes, display: str, *, root: str, namespaces: tuple[str, ...]) -> Any:
    """Parse untrusted QDA-XML: no DTD, no entities, no network; check the root element.

    ``root`` is the expected local name ('Project', 'CodeBook'); ``namespaces`` the
    namespaces accepted for it.
    """
    etree = lxml_etree()
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # quick check for UTF-8 and ASCII files
        raise RefiError(display, _DTD_MESSAGE)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
    )
    try:
        tree = etree.fromstring(data, parser).getroottree()
    except etree.XMLSyntaxError as exc:
        if "entity" in str(exc).lower():
            raise RefiError(display, _DTD_MESSAGE) from exc
        raise RefiError(
            display, f"not well-formed XML ({exc}); the file is damaged or not QDA-XML"
        ) from exc
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:  # e.g. UTF-16 files
        raise RefiError(display, _DTD_MESSAGE)
    element = tree.getroot()
    qname = etree.QName(element)
    if qname.localname != root or qname.namespace not in namespaces:
        found = f"<{qname.localname}>" + (
            f" in namespace {qname.namespace}" if qname.namespace else " without a namespace"
        )
        raise RefiError(
            display,
            f"not a QDA-XML {root} file: the root element is {found}, expected <{root}> in "
            f"namespace {namespaces[0]}; export it again from your QDA tool as REFI-QDA",
        )
    return element


_DTD_MESSAGE = (
    "contains a DOCTYPE or ENTITY declaration, which QDA-XML never needs and which can be "
    "used to read local files or exhaust memory; refused"
)


# --- zip archives -------------------------------------------------------------------------

_DRIVE_RE = re.compile(r"^[A-Za-z]:")


def unsafe_entry_reason(name: str) -> str | None:
    """Why a zip entry name is unsafe to use as a path, or None when it is fine."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or _DRIVE_RE.match(norm):
        return "is an absolute path"
    if ".." in PurePosixPath(norm).parts:
        return "points outside the archive ('..')"
    if "\x00" in norm:
        return "contains a NUL character"
    return None


class SafeZip:
    """A zip archive checked as a whole on opening; entries are read with a byte cap."""

    def __init__(self, source: PathOrFile, limits: Limits = DEFAULT_LIMITS) -> None:
        self.display = display_name(source)
        self.limits = limits
        try:
            self.zip = zipfile.ZipFile(source if not isinstance(source, str) else Path(source))
        except FileNotFoundError as exc:
            raise RefiError(self.display, "file not found; check the path") from exc
        except (zipfile.BadZipFile, OSError) as exc:
            raise RefiError(
                self.display, f"not a zip archive ({exc}); a .qdpx file is a zip made by a QDA tool"
            ) from exc
        self._check()
        self._by_lower = {
            info.filename.replace("\\", "/").lower(): info for info in self.zip.infolist()
        }

    def _check(self) -> None:
        for info in self.zip.infolist():
            reason = unsafe_entry_reason(info.filename)
            if reason:
                raise UnsafeArchive(
                    self.display,
                    f"zip entry '{info.filename}' {reason}; refused, nothing was written",
                )
        limits = ZipLimits(
            self.limits.max_total_bytes, self.limits.max_ratio, self.limits.ratio_min_bytes
        )
        bomb = zip_bomb_reason(self.zip.infolist(), limits)
        if bomb:
            hint = " (raise Limits.max_total_bytes if the project is genuinely that large)"
            raise UnsafeArchive(
                self.display,
                f"{bomb}, nothing was written{hint if 'would inflate' in bomb else ''}",
            )

    def names(self) -> list[str]:
        return [info.filename for info in self.zip.infolist() if not info.is_dir()]

    def find(self, name: str) -> str | None:
        """The entry called ``name``, compared case-insensitively with '/' separators."""
        info = self._by_lower.get(name.replace("\\", "/").lstrip("/").lower())
        return None if info is None else info.filename

    def read(self, name: str, cap: int | None = None) -> bytes:
        """An entry's bytes; refused when it holds more than declared or than ``cap``."""
        info = self.zip.getinfo(name)
        limit = min(info.file_size, cap if cap is not None else self.limits.max_total_bytes)
        if info.file_size > limit:
            raise UnsafeArchive(
                self.display, f"zip entry '{name}' is {info.file_size:,} bytes (limit {limit:,})"
            )
        try:
            with self.zip.open(info) as stream:
                data = stream.read(limit + 1)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise RefiError(
                self.display, f"zip entry '{name}' cannot be read ({exc}); the file is damaged"
            ) from exc
        if len(data) > limit:
            raise UnsafeArchive(
                self.display,
                f"zip entry '{name}' holds more data than it declares; refused as damaged or hostile",
            )
        return data

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- reading and writing our own files -----------------------------------------------------


def read_input(source: PathOrFile, cap: int) -> bytes:
    """All bytes of a path or binary file, refusing more than ``cap``."""
    display = display_name(source)
    try:
        if isinstance(source, str | Path):
            with open(source, "rb") as fh:
                data = fh.read(cap + 1)
        else:
            data = source.read(cap + 1)
    except FileNotFoundError as exc:
        raise RefiError(display, "file not found; check the path") from exc
    except OSError as exc:
        raise RefiError(display, f"cannot be read ({exc})") from exc
    if len(data) > cap:
        raise UnsafeArchive(display, f"larger than {cap:,} bytes; refused")
    return data


def write_output(out: PathOrFile, data: bytes) -> str:
    """Write ``data`` to a path atomically (temp file + rename) or to an open binary file."""
    if not isinstance(out, str | Path):
        out.write(data)
        return display_name(out)
    target = Path(out)
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return str(target)


def iter_children(element: Any, ns: str, name: str) -> Iterator[Any]:
    """Direct children ``<name>`` of ``element`` in namespace ``ns``."""
    yield from element.iterchildren(f"{{{ns}}}{name}")
