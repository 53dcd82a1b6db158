"""The codes a coded spreadsheet's cells name: resolved to code ids, or created (--add-codes).

Unknown labels are reported all at once, grouped by spelling, with where they
occur and the closest codable code; ``codes_as_yaml`` turns codes an import
created into codebook entries to paste.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from rapidfuzz.distance import DamerauLevenshtein

from themegrid.codebook.files import dump_codes
from themegrid.errors import Problem, ValidationError
from themegrid.exchange.coded.rows import MAX_LOCATIONS, Row, SkippedRow
from themegrid.exchange.labels import (
    CodeIndex,
    KnownCode,
    Resolution,
    loose,
    norm,
    path_separator,
    split_path,
)
from themegrid.read.table import Table, read_table
from themegrid.segment.lexicon import english_word_forms

#: A code name's leading number ("8 - Press for Accuracy" -> 8).
LEADING_NUMBER = re.compile(r"^\s*(\d+)\b")
#: Above this many codes, names are not compared pairwise (only leading numbers).
MAX_COMPARED = 1500


def resolve_row_codes(
    index: CodeIndex,
    parsed: list[tuple[Table, list[Row], dict[str, str]]],
    add_codes: bool,
    skip: list[SkippedRow] | None = None,
    mapping: dict[str, str] | None = None,
    delimiter: str = ";",
    loosely: dict[str, dict[str, str]] | None = None,
) -> tuple[dict[tuple[str, int], list[str]], list[KnownCode], list[Problem]]:
    """Each row's code ids, the codes created (add_codes), and the unknown labels as
    problems, one per spelling group with where it occurs and the closest codable code.

    With ``skip`` (a list), a row naming an unknown code is left out of the result
    and appended to ``skip`` instead. ``mapping`` (label as :func:`norm` gives it ->
    code id, from ``--map``) is applied before any matching. A label that is known
    codes joined by another separator than ``delimiter`` (``rights, policy.choice``)
    is never created as a code: its problem says how the cell would be read. ``loosely``
    (a dict) gets, per code id, each label that named it only once punctuation was
    ignored, with where it was first seen.
    """
    slash_paths = _slash_parents(index, parsed)
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
                mapped = (mapping or {}).get(key)
                res = cache.get(key) or index.resolve(mapped or label)
                if mapped and res.code_id is None and not res.problem:
                    res = Resolution(
                        None, f"--map sends '{label}' to '{mapped}', which is not a code"
                    )
                if res.code_id is None and not res.problem and not mapped:
                    res = Resolution(None, joined_codes(index, label, delimiter))
                if res.code_id is None and add_codes and not res.problem:
                    created += create_code(index, label, slash_paths)
                    res = index.resolve(label)
                cache[key] = res
                if res.code_id is None and skip is not None:
                    skip.append(SkippedRow(table.name, row.number, _skip_reason(label, res, index)))
                    break
                if res.code_id is None:
                    group = tuple(loose(p) for p in split_path(label)) or (key,)
                    unknown[group].append(f"{table.name} row {row.number} column {column}")
                    if label not in spellings[group]:
                        spellings[group].append(label)
                    reasons.setdefault(group, res.problem)
                else:
                    if res.code_id not in ids:
                        ids.append(res.code_id)
                    if (
                        loosely is not None
                        and not mapped
                        and label not in loosely.get(res.code_id, {})
                        and index.spelled_loosely(label, res.code_id)
                    ):
                        loosely.setdefault(res.code_id, {})[label] = (
                            f"{table.name} row {row.number}"
                        )
            else:
                out[(row.file, row.number)] = ids
    problems = [
        _unknown_problem(spellings[g], where, reasons[g], index) for g, where in unknown.items()
    ]
    return out, created, problems


#: Separators other tools and people put between codes in one cell.
CODE_SEPARATORS = (",", ";", "|")


def joined_codes(index: CodeIndex, label: str, delimiter: str) -> str:
    """Why ``label`` is not a code when it is known codes joined by another separator than
    ``delimiter`` (``rights, policy.choice`` under ``;``), with how to write or read the
    cell; "" otherwise."""
    for sep in CODE_SEPARATORS:
        if sep == delimiter or sep not in label:
            continue
        parts = [p.strip() for p in label.split(sep) if p.strip()]
        if len(parts) < 2 or any(index.resolve(p).code_id is None for p in parts):
            continue
        names = (
            " and ".join(f"'{p}'" for p in parts)
            if len(parts) == 2
            else ", ".join(f"'{p}'" for p in parts)
        )
        split = f"at '{delimiter}' (--delimiter) and" if delimiter else "only"
        between = f"write '{delimiter}' between them, or " if delimiter else ""
        return (
            f"unknown code '{label}': it is the codes {names} joined by '{sep}', but code "
            f"cells are split {split} at line breaks; {between}put each code on a line of its "
            f"own, or pass --delimiter '{sep}' if every code cell of the import separates "
            f"codes with '{sep}'"
        )
    return ""


def _skip_reason(label: str, res: Resolution, index: CodeIndex) -> str:
    if res.problem:
        return res.problem
    hint = index.suggest(label)
    return f"unknown code '{label}'" + (f"; did you mean {hint}?" if hint else "")


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
    """An id part the codebook accepts (``ID_RE``) from any label: accents dropped
    ("Évaluation" → evaluation), other scripts kept as a short hash of the label,
    numbers kept ("8 - Press for Accuracy" → 8_press_for_accuracy, "1" → 1)."""
    plain = unicodedata.normalize("NFKD", norm(text)).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9]+", "_", plain).strip("_")
    if out and len(out) * 2 >= len(re.sub(r"[\W_]+", "", norm(text))):
        return out
    digest = hashlib.sha1(norm(text).encode()).hexdigest()[:8]
    return f"{out}_{digest}" if out else f"code_{digest}"


def _slash_parents(
    index: CodeIndex, parsed: list[tuple[Table, list[Row], dict[str, str]]]
) -> set[str]:
    """The parts before a ``/`` that make a path in this import's labels.

    ``/`` is the weakest separator: "Project Lead / Project Manager" and "ISO / IEC
    25000" are names. A ``Parent / Child`` label is a path when its parent is a code
    already, is a label of its own in the file, or comes before ``/`` in labels with at
    least two different children; otherwise the whole label is the code's name."""
    labels = {label.strip() for _, rows, _ in parsed for row in rows for label, _ in row.labels}
    children: dict[str, set[str]] = defaultdict(set)
    for label in labels:
        if path_separator(label) == "/":
            first, _, rest = label.partition("/")
            children[norm(first)].add(norm(rest))
    standalone = {norm(label) for label in labels}
    return {
        parent
        for parent, kids in children.items()
        if len(kids) >= 2 or parent in standalone or index.matches(parent, False)
    }


