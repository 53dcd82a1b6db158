"""Spreadsheets of already-coded segments (.csv/.xlsx) into the store as a human coder's codings.

One row is one segment. Each row is its own document (survey responses; path
``imported/<file name>#<id>``), or each file is one document (a transcript, rows
are turns; path ``imported/<file name>``; text is the rows joined by blank lines so
segment offsets are exact). As in ``ingest``, rows are documents unless a file has
a speaker column (or ``document_name`` is given); ``rows_are_documents`` decides.

Code cells map to the codebook by id or by name, ignoring case and repeated
whitespace; ``parent->child``, ``parent/child``, ``parent > child`` and
``parent::child`` name a code within its parent. Everything is validated before
anything is written; the writes land in one transaction recorded as a run.

A second coder's file of the same segments attaches to the same segments: by the
id column when one is given (also across file names, for ids found exactly once),
else by document and text (a whole-file document whose text equals an earlier
import is the same document).
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from themegrid.cells import read_rows
from themegrid.codebook.model import Codebook
from themegrid.errors import InputFileError, Problem, ThemegridError, ValidationError
from themegrid.read.archive import corpus_zip_reason
from themegrid.segment.ids import segment_id
from themegrid.segment.interviewer import is_interviewer
from themegrid.store import codes as store_codes
from themegrid.store import codings as store_codings
from themegrid.store import documents as docs_store
from themegrid.store import segments as segs_store
from themegrid.store.backup import backup_before
from themegrid.store.connection import Store, dumps, now
from themegrid.store.documents import DocumentText
from themegrid.store.runs import finish_run, start_run

PREFIX = "imported/"
CODE_COLUMN_RE = re.compile(r"^(codes?|themes?)[\s_\-]*\d*$", re.I)
PATH_SPLIT_RE = re.compile(r"\s*(?:->|::|>|/)\s*")
ID_NAMES = {"responseid", "id", "segmentid", "rowid", "respondentid", "turnid"}
TEXT_NAMES = {
    "text",
    "segment",
    "segmenttext",
    "excerpt",
    "quote",
    "response",
    "answer",
    "content",
    "utterance",
}
SPEAKER_NAMES = {"speaker"}
MAX_LOCATIONS = 8


class InvalidCoder(ThemegridError):
    """The coder name is empty or reserved for the machine."""


def check_coder(name: str | None) -> str:
    """The coder name, stripped; raises InvalidCoder for empty names and 'themegrid:*'."""
    coder = " ".join((name or "").split())
    if not coder:
        raise InvalidCoder(
            "--coder: the coder name is empty; pass your name, e.g. --coder 'Ana Ruiz'"
        )
    if coder.casefold().startswith("themegrid:"):
        raise InvalidCoder(
            f"--coder {coder!r}: names starting with 'themegrid:' are reserved for machine "
            "suggestions; pass a person's name"
        )
    return coder


def norm(text: str) -> str:
    """Case- and whitespace-insensitive form used to compare labels and headers."""
    return " ".join(str(text).casefold().split())


def loose(text: str) -> str:
    """Also ignoring punctuation: 'Buy-in', 'buy in' and the id part 'buy_in' are one key."""
    return re.sub(r"[\W_]+", "_", norm(text)).strip("_")


# --- the codes a cell may name ----------------------------------------------------------


@dataclass(frozen=True)
class KnownCode:
    id: str
    name: str
    parent_id: str | None
    codable: bool
    origin: str = "codebook"


@dataclass(frozen=True)
class Resolution:
    code_id: str | None
    problem: str = ""


class CodeIndex:
    """Resolves a label written by a person (id, name or parent->child path) to a code id.

    A label matches a code's id, name or the last part of its dotted id, ignoring
    case and whitespace; failing that, also ignoring punctuation (``Buy-in`` names
    ``barriers.buy_in``).
    """

    def __init__(self, codes: Iterable[KnownCode]) -> None:
        self.codes: dict[str, KnownCode] = {}
        self._keys: dict[str, set[str]] = defaultdict(set)
        self._loose: dict[str, set[str]] = defaultdict(set)
        for code in codes:
            self.add(code)

    def add(self, code: KnownCode) -> None:
        self.codes[code.id] = code
        for key in self._code_keys(code):
            self._keys[key].add(code.id)
            self._loose[loose(key)].add(code.id)

    @staticmethod
    def _code_keys(code: KnownCode) -> set[str]:
        return {norm(code.id), norm(code.name), norm(code.id.rsplit(".", 1)[-1])}

    def _names(self, part: str, code_id: str) -> bool:
        """Whether ``part`` names this code (strictly or loosely)."""
        keys = self._code_keys(self.codes[code_id])
        return norm(part) in keys or loose(part) in {loose(k) for k in keys}

    def _matches(self, part: str, parent_id: str | bool | None) -> list[str]:
        """Codes a path element names; parent_id False means anywhere in the tree."""
        found = []
        for table, key in ((self._keys, norm(part)), (self._loose, loose(part))):
            ids = table.get(key, set())
            if parent_id is not False:
                ids = {i for i in ids if self.codes[i].parent_id == parent_id}
            if ids:
                found = sorted(ids)
                break
        # An exact id or name beats a match on the last part of a dotted id.
        exact = [i for i in found if norm(part) in (norm(i), norm(self.codes[i].name))]
        return exact or found

    def resolve(self, label: str) -> Resolution:
        found = self._matches(label, False)
        if len(found) != 1:
            parts = split_path(label)
            if len(parts) > 1:
                found = self._resolve_path(parts) or found
        if len(found) > 1:
            return Resolution(
                None, f"'{label}' is ambiguous ({', '.join(found)}); write parent->child"
            )
        if not found:
            return Resolution(None, "")
        code = self.codes[found[0]]
        if not code.codable:
            return Resolution(
                None,
                f"'{label}' is a grouping ({code.id}), not a codable code; use one of its children",
            )
        return Resolution(code.id)

    def _resolve_path(self, parts: list[str]) -> list[str]:
        out = []
        for cid in self._matches(parts[-1], False):
            chain = self._ancestors(cid)
            wanted = list(reversed(parts[:-1]))
            if len(wanted) <= len(chain) and all(
                self._names(w, c) for w, c in zip(wanted, chain, strict=False)
            ):
                out.append(cid)
        return out

    def _ancestors(self, code_id: str) -> list[str]:
        chain: list[str] = []
        parent = self.codes[code_id].parent_id
        while parent is not None and parent in self.codes and parent not in chain:
            chain.append(parent)
            parent = self.codes[parent].parent_id
        return chain

    def find_child(self, name: str, parent_id: str | None) -> str | None:
        found = self._matches(name, parent_id)
        return found[0] if len(found) == 1 else None

    def suggest(self, label: str) -> str | None:
        """The codable code a mistyped label most likely meant, if any is close."""
        want = "_".join(loose(p) for p in split_path(label))
        ids = [c.id for c in self.codes.values() if c.codable]
        keys = {loose(c): c for c in ids}
        keys |= {loose(self.codes[c].name): c for c in ids}
        keys |= {"_".join([*map(loose, self._path_names(c))]): c for c in ids}
        close = difflib.get_close_matches(want, list(keys), n=1, cutoff=0.8)
        return keys[close[0]] if close else None

    def _path_names(self, code_id: str) -> list[str]:
        return [self.codes[c].name for c in reversed(self._ancestors(code_id))] + [
            self.codes[code_id].name
        ]


def split_path(label: str) -> list[str]:
    """``'Barriers -> Funding'`` → ['Barriers', 'Funding'] (also ``::``, ``>`` and ``/``)."""
    return [p for p in PATH_SPLIT_RE.split(label.strip()) if p]


def known_codes(store: Store, codebook: Codebook) -> CodeIndex:
    """The codebook's codes plus codes created in the store by imports (``origin`` not codebook)."""
    codes = [KnownCode(c.id, c.name, c.parent_id, c.codable) for c in codebook.codes]
    codes += [
        KnownCode(c.id, c.name, c.parent_id, c.codable, c.origin)
        for c in store_codes.imported_codes(store)
        if c.id not in codebook
    ]
    return CodeIndex(codes)


