"""Which column of a coded spreadsheet is which: named by the user or detected from headers."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from themegrid.errors import Problem
from themegrid.exchange.labels import norm
from themegrid.read.table import Table

#: Headers of columns whose cells hold code labels: ``Code 1``, ``Themes``, ``Tags``, NVivo's
#: ``Node``, QualCoder's ``Codename``, Dedoose's ``Codes Applied Combined``.
CODE_COLUMN_RE = re.compile(
    r"^(codes?|themes?|tags?|nodes?|code[\s_]?names?|codes[\s_]applied(?:[\s_]combined)?)"
    r"[\s_\-]*\d*$",
    re.I,
)
#: Dedoose's excerpt export: one ``Code: NAME Applied`` column per code, holding True/False.
DEDOOSE_CODE_RE = re.compile(r"^\s*code\s*:\s*(?P<label>.+?)\s+applied\s*$", re.I)
#: Cell values of an indicator column (one column per code) meaning "not applied" / "applied".
INDICATOR_OFF = frozenset({"0", "false", "no", "n", "f", "", "0.0"})
INDICATOR_ON = frozenset({"1", "true", "yes", "y", "t", "x", "✓", "✔", "1.0"})
ID_NAMES = {"responseid", "id", "segmentid", "rowid", "respondentid", "turnid", "lfdn"}
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
    "excerptcopy",  # Dedoose
    "quotationcontent",  # ATLAS.ti
    "quotation",
    "codedtext",
    "codedsegment",
}
SPEAKER_NAMES = {"speaker"}
#: Cell values that mean "this row has no code" (compared ignoring case, spaces and punctuation).
NO_CODE_MARKERS = (
    "not codable",
    "not codeable",
    "not answered",
    "-",
    "n/a",
    "none",
)


@dataclass(frozen=True)
class Layout:
    """Column names (as written in the header; matched ignoring case and spaces).

    ``code_columns`` entries may be ranges: ``"Code 1..Code 8"`` (numbered) or
    ``"Funding..Staffing"`` (every column from the first to the last, inclusive).
    A named code column whose cells all hold 0/1, TRUE/FALSE, yes/no, x or ✓ (or
    counts with a 0 among them) is an indicator column: its header is the code.
    Left empty, the id, text, speaker and code columns are detected from their
    headers (Dedoose's ``Code: NAME Applied`` columns are indicator columns).
    ``attribute_columns`` entries may rename: ``"state=Q2"`` stores column Q2 as
    the case attribute ``state``; one name given several columns (``problem=v_246``,
    ``problem=v_247``) takes, in each file, the first of them its header has. Code cells equal to one of ``no_code_markers``
    (ignoring case, spaces and punctuation) are no code.
    """

    id_column: str | None = None
    text_column: str | None = None
    #: Files that name their text column differently (one import of several survey
    #: questions): each file's text is the first of these its header has.
    text_column_choices: tuple[str, ...] = ()
    speaker_column: str | None = None
    attribute_columns: tuple[str, ...] = ()
    code_columns: tuple[str, ...] = ()
    delimiter: str = ";"
    no_code_markers: tuple[str, ...] = NO_CODE_MARKERS
    long: bool = False  # fold rows repeating a text even without an id column


@dataclass(frozen=True)
class Columns:
    id: int | None
    text: int
    speaker: int | None
    attributes: tuple[tuple[str, int], ...]  # (attribute key, column)
    codes: tuple[int, ...]  # columns whose cells hold code labels
    indicators: tuple[tuple[int, str], ...] = ()  # (column, code label): one column per code
    #: what was found otherwise than asked, said in the summary: (what, this file's detail);
    #: the importer says each ``what`` once, with the files it is true of
    notes: tuple[tuple[str, str], ...] = ()


def expand_range(spec: str, header: Sequence[str] = ()) -> list[str]:
    """``"Code 1..Code 8"`` → Code 1, ..., Code 8; ``"Funding..Staffing"`` (both in
    ``header``) → the columns from Funding to Staffing; anything else is one column name."""
    first, sep, last = spec.partition("..")
    heads = [norm(h) for h in header]
    if sep and norm(first) in heads and norm(last) in heads:
        a, b = heads.index(norm(first)), heads.index(norm(last))
        if a <= b:
            return list(header[a : b + 1])
    m = re.fullmatch(r"\s*(.*?)(\d+)\s*\.\.\s*(.*?)(\d+)\s*", spec)
    if not m or norm(m.group(1)) != norm(m.group(3)) or int(m.group(2)) > int(m.group(4)):
        return [spec.strip()]
    return [f"{m.group(1)}{i}" for i in range(int(m.group(2)), int(m.group(4)) + 1)]


def indicator_value(cell: str) -> bool | None:
    """An indicator cell as applied (True) or not (False); None when it is no indicator
    value. Counts (``2``, ``3``) are applied."""
    key = norm(cell)
    if key in INDICATOR_OFF:
        return False
    if key in INDICATOR_ON or (key.isdigit() and int(key) > 0):
        return True
    return None


def _is_indicator(table: Table, column: int) -> bool:
    """Whether every cell of ``column`` is an indicator value: only 0/1-like values, or
    whole-number counts with a 0 among them (``1``, ``2``, ``8`` alone are code labels)."""
    values = {norm(cells[column]) for _, cells in table.rows} - {""}
    if not values or any(indicator_value(v) is None for v in values):
        return False
    counts = {v for v in values if v.isdigit() and v not in INDICATOR_ON}
    return not counts or bool(values & INDICATOR_OFF)


def dedoose_indicators(header: Sequence[str]) -> tuple[tuple[int, str], ...]:
    """(column, code label) of each Dedoose ``Code: NAME Applied`` column."""
    return tuple(
        (i, m.group("label").strip())
        for i, h in enumerate(header)
        if (m := DEDOOSE_CODE_RE.match(h))
    )


def _indicator_label(header: str) -> str:
    m = DEDOOSE_CODE_RE.match(header)
    return m.group("label").strip() if m else header.strip()


def find_columns(
    table: Table, layout: Layout, names_code: Callable[[str], bool] | None = None
) -> tuple[Columns | None, list[Problem]]:
    """The columns of ``table``, as ``layout`` names them or detected from the headers.

    Without code columns named or detected, the indicator columns whose headers
    ``names_code`` accepts (a code of the codebook) are the code columns.
    """
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
    choices: dict[str, list[str]] = {}
    for spec in layout.attribute_columns:
        key, column = _attribute_spec(spec, heads)
        choices.setdefault(key, []).append(column)
    found: list[tuple[str, int]] = []
    notes: list[tuple[str, str]] = []
    for key, columns in choices.items():
        if len(columns) == 1:
            i = named(columns[0], "--attribute-column")
        else:  # files that name the column differently: each uses the first it has
            present = [heads.index(norm(c)) for c in columns if norm(c) in heads]
            i = present[0] if present else None
            if i is None:  # a file of another question, without it: its rows get no value
                notes.append(
                    (
                        f"none of the columns {', '.join(map(repr, columns))} given for the "
                        f"attribute {key!r}, so their rows have no {key!r} (in the matrices: "
                        f"'(none)'); add a file's column to --attribute-column {key}=COLUMN "
                        "if it has one",
                        table.name,
                    )
                )
        if i is not None:
            found.append((key, i))
    attrs = tuple(found)
    indicators: tuple[tuple[int, str], ...] = ()
    if layout.code_columns:
        names = [n for spec in layout.code_columns for n in expand_range(spec, table.header)]
        chosen = [i for n in names if (i := named(n, "--code-columns")) is not None]
        indicators = tuple(
            (i, _indicator_label(table.header[i]))
            for i in chosen
            if not CODE_COLUMN_RE.match(table.header[i].strip()) and _is_indicator(table, i)
        )
        codes = tuple(i for i in chosen if i not in dict(indicators))
    else:
        indicators = dedoose_indicators(table.header)
        codes = ()
        if not indicators:  # Dedoose's "Codes Applied Combined" repeats its indicator columns
            codes = tuple(i for i, h in enumerate(table.header) if CODE_COLUMN_RE.match(h.strip()))
        if not codes and not indicators and names_code is not None:
            # one 0/1 column per code, headed by the codebook's codes (``Funding``, ``Staffing``)
            indicators = tuple(
                (i, h.strip())
                for i, h in enumerate(table.header)
                if h.strip() and names_code(h) and _is_indicator(table, i)
            )
        if not codes and not indicators:
            problems.append(
                Problem(
                    f"no code columns found (columns: {', '.join(table.header)}); "
                    "name them with --code-columns 'Code 1..Code 8' or --code-column"
                    + _indicator_hint(table)
                    + "; if this file holds no coding, leave it out of the import",
                    table.name,
                )
            )
    if layout.id_column is None:
        id_col = _detect(squashed, ID_NAMES)
    if layout.speaker_column is None:
        speaker = _detect(squashed, SPEAKER_NAMES)
    taken = {id_col, speaker, *(i for _, i in attrs), *codes, *(i for i, _ in indicators)}
    text = named(layout.text_column, "--text-column") if layout.text_column else None
    if layout.text_column is None and layout.text_column_choices:
        present = [heads.index(norm(n)) for n in layout.text_column_choices if norm(n) in heads]
        text = present[0] if present else None
        if not present:  # a file the options did not think of: found as without them
            unsure: list[Problem] = []
            text = _detect_text(table, squashed, taken, unsure)
            if text is None:
                problems.append(
                    Problem(
                        "none of the text columns "
                        f"{', '.join(map(repr, layout.text_column_choices))} (columns: "
                        f"{', '.join(table.header)}); add this file's to --text-column",
                        table.name,
                    )
                )
            else:
                notes.append(
                    (
                        "none of the --text-column columns, so the text column was found from "
                        "the cells (name a file's with --text-column if it is another)",
                        f"{table.name}: {table.header[text]!r}",
                    )
                )
    elif layout.text_column is None:
        text = _detect_text(table, squashed, taken, problems)
    if problems or text is None:
        return None, problems
    return Columns(id_col, text, speaker, attrs, codes, indicators, tuple(notes)), problems


def _indicator_hint(table: Table) -> str:
    """The columns that look like one column per code (0/1, TRUE/FALSE, x), as an option."""
    found = [
        i
        for i in range(len(table.header))
        if _is_indicator(table, i) and len({cells[i] for _, cells in table.rows}) > 1
    ]  # a column holding one value throughout (Qualtrics' Finished) tells nothing
    if not found:
        return ""
    names = [table.header[i] for i in found]
    runs = f"'{names[0]}..{names[-1]}'" if found == list(range(found[0], found[-1] + 1)) else ""
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    example = runs or " ".join(f"'{n}'" for n in names[:3])
    return (
        f"; columns {shown} hold only 0/1, TRUE/FALSE or x (one column per code): "
        f"if they are codes, pass --code-columns {example}"
    )


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


def _attr_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", norm(header)).strip("_") or "attribute"


def attribute_key(column: str) -> str:
    """The case-attribute key a plain ``--attribute-column`` name is stored under."""
    return _attr_key(column)