def create_code(
    index: CodeIndex, label: str, slash_paths: set[str] | None = None
) -> list[KnownCode]:
    """Codes to create so that ``label`` resolves; missing parents become non-codable groupings.

    ``slash_paths``: the parents a ``/`` path may have (see :func:`_slash_parents`); a
    ``/`` label whose first part is not among them is one code of that name. None: every
    ``/`` is a path."""
    parts = split_path(label) or [label.strip()]
    if (
        slash_paths is not None
        and len(parts) > 1
        and path_separator(label.strip()) == "/"
        and norm(label.strip().partition("/")[0]) not in slash_paths
    ):
        parts = [" ".join(label.split())]
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


def codes_as_yaml(
    codes: Sequence[KnownCode], source: str = "an import", by_code: Mapping[str, str] | None = None
) -> str:
    """Codebook YAML (a ``codes:`` list) for codes created by an import.

    Ids and names are always quoted, so an id like ``1`` stays a string. ``by_code``: the
    file(s) each code came from, where known (else ``source``, the import's files).
    """
    entries = []
    for code in codes:
        source_of = (by_code or {}).get(code.id, source)
        entry: dict[str, object] = {"id": code.id, "name": code.name}
        if code.parent_id:
            entry["parent"] = code.parent_id
        if not code.codable:
            entry["codable"] = False
        entry["definition"] = f"Imported from {source_of}; write a definition."
        entries.append(entry)
    return dump_codes(entries)


def read_code_map(path: Path) -> dict[str, str]:
    """``--map FILE``: a two-column table (label, code id; a header row is optional)."""
    table = read_table(path)
    rows = [table.header, *(cells for _, cells in table.rows)] if table.header else []
    out: dict[str, str] = {}
    problems = []
    for number, cells in enumerate(rows, 1):
        cells = tuple(c.strip() for c in cells)
        if number == 1 and [norm(c) for c in cells[:2]] in (
            ["label", "code"],
            ["label", "code id"],
        ):
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            if any(cells):
                problems.append(
                    Problem("needs a label and a code id; fill both cells", str(path), number)
                )
            continue
        out[norm(cells[0])] = cells[1]
    if problems:
        raise ValidationError(problems, f"{len(problems)} problem(s) in the --map file")
    return out


