"""Cells to the right of a table's last header are never dropped without a word.

A ';' inside an unquoted cell of a ';'-separated file splits the cell: the reader
used to keep the header's number of cells and drop the rest, so a code (or the end
of a survey answer) was lost with exit code 0. import-coded now refuses the row
(or skips and lists it with --skip-bad-rows); ingest rejects the file.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from factories import TWO_BARRIERS_CODEBOOK
from themegrid.cli import app
from themegrid.errors import InputFileError
from themegrid.exchange.quotes import read_quote_rows
from themegrid.project import open_project
from themegrid.read.table import header_below_title, read_table, unheaded_cells

SPLIT = (
    "id;text;codes\r\n"
    "R1;We lacked the budget for summer training.;barriers.funding; barriers.staffing\r\n"
    "R2;Turnover among coaches.;barriers.staffing\r\n"
)


def run(args: list[str]) -> Result:
    return CliRunner().invoke(app, args)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    assert run(["init", str(root)]).exit_code == 0
    (root / "codebook" / "codebook.yaml").write_text(TWO_BARRIERS_CODEBOOK, encoding="utf-8")
    return root


def codings(root: Path) -> set[tuple[str, str]]:
    with open_project(root).open_store() as store:
        rows = store.query(
            "SELECT s.row_id, c.code_id FROM codings c JOIN segments s ON s.id = c.segment_id "
            "WHERE c.source = 'human' AND c.status = 'accepted'"
        )
    return {(r[0], r[1]) for r in rows}


def import_coded(root: Path, path: Path, *more: str) -> Result:
    return run(["import-coded", str(path), "--coder", "Ana", "--project", str(root), *more])


def test_a_cell_split_at_the_files_separator_refuses_the_import_naming_row_and_fix(
    root: Path, tmp_path: Path
) -> None:
    path = tmp_path / "coded.csv"
    path.write_text(SPLIT, encoding="utf-8")
    result = import_coded(root, path)
    assert result.exit_code != 0
    message = str(result.exception) + result.output
    line = next(x for x in message.splitlines() if "coded.csv, row 2:" in x)
    assert (
        "4 cells, but the header has 3 columns: cell 4 ('barriers.staffing') has no header" in line
    )
    assert "a ';' inside a cell splits it" in line and "double quotes" in line
    assert "--delimiter ','" in line and "add a header" in line
    assert "--skip-bad-rows" in message
    assert codings(root) == set()


def test_skip_bad_rows_imports_the_other_rows_and_lists_the_split_one(
    root: Path, tmp_path: Path
) -> None:
    path = tmp_path / "coded.csv"
    path.write_text(SPLIT, encoding="utf-8")
    result = import_coded(root, path, "--skip-bad-rows")
    assert result.exit_code == 0, result.output + str(result.exception)
    assert codings(root) == {("R2", "barriers.staffing")}
    (report,) = (root / "reports").glob("skipped_rows_*.csv")
    with report.open(newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert (row["file"], row["row"]) == ("coded.csv", "2")
    assert "cell 4 ('barriers.staffing') has no header" in row["reason"]


def test_the_quoted_cell_and_trailing_separators_import_every_code(
    root: Path, tmp_path: Path
) -> None:
    path = tmp_path / "coded.csv"
    path.write_text(
        "id;text;codes;;\r\n"  # Excel pads every line to the widest row with separators
        'R1;We lacked the budget for summer training.;"barriers.funding; barriers.staffing";;\r\n'
        "R2;Turnover among coaches.;barriers.staffing;;\r\n"
        "R3;Buses are late.;barriers.funding\r\n",
        encoding="utf-8",
    )
    result = import_coded(root, path)
    assert result.exit_code == 0, result.output + str(result.exception)
    assert codings(root) == {
        ("R1", "barriers.funding"),
        ("R1", "barriers.staffing"),
        ("R2", "barriers.staffing"),
        ("R3", "barriers.funding"),
    }


def test_a_value_under_an_empty_trailing_header_is_refused_unless_an_option_reads_it(
    root: Path, tmp_path: Path
) -> None:
    path = tmp_path / "coded.csv"
    path.write_text(
        "id,text,codes,\nR1,Money and people.,barriers.funding,barriers.staffing\n",
        encoding="utf-8",
    )
    refused = import_coded(root, path)
    assert refused.exit_code != 0
    assert "cell 4 ('barriers.staffing') has no header" in refused.output
    read = import_coded(root, path, "--code-columns", "codes..Column 4")
    assert read.exit_code == 0, read.output + str(read.exception)
    assert codings(root) == {("R1", "barriers.funding"), ("R1", "barriers.staffing")}


def test_a_tab_separated_file_with_a_tab_inside_a_cell_is_refused(
    root: Path, tmp_path: Path
) -> None:
    path = tmp_path / "coded.tsv"
    path.write_text(
        "id\ttext\tcodes\nR1\tMoney.\tbarriers.funding\tbarriers.staffing\n", encoding="utf-8"
    )
    result = import_coded(root, path)
    assert result.exit_code != 0
    message = result.output
    assert "coded.tsv, row 2: 4 cells, but the header has 3 columns" in message
    assert "a tab inside a cell splits it" in message
    assert codings(root) == set()


def xlsx(path: Path, rows: list[list[object]], far: tuple[int, int, str] | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    if far is not None:
        ws.cell(row=far[0], column=far[1]).value = far[2]
    wb.save(path)
    return path


def test_xlsx_cells_right_of_the_last_header_are_refused_by_cell_reference(
    root: Path, tmp_path: Path
) -> None:
    path = xlsx(
        tmp_path / "coded.xlsx",
        [
            ["id", "text", "codes"],
            ["R1", "Money and people.", "barriers.funding", "barriers.staffing"],
            ["R2", "Turnover.", "barriers.staffing"],
        ],
        far=(5, 8, "a note far to the right"),
    )
    result = import_coded(root, path)
    assert result.exit_code != 0
    message = result.output
    assert "coded.xlsx, row 2: 4 cells, but the header has 3 columns: cell D2" in message
    assert "coded.xlsx, row 5: 8 cells, but the header has 3 columns: cell H5" in message
    assert "move the value into a column with a header" in message
    assert codings(root) == set()


def test_ingest_rejects_a_survey_whose_row_was_split_and_reads_the_other_files(
    root: Path,
) -> None:
    corpus = root / "corpus"
    (corpus / "split.csv").write_text(
        "id;text;state\r\n"
        "R1;We lacked the budget; and the staff.;Ohio\r\n"  # the text is cut, Ohio shifted
        "R2;Turnover among coaches.;Iowa\r\n",
        encoding="utf-8",
    )
    (corpus / "padded.csv").write_text(
        "id;text;state;;\r\nR1;Fine as it is.;Ohio;;\r\nR2;Also fine.;Iowa\r\n", encoding="utf-8"
    )
    result = run(["ingest", "--project", str(root)])
    assert result.exit_code == 0, result.output + str(result.exception)
    out = " ".join(result.output.split())
    assert "rejected: corpus/split.csv: row 2: 4 cells, but the header has 3 columns" in out
    assert "cell 4 ('Ohio') has no header" in out and "double quotes" in out
    with open_project(root).open_store() as store:
        paths = {r[0].split("#")[0] for r in store.query("SELECT path FROM documents")}
        texts = {r[0] for r in store.query("SELECT text FROM segments")}
    assert "split.csv" not in paths and "padded.csv" in paths
    assert texts >= {"Fine as it is.", "Also fine."}
    again = run(["ingest", "--project", str(root)])
    assert "Nothing was stored: fix the rejected file(s) above" in again.output


def test_ingest_rejects_an_xlsx_survey_with_a_value_right_of_the_header(root: Path) -> None:
    xlsx(
        root / "corpus" / "survey.xlsx",
        [["id", "text"], ["R1", "We lacked the budget."], ["R2", "Turnover."]],
        far=(3, 4, "Iowa"),
    )
    result = run(["ingest", "--project", str(root)])
    out = " ".join(result.output.split())
    assert "rejected: corpus/survey.xlsx: row 3: 4 cells, but the header has 2 columns" in out
    assert "cell D3 ('Iowa')" in out


def test_the_reader_keeps_the_cut_cells_and_a_title_line_does_not_count_as_the_header(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "Survey export 2024\n"  # a title: the table is as wide as the rows below it
        "id,text,codes\n"
        "R1,Money.,barriers.funding\n"
        + "".join(f"R{i},Text {i}.,barriers.staffing\n" for i in range(2, 12))
        + "R12,Late row,barriers.funding,barriers.staffing\n",
        encoding="utf-8",
    )
    table = read_table(path)
    assert table.delimiter == ","
    assert [cells for n, cells in table.rows if n == 14] == [
        ("R12", "Late row", "barriers.funding")
    ]
    assert table.beyond == ((14, ((3, "barriers.staffing"),)),)
    assert [u.row for u in unheaded_cells(table)] == [14]
    below = header_below_title(table, lambda cells: sum(bool(c) for c in cells) >= 2)
    assert below.header == ("id", "text", "codes")
    (found,) = unheaded_cells(below)
    assert (found.row, found.width, found.columns, found.cells) == (
        14,
        4,
        3,
        ((3, "barriers.staffing"),),
    )


def test_import_quotes_refuses_a_table_whose_row_was_split(tmp_path: Path) -> None:
    path = tmp_path / "segments.csv"
    path.write_text(
        "Document name;Code;Segment\r\n"
        "P1;Reporting; Trends;Then we report the trend\r\n"
        "P1;Reporting;We compare the clusters\r\n",
        encoding="utf-8",
    )
    with pytest.raises(InputFileError) as err:
        read_quote_rows(path)
    message = str(err.value)
    assert "segments.csv: row 2: 4 cells, but the header has 3 columns" in message
    assert "cell 4 ('Then we report the trend') has no header" in message


def test_a_split_metadata_row_is_ignored_with_a_warning_not_applied_shifted(root: Path) -> None:
    corpus = root / "corpus"
    (corpus / "a.txt").write_text("Q: Hi?\nA: The voucher covers tuition.\n", encoding="utf-8")
    (corpus / "b.txt").write_text("Q: Hi?\nA: We lacked the budget.\n", encoding="utf-8")
    more = "".join(f"c{i}.txt;Utah;parent\r\n" for i in range(4))
    (corpus / "metadata.csv").write_text(
        f"file;state;role\r\na.txt;Ohio; Iowa;teacher\r\nb.txt;Iowa;aide;;\r\n{more}",
        encoding="utf-8",
    )
    result = run(["ingest", "--project", str(root)])
    assert result.exit_code == 0, result.output + str(result.exception)
    out = " ".join(result.output.split())
    assert "metadata.csv:2: 4 cells, but the header has 3 columns: cell 4 ('teacher')" in out
    assert "row ignored" in out
    with open_project(root).open_store() as store:
        attrs = dict(store.query("SELECT path, attributes FROM documents ORDER BY path"))
    assert json.loads(attrs["b.txt"]) == {"state": "Iowa", "role": "aide"}
    assert "role" not in json.loads(attrs["a.txt"])  # never ' Iowa', the shifted value
