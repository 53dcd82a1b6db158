"""Loading a codebook: YAML files with line numbers, validated strictly, into a ``Codebook``.

Validation collects *every* problem (file, line, what to do) before raising
:class:`~themegrid.errors.CodebookError`, so a researcher fixes them in one pass.
The format is documented in ``codebook/README.md``. Nothing here imports spaCy:
token patterns are checked for shape here and compiled by :mod:`themegrid.tag`.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from themegrid.codebook.model import Code, Codebook, Cues, MachineSettings
from themegrid.codebook.patterns import pattern_problems
from themegrid.errors import CodebookError, Problem, YamlLimit

ID_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
HEADER_KEYS = (
    "name",
    "version",
    "description",
    "language",
    "min_content_words",
    "repeated_in_documents",
    "model_precision_floor",
    "model_min_positives",
    "semantic",
    "semantic_threshold",
)
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
TOP_KEYS = ("codebook", "codes")
CODE_KEYS = (
    "id",
    "name",
    "definition",
    "codable",
    "color",
    "parent",
    "children",
    "include",
    "exclude",
    "examples",
    "counterexamples",
    "cues",
    "aliases",
)
CUE_KEYS = ("phrases", "lemmas", "patterns", "veto")


# --- YAML with line numbers -------------------------------------------------------------


class _Map(dict):
    """A dict that remembers the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class _Seq(list):
    line: int = 0
    item_lines: list[int]


MAX_YAML_NODES_ENV = "THEMEGRID_MAX_YAML_NODES"
MAX_CODEBOOK_BYTES_ENV = "THEMEGRID_MAX_CODEBOOK_BYTES"
DEFAULT_MAX_YAML_NODES = 200_000  # values after aliases are expanded; a big codebook has ~20,000
DEFAULT_MAX_CODEBOOK_BYTES = 10 * 1024**2
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)


def _limit(env: str, default: int) -> int:
    raw = os.environ.get(env, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


class _Expander:
    """Turns a composed node graph into _Map/_Seq/scalars, counting every value produced.

    Aliases share nodes, so a few hundred bytes can stand for billions of values
    ("billion laughs"), and an alias to an enclosing node is a cycle; both are
    refused, as are tags other than YAML's plain ones (``!!python/...``).
    """

    def __init__(self, problems: list[Problem], file: str) -> None:
        self.problems, self.file = problems, file
        self.budget = _limit(MAX_YAML_NODES_ENV, DEFAULT_MAX_YAML_NODES)
        self.count = 0
        self.open: set[int] = set()

    def expand(self, node: yaml.Node) -> Any:
        line = node.start_mark.line + 1
        self.count += 1
        if self.count > self.budget:
            raise YamlLimit(
                f"more than {self.budget} values once YAML aliases are expanded (an alias bomb?); "
                f"write the codebook without nested aliases, or raise {MAX_YAML_NODES_ENV}",
                line,
            )
        if node.tag not in _PLAIN_TAGS:
            raise YamlLimit(
                f"YAML tag '{node.tag}' is not allowed in a codebook (only plain text, numbers, "
                "lists and mappings); remove the tag",
                line,
            )
        if id(node) in self.open:
            raise YamlLimit(
                "a YAML alias refers to a mapping or list that contains it (a recursive alias); "
                "remove the alias",
                line,
            )
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            self.open.add(id(node))
            try:
                return self._collection(node, line)
            finally:
                self.open.discard(id(node))
        return _SCALARS.construct_object(node)

    def _collection(self, node: yaml.Node, line: int) -> Any:
        problems, file = self.problems, self.file
        if isinstance(node, yaml.MappingNode):
            out = _Map()
            out.line, out.key_lines = line, {}
            for key_node, value_node in node.value:
                key = self.expand(key_node)
                key = str(key)
                kline = key_node.start_mark.line + 1
                if key in out:
                    problems.append(
                        Problem(
                            f"key '{key}' appears twice in one mapping (first on line "
                            f"{out.key_lines[key]}); keep one",
                            file,
                            kline,
                        )
                    )
                out[key] = self.expand(value_node)
                out.key_lines[key] = kline
            return out
        seq = _Seq(self.expand(n) for n in node.value)
        seq.line = line
        seq.item_lines = [n.start_mark.line + 1 for n in node.value]
        return seq


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. Under YAML 1.1 a cue such as ``{LOWER: on}``
    or the phrase ``no`` would silently become a boolean."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_SCALARS = _Loader("")  # only its scalar constructors are used

if hasattr(yaml, "CSafeLoader"):  # libyaml: the same nodes and marks, about 10x faster

    class _FastLoader(yaml.CSafeLoader):
        """:class:`_Loader`'s YAML 1.2 booleans on libyaml's parser."""

    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _COMPOSER: type = _FastLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _COMPOSER = _Loader


def _parse_yaml(path: Path, display: str, problems: list[Problem]) -> Any:
    max_bytes = _limit(MAX_CODEBOOK_BYTES_ENV, DEFAULT_MAX_CODEBOOK_BYTES)
    try:
        size = path.stat().st_size
    except OSError as exc:
        problems.append(Problem(f"cannot be read ({exc.strerror})", display))
        return None
    if size > max_bytes:
        problems.append(
            Problem(
                f"{size} bytes is more than a codebook may be ({max_bytes} bytes); split it into "
                f"several files in codebook/, or raise {MAX_CODEBOOK_BYTES_ENV}",
                display,
            )
        )
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(f"not UTF-8 text ({exc.reason}); save the file as UTF-8", display))
        return None
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or str(exc)
        problems.append(
            Problem(
                f"YAML syntax error: {what}; check indentation and quoting on this line"
                " (quote text containing ': ' or '#')",
                display,
                line,
            )
        )
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(f"YAML error: {exc}", display))
        return None
    if node is None:
        return None
    try:
        return _Expander(problems, display).expand(node)
    except YamlLimit as exc:
        problems.append(Problem(str(exc), display, exc.line))
        return None


