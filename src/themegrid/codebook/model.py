"""The codebook as data: frozen ``Cues``, ``Code`` and ``Codebook``, and their hashes.

Loading and validating YAML lives in :mod:`themegrid.codebook.load`; nothing here
needs spaCy or YAML.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Cues:
    """What lets the machine suggest a code. See ``codebook/README.md`` for semantics."""

    phrases: tuple[str, ...] = ()
    lemmas: tuple[str, ...] = ()
    patterns: tuple[tuple[Mapping[str, Any], ...], ...] = ()
    veto: tuple[str, ...] = ()
    #: The YAML line of each pattern, for error messages.
    pattern_lines: tuple[int, ...] = field(default=(), compare=False)

    def count(self) -> int:
        return len(self.phrases) + len(self.lemmas) + len(self.patterns)


@dataclass(frozen=True)
class Code:
    id: str
    name: str
    definition: str = ""
    parent_id: str | None = None
    codable: bool = True
    color: str | None = None
    include: str = ""
    exclude: str = ""
    examples: tuple[str, ...] = ()
    counterexamples: tuple[str, ...] = ()
    cues: Cues = field(default_factory=Cues)
    #: Ids and names of codes merged into this one (``codebook merge``); labels that name it.
    aliases: tuple[str, ...] = ()
    file: str = ""
    line: int = 0


#: The definitions imports write for a code that came without one ("Imported from
#: X.qdpx without a description; write one."): a reminder to the researcher, not a
#: description of the code (semantic suggestions must not treat it as one).
_PLACEHOLDER = re.compile(
    r"Imported from .+?(?: without a description; write one|; write a definition)\.", re.S
)


def is_placeholder_definition(text: str) -> bool:
    """Whether ``text`` is the definition an import wrote for a code that had none."""
    return _PLACEHOLDER.fullmatch(text.strip()) is not None


#: Bumped when the rule that decides which segments the machine codes changes
#: (see :mod:`themegrid.tag.codable`): every segment is then re-examined.
FILTER_REVISION = 4  # 3: transcriber's notes; 4: text repeated across documents


@dataclass(frozen=True)
class MachineSettings:
    """What the codebook header says about where and when the machine suggests.

    ``languages``: the languages the cues and examples are written in (ISO 639-1;
    ``language:`` in the header, one code or a list; default English). Segments
    detected in another language are not machine-coded.
    ``min_content_words``: a speaker turn with fewer content words (not stop
    words, not fillers such as "okay", "yeah", "mm-hmm") is not machine-coded;
    any other segment needs at least one.
    ``model_precision_floor`` and ``model_min_positives``: the learned model
    suggests a code only when its cross-validated precision on human decisions
    is at least the floor and at least this many human decisions accepted it.
    ``semantic`` and ``semantic_threshold``: whether segments are suggested codes
    by their similarity to a code's definition and examples
    (:mod:`themegrid.tag.semantic`), and the cosine similarity they need.
    ``repeated_in_documents``: a segment whose text (of at least four words) is word for
    word in this many documents or more is a protocol, script or template (a think-aloud
    task read out in every session, a consent statement, a report's running header),
    not one participant's words: it is not machine-coded (0: the rule is off).
    """

    languages: tuple[str, ...] = ("en",)
    min_content_words: int = 2
    model_precision_floor: float = 0.6
    model_min_positives: int = 10
    semantic: bool = False
    semantic_threshold: float = 0.4
    repeated_in_documents: int = 3

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": list(self.languages),
            "min_content_words": self.min_content_words,
            "repeated_in_documents": self.repeated_in_documents,
            "model_precision_floor": self.model_precision_floor,
            "model_min_positives": self.model_min_positives,
            "semantic": self.semantic,
            "semantic_threshold": self.semantic_threshold,
        }


@dataclass(frozen=True)
class Codebook:
    name: str
    version: str
    description: str
    codes: tuple[Code, ...]
    files: tuple[str, ...] = ()
    settings: MachineSettings = field(default_factory=MachineSettings)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {c.id: c for c in self.codes})

    def __contains__(self, code_id: object) -> bool:
        return code_id in self._by_id  # type: ignore[attr-defined]

    def get(self, code_id: str) -> Code:
        return self._by_id[code_id]  # type: ignore[attr-defined]

    @property
    def codable(self) -> tuple[Code, ...]:
        return tuple(c for c in self.codes if c.codable)

    def children(self, code_id: str | None) -> tuple[Code, ...]:
        return tuple(c for c in self.codes if c.parent_id == code_id)

    def ancestors(self, code_id: str) -> tuple[str, ...]:
        """Parent, grandparent, ... of ``code_id`` (nearest first)."""
        out: list[str] = []
        parent = self.get(code_id).parent_id
        while parent is not None:
            out.append(parent)
            parent = self.get(parent).parent_id
        return tuple(out)

    def depth(self, code_id: str) -> int:
        return len(self.ancestors(code_id))

    def top_level(self, code_id: str) -> str:
        chain = self.ancestors(code_id)
        return chain[-1] if chain else code_id

    def path(self, code_id: str) -> str:
        """Names from the root down, joined by ' > '."""
        ids = [*reversed(self.ancestors(code_id)), code_id]
        return " > ".join(self.get(i).name for i in ids)

    def tree_order(self) -> tuple[Code, ...]:
        """Codes depth-first, each parent before its children, siblings in file order."""
        out: list[Code] = []

        def walk(parent: str | None) -> None:
            for code in self.children(parent):
                out.append(code)
                walk(code.id)

        walk(None)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "codes": [_code_dict(c) for c in self.codes],
            "settings": self.settings.to_dict(),
        }

    @property
    def hash(self) -> str:
        """Hash of everything in the codebook (not of file layout or comments)."""
        return _digest(self.to_dict())

    @property
    def cue_hash(self) -> str:
        """Hash of what drives rule suggestions: ids, codability, cues, and which segments
        the machine codes (languages, content-word threshold, filter revision)."""
        where = [
            FILTER_REVISION,
            list(self.settings.languages),
            self.settings.min_content_words,
            self.settings.repeated_in_documents,
        ]
        return _digest([where, *([c.id, c.codable, _cues_dict(c.cues)] for c in self.codes)])


def _digest(obj: Any) -> str:
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _cues_dict(cues: Cues) -> dict[str, Any]:
    return {
        "phrases": list(cues.phrases),
        "lemmas": list(cues.lemmas),
        "patterns": [list(p) for p in cues.patterns],
        "veto": list(cues.veto),
    }


def _code_dict(c: Code) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "definition": c.definition,
        "parent": c.parent_id,
        "codable": c.codable,
        "color": c.color,
        "include": c.include,
        "exclude": c.exclude,
        "examples": list(c.examples),
        "counterexamples": list(c.counterexamples),
        "cues": _cues_dict(c.cues),
    }
    if c.aliases:  # only when present: codebooks without aliases keep their hash
        out["aliases"] = list(c.aliases)
    return out
