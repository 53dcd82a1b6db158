"""Coded quotes: a table of document, code and quote, anchored in documents already ingested.

QDA tools export their coding as such a table; MAXQDA's "Coded Segments" export has
the columns *Document name*, *Code* (a path, ``Parent > Child``) and *Segment* (the
coded text), among others (Color, Document group, Beginning, End, Weight score,
Created, ...; the document variables follow when they are exported too, repeating
*Document name*: the first one counts). MAXQDA names the columns in its interface
language; a German export's *Dokumentname* is read as *Document name* (*Code* and
*Segment* are the same words in both). Headers in a language themegrid does not know
are found from the cells (the column naming project documents, the one with the long
text, the label column after the document's), and the summary says so; or the user
names them (``--document-column``, ``--code-column``, ``--quote-column``). The other
tools' exports name the same three columns their own way (:data:`ALIASES`: ATLAS.ti's
quotations, Taguette's highlights, Dedoose's excerpts with one ``Code: NAME Applied``
column per code, QualCoder's coding report, NVivo's coding tables), a code cell may
hold several codes (one per line or
``;``-separated), title lines above the header are skipped, and an NVivo node export
(.docx/.txt) is read by :mod:`themegrid.exchange.nvivo`.
``themegrid import quotes FILE --coder NAME`` reads a table from a PDF
(each text piece goes to the column whose header it stands under; wrapped lines
continue the row above)
or from ``.xlsx``/``.csv`` through the one table reader.

Each row's document is found by name among the project's documents (``P4`` names
``P4.pdf``); its quote is searched in that document's stored text, comparing with runs
of whitespace as one space and a line-break hyphen ("pre- computed") as the hyphen
alone, because the export wraps lines where the transcript does not. A quote found
exactly once gets its exact character offsets; one found nowhere, or more than once,
is listed and left out, never guessed. The coding lands on every segment the quote
overlaps (but a quote that also covers another speaker's turns leaves the interviewer's
turns uncoded: :mod:`themegrid.exchange.turns`), as a human accepted coding by the coder
whose span is the part of the quote inside that segment (two quotes of one code in one
segment: one coding covering both). All writes are one transaction; ``--add-codes`` creates unknown codes (their
path's parents as groupings) and writes them to ``codebook/imported_<coder>.yaml``,
replacing an untouched template codebook as ``import-coded`` does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from themegrid.codebook.files import template_to_replace
from themegrid.errors import InputFileError, MissingDependency, Problem, ValidationError
from themegrid.exchange import nvivo
from themegrid.exchange.coded.codes import create_code
from themegrid.exchange.coded.columns import dedoose_indicators, indicator_value
from themegrid.exchange.coded.outputs import write_outputs
from themegrid.exchange.coded.rows import split_labels
from themegrid.exchange.labels import KnownCode, check_coder, known_codes, norm
from themegrid.exchange.turns import coded_turns
from themegrid.project import Project
from themegrid.read.table import Table, header_below_title, read_table, refuse_unheaded
from themegrid.store import codes as store_codes
from themegrid.store import codings as store_codings
from themegrid.store import documents as docs_store
from themegrid.store import segments as segs_store
from themegrid.store.backup import backup_before
from themegrid.store.connection import now
from themegrid.store.runs import finish_run, start_run

COMMAND = "import quotes"
#: The columns of a coded-quotes table (MAXQDA's names), matched ignoring case.
COLUMNS = ("Document name", "Code", "Segment")
#: The three columns as MAXQDA names them in each interface language whose words are
#: confirmed: English from MAXQDA's manual (Color, Document group, Document name, Code,
#: Begin, End, Weight score, Segment, Comment, Modified by, Modified, Created by, Created,
#: Area, Coverage %); German from a researcher's script reading a real German export
#: (Farbe, Dokumentgruppe, Dokumentname, Code, Segment, Erstellt am). Spanish, French and
#: the other interface languages could not be confirmed from a public source, so their
#: words are not listed: such a table is read by its cells (:func:`detect_columns`) or
#: by naming its columns (:class:`QuoteColumns`).
MAXQDA_HEADERS = {
    "English": ("Document name", "Code", "Segment"),
    "German": ("Dokumentname", "Code", "Segment"),
}
#: Each column's names in the exports of the QDA tools, in order of preference (the first
#: name found wins; of several columns with that name, the first): MAXQDA (English and
#: German), ATLAS.ti's Quotation Manager (Document, Codes, Quotation Content), Taguette's
#: highlights (document, tag_full_path or tag, content), Dedoose's excerpts (Media Title,
#: Codes Applied Combined, Excerpt Copy), QualCoder's coding report (File or Filename,
#: Codename, Coded) and NVivo coding tables (File, Node, Coded text, Text).
ALIASES: dict[str, tuple[str, ...]] = {
    "Document name": (
        "Document name",
        "Dokumentname",
        "Document",
        "Media Title",
        "File",
        "File name",
        "Filename",
        "File/case",  # QualCoder's coding report as .xlsx
        "Source",
    ),
    "Code": (
        "Code",
        "Codes",
        "tag_full_path",
        "tag",
        "tags",
        "Codename",
        "Code name",
        "Node",
        "Codes Applied Combined",
    ),
    "Segment": (
        "Segment",
        "Quotation Content",
        "Quotation",
        "content",
        "Excerpt Copy",
        "Excerpt",
        "Coded text",
        "Coded",  # QualCoder's coding report
        "Text",
        "Quote",
    ),
}
#: QualCoder's coding report (``report_codes.py``: File (or Case, Filename) / File/case,
#: Coder, Coded, Id, Codename, Coded_Memo, Category..., FileVar_..., CaseVar_...).
#: A table whose Coder column names several coders is refused: one --coder per import.
CODER_COLUMN = "coder"
#: QualCoder's coding report: the code's categories, nearest first, one column each.
QUALCODER_CATEGORY = "category"
#: QualCoder's coding report: the coding's id; image and audio/video codings have no text.
QUALCODER_ID = "id"
QUALCODER_NOT_TEXT = ("imid:", "avid:")
#: Share of a column's filled cells that must name a project document for it to be the
#: document column when the headers are not known.
DOCUMENT_SHARE = 0.9
#: A document id before the name, as ATLAS.ti numbers documents (``D3: Interview 3``).
DOCUMENT_NUMBER = re.compile(r"^\s*[A-Za-z]{0,2}\s?\d+\s*:\s*")
#: Extensions of the documents a QDA tool holds: ``P1.docx`` there may be ``P1.txt`` here.
DOCUMENT_SUFFIXES = frozenset({".docx", ".doc", ".pdf", ".txt", ".rtf", ".odt", ".md", ".html"})
#: How many left-out quotes a summary names before "and N more".
SHOWN = 10


@dataclass(frozen=True)
class QuoteRow:
    number: int  # the table row (PDF: the n-th row of the table)
    document: str
    code: str
    quote: str


@dataclass(frozen=True)
class QuoteColumns:
    """The document, code and quote columns of a table, named by the user (headers, matched
    ignoring case and spaces); ``None``: found from the headers or the cells."""

    document: str | None = None
    code: str | None = None
    quote: str | None = None

    def given(self) -> bool:
        return any((self.document, self.code, self.quote))


@dataclass(frozen=True)
class QuotesSummary:
    file: str
    coder: str
    rows: int
    quotes_found: int  # rows whose quote was found exactly once in their document
    codings: int
    segments: int
    documents: tuple[str, ...]
    codes_added: tuple[str, ...]
    not_found: tuple[str, ...]  # "row N (document): why", every left-out row
    codebook_file: str | None
    template_replaced: bool
    run_id: int
    complete: bool = False  # the table holds every coding of its documents (--complete)
    uncoded: int = 0  # rows with a quote but no code (a Taguette highlight without a tag)
    not_text: int = 0  # codings of an image or audio/video (QualCoder's report): no quote
    #: the (document, code, quote) headers read; ``detected`` when found from the cells
    columns: tuple[str, ...] = ()
    detected: bool = False
    #: quotes that also cover interviewer turns, coded on the other speakers' turns only
    #: (``code_interviewer_turns``: on every turn; then counted all the same)
    with_interviewer: int = 0
    interviewer_turns_left: int = 0  # the interviewer turns those quotes cover, left uncoded
    interviewer_only: int = 0  # quotes wholly in interviewer turns: coded there
    code_interviewer_turns: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            **self.__dict__,
            "documents": list(self.documents),
            "codes_added": list(self.codes_added),
            "not_found": list(self.not_found),
            "columns": list(self.columns),
        }

    def lines(self) -> list[str]:
        out = [
            f"Imported {self.file} as {self.coder}'s codings (run {self.run_id}):",
            f"  {self.rows} coded quote(s); {self.quotes_found} found exactly once in their "
            f"document's text, {len(self.not_found)} left out (listed below, not guessed)",
            f"  {self.codings} human accepted coding(s) on {self.segments} segment(s) of "
            f"{len(self.documents)} document(s), each with the quote's exact offsets",
        ]
        if self.columns:
            doc, code, quote = (repr(c) for c in self.columns)
            how = (
                "found from the cells (the headers are not ones themegrid knows): check them,"
                " or name them with --document-column, --code-column, --quote-column"
                if self.detected
                else "by their headers"
            )
            out.append(f"  columns: document {doc}, code {code}, quote {quote}, {how}")
        if self.with_interviewer and self.code_interviewer_turns:
            out.append(
                f"  {self.with_interviewer} quote(s) also cover interviewer turns: coded on every"
                " turn they cover (--code-interviewer-turns)"
            )
        elif self.with_interviewer:
            out.append(
                f"  {self.with_interviewer} quote(s) also cover interviewer turns (a question"
                " selected with its answer): coded on the other speakers' turns only,"
                f" {self.interviewer_turns_left} interviewer turn(s) left uncoded;"
                " --code-interviewer-turns codes them too"
            )
        if self.interviewer_only:
            out.append(
                f"  {self.interviewer_only} quote(s) lie wholly in interviewer turns: coded there"
                " (they count in the matrix like any coding)"
            )
        if self.uncoded:
            out.append(f"  {self.uncoded} row(s) with a quote but no code left out")
        if self.not_text:
            out.append(f"  {self.not_text} coding(s) of an image or audio/video left out (no text)")
        if self.codes_added:
            out.append(
                f"  codes: {len(self.codes_added)} added to {self.codebook_file} (no cues yet)"
            )
        if self.template_replaced:
            out.append(
                "  The codebook was still the untouched template: its example codes were removed."
            )
        out.append(
            "  --complete: every segment of these documents counts as seen by the coder (an"
            " uncoded one is a negative for the model and evaluate)"
            if self.complete
            else "  only the coded segments count as seen by the coder; if the table holds every"
            " coding of its documents (not an export filtered by code), re-import with --complete"
            " so their uncoded segments teach the model too"
        )
        out += [f"  left out: {r}" for r in self.not_found[:SHOWN]]
        if len(self.not_found) > SHOWN:
            out.append(f"  ... and {len(self.not_found) - SHOWN} more")
        return out


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteTable:
    """A coded-quotes table as read: its rows (code ``""``: a quote without a code), the
    (document, code, quote) headers read, whether they were found from the cells, and how
    many codings were of an image or audio/video (no text to anchor)."""

    rows: list[QuoteRow]
    columns: tuple[str, ...] = ()
    detected: bool = False
    not_text: int = 0
    coders: tuple[str, ...] = ()  # the coders a Coder column names (QualCoder's report)


def read_quote_rows(
    path: Path,
    columns: QuoteColumns = QuoteColumns(),
    names_document: Callable[[str], bool] | None = None,
    in_document: Callable[[str, str], bool] | None = None,
) -> list[QuoteRow]:
    """The rows of a coded-quotes table (PDF, .xlsx or .csv), or of an NVivo node export
    (.docx, or .txt in its layout: :mod:`themegrid.exchange.nvivo`): one per quote and code.

    A code cell may hold several codes, one per line or separated by ``;`` (the row then
    gives one QuoteRow per code, all with its row number); Dedoose's ``Code: NAME Applied``
    columns (True/False) name a row's codes when there is no code column; QualCoder's
    ``Category`` columns (nearest category first) make the code a path, top category first.
    Rows with a quote but no code (a Taguette highlight without a tag) are left out.
    ``columns`` names the three columns; ``names_document`` (is this a project document's
    name?) lets headers in no language themegrid knows be found from the cells
    (:func:`detect_columns`, with ``in_document``: is this text in that document?).
    """
    return [r for r in read_quotes(path, columns, names_document, in_document).rows if r.code]


def read_quotes(
    path: Path,
    columns: QuoteColumns = QuoteColumns(),
    names_document: Callable[[str], bool] | None = None,
    in_document: Callable[[str, str], bool] | None = None,
) -> QuoteTable:
    """:func:`read_quote_rows` with the rows that have a quote but no code, the columns read
    and the codings without text."""
    if path.suffix.lower() == ".pdf":
        return _pdf_rows(path, columns, names_document)
    if path.suffix.lower() == ".docx" or (
        path.suffix.lower() == ".txt" and nvivo.is_node_export(path.read_text(errors="replace"))
    ):
        return QuoteTable(
            [QuoteRow(r.number, r.document, r.code, r.quote) for r in nvivo.node_references(path)]
        )
    # a report's title lines above the header are not the header (the code may be columns)
    table = header_below_title(
        read_table(path),
        lambda cells: all(
            _column([norm(c) for c in cells], c, columns) is not None
            for c in ("Document name", "Segment")
        ),
    )
    have = [norm(h) for h in table.header]
    for name, option in zip(
        (columns.document, columns.code, columns.quote), OPTIONS.values(), strict=True
    ):
        if name is not None and norm(name) not in have:
            raise InputFileError(
                str(path),
                f"has no column {name!r} (columns: {', '.join(table.header)}); fix {option}",
            )
    found = {c: _column(have, c, columns) for c in COLUMNS}
    indicators = dedoose_indicators(table.header)
    # Dedoose's "Codes Applied Combined" repeats its Code: ... Applied columns: those win
    if indicators and (found["Code"] is None or have[found["Code"]] == "codes applied combined"):
        found["Code"] = -1
    detected = False
    if None in found.values() and not columns.given() and names_document is not None:
        known = (found["Document name"], found["Code"], found["Segment"])
        by_cells = detect_columns(table, names_document, in_document, known)
        if by_cells is not None:
            found, detected = dict(zip(COLUMNS, by_cells, strict=True)), True
    missing = [c for c, i in found.items() if i is None]
    if missing:
        named = ", ".join(
            f"{m!r} (or {' / '.join(repr(a) for a in ALIASES[m][1:4])})" for m in missing
        )
        raise InputFileError(
            str(path),
            f"has no column {named} (columns: {', '.join(table.header)}); export the coded "
            "segments or quotations with the document, code and quote columns, or name the "
            "columns with " + ", ".join(f"{o} HEADER" for o in OPTIONS.values()),
        )
    doc_col, code_col, quote_col = (found[c] for c in COLUMNS)
    assert doc_col is not None and code_col is not None and quote_col is not None
    categories = [i for i, h in enumerate(have) if h == QUALCODER_CATEGORY]
    ids = have.index(QUALCODER_ID) if QUALCODER_ID in have else None
    coder_col = have.index(CODER_COLUMN) if CODER_COLUMN in have else None
    used = {doc_col, code_col, quote_col, ids, coder_col, *categories, *(i for i, _ in indicators)}
    refuse_unheaded(str(path), table, used)
    out = []
    not_text = 0
    for number, cells in table.rows:
        if ids is not None and cells[ids].strip().startswith(QUALCODER_NOT_TEXT):
            not_text += 1
            continue
        if not cells[quote_col].strip():
            continue
        if code_col >= 0:
            codes = split_labels(cells[code_col], ";")  # ATLAS.ti: one code per line
            path_above = [cells[i].strip() for i in reversed(categories) if cells[i].strip()]
            if path_above and len(codes) == 1:
                codes = [" > ".join([*path_above, codes[0]])]
        else:
            codes = [label for i, label in indicators if indicator_value(cells[i])]
        out += [
            QuoteRow(number, cells[doc_col].strip(), c, cells[quote_col]) for c in codes or [""]
        ]
    heads = tuple(
        table.header[i] if i >= 0 else "Code: NAME Applied" for i in (doc_col, code_col, quote_col)
    )
    coders: tuple[str, ...] = ()
    if CODER_COLUMN in have:
        at = have.index(CODER_COLUMN)
        coders = tuple(sorted({v for _, cells in table.rows if (v := cells[at].strip())}))
    return QuoteTable(out, heads, detected, not_text, coders)


#: The options naming each column (the CLI's; the library takes a :class:`QuoteColumns`).
OPTIONS = {
    "Document name": "--document-column",
    "Code": "--code-column",
    "Segment": "--quote-column",
}


def _column(header: list[str], name: str, columns: QuoteColumns = QuoteColumns()) -> int | None:
    """The column named for ``name`` in ``columns``, else the first column of ``header``
    (normalised) with the first of ``name``'s aliases found."""
    given = dict(zip(COLUMNS, (columns.document, columns.code, columns.quote), strict=True))[name]
    for alias in (given,) if given else ALIASES[name]:
        if norm(alias) in header:
            return header.index(norm(alias))
    return None


