"""PDF (.pdf): the text layer via pypdfium2 (PDFium), pages joined, then the plain-text analysis.

PDFium replaced pypdf here: on the real corpus (MAXQDA transcripts, federal reports)
it extracts the same words about 19 times faster (29.5 s CPU -> 1.6 s for 15 PDFs),
separates words pypdf ran together ("overfittingI") and gives MAXQDA's tab-laid
pages with spaces. It marks a word broken at a line end with U+FFFE and drops the
line break; that mark becomes "-\n" again so the repair below decides, as before.

Two repairs make the text usable:

* Hyphenation at line ends (``imple-\\nmentation``) is undone only where the
  document itself shows the answer: the joined word occurs elsewhere (join), or
  the hyphenated form or the second part as a word does (keep the hyphen, drop
  the line break). Without evidence the text is left as it is.
* PDFium emits no blank lines, so paragraphs come from the page's geometry
  (:func:`paragraph_breaks`): PDFium gives each text line's box, and a line
  ends its paragraph when the next line does not continue it in the same
  column (a jump to another column or back up the page, unless the line stops
  mid-sentence), when the next line's first word would have fitted on it (a
  deliberately ended line: a paragraph's last line, a heading; ragged-right
  lines may leave :data:`_RAGGED` of the column free, and a line that stops
  mid-sentence followed by another short one is text narrowed around a box),
  when the next line is indented after a sentence end, when the text height
  changes (a heading), when either line is a table row (boxes far apart) or
  when the vertical gap is clearly wider than the document's line spacing
  inside paragraphs, and in transcripts at a turn's header line (``Name  0:37``)
  and before a labelled turn (``Ana: ...``) after a finished sentence.
  A paragraph's lines then become one line. Two-column reports keep their paragraphs whole this way. Where the
  boxes are not available the older rule applies: a break after a line that
  ends a sentence and is clearly shorter than the page's full lines.
* Running headers and footers (a line in the top or bottom margin whose words,
  numbers aside, recur on at least :data:`RUNNING_MIN_PAGES` pages, and lone page
  numbers there) are dropped and the repair noted.

A margin column of numbers (MAXQDA prints paragraph numbers beside the text) comes
out of the text layer as one block of lines ``1``, ``2``, ``3`` ... at the end (or start) of the
page; a block of at least :data:`NUMBER_COLUMN_MIN` lines that each hold only a number,
counting up by one, is dropped and the repair noted.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from themegrid.errors import InputFileError, MissingDependency
from themegrid.models import RawDocument
from themegrid.read import ReadRequest, register
from themegrid.read.text import document_from_text
from themegrid.segment.labels import is_label_line, starts_with_label

#: A word broken at a line end. ``(?<!\w)``: tried at word starts only, where every match
#: starts anyway (trying each letter of each word made this most of reading a long PDF).
_HYPHEN_RE = re.compile(r"(?<!\w)(\w*[^\W\d_])-[ \t]*\n[ \t]*([^\W\d_A-Z]\w*)")
_WORD_RE = re.compile(r"\w+(?:-\w+)*")
_SENTENCE_END = (".", "?", "!", ":", '"', "”", "’", ")")
#: The fewest lines of counting numbers taken for a margin column, not for text.
NUMBER_COLUMN_MIN = 5


#: How PDFium marks a hyphen it found at a line end (the line break dropped).
_LINE_END_HYPHEN = "\ufffe"


@register(".pdf")
def read_pdf(request: ReadRequest) -> RawDocument:
    document = _open(request)
    try:
        laid = [_page_lines(request, document, i) for i in range(len(document))]
    finally:
        document.close()
    note_marks = sum(page.note_marks for page in laid)
    dropped = [_without_number_lines(page) for page in laid]
    laid, running = without_running_lines([page for page, _ in dropped])
    leading = line_spacing(laid)
    pages = [tabs_as_spaces(page_text(lines, leading)) for lines in laid]
    numbers = sum(n for _, n in dropped)
    notes = (
        [
            f"removed a margin column of {numbers} paragraph numbers on "
            f"{sum(1 for _, n in dropped if n)} page(s)"
        ]
        if numbers
        else []
    )
    if note_marks:
        notes.append(f"removed {note_marks} superscript note number(s) from the text")
    pages, headers, repeats = without_page_furniture(pages)
    pages, contents = without_contents(pages, [has_boxes(page) for page in laid])
    if contents:
        notes.append(f"removed {contents} table-of-contents entries (title, dot leader, page)")
    if running:
        notes.append(f"removed {running} running header/footer line(s) and page number(s)")
    if headers:
        notes.append(f"removed {headers} page header(s) of the form 'page/pages'")
    if repeats:
        notes.append(f"removed {repeats} line(s) repeated at the top of the next page")
    if not any(p.strip() for p in pages):
        raise InputFileError(
            request.display_path,
            "looks like a scanned PDF with no text layer; run OCR (e.g. ocrmypdf) "
            "and add the OCR'd file",
        )
    text = "".join(
        _page_with_breaks(p.replace("\r\n", "\n"), infer=not has_boxes(laid[i]))
        for i, p in enumerate(pages)
        if p.strip()
    )
    text = text.replace("\u00ad\n", "").replace("\u00ad", "")
    text = repair_hyphenation(text)
    if all(has_boxes(page) for page in laid if page.lines):
        # the geometry decided the paragraphs: a paragraph's lines become one line
        text = _LINE_IN_PARAGRAPH_RE.sub(lambda m: "" if m.group(1) is not None else " ", text)
    if numbers:
        text = without_trailing_numbers(text)
    return document_from_text(request, text, "pdf", notes)


_TRAILING_NUMBERS_RE = re.compile(r"(?:\n\s*\d{1,5}[ \t]*(?=\n|\Z))+\s*\Z")


def without_trailing_numbers(text: str) -> str:
    """``text`` without the counting numbers after its last words: a margin column's
    numbers of the empty paragraphs at a transcript's end (MAXQDA's ``93 94 95``), too few
    on the last page to be taken for a column there. Only lines that count up by one."""
    m = _TRAILING_NUMBERS_RE.search(text)
    if m is None:
        return text
    values = [int(v) for v in m.group(0).split()]
    if any(b != a + 1 for a, b in itertools.pairwise(values)):
        return text
    return text[: m.start()] + "\n"


#: A line break inside a paragraph (not next to another), with the spaces around it; after
#: a hyphen the hyphen stays and no space comes in (``self-\nassessment``: ``self-assessment``).
_LINE_IN_PARAGRAPH_RE = re.compile(r"(?<=\S)(?:(?<=-)()[ \t]*|[ \t]*)\n(?![ \t]*\n)[ \t]*(?=\S)")


def without_contents(pages: list[str], laid_out: list[bool]) -> tuple[list[str], int]:
    """Pages without their table-of-contents entries: a paragraph (the geometry found
    it: ``laid_out``) whose last line ends in a dot leader of at least eight dots and a
    page number. The Word reader leaves a table of contents out too; a quotation's
    ellipsis (". . . .") is shorter. How many entries were dropped."""
    out: list[str] = []
    dropped = 0
    for page, laid in zip(pages, laid_out, strict=True):
        if not laid or not _CONTENTS_RE.search(page):
            out.append(page)
            continue
        blocks = page.split("\n\n")
        kept = [b for b in blocks if not _CONTENTS_RE.search(b.rstrip().rsplit("\n", 1)[-1])]
        dropped += len(blocks) - len(kept)
        out.append("\n\n".join(kept))
    return out, dropped


#: A contents entry's last line: a dot leader of eight dots or more, then its page number.
_CONTENTS_RE = re.compile(r"(?:\.[ \u00a0]?){8,}[ \u00a0]*\d{1,4}[ \u00a0]*$", re.MULTILINE)


def without_page_furniture(pages: list[str]) -> tuple[list[str], int, int]:
    """Pages without a first line ``i/n`` (page i of n), and without the first lines that
    repeat the previous page's last lines word for word (MAXQDA's PDF export repeats the
    start of a paragraph cut by the page break); how many headers and repeated lines were
    dropped."""
    out: list[str] = []
    headers = repeats = 0
    for i, page in enumerate(pages):
        lines = page.split("\n")
        first = next((k for k, line in enumerate(lines) if line.strip()), None)
        if first is not None and lines[first].strip() == f"{i + 1}/{len(pages)}":
            del lines[first]
            headers += 1
        if out:
            before = [line.strip() for line in out[-1].split("\n") if line.strip()]
            where = [k for k, line in enumerate(lines) if line.strip()]
            now = [lines[k].strip() for k in where]
            for n in range(min(len(before), len(now), 20), 0, -1):
                if before[-n:] == now[:n] and sum(len(t.split()) for t in now[:n]) >= 5:
                    del lines[: where[n - 1] + 1]
                    repeats += n
                    break
        out.append("\n".join(lines))
    return out, headers, repeats


def _without_number_lines(page: PageLines) -> tuple[PageLines, int]:
    """:func:`without_number_column` on a page's lines (before the geometry adds breaks)."""
    texts = [line.text for line in page.lines]
    kept, count = without_number_column("\n".join(texts))
    if not count:
        return page, 0
    rest = kept.split("\n")
    start = next(i for i in range(len(texts)) if texts[i : i + len(rest)] == rest)
    return PageLines(page.lines[start : start + len(rest)], page.height), count


