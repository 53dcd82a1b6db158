"""Inter-coder agreement: figures equal sklearn's kappa and krippendorff's alpha on the same vectors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from coded_collection import view
from factories import add_coding, add_document
from themegrid.aggregate.agreement import UnknownCoder, agreement_frames, compute_agreement
from themegrid.cli import app
from themegrid.errors import ThemegridError
from themegrid.store.connection import Store

# Segment index -> codes applied. Alice and Bob see all 8 segments, Carol the first 6.
ALICE = {0: {"a", "all"}, 1: {"a", "all"}, 2: {"a", "all", "never"}, 3: {"all"},
         4: {"all", "never"}, 5: {"a", "all"}, 6: {"all"}, 7: {"all"}}  # fmt: skip
BOB = {0: {"a", "all"}, 1: {"a", "all"}, 2: {"all"}, 3: {"a", "all"},
       4: {"all"}, 5: {"a", "all"}, 6: {"all"}, 7: {"all"}}  # fmt: skip
CAROL = {
    0: {"a", "all"},
    1: {"all"},
    2: {"a", "all"},
    3: {"a", "all"},
    4: {"all", "never"},
    5: {"all"},
}
CODES = ("a", "all", "never")


def vector(decisions: dict[int, set[str]], code: str, units: range) -> list[int]:
    return [int(code in decisions[i]) for i in units]


@pytest.fixture
def coded(tmp_path: Path) -> tuple[Store, list[str]]:
    store = Store(tmp_path / "themegrid.sqlite")
    ids = add_document(
        store, "interviews/a.txt", [("R", f"Turn number {i} [about things].") for i in range(8)]
    )
    for name, decisions in (("alice", ALICE), ("bob", BOB), ("carol", CAROL)):
        for i, codes in decisions.items():
            view(store, ids[i], name)
            for code in codes:
                add_coding(store, ids[i], code, source="human", coder=name, status="accepted")
    # A rejected row is a "no": Bob considered and rejected 'never' on segment 4.
    add_coding(store, ids[4], "never", source="human", coder="bob", status="rejected")
    return store, ids


def test_two_coders_match_sklearn_and_krippendorff(coded: tuple[Store, list[str]]) -> None:
    store, _ = coded
    report = compute_agreement(store, ["alice", "bob"])
    units = range(8)
    assert report.n_segments == 8
    by_code = {c.code_id: c for c in report.per_code}
    assert set(by_code) == set(CODES)
    for code in ("a", "never"):
        va, vb = vector(ALICE, code, units), vector(BOB, code, units)
        f = by_code[code].figures
        assert f.kappa == pytest.approx(cohen_kappa_score(va, vb))
        assert f.alpha == pytest.approx(
            krippendorff.alpha(reliability_data=[va, vb], level_of_measurement="nominal")
        )
        assert f.percent == pytest.approx(100 * np.mean(np.array(va) == np.array(vb)))
    # 'never' is a code Bob never used.
    assert by_code["never"].applied == {"alice": 2, "bob": 0}
    # 'all' is applied everywhere by both: kappa and alpha undefined, not a crash.
    everywhere = by_code["all"].figures
    assert everywhere.kappa is None and everywhere.alpha is None
    assert everywhere.percent == 100.0
    assert "undefined" in everywhere.note
    # Pooled: all decisions at once.
    pa = [v for c in CODES for v in vector(ALICE, c, units)]
    pb = [v for c in CODES for v in vector(BOB, c, units)]
    assert report.pooled.kappa == pytest.approx(cohen_kappa_score(pa, pb))
    assert report.pooled.alpha == pytest.approx(
        krippendorff.alpha(reliability_data=[pa, pb], level_of_measurement="nominal")
    )
    # Mean over codes ignores the undefined ones.
    assert report.mean.kappa == pytest.approx(
        np.mean([by_code["a"].figures.kappa, by_code["never"].figures.kappa])
    )
    assert report.mean.percent == pytest.approx(
        np.mean([by_code[c].figures.percent for c in CODES])
    )


def test_three_coders_alpha_on_shared_segments(coded: tuple[Store, list[str]]) -> None:
    store, _ = coded
    report = compute_agreement(store, ["alice", "bob", "carol"])
    units = range(6)  # Carol saw only the first six
    assert report.n_segments == 6
    for c in report.per_code:
        data = [vector(d, c.code_id, units) for d in (ALICE, BOB, CAROL)]
        assert c.figures.kappa is None  # Cohen's kappa is for two coders
        if len({v for row in data for v in row}) > 1:
            expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
            assert c.figures.alpha == pytest.approx(expected)
    assert any("two coders" in n for n in report.notes)


def test_disagreements_list_who_applied_what(coded: tuple[Store, list[str]]) -> None:
    store, ids = coded
    report = compute_agreement(store, ["alice", "bob"])
    expected = set()
    for i in range(8):
        for code in CODES:
            yes = tuple(n for n, d in (("alice", ALICE), ("bob", BOB)) if code in d[i])
            if len(yes) == 1:
                expected.add((ids[i], code, yes))
    got = {(d.segment_id, d.code_id, d.applied_by) for d in report.disagreements}
    assert got == expected
    assert all(
        d.document == "interviews/a.txt" and d.excerpt.startswith("Turn number")
        for d in report.disagreements
    )


def test_fewer_than_two_shared_segments_is_a_note(coded: tuple[Store, list[str]]) -> None:
    store, ids = coded
    view(store, ids[0], "dave")
    report = compute_agreement(store, ["alice", "dave"])
    assert report.n_segments == 1
    assert report.pooled.kappa is None and report.per_code == ()
    assert "1 segment(s)" in report.notes[0]


def test_unknown_coder_lists_known_coders(coded: tuple[Store, list[str]]) -> None:
    store, _ = coded
    with pytest.raises(UnknownCoder, match=r"unknown coder 'zed'; known coders: alice, bob, carol"):
        compute_agreement(store, ["alice", "zed"])
    with pytest.raises(ThemegridError, match="at least two different coders"):
        compute_agreement(store, ["alice", "alice"])


def test_frames_for_the_workbook(coded: tuple[Store, list[str]]) -> None:
    store, _ = coded
    frames = agreement_frames(compute_agreement(store, ["alice", "bob"]))
    assert list(frames["per_code"]["code"]) == list(CODES)
    assert {"applied by alice", "applied by bob", "kappa", "alpha", "percent"} <= set(
        frames["per_code"].columns
    )
    assert list(frames["overall"]["figure"]) == ["mean over codes", "pooled"]
    assert len(frames["disagreements"]) == 4
    assert math.isnan(frames["per_code"].set_index("code").loc["all", "kappa"])


def test_cli_json_and_table(coded: tuple[Store, list[str]], tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["agreement", "--coders", "alice", "bob", "--json", "--project", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {
        "coders",
        "n_segments",
        "codes_unused",
        "notes",
        "per_code",
        "overall",
        "disagreements",
    }
    assert set(data["overall"]) == {"mean_over_codes", "pooled"}
    assert {"code", "applied", "n_units", "percent", "kappa", "alpha", "note"} == set(
        data["per_code"][0]
    )
    assert next(c for c in data["per_code"] if c["code"] == "all")["kappa"] is None
    args = ["agreement", "--coders", "alice", "--coders", "bob", "--project", str(tmp_path)]
    table = runner.invoke(app, args, env={"COLUMNS": "250"})
    assert table.exit_code == 0, table.output
    assert "disagreement(s) to reconcile" in table.output and "[about things]" in table.output


def test_cli_unknown_coder_is_one_line(coded: tuple[Store, list[str]], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["agreement", "--coders", "alice", "zed", "--project", str(tmp_path)]
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "themegrid.sqlite: unknown coder 'zed'; known coders: alice, bob, carol" in lines[0]


def test_cli_without_a_store_says_where(tmp_path: Path) -> None:
    (tmp_path / "codebook").mkdir()  # a project, but nothing coded yet
    result = CliRunner().invoke(
        app, ["agreement", "--coders", "a", "b", "--project", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert f"{tmp_path / 'themegrid.sqlite'}: no project store here" in result.output
    assert not (tmp_path / "themegrid.sqlite").exists()


def test_cli_coders_with_no_shared_segment_is_an_error_that_says_how_to_double_code(
    tmp_path,
) -> None:
    from typer.testing import CliRunner

    from factories import add_coding, add_document
    from themegrid.cli import app
    from themegrid.project import init_project
    from themegrid.store.connection import Store

    project, _ = init_project(tmp_path / "p")
    store = Store(project.store_path)
    a = add_document(store, "a.txt", [("Respondent", "one")])
    b = add_document(store, "b.txt", [("Respondent", "two")])
    add_coding(store, a[0], "barriers.funding", source="human", coder="ana", status="accepted")
    add_coding(store, b[0], "barriers.funding", source="human", coder="ben", status="accepted")
    store.close()
    result = CliRunner().invoke(
        app, ["agreement", "--coders", "ana", "ben", "--project", str(project.root)]
    )
    assert result.exit_code == 1
    assert "have no segment in common" in result.stderr and "review export" in result.stderr


def test_a_code_applied_a_handful_of_times_says_its_figures_are_fragile() -> None:
    """Trial 4: per-code kappa of 1.00 or 0.00 resting on one or two segments, with no word
    of warning; fewer than five applications in all now carry a note."""
    from themegrid.aggregate.agreement import figures

    few = figures(np.array([[1, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0]]))
    assert "applied 3 time(s) in all" in few.note
    many = figures(np.array([[1, 1, 1, 0, 1, 0], [1, 1, 0, 0, 1, 1]]))
    assert "applied" not in many.note