def detect_columns(
    table: Table,
    names_document: Callable[[str], bool],
    in_document: Callable[[str, str], bool] | None = None,
    known: tuple[int | None, int | None, int | None] = (None, None, None),
) -> tuple[int, int, int] | None:
    """The (document, code, quote) columns of a table whose headers themegrid does not know
    (MAXQDA in an interface language not in :data:`MAXQDA_HEADERS`), from its cells; None
    unless each is clear.

    The document column is the first whose filled cells (at least :data:`DOCUMENT_SHARE`
    of them) name project documents. The quote column is, of the columns whose cells are
    mostly (half or more of the first :data:`SAMPLE` rows) found in their row's document
    (``in_document(document, text)``), the one with the longest cells; without
    ``in_document``, the column with the longest cells, twice as long as any other's. The
    code column is the one right after the document column (MAXQDA's order: Document
    name, Code) when its cells are labels (filled, short, more than one value, neither
    numbers nor dates); else, of the label columns whose values repeat (codes do, a
    comment on every row does not), the one with the most different values (a coder or
    document-group column has few), none if two have as many. A column ``known`` (found
    by its header) is kept and not considered for the others.
    """
    rows = [cells for _, cells in table.rows]
    width = len(table.header)
    if not rows:
        return None

    def filled(i: int) -> list[str]:
        return [v for r in rows if (v := r[i].strip())]

    taken = {i for i in known if i is not None}
    docs = (
        [known[0]]
        if known[0] is not None
        else [
            i
            for i in range(width)
            if i not in taken
            and (vals := filled(i))
            and sum(map(names_document, vals)) >= DOCUMENT_SHARE * len(vals)
        ]
    )
    if not docs:
        return None
    doc = docs[0]
    taken.add(doc)
    length = {i: sum(len(r[i]) for r in rows) / len(rows) for i in range(width) if i not in taken}
    quote = known[2] if known[2] is not None else _quote_column(rows, doc, length, in_document)
    if quote is None:
        return None

    def labels(i: int) -> bool:
        vals = filled(i)
        return (
            len(vals) >= DOCUMENT_SHARE * len(rows)
            and len({norm(v) for v in vals}) > 1
            and sum(map(len, vals)) / len(vals) <= LABEL_LENGTH
            and not any(NUMBER_OR_DATE.match(v) for v in vals)
        )

    if known[1] is not None:
        return doc, known[1], quote
    after = doc + 1
    if after < width and after not in (*taken, quote) and labels(after):
        return doc, after, quote
    kinds = {
        i: len(values)
        for i in range(width)
        if i not in (*taken, quote)
        and labels(i)
        and len(values := {norm(v) for v in filled(i)}) < len(filled(i))
    }
    most = [i for i in kinds if kinds[i] == max(kinds.values(), default=0)]
    return (doc, most[0], quote) if len(most) == 1 else None


