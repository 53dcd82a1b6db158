"""Token patterns (spaCy ``Matcher`` syntax) checked for shape without loading spaCy.

The codebook loader reports unknown attributes and malformed tokens with their YAML
line; spaCy itself compiles (and validates fully) when the tagger is built.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from themegrid.codebook.model import Codebook
from themegrid.errors import Problem

TOKEN_ATTRS = (
    "ORTH", "TEXT", "LOWER", "NORM", "LEMMA", "POS", "TAG", "MORPH", "DEP", "ENT_TYPE", "ENT_IOB",
    "ENT_ID", "ENT_KB_ID", "SHAPE", "PREFIX", "SUFFIX", "LENGTH", "IS_ALPHA", "IS_ASCII", "IS_DIGIT",
    "IS_LOWER", "IS_UPPER", "IS_TITLE", "IS_PUNCT", "IS_SPACE", "IS_STOP", "IS_SENT_START",
    "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL", "SPACY", "OP", "_",
)  # fmt: skip
OPERATORS = ("!", "?", "+", "*")


def unknown_attribute_message(number: int, pattern: tuple[Mapping[str, Any], ...]) -> str | None:
    """'token pattern #n uses unknown attribute ...' (with the nearest valid one), or None."""
    unknown = [str(k) for token in pattern for k in token if str(k).upper() not in TOKEN_ATTRS]
    if not unknown:
        return None
    close = difflib.get_close_matches(unknown[0].upper(), TOKEN_ATTRS, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"token pattern #{number} uses unknown attribute '{unknown[0]}'{hint}"


def _shape_message(number: int, pattern: tuple[Any, ...]) -> str | None:
    if not pattern:
        return f"token pattern #{number} is empty; give at least one token, e.g. [{{LOWER: task}}]"
    for token in pattern:
        if not isinstance(token, Mapping):
            return (
                f"token pattern #{number} has a token that is not a mapping ({token!r}); "
                "write each token as {ATTRIBUTE: value}"
            )
    message = unknown_attribute_message(number, pattern)
    if message:
        return message
    for token in pattern:
        message = _regex_message(number, token)
        if message:
            return message
    for token in pattern:
        op = next((v for k, v in token.items() if str(k).upper() == "OP"), None)
        if op is not None and not _valid_operator(op):
            return (
                f"token pattern #{number} has OP {op!r}; use one of "
                f"{', '.join(OPERATORS)} or a count such as '{{2}}' or '{{1,3}}'"
            )
    return None


def _regex_message(number: int, token: Mapping[str, Any]) -> str | None:
    """A ``{ATTR: {REGEX: ...}}`` value that Python's ``re`` (what the Matcher uses) cannot
    compile, named with the reason and where in the expression it fails."""
    for attr, value in token.items():
        if not isinstance(value, Mapping):
            continue
        for key, expression in value.items():
            if str(key).upper() != "REGEX":
                continue
            if not isinstance(expression, str):
                return (
                    f"token pattern #{number}, {attr}: REGEX needs a regular expression in quotes, "
                    f"not {expression!r}"
                )
            try:
                re.compile(expression)
            except re.error as exc:
                return (
                    f"token pattern #{number}, {attr}: the regular expression {expression!r} "
                    f"does not compile ({exc}); fix it (every '(' and '[' needs its closing "
                    "bracket; a literal one is written '\\(' or '\\[')"
                )
    return None


def _valid_operator(op: Any) -> bool:
    if not isinstance(op, str):
        return False
    if op in OPERATORS:
        return True
    inner = op[1:-1] if op.startswith("{") and op.endswith("}") else None
    if inner is None:
        return False
    parts = inner.split(",")
    return 1 <= len(parts) <= 2 and all(p.strip().isdigit() or p.strip() == "" for p in parts)


def pattern_problems(codebook: Codebook) -> list[Problem]:
    """Token patterns that cannot be right, each at its pattern's own line."""
    problems: list[Problem] = []
    for code in codebook.codes:
        lines = code.cues.pattern_lines
        for i, pattern in enumerate(code.cues.patterns, 1):
            message = _shape_message(i, pattern)
            if message:
                line = lines[i - 1] if len(lines) >= i else code.line
                problems.append(Problem(message, code.file, line, f"code {code.id}"))
    return problems
