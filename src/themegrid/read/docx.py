"""Word documents (.docx): paragraphs and tables, with speaker labels set in bold.

Footnotes and endnotes follow the body as paragraphs of their own, under a
"Footnotes" / "Endnotes" heading line, each note opening with its number in
brackets (``[12] Ibid.``) counted in the order the body refers to them. A field's
result (a ``SEQ`` caption number, a ``TOC`` entry) is text; its instruction is not.
In a document (not a transcript) a manual line break inside a paragraph that does
not end a sentence is read as a space, so the sentence stays one segment.

A speaker label is a bold (or "Strong"-styled) run at the start of a paragraph
ending in ``:`` (``**Jane:** text``), or a paragraph that is only a bold name
(the speaker's words follow in the next paragraphs). Without bold labels the
text goes through the same analysis as a plain-text file.
"""

from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from themegrid.errors import InputFileError, MissingDependency
from themegrid.models import RawDocument, Unit
from themegrid.read import ReadRequest, register
from themegrid.read.archive import corpus_zip_reason
from themegrid.read.repair import repair_text
from themegrid.read.text import document_from_text, find_header, table_row_paragraph
from themegrid.segment.labels import closing_times, is_name_or_role, normalise_speaker
from themegrid.segment.paragraphs import paragraph_units, stripped_unit

_PARAGRAPH_SEP = "\n\n"


@dataclass(frozen=True)
class _Para:
    start: int  #: offset of the paragraph in the document text
    end: int
    label: str | None  #: bold speaker label, if any
    content_offset: int  #: where the words after the label start, relative to ``start``
    label_only: bool  #: the paragraph is nothing but the label


@register(".docx")
def read_docx(request: ReadRequest) -> RawDocument:
    document = _open(request)
    texts, labels = _paragraphs(document)
    if not any(t.strip() for t in texts):
        raise InputFileError(
            request.display_path, "has no text in its paragraphs; add the text or remove the file"
        )
    body = len(texts)
    note_texts = note_paragraphs(document, last_body=texts[-1] if texts else "")
    texts += note_texts
    labels += [None] * len(note_texts)
    text = _PARAGRAPH_SEP.join(texts)
    repaired, notes = repair_text(text)
    pieces = repaired.split(_PARAGRAPH_SEP)
    if len(pieces) != len(texts):
        return _plain_document(request, texts, None)
    paras = _layout(pieces, labels)
    if not _bold_transcript(paras[:body]):
        return _plain_document(request, texts, body if note_texts else None)
    notes_start = paras[body].start if note_texts else None
    return _bold_document(request, repaired, paras[:body], notes, notes_start)


def _plain_document(request: ReadRequest, texts: list[str], body: int | None) -> RawDocument:
    """The paragraphs read as plain text (no bold labels): a transcript by its text
    labels, or a document, whose in-paragraph line breaks inside a sentence are read as
    spaces (:func:`join_broken_lines`; one character for one, so offsets hold)."""
    raw = document_from_text(request, _PARAGRAPH_SEP.join(texts), "docx")
    if raw.kind == "document":
        joined = [join_broken_lines(t) for t in texts]
        if joined != texts:
            again = document_from_text(request, _PARAGRAPH_SEP.join(joined), "docx")
            raw = again if again.kind == "document" else raw
    if body is None or raw.kind == "document":  # a document's paragraphs are apart already
        return raw
    pieces = raw.text.split(_PARAGRAPH_SEP)
    if len(pieces) != len(texts):  # repair joined or split paragraphs: where notes start is lost
        return raw
    return _notes_apart(raw, sum(len(p) + len(_PARAGRAPH_SEP) for p in pieces[:body]))


#: A line that ends like this ends a sentence (or introduces what follows): its break stays.
_LINE_END_RE = re.compile(r"[.!?…:;][\"'”’)\]]*\s*$")
_LIST_START_RE = re.compile(r"\s*(?:[-*•–▪◦·]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s")


def join_broken_lines(text: str) -> str:
    """``text`` with each single line break (``w:br``) that cuts a sentence made a space.

    A break stays where the line before ends a sentence (``.``, ``?``, ``:``...),
    where the next line is a list item, and where two breaks make an empty line.
    """
    if "\n" not in text:
        return text
    lines = text.split("\n")
    out = [lines[0]]
    for before, line in itertools.pairwise(lines):
        keep = (
            not before.strip()
            or not line.strip()
            or _LINE_END_RE.search(before) is not None
            or _LIST_START_RE.match(line) is not None
        )
        out.append(("\n" if keep else " ") + line)
    return "".join(out)


