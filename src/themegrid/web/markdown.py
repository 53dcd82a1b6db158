"""Markdown in memos and codebook text, rendered safely for the workspace's pages.

A memo imported from NVivo or ATLAS.ti (REFI-QDA notes) or a definition a Taguette
tag carried often holds paragraphs, lists and emphasis; shown raw, ``**`` and blank
lines read as noise and paragraphs run together. markdown-it-py (CommonMark) renders
it with raw HTML switched off: a ``<script>`` or an ``<img onerror>`` in the text is
escaped and shows as text. Images are switched off too (the page would fetch them;
the Content-Security-Policy forbids it anyway), and links keep markdown-it's own
check, which refuses ``javascript:``, ``vbscript:``, ``file:`` and ``data:`` targets.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["image", "html_block", "html_inline"])
    return md


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> Markup:
    """``text`` as HTML (paragraphs, emphasis, lists, code, links); no raw HTML passes."""
    if not text.strip():
        return Markup("")
    return Markup(_parser().render(text))


__all__ = ["render_markdown"]
