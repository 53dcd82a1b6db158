"""Reviewing machine suggestions in Excel: export a review sheet, import the coder's decisions.

The sheet has one row per pending suggestion (no human decision yet on that
segment and code), ordered so the first rows teach the most (:func:`review_order`:
back-channel last; least certain first, then diverse in embedding space; spread
across codes and cases). The coder fills Decision (accept/reject), Add codes and
Note; :func:`import_review` validates every cell before it applies anything,
then writes the decisions as that coder's human codings in one transaction.
"""

from __future__ import annotations

import difflib
import hashlib
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import openpyxl
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from themegrid import cells
from themegrid.atomic import atomic_path
from themegrid.codebook.model import Codebook
from themegrid.errors import InputFileError, Problem, ValidationError
from themegrid.exchange.labels import CodeIndex, check_coder, known_codes, norm
from themegrid.read.archive import corpus_zip_reason
from themegrid.store import codings as store_codings
from themegrid.store import segments as segs_store
from themegrid.store.backup import backup_before
from themegrid.store.codes import sync_codebook
from themegrid.store.connection import Store, now
from themegrid.store.runs import finish_run, start_run

SHEET = "Review"
#: The workbook's custom property naming the coder a sheet was made for (``--coder``).
CODER_PROPERTY = "themegrid review coder"
CONTEXT_CHARS = 300
ATTRIBUTE_ORDER = ("state", "district", "role", "respondent_role", "source_type", "date")
DECISIONS = {
    "accept": "accepted",
    "accepted": "accepted",
    "reject": "rejected",
    "rejected": "rejected",
}
KEY, DECISION, ADD, NOTE = "Key", "Decision", "Add codes", "Note"
# Case attributes get their own columns under this prefix, so no attribute (one named
# "note" or "decision", say) can ever take the header of a column themegrid reads back.
ATTRIBUTE_PREFIX = "attr: "
HOW_TO = (
    "How to review",
    "",
    "Each row of the Review sheet is one code the machine suggested for one segment "
    "(a speaker turn or a paragraph) that no one has decided on yet.",
    "Read the Text (with the turns Before and After for context), the suggested Code and the "
    "Reason (the cue that matched, or the model's confidence).",
    "Decision: choose accept (the code applies) or reject (it does not). Leave it blank to "
    "decide later: the suggestion stays pending and appears in the next export.",
    "Add codes: codes the machine missed for this segment, as code ids separated by ; "
    "(the Codes sheet lists the valid ids). Names work too.",
    "Note: a comment stored with your decision (it needs a Decision or Add codes).",
    "Do not edit the Key column (always column A): it links the row to the segment and code. "
    "Do not rename the Decision, Add codes and Note headers: themegrid reads only the columns "
    "headed exactly so. Case attributes are shown in columns headed 'attr: ...' and are never "
    "read back. You may sort, filter and hide rows and columns.",
    "",
    "Order: the rows come least certain first, interleaved across codes and cases (round "
    "robin): the first rows hold each code's least certain suggestion, taken in turn from "
    "each case. Review from the top: if you stop early, your effort went where the machine "
    "was least sure, and every code and case got some attention. (With --by-segment the rows "
    "follow the documents instead, so you can read a transcript from top to bottom.)",
    "",
    "Import: themegrid review import THIS_FILE --coder 'Your Name'. Every cell is checked "
    "first; if any is wrong nothing is applied and each bad cell is listed. Importing the "
    "same file twice changes nothing; a later decision of yours on the same segment and code "
    "replaces the earlier one (the history is kept).",
    "A row you left completely blank (no Decision, Add codes or Note) does not count as "
    "seen: in agreement statistics a segment you saw and left uncoded counts as 'no', and a "
    "blank row may simply be one you did not reach. Rows with any decision count as seen.",
)