def slug(text: str) -> str:
    out = re.sub(r"[^a-z0-9]+", "_", norm(text)).strip("_")
    return out or "code"


def create_code(index: CodeIndex, label: str) -> list[KnownCode]:
    """Codes to create so that ``label`` resolves; missing parents become non-codable groupings."""
    parts = split_path(label) or [label.strip()]
    created: list[KnownCode] = []
    parent: str | None = None
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if not last:
            existing = index.find_child(part, parent)
            if existing is None and depth == 0:
                existing = _unique(index._matches(part, False))
            if existing is not None:
                parent = existing
                continue
        base = f"{parent}.{slug(part)}" if parent else slug(part)
        new_id, n = base, 1
        while new_id in index.codes:
            n += 1
            new_id = f"{base}_{n}"
        code = KnownCode(new_id, " ".join(part.split()), parent, last, "import")
        index.add(code)
        created.append(code)
        parent = new_id
    return created


def _unique(ids: list[str]) -> str | None:
    return ids[0] if len(ids) == 1 else None


# --- reading a table --------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (spreadsheet row number, cells)
    sha256: str


def read_table(path: Path, sheet: str | None = None) -> Table:
    """A .csv or .xlsx as header + string cells; raises InputFileError naming the file."""
    if not path.is_file():
        raise InputFileError(str(path), "no such file; check the path")
    suffix = path.suffix.lower()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if suffix in (".csv", ".tsv", ".txt"):
        header, rows = _read_csv(path, "\t" if suffix == ".tsv" else ",")
    elif suffix in (".xlsx", ".xlsm"):
        header, rows = _read_xlsx(path, sheet)
    elif suffix == ".xls":
        raise InputFileError(
            str(path), "old .xls format; open it in Excel and save as .xlsx or CSV"
        )
    else:
        raise InputFileError(str(path), f"unsupported file type {suffix!r}; use .csv or .xlsx")
    numbered = tuple(
        (i + 2, row)
        for i, row in enumerate(rows)
        if any(row) and not all(c.startswith('{"ImportId"') for c in row if c)
    )
    return Table(path.name, tuple(header), numbered, digest)