def _notes_apart(raw: RawDocument, notes_start: int) -> RawDocument:
    """``raw`` with the notes (from ``notes_start`` on) as paragraphs of their own: no
    speaker's turn runs on into them."""
    units: list[Unit] = []
    for u in raw.units:
        if u.start >= notes_start:
            continue
        if u.end > notes_start:
            cut = stripped_unit(raw.text, u.start, notes_start, speaker=u.speaker)
            if cut is None:
                continue
            u = replace(u, end=cut.end)
        units.append(u)
    units += paragraph_units(raw.text, notes_start, len(raw.text))
    return replace(raw, units=tuple(units))


def _open(request: ReadRequest) -> Any:
    try:
        import docx
    except ImportError as exc:
        raise MissingDependency("Reading .docx files", "python-docx", "docx") from exc
    if not zipfile.is_zipfile(request.path):
        raise InputFileError(
            request.display_path,
            "is not a valid .docx (not a zip archive; maybe an old .doc or a renamed file); "
            "open it in Word and save it as .docx",
        )
    bomb = corpus_zip_reason(request.path)
    if bomb:
        raise InputFileError(request.display_path, f"{bomb}; not read")
    try:
        return docx.Document(str(request.path))
    except Exception as exc:
        raise InputFileError(
            request.display_path,
            f"could not be opened as a Word document ({type(exc).__name__}); "
            "open it in Word and save it again as .docx",
        ) from exc


def _paragraphs(document: Any) -> tuple[list[str], list[tuple[str, bool] | None]]:
    """Paragraph texts in document order and, per paragraph, its bold label if any.

    Tables count too: each row is a paragraph (see :func:`_row_text`), so a
    transcript laid out as a Speaker | Text table reads like ``Speaker: text``.
    """
    texts: list[str] = []
    labels: list[tuple[str, bool] | None] = []
    styles: dict[Any, bool] = {}
    for block in _blocks(document):
        if hasattr(block, "rows"):
            for i, row in enumerate(block.rows):
                text = _row_text(row, first=i == 0)
                if text:
                    texts.append(text)
                    labels.append(None)
            continue
        text = paragraph_text(block._p)
        if not text.strip():
            continue
        texts.append(text)
        labels.append(_bold_label(block, text, styles))
    return texts, labels


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_GALLERY = f"{_W}sdtPr/{_W}docPartObj/{_W}docPartGallery"


def _blocks(document: Any) -> Iterator[Any]:
    """The body's paragraphs and tables in order (python-docx's ``iter_inner_content``),
    and those inside block content controls (``w:sdt``), which python-docx skips; but
    not a table of contents (a ``w:sdt`` of the "Table of Contents" gallery: titles and
    page numbers the body repeats)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    body = document._body

    def walk(parent: Any) -> Iterator[Any]:
        for child in parent.iterchildren(f"{_W}p", f"{_W}tbl", f"{_W}sdt"):
            if child.tag == f"{_W}p":
                yield Paragraph(child, body)
            elif child.tag == f"{_W}tbl":
                yield Table(child, body)
            else:
                gallery = child.find(_GALLERY)
                if gallery is not None and gallery.get(f"{_W}val") == "Table of Contents":
                    continue
                for content in child.iterchildren(f"{_W}sdtContent"):
                    yield from walk(content)

    return walk(document.element.body)


_RUN, _LINK, _T, _BR = f"{_W}r", f"{_W}hyperlink", f"{_W}t", f"{_W}br"
_BR_TYPE, _VAL = f"{_W}type", f"{_W}val"
_RPR, _B, _RSTYLE = f"{_W}rPr", f"{_W}b", f"{_W}rStyle"
#: Run content other than text and breaks, as python-docx renders it.
_RUN_MARKS = {f"{_W}tab": "\t", f"{_W}ptab": "\t", f"{_W}cr": "\n", f"{_W}noBreakHyphen": "-"}


def paragraph_text(p: Any) -> str:
    """The text of a ``w:p`` element: what python-docx's ``Paragraph.text`` gives.

    Runs, and runs inside hyperlinks, in document order; ``w:tab``/``w:ptab`` become a
    tab, a line break (``w:br`` of type textWrapping, ``w:cr``) a newline, a
    non-breaking hyphen "-"; page and column breaks nothing. Read in one pass over
    the XML: python-docx runs an XPath query per run, which was two thirds of the time
    reading a long report took.
    """
    return "".join(_run_text(r) for r in _runs(p))


#: Elements inside a paragraph whose runs are its text: hyperlinks, a simple field's
#: result (``w:fldSimple``: "Table <SEQ>1</SEQ>"), tracked insertions, smart tags,
#: content controls. python-docx reads the runs of hyperlinks only.
_INLINE = {
    f"{_W}{name}"
    for name in ("hyperlink", "fldSimple", "ins", "moveTo", "smartTag", "customXml", "dir", "bdo")
}
_SDT, _SDT_CONTENT = f"{_W}sdt", f"{_W}sdtContent"


def _runs(parent: Any) -> Iterator[Any]:
    """The ``w:r`` elements of a paragraph in document order, inside inline containers too
    (not those of deleted text, ``w:del``/``w:moveFrom``, whose words are not in the text)."""
    for child in parent.iterchildren():
        tag = child.tag
        if tag == _RUN:
            yield child
        elif tag in _INLINE:
            yield from _runs(child)
        elif tag == _SDT:
            for content in child.iterchildren(_SDT_CONTENT):
                yield from _runs(content)


def _run_text(r: Any) -> str:
    """The text of a ``w:r`` element, as python-docx's ``Run.text`` gives it."""
    parts: list[str] = []
    for e in r.iterchildren():
        tag = e.tag
        if tag == _T:
            parts.append(e.text or "")
        elif tag == _BR:
            parts.append("\n" if e.get(_BR_TYPE, "textWrapping") == "textWrapping" else "")
        elif tag in _RUN_MARKS:
            parts.append(_RUN_MARKS[tag])
    return "".join(parts)