# --- export -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewItem:
    """One pending suggestion with its context."""

    segment_id: str
    code_id: str
    code_name: str
    document: str
    seq: int
    attributes: dict[str, str]
    speaker: str
    before: str
    text: str
    after: str
    source: str
    confidence: float | None
    reason: str

    @property
    def key(self) -> str:
        return f"{self.segment_id}|{self.code_id}"

    @property
    def case(self) -> str:
        return self.attributes.get("state") or self.attributes.get("case") or self.document


@dataclass(frozen=True)
class ExportSummary:
    path: str | None
    rows: int
    pending: int
    coder: str | None = None  # the coder the sheet was made for (``--coder``), if any


def pending_suggestions(
    store: Store,
    codebook: Codebook,
    codes: Sequence[str] | None = None,
    *,
    coder: str | None = None,
) -> list[ReviewItem]:
    """Every suggestion without a human decision on its (segment, code), with context.

    ``coder``: the suggestions that coder has not decided, whatever other coders decided
    (:func:`themegrid.store.codings.suggestions_undecided_by`): a second coder's blind
    double-coding gets the rows a first coder already decided, and nothing of that
    decision (each row shows only the machine's suggestion and the text).
    """
    index = known_codes(store, codebook)
    if codes:
        unknown = [c for c in codes if c not in index.codes]
        if unknown:
            raise ValidationError(
                [
                    Problem(
                        f"--code {c}: not a code id in the codebook; see 'themegrid codebook check'"
                    )
                    for c in unknown
                ]
            )
    if coder is None:
        rows = store_codings.pending_suggestions(store)
    else:
        rows = _offered(store, index, check_coder(coder))
    wanted = set(codes or ())
    rows = [r for r in rows if not wanted or r.code_id in wanted]
    return _items(store, index, rows)


def offered_suggestions(store: Store, codebook: Codebook) -> list[ReviewItem]:
    """Every suggestion some coder could be offered (:func:`pending_suggestions` for a
    coder who has decided nothing): the browser queue orders these once, and each coder's
    queue is the part that coder has not decided."""
    index = known_codes(store, codebook)
    return _items(store, index, _offered(store, index, None))


def _offered(
    store: Store, index: CodeIndex, coder: str | None
) -> list[store_codings.PendingSuggestion]:
    """Suggestions ``coder`` has not decided, on codes the codebook still codes with (a
    suggestion retired after a rejection may be on a code the codebook has since dropped)."""
    return [
        r
        for r in store_codings.suggestions_undecided_by(store, coder)
        if r.code_id in index.codes and index.codes[r.code_id].codable
    ]


def _items(
    store: Store, index: CodeIndex, rows: Sequence[store_codings.PendingSuggestion]
) -> list[ReviewItem]:
    context = _context(store, {r.document_id for r in rows})
    items = []
    for r in rows:
        before, after = context.get(r.segment_id, ("", ""))
        code = index.codes.get(r.code_id)
        items.append(
            ReviewItem(
                segment_id=r.segment_id,
                code_id=r.code_id,
                code_name=code.name if code else r.code_id,
                document=r.path,
                seq=r.seq,
                attributes={k: str(v) for k, v in r.attributes.items()},
                speaker=r.speaker or "",
                before=before,
                text=r.text,
                after=after,
                source="both" if "+" in r.source else r.source,
                confidence=r.confidence,
                reason=r.reason,
            )
        )
    return items


def _context(store: Store, doc_ids: Iterable[int]) -> dict[str, tuple[str, str]]:
    """For each active segment of these documents: the turn before and after (truncated)."""
    out: dict[str, tuple[str, str]] = {}
    for doc_id in doc_ids:
        segs = segs_store.active_turns(store, doc_id)
        turns = [(f"{s.speaker}: " if s.speaker else "") + s.text for s in segs]
        for i, s in enumerate(segs):
            before = turns[i - 1] if i > 0 else ""
            after = turns[i + 1] if i + 1 < len(turns) else ""
            out[s.id] = (_tail(before), _head(after))
    return out


def _head(text: str) -> str:
    return text if len(text) <= CONTEXT_CHARS else text[:CONTEXT_CHARS].rstrip() + "…"


