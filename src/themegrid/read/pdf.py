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
* PDFium rarely emits blank lines, so a paragraph break is inferred after a
  line that ends a sentence and is clearly shorter than the page's full lines.

A margin column of numbers (MAXQDA prints paragraph numbers beside the text) comes
out of the text layer as one block of lines ``1``, ``2``, ``3`` ... at the end (or start) of the
page; a block of at least :data:`NUMBER_COLUMN_MIN` lines that each hold only a number,
counting up by one, is dropped and the repair noted.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from typing import Any

from themegrid.errors import InputFileError, MissingDependency
from themegrid.models import RawDocument
from themegrid.read import ReadRequest, register
from themegrid.read.text import document_from_text

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
        pages = [tabs_as_spaces(_page_text(request, document, i)) for i in range(len(document))]
    finally:
        document.close()
    dropped = [without_number_column(p) for p in pages]
    pages = [p for p, _ in dropped]
    numbers = sum(n for _, n in dropped)
    notes = (
        [
            f"removed a margin column of {numbers} paragraph numbers on "
            f"{sum(1 for _, n in dropped if n)} page(s)"
        ]
        if numbers
        else []
    )
    pages, headers, repeats = without_page_furniture(pages)
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
    text = "".join(_page_with_breaks(p.replace("\r\n", "\n")) for p in pages if p.strip())
    text = text.replace("\u00ad\n", "").replace("\u00ad", "")
    return document_from_text(request, repair_hyphenation(text), "pdf", notes)


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


def _page_text(request: ReadRequest, document: Any, index: int) -> str:
    try:
        page = document[index]
        textpage = page.get_textpage()
        try:
            text = str(textpage.get_text_range() or "")
        finally:
            textpage.close()
            page.close()
    except Exception as exc:
        raise InputFileError(
            request.display_path,
            f"has a page (page {index + 1}) PDFium cannot read ({type(exc).__name__}: "
            f"{_short(exc)}); re-export the PDF (e.g. 'print to PDF') and add it again",
        ) from exc
    return text.replace(_LINE_END_HYPHEN, "-\n")


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


def _page_with_breaks(page: str) -> str:
    """The page's text with paragraph breaks, ending in a break if its last sentence ends."""
    text = _with_paragraph_breaks(page.strip("\n"))
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
