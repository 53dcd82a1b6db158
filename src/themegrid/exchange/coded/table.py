"""A coded spreadsheet (.csv/.xlsx) read whole as a header and numbered string rows."""

from __future__ import annotations

import csv
import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from themegrid.cells import read_rows
from themegrid.errors import InputFileError


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
