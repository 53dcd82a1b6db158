"""One case, several spellings: attribute values typed by hand differ in capitals and spaces.

Used where case attributes are read (``corpus/metadata.csv`` warns, naming its lines) and
where documents are grouped into cases (:mod:`themegrid.aggregate.matrix`), so every view
counts ``"ohio"``, ``"Ohio "`` and ``"OHIO"`` as one state, whichever import stored them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def spelling_key(value: str) -> str:
    """What two spellings share, ignoring case and runs of spaces, after Unicode NFC (a name
    typed or saved on a Mac may hold ``e`` + a combining accent): ``"ohio"``, ``"Ohio "``,
    ``" OHIO"`` and ``"Ohio"`` are one state. Code labels and headers compare the same way
    (:func:`themegrid.exchange.labels.norm`)."""
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


def same_spellings(values: Iterable[str]) -> dict[str, str]:
    """Each value written differently from another only in capitals or spaces, mapped to the
    spelling used most (on a tie, the one seen first); values with one spelling are left out."""
    counts: dict[str, dict[str, int]] = {}
    for value in values:
        spellings = counts.setdefault(spelling_key(value), {})
        spellings[value] = spellings.get(value, 0) + 1
    out: dict[str, str] = {}
    for spellings in counts.values():
        if len(spellings) > 1:
            most = max(spellings.values())
            chosen = next(v for v, n in spellings.items() if n == most)
            out.update({v: chosen for v in spellings if v != chosen})
    return out
