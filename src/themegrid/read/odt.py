"""OpenDocument text (.odt, LibreOffice / Google Docs exports) with odfpy.

Each paragraph and heading (``text:p``, ``text:h``, also inside lists and
tables) becomes one paragraph of the text, blank-line separated; odfpy's
``teletype`` turns ``text:s`` (runs of spaces), ``text:tab`` and
``text:line-break`` into the characters they stand for, so indentation made of
them is kept in the text (segments are cut from it with exact offsets). The text
then goes through the plain-text analysis (speaker labels, header, repair notes).
"""

from __future__ import annotations

import zipfile
from typing import Any

from themegrid.errors import InputFileError, MissingDependency
from themegrid.models import RawDocument
from themegrid.read import ReadRequest, register
from themegrid.read.archive import corpus_zip_reason
from themegrid.read.text import document_from_text


@register(".odt")
def read_odt(request: ReadRequest) -> RawDocument:
    try:
        from odf import teletype
        from odf.namespaces import TEXTNS
        from odf.opendocument import load
    except ImportError as exc:
        raise MissingDependency("Reading .odt files", "odfpy", "odt") from exc
    if not zipfile.is_zipfile(request.path):
        raise InputFileError(
            request.display_path,
            "is not a valid .odt (not a zip archive); open it in LibreOffice and save it as .odt",
        )
    bomb = corpus_zip_reason(request.path)
    if bomb:
        raise InputFileError(request.display_path, f"{bomb}; not read")
    try:
        document: Any = load(str(request.path))
    except Exception as exc:
        raise InputFileError(
            request.display_path,
            f"could not be opened as an OpenDocument text ({type(exc).__name__}); "
            "open it in LibreOffice and save it again",
        ) from exc
    wanted = {(TEXTNS, "p"), (TEXTNS, "h")}
    paragraphs = [
        teletype.extractText(node)
        for node in _walk(document.text)
        if getattr(node, "qname", None) in wanted
    ]
    body = "\n\n".join(p for p in paragraphs if p.strip())
    return document_from_text(request, body, "odt")


def _walk(node: Any) -> Any:
    """Paragraph elements in document order (not descending into a paragraph's own content)."""
    for child in node.childNodes:
        yield child
        if getattr(child, "qname", (None, ""))[1] not in ("p", "h"):
            yield from _walk(child)