def _read_csv(path: Path, sep: str) -> tuple[list[str], list[tuple[str, ...]]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                sep=sep,
                encoding=encoding,
                quoting=csv.QUOTE_MINIMAL,
            )
            break
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputFileError(
                str(path), f"not a readable CSV file ({exc}); save it as CSV UTF-8"
            ) from exc
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise InputFileError(str(path), "not UTF-8 or Windows-1252 text; save it as CSV UTF-8")
    header = [str(c).strip() for c in frame.columns]
    rows = [tuple(v.strip() for v in rec) for rec in frame.itertuples(index=False, name=None)]
    return header, rows


def _read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], list[tuple[str, ...]]]:
    bomb = corpus_zip_reason(path)
    if bomb:
        raise InputFileError(str(path), f"{bomb}; nothing was imported")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise InputFileError(
            str(path),
            "not an Excel workbook (.xlsx); open it in Excel and save as .xlsx, or export CSV",
        ) from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputFileError(
                str(path),
                f"no sheet named {sheet!r} (sheets: {', '.join(book.sheetnames)}); fix --sheet",
            )
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        it = iter(read_rows(ws, str(path)))
        first = next(it, None) or ()
        header = [_cell(v) or f"Column {i + 1}" for i, v in enumerate(first)]
        width = len(header)
        rows = []
        for values in it:
            cells = tuple(_cell(v) for v in values[:width])
            rows.append(cells + ("",) * (width - len(cells)))
    finally:
        book.close()
    return header, rows


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return,attr-defined]
    return str(value).replace("\r\n", "\n").strip()