# --- validation --------------------------------------------------------------------------


def _suggest(key: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(valid)}"
    return f"unknown key '{key}'; {hint}"


@dataclass
class _RawCode:
    data: _Map
    file: str
    parent_from_nesting: str | None


def codebook_files(folder: Path) -> list[Path]:
    """The YAML files that make up a codebook folder, in name order."""
    files = [
        p
        for p in sorted(folder.iterdir())
        if p.suffix.lower() in (".yaml", ".yml") and not p.name.startswith(("_", "."))
    ]
    return files


def load_codebook(source: Path | str) -> Codebook:
    """Load and validate a codebook folder (or one YAML file). Raises CodebookError."""
    files = _source_files(Path(source))
    problems: list[Problem] = []
    parts = _Parts()
    for path in files:
        _read_file(path, parts, problems)
    if parts.header_file is None and not any(p.message.startswith("YAML") for p in problems):
        problems.append(
            Problem(
                "no 'codebook:' header with name and version; add one to the first file",
                str(files[0]),
            )
        )
    book = Codebook(
        name=str(parts.header.get("name", "")),
        version=str(parts.header.get("version", "")),
        description=str(parts.header.get("description", "") or ""),
        codes=tuple(_build_codes(parts.codes, problems)),
        files=tuple(str(f) for f in files),
        settings=_settings(parts, problems),
    )
    problems.extend(pattern_problems(book))
    if problems:
        raise CodebookError(problems, f"the codebook has {len(problems)} problem(s)")
    return book