def without_number_column(page: str) -> tuple[str, int]:
    """The page without a block of counting-number lines at its end or start (a margin
    column of paragraph numbers), and how many numbers were dropped."""
    lines = page.split("\n")
    dropped = 0
    for from_end in (True, False):
        seq = list(reversed(lines)) if from_end else lines
        i = 0
        while i < len(seq) and not seq[i].strip():
            i += 1
        run = i
        while run < len(seq) and seq[run].strip().isdigit():
            run += 1
        values = [int(v.strip()) for v in seq[i:run]]
        counting = all(b == a + (-1 if from_end else 1) for a, b in itertools.pairwise(values))
        if len(values) >= NUMBER_COLUMN_MIN and counting:
            seq = seq[run:]
            lines = list(reversed(seq)) if from_end else seq
            dropped += len(values)
    return "\n".join(lines), dropped


def _open(request: ReadRequest) -> Any:
    try:
        import pypdfium2
    except ImportError as exc:
        raise MissingDependency("Reading .pdf files", "pypdfium2", "pdf") from exc
    try:
        return pypdfium2.PdfDocument(str(request.path))
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise InputFileError(
                request.display_path,
                "is password-protected; save an unprotected copy and add that instead",
            ) from exc
        raise InputFileError(
            request.display_path,
            f"is not a readable PDF ({type(exc).__name__}: {_short(exc)}); "
            "re-export or re-download it and add it again",
        ) from exc