def _quote_column(
    rows: list[tuple[str, ...]],
    doc: int,
    length: dict[int, float],
    in_document: Callable[[str, str], bool] | None,
) -> int | None:
    """:func:`detect_columns`' quote column among the columns of ``length`` (their mean
    cell length), or None."""
    if in_document is not None:
        sample = rows[:SAMPLE]
        quoted = [
            i
            for i in length
            if 2 * sum(bool(r[i].strip()) and in_document(r[doc], r[i]) for r in sample)
            >= len(sample)
        ]
        ranked = sorted(quoted, key=lambda i: -length[i])
        if not ranked or (len(ranked) > 1 and length[ranked[0]] == length[ranked[1]]):
            return None
    else:
        ranked = sorted((i for i in length if length[i] > 0), key=lambda i: -length[i])
        if not ranked or (len(ranked) > 1 and length[ranked[0]] < 2 * length[ranked[1]]):
            return None
    return ranked[0]


#: How many rows :func:`detect_columns` checks against the documents' text.
SAMPLE = 200
#: A code label is short; a cell holding a number or a date is no code label.
LABEL_LENGTH = 200
NUMBER_OR_DATE = re.compile(r"^[\d.,:%/\s-]+$|^\d{4}-\d{2}-\d{2}")


def _pdf_rows(
    path: Path,
    columns: QuoteColumns = QuoteColumns(),
    names_document: Callable[[str], bool] | None = None,
) -> QuoteTable:
    """The table's rows from the PDF's text pieces and where they stand: a piece under
    the *Document name* header starts a row, one under *Code* or *Segment* continues
    that cell of the row above (wrapped lines). The header is MAXQDA's in a language of
    :data:`MAXQDA_HEADERS`, or the three columns ``columns`` names; else (headers in
    another language) the first three pieces side by side on one line, none of them a
    document's name, with a project document's name (``names_document``) below the first."""
    try:
        import pypdf
    except ImportError as exc:
        raise MissingDependency("Reading coded quotes from .pdf", "pypdf", "pdf") from exc
    pieces: list[tuple[float, float, str]] = []  # (x, y, text)

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            pieces.append((tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5], text))

    try:
        reader = pypdf.PdfReader(str(path))
        for page in reader.pages:
            page.extract_text(visitor_text=visit)
    except Exception as exc:
        raise InputFileError(
            str(path), f"is not a readable PDF ({type(exc).__name__}); re-export it"
        ) from exc
    names = [norm(p) for _, _, p in pieces]
    named = (columns.document, columns.code, columns.quote)
    headers = [[norm(c) for c in names] for names in MAXQDA_HEADERS.values()]
    if all(named):
        headers.insert(0, [norm(str(c)) for c in named])
    head = next(
        (i for i in range(len(names) - 2) if names[i : i + 3] in headers),
        None,
    )
    detected = False
    if head is None and not any(named) and names_document is not None:
        head = next(
            (i for i in range(len(pieces) - 3) if _pdf_header(pieces, i, names_document)), None
        )
        detected = head is not None
    if head is None:
        raise InputFileError(
            str(path),
            "has no table with the columns 'Document name' ('Dokumentname'), 'Code' and "
            "'Segment'; export MAXQDA's Coded Segments table (or pass it as .xlsx), or name "
            "its three column headers with --document-column, --code-column and --quote-column",
        )
    code_x, seg_x = pieces[head + 1][0], pieces[head + 2][0]
    rows: list[list[str]] = []  # [document, code, quote pieces...]
    for x, _, text in pieces[head + 3 :]:
        if x < code_x - 2:
            rows.append([text.strip(), ""])
        elif not rows:
            continue
        elif x < seg_x - 2:
            rows[-1][1] += " " + text
        else:
            rows[-1].append(text)
    found = [
        QuoteRow(n, r[0], " ".join(r[1].split()), "\n".join(p.strip() for p in r[2:]))
        for n, r in enumerate(rows, 1)
    ]
    return QuoteTable(found, tuple(pieces[head + k][2].strip() for k in range(3)), detected)