def _tail(text: str) -> str:
    return text if len(text) <= CONTEXT_CHARS else "…" + text[-CONTEXT_CHARS:].lstrip()


def _certainty(item: ReviewItem) -> tuple[int, float]:
    """Sort key: suggestions both suggesters agree on count as more certain."""
    conf = 0.5 if item.confidence is None else item.confidence
    return (int(item.source == "both"), conf)


def _rotated(queues: list[list[ReviewItem]], k: int) -> list[list[ReviewItem]]:
    """``queues`` (each least certain first, the least certain queue first) with those
    whose first item is as uncertain as the first's taken from the ``k``-th on: a tie
    (all rule suggestions are 0.5) goes to another case for each code, never a more
    certain item before a less certain one."""
    if not queues:
        return queues
    least = _certainty(queues[0][0])
    tied = [q for q in queues if _certainty(q[0]) == least]
    rest = [q for q in queues if _certainty(q[0]) != least]
    k %= len(tied)
    return tied[k:] + tied[:k] + rest


def _round_robin(groups: Iterable[list[ReviewItem]]) -> list[ReviewItem]:
    """Interleave already-sorted groups: the first of each, then the second of each, ..."""
    queues = sorted(groups, key=lambda g: _certainty(g[0]))
    out: list[ReviewItem] = []
    depth = max((len(q) for q in queues), default=0)
    for i in range(depth):
        out += sorted((q[i] for q in queues if i < len(q)), key=_certainty)
    return out


#: A segment with fewer content words (see :func:`_content_words`) is reviewed last.
MIN_CONTENT_WORDS = 2
#: Diversity picks among this many of the least certain suggestions left (per code and case).
DIVERSITY_WINDOW = 20


def _content_words(text: str) -> int:
    """Words of three or more letters that are not fillers ("okay", "yeah", "perfect")."""
    from themegrid.segment.lexicon import word_set
    from themegrid.tag.codable import WORD_RE

    fillers = word_set("filler_words")
    return sum(1 for w in WORD_RE.findall(text) if len(w) >= 3 and w.lower() not in fillers)


def _diverse(queue: list[ReviewItem], vectors: dict[str, Any] | None) -> list[ReviewItem]:
    """Uncertainty first, then diversity among the uncertain: from the
    :data:`DIVERSITY_WINDOW` least certain items left, take the one farthest (cosine)
    from every item already taken (greedy max-min), so near-duplicates do not come
    one after another."""
    if vectors is None or len(queue) < 3:
        return queue
    import numpy as np

    matrix = np.stack([vectors[item.segment_id] for item in queue])
    left = list(range(1, len(queue)))  # positions in ``queue`` not yet taken
    out = [0]
    nearest = np.full(len(queue), np.inf)  # per item of ``queue``: distance to the taken
    while left:
        window = left[:DIVERSITY_WINDOW]
        # the window's distances to the last taken at once (numpy, not one dot per item:
        # this loop was most of the queue's first visit at 1M words)
        far = 1.0 - (matrix[window] @ matrix[out[-1]]).astype(np.float64)
        nearest[window] = np.minimum(nearest[window], far)
        out.append(left.pop(int(np.argmax(nearest[window]))))  # ties: the first in the window
    return [queue[k] for k in out]


def _vectors(items: Sequence[ReviewItem]) -> dict[str, Any] | None:
    """Segment id -> unit embedding (None when the embedder is unavailable)."""
    from themegrid.tag.embed import load_embedder

    embedder = load_embedder()
    if embedder is None or not items:
        return None
    ids = list(dict.fromkeys(i.segment_id for i in items))
    text = {i.segment_id: i.text for i in items}
    return dict(zip(ids, embedder.embed([text[i] for i in ids]), strict=True))


