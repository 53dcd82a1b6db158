"""NVivo's node export (a node's coded references as .txt or .docx) as coded-quote rows.

NVivo writes, for each source coded at the node, a line naming the source by its
folder path, ``<Files\\Interviews\\Barbara> - § 2 references coded [4.06% Coverage]``
(``Internals\\`` in older versions), then each reference under a line
``Reference 1 - 0.85% Coverage`` (``References 1-2 - ...`` when two coders coded the
same text). The node is the file's name (NVivo names the export after the node) unless
the text names it on a ``Name:`` line before the first source, or the first line is
the node's path in angle brackets (``<Nodes\\Barriers\\Funding>``). A reference's text
is its lines up to the next reference or source line, blank lines dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from themegrid.errors import InputFileError, MissingDependency
from themegrid.read.repair import decode_bytes

#: A source line: ``<Files\Interviews\Barbara> - § 2 references coded [4.06% Coverage]``.
SOURCE_RE = re.compile(
    r"^\s*<(?P<path>[^<>\n]+)>\s*[-–]\s*§\s*\d+\s+references?\s+coded\b.*$", re.I | re.M
)
#: A reference line: ``Reference 1 - 0.85% Coverage`` or ``References 1-2 - 1.88% Coverage``.
REFERENCE_RE = re.compile(
    r"^\s*references?\s+\d+(?:\s*-\s*\d+)?\s*[-–]\s*[\d.,]+\s*%\s*coverage\s*$", re.I | re.M
)
_NAME_RE = re.compile(r"^\s*name\s*:\s*(?P<name>.+?)\s*$", re.I | re.M)
_NODE_PATH_RE = re.compile(r"^\s*<(?P<path>(?:nodes|codes)\\[^<>\n]+)>\s*$", re.I)


@dataclass(frozen=True)
class NodeReference:
    number: int  # the reference's place in the file (1, 2, ...)
    document: str  # the source's name, its folder path dropped
    code: str
    quote: str


def is_node_export(text: str) -> bool:
    """Whether ``text`` reads as an NVivo node export (a source line and a reference line)."""
    return bool(SOURCE_RE.search(text) and REFERENCE_RE.search(text))


def node_references(path: Path) -> list[NodeReference]:
    """The coded references of an NVivo node export (.txt or .docx)."""
    text = _file_text(path)
    if not is_node_export(text):
        raise InputFileError(
            str(path),
            "is not an NVivo node export (no '<Files\\NAME> - § N references coded' line "
            "followed by 'Reference 1 - N% Coverage'); export the node as .docx or .txt",
        )
    sources = list(SOURCE_RE.finditer(text))
    code = _node_name(text[: sources[0].start()]) or path.stem
    out: list[NodeReference] = []
    for k, source in enumerate(sources):
        stop = sources[k + 1].start() if k + 1 < len(sources) else len(text)
        document = re.split(r"[\\/]", source.group("path").strip())[-1].strip()
        marks = list(REFERENCE_RE.finditer(text, source.end(), stop))
        for j, mark in enumerate(marks):
            end = marks[j + 1].start() if j + 1 < len(marks) else stop
            lines = [line.strip() for line in text[mark.end() : end].splitlines()]
            quote = "\n".join(line for line in lines if line)
            if quote:
                out.append(NodeReference(len(out) + 1, document, code, quote))
    return out


def _node_name(head: str) -> str | None:
    """The node named before the first source: a ``Name:`` line or ``<Nodes\\...>``."""
    named = _NAME_RE.search(head)
    if named:
        return named.group("name")
    for line in head.splitlines():
        if line.strip():
            m = _NODE_PATH_RE.match(line)
            return m.group("path") if m else None
    return None


def _file_text(path: Path) -> str:
    if path.suffix.lower() != ".docx":
        return decode_bytes(path.read_bytes(), str(path))[0].replace("\r\n", "\n")
    try:
        import docx
    except ImportError as exc:
        raise MissingDependency(
            "Reading an NVivo node export (.docx)", "python-docx", "docx"
        ) from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:
        raise InputFileError(
            str(path), f"is not a readable .docx ({type(exc).__name__}); re-export it"
        ) from exc
    return "\n".join(p.text for p in document.paragraphs)