def _pdf_header(
    pieces: list[tuple[float, float, str]], i: int, names_document: Callable[[str], bool]
) -> bool:
    """Whether ``pieces[i : i + 3]`` is a Coded Segments table's header in any language:
    three pieces left to right on one line, none a document's name, and below the first
    one a project document's name (the first row)."""
    (x0, y0, t0), (x1, y1, _), (x2, y2, _), (x3, _, t3) = pieces[i : i + 4]
    return (
        abs(y1 - y0) < 1
        and abs(y2 - y0) < 1
        and x0 < x1 < x2
        and abs(x3 - x0) < 2
        and not names_document(t0.strip())
        and names_document(t3.strip())
    )


def _stored_path(stored: dict[str, str], name: str) -> str | None:
    """The project document a row names: by path, file name or stem, also without a
    document number before it (ATLAS.ti's ``D3: Interview 3``, ``D 3: Interview 3.docx``),
    and by stem when the tool held the transcript in another format (``P1.docx`` names
    ``corpus/P1.txt``)."""
    for key in (name, DOCUMENT_NUMBER.sub("", name, count=1)):
        found = stored.get(norm(key))
        if found is None and Path(key.strip()).suffix.lower() in DOCUMENT_SUFFIXES:
            found = stored.get(norm(Path(key.strip()).stem))
        if found is not None:
            return found
    return None