def review_order(items: Sequence[ReviewItem], *, by_segment: bool = False) -> list[ReviewItem]:
    """What to review first, so that early decisions teach the most.

    Segments with fewer than :data:`MIN_CONTENT_WORDS` content words (back-channel,
    fragments) come after all others. Within each code and case, least certain
    first, then diversity among the uncertain (:func:`_diverse`, in embedding space);
    the queues are interleaved across codes and, within a code, across cases.
    The review sheet and the web queue both use this order.
    """
    if by_segment:
        return sorted(items, key=lambda i: (i.document, i.seq, i.code_id))
    # once per segment (a segment carries ~3 suggestions): 57% of the order's CPU time was here
    texts = {i.segment_id: i.text for i in items}
    words = {seg: _content_words(text) for seg, text in texts.items()}
    substantive = [i for i in items if words[i.segment_id] >= MIN_CONTENT_WORDS]
    thin = [i for i in items if words[i.segment_id] < MIN_CONTENT_WORDS]
    vectors = _vectors(substantive) if len(substantive) >= 3 else None
    out: list[ReviewItem] = []
    for group, vecs in ((substantive, vectors), (thin, None)):
        per_code: dict[str, dict[str, list[ReviewItem]]] = defaultdict(lambda: defaultdict(list))
        for item in sorted(group, key=lambda i: (_certainty(i), i.document, i.seq)):
            per_code[item.code_id][item.case].append(item)
        # each code's cases start one further on, so the first rows (one a code) are
        # spread over the cases too, not all from the case whose document sorts first
        out += _round_robin(
            _round_robin(_rotated([_diverse(q, vecs) for q in cases.values()], k))
            for k, cases in enumerate(per_code.values())
        )
    return out


def export_review(
    store: Store,
    codebook: Codebook,
    out: Path | str | IO[bytes],
    *,
    limit: int | None = None,
    codes: Sequence[str] | None = None,
    by_segment: bool = False,
    coder: str | None = None,
) -> ExportSummary:
    """Write the review workbook to a path (atomically) or an open binary file.

    ``coder``: the sheet for that coder (see :func:`pending_suggestions`), blind to every
    other coder's decisions; the coder is named in the How to review sheet and kept in
    the workbook's custom properties, which :func:`import_review` checks."""
    coder = None if coder is None else check_coder(coder)
    items = review_order(
        pending_suggestions(store, codebook, codes, coder=coder), by_segment=by_segment
    )
    chosen = items if limit is None else items[: max(limit, 0)]
    book = _workbook(chosen, known_codes(store, codebook), codebook, coder)
    path = _save(book, out)
    return ExportSummary(path, len(chosen), len(items), coder)


def how_to(coder: str | None) -> tuple[str, ...]:
    """The How to review sheet's lines; for a sheet made for ``coder``, saying so."""
    if coder is None:
        return HOW_TO
    made_for = (
        f"This sheet was made for {coder}. It holds the suggestions {coder} has not decided "
        "yet, including those other coders have decided; no other coder's decision, note or "
        "name is shown in it, so the coding stays independent (blind) for inter-coder "
        f"agreement. Import it with --coder '{coder}' (themegrid refuses another name)."
    )
    lines = [line.replace("that no one has decided on yet", "that you have not decided on yet")
             for line in HOW_TO]  # fmt: skip
    return (lines[0], made_for, *lines[1:])


def _workbook(
    items: Sequence[ReviewItem], index: CodeIndex, codebook: Codebook, coder: str | None = None
) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    if coder is not None:
        book.custom_doc_props.append(StringProperty(name=CODER_PROPERTY, value=coder))
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    attrs = _attribute_keys(items)
    header = [
        KEY,
        "Document",
        *[ATTRIBUTE_PREFIX + a for a in attrs],
        "Speaker",
        "Before",
        "Text",
        "After",
        "Code",
        "Code name",
        "Source",
        "Confidence",
        "Reason",
        DECISION,
        ADD,
        NOTE,
    ]
    sheet.append(cells.row(sheet, header))
    for item in items:
        _append(
            sheet,
            [
                item.key,
                item.document,
                *[item.attributes.get(a, "") for a in attrs],
                item.speaker,
                item.before,
                item.text,
                item.after,
                item.code_id,
                item.code_name,
                item.source,
                item.confidence,
                item.reason,
                None,
                None,
                None,
            ],
        )
    _style_review(sheet, header, len(items))
    _codes_sheet(book.create_sheet("Codes"), index, codebook)
    how = book.create_sheet("How to review")
    for line in how_to(coder):
        how.append(cells.row(how, [line]))
    how.column_dimensions["A"].width = 110
    for row in how.iter_rows():
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    how["A1"].font = Font(bold=True, size=14)
    return book


