"""``codebook check``: validation plus the codebook's own tests, as one report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from themegrid.codebook.load import load_codebook
from themegrid.codebook.model import Codebook
from themegrid.errors import CodebookError, Problem
from themegrid.tag.tagger import ExampleCheck, check_examples


@dataclass(frozen=True)
class CheckReport:
    codebook: Codebook | None
    problems: tuple[Problem, ...] = ()
    examples: tuple[ExampleCheck, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return self.codebook is not None and not self.problems

    @property
    def examples_total(self) -> int:
        return sum(c.n_examples for c in self.examples)

    @property
    def examples_found(self) -> int:
        return sum(c.n_examples - len(c.missed_examples) for c in self.examples)

    @property
    def counterexamples_total(self) -> int:
        return sum(c.n_counterexamples for c in self.examples)

    @property
    def counterexamples_hit(self) -> int:
        return sum(len(c.hit_counterexamples) for c in self.examples)

    @property
    def examples_ok(self) -> bool:
        return self.valid and all(c.ok for c in self.examples)

    def to_dict(self) -> dict[str, Any]:
        book = self.codebook
        return {
            "valid": self.valid,
            "problems": [
                {"file": p.file, "line": p.line, "where": p.where, "message": p.message}
                for p in self.problems
            ],
            "codebook": None
            if book is None
            else {"name": book.name, "version": book.version, "hash": book.hash},
            "codes": []
            if book is None
            else [
                {
                    "id": c.id,
                    "name": c.name,
                    "parent": c.parent_id,
                    "codable": c.codable,
                    "cues": c.cues.count(),
                    "examples": len(c.examples),
                    "counterexamples": len(c.counterexamples),
                }
                for c in book.tree_order()
            ],
            "tests": [
                {
                    "code": c.code_id,
                    "missed_examples": list(c.missed_examples),
                    "hit_counterexamples": list(c.hit_counterexamples),
                }
                for c in self.examples
            ],
            "examples_found": self.examples_found,
            "examples_total": self.examples_total,
            "counterexamples_hit": self.counterexamples_hit,
            "counterexamples_total": self.counterexamples_total,
            "warnings": list(self.warnings),
            "ok": self.examples_ok,
        }


def check_codebook(folder: Path) -> CheckReport:
    try:
        book = load_codebook(folder)
    except CodebookError as exc:
        return CheckReport(None, tuple(exc.problems))
    no_cues = [c.id for c in book.codable if not c.cues.count()]
    no_examples = [c.id for c in book.codable if not c.examples]
    warnings = [
        *_each_or_counted(
            no_cues,
            "no cues",
            "the machine will never suggest it",
            "the machine never suggests them",
        ),
        *_each_or_counted(
            no_examples, "no examples", "its cues are untested", "their cues are untested"
        ),
    ]
    return CheckReport(book, (), tuple(check_examples(book)), tuple(warnings))


#: Up to this many codes get a warning line each; more are one line (180 imported codes
#: without cues would bury the warnings that need a decision).
EACH_SHOWN = 5


def _each_or_counted(ids: list[str], lack: str, one: str, many: str) -> list[str]:
    """One warning per code lacking something (``one``: what follows for it), or one line
    naming the first few of many (``many``)."""
    if len(ids) <= EACH_SHOWN:
        return [f"code {i} has {lack}: {one}" for i in ids]
    shown = ", ".join(ids[:EACH_SHOWN])
    return [f"{len(ids)} codes have {lack} ({shown} and {len(ids) - EACH_SHOWN} more): {many}"]