# --- which column is which --------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Column names (as written in the header; matched ignoring case and spaces).

    ``code_columns`` entries may be ranges like ``"Code 1..Code 8"``. Left empty,
    the id, text, speaker and code columns are detected from their headers.
    ``attribute_columns`` entries may rename: ``"state=Q2"`` stores column Q2 as
    the case attribute ``state``.
    """

    id_column: str | None = None
    text_column: str | None = None
    speaker_column: str | None = None
    attribute_columns: tuple[str, ...] = ()
    code_columns: tuple[str, ...] = ()
    delimiter: str = ";"


@dataclass(frozen=True)
class Columns:
    id: int | None
    text: int
    speaker: int | None
    attributes: tuple[tuple[str, int], ...]  # (attribute key, column)
    codes: tuple[int, ...]


def expand_range(spec: str) -> list[str]:
    """``"Code 1..Code 8"`` → Code 1, ..., Code 8; anything else is one column name."""
    m = re.fullmatch(r"\s*(.*?)(\d+)\s*\.\.\s*(.*?)(\d+)\s*", spec)
    if not m or norm(m.group(1)) != norm(m.group(3)) or int(m.group(2)) > int(m.group(4)):
        return [spec.strip()]
    return [f"{m.group(1)}{i}" for i in range(int(m.group(2)), int(m.group(4)) + 1)]


def find_columns(table: Table, layout: Layout) -> tuple[Columns | None, list[Problem]]:
    problems: list[Problem] = []
    heads = [norm(h) for h in table.header]
    squashed = [h.replace(" ", "").replace("_", "") for h in heads]

    def named(name: str | None, option: str) -> int | None:
        if name is None:
            return None
        if norm(name) in heads:
            return heads.index(norm(name))
        problems.append(
            Problem(
                f"no column {name!r} (columns: {', '.join(table.header)}); fix {option}",
                table.name,
            )
        )
        return None

    id_col = named(layout.id_column, "--id-column")
    speaker = named(layout.speaker_column, "--speaker-column")
    attrs = tuple(
        (key, i)
        for spec in layout.attribute_columns
        for key, column in [_attribute_spec(spec, heads)]
        if (i := named(column, "--attribute-column")) is not None
    )
    if layout.code_columns:
        names = [n for spec in layout.code_columns for n in expand_range(spec)]
        codes = tuple(i for n in names if (i := named(n, "--code-columns")) is not None)
    else:
        codes = tuple(i for i, h in enumerate(table.header) if CODE_COLUMN_RE.match(h.strip()))
        if not codes:
            problems.append(
                Problem(
                    f"no code columns found (columns: {', '.join(table.header)}); "
                    "name them with --code-columns 'Code 1..Code 8' or --code-column",
                    table.name,
                )
            )
    if layout.id_column is None:
        id_col = _detect(squashed, ID_NAMES)
    if layout.speaker_column is None:
        speaker = _detect(squashed, SPEAKER_NAMES)
    taken = {id_col, speaker, *(i for _, i in attrs), *codes}
    text = named(layout.text_column, "--text-column") if layout.text_column else None
    if layout.text_column is None:
        text = _detect_text(table, squashed, taken, problems)
    if problems or text is None:
        return None, problems
    return Columns(id_col, text, speaker, attrs, codes), problems


def _attribute_spec(spec: str, heads: list[str]) -> tuple[str, str]:
    """``"state=Q2"`` → ("state", "Q2"); a plain column name keys the attribute by its header."""
    key, sep, column = spec.partition("=")
    if not sep or norm(spec) in heads:
        return _attr_key(spec), spec
    return _attr_key(key), column.strip()


def _detect(squashed: list[str], names: set[str]) -> int | None:
    hits = [i for i, h in enumerate(squashed) if h in names]
    return hits[0] if len(hits) == 1 else None


def _detect_text(
    table: Table, squashed: list[str], taken: set[int | None], problems: list[Problem]
) -> int | None:
    free = [i for i in range(len(table.header)) if i not in taken]
    named = [i for i in free if squashed[i] in TEXT_NAMES]
    if len(named) == 1:
        return named[0]
    sample = table.rows[:500]
    length = {i: sum(len(r[i]) for _, r in sample) / max(len(sample), 1) for i in free}
    ranked = sorted((i for i in free if length[i] > 0), key=lambda i: -length[i])
    if len(ranked) == 1 or (len(ranked) > 1 and length[ranked[0]] >= 2 * length[ranked[1]]):
        return ranked[0]
    problems.append(
        Problem(
            "cannot tell which column holds the text (candidates: "
            f"{', '.join(table.header[i] for i in ranked) or 'none'}); pass --text-column",
            table.name,
        )
    )
    return None


# --- parsing rows -----------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    file: str
    number: int
    row_id: str | None
    text: str
    speaker: str | None
    attributes: dict[str, str]
    labels: tuple[tuple[str, str], ...]  # (label as written, column header)


def parse_rows(table: Table, cols: Columns, delimiter: str, problems: list[Problem]) -> list[Row]:
    out: list[Row] = []
    seen_ids: dict[str, int] = {}
    for number, cells in table.rows:
        labels = tuple(
            (label.strip(), table.header[c])
            for c in cols.codes
            for label in (cells[c].split(delimiter) if delimiter else [cells[c]])
            if label.strip()
        )
        text = cells[cols.text].replace("\r\n", "\n").strip()
        if norm(text) == norm(table.header[cols.text]):
            continue  # Qualtrics repeats the question text in its second header row
        row_id = cells[cols.id] if cols.id is not None and cells[cols.id] else None
        if not text:
            if labels:
                problems.append(
                    Problem(
                        f"codes but no text in column {table.header[cols.text]!r}; add the text or clear the codes",
                        table.name,
                        where=f"row {number}",
                    )
                )
            continue
        if row_id is not None:
            if row_id in seen_ids:
                problems.append(
                    Problem(
                        f"id {row_id!r} also on row {seen_ids[row_id]}; ids must be unique in a file",
                        table.name,
                        where=f"row {number}, column {table.header[cols.id]}",  # type: ignore[index]
                    )
                )
            seen_ids[row_id] = number
        attrs = {key: cells[c] for key, c in cols.attributes if cells[c]}
        speaker = (cells[cols.speaker] or None) if cols.speaker is not None else None
        out.append(Row(table.name, number, row_id, text, speaker, attrs, labels))
    return out


def _attr_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", norm(header)).strip("_") or "attribute"


def constant_attributes(table: Table, rows: list[Row], problems: list[Problem]) -> dict[str, str]:
    """Attributes of a whole-file document: each column must hold one value."""
    values: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        for key, value in row.attributes.items():
            values[key].setdefault(value, row.number)
    out = {}
    for key, seen in values.items():
        if len(seen) > 1:
            shown = ", ".join(f"{v!r} on row {n}" for v, n in list(seen.items())[:3])
            problems.append(
                Problem(
                    f"attribute column {key!r} has different values ({shown}); a whole file is one "
                    "document, so its attributes must be constant; use --rows-are-documents",
                    table.name,
                )
            )
        out[key] = next(iter(seen))
    return out


# --- planning the writes ----------------------------------------------------------------


@dataclass
class NewDocument:
    path: str
    kind: str
    format: str
    text: str
    attributes: dict[str, str]
    segments: list[tuple[str, int, int, int, str, str | None, bool, str | None]] = field(
        default_factory=list
    )  # (id, seq, start, end, text, speaker, is_interviewer, row_id)
    existing_id: int | None = None  # set when appending to an imported document


@dataclass
class Plan:
    documents: list[NewDocument] = field(default_factory=list)
    row_segments: list[tuple[Row, str]] = field(default_factory=list)
    documents_matched: int = 0
    segments_matched: int = 0
    planned: set[str] = field(default_factory=set)
    attributes: dict[int, dict[str, str]] = field(default_factory=dict)  # by document id

    def set_attributes(self, doc_id: int, attributes: dict[str, str]) -> None:
        """Attributes named in this import for an existing document (merged when written)."""
        if attributes:
            self.attributes.setdefault(doc_id, {}).update(attributes)

    def claim(
        self, path: str, file: str, problems: list[Problem], where: str | None = None
    ) -> bool:
        """Whether ``path`` is still free in this import (two files or rows cannot both create it)."""
        if path in self.planned:
            problems.append(
                Problem(
                    f"{path} would be created twice in this import; rename the file or "
                    "import the files one at a time",
                    file,
                    where=where,
                )
            )
            return False
        self.planned.add(path)
        return True


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _doc_text(rows: Sequence[Row]) -> tuple[str, list[tuple[int, int]]]:
    spans, pos = [], 0
    for row in rows:
        spans.append((pos, pos + len(row.text)))
        pos += len(row.text) + 2
    return "\n\n".join(r.text for r in rows), spans


def plan_whole_file(
    store: Store,
    rows: list[Row],
    path: str,
    fmt: str,
    attrs: dict[str, str],
    plan: Plan,
    problems: list[Problem],
) -> None:
    text, spans = _doc_text(rows)
    digest = hashlib.sha256(text.encode()).hexdigest()
    found = docs_store.document_by_path(store, path) or docs_store.imported_document_by_hash(
        store, digest
    )
    if found:
        plan.documents_matched += 1
        _match_existing(store, found, rows, fmt, plan, problems)
        if found.path.startswith(PREFIX):
            plan.set_attributes(found.id, attrs)
        return
    if not plan.claim(path, rows[0].file, problems):
        return
    kind = "interview" if any(r.speaker for r in rows) else "table"
    doc = NewDocument(path, kind, fmt, text, attrs)
    _add_segments(doc, rows, spans, 0, Counter(), plan)
    plan.documents.append(doc)


def _add_segments(
    doc: NewDocument,
    rows: Sequence[Row],
    spans: Sequence[tuple[int, int]],
    first_seq: int,
    seen: Counter[tuple[str, str]],
    plan: Plan,
    taken: set[str] | None = None,
) -> None:
    for k, (row, (start, end)) in enumerate(zip(rows, spans, strict=True)):
        key = (row.speaker or "", _collapse(row.text))
        seg = segment_id(doc.path, key[0], key[1], seen[key])
        while taken is not None and seg in taken:
            seen[key] += 1
            seg = segment_id(doc.path, key[0], key[1], seen[key])
        seen[key] += 1
        interviewer = bool(row.speaker) and is_interviewer(row.speaker or "")
        doc.segments.append(
            (seg, first_seq + k, start, end, row.text, row.speaker, interviewer, row.row_id)
        )
        plan.row_segments.append((row, seg))


def _match_existing(
    store: Store,
    doc: DocumentText,
    rows: list[Row],
    fmt: str,
    plan: Plan,
    problems: list[Problem],
) -> None:
    """Attach rows to an existing document's segments (by id column, else by text); append the rest."""
    doc_id, path, text = doc.id, doc.path, doc.text
    segs = segs_store.segments_of_document(store, doc_id)
    by_row_id = {s.row_id: s.id for s in segs if s.row_id}
    by_text: dict[str, list[str]] = defaultdict(list)
    for s in segs:
        by_text[_collapse(s.text)].append(s.id)
    used: Counter[str] = Counter()
    rest: list[Row] = []
    for row in rows:
        key = _collapse(row.text)
        if row.row_id is not None and row.row_id in by_row_id:
            plan.row_segments.append((row, by_row_id[row.row_id]))
        elif used[key] < len(by_text[key]):
            plan.row_segments.append((row, by_text[key][used[key]]))
            used[key] += 1
        else:
            rest.append(row)
            continue
        plan.segments_matched += 1
    if not rest:
        return
    if not path.startswith(PREFIX):
        shown = ", ".join(str(r.number) for r in rest[:MAX_LOCATIONS])
        problems.append(
            Problem(
                f"rows {shown} match no segment of the corpus document {path}; "
                "their text must equal a segment's text",
                rows[0].file,
            )
        )
        return
    appended = NewDocument(path, "", fmt, "", {}, existing_id=doc_id)
    offset = len(text) + 2
    tail, spans = _doc_text(rest)
    appended.text = text + "\n\n" + tail
    seen: Counter[tuple[str, str]] = Counter()
    for s in segs:
        seen[(s.speaker or "", _collapse(s.text))] += 1
    first_seq = (segs[-1].seq + 1) if segs else 0
    moved = [(a + offset, b + offset) for a, b in spans]
    _add_segments(appended, rest, moved, first_seq, seen, plan, {s.id for s in segs})
    plan.documents.append(appended)


