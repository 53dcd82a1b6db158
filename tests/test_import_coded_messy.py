"""import-coded on messy real-world files: bad rows skipped on request, repeated ids,
long format, "no code" markers, codes written to the codebook, evaluate afterwards."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from themegrid.aggregate.evaluate import evaluate
from themegrid.cli import app
from themegrid.codebook import Codebook, load_codebook
from themegrid.codebook.load import ID_RE
from themegrid.errors import CodesNotInCodebook, ValidationError
from themegrid.exchange.coded import Layout, import_coded
from themegrid.store.connection import Store

CODEBOOK = """\
codebook:
  name: Messy
  version: "1"
codes:
  - id: funding
    name: Funding
    definition: Money.
  - id: staffing
    name: Staffing
    definition: People.
"""


@pytest.fixture
def codebook(tmp_path: Path):
    folder = tmp_path / "cb"
    folder.mkdir()
    (folder / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    return load_codebook(folder)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def codings(store: Store, coder: str) -> set[tuple[str, str]]:
    rows = store.query(
        "SELECT s.row_id, c.code_id FROM codings c JOIN segments s ON s.id = c.segment_id "
        "WHERE c.source = 'human' AND c.coder = ? AND c.status = 'accepted'",
        (coder,),
    )
    return {(r[0], r[1]) for r in rows}


def test_bad_rows_refuse_naming_the_option_then_skip_into_a_report(
    codebook, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "mixed.csv",
        ["ResponseId", "Text", "Code"],
        [
            ["R1", "We lack money.", "Funding"],
            ["R2", "", "Funding"],  # codes but no text
            ["R3", "Too few teachers.", "Staffing"],
            ["R4", "Buses are late.", "=Transport"],  # unknown code, looks like a formula
            ["R5", "Money and people.", "Funding;Staffing"],
        ],
    )
    store = Store(":memory:")
    with pytest.raises(ValidationError) as err:
        import_coded(store, [path], coder="Ana", codebook=codebook)
    assert "--skip-bad-rows" in str(err.value)
    assert store.scalar("SELECT COUNT(*) FROM codings") == 0
    reports = tmp_path / "reports"
    summary = import_coded(
        store, [path], coder="Ana", codebook=codebook, skip_bad_rows=True, report_dir=reports
    )
    assert codings(store, "Ana") == {
        ("R1", "funding"),
        ("R3", "staffing"),
        ("R5", "funding"),
        ("R5", "staffing"),
    }
    assert {(s.file, s.row) for s in summary.skipped} == {("mixed.csv", 3), ("mixed.csv", 5)}
    assert summary.skipped_report is not None
    with open(summary.skipped_report, newline="", encoding="utf-8") as fh:
        listed = list(csv.DictReader(fh))
    assert [(r["file"], r["row"]) for r in listed] == [("mixed.csv", "3"), ("mixed.csv", "5")]
    assert "codes but no text" in listed[0]["reason"]
    assert listed[1]["reason"].startswith("unknown code '")  # no live formula
    assert all(not r["reason"].startswith("=") for r in listed)


def test_skipped_rows_csv_never_holds_a_live_formula(codebook, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "=HYPERLINK.csv", ["ResponseId", "Text", "Code"], [["R1", "", "x"]])
    summary = import_coded(
        Store(":memory:"),
        [path],
        coder="Ana",
        codebook=codebook,
        skip_bad_rows=True,
        report_dir=tmp_path / "reports",
    )
    assert summary.skipped_report is not None
    with open(summary.skipped_report, newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["file"] == "'=HYPERLINK.csv"


def test_repeated_ids_merge_same_text_and_split_different_text(codebook, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "long.csv",
        ["lfdn", "answer", "tag"],
        [
            ["7", "No budget and no staff.", "Funding"],
            ["7", "No budget and no staff.", "Staffing"],  # long format: same id, same text
            ["8", "First answer.", "Funding"],
            ["8", "A second, different answer.", "Staffing"],  # survey-tool quirk
            ["9", "Nothing to add.", "NotCodable"],
            ["10", "-", "notAnswered"],
        ],
    )
    store = Store(":memory:")
    summary = import_coded(
        store, [path], coder="Ana", codebook=codebook, layout=Layout(code_columns=("tag",))
    )
    assert summary.rows_merged == 1
    assert summary.no_code_cells == 2
    assert len(summary.warnings) == 1 and "row 5" in summary.warnings[0]
    assert "'8'" in summary.warnings[0] and "row 4" in summary.warnings[0]
    assert codings(store, "Ana") == {
        ("7", "funding"),
        ("7", "staffing"),
        ("8", "funding"),
        ("8~2", "staffing"),
    }
    assert store.scalar("SELECT COUNT(*) FROM segments") == 5
    assert store.scalar("SELECT COUNT(*) FROM codes WHERE lower(id) LIKE '%cod%'") == 0


def test_no_code_markers_are_configurable(codebook, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        ["ResponseId", "Text", "Code"],
        [["R1", "Money.", "Funding"], ["R2", "Hmm.", "keine Angabe"]],
    )
    store = Store(":memory:")
    with pytest.raises(ValidationError, match="keine Angabe"):
        import_coded(store, [path], coder="Ana", codebook=codebook)
    layout = Layout(no_code_markers=("keine Angabe",))
    summary = import_coded(store, [path], coder="Ana", codebook=codebook, layout=layout)
    assert summary.no_code_cells == 1 and codings(store, "Ana") == {("R1", "funding")}


def test_long_flag_merges_repeated_text_without_an_id(codebook, tmp_path: Path) -> None:
    rows = [["Money and staff.", "Funding"], ["Money and staff.", "Staffing"]]
    path = write_csv(tmp_path / "noid.csv", ["Text", "Code"], rows)
    store = Store(":memory:")
    wide = import_coded(store, [path], coder="Ana", codebook=codebook)
    assert wide.segments_created == 2
    store = Store(":memory:")
    merged = import_coded(store, [path], coder="Ana", codebook=codebook, layout=Layout(long=True))
    assert merged.segments_created == 1 and merged.codings_added == 2


def run(args: list[str]) -> Result:
    return CliRunner().invoke(app, args)


def test_numeric_and_foreign_labels_reach_the_codebook_and_evaluate(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    assert run(["init", str(root)]).exit_code == 0
    # "Funding constraints" is also the name of a template code: it must become a new code.
    labels = ["1", "2", "8 - Press for Accuracy", "Évaluation", "教育", "Funding constraints"]
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
    rows = [
        [f"R{i}", f"{words[i % 6]} answer number {i} about {words[i % 6]}", labels[i % 6]]
        for i in range(24)
    ]
    path = write_csv(tmp_path / "talk.csv", ["ResponseId", "Text", "Code"], rows)
    result = run(["import-coded", str(path), "--coder", "Ana", "--add-codes", "-p", str(root)])
    assert result.exit_code == 0, result.output + str(result.exception)
    assert "untouched template" in result.output
    book = load_codebook(root / "codebook")
    ids = {c.id for c in book.codes}
    assert len(ids) == 6 and all(ID_RE.match(i) for i in ids)
    assert {"1", "2", "8_press_for_accuracy", "evaluation", "funding_constraints"} <= ids
    assert not any(i.startswith("barriers") for i in ids)  # the template's codes are gone
    result = run(
        ["evaluate", "--against", "Ana", "--folds", "2", "--no-baseline", "--json", "-p", str(root)]
    )
    assert result.exit_code == 0, result.output + str(result.exception)
    per_code = json.loads(result.output)["methods"]["model"]["per_code"]
    assert {c["code"]: c["support"] for c in per_code} == dict.fromkeys(ids, 4)


def test_evaluate_refuses_when_the_coders_codes_are_not_in_the_codebook(
    codebook, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "new.csv",
        ["ResponseId", "Text", "Code"],
        [[f"R{i}", f"text {i}", "Transport"] for i in range(6)],
    )
    store = Store(":memory:")
    import_coded(store, [path], coder="Ana", codebook=codebook, add_codes=True)  # store only
    with pytest.raises(CodesNotInCodebook) as err:
        evaluate(store, codebook, "Ana", folds=2, baseline=False)
    assert "transport" in str(err.value) and "--add-codes" in str(err.value)


def test_init_empty_codebook(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    assert run(["init", str(root), "--empty-codebook"]).exit_code == 0
    text = (root / "codebook" / "codebook.yaml").read_text(encoding="utf-8")
    assert re.search(r"^codes:", text, re.M) is None
    assert load_codebook(root / "codebook").codes == ()


def test_a_respondent_id_in_two_question_files_is_two_responses(codebook, tmp_path: Path) -> None:
    q1 = write_csv(tmp_path / "q1.csv", ["lfdn", "Text", "tag"], [["58", "No money.", "Funding"]])
    q2 = write_csv(tmp_path / "q2.csv", ["lfdn", "Text", "tag"], [["58", "No people.", "Staffing"]])
    store = Store(":memory:")
    import_coded(store, [q1], coder="Ana", codebook=codebook)
    second = import_coded(store, [q2], coder="Ana", codebook=codebook)
    assert second.documents_created == 1 and second.codings_withdrawn == 0
    assert codings(store, "Ana") == {("58", "funding"), ("58", "staffing")}


def test_near_duplicate_labels_are_listed_with_the_merge_command(codebook, tmp_path: Path) -> None:
    labels = ["8 - Press for Accuracy"] * 3 + [
        "8 - Prestudents for Accuracy",
        "8 - PreS for Accuracy",
    ]
    rows = [[f"R{i}", f"turn {i}", label] for i, label in enumerate(labels)]
    rows.append(["R9", "turn 9", "Revoicing"])
    path = write_csv(tmp_path / "moves.csv", ["ResponseId", "Text", "Code"], rows)
    store = Store(":memory:")
    summary = import_coded(store, [path], coder="Ana", codebook=codebook, add_codes=True)
    assert summary.merge_candidates == (
        "themegrid codebook merge 8_pres_for_accuracy 8_prestudents_for_accuracy "
        "--into 8_press_for_accuracy   # 8_press_for_accuracy: 3 row(s), "
        "8_pres_for_accuracy: 1 row(s), 8_prestudents_for_accuracy: 1 row(s)",
    )


def test_map_file_sends_labels_to_codes(codebook, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        ["ResponseId", "Text", "Code"],
        [["R1", "Money.", "Geld"], ["R2", "People.", "Personal"]],
    )
    good = write_csv(
        tmp_path / "map.csv", ["label", "code"], [["Geld", "funding"], ["personal", "staffing"]]
    )
    store = Store(":memory:")
    import_coded(store, [path], coder="Ana", codebook=codebook, code_map=good)
    assert codings(store, "Ana") == {("R1", "funding"), ("R2", "staffing")}
    bad = write_csv(tmp_path / "bad.csv", ["label", "code"], [["Geld", "fundng"]])
    with pytest.raises(ValidationError, match="--map sends 'Geld' to 'fundng'"):
        import_coded(Store(":memory:"), [path], coder="Ana", codebook=codebook, code_map=bad)


def test_the_summary_counts_the_files_rows_before_merging_them(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    assert run(["init", str(root), "--empty-codebook"]).exit_code == 0
    rows = [["7", "No budget.", "funding"], ["7", "No budget.", "staffing"], ["8", "Fine.", "x"]]
    path = write_csv(tmp_path / "long.csv", ["id", "text", "code"], rows)
    result = run(["import-coded", str(path), "--coder", "Ana", "--add-codes", "-p", str(root)])
    assert result.exit_code == 0, result.output + str(result.exception)
    assert "Ana: 3 row(s) from 1 file(s) (2 after merging);" in result.output


def test_mojibake_in_cells_is_repaired_and_said(tmp_path: Path) -> None:
    """NaPiRE's v_20: 'Dataf\u221a\u00b6reningen' (UTF-8 once read as Mac Roman) in a text and a
    code label: both are read as 'Dataföreningen', and the summary names the row."""
    bad = "Dataföreningen".encode().decode("mac_roman")
    path = write_csv(
        tmp_path / "certs.csv",
        ["lfdn", "v_20", "tag"],
        [
            ["1", f"Certified architect from {bad} in Sweden", f"{bad} certified architect"],
            ["2", "PMP", "PMP"],
        ],
    )
    store = Store(":memory:")
    empty = Codebook(name="empty", version="1", description="", codes=())
    summary = import_coded(store, [path], coder="Ana", codebook=empty, add_codes=True)
    assert {c.name for c in summary.codes_created} == {"Dataföreningen certified architect", "PMP"}
    texts = {r[0] for r in store.query("SELECT text FROM segments")}
    assert "Certified architect from Dataföreningen in Sweden" in texts
    assert any(
        w.startswith("certs.csv: repaired mojibake in 2 cell(s) (rows 2;") for w in summary.warnings
    ), summary.warnings


def test_a_label_matched_only_without_its_punctuation_is_named(tmp_path: Path) -> None:
    """qabstracts coder B wrote 'gap[' once: it counts as 'gap' (the coder meant it), and
    the summary says so with its row, as for 'Non functional' beside 'Non-functional'."""
    path = write_csv(
        tmp_path / "b.csv",
        ["id", "text", "code"],
        [
            ["1", "a", "gap"],
            ["2", "b", "gap["],
            ["3", "c", "Non-functional req"],
            ["4", "d", "Non functional req"],
            ["5", "e", "GAP"],
        ],
    )
    store = Store(":memory:")
    empty = Codebook(name="empty", version="1", description="", codes=())
    summary = import_coded(store, [path], coder="Ana", codebook=empty, add_codes=True)
    assert {c.name for c in summary.codes_created} == {"gap", "Non-functional req"}
    assert summary.codings_added == 5
    warning = next(w for w in summary.warnings if "once punctuation is ignored" in w)
    assert warning.startswith("2 label(s) named a code only once punctuation is ignored")
    assert "'gap[' (b.csv row 3) as 'gap'" in warning
    assert "'Non functional req' (b.csv row 5) as 'Non-functional req'" in warning
    assert "GAP" not in warning  # case alone is no slip worth a line
