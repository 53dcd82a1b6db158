"""codebook merge: codings of several codes become one code's, per coder, in one undoable run."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from themegrid.cli import app
from themegrid.codebook import load_codebook
from themegrid.errors import MergeError
from themegrid.exchange.coded import import_coded
from themegrid.exchange.labels import known_codes
from themegrid.pipeline.merge import merge_codes, unmerge
from themegrid.store import codings as store_codings
from themegrid.store.connection import Store

CODEBOOK = """\
codebook: {name: talk moves, version: "1"}
codes:
  - {id: press, name: 8 - Press for Accuracy, definition: Asks for precision.}
  - {id: press_typo, name: 8 - Prestudents for Accuracy, definition: The same move mistyped.}
  - {id: revoice, name: Revoicing, definition: Repeats a student.}
"""


def state(store: Store) -> set[tuple[str, str, str, str, str]]:
    rows = store.query(
        "SELECT s.row_id, c.code_id, c.source, c.coder, c.status FROM codings c"
        " JOIN segments s ON s.id = c.segment_id"
    )
    return {tuple(r) for r in rows}


@pytest.fixture
def setup(tmp_path: Path):
    (tmp_path / "cb").mkdir()
    (tmp_path / "cb" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    book = load_codebook(tmp_path / "cb")
    path = tmp_path / "t.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(
            [["id", "text", "code"], ["R1", "Say it exactly.", ""], ["R2", "Which one?", ""]]
        )
    store = Store(tmp_path / "s.sqlite")
    import_coded(store, [path], coder="Ana", codebook=book)
    import_coded(store, [path], coder="Ben", codebook=book)
    seg = {r[0]: r[1] for r in store.query("SELECT row_id, id FROM segments")}
    d = store_codings.HumanDecision
    with store.transaction():
        # Ana on R1: the typo code accepted first, then the target rejected later: rejected wins.
        store_codings.record_human_codings(
            store,
            "Ana",
            [d(seg["R1"], "press_typo", "accepted", "first")],
            run_id=None,
            at="2024-01-01",
        )
        store_codings.record_human_codings(
            store, "Ana", [d(seg["R1"], "press", "rejected", "later")], run_id=None, at="2024-02-01"
        )
        # Ben on R1: target accepted first, the typo code rejected later: Ben's own latest wins.
        store_codings.record_human_codings(
            store, "Ben", [d(seg["R1"], "press", "accepted", "first")], run_id=None, at="2024-01-01"
        )
        store_codings.record_human_codings(
            store,
            "Ben",
            [d(seg["R1"], "press_typo", "rejected", "later")],
            run_id=None,
            at="2024-03-01",
        )
        # Ben on R2: only the typo code: it moves.
        store_codings.record_human_codings(
            store,
            "Ben",
            [d(seg["R2"], "press_typo", "accepted", "x")],
            run_id=None,
            at="2024-01-01",
        )
        store_codings.record_suggestions(
            store,
            "rule",
            "themegrid:rules",
            [store_codings.Suggestion(seg["R2"], "press_typo", 0.9, "cue")],
            run_id=None,
            at="2024-01-01",
        )
    return store, book


def test_merge_two_coders_latest_wins_per_coder_and_undo(setup) -> None:
    store, book = setup
    before = state(store)
    times = "SELECT id, updated_at FROM codings WHERE source = 'human' ORDER BY id"
    decided_at = [tuple(r) for r in store.query(times)]
    history_before = store.scalar("SELECT COUNT(*) FROM coding_history")
    folder = Path(book.get("press").file).parent
    before_text = (folder / "codebook.yaml").read_bytes()
    summary = merge_codes(store, book, ["8 - Prestudents for Accuracy"], "press", folder)
    assert summary.sources == ("press_typo",) and summary.target == "press"
    edited = load_codebook(folder)  # the codebook files now say what the store says
    assert "press_typo" not in edited
    assert edited.get("press").aliases == ("press_typo", "8 - Prestudents for Accuracy")
    assert store.scalar("SELECT active FROM codes WHERE id = 'press_typo'") == 0
    # a later import's label for the merged code finds the target
    assert known_codes(store, edited).resolve("8 - Prestudents for Accuracy").code_id == "press"
    effective = {
        (r[0], r[1], r[2]): r[3]
        for r in store.query(
            "SELECT s.row_id, c.coder, c.code_id, c.status FROM codings c JOIN segments s"
            " ON s.id = c.segment_id WHERE c.source = 'human' AND c.status = 'accepted'"
        )
    }
    assert ("R1", "Ana", "press") not in effective  # Ana's later rejection won
    assert ("R1", "Ben", "press") not in effective  # Ben's later rejection (of the typo) won
    assert effective[("R2", "Ben", "press")] == "accepted"
    assert not any(code == "press_typo" for (_, _, code) in effective)
    machine = store.query("SELECT code_id, status FROM codings WHERE source = 'rule'")
    assert [tuple(r) for r in machine] == [("press", "suggested")]
    assert store.scalar("SELECT COUNT(*) FROM coding_history") > history_before  # history kept
    moved = store.scalar(
        "SELECT c.id FROM codings c JOIN segments s ON s.id = c.segment_id"
        " WHERE s.row_id = 'R2' AND c.coder = 'Ben' AND c.source = 'human'"
    )
    trail = store.query(
        "SELECT code_id, run_id FROM coding_history WHERE coding_id = ? ORDER BY id", (moved,)
    )
    assert [tuple(r) for r in trail][-2:] == [("press_typo", None), ("press", summary.run_id)]
    assert store.scalar("SELECT COUNT(*) FROM codings WHERE source = 'human'") == 5  # none deleted
    # a decision keeps the time its coder made it ("the latest counts" across coders)
    assert {t for _, t in store.query(times)} <= {t for _, t in decided_at}
    undone = unmerge(store, summary.run_id, folder)
    assert undone.restored > 0 and not undone.left
    assert state(store) == before
    assert [tuple(r) for r in store.query(times)] == decided_at  # the times too
    assert (folder / "codebook.yaml").read_bytes() == before_text  # the files too
    assert undone.files_restored and not undone.files_left
    assert store.scalar("SELECT active FROM codes WHERE id = 'press_typo'") == 1
    with pytest.raises(MergeError, match="already undone"):
        unmerge(store, summary.run_id, folder)


def test_merge_refuses_unknown_codes_and_non_merge_runs(setup) -> None:
    store, book = setup
    with pytest.raises(MergeError, match="'pres_for_acuracy'"):
        merge_codes(store, book, ["pres_for_acuracy"], "press")
    with pytest.raises(MergeError, match="not a 'codebook merge' run"):
        unmerge(store, 1)


BLOCK = """\
codebook: {name: block, version: "1"}
# Talk moves, one per block.
codes:
  - id: moves
    name: Talk moves
    codable: false
    children:
      # pressing
      - id: moves.press
        name: Press for accuracy
        definition: >
          Asks for precision.
      - id: moves.press_typo
        name: Prestudents for accuracy
        definition: >
          Mistyped.
        examples:
          - "Say it exactly."
      # revoicing
      - id: moves.revoice
        name: Revoicing
        definition: Repeats a student.
