"""Hostile codebooks: alias bombs, recursive aliases, python tags and huge files are refused
with one problem naming the file, line and limit, quickly and without a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from themegrid.codebook import load_codebook
from themegrid.errors import CodebookError

HEADER = 'codebook:\n  name: Bomb\n  version: "1"\n'
CODE = "codes:\n  - id: a\n    name: A\n    definition: x\n    cues: {lemmas: [budget]}\n"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "codebook.yaml"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _bomb(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*l{i - 1}"] * 9)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "extra:\n" + "".join(f"  {line}\n" for line in lines)


def test_a_billion_laughs_alias_bomb_is_refused_naming_the_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, CODE + _bomb())
    assert path.stat().st_size < 1000
    with pytest.raises(CodebookError) as e:
        load_codebook(path)
    message = str(e.value)
    assert "codebook.yaml" in message and "aliases are expanded" in message
    assert "THEMEGRID_MAX_YAML_NODES" in message and "200000" in message


def test_the_alias_limit_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(
        tmp_path,
        CODE
        + "  - id: b\n    name: B\n    definition: y\n"
        + "    cues: {lemmas: &words [grant, money, funds, levy]}\n"
        + "  - id: c\n    name: C\n    definition: z\n    cues: {lemmas: *words}\n",
    )
    load_codebook(path)  # well under the default
    monkeypatch.setenv("THEMEGRID_MAX_YAML_NODES", "20")
    with pytest.raises(CodebookError, match="more than 20 values"):
        load_codebook(path)


def test_a_recursive_alias_is_a_problem_not_a_recursion_error(tmp_path: Path) -> None:
    path = _write(tmp_path, CODE + "extra: &loop\n  again: *loop\n")
    with pytest.raises(CodebookError, match="recursive alias") as e:
        load_codebook(path)
    assert "codebook.yaml:" in str(e.value)


@pytest.mark.parametrize(
    "tagged",
    [
        "extra: !!python/object/apply:os.system ['echo pwned']\n",
        "extra: !!python/name:os.system\n",
        "extra: !!binary aGVsbG8=\n",
    ],
)
def test_python_and_other_tags_are_refused(tmp_path: Path, tagged: str) -> None:
    path = _write(tmp_path, CODE + tagged)
    with pytest.raises(CodebookError, match=r"YAML tag .* is not allowed"):
        load_codebook(path)


def test_a_codebook_too_large_is_refused_naming_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, CODE + "# padding\n" * 200)
    monkeypatch.setenv("THEMEGRID_MAX_CODEBOOK_BYTES", "1000")
    with pytest.raises(CodebookError, match=r"more than a codebook may be \(1000 bytes\)"):
        load_codebook(path)