def _settings(parts: _Parts, problems: list[Problem]) -> MachineSettings:
    """The header's machine settings, each checked (a problem names the header line)."""
    header, file = parts.header, parts.header_file or ""
    default = MachineSettings()
    lines = getattr(header, "key_lines", {})

    def problem(key: str, message: str) -> None:
        problems.append(Problem(f"codebook {key}: {message}", file, lines.get(key, 0)))

    languages = default.languages
    if "language" in header:
        raw = header["language"]
        items = raw if isinstance(raw, list) else [raw]
        langs = tuple(str(x).strip().lower() for x in items)
        if not langs or not all(LANGUAGE_RE.match(x) for x in langs):
            problem("language", f"{raw!r} is not an ISO 639-1 code or a list of them (e.g. en)")
        else:
            languages = langs

    def number(key: str, kind: type, low: float, high: float, value: Any) -> Any:
        if key not in header:
            return value
        raw = header[key]
        try:
            got = kind(raw)
        except (TypeError, ValueError):
            got = None
        if got is None or isinstance(raw, bool) or not low <= got <= high:
            problem(key, f"{raw!r} must be a {kind.__name__} from {low:g} to {high:g}")
            return value
        return got

    def switch(key: str, value: bool) -> bool:
        if key not in header:
            return value
        raw = header[key]
        if not isinstance(raw, bool):
            problem(key, f"{raw!r} must be true or false")
            return value
        return raw

    repeated = number("repeated_in_documents", int, 0, 1_000_000, default.repeated_in_documents)
    if repeated == 1:
        problem(
            "repeated_in_documents",
            "1 would set aside every segment; give 2 or more documents, or 0 to switch the rule off",
        )
        repeated = default.repeated_in_documents
    return MachineSettings(
        languages=languages,
        min_content_words=number("min_content_words", int, 0, 50, default.min_content_words),
        repeated_in_documents=repeated,
        model_precision_floor=number(
            "model_precision_floor", float, 0.0, 1.0, default.model_precision_floor
        ),
        model_min_positives=number(
            "model_min_positives", int, 1, 10_000, default.model_min_positives
        ),
        semantic=switch("semantic", default.semantic),
        semantic_threshold=number(
            "semantic_threshold", float, -1.0, 1.0, default.semantic_threshold
        ),
    )


def _source_files(source: Path) -> list[Path]:
    if source.is_dir():
        files = codebook_files(source)
        if not files:
            message = "no codebook files (*.yaml) found; run 'themegrid init' or add one"
            raise CodebookError([Problem(message, str(source))])
        return files
    if source.exists():
        return [source]
    message = "codebook not found; check the path or run 'themegrid init'"
    raise CodebookError([Problem(message, str(source))])


@dataclass
class _Parts:
    """What the files of one codebook contribute, gathered before validation."""

    header: Any = field(default_factory=dict)
    header_file: str | None = None
    codes: list[_RawCode] = field(default_factory=list)


def _read_file(path: Path, parts: _Parts, problems: list[Problem]) -> None:
    display = str(path)
    doc = _parse_yaml(path, display, problems)
    if doc is None:
        return
    if not isinstance(doc, _Map):
        message = "the top level must be a mapping with 'codebook' and/or 'codes'"
        problems.append(Problem(message, display, 1))
        return
    for key in doc:
        if key not in TOP_KEYS:
            problems.append(Problem(_suggest(key, TOP_KEYS), display, doc.key_lines[key]))
    if "codebook" in doc:
        line = doc.key_lines["codebook"]
        if parts.header_file is not None:
            message = f"a second 'codebook:' header (the first is in {parts.header_file}); keep one"
            problems.append(Problem(message, display, line))
        else:
            parts.header_file = display
            parts.header = _check_header(doc["codebook"], display, line, problems)
    if "codes" in doc:
        if not isinstance(doc["codes"], _Seq):
            problems.append(
                Problem("'codes' must be a list of codes", display, doc.key_lines["codes"])
            )
            return
        _collect_codes(doc["codes"], display, None, parts.codes, problems)


def _check_header(data: Any, file: str, line: int, problems: list[Problem]) -> dict[str, Any]:
    if not isinstance(data, _Map):
        problems.append(Problem("'codebook' must be a mapping with name and version", file, line))
        return {}
    for key in data:
        if key not in HEADER_KEYS:
            problems.append(Problem(_suggest(key, HEADER_KEYS), file, data.key_lines[key]))
    for key in ("name", "version"):
        value = data.get(key)
        if value is None or not str(value).strip():
            problems.append(
                Problem(f"codebook {key} is missing or empty; add '{key}: ...'", file, data.line)
            )
    return data


