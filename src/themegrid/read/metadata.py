"""Case attributes from ``corpus/metadata.csv``: one row per file, any attribute columns.

The ``file`` column (also accepted: ``path``, ``filename``, ``document``) holds the
path relative to ``corpus/``. Every other non-empty column is a case attribute,
except these control columns:

- ``interviewers``: speaker labels of the interviewers in that file, ``;``-separated;
- ``text_column``, ``id_column``, ``speaker_column``: for ``.csv``/``.xlsx`` files, which
  columns hold the text, the row id and the speaker;
- ``rows_are``: ``documents`` (each row a respondent, e.g. survey answers; the default
  when no speaker column is found) or ``turns`` (rows are turns of one transcript).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

from themegrid.errors import InputFileError
from themegrid.read.repair import decode_bytes
from themegrid.read.table import Unheaded, sniff_delimiter
from themegrid.spelling import same_spellings

FILE_COLUMNS = ("file", "path", "filename", "file_name", "document")
CONTROL_COLUMNS = ("interviewers", "text_column", "id_column", "speaker_column", "rows_are")


@dataclass(frozen=True)
class FileMeta:
    """What metadata.csv says about one file."""

    path: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    interviewers: tuple[str, ...] = ()
    text_column: str | None = None
    id_column: str | None = None
    speaker_column: str | None = None
    rows_are: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Metadata:
    rows: Mapping[str, FileMeta]
    warnings: tuple[str, ...] = ()
    #: The case-attribute columns, in the order of the header row.
    attribute_columns: tuple[str, ...] = ()

    def get(self, path: str) -> FileMeta | None:
        return self.rows.get(path)


def normalise_path(text: str) -> str:
    """A metadata path as stored: forward slashes, no leading './', Unicode NFC (a file
    copied from a Mac, or unzipped from a Mac's archive, has its accents decomposed:
    ``é`` as ``e`` + a combining accent, a different string that looks the same)."""
    path = text.strip().replace("\\", "/")
    if not path.isascii() and not unicodedata.is_normalized("NFC", path):
        path = unicodedata.normalize("NFC", path)
    plain = path not in ("", ".") and "//" not in path and "/./" not in path
    if plain and not path.startswith("./") and not path.endswith(("/", "/.")):
        return path  # already as PurePosixPath writes it (the common case, taken fast)
    return str(PurePosixPath(path)).removeprefix("./")


def closest_path(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate path most like ``name`` (a typo, other case, other folder), if any is close.

    A match ignoring case only wins first: the whole path, then the file name alone (the
    same file in another folder: ``interviews/p5.PDF`` finds ``P5.pdf``, never the closer
    spelled ``interviews/P8_scan.pdf``); then the closest whole path, then file name.
    """
    pool = sorted(set(candidates))
    if not pool:
        return None
    folded = {c.casefold(): c for c in pool}
    if name.casefold() in folded:
        return folded[name.casefold()]
    base = PurePosixPath(name).name.casefold()
    by_name: dict[str, str] = {}
    for c in pool:
        by_name.setdefault(PurePosixPath(c).name.casefold(), c)
    if base in by_name:
        return by_name[base]
    match = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.75)
    if match:
        return folded[match[0]]
    match = difflib.get_close_matches(base, list(by_name), n=1, cutoff=0.75)
    return by_name[match[0]] if match else None


