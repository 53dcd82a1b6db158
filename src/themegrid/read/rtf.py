"""Rich Text Format (.rtf: f4/f5transkript, easytranscript, MAXQDA, WordPad, Word) with striprtf.

striprtf turns the RTF into text: code-page escapes (``\\'e9`` in the file's
``\\ansicpg`` or the font's ``\\fcharset``), ``\\uN`` Unicode escapes with their
fallback characters skipped, and destinations that are not body text (font and
style tables, headers, footers, footnotes, field instructions, pictures,
bookmarks) dropped; a field's result (the text Word shows) is kept.

Before striprtf runs, the control words that shape the text are swapped for
marker characters (Unicode noncharacters, which no document contains), so the
paragraph structure survives: each paragraph (``\\par``) becomes one paragraph
of the text, blank-line separated as in the .odt and .docx readers; a line break
(``\\line``) stays a line break inside its paragraph; a table row (``\\cell`` …
``\\row``) becomes one paragraph read as the .docx reader reads a row (a
Speaker | Text table reads as ``Speaker: text``). List numbers that RTF repeats
as plain text for old readers (``\\listtext``) are dropped, as the .docx and
.odt readers drop them. The text then goes through the plain-text analysis
(speaker labels, header, repair notes), so labels are found exactly as in a
.txt or .docx file.
"""

from __future__ import annotations

import re

from themegrid.errors import InputFileError, MissingDependency
from themegrid.models import RawDocument
from themegrid.read import ReadRequest, register
from themegrid.read.repair import known_binary
from themegrid.read.text import document_from_text, table_row_paragraph

_PAR, _CELL, _ROW, _INTBL, _PARD = "\ufdd0", "\ufdd1", "\ufdd2", "\ufdd3", "\ufdd4"
_FIX = "open it in Word or LibreOffice and save it again (as .rtf or .docx), then add it again"
#: A control word with its optional numeric argument and delimiting space, or a control symbol.
_CONTROL_RE = re.compile(r"\\(?:([a-zA-Z]{1,32})(-?\d{1,10})? ?|([^a-zA-Z]))")
_SWAPS = {
    "par": _PAR,
    "sect": _PAR,
    "cell": _CELL,
    "nestcell": _CELL,
    "row": _ROW,
    "nestrow": _ROW,
    "intbl": _INTBL,  # the paragraph is in a table ...
    "pard": _PARD,  # ... until paragraph properties are reset without it
    "page": "",  # a page break inside a paragraph does not split it (.docx: nothing)
    "column": "",
    "fldinst": "\\fldinst ",  # keeps striprtf from rewriting hyperlinks as ``text(url)``
}
_SYMBOLS = {"\n": _PAR, "\r": _PAR, "-": "", "_": "-"}  # ``\-`` soft hyphen, ``\_`` hard hyphen
_SPLIT_RE = re.compile(f"([{_PAR}{_CELL}{_ROW}])")
_CODEPAGE_RE = re.compile(rb"\\ansicpg(\d{3,5})")


@register(".rtf")
def read_rtf(request: ReadRequest) -> RawDocument:
    try:
        from striprtf.striprtf import rtf_to_text
    except ImportError as exc:  # a core dependency; only a broken install lacks it
        raise MissingDependency("Reading .rtf files", "striprtf", "all") from exc
    source = _source(request.path.read_bytes(), request.display_path)
    try:
        raw = rtf_to_text(
            _CONTROL_RE.sub(_swap, _drop_groups(source)),
            encoding=_charset(source),
            errors="replace",
        )
    except (ValueError, LookupError, IndexError) as exc:
        raise InputFileError(
            request.display_path, f"could not be read as RTF ({type(exc).__name__}); {_FIX}"
        ) from exc
    body = "\n\n".join(p for p in _paragraphs(_join_surrogates(raw)) if p.strip())
    return document_from_text(request, body, "rtf")  # its repair notes warn of U+FFFD


def _source(data: bytes, path: str) -> str:
    """The RTF source as text, after checking it is whole RTF and not binary."""
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        looks = known_binary(data)
        if looks:
            raise InputFileError(path, f"is not an RTF file: it looks like {looks}")
        raise InputFileError(path, f"is not an RTF file (it does not start with '{{\\rtf'); {_FIX}")
    if b"\x00" in data and b"\\bin" not in data:
        raise InputFileError(path, f"contains binary data (NUL bytes), so it is not RTF; {_FIX}")
    text = data.decode("ascii") if data.isascii() else _decode_8bit(data)
    depth = _outer_depth(text)
    if depth > 0:
        raise InputFileError(
            path,
            f"is cut off: {depth} RTF group(s) are never closed (the file is truncated or "
            f"damaged); {_FIX}",
        )
    return text