def _row_text(row: Any, *, first: bool) -> str:
    """A table row as one paragraph (see :func:`~themegrid.read.text.table_row_paragraph`)."""
    return table_row_paragraph([_cell_text(cell._tc) for cell in row.cells], first=first)


_P = f"{_W}p"


def _cell_text(tc: Any) -> str:
    """A cell's paragraphs, one a line: python-docx's ``_Cell.text`` read with
    :func:`paragraph_text`."""
    return "\n".join(paragraph_text(p) for p in tc.iterchildren(_P))


_NOTE_REFERENCE = {"footnotes": f"{_W}footnoteReference", "endnotes": f"{_W}endnoteReference"}
_NOTE = {"footnotes": f"{_W}footnote", "endnotes": f"{_W}endnote"}
_ID, _TYPE, _CUSTOM_MARK = f"{_W}id", f"{_W}type", f"{_W}customMarkFollows"


def note_paragraphs(document: Any, *, last_body: str = "") -> list[str]:
    """The document's footnotes, then its endnotes, as paragraphs to follow the body.

    Each kind opens with a heading line ("Footnotes", "Endnotes"), unless the
    body's last paragraph is already that heading (a report's own "Endnotes"
    page, whose notes Word keeps in ``word/endnotes.xml``). A note's first
    paragraph starts ``[N] ``: N counts the body's references in order, as Word
    numbers them (a reference with its own mark, ``customMarkFollows``, keeps that
    mark in the body and gets no number). Separators and empty notes are left out.
    """
    from docx.oxml import parse_xml

    out: list[str] = []
    body = document.element.body
    for kind in ("footnotes", "endnotes"):
        part = next(
            (
                rel.target_part
                for rel in document.part.rels.values()
                if not rel.is_external and rel.reltype.endswith(f"/{kind}")
            ),
            None,
        )
        if part is None:
            continue
        numbers: dict[str, int] = {}
        for ref in body.iter(_NOTE_REFERENCE[kind]):
            note_id = ref.get(_ID)
            if note_id not in numbers and ref.get(_CUSTOM_MARK) not in ("1", "true", "on"):
                numbers[note_id] = len(numbers) + 1
        root = parse_xml(part.blob)
        found: list[tuple[int | None, list[str]]] = []
        for note in root.iterchildren(_NOTE[kind]):
            if note.get(_TYPE) not in (None, "normal"):
                continue
            texts = [t.strip() for t in (paragraph_text(p) for p in note.iter(_P)) if t.strip()]
            if not texts:
                continue
            number = numbers.get(note.get(_ID))
            if number is not None:
                texts[0] = f"[{number}] {texts[0]}"
            found.append((number, texts))
        if not found:
            continue
        heading = kind.capitalize()
        if out or last_body.strip().casefold() != heading.casefold():
            out.append(heading)
        found.sort(key=lambda n: (n[0] is None, n[0] or 0))  # in the order the body cites them
        out += [t for _, texts in found for t in texts]
    return out