@dataclass(frozen=True)
class _CorpusResponse:
    """A survey response ingested from corpus/ as a document of its own."""

    path: str
    text: str
    segments: list[str]


class _ImportedRows:
    """Existing row-documents of earlier imports (by path and by row id) and corpus responses."""

    def __init__(self, store: Store) -> None:
        self.by_path: dict[str, tuple[str, str]] = {}
        self.by_row_id: dict[str, list[str]] = defaultdict(list)
        self.document_of: dict[str, int] = {}
        for r in segs_store.imported_row_segments(store):
            self.by_path[r.path] = (r.segment_id, _collapse(r.text))
            self.document_of[r.segment_id] = r.document_id
            if r.row_id:
                self.by_row_id[r.row_id].append(r.segment_id)
        self.corpus: dict[str, list[_CorpusResponse]] = defaultdict(list)
        responses: dict[int, _CorpusResponse] = {}
        for r in segs_store.corpus_response_segments(store):
            if r.document_id not in responses:
                responses[r.document_id] = _CorpusResponse(r.path, _collapse(r.text), [])
                if r.row_id:
                    self.corpus[r.row_id].append(responses[r.document_id])
            responses[r.document_id].segments.append(r.segment_id)

    def group_exists(self, prefix: str) -> bool:
        return any(p.startswith(prefix) for p in self.by_path)