@dataclass(frozen=True)
class Line:
    """One text line of a page: its text (no line break) and its box in PDF points
    (left, bottom, right, top; y grows up the page), None where PDFium gave none."""

    text: str
    box: tuple[float, float, float, float] | None = None
    #: The line's words stand apart by wide gaps: a table row (its own paragraph).
    cells: bool = False
    #: A paragraph starts with this line (its first letter was a drop cap).
    opens: bool = False

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1] if self.box else 0.0


@dataclass(frozen=True)
class PageLines:
    """A page's lines in text-layer order and the page's height (points)."""

    lines: tuple[Line, ...]
    height: float = 0.0
    note_marks: int = 0  # superscript note numbers taken out of the text (see _note_marks)


def has_boxes(page: PageLines) -> bool:
    """Whether the page's lines carry PDFium's boxes (else the older break rule applies)."""
    return any(line.box for line in page.lines)


def _page_lines(request: ReadRequest, document: Any, index: int) -> PageLines:
    try:
        page = document[index]
        textpage = page.get_textpage()
        try:
            text = str(textpage.get_text_range() or "")
            height = float(page.get_height())
            if len(text) == textpage.count_chars():
                text, marks = _without_note_marks(textpage, text)
                return PageLines(tuple(_boxed_lines(textpage, text)), height, marks)
        finally:
            textpage.close()
            page.close()
    except Exception as exc:
        raise InputFileError(
            request.display_path,
            f"has a page (page {index + 1}) PDFium cannot read ({type(exc).__name__}: "
            f"{_short(exc)}); re-export the PDF (e.g. 'print to PDF') and add it again",
        ) from exc
    # characters and text do not line up (e.g. characters outside the BMP): no boxes
    flat = text.replace(_LINE_END_HYPHEN, "-\n").replace("\r\n", "\n")
    return PageLines(tuple(Line(t) for t in flat.split("\n")), height)


#: A text line: up to PDFium's generated line break, or up to its line-end hyphen mark.
_LINE_RE = re.compile(r"([^\r\n\ufffe]*)(\ufffe?)(?:\r\n|\r|\n)?")