def _append(sheet: Worksheet, values: list[Any]) -> None:
    """Append a row whose text cells are string cells: never a formula (see :mod:`.cells`)."""
    sheet.append(cells.row(sheet, values))


def _attribute_keys(items: Sequence[ReviewItem]) -> list[str]:
    keys = {k for item in items for k in item.attributes}
    return [k for k in ATTRIBUTE_ORDER if k in keys] + sorted(keys - set(ATTRIBUTE_ORDER))


WIDTHS = {KEY: 10, "Document": 22, "Speaker": 14, "Before": 40, "Text": 60, "After": 40,
          "Code": 22, "Code name": 24, "Source": 8, "Confidence": 11, "Reason": 36,
          DECISION: 11, ADD: 18, NOTE: 30}  # fmt: skip


def _style_review(sheet: Worksheet, header: list[str], n_rows: int) -> None:
    sheet.freeze_panes = "B2"
    yellow = PatternFill("solid", fgColor="FFF2CC")
    for col, name in enumerate(header, start=1):
        letter = get_column_letter(col)
        sheet.column_dimensions[letter].width = WIDTHS.get(name, 14)
        cell = sheet.cell(row=1, column=col)
        cell.font = Font(bold=True, color="808080" if name == KEY else None)
        if name in (DECISION, ADD, NOTE):
            cell.fill = yellow
    wrap = Alignment(wrap_text=True, vertical="top")
    grey = Font(color="A0A0A0", size=8)
    for row in sheet.iter_rows(min_row=2, max_row=n_rows + 1):
        for cell in row:
            cell.alignment = wrap
        row[0].font = grey
    decision_col = get_column_letter(header.index(DECISION) + 1)
    rule = DataValidation(
        type="list",
        formula1='"accept,reject"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Decision",
        error="Choose accept or reject, or leave blank to decide later.",
    )
    sheet.add_data_validation(rule)
    rule.add(f"{decision_col}2:{decision_col}{max(n_rows + 1, 2)}")
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{n_rows + 1}"


def _codes_sheet(sheet: Worksheet, index: CodeIndex, codebook: Codebook) -> None:
    sheet.append(cells.row(sheet, ["Code id", "Name", "Path", "Definition"]))
    definitions = {c.id: c.definition for c in codebook.codes}
    for code in index.codes.values():
        if not code.codable:
            continue
        chain = [code.name]
        parent = code.parent_id
        while parent in index.codes and len(chain) < 10:
            chain.insert(0, index.codes[parent].name)
            parent = index.codes[parent].parent_id
        sheet.append(
            cells.row(sheet, [code.id, code.name, " > ".join(chain), definitions.get(code.id, "")])
        )
    for letter, width in zip("ABCD", (30, 30, 50, 80), strict=True):
        sheet.column_dimensions[letter].width = width
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _save(book: openpyxl.Workbook, out: Path | str | IO[bytes]) -> str | None:
    """Save to a file object, or to a path via a temporary file and an atomic rename."""
    if not isinstance(out, (str, Path)):
        book.save(out)
        return None
    target = Path(out)
    with atomic_path(target) as tmp:
        book.save(tmp)
    return str(target)


# --- import -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    segment_id: str
    code_id: str
    status: str  # accepted | rejected
    reason: str
    note: str
    row: int


@dataclass(frozen=True)
class ReviewImportSummary:
    run_id: int | None
    coder: str
    accepted: int
    rejected: int
    added: int
    unchanged: int
    views_added: int
    #: sheet rows left out (``skip_changed``): their segment changed since the export
    skipped_rows: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "skipped_rows": list(self.skipped_rows)}


