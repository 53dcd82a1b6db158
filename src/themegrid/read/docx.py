"""Word documents (.docx): paragraphs and tables, with speaker labels set in bold.

A speaker label is a bold (or "Strong"-styled) run at the start of a paragraph
ending in ``:`` (``**Jane:** text``), or a paragraph that is only a bold name
(the speaker's words follow in the next paragraphs). Without bold labels the
text goes through the same analysis as a plain-text file.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from typing import Any

from themegrid.errors import InputFileError, MissingDependency
from themegrid.models import RawDocument, Unit
from themegrid.read import ReadRequest, register
from themegrid.read.archive import corpus_zip_reason
from themegrid.read.repair import repair_text
from themegrid.read.text import document_from_text, find_header, table_row_paragraph
from themegrid.segment.labels import closing_times, is_name_or_role, normalise_speaker
from themegrid.segment.paragraphs import stripped_unit

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
    text = _PARAGRAPH_SEP.join(texts)
    repaired, notes = repair_text(text)
    pieces = repaired.split(_PARAGRAPH_SEP)
    if len(pieces) != len(texts):
        return document_from_text(request, text, "docx")
    paras = _layout(pieces, labels)
    if not _bold_transcript(paras):
        return document_from_text(request, text, "docx")
    return _bold_document(request, repaired, paras, notes)


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
    for block in document.iter_inner_content():
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
    parts: list[str] = []
    for child in p.iterchildren(_RUN, _LINK):
        for run in (child,) if child.tag == _RUN else child.iterchildren(_RUN):
            parts.append(_run_text(run))
    return "".join(parts)


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
    return table_row_paragraph([cell.text for cell in row.cells], first=first)


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
    request: ReadRequest, text: str, paras: list[_Para], notes: list[str]
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