def _collect_codes(
    items: _Seq, file: str, parent: str | None, out: list[_RawCode], problems: list[Problem]
) -> None:
    for item, line in zip(items, items.item_lines, strict=True):
        if not isinstance(item, _Map):
            problems.append(
                Problem("each code must be a mapping with at least id and name", file, line)
            )
            continue
        out.append(_RawCode(item, file, parent))
        children = item.get("children")
        if children is None:
            continue
        if not isinstance(children, _Seq):
            problems.append(
                Problem("'children' must be a list of codes", file, item.key_lines["children"])
            )
            continue
        child_parent = item.get("id") if isinstance(item.get("id"), str) else None
        _collect_codes(children, file, child_parent, out, problems)


def _str_list(
    data: _Map, key: str, file: str, where: str, problems: list[Problem], *, cues: bool = False
) -> tuple[str, ...]:
    """A list of strings; one string is a list of one. ``cues``: a list of cues, where one
    string with a comma is refused (``lemmas: provenance, lineage`` would be the single cue
    "provenance, lineage"); a cue with a comma is written inside a list."""
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str) and cues and "," in value:
        items = ", ".join(v.strip() for v in value.split(",") if v.strip())
        shown, fix = _short(value.strip()), _short(items)
        problems.append(
            Problem(
                f"'{key}' is one string with a comma ({shown!r}), read as a single cue: "
                f"write a list: [{fix}] (a cue that holds a comma: inside a list, quoted)",
                file,
                data.key_lines.get(key),
                where,
            )
        )
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(
            Problem(
                f"'{key}' must be a list of non-empty strings", file, data.key_lines.get(key), where
            )
        )
        return ()
    return tuple(v.strip() for v in value)


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _text(data: _Map, key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value).strip()


