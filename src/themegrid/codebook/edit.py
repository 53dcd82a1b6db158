"""Editing codebook YAML files in place for ``codebook merge``: a merged code leaves its file,
its id and name become ``aliases`` of the code it was merged into.

The edit is a splice of the file's text at the positions YAML reports for the nodes
(PyYAML's composer marks), so every other line, comment and blank line stays byte for
byte as the researcher wrote it. Nothing is written here: :func:`plan_merge_edits`
returns each changed file's text before and after, checked by loading the edited
codebook from a copy, and the caller writes them (atomically) and keeps the "before"
texts for the undo.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from themegrid.codebook.load import load_codebook
from themegrid.codebook.model import Codebook
from themegrid.errors import CodebookError, MergeError


@dataclass(frozen=True)
class FileEdit:
    """One codebook file's text before and after an edit (``path`` absolute)."""

    path: Path
    before: str
    after: str


@dataclass(frozen=True)
class _Found:
    item: yaml.MappingNode
    seq: yaml.SequenceNode
    key: yaml.ScalarNode  # the 'codes' or 'children' key that holds ``seq``


def _find(node: yaml.Node, code_id: str, key: yaml.ScalarNode | None = None) -> _Found | None:
    """The mapping whose ``id`` is ``code_id``, under 'codes' and 'children' lists."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value in ("codes", "children"):
                found = _find(v, code_id, k)
                if found is not None:
                    return found
    elif isinstance(node, yaml.SequenceNode) and key is not None:
        for item in node.value:
            if not isinstance(item, yaml.MappingNode):
                continue
            if any(
                isinstance(k, yaml.ScalarNode) and k.value == "id" and v.value == code_id
                for k, v in item.value
            ):
                return _Found(item, node, key)
            found = _find(item, code_id)
            if found is not None:
                return found
    return None


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """Index just past the newline ending the line that holds ``index`` (a block scalar's
    end mark already sits at the start of the next line)."""
    if index > 0 and text[index - 1] == "\n":
        return index
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _content_end(node: yaml.Node) -> int:
    """Where ``node``'s own text ends. A block collection's end mark is the next token (the
    next item's dash, past any comment lines), so it is taken from its last value."""
    if isinstance(node, yaml.MappingNode) and node.value and not node.flow_style:
        return _content_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value and not node.flow_style:
        return _content_end(node.value[-1])
    return int(node.end_mark.index)


def _removed(text: str, code_id: str, file: str) -> str:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    found = _find(root, code_id) if root is not None else None
    if found is None:
        raise MergeError(
            f"{file}: code {code_id} not found where the codebook said; nothing changed"
        )
    if found.seq.flow_style:
        raise MergeError(
            f"{file}:{found.seq.start_mark.line + 1}: the list holding {code_id} is written in flow "
            "style ([...]); write it as a block list (one '- id:' per line) to merge; nothing changed"
        )
    if len(found.seq.value) == 1:
        # The only code of its list: the 'codes:'/'children:' key goes with it.
        start, end = found.key.start_mark.index, _content_end(found.seq)
    else:
        start, end = found.item.start_mark.index, _content_end(found.item)
    start, end = _line_start(text, start), _line_end(text, end)
    while text[start:end].endswith("\n\n"):  # blank lines a block scalar took: keep them
        end -= 1
    return text[:start] + text[end:]


def _with_aliases(text: str, code_id: str, aliases: list[str], file: str) -> str:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    found = _find(root, code_id) if root is not None else None
    if found is None:
        raise MergeError(
            f"{file}: code {code_id} not found where the codebook said; nothing changed"
        )
    pairs = {k.value: (k, v) for k, v in found.item.value if isinstance(k, yaml.ScalarNode)}
    if "aliases" in pairs:
        _, node = pairs["aliases"]
        old = yaml.safe_load(text[node.start_mark.index : node.end_mark.index]) or []
        old = [old] if isinstance(old, str) else [str(a) for a in old]
        merged = list(dict.fromkeys([*old, *aliases]))
        return (
            text[: node.start_mark.index]
            + json.dumps(merged, ensure_ascii=False)
            + text[node.end_mark.index :]
        )
    flow = json.dumps(aliases, ensure_ascii=False)
    id_key, id_value = pairs["id"]
    if found.item.flow_style:
        at = id_value.end_mark.index
        return text[:at] + f", aliases: {flow}" + text[at:]
    at = _line_end(text, id_value.end_mark.index)
    line = " " * id_key.start_mark.column + f"aliases: {flow}\n"
    if at == len(text) and not text.endswith("\n"):
        line = "\n" + line
    return text[:at] + line + text[at:]


def plan_merge_edits(
    folder: Path, book: Codebook, sources: list[str], target: str, names: dict[str, str]
) -> list[FileEdit]:
    """The file edits that make the codebook say ``sources`` were merged into ``target``.

    Sources defined in the codebook are removed from their files; every source's id and
    name (``names``, for sources only the store knows) become ``aliases`` of the target.
    A source's child codes must be sources too (a whole branch merges into the target).
    Refused (MergeError, nothing changed) when a source has a child code that is not, when codebook
    sources would be merged into a code the codebook does not define, or when the edited
    codebook would not load.
    """
    folder = folder.resolve()
    in_book = [s for s in sources if s in book]

    def depth(code_id: str) -> int:
        parent = book.get(code_id).parent_id
        return 0 if parent is None or parent not in book else 1 + depth(parent)

    def ancestors(code_id: str) -> list[str]:
        parent = book.get(code_id).parent_id if code_id in book else None
        return [] if parent is None or parent not in book else [parent, *ancestors(parent)]

    above = [s for s in ancestors(target) if s in sources]
    if above:
        raise MergeError(
            f"--into {target} is inside {above[0]}, one of the codes to merge; merge "
            f"{above[0]}'s branch into a code outside it, or leave {above[0]} out; nothing changed"
        )
    for source in in_book:
        left = [c.id for c in book.codes if source in ancestors(c.id) and c.id not in sources]
        if left:
            raise MergeError(
                f"{source} has child codes that the merge would leave without a parent "
                f"({', '.join(left[:5])}{' ...' if len(left) > 5 else ''}); merge them too, in the "
                f"same command: themegrid codebook merge {' '.join([*sources, *left])} --into "
                f"{target}; or move them under another code in {book.get(source).file} first; "
                "nothing changed"
            )
    # children before their parents: removing a parent's item removes its children's text
    in_book.sort(key=depth, reverse=True)
    if target not in book:
        if in_book:
            raise MergeError(
                f"--into {target} is not defined in the codebook files, but {', '.join(in_book)} "
                f"is; add {target} to the codebook (or merge into a codebook code); nothing changed"
            )
        return []
    texts: dict[Path, str] = {}

    def text_of(path: Path) -> str:
        if path not in texts:
            texts[path] = path.read_text(encoding="utf-8")
        return texts[path]

    before: dict[Path, str] = {}
    for source in in_book:
        path = Path(book.get(source).file).resolve()
        before.setdefault(path, text_of(path))
        texts[path] = _removed(text_of(path), source, str(path))
    aliases: list[str] = []
    for source in sources:
        aliases.append(source)
        name = book.get(source).name if source in book else names.get(source, "")
        if name and name != source:
            aliases.append(name)
    path = Path(book.get(target).file).resolve()
    before.setdefault(path, text_of(path))
    texts[path] = _with_aliases(text_of(path), target, aliases, str(path))
    edits = [FileEdit(p, before[p], texts[p]) for p in before if before[p] != texts[p]]
    _check_loads(folder, edits)
    return edits


def _check_loads(folder: Path, edits: list[FileEdit]) -> None:
    """Load the codebook as it will be, from a copy; MergeError when it has problems."""
    with tempfile.TemporaryDirectory(prefix="themegrid-merge-") as tmp:
        copy = Path(tmp) / "codebook"
        shutil.copytree(folder, copy)
        for edit in edits:
            (copy / edit.path.relative_to(folder)).write_text(edit.after, encoding="utf-8")
        try:
            load_codebook(copy)
        except CodebookError as exc:
            raise MergeError(
                f"the codebook would not load after the merge ({exc.problems[0]}); edit it by hand "
                "or report this; nothing changed"
            ) from exc