def plan_rows(
    rows: list[Row], group: str, fmt: str, known: _ImportedRows, plan: Plan, problems: list[Problem]
) -> None:
    prefix = f"{group}#"
    for row in rows:
        path = prefix + (row.row_id or str(row.number))
        hit = known.by_path.get(path)
        if hit is not None and (row.row_id is not None or hit[1] == _collapse(row.text)):
            plan.row_segments.append((row, hit[0]))
            plan.set_attributes(known.document_of[hit[0]], row.attributes)
            plan.documents_matched += 1
            plan.segments_matched += 1
            continue
        if hit is not None:
            problems.append(
                Problem(
                    f"{path} was imported before with a different text; name an id column "
                    "(--id-column) so rows can be matched",
                    row.file,
                    where=f"row {row.number}",
                )
            )
            continue
        elsewhere = known.by_row_id.get(row.row_id or "", [])
        if row.row_id is not None and len(elsewhere) == 1:
            plan.row_segments.append((row, elsewhere[0]))
            plan.set_attributes(known.document_of[elsewhere[0]], row.attributes)
            plan.documents_matched += 1
            plan.segments_matched += 1
            continue
        if _attach_to_corpus(row, known, plan, problems):
            continue
        if not plan.claim(path, row.file, problems, f"row {row.number}"):
            continue
        doc = NewDocument(path, "document", fmt, row.text, dict(row.attributes))
        _add_segments(doc, [row], [(0, len(row.text))], 0, Counter(), plan)
        plan.documents.append(doc)


def _attach_to_corpus(row: Row, known: _ImportedRows, plan: Plan, problems: list[Problem]) -> bool:
    """Attach a row to the corpus response with its id; False when there is none (or several).

    The codes apply to the whole response, so to each of its segments (one, unless
    a long answer was split at sentence boundaries).
    """
    found = known.corpus.get(row.row_id or "", [])
    if len(found) != 1:
        return False
    response = found[0]
    if response.text.casefold() != _collapse(row.text).casefold():
        problems.append(
            Problem(
                f"id {row.row_id!r} is the corpus response {response.path}, but the text differs; "
                "make the text equal to the corpus file's (or remove the row)",
                row.file,
                where=f"row {row.number}",
            )
        )
        return True
    plan.row_segments += [(row, seg) for seg in response.segments]
    plan.documents_matched += 1
    plan.segments_matched += len(response.segments)
    return True


# --- the import -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    run_id: int
    coder: str
    files: int
    rows: int
    documents_created: int
    documents_matched: int
    segments_created: int
    segments_matched: int
    codings_added: int
    codings_unchanged: int
    codings_replaced: int
    codings_withdrawn: int
    views_added: int
    codes_created: tuple[KnownCode, ...] = ()
    rows_are_documents: bool = False
    documents_updated: int = 0  # existing documents given new attribute values

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {k: v for k, v in self.__dict__.items() if k != "codes_created"}
        out["codes_created"] = [c.id for c in self.codes_created]
        return out