def import_review(
    store: Store,
    path: Path | str,
    *,
    coder: str,
    codebook: Codebook,
    skip_changed: bool = False,
) -> ReviewImportSummary:
    """Apply a filled review sheet as ``coder``'s decisions: all of it, or nothing.

    ``skip_changed``: rows on a segment that no longer exists (its file was edited since
    the sheet was exported) are left out and listed instead of refusing the sheet.
    """
    coder = check_coder(coder)
    path = Path(path)
    cells, made_for = _read_review(path)
    if made_for is not None and made_for != coder:
        # Refused, not warned: the decisions would be stored as another person's, and a
        # coder's decisions are research data that no later import can take back.
        raise InputFileError(
            str(path),
            f"this sheet was made for coder {made_for!r}, not {coder!r}; import it with "
            f"--coder '{made_for}', or export a sheet for {coder} with "
            f"'themegrid review export --coder \"{coder}\"'",
        )
    backup_before(store, "review import")
    with store.transaction():
        # Validated inside the write transaction: a concurrent 'code' run cannot remove a
        # segment between the check and the write.
        decisions, viewed, problems, skipped = _validate(
            store, cells, known_codes(store, codebook), skip_changed=skip_changed
        )
        if problems:
            raise ValidationError(
                problems, f"{path}: {len(problems)} problem(s); nothing was applied"
            )
        run_id = start_run(store, "review import", codebook)
        sync_codebook(store, codebook)
        counts = apply_decisions(store, decisions, viewed, coder, run_id)
        summary = ReviewImportSummary(
            run_id=run_id, coder=coder, **counts, skipped_rows=tuple(skipped)
        )
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        finish_run(store, run_id, summary.to_dict(), {path.name: digest})
    return summary


@dataclass(frozen=True)
class _Cells:
    row: int
    key: str
    decision: str
    add: str
    note: str
    #: the reserved columns whose cell holds a spreadsheet error value (a failed formula)
    errors: tuple[str, ...] = ()
    #: (column, formula) of the reserved cells holding a formula with no saved value
    formulas: tuple[tuple[str, str], ...] = ()


def _read_review(path: Path) -> tuple[list[_Cells], str | None]:
    """The sheet's reserved cells, and the coder it was made for (None: any coder)."""
    if not path.is_file():
        raise InputFileError(str(path), "no such file; check the path")
    bomb = corpus_zip_reason(path)
    if bomb:
        raise InputFileError(str(path), f"{bomb}; nothing was imported")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise InputFileError(
            str(path), "not an Excel workbook (.xlsx); open it in Excel and save it as .xlsx"
        ) from exc
    try:
        made_for = next(
            (
                str(p.value).strip()
                for p in book.custom_doc_props.props
                if p.name == CODER_PROPERTY and str(p.value or "").strip()
            ),
            None,
        )
        if SHEET not in book.sheetnames:
            raise InputFileError(
                str(path),
                f"no sheet named {SHEET!r}; use a sheet made by 'themegrid review export'",
            )
        ws = book[SHEET]
        rows = iter(cells.read_rows(ws, str(path)))
        where = _reserved_columns(path, next(rows, ()))
        out = []
        for number, values in enumerate(rows, start=2):
            key, decision, add, note = (_text(values[i]) if i < len(values) else "" for i in where)
            out.append(_Cells(number, key, decision, add, note))
        # A value that reads like an error: is it one (a note typed as '= ...' became a
        # formula), or text a coder wrote? Only the cell's type tells.
        suspects = {c.row for c in out if {c.decision, c.add, c.note} & cells.ERROR_VALUES}
        failed = cells.error_cells(ws, suspects, {i + 1 for i in where[1:]})
        names = dict(zip((i + 1 for i in where[1:]), (DECISION, ADD, NOTE), strict=True))
        if failed:
            out = [
                replace(c, errors=tuple(names[col] for row, col in sorted(failed) if row == c.row))
                for c in out
            ]
        # A formula with no saved value (openpyxl and pandas write '=...' text so) reads as
        # an empty cell: found in the sheet's XML, so the note does not vanish unseen.
        unsaved = cells.unsaved_formulas(ws, set(names))
        if unsaved:
            out = [
                replace(
                    c,
                    formulas=tuple(
                        (names[col], text)
                        for (row, col), text in sorted(unsaved.items())
                        if row == c.row
                    ),
                )
                for c in out
            ]
    finally:
        book.close()
    return out, made_for


