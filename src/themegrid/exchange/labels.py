"""Code labels written by people: the coder's name, and matching a label to a code.

Shared by the two imports of human decisions: review sheets (``exchange.review``)
and coded spreadsheets (``exchange.coded``). A label names a code by id, by name,
by the last part of a dotted id, or by a ``parent->child`` path (also ``::``,
``>``, ``/`` and NVivo's ``\\``), ignoring case and repeated whitespace, then also
punctuation.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from themegrid.codebook.model import Codebook
from themegrid.errors import InvalidCoder
from themegrid.spelling import spelling_key
from themegrid.store import codes as store_codes
from themegrid.store.connection import Store

#: Path separators in code labels, strongest first (see :func:`split_path`).
PATH_SEPARATORS = ("->", "::", ">", "\\", "/")
#: The root folder NVivo writes before a code path (``Nodes\Barriers\Funding``).
PATH_ROOTS = frozenset({"nodes", "codes"})


def check_coder(name: str | None) -> str:
    """The coder name, stripped; raises InvalidCoder for empty names and 'themegrid:*'."""
    # NFC: "José" typed on a Mac (e + combining accent) is the same coder as on Windows
    coder = " ".join(unicodedata.normalize("NFC", name or "").split())
    if not coder:
        raise InvalidCoder(
            "--coder: the coder name is empty; pass your name, e.g. --coder 'Ana Ruiz'"
        )
    if coder.casefold().startswith("themegrid:"):
        raise InvalidCoder(
            f"--coder {coder!r}: names starting with 'themegrid:' are reserved for machine "
            "suggestions; pass a person's name"
        )
    return coder


def check_coder_known(
    name: str | None, existing: Iterable[str], *, insist: str = "", option: str = "--coder"
) -> str:
    """:func:`check_coder`, then refuse a name that differs from an ``existing`` coder
    only in case or spaces (``ana`` beside ``Ana``): it would silently start a second
    coder. ``insist``: how the caller records such a name anyway (e.g. ``--new-coder``),
    named in the message; the caller passes an empty ``existing`` once it insists."""
    coder = check_coder(name)
    existing = list(existing)
    if coder in existing:
        return coder

    near = [e for e in existing if _alike(e) == _alike(coder)]
    if near:
        way = f", or {insist} to record {coder!r} as a coder of its own" if insist else ""
        raise InvalidCoder(
            f"{option} {coder!r}: the project has the coder {near[0]!r} (the same name but for "
            f"case or spaces); did you mean {near[0]!r}? Pass {option} {near[0]!r} to add to "
            f"that coder's decisions{way}"
        )
    return coder


def _alike(text: str) -> str:
    return "".join(unicodedata.normalize("NFC", text).split()).casefold()


def near_duplicates(names: Iterable[str], existing: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """(name, existing name) pairs that differ only in case or spaces, for names that are not
    themselves among ``existing`` (``ana`` beside ``Ana``: two coders for one person?)."""
    known = list(existing)
    return tuple(
        (name, other)
        for name in sorted(set(names))
        if name not in known
        for other in known
        if _alike(other) == _alike(name)
    )


def norm(text: str) -> str:
    """Case- and whitespace-insensitive form used to compare labels and headers
    (:func:`themegrid.spelling.spelling_key`)."""
    return spelling_key(str(text))


def loose(text: str) -> str:
    """Also ignoring punctuation: 'Buy-in', 'buy in' and the id part 'buy_in' are one key."""
    return re.sub(r"[\W_]+", "_", norm(text)).strip("_")


@dataclass(frozen=True)
class KnownCode:
    id: str
    name: str
    parent_id: str | None
    codable: bool
    origin: str = "codebook"
    aliases: tuple[str, ...] = ()  # ids and names of codes merged into this one


@dataclass(frozen=True)
class Resolution:
    code_id: str | None
    problem: str = ""


class CodeIndex:
    """Resolves a label written by a person (id, name or parent->child path) to a code id.

    A label matches a code's id, name or the last part of its dotted id, ignoring
    case and whitespace; failing that, also ignoring punctuation (``Buy-in`` names
    ``barriers.buy_in``).
    """

    def __init__(self, codes: Iterable[KnownCode]) -> None:
        self.codes: dict[str, KnownCode] = {}
        self._keys: dict[str, set[str]] = defaultdict(set)
        self._loose: dict[str, set[str]] = defaultdict(set)
        for code in codes:
            self.add(code)

    def add(self, code: KnownCode) -> None:
        self.codes[code.id] = code
        for key in self._code_keys(code):
            self._keys[key].add(code.id)
            self._loose[loose(key)].add(code.id)

    def spelled_loosely(self, label: str, code_id: str) -> bool:
        """Whether ``label`` names the code only once punctuation is ignored ("gap[" for
        "gap", "Non functional" for "Non-functional"): not its id, name or an alias but
        for case and spacing, nor a path ending in one of them."""
        parts = split_path(label) or [label]
        keys = self._code_keys(self.codes[code_id])
        return norm(label) not in keys and norm(parts[-1]) not in keys

    @staticmethod
    def _code_keys(code: KnownCode) -> set[str]:
        return {
            norm(code.id),
            norm(code.name),
            norm(code.id.rsplit(".", 1)[-1]),
            *(norm(a) for a in code.aliases),
        }

    def _names(self, part: str, code_id: str) -> bool:
        """Whether ``part`` names this code (strictly or loosely)."""
        keys = self._code_keys(self.codes[code_id])
        return norm(part) in keys or loose(part) in {loose(k) for k in keys}

    def matches(self, part: str, parent_id: str | bool | None) -> list[str]:
        """Codes a path element names; parent_id False means anywhere in the tree."""
        found = []
        for table, key in ((self._keys, norm(part)), (self._loose, loose(part))):
            ids = table.get(key, set())
            if parent_id is not False:
                ids = {i for i in ids if self.codes[i].parent_id == parent_id}
            if ids:
                found = sorted(ids)
                break
        # An exact id or name beats a match on the last part of a dotted id.
        exact = [i for i in found if norm(part) in (norm(i), norm(self.codes[i].name))]
        return exact or found

    def resolve(self, label: str) -> Resolution:
        found = self.matches(label, False)
        if len(found) != 1:
            parts = split_path(label)
            if len(parts) > 1:
                found = self._resolve_path(parts) or found
            elif parts and norm(parts[0]) != norm(label):  # a root folder dropped: Nodes\X
                found = self.matches(parts[0], False) or found
        if len(found) > 1:
            return Resolution(
                None, f"'{label}' is ambiguous ({', '.join(found)}); write parent->child"
            )
        if not found:
            return Resolution(None, "")
        code = self.codes[found[0]]
        if not code.codable:
            return Resolution(
                None,
                f"'{label}' is a grouping ({code.id}), not a codable code; use one of its children",
            )
        return Resolution(code.id)

    def _resolve_path(self, parts: list[str]) -> list[str]:
        out = []
        for cid in self.matches(parts[-1], False):
            chain = self._ancestors(cid)
            wanted = list(reversed(parts[:-1]))
            if len(wanted) <= len(chain) and all(
                self._names(w, c) for w, c in zip(wanted, chain, strict=False)
            ):
                out.append(cid)
        return out

    def _ancestors(self, code_id: str) -> list[str]:
        chain: list[str] = []
        parent = self.codes[code_id].parent_id
        while parent is not None and parent in self.codes and parent not in chain:
            chain.append(parent)
            parent = self.codes[parent].parent_id
        return chain

    def find_child(self, name: str, parent_id: str | None) -> str | None:
        found = self.matches(name, parent_id)
        return found[0] if len(found) == 1 else None

    def suggest(self, label: str) -> str | None:
        """The codable code a mistyped label most likely meant, if any is close."""
        want = "_".join(loose(p) for p in split_path(label))
        ids = [c.id for c in self.codes.values() if c.codable]
        keys = {loose(c): c for c in ids}
        keys |= {loose(self.codes[c].name): c for c in ids}
        keys |= {"_".join([*map(loose, self._path_names(c))]): c for c in ids}
        close = difflib.get_close_matches(want, list(keys), n=1, cutoff=0.8)
        return keys[close[0]] if close else None

    def _path_names(self, code_id: str) -> list[str]:
        return [self.codes[c].name for c in reversed(self._ancestors(code_id))] + [
            self.codes[code_id].name
        ]


def path_separator(label: str) -> str | None:
    """The separator :func:`split_path` splits ``label`` at, or None."""
    return next((s for s in PATH_SEPARATORS if s in label), None)


def split_path(label: str) -> list[str]:
    """``'Barriers -> Funding'`` → ['Barriers', 'Funding'] (also ``::``, ``>``, ``/`` and
    ``\\``); NVivo's root folder (``Nodes\\`` or ``Codes\\``) before a path is dropped.

    A label is split at one separator, the first of ``->``, ``::``, ``>``, ``\\``, ``/`` it
    holds: a ``/`` inside a name of a path written with another (MAXQDA's
    ``Techniques > PDP/ICE``) is part of the name."""
    label = label.strip()
    separator = path_separator(label)
    if separator is None:
        return [label] if label else []
    parts = [p.strip() for p in label.split(separator)]
    parts = [p for p in parts if p]
    if len(parts) > 1 and norm(parts[0]) in PATH_ROOTS:
        return parts[1:]
    return parts


def known_codes(store: Store, codebook: Codebook) -> CodeIndex:
    """The codebook's codes plus codes created in the store by imports (``origin`` not codebook)."""
    codes = [
        KnownCode(c.id, c.name, c.parent_id, c.codable, aliases=c.aliases) for c in codebook.codes
    ]
    codes += [
        KnownCode(c.id, c.name, c.parent_id, c.codable, c.origin)
        for c in store_codes.imported_codes(store)
        if c.id not in codebook
    ]
    return CodeIndex(codes)


__all__ = [
    "CodeIndex",
    "InvalidCoder",
    "KnownCode",
    "Resolution",
    "check_coder",
    "check_coder_known",
    "known_codes",
    "loose",
    "norm",
    "path_separator",
    "split_path",
]