def import_coded(
    store: Store,
    files: Sequence[Path | str],
    *,
    coder: str,
    codebook: Codebook,
    layout: Layout = Layout(),
    rows_are_documents: bool | None = None,
    document_name: str | None = None,
    add_codes: bool = False,
    sheet: str | None = None,
) -> ImportSummary:
    """Import coded spreadsheets as ``coder``'s codings. Validates everything, then writes once.

    ``rows_are_documents`` None: rows are documents unless a file has a speaker
    column or ``document_name`` is given.
    """
    coder = check_coder(coder)
    if not files:
        raise ValidationError([Problem("no files given; name one or more .csv/.xlsx files")])
    if document_name is not None and len(files) > 1:
        raise ValidationError(
            [Problem("--document-name names one document; import one file at a time with it")]
        )
    problems: list[Problem] = []
    found_columns: list[tuple[Table, Columns]] = []
    for file in files:
        table = read_table(Path(file), sheet)
        cols, found = find_columns(table, layout)
        problems += found
        if cols is not None:
            found_columns.append((table, cols))
    if rows_are_documents is None:
        rows_are_documents = document_name is None and all(
            c.speaker is None for _, c in found_columns
        )
    parsed: list[tuple[Table, list[Row], dict[str, str]]] = []
    for table, cols in found_columns:
        rows = parse_rows(table, cols, layout.delimiter, problems)
        attrs = {} if rows_are_documents else constant_attributes(table, rows, problems)
        parsed.append((table, rows, attrs))
    if problems:
        raise ValidationError(problems, f"{len(problems)} problem(s); nothing was imported")
    backup_before(store, "import-coded")
    with store.transaction():
        # Planned against the store inside the write transaction: two imports of one file
        # at once, or a concurrent 'code' run, cannot change what the plan matched.
        index = known_codes(store, codebook)
        row_codes, created = _resolve_codes(index, parsed, add_codes)
        plan = _plan(store, parsed, rows_are_documents, document_name, problems)
        if problems:
            raise ValidationError(problems, f"{len(problems)} problem(s); nothing was imported")
        run_id = start_run(store, "import-coded", codebook)
        store_codes.sync_codebook(store, codebook)
        store_codes.add_codes(
            store,
            [store_codes.NewCode(c.id, c.name, c.parent_id, c.codable, "import") for c in created],
        )
        _write_documents(store, plan)
        updated = _update_attributes(store, plan)
        counts = _write_codings(store, plan, row_codes, coder, run_id)
        summary = ImportSummary(
            run_id=run_id,
            coder=coder,
            files=len(parsed),
            rows=sum(len(r) for _, r, _ in parsed),
            documents_created=sum(1 for d in plan.documents if d.existing_id is None),
            documents_matched=plan.documents_matched,
            segments_created=sum(len(d.segments) for d in plan.documents),
            segments_matched=plan.segments_matched,
            codes_created=tuple(created),
            rows_are_documents=rows_are_documents,
            documents_updated=updated,
            **counts,
        )
        finish_run(store, run_id, summary.to_dict(), {t.name: t.sha256 for t, _, _ in parsed})
    return summary


def _resolve_codes(
    index: CodeIndex, parsed: list[tuple[Table, list[Row], dict[str, str]]], add_codes: bool
) -> tuple[dict[tuple[str, int], list[str]], list[KnownCode]]:
    """Each row's code ids; unknown labels either created (add_codes) or reported all at once."""
    cache: dict[str, Resolution] = {}
    unknown: dict[tuple[str, ...], list[str]] = defaultdict(list)
    spellings: dict[tuple[str, ...], list[str]] = defaultdict(list)
    reasons: dict[tuple[str, ...], str] = {}
    created: list[KnownCode] = []
    out: dict[tuple[str, int], list[str]] = {}
    for table, rows, _ in parsed:
        for row in rows:
            ids: list[str] = []
            for label, column in row.labels:
                key = norm(label)
                res = cache.get(key) or index.resolve(label)
                if res.code_id is None and add_codes and not res.problem:
                    created += create_code(index, label)
                    res = index.resolve(label)
                cache[key] = res
                if res.code_id is None:
                    group = tuple(loose(p) for p in split_path(label)) or (key,)
                    unknown[group].append(f"{table.name} row {row.number} column {column}")
                    if label not in spellings[group]:
                        spellings[group].append(label)
                    reasons.setdefault(group, res.problem)
                elif res.code_id not in ids:
                    ids.append(res.code_id)
            out[(row.file, row.number)] = ids
    if unknown:
        raise ValidationError(
            [
                _unknown_problem(spellings[g], where, reasons[g], index)
                for g, where in unknown.items()
            ],
            f"{len(unknown)} code(s) not in the codebook; nothing was imported. Fix the cells, "
            "add the codes to the codebook, or rerun with --add-codes",
        )
    return out, created


def _unknown_problem(labels: list[str], where: list[str], reason: str, index: CodeIndex) -> Problem:
    shown = "; ".join(where[:MAX_LOCATIONS])
    more = f" and {len(where) - MAX_LOCATIONS} more" if len(where) > MAX_LOCATIONS else ""
    what = reason or f"unknown code '{labels[0]}'"
    if len(labels) > 1:
        what += " (also written " + ", ".join(f"'{x}'" for x in labels[1:]) + ")"
    hint = "" if reason else index.suggest(labels[0])
    if hint:
        what += f"; did you mean {hint} ({index.codes[hint].name})?"
    return Problem(f"{what} (in {shown}{more})")