# --- anchoring -----------------------------------------------------------------------------


def _keyed(text: str) -> tuple[str, list[int]]:
    """``text`` with whitespace runs as one space and none after a hyphen, and the
    offset in ``text`` of each character kept."""
    out: list[str] = []
    pos: list[int] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            j = i
            while j < n and text[j].isspace():
                j += 1
            if out and out[-1] != "-" and j < n:
                out.append(" ")
                pos.append(i)
            i = j
            continue
        out.append(text[i])
        pos.append(i)
        i += 1
    return "".join(out), pos


def anchor(text: str | tuple[str, list[int]], quote: str) -> tuple[int, int] | str:
    """The quote's (start, end) in ``text`` (or in its :func:`_keyed` form), or why it has none."""
    key, pos = _keyed(text) if isinstance(text, str) else text
    want, _ = _keyed(quote)
    if not want:
        return "the quote is empty"
    at = key.find(want)
    if at < 0:
        return "its quote is not in the document's text"
    again = key.find(want, at + 1)
    if again >= 0:
        return f"its quote occurs {key.count(want)} times in the document; which one is unknown"
    return pos[at], pos[at + len(want) - 1] + 1


# --- importing -----------------------------------------------------------------------------


def import_quotes(
    project: Project,
    path: Path | str,
    *,
    coder: str,
    add_codes: bool = False,
    complete: bool = False,
    columns: QuoteColumns = QuoteColumns(),
    code_interviewer_turns: bool = False,
) -> QuotesSummary:
    """Import a coded-quotes table into ``project`` as ``coder``'s codings (see module doc).
    ``columns`` names the document, code and quote columns (else found by their headers,
    or from the cells when the headers are in a language themegrid does not know). A quote
    that also covers interviewer turns is coded on the other speakers' turns only, unless
    ``code_interviewer_turns`` (:mod:`themegrid.exchange.turns`)."""
    path = Path(path)
    coder = check_coder(coder)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    codebook = project.load_codebook()
    with project.open_store() as store:
        replacing = add_codes and template_to_replace(
            project.codebook_dir,
            (c.id for c in codebook.codes),
            store_codings.human_decided_codes(store),
        )
        if replacing:
            codebook = dataclasses.replace(codebook, codes=())
        stored = {
            key: d.path
            for d in docs_store.list_documents(store)
            if d.status == "present"
            for key in {norm(d.path), norm(Path(d.path).name), norm(Path(d.path).stem)}
        }
        keyed_texts: dict[str, str] = {}

        def in_document(name: str, text: str) -> bool:
            """Whether ``text`` is in the stored text of the document ``name`` names."""
            doc_path = _stored_path(stored, name)
            if doc_path is None:
                return False
            if doc_path not in keyed_texts:
                doc = docs_store.document_by_path(store, doc_path)
                keyed_texts[doc_path] = _keyed(doc.text)[0] if doc is not None else ""
            want = _keyed(text)[0]
            return bool(want) and want in keyed_texts[doc_path]

        table = read_quotes(
            path, columns, lambda name: _stored_path(stored, name) is not None, in_document
        )
        every = table.rows
        rows = [r for r in every if r.code]
        if not rows:
            raise InputFileError(
                str(path), "has no coded quotes; check that it is the right export"
            )
        if len(table.coders) > 1:
            raise InputFileError(
                str(path),
                f"holds the codings of {len(table.coders)} coders ({', '.join(table.coders)}) "
                "and one import is one coder's: export one report per coder (QualCoder's "
                "coding report has a coder choice) and import each with its --coder",
            )
        unknown = [r for r in rows if _stored_path(stored, r.document) is None]
        if unknown:
            names = sorted({r.document for r in unknown})
            raise InputFileError(
                str(path),
                f"row {unknown[0].number}: document {names[0]!r}"
                + (f" (and {len(names) - 1} other name(s))" if len(names) > 1 else "")
                + " is not in the project; put it in corpus/ and run 'themegrid ingest' first"
                + (
                    " (a QualCoder report by case names cases: run it by file)"
                    if table.columns and norm(table.columns[0]) == "file/case"
                    else ""
                ),
            )
        backup_before(store, COMMAND)
        with store.transaction():
            index = known_codes(store, codebook)
            created: list[KnownCode] = []
            code_of: dict[str, str] = {}
            problems: list[Problem] = []
            for row in rows:
                if row.code in code_of:
                    continue
                res = index.resolve(row.code)
                if res.code_id is None and add_codes and not res.problem:
                    created += create_code(index, row.code)
                    res = index.resolve(row.code)
                if res.code_id is None:
                    hint = "" if add_codes else "; pass --add-codes to create it"
                    problems.append(
                        Problem(
                            (res.problem or f"unknown code {row.code!r}") + hint,
                            str(path),
                            None,
                            f"row {row.number}",
                        )
                    )
                    code_of[row.code] = ""
                else:
                    code_of[row.code] = res.code_id
            if problems:
                raise ValidationError(problems, "no quote was imported")
            run_id = start_run(store, COMMAND, codebook, input_hashes={str(path): digest})
            store_codes.sync_codebook(store, codebook)
            store_codes.add_codes(
                store,
                [
                    store_codes.NewCode(c.id, c.name, c.parent_id, c.codable, "import")
                    for c in created
                ],
            )
            spans: dict[tuple[str, str], tuple[int, int, list[int]]] = {}
            mixed_rows: set[int] = set()  # rows whose quote's interviewer turns are not coded
            with_interviewer: set[int] = set()
            interviewer_only: set[int] = set()
            left_turns: set[str] = set()
            seen: set[str] = set()
            documents: set[str] = set()
            not_found: list[str] = []
            found_rows: set[int] = set()
            texts: dict[
                str, tuple[int, tuple[str, list[int]], list[tuple[str, int, int, bool]]]
            ] = {}
            for row in rows:
                doc_path = _stored_path(stored, row.document)
                assert doc_path is not None  # every row's document was found above
                if doc_path not in texts:
                    doc = docs_store.document_by_path(store, doc_path)
                    assert doc is not None  # listed above, in this transaction
                    texts[doc_path] = (
                        doc.id,
                        _keyed(doc.text),
                        segs_store.active_spans(store, doc.id),
                    )
                _, keyed, segments = texts[doc_path]
                where = anchor(keyed, row.quote)
                if isinstance(where, str):
                    note = f"row {row.number} ({row.document}): {where}"
                    if note not in not_found:  # a row with several codes is listed once
                        not_found.append(note)
                    continue
                found_rows.add(row.number)
                start, end = where
                documents.add(doc_path)
                if complete:  # the coder read the whole document: uncoded = not this code
                    seen.update(s for s, _, _, _ in segments)
                parts = [
                    (seg, max(start, s_start), min(end, s_end), interviewer)
                    for seg, s_start, s_end, interviewer in segments
                    if max(start, s_start) < min(end, s_end)
                ]
                seen.update(seg for seg, _, _, _ in parts)
                kept = coded_turns(parts, lambda p: p[3], keep_interviewer=code_interviewer_turns)
                if any(p[3] for p in parts):
                    if all(p[3] for p in parts):
                        interviewer_only.add(row.number)
                    else:
                        with_interviewer.add(row.number)
                        if len(kept) < len(parts):
                            mixed_rows.add(row.number)
                            left_turns.update(seg for seg, _, _, i in parts if i)
                for seg, lo, hi, _ in kept:
                    key = (seg, code_of[row.code])
                    if key in spans:
                        a, b, numbers = spans[key]
                        spans[key] = (min(a, lo), max(b, hi), [*numbers, row.number])
                    else:
                        spans[key] = (lo, hi, [row.number])
            stamp = now()
            store_codings.record_human_codings(
                store,
                coder,
                [
                    store_codings.HumanDecision(
                        seg,
                        code,
                        "accepted",
                        f"imported from {path.name} row(s) {', '.join(map(str, numbers))}"
                        + (
                            " (the quote's interviewer turns are not coded)"
                            if mixed_rows.intersection(numbers)
                            else ""
                        ),
                        span_start=a,
                        span_end=b,
                    )
                    for (seg, code), (a, b, numbers) in spans.items()
                ],
                run_id=run_id,
                at=stamp,
            )
            segs_store.mark_seen(store, sorted(seen), coder, "quotes", at=stamp)
            summary = QuotesSummary(
                file=str(path),
                coder=coder,
                rows=len({r.number for r in rows}),
                quotes_found=len(found_rows),
                codings=len(spans),
                segments=len({seg for seg, _ in spans}),
                documents=tuple(sorted(documents)),
                codes_added=tuple(c.id for c in created),
                not_found=tuple(not_found),
                codebook_file=None,
                template_replaced=replacing and bool(created),
                complete=complete,
                uncoded=len({r.number for r in every if not r.code}),
                not_text=table.not_text,
                columns=table.columns,
                detected=table.detected,
                run_id=run_id,
                with_interviewer=len(with_interviewer),
                interviewer_turns_left=len(left_turns - {seg for seg, _ in spans}),
                interviewer_only=len(interviewer_only),
                code_interviewer_turns=code_interviewer_turns,
            )
            finish_run(store, run_id, summary.to_dict())
    # The codebook file is written once the codes are committed (as import-coded does).
    written = write_outputs(
        coder,
        created,
        [],
        codebook_dir=project.codebook_dir,
        report_dir=None,
        empty_template=replacing,
        source=path.name,
    )
    return dataclasses.replace(summary, codebook_file=written.codebook_file)