def _reserved_columns(path: Path, first: Sequence[object]) -> list[int]:
    """Positions of Key (column A), Decision, Add codes and Note, each by its exact header.

    A header is matched case- and space-insensitively; a reserved header found twice
    (a sheet from a themegrid before 'attr: ' columns, with an attribute named so) is
    refused rather than guessed.
    """
    header = [norm(_text(v)) for v in first]
    fresh = "export a fresh sheet with 'themegrid review export'"
    if not header or header[0] != norm(KEY):
        raise InputFileError(
            str(path),
            f"sheet {SHEET}, cell A1: must be the header {KEY!r} (the Key column is always "
            f"column A; move it back or {fresh})",
        )
    where = [0]
    for name in (DECISION, ADD, NOTE):
        found = [i for i, h in enumerate(header) if h == norm(name)]
        if not found:
            raise InputFileError(
                str(path),
                f"sheet {SHEET}, row 1: no column headed {name!r}; restore the header or {fresh}",
            )
        if len(found) > 1:
            letters = " and ".join(get_column_letter(i + 1) for i in found)
            raise InputFileError(
                str(path),
                f"sheet {SHEET}, columns {letters}: {len(found)} columns are headed {name!r}, "
                f"so themegrid cannot tell which is yours; rename the header of the one that is "
                f"a case attribute (e.g. to '{ATTRIBUTE_PREFIX}{name.lower()}') and import again",
            )
        where.append(found[0])
    return where


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _validate(
    store: Store, rows: list[_Cells], index: CodeIndex, *, skip_changed: bool = False
) -> tuple[list[Decision], set[str], list[Problem], list[int]]:
    problems: list[Problem] = []
    skipped: list[int] = []
    live = _live_segments(store, [r.key.split("|", 1)[0] for r in rows if r.key])
    decisions: dict[tuple[str, str], Decision] = {}
    viewed: set[str] = set()

    def bad(row: int, column: str, message: str) -> None:
        problems.append(Problem(message, where=f"sheet {SHEET}, row {row}, column {column}"))

    for r in rows:
        if not (r.decision or r.add or r.note or r.formulas):
            continue  # blank row: not reached, not a view
        for column, formula in r.formulas:
            bad(
                r.row,
                column,
                f"the cell holds the formula {formula!r} with no value saved (text starting with"
                " '=' is written as a formula by openpyxl, pandas and some editors): write it as"
                " text, starting with an apostrophe (') or a space, save, and import again",
            )
        if r.formulas:
            continue
        for column in r.errors:
            value = {DECISION: r.decision, ADD: r.add, NOTE: r.note}[column]
            bad(
                r.row,
                column,
                f"the cell holds the spreadsheet error {value}, not what was typed: text "
                "starting with '=', '+', '-' or '@' is taken for a formula; retype it "
                "starting with an apostrophe (') or a space, save, and import again",
            )
        if r.errors:
            continue
        seg, _, code = r.key.partition("|")
        if not r.key:
            bad(r.row, KEY, "the key is missing; do not edit column Key (export a fresh sheet)")
            continue
        if not seg or not code:
            bad(
                r.row,
                KEY,
                f"{r.key!r} is not a key made by 'themegrid review export'; do not edit it",
            )
            continue
        if seg not in live:
            if skip_changed:
                skipped.append(r.row)
                continue
            bad(
                r.row,
                KEY,
                f"segment {seg} no longer exists (its file was edited since this sheet was "
                "exported); to import every other row, run again with --skip-changed (such "
                "rows are listed), then review the edited text in a fresh sheet",
            )
            continue
        found = list(_row_decisions(r, seg, code, index, bad))
        if not r.decision and not r.add and r.note:
            bad(
                r.row,
                NOTE,
                "a note needs a Decision or Add codes to be stored with; add one or clear the note",
            )
        for d in found:
            other = decisions.get((d.segment_id, d.code_id))
            if other is not None and other.status != d.status:
                bad(
                    r.row,
                    DECISION,
                    f"contradicts row {other.row} on the same segment and code {d.code_id}",
                )
            decisions.setdefault((d.segment_id, d.code_id), d)
        viewed.add(seg)
    return list(decisions.values()), viewed, problems, skipped


