"""No live formula from data, anywhere: every spreadsheet themegrid writes keeps text as text.

A transcript, speaker names, codebook text, case attributes, a file name and an
imported spreadsheet all full of text that Excel would run (=, +, -, @, tab, CR);
after ingest, code, import-coded (and its skipped-rows report), review export, report
(with --csv) and export segments (.csv and .xlsx), no cell of any .xlsx has a formula data type (nor an
``<f>`` element in its XML), no CSV cell begins with = + - @ tab CR, and the text a
researcher sees is the original.
"""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from themegrid.cells import FORMULA_STARTS
from themegrid.cli import app

HYPERLINK = '=HYPERLINK("http://evil.example","the grant money ran out")'
TURNS = [
    ("Interviewer", "=1+1 what held the work back?"),
    ("Respondent", HYPERLINK),
    ("Respondent", "+the budget was cut, so funding stopped"),
    ("Respondent", "-turnover among coaches, the budget again"),
    ("Respondent", "@SUM(1,2) we had a teacher shortage and no budget"),
    ("Respondent", "\t=cmd|' /C calc'!A0 budget"),
    ("Respondent", "#N/A the grant money ran out"),
]
STATE = '=HYPERLINK("http://evil.example","Arizona")'
ROLE = "@district leader"
CODE_NAME = "=Funding constraints"
DEFINITION = '+Talk about money; =HYPERLINK("http://evil.example","x")'
IMPORTED = [
    ("=Eve", "=2+3 the budget ran out", "barriers.funding"),
    ("-Bob", "-we lost our substitute teachers", "barriers.staffing"),
    ("@Ann", "@the grant money ran out", "barriers.funding"),
]
FILE_NAME = "=az.txt"
SKIPPED_TEXT = '=HYPERLINK("http://evil.example","a row with an unknown code")'
SKIPPED_FILE = "=bad.csv"  # the skipped-rows report names the file in its first column


def _project(tmp_path: Path) -> Path:
    from conftest import write_project

    text = "".join(f"{speaker}: {turn}\n" for speaker, turn in TURNS)
    state = STATE.replace('"', '""')
    metadata = f'file,state,role,source_type\n"{FILE_NAME}","{state}",{ROLE},interview\n'
    project = write_project(tmp_path / "p", {FILE_NAME: text}, metadata)
    book = project.root / "codebook" / "codebook.yaml"
    yaml = book.read_text(encoding="utf-8")
    yaml = yaml.replace("name: Funding constraints", f"name: '{CODE_NAME}'", 1)
    yaml = yaml.replace(
        "definition: Talk about money, budgets or grants limiting the work.",
        "definition: '" + DEFINITION.replace("'", "''") + "'",
        1,
    )
    assert CODE_NAME in yaml and "evil.example" in yaml
    book.write_text(yaml, encoding="utf-8")
    return project.root


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    tmp_path = tmp_path_factory.mktemp("formulas")
    root = _project(tmp_path)
    p = ("--project", str(root))
    _run("code", *p, "--no-model")
    coded = tmp_path / "coded.csv"
    with coded.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Speaker", "Text", "Codes"])
        writer.writerows(IMPORTED)
    _run("import-coded", str(coded), "--coder", "Ana", "--document-name", "=doc.csv", *p)
    bad = tmp_path / SKIPPED_FILE
    with bad.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Speaker", "Text", "Codes"])
        writer.writerows([*IMPORTED[:1], ("=Eve", SKIPPED_TEXT, "=no.such.code")])
    _run("import-coded", str(bad), "--coder", "Bo", "--skip-bad-rows", *p)
    out = tmp_path / "out"
    files = [root / "reports" / "review.xlsx", root / "reports" / "theme_matrix.xlsx"]
    _run("review", "export", *p)
    _run("report", *p, "--csv", str(out / "report_csv"))
    for name in ("segments.csv", "segments.xlsx"):
        _run("export", "segments", str(out / name), *p)
        files.append(out / name)
    files += sorted((out / "report_csv").glob("*.csv"))
    skipped = sorted((root / "reports").glob("skipped_rows_*.csv"))
    assert len(skipped) == 1, "the skipped-rows report is among the files checked"
    files += skipped
    return root, files


def _originals() -> set[str]:
    """The formula-like texts as stored (ingest strips the space after 'Speaker:')."""
    texts = {t for _, t in TURNS[1:]} | {t for _, t, _ in IMPORTED} | {s for s, _, _ in IMPORTED}
    return {t.strip() for t in texts} | {STATE, ROLE, CODE_NAME, DEFINITION, FILE_NAME}


def _xlsx_strings(path: Path) -> set[str]:
    book = openpyxl.load_workbook(path)
    seen: set[str] = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{path.name} {sheet.title}!{cell.coordinate}"
                if isinstance(cell.value, str):
                    seen.add(cell.value)
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = archive.read(name).decode("utf-8")
                assert not re.search(r"<(\w+:)?f[ >]", xml), f"{path.name}: formula in {name}"
    return seen


def test_no_spreadsheet_themegrid_writes_holds_a_formula(written) -> None:
    _, files = written
    xlsx = [f for f in files if f.suffix == ".xlsx"]
    assert len(xlsx) == 3 and all(f.is_file() for f in xlsx)
    seen: set[str] = set()
    for path in xlsx:
        seen |= _xlsx_strings(path)
    # the researcher sees the original text, unchanged (quotes inside longer cells count)
    for text in _originals():
        assert any(text in s for s in seen), text
    review = _xlsx_strings(xlsx[0])
    assert STATE in review and ROLE in review and FILE_NAME in review
    assert {t.strip() for _, t in TURNS[2:]} & review  # formula-like turns await review


def test_no_csv_cell_starts_like_a_formula_and_the_text_is_kept(written) -> None:
    _, files = written
    csvs = [f for f in files if f.suffix == ".csv"]
    assert len(csvs) >= 2
    cells: list[str] = []
    for path in csvs:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for record in csv.reader(handle):
                cells += record
    bad = [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert not bad, bad[:5]
    shown = {c[1:] if c.startswith("'") else c for c in cells}
    for text in _originals() - {DEFINITION}:  # the codebook text is not in these tables
        assert any(text in s for s in shown), text
    assert SKIPPED_FILE in shown  # in the skipped-rows report: quoted, otherwise intact


def test_raw_csv_keeps_cells_as_stored(written, tmp_path: Path) -> None:
    root, _ = written
    out = tmp_path / "raw.csv"
    _run("export", "segments", str(out), "--raw", "--project", str(root))
    with out.open(encoding="utf-8-sig", newline="") as handle:
        texts = {row["text"] for row in csv.DictReader(handle)}
    assert HYPERLINK in texts and "=2+3 the budget ran out" in texts


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "=", "#N/A"])
def test_one_helper_writes_text_as_text(tmp_path: Path, text: str) -> None:
    from openpyxl import Workbook

    from themegrid.cells import cell, csv_safe, put

    assert csv_safe(text) == ("'" + text if text.startswith(FORMULA_STARTS) else text)
    assert csv_safe(-1) == -1 and csv_safe("a=1") == "a=1"
    streamed = Workbook(write_only=True)
    ws = streamed.create_sheet("S")
    ws.append([cell(ws, text), cell(ws, 3)])
    normal = Workbook()
    put(normal.active, 1, 1, text)
    for book, name in ((streamed, "w.xlsx"), (normal, "n.xlsx")):
        book.save(tmp_path / name)
        back = openpyxl.load_workbook(tmp_path / name).worksheets[0]["A1"]
        assert back.data_type == "s" and back.value == text
