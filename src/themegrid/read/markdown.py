"""Markdown (.md, .markdown): blocks as plain text via markdown-it-py, front matter as attributes.

Each block (heading, paragraph, list item, quote, table row, code block) becomes
one paragraph of plain text with its inline markup gone: ``**bold**`` and
``[a link](url)`` keep their words, a trailing-backslash (or two-space) hard line
break becomes a line break, a soft line break a space. A heading becomes its
words on a paragraph of their own: in a transcript of ``### Maria Lopez``
speaker headings those are own-line labels that recur turn after turn, and name
the speaker; a report's headings stand once and stay paragraphs (the label
rules tell the two apart). The text stored is this rendering, and units point
into it. Emphasis CommonMark does not take as emphasis (``**.**``, ``**As``
right after a closing ``**``) keeps its asterisks, as a Markdown viewer shows it.

Front matter (YAML between ``---`` lines at the top) is parsed with PyYAML; its
keys become case attributes except those that only build a web site
(:data:`SITE_KEYS`, and keys starting with one of :data:`SITE_PREFIXES`), and
values of ``NA``/empty. A list becomes its items joined by ``; ``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import yaml
from markdown_it import MarkdownIt

from themegrid.models import RawDocument
from themegrid.read import ReadRequest, register
from themegrid.read.repair import decode_bytes
from themegrid.read.text import document_from_text, find_header, strip_html_tags

#: Front-matter keys that lay out a web page, not describe the document.
SITE_KEYS = frozenset(
    {
        "layout",
        "permalink",
        "collection_name",
        "published",
        "redirect_from",
        "redirect_to",
        "sitemap",
        "slug",
        "aliases",
        "draft",
        "menu",
        "weight",
        "nav_order",
        "excerpt_separator",
        "comments",
        "share",
        "toc",
    }
)
#: Front-matter key prefixes of site building (``image_alt_text``, ``og_title``).
SITE_PREFIXES = ("image", "thumbnail", "og_", "seo", "twitter_", "header_", "css", "js")
_FRONT_RE = re.compile(r"\A\ufeff?[ \t]*---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_EMPTY = frozenset({"", "na", "n/a", "none", "null"})
#: A front-matter value that is a link or a file: a URL, a site path, a file name.
_LINK_RE = re.compile(
    r"(?:https?://|www\.|/)\S*\Z|\S+\.(?:pdf|docx?|odt|rtf|html?|xlsx?|csv|png|jpe?g|gif)\Z",
    re.I,
)


@register(".md", ".markdown")
def read_markdown(request: ReadRequest) -> RawDocument:
    text, notes = decode_bytes(request.path.read_bytes(), request.display_path)
    attributes: dict[str, str] = {}
    m = _FRONT_RE.match(text)
    if m:
        parsed = _front_matter(m.group(1))
        # not YAML: read ``key: value`` lines as a plain-text header is read
        attributes = dict(find_header(m.group(0)).attributes) if parsed is None else parsed
        text = text[m.end() :]
    text, removed = strip_html_tags(text)
    if removed:
        notes = [*notes, f"removed {removed} HTML tag(s) left over from a web page (e.g. <p>)"]
    doc = document_from_text(request, plain_text(text), "md", notes)
    if not attributes:
        return doc
    return replace(doc, header_attributes={**doc.header_attributes, **attributes})


def _front_matter(block: str) -> dict[str, str] | None:
    """The front matter's attributes, or None when it is not YAML mapping keys to values."""
    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError:
        return None
    if not isinstance(data, Mapping):
        return None
    out: dict[str, str] = {}
    for key, value in data.items():
        name = " ".join(str(key).split()).lower()
        if name in SITE_KEYS or name.startswith(SITE_PREFIXES):
            continue
        shown = _value(value)
        # a link (the web page, its PDF and Word copies) names one document, it is no
        # attribute to compare cases by
        if shown.casefold() not in _EMPTY and not _LINK_RE.match(shown):
            out[name] = shown
    return out


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(v for v in (_value(x) for x in value) if v)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return "" if value is None else " ".join(str(value).split())


def plain_text(source: str) -> str:
    """The Markdown ``source`` as plain text: one paragraph per block, blank lines between."""
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    blocks: list[str] = []
    cells: list[str] | None = None  # the cells of the table row being read
    for token in tokens:
        if token.type == "tr_open":
            cells = []
        elif token.type == "tr_close" and cells is not None:
            blocks.append(" | ".join(c for c in cells if c))
            cells = None
        elif token.type == "inline":
            words = _inline_text(token.children or [])
            if cells is not None:
                cells.append(" ".join(words.split()))
            elif words.strip():
                blocks.append(words)
        elif token.type in ("fence", "code_block") and token.content.strip():
            blocks.append(token.content.rstrip("\n"))
    return "\n\n".join(b.strip() for b in blocks if b.strip()) + "\n"


def _inline_text(children: list[Any]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)  # the alt text
        elif child.type == "html_inline":
            continue
    lines = ("".join(parts)).split("\n")
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())