def _parse_cues(
    data: Any, file: str, line: int | None, where: str, problems: list[Problem]
) -> Cues:
    if data is None:
        return Cues()
    if not isinstance(data, _Map):
        problems.append(
            Problem("'cues' must be a mapping (phrases, lemmas, patterns, veto)", file, line, where)
        )
        return Cues()
    for key in data:
        if key not in CUE_KEYS:
            problems.append(Problem(_suggest(key, CUE_KEYS), file, data.key_lines[key], where))
    patterns_raw = data.get("patterns") or []
    patterns: list[tuple[Mapping[str, Any], ...]] = []
    pattern_lines: list[int] = []
    if not isinstance(patterns_raw, list):
        problems.append(
            Problem(
                "'patterns' must be a list of token patterns",
                file,
                data.key_lines.get("patterns"),
                where,
            )
        )
    else:
        lines = getattr(patterns_raw, "item_lines", [None] * len(patterns_raw))
        for pattern, pline in zip(patterns_raw, lines, strict=True):
            if (
                not isinstance(pattern, list)
                or not pattern
                or not all(isinstance(t, dict) for t in pattern)
            ):
                problems.append(
                    Problem(
                        "a token pattern must be a non-empty list of mappings, e.g. "
                        "[{LOWER: task}, {LOWER: force}]",
                        file,
                        pline,
                        where,
                    )
                )
                continue
            patterns.append(tuple(_plain(t) for t in pattern))
            pattern_lines.append(pline or line or 0)
    return Cues(
        phrases=_str_list(data, "phrases", file, where, problems, cues=True),
        lemmas=_str_list(data, "lemmas", file, where, problems, cues=True),
        patterns=tuple(patterns),
        veto=_str_list(data, "veto", file, where, problems, cues=True),
        pattern_lines=tuple(pattern_lines),
    )


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def _build_codes(raw_codes: list[_RawCode], problems: list[Problem]) -> list[Code]:
    codes: list[Code] = []
    seen: dict[str, str] = {}
    for raw in raw_codes:
        code = _build_code(raw, problems)
        if code is None:
            continue
        place = f"{raw.file}:{raw.data.line}"
        if code.id in seen:
            problems.append(
                Problem(
                    f"duplicate code id '{code.id}' (also defined at {seen[code.id]}); ids must be unique",
                    raw.file,
                    raw.data.line,
                )
            )
            continue
        seen[code.id] = place
        codes.append(code)
    by_id = {c.id: c for c in codes}
    for code in codes:
        if code.parent_id is not None and code.parent_id not in by_id:
            close = difflib.get_close_matches(code.parent_id, list(by_id), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else "; define that code or fix the id"
            problems.append(
                Problem(
                    f"unknown parent '{code.parent_id}'{hint}",
                    code.file,
                    code.line,
                    f"code {code.id}",
                )
            )
    problems.extend(_cycles(codes, by_id))
    return codes


def _build_code(raw: _RawCode, problems: list[Problem]) -> Code | None:
    data, file = raw.data, raw.file
    code_id = data.get("id")
    where = f"code {code_id}" if isinstance(code_id, str) else None
    for key in data:
        if key not in CODE_KEYS:
            problems.append(Problem(_suggest(key, CODE_KEYS), file, data.key_lines[key], where))
    id_ok = isinstance(code_id, str) and bool(ID_RE.match(code_id))
    if not id_ok:
        problems.append(
            Problem(
                f"code id {code_id!r} is missing or malformed; use lower-case dotted words "
                "such as 'catalyst.covid'",
                file,
                data.key_lines.get("id", data.line),
            )
        )
    name = _text(data, "name")
    if not name:
        problems.append(
            Problem("name is missing or empty; add 'name: ...'", file, data.line, where)
        )
    codable = data.get("codable", True)
    if not isinstance(codable, bool):
        problems.append(
            Problem("'codable' must be true or false", file, data.key_lines["codable"], where)
        )
        codable = True
    definition = _text(data, "definition")
    if codable and not definition:
        problems.append(
            Problem(
                "definition is missing; add 'definition: ...' (or 'codable: false' for a grouping)",
                file,
                data.line,
                where,
            )
        )
    color = data.get("color")
    if color is not None and not (isinstance(color, str) and COLOR_RE.match(color)):
        problems.append(
            Problem(
                f"color {color!r} must look like '#1f77b4'", file, data.key_lines["color"], where
            )
        )
        color = None
    parent = data.get("parent")
    if parent is not None and not isinstance(parent, str):
        problems.append(
            Problem("'parent' must be a code id", file, data.key_lines["parent"], where)
        )
        parent = None
    if raw.parent_from_nesting is not None:
        if parent is not None and parent != raw.parent_from_nesting:
            problems.append(
                Problem(
                    f"nested under '{raw.parent_from_nesting}' but names parent '{parent}'; remove one",
                    file,
                    data.key_lines["parent"],
                    where,
                )
            )
        parent = raw.parent_from_nesting
    examples = _str_list(data, "examples", file, where or "", problems)
    counterexamples = _str_list(data, "counterexamples", file, where or "", problems)
    cues = _parse_cues(data.get("cues"), file, data.key_lines.get("cues"), where or "", problems)
    aliases = _str_list(data, "aliases", file, where or "", problems)
    if not id_ok:
        return None  # the code's other problems are reported above
    return Code(
        id=str(code_id),
        name=name,
        definition=definition,
        parent_id=parent,
        codable=codable,
        color=color,
        include=_text(data, "include"),
        exclude=_text(data, "exclude"),
        examples=examples,
        counterexamples=counterexamples,
        cues=cues,
        aliases=aliases,
        file=file,
        line=data.line,
    )


def _cycles(codes: list[Code], by_id: Mapping[str, Code]) -> Iterator[Problem]:
    reported: set[str] = set()
    for code in codes:
        chain: list[str] = []
        current: str | None = code.id
        while current is not None and current in by_id and current not in chain:
            chain.append(current)
            current = by_id[current].parent_id
        if current is not None and current in chain and current not in reported:
            loop = [*chain[chain.index(current) :], current]
            reported.update(loop)
            yield Problem(
                f"parent cycle: {' -> '.join(loop)}; a code cannot be its own ancestor",
                code.file,
                code.line,
                f"code {code.id}",
            )