def _boxed_lines(textpage: Any, text: str) -> list[Line]:
    """The page's lines, each with the union of the boxes PDFium gives its characters.

    Character ``i`` of the text range is PDFium's character ``i`` (checked by the
    caller), so a line's characters are found by offset."""
    lines: list[Line] = []
    for m in _LINE_RE.finditer(text):
        if m.start() == m.end():
            continue
        body, hyphen = m.group(1), m.group(2)
        words = body.rstrip()
        box = None
        rects: list[tuple[float, float, float, float]] = []
        if words.strip():
            count = textpage.count_rects(m.start(1), len(words))
            rects = _without_drop_cap([textpage.get_rect(k) for k in range(count)])
            if rects:
                box = (
                    min(r[0] for r in rects),
                    min(r[1] for r in rects),
                    max(r[2] for r in rects),
                    max(r[3] for r in rects),
                )
        text = body.replace(_NOTE_MARK, "") + ("-" if hyphen else "")
        lines.append(Line(text, box, _has_cell_gaps(rects)))
    return with_drop_caps(lines)


#: A run of 1-3 digits right after a letter or closing punctuation, ending a word: a
#: note number (``funds.14``, ``IDEA3``, ``2009.10``) if it is set as a superscript.
_NOTE_CANDIDATE = re.compile(r"(?<=[^\W\d_]|[.,;:!?)\]\"”’])(\d{1,3})(?!\w)")
#: What a note number's characters become until the line's text is made (it keeps the
#: text aligned with PDFium's character indices, which the boxes are read by).
_NOTE_MARK = "\u2063"
#: A superscript's type is at most this share of the word's height before it, and its
#: bottom at least this share of that height above the word's bottom (the real reports:
#: 0.55-0.6 of the height raised 0.35 in 2018, 0.8 raised 0.24 in 2003; a digit in the
#: text's own type is 1.0 and not raised, a subscript is lowered).
_SUPERSCRIPT_SIZE = 0.85
_SUPERSCRIPT_RISE = 0.15


def _without_note_marks(textpage: Any, text: str) -> tuple[str, int]:
    """The page's text with superscript note numbers (endnote and footnote references)
    replaced by :data:`_NOTE_MARK`, and how many. A report's ``funds.14`` read as a word
    hid ``funds`` from the cues and put ``14`` in quotes. PDFium gives every character the
    same nominal font size when the type is scaled, so the test is geometry: each digit's
    loose box (the font's full height at its real size) against the character before."""
    out: list[str] | None = None
    marks = 0
    for m in _NOTE_CANDIDATE.finditer(text):
        start, end = m.span(1)
        ref = start - 1
        while ref > 0 and not text[ref].isalnum() and start - ref < 3:
            ref -= 1
        if not text[ref].isalnum():
            continue
        _left, bottom, _right, top = textpage.get_charbox(ref, loose=True)
        height = top - bottom
        if height <= 0:
            continue
        raised = True
        for k in range(start, end):
            _l, b, _r, t = textpage.get_charbox(k, loose=True)
            if not (
                0 < t - b <= _SUPERSCRIPT_SIZE * height and b >= bottom + _SUPERSCRIPT_RISE * height
            ):
                raised = False
                break
        if raised:
            if out is None:
                out = list(text)
            out[start:end] = _NOTE_MARK * (end - start)
            marks += 1
    return ("".join(out) if out is not None else text), marks


def with_drop_caps(lines: list[Line]) -> list[Line]:
    """The lines with a drop cap (a chapter's large first letter, which PDFium gives as a
    line of its own: ``T``, then ``his chapter presents``) put back in front of its word;
    that line opens a paragraph. A drop cap: one or two characters, over two and a half
    times as tall as the next line, which starts right of it on its top row."""
    out: list[Line] = []
    k = 0
    while k < len(lines):
        a = lines[k]
        b = lines[k + 1] if k + 1 < len(lines) else None
        if b is not None and a.box and b.box and 0 < len(a.text.strip()) <= 2:
            gap = b.box[0] - a.box[2]
            top_row = a.box[1] < b.box[1] and abs(a.box[3] - b.box[3]) <= b.height
            if a.height > 2.5 * b.height > 0 and 0 <= gap <= 2 * b.height and top_row:
                out.append(Line(a.text.strip() + b.text.lstrip(), b.box, b.cells, opens=True))
                k += 2
                continue
        out.append(a)
        k += 1
    return out


