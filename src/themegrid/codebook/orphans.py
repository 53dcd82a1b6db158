"""Human decisions on codes the codebook no longer has: one warning each, with the fix.

Renaming a code's id in the YAML leaves its human decisions on the old id: the
store keeps them (they are research data) but nothing counts them for the new
id. ``codebook check``, ``code`` and ``status`` print :func:`off_codebook_warnings`,
which names the code the old one most likely became and the ``codebook merge``
command that moves the decisions onto it. Nothing is moved or deleted here.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Protocol

from themegrid.codebook.model import Codebook


class OffCodebook(Protocol):
    """What the store says about such a code (``store.codes.OffCodebookCode``)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def decisions(self) -> int: ...


def known_ids(book: Codebook) -> set[str]:
    """The ids a human decision may carry and still be the codebook's: ids and aliases
    (a code merged into another is an alias of it)."""
    return {c.id for c in book.codes} | {a for c in book.codes for a in c.aliases}


def likely_successor(book: Codebook, code_id: str, name: str) -> tuple[str | None, bool]:
    """(the codebook code ``code_id`` most likely became, whether by the very same name).

    Same name (ignoring case and spaces) first; else the closest name, then the closest
    id (difflib, ratio at least 0.8); else ``None``."""

    def norm(text: str) -> str:
        return " ".join(text.split()).casefold()

    if name:
        same = [c.id for c in book.codes if norm(c.name) == norm(name)]
        if len(same) == 1:
            return same[0], True
        names = {norm(c.name): c.id for c in book.codes}
        close = difflib.get_close_matches(norm(name), list(names), n=1, cutoff=0.8)
        if close:
            return names[close[0]], False
    close = difflib.get_close_matches(code_id, [c.id for c in book.codes], n=1, cutoff=0.8)
    return (close[0] if close else None), False


def off_codebook_warnings(book: Codebook, codes: Iterable[OffCodebook]) -> tuple[str, ...]:
    """One line per code: its decisions, what it likely became, the merge command."""
    out = []
    for code in codes:
        head = (
            f"{code.decisions} human decision(s) on code '{code.id}', which is not in the codebook"
        )
        target, same_name = likely_successor(book, code.id, code.name)
        if target is not None and same_name:
            out.append(
                f"{head} (renamed? its name '{code.name}' is now '{target}'): "
                f"themegrid codebook merge {code.id} --into {target}"
            )
        elif target is not None:
            out.append(
                f"{head} (renamed? closest: '{target}' {book.get(target).name!r}): "
                f"themegrid codebook merge {code.id} --into {target}"
            )
        else:
            named = f" ('{code.name}')" if code.name and code.name != code.id else ""
            out.append(
                f"{head}{named}: put it back in the codebook, or move the decisions onto "
                f"another code with: themegrid codebook merge {code.id} --into CODE"
            )
    return tuple(out)
