"""The codebook loader and validator: every problem reported with file, line and fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from themegrid.cli import app
from themegrid.codebook import load_codebook
from themegrid.errors import CodebookError

HEADER = "codebook:\n  name: Test\n  version: 1.0.0\n"

GOOD = HEADER + textwrap.dedent(
    """\
    codes:
      - id: group
        name: Group
        codable: false
        children:
          - id: group.one
            name: One
            definition: First.
            examples: ["the pilot program grew"]
            cues:
              lemmas: [pilot program]
      - id: group.two
        parent: group
        name: Two
        definition: Second.
        cues:
          patterns:
            - [{LOWER: task}, {LOWER: force}]
    """
)


def write(folder: Path, text: str, name: str = "codebook.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(CodebookError) as info:
        load_codebook(folder)
    return [str(p) for p in info.value.problems]


def test_good_codebook_loads_with_hierarchy(tmp_path: Path) -> None:
    book = load_codebook(write(tmp_path / "cb", GOOD))
    assert [c.id for c in book.tree_order()] == ["group", "group.one", "group.two"]
    assert book.get("group.one").parent_id == "group"
    assert book.get("group.two").parent_id == "group"
    assert not book.get("group").codable
    assert book.path("group.two") == "Group > Two"
    assert book.get("group.two").cues.patterns[0][0] == {"LOWER": "task"}


def test_hashes_change_with_content_but_cue_hash_only_with_cues(tmp_path: Path) -> None:
    base = load_codebook(write(tmp_path / "a", GOOD))
    redefined = load_codebook(
        write(tmp_path / "b", GOOD.replace("definition: First.", "definition: Changed."))
    )
    recued = load_codebook(
        write(tmp_path / "c", GOOD.replace("[pilot program]", "[pilot project]"))
    )
    assert base.hash != redefined.hash and base.cue_hash == redefined.cue_hash
    assert base.cue_hash != recued.cue_hash


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    bad = HEADER + "codes:\n  - id: a\n    name: [unclosed\n    definition: x\n"
    (msg,) = problems_of(write(tmp_path / "cb", bad))
    assert "YAML syntax error" in msg
    assert "codebook.yaml:" in msg
    line = int(msg.split("codebook.yaml:")[1].split(":")[0])
    assert line in (6, 7)


def test_duplicate_id_names_both_places(tmp_path: Path) -> None:
    folder = write(tmp_path / "cb", GOOD)
    write(folder, "codes:\n  - id: group.one\n    name: Again\n    definition: x\n", "more.yaml")
    (msg,) = problems_of(folder)
    assert "duplicate code id 'group.one'" in msg
    assert "more.yaml:2" in msg and "codebook.yaml:9" in msg


def test_unknown_parent_suggests_the_close_id(tmp_path: Path) -> None:
    (msg,) = problems_of(write(tmp_path / "cb", GOOD.replace("parent: group", "parent: grop")))
    assert "unknown parent 'grop'" in msg and "did you mean 'group'" in msg


def test_cycle_is_reported_once(tmp_path: Path) -> None:
    text = HEADER + textwrap.dedent(
        """\
        codes:
          - {id: a, name: A, definition: x, parent: b}
          - {id: b, name: B, definition: x, parent: a}
        """
    )
    (msg,) = problems_of(write(tmp_path / "cb", text))
    assert "parent cycle" in msg and "a -> b -> a" in msg


def test_invalid_token_pattern_names_code_and_line(tmp_path: Path) -> None:
    text = GOOD.replace("{LOWER: task}, {LOWER: force}", "{LOWERR: task}")
    (msg,) = problems_of(write(tmp_path / "cb", text))
    assert "group.two" in msg and "token pattern #1" in msg
    assert "unknown attribute 'LOWERR'; did you mean 'LOWER'?" in msg
    assert "codebook.yaml:21" in msg  # the pattern's own line


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ('"^data(set|base"', "missing ), unterminated subpattern"),
        ('"data["', "unterminated character set"),
    ],
)
def test_a_regex_that_does_not_compile_names_code_line_and_reason(
    tmp_path: Path, expression: str, reason: str
) -> None:
    text = GOOD.replace("{LOWER: task}, {LOWER: force}", f"{{LOWER: {{REGEX: {expression}}}}}")
    (msg,) = problems_of(write(tmp_path / "cb", text))
    assert "group.two" in msg and "token pattern #1, LOWER" in msg and reason in msg
    assert "codebook.yaml:21" in msg and "does not compile" in msg


def test_a_regex_that_compiles_is_no_problem(tmp_path: Path) -> None:
    text = GOOD.replace("{LOWER: task}, {LOWER: force}", '{LOWER: {REGEX: "^data(set|base)$"}}')
    book = load_codebook(write(tmp_path / "cb", text))
    assert book.get("group.two").cues.patterns[0][0]["LOWER"] == {"REGEX": "^data(set|base)$"}


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    msgs = problems_of(
        write(tmp_path / "cb", GOOD.replace("definition: First.", "defintion: First."))
    )
    assert any("unknown key 'defintion'; did you mean 'definition'?" in m for m in msgs)
    assert any("definition is missing" in m for m in msgs)


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    text = HEADER + textwrap.dedent(
        """\
        codes:
          - id: Bad Id
            name: X
          - id: b
            name: ""
            definition: x
            color: red
          - id: c
            name: C
            examples: "one"
        """
    )
    msgs = problems_of(write(tmp_path / "cb", text))
    joined = "\n".join(msgs)
    assert "malformed" in joined
    assert "name is missing or empty" in joined
    assert "color 'red'" in joined
    assert joined.count("definition is missing") == 2  # also for the code with the bad id
    assert len(msgs) == 5


def test_pattern_problems_are_reported_with_structural_ones(tmp_path: Path) -> None:
    text = GOOD.replace("{LOWER: task}, {LOWER: force}", "{LOWERR: task}").replace(
        "parent: group", "parent: nowhere"
    )
    msgs = problems_of(write(tmp_path / "cb", text))
    assert any("unknown parent 'nowhere'" in m for m in msgs)
    assert any("unknown attribute 'LOWERR'" in m for m in msgs)


def test_missing_header(tmp_path: Path) -> None:
    msgs = problems_of(write(tmp_path / "cb", "codes:\n  - {id: a, name: A, definition: x}\n"))
    assert any("no 'codebook:' header" in m for m in msgs)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("name: [", "name: [") + "  - id: x\n   bad: [\n", "YAML syntax error"),
        (lambda t: t + "  - {id: group.one, name: D, definition: x}\n", "duplicate code id"),
        (lambda t: t.replace("parent: group", "parent: nowhere"), "unknown parent"),
        (
            lambda t: t.replace("{LOWER: task}, {LOWER: force}", "{LOWER: {NOT_AN_OP: [1]}}"),
            "token pattern",
        ),
        (lambda t: t.replace("codable: false", "codeable: false"), "unknown key 'codeable'"),
    ],
)
def test_cli_check_rejects_bad_codebook_and_writes_nothing(
    tmp_path: Path, edit, expected: str
) -> None:
    root = tmp_path / "proj"
    write(root / "codebook", edit(GOOD))
    (root / "corpus").mkdir()
    result = CliRunner().invoke(app, ["codebook", "check", "--project", str(root)])
    assert result.exit_code == 1
    assert expected in result.output
    assert sorted(p.name for p in root.iterdir()) == ["codebook", "corpus"]


def test_cli_check_json_and_strict(tmp_path: Path) -> None:
    import json

    root = tmp_path / "proj"
    write(
        root / "codebook",
        GOOD.replace('examples: ["the pilot program grew"]', 'examples: ["nothing here"]'),
    )
    runner = CliRunner()
    result = runner.invoke(app, ["codebook", "check", "--project", str(root), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["valid"] is True and data["ok"] is False
    assert data["examples_found"] == 0 and data["examples_total"] == 1
    strict = runner.invoke(app, ["codebook", "check", "--project", str(root), "--strict"])
    assert strict.exit_code == 1
    assert "missed example" in strict.output


@pytest.mark.parametrize("key", ["lemmas", "phrases", "veto"])
def test_a_cue_list_written_without_brackets_is_refused_with_the_fix(
    tmp_path: Path, key: str
) -> None:
    # the example holds the exact text, so the example test alone would not catch it
    text = GOOD.replace('examples: ["the pilot program grew"]', 'examples: ["provenance, lineage"]')
    text = text.replace("lemmas: [pilot program]", f"{key}: provenance, lineage")
    (msg,) = problems_of(write(tmp_path / "cb", text))
    assert "codebook.yaml:14, code group.one:" in msg  # file, line of the key, code
    assert f"'{key}'" in msg and "write a list: [provenance, lineage]" in msg


def test_a_cue_with_a_comma_inside_a_list_and_a_regex_with_a_comma_still_load(
    tmp_path: Path,
) -> None:
    text = GOOD.replace("lemmas: [pilot program]", 'phrases: ["well, actually", pilot]')
    text = text.replace("{LOWER: task}, {LOWER: force}", '{LOWER: {REGEX: "^a{1,3}$"}}')
    book = load_codebook(write(tmp_path / "cb", text))
    assert book.get("group.one").cues.phrases == ("well, actually", "pilot")
    assert book.get("group.two").cues.patterns[0][0]["LOWER"] == {"REGEX": "^a{1,3}$"}
    one = GOOD.replace("lemmas: [pilot program]", "lemmas: pilot program")  # one cue, no comma
    assert load_codebook(write(tmp_path / "cb2", one)).get("group.one").cues.lemmas == (
        "pilot program",
    )


def test_check_counts_many_codes_without_cues_in_one_line(tmp_path: Path) -> None:
    """180 imported codes without cues made 360 lines that buried the one that mattered."""
    from themegrid.codebook.check import EACH_SHOWN, check_codebook

    def folder(n: int) -> Path:
        out = tmp_path / f"book{n}"
        out.mkdir()
        codes = "".join(f"  - id: c{i}\n    name: Code {i}\n    definition: D.\n" for i in range(n))
        (out / "codebook.yaml").write_text(f"{HEADER}codes:\n{codes}", "utf-8")
        return out

    few = check_codebook(folder(EACH_SHOWN)).warnings
    assert len(few) == 2 * EACH_SHOWN and few[0] == (
        "code c0 has no cues: the machine will never suggest it"
    )
    many = check_codebook(folder(EACH_SHOWN + 3)).warnings
    assert many == (
        f"{EACH_SHOWN + 3} codes have no cues (c0, c1, c2, c3, c4 and 3 more): the machine never"
        " suggests them",
        f"{EACH_SHOWN + 3} codes have no examples (c0, c1, c2, c3, c4 and 3 more): their cues"
        " are untested",
    )
