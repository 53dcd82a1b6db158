"""Readers: from a file on disk to a :class:`~themegrid.models.RawDocument`.

Each format lives in its own module in this package and registers itself with
:func:`register`; every module here is imported on first use, so adding a
format means adding one module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from themegrid.errors import InputFileError
from themegrid.models import RawDocument
from themegrid.read.repair import conversion_hint


@dataclass(frozen=True)
class TableOptions:
    """How to read a spreadsheet: which column holds the text, the id, the speaker.

    ``attribute_columns`` empty means: every other column becomes an attribute.
    """

    text_column: str | None = None
    id_column: str | None = None
    speaker_column: str | None = None
    attribute_columns: tuple[str, ...] = ()
    sheet: str | None = None


@dataclass(frozen=True)
class ReadRequest:
    """What a reader gets: the file, the name to report, and the caller's options."""

    path: Path
    display_path: str
    table: TableOptions
    interviewer_labels: tuple[str, ...] = ()


Reader = Callable[[ReadRequest], RawDocument]
_REGISTRY: dict[str, Reader] = {}


def register(*suffixes: str) -> Callable[[Reader], Reader]:
    """Decorator: make ``reader`` handle files with these suffixes (``".txt"``)."""

    def decorate(reader: Reader) -> Reader:
        for suffix in suffixes:
            _REGISTRY[suffix.lower()] = reader
        return reader

    return decorate


def _load_readers() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


def read_document(
    path: Path,
    *,
    display_path: str | None = None,
    table: TableOptions | None = None,
    interviewer_labels: Collection[str] = (),
) -> RawDocument:
    """Read one file into normalised text and units (turns, paragraphs or rows).

    ``display_path`` is the name used in the document and in error messages
    (e.g. the path relative to the corpus folder). Raises
    :class:`~themegrid.errors.InputFileError` with a one-line message for
    files that cannot be read, and
    :class:`~themegrid.errors.MissingDependency` when a format's optional
    package is not installed.
    """
    path = Path(path)
    shown = display_path or str(path)
    reader = _REGISTRY.get(path.suffix.lower())
    if reader is None:
        hint = conversion_hint(shown)
        if hint:
            raise InputFileError(shown, f"is {hint}")
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise InputFileError(
            shown,
            f"unsupported file type '{path.suffix or '(none)'}'; "
            f"convert it to one of {kinds}, or move it out of the corpus",
        )
    if not path.is_file():
        raise InputFileError(shown, "file not found; check the path")
    if path.stat().st_size == 0:
        raise InputFileError(shown, "file is empty; remove it or add its content")
    request = ReadRequest(path, shown, table or TableOptions(), tuple(interviewer_labels))
    return reader(request)


_load_readers()
#: Lower-case file suffixes that :func:`read_document` can read.
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_REGISTRY)

__all__ = [
    "SUPPORTED_SUFFIXES",
    "ReadRequest",
    "TableOptions",
    "read_document",
    "register",
]
