"""import-coded reports all of a file's problems in one run, each named for what it is.

It used to stop at the rows' problems (a row with codes but no text), and only on
the next run name the unknown codes: a researcher fixed a file in rounds. A
spreadsheet error value in a code cell was "unknown code '#VALUE!'" (or, for
``#N/A``, silently no code), and two known codes joined by ',' were an unknown code
(or, with --add-codes, a new one).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from factories import TWO_BARRIERS_CODEBOOK
from themegrid.codebook import load_codebook
from themegrid.codebook.model import Codebook
from themegrid.errors import ValidationError
from themegrid.exchange.coded import Layout, import_coded
from themegrid.exchange.coded.importer import MAX_SHOWN
from themegrid.store.backup import backup_before
from themegrid.store.connection import Store, list_backups


@pytest.fixture
def codebook(tmp_path: Path) -> Codebook:
    folder = tmp_path / "cb"
    folder.mkdir()
    (folder / "codebook.yaml").write_text(TWO_BARRIERS_CODEBOOK, encoding="utf-8")
    return load_codebook(folder)


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=";").writerows([["id", "text", "codes"], *rows])
    return path


MESSY = [
    ["R1", "We lacked the budget.", "barriers.funding"],
    ["R2", "", "barriers.staffing"],  # codes but no text
    ["R3", "The lookup failed.", "#VALUE!"],  # a failed formula
    ["R4", "Both at once.", "barriers.funding, barriers.staffing"],  # ',' not ';'
    ["R5", "Rain.", "barriers.weather"],  # unknown
]


def refused(store: Store, path: Path, codebook: Codebook, **options: object) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        import_coded(store, [path], coder="Ana", codebook=codebook, **options)  # type: ignore[arg-type]
    assert store.scalar("SELECT COUNT(*) FROM codings") == 0
    return err.value


def test_rows_and_codes_are_reported_together_in_row_order(codebook, tmp_path: Path) -> None:
    path = write(tmp_path / "survey.csv", MESSY)
    error = refused(Store(":memory:"), path, codebook)
    lines = [str(p) for p in error.problems]
    assert len(lines) == 4
    assert lines[0].startswith("survey.csv, row 3: codes but no text")
    assert lines[1].startswith(
        "survey.csv, row 4: column 'codes' holds #VALUE!, a spreadsheet error"
    )
    assert "not a code" in lines[1] and "unknown code" not in lines[1]
    assert lines[2].startswith(
        "unknown code 'barriers.funding, barriers.staffing': it is the codes"
    )
    assert "joined by ','" in lines[2] and "--delimiter ','" in lines[2]
    assert "write ';' between them" in lines[2]
    assert lines[3].startswith("unknown code 'barriers.weather'")
    head = str(error).splitlines()[0]
    assert head.startswith("2 problem(s) and 2 code(s) not in the codebook; nothing was imported")
    assert "--add-codes" in head and "--skip-bad-rows" in head


def test_skip_bad_rows_lists_every_bad_row_in_one_run(codebook, tmp_path: Path) -> None:
    path = write(tmp_path / "survey.csv", MESSY)
    store = Store(":memory:")
    summary = import_coded(
        store,
        [path],
        coder="Ana",
        codebook=codebook,
        skip_bad_rows=True,
        report_dir=tmp_path / "reports",
    )
    assert [s.row for s in summary.skipped] == [3, 4, 5, 6]
    assert "spreadsheet error" in summary.skipped[1].reason
    assert store.scalar("SELECT COUNT(*) FROM codings WHERE status = 'accepted'") == 1


def test_add_codes_never_creates_a_spreadsheet_error_or_two_joined_codes(
    codebook, tmp_path: Path
) -> None:
    path = write(tmp_path / "survey.csv", [MESSY[0], MESSY[2], MESSY[3], MESSY[4]])
    store = Store(":memory:")
    error = refused(store, path, codebook, add_codes=True)
    lines = [str(p) for p in error.problems]
    assert len(lines) == 2
    assert "spreadsheet error" in lines[0] and "joined by ','" in lines[1]
    assert "1 code label(s) --add-codes does not create" in str(error).splitlines()[0]
    assert store.scalar("SELECT COUNT(*) FROM codes") == 0


def test_the_delimiter_the_hint_names_reads_the_joined_codes(codebook, tmp_path: Path) -> None:
    path = write(tmp_path / "survey.csv", [MESSY[0], MESSY[3]])
    store = Store(":memory:")
    import_coded(store, [path], coder="Ana", codebook=codebook, layout=Layout(delimiter=","))
    coded = store.query("SELECT code_id FROM codings WHERE status = 'accepted' ORDER BY 1")
    assert [r[0] for r in coded] == ["barriers.funding", "barriers.funding", "barriers.staffing"]


def test_na_from_a_failed_lookup_is_an_error_not_a_no_code_marker(codebook, tmp_path: Path) -> None:
    path = write(tmp_path / "survey.csv", [["R1", "We lacked the budget.", "#N/A"]])
    error = refused(Store(":memory:"), path, codebook)
    assert "holds #N/A, a spreadsheet error" in str(error.problems[0])
    markers = ("#N/A",)  # the user says so: then it is no code
    summary = import_coded(
        Store(":memory:"),
        [path],
        coder="Ana",
        codebook=codebook,
        layout=Layout(no_code_markers=markers),
    )
    assert summary.no_code_cells == 1 and summary.codings_added == 0


def test_a_spreadsheet_error_as_the_text_is_imported_with_a_warning(
    codebook, tmp_path: Path
) -> None:
    # NaPiRE: answers that became #NAME? in Excel, coded by someone who saw the answer
    rows = [["R1", "#NAME?", "barriers.funding"], ["R2", "#NAME?", "barriers.staffing"]]
    summary = import_coded(
        Store(":memory:"), [write(tmp_path / "s.csv", rows)], coder="Ana", codebook=codebook
    )
    assert summary.codings_added == 2
    (warning,) = summary.warnings
    assert warning.startswith("s.csv rows 2, 3: the text in column 'text' is #NAME?, a spreadsheet")


def test_many_problems_are_capped_with_a_count_of_the_rest(codebook, tmp_path: Path) -> None:
    rows = [[f"R{i}", "", "barriers.funding"] for i in range(MAX_SHOWN + 25)]
    error = refused(Store(":memory:"), write(tmp_path / "s.csv", rows), codebook)
    assert len(error.problems) == MAX_SHOWN + 1
    assert str(error.problems[-1]) == "... and 25 more problem(s)"
    assert str(error).startswith(f"{MAX_SHOWN + 25} problem(s); nothing was imported")


def test_a_file_refused_for_its_rows_makes_no_backup(codebook, tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite")
    backup_before(store, "before")  # the folder exists, with one backup
    path = write(tmp_path / "survey.csv", MESSY)
    refused(store, path, codebook)
    assert len(list_backups(store.path)) == 1