def _plan(
    store: Store,
    parsed: list[tuple[Table, list[Row], dict[str, str]]],
    rows_are_documents: bool,
    document_name: str | None,
    problems: list[Problem],
) -> Plan:
    plan = Plan()
    known = _ImportedRows(store) if rows_are_documents else None
    for table, rows, attrs in parsed:
        if not rows:
            continue
        fmt = Path(table.name).suffix.lstrip(".").lower()
        name = document_name or table.name
        if known is not None:
            plan_rows(rows, PREFIX + name, fmt, known, plan, problems)
            continue
        target = docs_store.document_exists(store, name)
        path = name if document_name and target else PREFIX + name
        plan_whole_file(store, rows, path, fmt, attrs, plan, problems)
    return plan


def _write_documents(store: Store, plan: Plan) -> None:
    stamp = now()
    segments = []
    for doc in plan.documents:
        digest = hashlib.sha256(doc.text.encode()).hexdigest()
        if doc.existing_id is not None:
            docs_store.replace_text(store, doc.existing_id, doc.text, digest, at=stamp)
            doc_id = doc.existing_id
        else:
            doc_id = docs_store.insert_document(
                store,
                path=doc.path,
                format=doc.format,
                kind=doc.kind,
                content_hash=digest,
                text=doc.text,
                attributes=doc.attributes,
                at=stamp,
            )
        segments += [
            segs_store.NewSegment(
                id=seg,
                document_id=doc_id,
                seq=seq,
                start=start,
                end=end,
                text=text,
                speaker=speaker,
                is_interviewer=interviewer,
                row_id=row_id,
            )
            for seg, seq, start, end, text, speaker, interviewer, row_id in doc.segments
        ]
    segs_store.insert_segments(store, segments)


def _update_attributes(store: Store, plan: Plan) -> int:
    """Merge attribute values named in this import into matched imported documents."""
    stamp, updated = now(), 0
    for doc_id, given in plan.attributes.items():
        current = docs_store.document_attributes(store, doc_id)
        wanted = {**current, **given}
        if wanted != current:
            docs_store.set_attributes(store, doc_id, wanted, at=stamp)
            updated += 1
    return updated


def _write_codings(
    store: Store, plan: Plan, row_codes: dict[tuple[str, int], list[str]], coder: str, run_id: int
) -> dict[str, int]:
    """Insert new codings, re-accept earlier rejections, withdraw codes a re-import dropped."""
    stamp = now()
    existing = store_codings.human_codings(store, coder)
    wanted: dict[tuple[str, str], str] = {}
    for row, seg in plan.row_segments:
        for code in row_codes[(row.file, row.number)]:
            wanted.setdefault((seg, code), f"imported from {row.file} row {row.number}")
    inserts, updates, unchanged = [], [], 0
    for key, reason in wanted.items():
        old = existing.get(key)
        if old is None:
            inserts.append(store_codings.HumanDecision(*key, "accepted", reason))
        elif old.status == "accepted":
            unchanged += 1
        else:
            updates.append(store_codings.HumanDecision(*key, "accepted", reason))
    touched = {seg: row for row, seg in plan.row_segments}
    withdrawn = [
        store_codings.HumanDecision(
            seg,
            code,
            "rejected",
            f"not in {touched[seg].file} row {touched[seg].number} (re-import)",
        )
        for (seg, code), old in existing.items()
        if seg in touched
        and (seg, code) not in wanted
        and old.status == "accepted"
        and old.reason.startswith("imported from ")
    ]
    store_codings.record_human_codings(
        store, coder, inserts + updates + withdrawn, run_id=run_id, at=stamp
    )
    views_added = segs_store.mark_seen(store, touched, coder, "import", at=stamp)
    return {
        "codings_added": len(inserts),
        "codings_unchanged": unchanged,
        "codings_replaced": len(updates),
        "codings_withdrawn": len(withdrawn),
        "views_added": views_added,
    }


def codes_as_yaml(codes: Sequence[KnownCode]) -> str:
    """YAML lines to paste into the codebook so codes created by an import become permanent."""
    lines = ["codes:"]
    for code in codes:
        lines.append(f"  - id: {code.id}")
        lines.append(f"    name: {dumps(code.name)}")
        if code.parent_id:
            lines.append(f"    parent: {code.parent_id}")
        if not code.codable:
            lines.append("    codable: false")
        lines.append("    definition: TODO")
    return "\n".join(lines)


__all__ = [
    "CodeIndex",
    "ImportSummary",
    "InvalidCoder",
    "KnownCode",
    "Layout",
    "check_coder",
    "codes_as_yaml",
    "import_coded",
    "known_codes",
    "read_table",
]