#: Words shorter than this are qualifiers ("a_result", "h_result"), too short for a slip.
MIN_TYPO_WORD = 4


def _slip(x: str, y: str) -> bool:
    """Whether word ``x`` is ``y`` mistyped (both lower case, punctuation removed).

    Two English words are two words unless they share a lemma ("results", "result";
    not "qualified", "quantified"; "within", "with"; "architect", "architecture"). Else a
    slip is one edit (a letter added, dropped, changed or two swapped: "resul",
    "objetive", "conculsion"), or two changed letters in a long word of the same length
    ("inneficient"); never two letters added in one place, which is a prefix or a
    syllable ("processunclear", "processclear"), nor a changed first letter ("fneed").
    """
    if x == y:
        return True
    if min(len(x), len(y)) < MIN_TYPO_WORD or x[0] != y[0]:
        return False
    lemmas = english_word_forms()
    if x in lemmas and y in lemmas:
        return lemmas[x] == lemmas[y]
    distance = DamerauLevenshtein.distance(x, y)
    return distance == 1 or (distance == 2 and len(x) == len(y) >= 8)


def typo_alike(a: str, b: str) -> bool:
    """Two code names one label mistyped: the same words once case, spacing and punctuation
    are ignored, each differing word a slip (:func:`_slip`). A word added, dropped or
    swapped for another ("h_result" and "result", "a_result" and "h_result", "teacher
    support" and "student support") makes another code, not a typo."""
    words_a, words_b = loose(a).split("_"), loose(b).split("_")
    if "".join(words_a) == "".join(words_b):
        return True
    if len(words_a) != len(words_b):
        return False
    # Acronyms one letter apart are most often two bodies (IPMA and ISPMA, CMMI and CMM),
    # and numbers one digit apart two standards (ISO 25000, ISO 25010), not slips: a
    # differing word written in capitals or holding a digit is never taken for a typo.
    caps = _acronyms(a) | _acronyms(b)

    def exact(word: str) -> bool:
        return word in caps or any(ch.isdigit() for ch in word)

    return all(
        x == y or (not exact(x) and not exact(y) and _slip(x, y))
        for x, y in zip(words_a, words_b, strict=True)
    )


def _acronyms(label: str) -> set[str]:
    """The words of ``label`` written in capitals (``ISTQB``, ``IEC``), lower-cased."""
    return {w.lower() for w in re.findall(r"[A-Za-z0-9]+", label) if w.isupper() and len(w) > 1}


def _spelled_right(name: str) -> float:
    """The share of a code name's words that are English word forms (a hint at which of
    two spellings of one code is the right one: "beginning", not "beginnging")."""
    words = [w for w in loose(name).split("_") if w]
    forms = english_word_forms()
    return sum(w in forms for w in words) / len(words) if words else 0.0


def merge_candidates(index: CodeIndex, used: Counter[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Groups of near-duplicate codes among ``used`` (code id -> rows): the same leading
    number, or names that differ only by case, spacing, punctuation or a slip inside
    words (:func:`typo_alike`). Each group as (the code to keep, the
    others): the one whose name is spelled as English words, else the most used."""
    ids = sorted(used)
    parent = {i: i for i in ids}

    def root(i: str) -> str:
        while parent[i] != i:
            i = parent[i]
        return i

    names = {i: index.codes[i].name if i in index.codes else i for i in ids}
    numbers = {
        i: m.group(1)
        for i in ids
        if (m := LEADING_NUMBER.match(index.codes[i].name if i in index.codes else i))
    }
    pairs = itertools.combinations(ids, 2) if len(ids) <= MAX_COMPARED else ()
    for a, b in pairs:
        alike = numbers.get(a) is not None and numbers.get(a) == numbers.get(b)
        if not alike:
            alike = typo_alike(names[a], names[b])
        if alike:
            parent[root(b)] = root(a)
    groups: dict[str, list[str]] = defaultdict(list)
    for i in ids:
        groups[root(i)].append(i)
    out = []
    for members in groups.values():
        if len(members) > 1:
            keep = max(members, key=lambda i: (_spelled_right(names[i]), used[i], -len(i)))
            out.append((keep, tuple(m for m in members if m != keep)))
    return sorted(out)