def _row_decisions(
    r: _Cells, seg: str, code: str, index: CodeIndex, bad: Any
) -> Iterable[Decision]:
    if r.decision:
        status = DECISIONS.get(r.decision.casefold())
        if status is None:
            close = difflib.get_close_matches(r.decision.casefold(), DECISIONS, n=1, cutoff=0.6)
            hint = f"did you mean {close[0].removesuffix('ed')!r}? " if close else ""
            bad(
                r.row,
                DECISION,
                f"{r.decision!r} is not allowed; {hint}use accept or reject (or leave blank)",
            )
        elif code not in index.codes:
            bad(r.row, KEY, f"code {code!r} is no longer in the codebook; export a fresh sheet")
        else:
            yield Decision(seg, code, status, f"{status} in review", r.note, r.row)
    for label in (p.strip() for p in r.add.replace("\n", ";").split(";")):
        if not label:
            continue
        res = index.resolve(label)
        if res.code_id is None:
            meant = None if res.problem else index.suggest(label)
            hint = f"did you mean {meant!r}? " if meant else ""
            bad(
                r.row,
                ADD,
                res.problem
                or f"{label!r} is not a code id; {hint}see the Codes sheet for valid ids "
                "(separate several codes with ';', e.g. 'a.one; b.two')",
            )
        elif res.code_id == code:
            if not r.decision:  # adding the suggested code itself is accepting it
                yield Decision(seg, code, "accepted", "accepted in review", r.note, r.row)
        else:
            yield Decision(seg, res.code_id, "accepted", "added in review", r.note, r.row)


def _live_segments(store: Store, ids: Sequence[str]) -> set[str]:
    return segs_store.live_segment_ids(store, ids)


def apply_decisions(
    store: Store, decisions: list[Decision], viewed: set[str], coder: str, run_id: int | None
) -> dict[str, int]:
    """Store ``coder``'s decisions and views, as a review import does (call inside a transaction).

    Decisions equal to the coder's stored ones are counted ``unchanged`` and not rewritten.
    """
    stamp = now()
    existing = store_codings.human_codings(store, coder, sorted({d.segment_id for d in decisions}))
    counts = {"accepted": 0, "rejected": 0, "added": 0, "unchanged": 0}
    changed = []
    for d in decisions:
        old = existing.get((d.segment_id, d.code_id))
        if old is not None and old.status == d.status and old.note == d.note:
            counts["unchanged"] += 1
            continue
        counts["added" if d.reason == "added in review" else d.status] += 1
        changed.append(
            store_codings.HumanDecision(d.segment_id, d.code_id, d.status, d.reason, d.note)
        )
    store_codings.record_human_codings(store, coder, changed, run_id=run_id, at=stamp)
    views_added = segs_store.mark_seen(store, sorted(viewed), coder, "review", at=stamp)
    return {**counts, "views_added": views_added}


__all__ = [
    "Decision",
    "ExportSummary",
    "ReviewImportSummary",
    "ReviewItem",
    "apply_decisions",
    "export_review",
    "how_to",
    "import_review",
    "offered_suggestions",
    "pending_suggestions",
    "review_order",
]