def _without_drop_cap(
    rects: list[tuple[float, float, float, float]],
) -> list[tuple[float, float, float, float]]:
    """A line's boxes without a drop cap (a chapter's large first letter), whose height
    would make the line a heading of its own and the paragraph's first words a fragment:
    a first box two and a half to eight times as tall as the others' median, no wider
    than tall, whose top is level with theirs (a drop cap hangs down from the line)."""
    if len(rects) < 2:
        return rects
    first, rest = rects[0], rects[1:]
    heights = sorted(r[3] - r[1] for r in rest)
    median = heights[len(heights) // 2]
    tall = first[3] - first[1]
    level = abs(first[3] - max(r[3] for r in rest)) <= median
    if median > 0 and 2.5 * median < tall < 8 * median and first[2] - first[0] <= tall and level:
        return rest
    return rects


def _has_cell_gaps(rects: Sequence[tuple[float, float, float, float]]) -> bool:
    """Whether some gap between a line's boxes (left to right) is wider than three times
    the line's height: cells of a table row, not words."""
    if len(rects) < 2:
        return False
    height = max(r[3] for r in rects) - min(r[1] for r in rects)
    ordered = sorted(rects)
    return any(b[0] - a[2] > 3 * height for a, b in itertools.pairwise(ordered))


def page_text(page: PageLines, leading: float | None = None) -> str:
    """The page's lines joined by line breaks, a blank line where a paragraph ends."""
    if not has_boxes(page):
        return "\n".join(line.text for line in page.lines)
    breaks = paragraph_breaks(page.lines, leading)
    out: list[str] = []
    for i, line in enumerate(page.lines):
        out.append(line.text)
        if i < len(page.lines) - 1:
            out.append("\n\n" if i in breaks else "\n")
    return "".join(out)


def line_spacing(pages: Sequence[PageLines]) -> float | None:
    """The document's spacing inside paragraphs: a low share of the baseline steps from a
    line to the next one in its column (a page of one-line turns has only gaps), or None."""
    steps: list[float] = []
    for page in pages:
        boxed = [line for line in page.lines if line.box]
        if len(boxed) < 2:
            continue
        body = _body_height(boxed)
        steps.extend(
            a.box[1] - b.box[1]  # type: ignore[index]
            for a, b in itertools.pairwise(boxed)
            if _below(a, b, body)
        )
    steps.sort()
    return steps[len(steps) // 5] if steps else None


def _body_height(boxed: Sequence[Line]) -> float:
    heights = sorted(line.height for line in boxed)
    return heights[len(heights) // 2]


def paragraph_breaks(lines: Sequence[Line], leading: float | None = None) -> set[int]:
    """Indexes of the lines after which a paragraph ends (see the module docstring);
    ``leading``: the document's :func:`line_spacing` (else the page's own)."""
    boxed = [(i, line) for i, line in enumerate(lines) if line.box]
    if len(boxed) < 2:
        return set()
    body = _body_height([line for _, line in boxed])
    boxed = _rows(boxed, body)
    if len(boxed) < 2:
        return set()
    if leading is None:
        leading = line_spacing([PageLines(tuple(lines))]) or 1.2 * body
    rights = [_column_right(k, boxed, body) for k in range(len(boxed))]
    headers = [is_label_line(line.text) for _, line in boxed]  # once per line, not per pair
    breaks: set[int] = set()
    for k, ((i, a), (_, b)) in enumerate(itertools.pairwise(boxed)):
        if headers[k] or headers[k + 1]:
            breaks.add(i)  # a transcript's turn header (``Priya Raman  0:37``) stands alone
        elif _ends_paragraph(a, b, rights[k], body, leading):
            breaks.add(i)
    return breaks


def _rows(boxed: Sequence[tuple[int, Line]], body: float) -> list[tuple[int, Line]]:
    """The lines with each run of lines on one text row made one (its last line's index,
    the texts joined, the boxes' width and the longer text's height). PDFium ends a line
    where the type changes on a row: at a superscript note number (``District,`` ``185``)
    or a word in another font; the number's small height made a heading of the line and
    a fragment of the rest of the sentence."""
    rows: list[tuple[int, Line]] = []
    for i, line in boxed:
        if rows and _same_row(rows[-1][1], line, body):
            a = rows[-1][1]
            assert a.box and line.box
            # the row's height is that of its longer text (not of a superscript)
            tall = a.box if len(a.text.strip()) >= len(line.text.strip()) else line.box
            box = (min(a.box[0], line.box[0]), tall[1], max(a.box[2], line.box[2]), tall[3])
            rows[-1] = (i, Line(a.text + line.text, box, a.cells or line.cells, a.opens))
        else:
            rows.append((i, line))
    return rows


def _same_row(a: Line, b: Line, body: float) -> bool:
    """Whether ``b`` goes on along ``a``'s row: it starts where ``a`` ends (less than a
    body line's height to its right) and the two boxes share at least a third of the
    smaller one's height."""
    assert a.box and b.box
    gap = b.box[0] - a.box[2]
    shared = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
    return -0.5 * body <= gap <= body and shared >= min(a.height, b.height) / 3 > 0


def _below(a: Line, b: Line, body: float) -> bool:
    """Whether ``b`` sits under ``a`` in the same column (the next line of a column)."""
    assert a.box and b.box
    overlap = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
    return overlap > 0 and b.box[3] <= a.box[1] + 0.5 * body and a.box[1] - b.box[1] < 4 * body


def _column_right(k: int, boxed: Sequence[tuple[int, Line]], body: float) -> float:
    """The right edge of line ``k``'s column: the furthest right that it and the up to
    :data:`_NEAR` lines right above it in the same column reach (a heading across both
    columns, or a pull quote's neighbours, are not its column), counting lines of its height."""
    line = boxed[k][1]
    assert line.box
    right = line.box[2]
    j = k
    while j > 0 and k - j < _NEAR and _below(boxed[j - 1][1], boxed[j][1], body):
        j -= 1
        above = boxed[j][1]
        if above.box and not _other_size(above, line):
            right = max(right, above.box[2])
    return right


#: How many lines before a line are looked at for its column's right edge (text wrapped
#: around a box is narrower than the page's other lines in that column).
_NEAR = 2


def _ends_paragraph(a: Line, b: Line, right: float, body: float, leading: float) -> bool:
    assert a.box and b.box
    sentence_end = a.text.rstrip().endswith(_SENTENCE_END)
    if a.cells or b.cells or b.opens or _LEADER_RE.search(a.text):
        return True  # a table row, a drop cap's paragraph, a contents entry's last line
    if sentence_end and starts_with_label(b.text):
        return True  # a labelled turn (``Ana: ...``) after a finished sentence starts anew
    first_word = b.text.strip().split(" ", 1)[0]
    if not _below(a, b, body):
        # another column, or back up the page (a table's next cell): a paragraph goes on
        # only mid-sentence from a line that fills its column (the next line's first
        # word, or four characters, would not have fitted on it)
        own = (a.box[2] - a.box[0]) / max(len(a.text.strip()), 1)
        return (
            sentence_end
            or _other_size(a, b)
            or a.box[2] + max(4, len(first_word) + 1) * own < right
        )
    if _other_size(a, b):
        return True  # a heading and its text
    if a.box[1] - b.box[1] > 1.6 * leading:
        return True  # a wider gap than the page's line spacing
    if _LEADER_RE.search(b.text):
        return False  # a contents entry's title goes on to its dot leader and page number
    width = (b.box[2] - b.box[0]) / max(len(b.text.strip()), 1)
    # 1.5: the average character is narrower than many a word's ("with", "when"); and
    # ragged-right typesetting leaves up to a tenth or so of the column free on any line
    room = max(width * (1.5 * len(first_word) + 1), _RAGGED * (right - a.box[0]))
    if a.box[2] + room < right and not a.text.rstrip().endswith("-"):
        # the next word would have fitted: the line was ended on purpose, unless the
        # next line stops as short mid-sentence (text narrowed around a box or picture)
        narrowed = not sentence_end and b.box[2] + room < right
        if not narrowed:
            return True
    return sentence_end and b.box[0] - a.box[0] > width


#: A contents entry's end: a dot leader and the page number (``Introduction . . . . 12``).
_LEADER_RE = re.compile(r"(?:\.[ \u00a0]?){8,}[ \u00a0]*\d{1,4}[ \u00a0]*$")


def _other_size(a: Line, b: Line) -> bool:
    """Whether the two lines' type differs in size (a heading and its text): their boxes'
    heights differ by more than 40%, unless the shorter line has only x-height letters
    (``means.``: no ascender or descender, so its box is shorter at the same size)."""
    ha, hb = a.height, b.height
    if abs(ha - hb) <= 0.4 * max(ha, hb):
        return False
    return not set((a if ha < hb else b).text.strip()) <= _X_HEIGHT


#: Characters no taller than a lower-case x (and punctuation on the baseline).
_X_HEIGHT = frozenset("acemnorsuvwxz.,:;-–— \u00a0")


#: The share of a column's width a ragged-right line may leave free mid-paragraph.
_RAGGED = 0.12


#: The fewest pages a margin line's words must recur on to be a running header or footer.
RUNNING_MIN_PAGES = 3
#: How far from the top or bottom edge (share of the page's height) a running line sits.
_MARGIN_SHARE = 0.08


def without_running_lines(pages: list[PageLines]) -> tuple[list[PageLines], int]:
    """Pages without running headers/footers and lone page numbers in their margins."""

    def margin(page: PageLines, line: Line) -> bool:
        if not line.box or not page.height or line.box[1] < 0 or line.box[3] > page.height:
            return False
        edge = _MARGIN_SHARE * page.height
        return line.box[1] > page.height - edge or line.box[3] < edge

    def key(line: Line) -> str:
        return " ".join(re.sub(r"\d+", " ", line.text).split()).casefold()

    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({key(line) for line in page.lines if margin(page, line) and key(line)})
    out: list[PageLines] = []
    dropped = 0
    for page in pages:
        numbers = [line for line in page.lines if margin(page, line) and not key(line)]
        lone = set(map(id, numbers)) if len(numbers) <= 2 else set()  # not a number column
        keep = [
            line
            for line in page.lines
            if id(line) not in lone
            and not (margin(page, line) and seen[key(line)] >= RUNNING_MIN_PAGES)
        ]
        dropped += len(page.lines) - len(keep)
        out.append(PageLines(tuple(keep), page.height))
    return out, dropped


def tabs_as_spaces(page: str) -> str:
    """A page whose words are separated by tabs (MAXQDA's PDF exports) with spaces instead.

    Only when tabs outnumber spaces between words: a table laid out with tabs keeps them.
    A tab at a line's start or end (after ``Dan:``) goes too.
    """
    between = len(re.findall(r"(?<=\S)\t(?=\S)", page))
    if between <= page.count(" "):
        return page
    page = re.sub(r"(?<=\S)\t+(?=\S)", " ", page)
    return re.sub(r"[ \t]*\n[ \t]*", "\n", page)


def _short(exc: Exception) -> str:
    message = " ".join(str(exc).split())
    return message[:80] or "no details"


def repair_hyphenation(text: str) -> str:
    """Undo line-end hyphenation where the document shows what the word is."""
    if "-\n" not in text and not re.search(r"-[ \t]+\n", text):
        return text
    counts = Counter(w.casefold() for w in _WORD_RE.findall(text))

    def fix(m: re.Match[str]) -> str:
        left, right = m.group(1), m.group(2)
        joined = (left + right).casefold()
        hyphened = f"{left}-{right}".casefold()
        if counts[joined] > counts[hyphened]:
            return left + right
        # the second half is counted once where it stands: ">= 2" means "also elsewhere"
        if counts[hyphened] or counts[right.casefold()] >= 2:
            return f"{left}-{right}"
        return m.group(0)

    return _HYPHEN_RE.sub(fix, text)


def _page_with_breaks(page: str, *, infer: bool = True) -> str:
    """The page's text with paragraph breaks, ending in a break if its last sentence ends.

    ``infer``: add breaks by the older line-length rule (pages without PDFium's boxes)."""
    text = _with_paragraph_breaks(page.strip("\n")) if infer else page.strip("\n")
    return text + ("\n\n" if text.rstrip().endswith(_SENTENCE_END) else "\n")


def _with_paragraph_breaks(page: str) -> str:
    """Insert a blank line after short sentence-final lines when the page has none."""
    lines = page.split("\n")
    if len(lines) < 3 or any(not line.strip() for line in lines[:-1]):
        return page
    lengths = sorted(len(line.rstrip()) for line in lines)
    full = lengths[(3 * len(lengths)) // 4]
    out: list[str] = []
    for line in lines[:-1]:
        out.append(line)
        stripped = line.rstrip()
        if stripped.endswith(_SENTENCE_END) and len(stripped) < 0.8 * full:
            out.append("")
    out.append(lines[-1])
    return "\n".join(out)
