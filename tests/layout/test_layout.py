"""The package layout keeps its promises: no import cycles, SQL only in the store,
no reaching into a sibling's private helpers, a light codebook, every module documented."""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "src" / "themegrid"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


@functools.cache
def parsed(path: Path) -> ast.Module:
    """A module's syntax tree, parsed once for all the tests here (none changes it)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def imports_of(path: Path) -> Iterator[tuple[str, str | None, int]]:
    """(module, imported name or None, line) for every import, function-local ones included."""
    tree = parsed(path)
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield base, alias.name, node.lineno


def internal_edges() -> dict[str, set[str]]:
    """Module -> the themegrid modules it imports (a name that is a submodule counts as one)."""
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for module, imported, _ in imports_of(path):
            if not module.startswith("themegrid"):
                continue
            target = (
                f"{module}.{imported}" if imported and f"{module}.{imported}" in MODULES else module
            )
            while target not in MODULES and "." in target:
                target = target.rpartition(".")[0]
            if target != name:
                edges[name].add(target)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            # A package's __init__ re-exporting its own modules is not a cycle back to it.
            if node.startswith(nxt + "."):
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycles_including_function_local_imports() -> None:
    cycle = find_cycle(internal_edges())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_another_modules_private_names() -> None:
    offenders = []
    for path in MODULES.values():
        for module, imported, line in imports_of(path):
            private = imported and imported.startswith("_") and imported != "__version__"
            if module.startswith("themegrid") and private:
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {module}.{imported}")
    assert not offenders, "\n".join(offenders)


def test_loading_a_codebook_does_not_import_spacy_or_sklearn() -> None:
    code = (
        "import sys; from themegrid.codebook import load_codebook; "
        f"book = load_codebook({str(ROOT / 'codebook')!r}); "
        "print(len(book.codes), sorted(m for m in ('spacy', 'sklearn', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, loaded = out.stdout.strip().split(" ", 1)
    assert int(count) > 0
    assert loaded == "[]"


SQL = re.compile(r"import sqlite3|\.execute\(|executemany\(|executescript\(")


def test_only_the_store_speaks_sql() -> None:
    outside = [
        str(path.relative_to(ROOT))
        for name, path in MODULES.items()
        if not name.startswith("themegrid.store") and SQL.search(path.read_text(encoding="utf-8"))
    ]
    assert not outside, f"SQL outside themegrid/store/: {outside}"


def test_every_module_is_named_in_architecture_md() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = []
    for path in MODULES.values():
        rel = path.relative_to(PKG).as_posix()
        if path.name == "__init__.py":
            rel = rel.removesuffix("__init__.py")
            if rel == "":
                continue
        if f"`{rel}`" not in text:
            missing.append(rel)
    assert not missing, f"ARCHITECTURE.md does not name: {missing}"


@pytest.mark.parametrize("pattern", ["{LOWER: {IN: 5}}", "{LOWER: task, OP: sometimes}"])
def test_a_pattern_spacy_rejects_still_stops_coding_with_its_line(
    tmp_path: Path, pattern: str
) -> None:
    from themegrid.codebook import load_codebook
    from themegrid.errors import CodebookError
    from themegrid.tag.tagger import RuleTagger

    (tmp_path / "cb.yaml").write_text(
        "codebook: {name: t, version: '1'}\n"
        "codes:\n"
        "  - id: a\n"
        "    name: A\n"
        "    definition: x\n"
        "    cues:\n"
        "      patterns:\n"
        f"        - [{pattern}]\n",
        encoding="utf-8",
    )
    with pytest.raises(CodebookError) as err:
        RuleTagger(load_codebook(tmp_path))
    assert "token pattern #1" in str(err.value) and "cb.yaml:8" in str(err.value)


def test_every_exception_class_lives_in_errors_py() -> None:
    errors = PKG / "errors.py"
    elsewhere = []
    for path in MODULES.values():
        if path == errors:
            continue
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(b) for b in node.bases]
                if any(b.endswith(("Error", "Exception", "Busy", "Archive")) for b in bases):
                    elsewhere.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not elsewhere, f"exception classes outside errors.py: {elsewhere}"


def test_the_cli_only_parses_calls_the_library_and_prints() -> None:
    """No business checks in the CLI: it never opens the store, raises ProjectError or
    imports the store package; it calls a function of api.py (or another library call)."""
    offenders = []
    for path in sorted((PKG / "cli").glob("*_cmd.py")):
        rel = path.relative_to(PKG).as_posix()
        text = path.read_text(encoding="utf-8")
        for needle in (".open_store(", "raise ProjectError", "themegrid.store", "store_path"):
            if needle in text:
                offenders.append(f"{rel}: {needle}")
    assert not offenders, offenders