def read_metadata(path: Path, display: str | None = None) -> Metadata:
    """Parse metadata.csv. A missing file is not an error (no attributes)."""
    display = display or str(path)
    if not path.exists():
        return Metadata({}, (f"{display}: not found; files will have no case attributes",))
    text, _notes = decode_bytes(path.read_bytes(), display)
    sample = text[:4096]
    # the table reader's choice: csv.Sniffer alone gives up on a file with one split row
    delimiter = sniff_delimiter(sample, ",;\t") if sample.strip() else ","
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=delimiter)  # its quoting
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return Metadata({}, (f"{display}: empty; files will have no case attributes",))
    header = [h.strip().lstrip("\ufeff") for h in header]
    lowered = [h.lower() for h in header]
    file_idx = next((lowered.index(c) for c in FILE_COLUMNS if c in lowered), None)
    if file_idx is None:
        raise InputFileError(
            display,
            f"line 1: no 'file' column (found: {', '.join(header) or 'nothing'}); "
            "add a first column 'file' holding each file's path relative to corpus/",
        )
    rows: dict[str, FileMeta] = {}
    warnings: list[str] = []
    named = max((i + 1 for i, h in enumerate(header) if h), default=0)
    for line_no, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        extra = tuple((i, c.strip()) for i, c in enumerate(record[named:], named) if c.strip())
        if extra:  # a cell split at an unquoted separator: the values after it are shifted
            found = Unheaded(line_no, extra[-1][0] + 1, named, extra)
            warnings.append(
                f"{display}:{line_no}: {found.describe(delimiter)}; row ignored, so "
                "no attribute is stored under the wrong column: put double quotes around "
                "that cell, or add a header for the column"
            )
            continue
        values = {lowered[i]: record[i].strip() for i in range(min(len(record), len(header)))}
        raw_path = record[file_idx].strip() if file_idx < len(record) else ""
        if not raw_path:
            warnings.append(
                f"{display}:{line_no}: no file named in column '{header[file_idx]}'; row ignored"
            )
            continue
        rel = normalise_path(raw_path)
        if rel.startswith("/") or ".." in rel.split("/") or PureWindowsPath(raw_path).drive:
            warnings.append(
                f"{display}:{line_no}: '{raw_path}' points outside corpus/; row ignored "
                "(name files by their path inside corpus/)"
            )
            continue
        if rel in rows:
            warnings.append(
                f"{display}:{line_no}: '{rel}' is described again (first on line {rows[rel].line}); "
                "the later row is used"
            )
        attributes = {
            header[i]: values[lowered[i]]
            for i in range(len(header))
            if i != file_idx and lowered[i] not in CONTROL_COLUMNS and values.get(lowered[i])
        }
        interviewers = tuple(
            s.strip() for s in values.get("interviewers", "").split(";") if s.strip()
        )
        rows[rel] = FileMeta(
            path=rel,
            attributes=attributes,
            interviewers=interviewers,
            text_column=values.get("text_column") or None,
            id_column=values.get("id_column") or None,
            speaker_column=values.get("speaker_column") or None,
            rows_are=values.get("rows_are") or None,
            line=line_no,
        )
    attribute_columns = tuple(
        header[i]
        for i in range(len(header))
        if i != file_idx and lowered[i] not in CONTROL_COLUMNS and header[i]
    )
    warnings.extend(_spelling_warnings(display, rows.values(), attribute_columns))
    return Metadata(rows, tuple(warnings), attribute_columns)


def _spelling_warnings(display: str, rows: Iterable[FileMeta], columns: Iterable[str]) -> list[str]:
    """One warning per attribute whose values differ only in capitals or spaces: the report
    counts them as one case (:func:`same_spellings`), and the researcher learns which lines."""
    rows = list(rows)
    out = []
    for column in columns:
        lines: dict[str, list[int]] = {}
        for row in rows:
            if column in row.attributes:
                lines.setdefault(row.attributes[column], []).append(row.line)
        variants = same_spellings(v for v, at in lines.items() for _ in at)
        for chosen in dict.fromkeys(variants.values()):
            others = [v for v, c in variants.items() if c == chosen]
            shown = ", ".join(f"{v!r} ({_lines(lines[v])})" for v in others)
            out.append(
                f"{display}: {column}: {shown} counted as {chosen!r} ({_lines(lines[chosen])}), "
                "as they differ only in capitals or spaces; write them the same to silence this"
            )
    return out


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:5])) + (
        f" and {len(numbers) - 5} more" if len(numbers) > 5 else ""
    )
    return ("line " if len(numbers) == 1 else "lines ") + shown


#: ``source_type`` values (case, spaces, ``_`` and ``-`` aside) naming a document review.
DOCUMENT_REVIEW_TYPES = frozenset({"document review", "document", "documents", "report"})


def is_document_review(attributes: Mapping[str, str]) -> bool:
    """Whether a file's metadata row says it is a document (``source_type`` of
    :data:`DOCUMENT_REVIEW_TYPES`): read as paragraphs, never as speaker turns."""

    def norm(value: str) -> str:
        return " ".join(re.sub(r"[_-]", " ", value).casefold().split())

    return any(
        norm(k) == "source type" and norm(v) in DOCUMENT_REVIEW_TYPES for k, v in attributes.items()
    )