"""
OTHER = """\
codes:
  - id: stray
    name: Stray
    definition: Only code of its file.
"""


def test_merge_edits_only_the_merged_blocks_and_undo_restores_bytes(tmp_path: Path) -> None:
    folder = tmp_path / "codebook"
    folder.mkdir()
    (folder / "00.yaml").write_text(BLOCK, encoding="utf-8")
    (folder / "10.yaml").write_text(OTHER, encoding="utf-8")
    book = load_codebook(folder)
    store = Store(tmp_path / "s.sqlite")
    summary = merge_codes(store, book, ["moves.press_typo", "stray"], "moves.revoice", folder)
    assert sorted(summary.files_edited) == ["00.yaml", "10.yaml"]
    after = (folder / "00.yaml").read_text(encoding="utf-8").splitlines()
    lines = BLOCK.splitlines()
    first = lines.index("      - id: moves.press_typo")
    last = lines.index('          - "Say it exactly."')
    expected = lines[:first] + lines[last + 1 :]
    at = expected.index("      - id: moves.revoice") + 1
    alias = '        aliases: ["moves.press_typo", "Prestudents for accuracy", "stray", "Stray"]'
    assert after == [*expected[:at], alias, *expected[at:]]  # comments and all else kept
    assert "codes:" not in (folder / "10.yaml").read_text(encoding="utf-8")
    edited = load_codebook(folder)
    assert edited.get("moves.revoice").aliases == (
        "moves.press_typo",
        "Prestudents for accuracy",
        "stray",
        "Stray",
    )
    assert {c.id for c in edited.codes} == {"moves", "moves.press", "moves.revoice"}
    assert edited.get("moves.press").definition == "Asks for precision."
    unmerge(store, summary.run_id, folder)
    assert (folder / "00.yaml").read_text(encoding="utf-8") == BLOCK
    assert (folder / "10.yaml").read_text(encoding="utf-8") == OTHER


def test_undo_leaves_a_file_edited_since_the_merge(tmp_path: Path) -> None:
    folder = tmp_path / "codebook"
    folder.mkdir()
    (folder / "00.yaml").write_text(BLOCK, encoding="utf-8")
    store = Store(tmp_path / "s.sqlite")
    run = merge_codes(
        store, load_codebook(folder), ["moves.press_typo"], "moves.press", folder
    ).run_id
    edited = (folder / "00.yaml").read_text(encoding="utf-8") + "# my note\n"
    (folder / "00.yaml").write_text(edited, encoding="utf-8")
    undone = unmerge(store, run, folder)
    assert (folder / "00.yaml").read_text(encoding="utf-8") == edited  # the researcher's edit
    side = folder / f"_before_merge_{run}_00.yaml"
    assert undone.files_left == (str(side),) and side.read_text(encoding="utf-8") == BLOCK
    assert "moves.press_typo" not in load_codebook(folder)  # side file is not read


def test_merge_refuses_what_the_files_cannot_say(tmp_path: Path) -> None:
    folder = tmp_path / "codebook"
    folder.mkdir()
    (folder / "00.yaml").write_text(BLOCK, encoding="utf-8")
    (folder / "10.yaml").write_text(OTHER, encoding="utf-8")
    store = Store(tmp_path / "s.sqlite")
    book = load_codebook(folder)
    with pytest.raises(MergeError, match=r"--into moves\.press is inside moves"):
        merge_codes(store, book, ["moves"], "moves.press", folder)
    with pytest.raises(MergeError, match="child codes") as caught:
        merge_codes(store, book, ["moves", "moves.press"], "stray", folder)
    # the message gives the command that merges the whole branch
    assert (
        "themegrid codebook merge moves moves.press moves.press_typo moves.revoice --into stray"
        in str(caught.value)
    )
    assert (folder / "00.yaml").read_text(encoding="utf-8") == BLOCK
    assert store.scalar("SELECT COUNT(*) FROM runs") == 0


def test_a_whole_branch_merges_with_two_coders_decisions_and_undoes(tmp_path: Path) -> None:
    folder = tmp_path / "codebook"
    folder.mkdir()
    (folder / "00.yaml").write_text(BLOCK, encoding="utf-8")
    (folder / "10.yaml").write_text(OTHER, encoding="utf-8")
    book = load_codebook(folder)
    path = tmp_path / "t.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "text", "code"], ["R1", "Say it exactly.", ""]])
    store = Store(tmp_path / "s.sqlite")
    import_coded(store, [path], coder="Ana", codebook=book)
    import_coded(store, [path], coder="Ben", codebook=book)
    seg = store.scalar("SELECT id FROM segments")
    d = store_codings.HumanDecision
    with store.transaction():
        store_codings.record_human_codings(
            store, "Ana", [d(seg, "moves.press", "accepted", "a")], run_id=None, at="2024-01-01"
        )
        store_codings.record_human_codings(
            store, "Ben", [d(seg, "moves.revoice", "accepted", "b")], run_id=None, at="2024-01-02"
        )
    before = state(store)
    branch = ["moves", "moves.press", "moves.press_typo", "moves.revoice"]
    summary = merge_codes(store, book, branch, "stray", folder)
    assert {c.id for c in load_codebook(folder).codes} == {"stray"}
    assert "codes:" not in (folder / "00.yaml").read_text(encoding="utf-8")
    assert {(r[1], r[3], r[4]) for r in state(store) if r[2] == "human"} == {
        ("stray", "Ana", "accepted"),
        ("stray", "Ben", "accepted"),
    }
    unmerge(store, summary.run_id, folder)
    assert state(store) == before
    assert (folder / "00.yaml").read_text(encoding="utf-8") == BLOCK
    assert (folder / "10.yaml").read_text(encoding="utf-8") == OTHER


def test_cli_merge_and_unmerge(setup, tmp_path: Path) -> None:
    store, _ = setup
    store.close()
    root = tmp_path / "proj"
    root.mkdir()
    (tmp_path / "cb").rename(root / "codebook")
    (tmp_path / "s.sqlite").rename(root / "themegrid.sqlite")
    result = CliRunner().invoke(
        app, ["codebook", "merge", "press_typo", "--into", "press", "-p", str(root)]
    )
    assert result.exit_code == 0, result.output
    run = int(result.output.split("themegrid codebook unmerge ")[1].split()[0])
    assert "Codebook files edited: codebook.yaml (press_typo removed" in result.output
    assert "press_typo" not in load_codebook(root / "codebook")
    result = CliRunner().invoke(app, ["codebook", "unmerge", str(run), "-p", str(root)])
    assert result.exit_code == 0 and f"Undid merge run {run}" in result.output
    assert (root / "codebook" / "codebook.yaml").read_text(encoding="utf-8") == CODEBOOK