def _is_bold(r: Any, para: Any, styles: dict[Any, bool]) -> bool:
    """Whether the ``w:r`` element ``r`` is bold itself or by its character style;
    ``styles``: style id -> bold, per document (python-docx looks a run's style up in the
    styles part on every access: 90% of the time reading a long report took)."""
    from docx.text.run import Run

    rpr = r.find(_RPR)
    b = None if rpr is None else rpr.find(_B)
    if b is not None:
        val = b.get(_VAL)
        if val is None or val in ("1", "true", "on"):
            return True
        if val not in ("0", "false", "off") and Run(r, para).bold:  # invalid: as python-docx
            return True
    rstyle = None if rpr is None else rpr.find(_RSTYLE)
    style_id = None if rstyle is None else rstyle.get(_VAL)
    if style_id not in styles:
        style = getattr(Run(r, para), "style", None)
        name = (getattr(style, "name", "") or "").casefold()
        styles[style_id] = name in {"strong", "bold"} or bool(style is not None and style.font.bold)
    return styles[style_id]


def _bold_label(
    para: Any, text: str, styles: dict[Any, bool] | None = None
) -> tuple[str, bool] | None:
    styles = {} if styles is None else styles
    prefix = ""
    for r in para._p.iterchildren(_RUN):  # the paragraph's runs (not those of hyperlinks)
        run_text = _run_text(r)
        if not run_text:
            continue
        if not _is_bold(r, para, styles):
            break
        prefix += run_text
    if not prefix.strip():
        return None
    rest = text[len(prefix) :] if text.startswith(prefix) else None
    if rest is None:
        return None
    label_only = not rest.strip()
    head = prefix.strip()
    if head.endswith((":", "：")):
        return head.rstrip(":：").strip(), label_only
    if rest.lstrip().startswith(":"):
        return head, False
    if label_only and is_name_or_role(head):
        return head, True
    return None


def _layout(texts: list[str], labels: list[tuple[str, bool] | None]) -> list[_Para]:
    paras: list[_Para] = []
    pos = 0
    for text, label in zip(texts, labels, strict=True):
        offset = _content_offset(text) if label and not label[1] else 0
        name = label[0] if label and is_name_or_role(label[0]) else None
        paras.append(_Para(pos, pos + len(text), name, offset, bool(name and label and label[1])))
        pos += len(text) + len(_PARAGRAPH_SEP)
    return paras


def _content_offset(text: str) -> int:
    m = re.search(r"[:：]\**\s*", text)
    return m.end() if m else 0


def _bold_transcript(paras: list[_Para]) -> bool:
    """Enough bold labels to read the document as a transcript.

    A bold-only paragraph could be a heading, so it counts only if its label recurs.
    Speakers come back turn after turn; a report's bold run-in headings
    (``Charter Authorizers:``, ``State Legislatures:``) each stand once. So with more
    than :data:`FEW_LABELS` labels, most of them must be of labels that recur.
    """
    keys = [normalise_speaker(p.label) for p in paras if p.label]
    inline = [p for p in paras if p.label and not p.label_only]
    recurring = {k for k in keys if keys.count(k) >= 2}
    if len(keys) > FEW_LABELS and sum(1 for k in keys if k in recurring) * 2 < len(keys):
        return False
    return len(keys) >= 2 and (len(inline) >= 2 or len(recurring) >= 1)


#: Up to this many bold labels a document is judged without asking that they recur.
FEW_LABELS = 4


def _bold_document(
    request: ReadRequest,
    text: str,
    paras: list[_Para],
    notes: list[str],
    notes_start: int | None = None,
) -> RawDocument:
    header = find_header(text)
    first = next(i for i, p in enumerate(paras) if p.label)
    units: list[Unit] = []
    for p in paras[:first]:
        if p.start >= header.body_start:
            units.append(Unit(p.start, p.end))
    speaker, turn_start, turn_end = None, 0, 0
    for p in paras[first:]:
        if p.label:
            _close_turn(units, text, speaker, turn_start, turn_end)
            speaker, turn_start = p.label, p.start + p.content_offset
        turn_end = p.end
        if p.label_only:
            turn_start = p.end
    _close_turn(units, text, speaker, turn_start, turn_end)
    if notes_start is not None:  # footnotes and endnotes: paragraphs, nobody's turn
        units += paragraph_units(text, notes_start, len(text))
    return RawDocument(
        path=request.display_path,
        format="docx",
        text=text,
        units=tuple(closing_times(text, units)),  # f4's ``#00:01:23-4#`` turn ends
        kind="interview",
        header_attributes=dict(header.attributes),
        repair_notes=tuple(n for n in notes if not n.startswith("warning: ")),
        warnings=tuple(n.removeprefix("warning: ") for n in notes if n.startswith("warning: ")),
    )


def _close_turn(units: list[Unit], text: str, speaker: str | None, start: int, end: int) -> None:
    if speaker is None:
        return
    unit = stripped_unit(text, start, end, speaker=speaker)
    if unit:
        units.append(unit)
