"""The codes a coded spreadsheet's cells name: resolved to code ids, or created (--add-codes).

Unknown labels are reported all at once, grouped by spelling, with where they
occur and the closest codable code; ``codes_as_yaml`` turns codes an import
created into codebook entries to paste.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from themegrid.errors import Problem, ValidationError
from themegrid.exchange.coded.rows import MAX_LOCATIONS, Row
from themegrid.exchange.labels import CodeIndex, KnownCode, Resolution, loose, norm, split_path
from themegrid.read.table import Table
from themegrid.store.connection import dumps


def resolve_row_codes(
    index: CodeIndex, parsed: list[tuple[Table, list[Row], dict[str, str]]], add_codes: bool
) -> tuple[dict[tuple[str, int], list[str]], list[KnownCode]]:
    """Each row's code ids; unknown labels either created (add_codes) or reported all at once."""
    cache: dict[str, Resolution] = {}
    unknown: dict[tuple[str, ...], list[str]] = defaultdict(list)
    spellings: dict[tuple[str, ...], list[str]] = defaultdict(list)
    reasons: dict[tuple[str, ...], str] = {}
    created: list[KnownCode] = []
    out: dict[tuple[str, int], list[str]] = {}
    for table, rows, _ in parsed:
        for row in rows:
            ids: list[str] = []
            for label, column in row.labels:
                key = norm(label)
                res = cache.get(key) or index.resolve(label)
                if res.code_id is None and add_codes and not res.problem:
                    created += create_code(index, label)
                    res = index.resolve(label)
                cache[key] = res
                if res.code_id is None:
                    group = tuple(loose(p) for p in split_path(label)) or (key,)
                    unknown[group].append(f"{table.name} row {row.number} column {column}")
                    if label not in spellings[group]:
                        spellings[group].append(label)
                    reasons.setdefault(group, res.problem)
                elif res.code_id not in ids:
                    ids.append(res.code_id)
            out[(row.file, row.number)] = ids
    if unknown:
        raise ValidationError(
            [
                _unknown_problem(spellings[g], where, reasons[g], index)
                for g, where in unknown.items()
            ],
            f"{len(unknown)} code(s) not in the codebook; nothing was imported. Fix the cells, "
            "add the codes to the codebook, or rerun with --add-codes",
        )
    return out, created


def _unknown_problem(labels: list[str], where: list[str], reason: str, index: CodeIndex) -> Problem:
    shown = "; ".join(where[:MAX_LOCATIONS])
    more = f" and {len(where) - MAX_LOCATIONS} more" if len(where) > MAX_LOCATIONS else ""
    what = reason or f"unknown code '{labels[0]}'"
    if len(labels) > 1:
        what += " (also written " + ", ".join(f"'{x}'" for x in labels[1:]) + ")"
    hint = "" if reason else index.suggest(labels[0])
    if hint:
        what += f"; did you mean {hint} ({index.codes[hint].name})?"
    return Problem(f"{what} (in {shown}{more})")


def slug(text: str) -> str:
    out = re.sub(r"[^a-z0-9]+", "_", norm(text)).strip("_")
    return out or "code"


def create_code(index: CodeIndex, label: str) -> list[KnownCode]:
    """Codes to create so that ``label`` resolves; missing parents become non-codable groupings."""
    parts = split_path(label) or [label.strip()]
    created: list[KnownCode] = []
    parent: str | None = None
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if not last:
            existing = index.find_child(part, parent)
            if existing is None and depth == 0:
                existing = _unique(index.matches(part, False))
            if existing is not None:
                parent = existing
                continue
        base = f"{parent}.{slug(part)}" if parent else slug(part)
        new_id, n = base, 1
        while new_id in index.codes:
            n += 1
            new_id = f"{base}_{n}"
        code = KnownCode(new_id, " ".join(part.split()), parent, last, "import")
        index.add(code)
        created.append(code)
        parent = new_id
    return created


def _unique(ids: list[str]) -> str | None:
    return ids[0] if len(ids) == 1 else None


def codes_as_yaml(codes: Sequence[KnownCode]) -> str:
    """YAML lines to paste into the codebook so codes created by an import become permanent."""
    lines = ["codes:"]
    for code in codes:
        lines.append(f"  - id: {code.id}")
        lines.append(f"    name: {dumps(code.name)}")
        if code.parent_id:
            lines.append(f"    parent: {code.parent_id}")
        if not code.codable:
            lines.append("    codable: false")
        lines.append("    definition: TODO")
    return "\n".join(lines)