#: The character set named after ``{\rtf1`` when there is no ``\ansicpg`` (old Mac and DOS files).
_CHARSET_RE = re.compile(r"\\(mac|pca|pc)(?![a-z])")
_CHARSETS = {"mac": "mac_roman", "pc": "cp437", "pca": "cp850"}


def _charset(source: str) -> str:
    """The code page of ``\\'xx`` escapes unless ``\\ansicpg`` or a font says otherwise."""
    m = _CHARSET_RE.search(source, 0, 200)
    return _CHARSETS[m.group(1)] if m else "cp1252"


def _decode_8bit(data: bytes) -> str:
    """Raw 8-bit characters (RTF should escape them): UTF-8 if valid, else the declared code page."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    m = _CODEPAGE_RE.search(data[:2000])
    encoding = f"cp{m.group(1).decode()}" if m else "cp1252"
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return data.decode("cp1252", errors="replace")


_BRACES_RE = re.compile(r"\\[\\{}]|[{}]")


def _outer_depth(text: str) -> int:
    """How many groups are still open at the end (escaped braces ``\\{`` do not count)."""
    depth = 0
    for m in _BRACES_RE.finditer(text):
        token = m.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth == 0:
                return 0  # the document group closed; anything after it is ignored
    return depth


#: A field whose result is generated from the rest of the document (a table of contents,
#: an index, a table of authorities): its text repeats headings with page numbers.
_GENERATED_FIELD_RE = re.compile(r"\\fldinst\s*(?:\{\s*)?(?:TOC|INDEX|TOA)\b")
_FIELD_START = "{\\field"
#: Groups of hex data (pictures, embedded objects, Word's theme and XML data store) that
#: striprtf would skip a character at a time: cut out first, they are most of a Word RTF.
_BLOB_RE = re.compile(r"\{\\(?:\*\\)?(?:pict|objdata|themedata|colorschememapping|datastore)\b")


def _drop_groups(text: str) -> str:
    """``text`` without its hex-data groups and its table-of-contents and index fields
    (the .docx reader skips those too)."""
    spans = [(m.start(), _group_end(text, m.start())) for m in _BLOB_RE.finditer(text)]
    if "TOC" in text or "INDEX" in text or "TOA" in text:
        for m in _GENERATED_FIELD_RE.finditer(text):
            start = text.rfind(_FIELD_START, 0, m.start())
            if start >= 0:
                spans.append((start, _group_end(text, start)))
    if not spans:
        return text
    parts: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if start >= pos:  # a span inside one already dropped is dropped with it
            parts.append(text[pos:start])
            pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _group_end(text: str, start: int) -> int:
    """The offset just after the group opened by the ``{`` at ``start``."""
    depth = 0
    for m in _BRACES_RE.finditer(text, start):
        if m.group(0) == "{":
            depth += 1
        elif m.group(0) == "}":
            depth -= 1
            if depth == 0:
                return m.end()
    return len(text)


def _swap(m: re.Match[str]) -> str:
    word, symbol = m.group(1), m.group(3)
    if word is not None:
        if word == "listtext":
            return "\\*\\listtext "  # ``{\listtext 1.\tab}``: an ignorable destination now
        return _SWAPS.get(word, m.group(0))
    return _SYMBOLS.get(symbol, m.group(0))


def _join_surrogates(text: str) -> str:
    """striprtf gives each half of a ``\\uN`` surrogate pair (an emoji) as its own character."""
    if not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _paragraphs(text: str) -> list[str]:
    """Paragraph texts in document order; a table row becomes one paragraph."""
    out: list[str] = []
    cells: list[str] = []  # the open table row's cells
    cell: list[str] = []  # the open cell's paragraphs
    first_row = True
    in_table = False
    pieces = _SPLIT_RE.split(text)
    for piece, mark in zip(pieces[::2], [*pieces[1::2], ""], strict=True):
        last = max(piece.rfind(_INTBL), piece.rfind(_PARD))
        if last >= 0:
            in_table = piece[last] == _INTBL
            piece = piece.replace(_INTBL, "").replace(_PARD, "")
        if mark == _CELL:
            cells.append(" ".join([*cell, piece]))
            cell = []
        elif mark == _ROW:
            if piece.strip():
                cells.append(piece)
            if cells:
                row = table_row_paragraph(cells, first=first_row)
                if row:
                    out.append(row)
                first_row = False
            cells, cell = [], []
        elif in_table:
            cell.append(piece)
        else:
            if cells or cell:  # a row never closed by ``\row``: keep its words
                out.append("\t".join([*cells, *cell]))
                cells, cell = [], []
            first_row = True
            out.append(piece)
    if cells or cell:
        out.append("\t".join([*cells, *cell]))
    return out
