"""The rows of a coded spreadsheet: text, id, speaker, attributes and the code labels as written."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from themegrid.errors import InputFileError, Problem
from themegrid.exchange.coded.columns import Columns
from themegrid.exchange.labels import norm
from themegrid.read import table as table_reader
from themegrid.read.table import Table

#: How many row locations one message lists before "and N more".
MAX_LOCATIONS = 8


def read_coded_table(path: Path, sheet: str | None = None) -> Table:
    """A coded spreadsheet read with the one table reader, its cells stripped.

    CRLF line ends in cells become LF; an empty header cell is named ``Column N``;
    rows of survey ImportIds are left out wherever they are.
    """
    table = table_reader.read_table(path, sheet)
    if not table.header:
        raise InputFileError(str(path), "has no header row and no rows; add a header row")
    header = tuple(_clean(h) or f"Column {i + 1}" for i, h in enumerate(table.header))
    rows = tuple(
        (number, cells)
        for number, raw in table.rows
        if any(cells := tuple(_clean(c) for c in raw))
        and not all(c.startswith('{"ImportId"') for c in cells if c)
    )
    return replace(table, header=header, rows=rows)


def _clean(cell: str) -> str:
    return cell.replace("\r\n", "\n").strip()


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
