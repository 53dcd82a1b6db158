"""Coded exports of the QDA tools researchers leave, in each tool's documented layout.

Dedoose's excerpt export (``Media Title``, ``Excerpt Copy``, one ``Code: NAME Applied``
column per code holding True/False, plus ``Codes Applied Combined``), ATLAS.ti's
Quotation Manager export (``Document``, ``Quotation Content``, all codes in one
``Codes`` cell, one per line), Taguette's highlights export (``id, document, tag,
content``, later also ``tag_parent, tag_full_path, tag_description``; one row per
highlight and tag, an untagged highlight with an empty tag), MAXQDA's coded segments
with all their other columns, NVivo's ``Nodes\\Parent\\Child`` paths, and survey
sheets with one 0/1 column per code. Each file is synthetic and small: edge cases
(multi-line cells, hierarchy separators, BOM, semicolons, empty code cells), not a
claim about quality on real exports.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from themegrid.api import import_quotes, ingest
from themegrid.codebook import load_codebook
from themegrid.codebook.model import Codebook
from themegrid.errors import InputFileError, ValidationError
from themegrid.exchange.coded import Layout, import_coded
from themegrid.exchange.quotes import read_quote_rows
from themegrid.project import init_project
from themegrid.store.connection import Store

CODEBOOK = """\
codebook:
  name: Exports
  version: "1"
codes:
  - id: barriers
    name: Barriers
    codable: false
    children:
      - id: barriers.funding
        name: Funding
        definition: Money limits.
      - id: barriers.staffing
        name: Staffing
        definition: Too few people.
  - id: training
    name: Training
    definition: Professional development.
"""

TRANSCRIPT = """\
Interviewer: What held the programme back?

Teacher: Money, mostly. The grant ended in March
and nobody replaced it.

Interviewer: And people?

Teacher: We lost two coaches, and the new staff had no training at all.
"""


@pytest.fixture
def codebook(tmp_path: Path):
    folder = tmp_path / "cb"
    folder.mkdir()
    (folder / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    return load_codebook(folder)


@pytest.fixture
def project(tmp_path: Path):
    project, _ = init_project(tmp_path / "proj")
    (project.codebook_dir / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (project.root / "corpus" / "teacher_03.txt").write_text(TRANSCRIPT, encoding="utf-8")
    ingest(project)
    return project


def write_csv(path: Path, rows: list[list[str]], *, bom: bool = False) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def row_codes(store: Store, coder: str) -> dict[str, set[str]]:
    """Each coded segment's text (first 20 characters) -> its accepted human codes."""
    out: dict[str, set[str]] = {}
    for text, code in store.query(
        "SELECT s.text, c.code_id FROM codings c JOIN segments s ON s.id = c.segment_id "
        "WHERE c.source = 'human' AND c.coder = ? AND c.status = 'accepted'",
        (coder,),
    ):
        out.setdefault(" ".join(text.split())[:20], set()).add(code)
    return out


def quote_codes(project, coder: str) -> dict[str, set[str]]:
    with project.open_store() as store:
        return row_codes(store, coder)


# --- Dedoose ------------------------------------------------------------------------------

DEDOOSE_HEADER = [
    "Media Title",
    "Excerpt Range",
    "Excerpt Creator",
    "Excerpt Date",
    "Excerpt Copy",
    "Codes Applied Combined",
    "Code: Barriers\\Funding Applied",
    "Code: Barriers\\Funding Weight",
    "Code: Barriers\\Staffing Applied",
    "Code: Training Applied",
]
DEDOOSE_ROWS = [
    [
        "teacher_03",
        "60-129",
        "ana",
        "1/5/2025",
        "Money, mostly. The grant ended in March\nand nobody replaced it.",
        "Barriers\\Funding",
        "True",
        "3",
        "False",
        "False",
    ],
    [
        "teacher_03",
        "180-250",
        "ana",
        "1/5/2025",
        "We lost two coaches, and the new staff had no training at all.",
        "Barriers\\Staffing, Training",
        "False",
        "",
        "True",
        "True",
    ],
]


def test_dedoose_excerpts_import_coded_with_no_option(codebook, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "dedoose.xlsx", [DEDOOSE_HEADER, *DEDOOSE_ROWS])
    store = Store(":memory:")
    import_coded(store, [path], coder="Ana", codebook=codebook)
    assert row_codes(store, "Ana") == {
        "Money, mostly. The g": {"barriers.funding"},
        "We lost two coaches,": {"barriers.staffing", "training"},
    }


def test_dedoose_excerpts_as_quotes_of_ingested_documents(project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dedoose.csv", [DEDOOSE_HEADER, *DEDOOSE_ROWS], bom=True)
    summary = import_quotes(project, path, coder="Ana")
    assert (summary.rows, summary.quotes_found) == (2, 2)
    assert quote_codes(project, "Ana") == {
        "Money, mostly. The g": {"barriers.funding"},
        "We lost two coaches,": {"barriers.staffing", "training"},
    }


# --- ATLAS.ti -----------------------------------------------------------------------------

ATLAS_HEADER = [
    "ID",
    "Quotation Name",
    "Document",
    "Quotation Content",
    "Codes",
    "Comment",
    "Created by",
    "Start",
    "End",
    "Density",
]
ATLAS_ROWS = [
    [
        "1:1",
        "",
        "D1: teacher_03",
        "Money, mostly. The grant ended in March\nand nobody replaced it.",
        "Barriers::Funding",
        "",
        "ana",
        "3",
        "4",
        "0",
    ],
    [
        "1:2",
        "",
        "D1: teacher_03",
        "We lost two coaches, and the new staff had no training at all.",
        "Barriers::Staffing\nTraining",
        "two codes, one per line",
        "ana",
        "8",
        "8",
        "0",
    ],
]


def test_atlas_quotations_as_quotes_one_code_per_line(project, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "atlas.xlsx", [ATLAS_HEADER, *ATLAS_ROWS])
    summary = import_quotes(project, path, coder="Ana")
    assert (summary.rows, summary.quotes_found, summary.not_found) == (2, 2, ())
    assert quote_codes(project, "Ana") == {
        "Money, mostly. The g": {"barriers.funding"},
        "We lost two coaches,": {"barriers.staffing", "training"},
    }


def test_atlas_quotations_import_coded_finds_text_and_codes(codebook, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "atlas.xlsx", [ATLAS_HEADER, *ATLAS_ROWS])
    store = Store(":memory:")
    import_coded(store, [path], coder="Ana", codebook=codebook)
    assert row_codes(store, "Ana") == {
        "Money, mostly. The g": {"barriers.funding"},
        "We lost two coaches,": {"barriers.staffing", "training"},
    }


# --- Taguette -----------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["old", "new"])
def test_taguette_highlights_csv_as_quotes(project, tmp_path: Path, layout: str) -> None:
    money = "Money, mostly. The grant ended in March\nand nobody replaced it."
    staff = "We lost two coaches, and the new staff had no training at all."
    if layout == "old":
        rows = [
            ["id", "document", "tag", "content"],
            ["1", "teacher_03", "Barriers/Funding", money],
            ["2", "teacher_03", "Barriers/Staffing", staff],
            ["2", "teacher_03", "training", staff],
            ["3", "teacher_03", "", "Interviewer: And people?"],
        ]  # a highlight with no tag
    else:
        rows = [
            ["id", "document", "tag", "tag_parent", "tag_full_path", "tag_description", "content"],
            ["1", "teacher_03", "funding", "barriers", "barriers.funding", "", money],
            ["2", "teacher_03", "staffing", "barriers", "barriers.staffing", "", staff],
            ["2", "teacher_03", "training", "", "training", "PD", staff],
            ["3", "teacher_03", "", "", "", "", "And people?"],
        ]
    path = write_csv(tmp_path / "all_tags.csv", rows, bom=True)
    assert len(read_quote_rows(path)) == 3  # the untagged highlight is no coding
    summary = import_quotes(project, path, coder="Ana")
    assert (summary.rows, summary.quotes_found) == (3, 3)  # rows of a highlight and a tag
    assert summary.uncoded == 1
    assert "  1 row(s) with a quote but no code left out" in summary.lines()
    assert quote_codes(project, "Ana") == {
        "Money, mostly. The g": {"barriers.funding"},
        "We lost two coaches,": {"barriers.staffing", "training"},
    }


# --- MAXQDA, NVivo ------------------------------------------------------------------------


def test_maxqda_coded_segments_with_every_column(project, tmp_path: Path) -> None:
    header = [
        "Color",
        "Document group",
        "Document name",
        "Code",
        "Beginning",
        "End",
        "Segment",
        "Modified by",
        "Modified",
        "Created by",
        "Created",
        "Area",
        "Coverage %",
        "Weight score",
        "Comment",
    ]
    rows = [
        [
            "#ff0000",
            "Teachers",
            "teacher_03",
            "Barriers > Funding",
            "2",
            "2",
            "The grant ended in March and nobody replaced it.",
            "ana",
            "",
            "ana",
            "",
            "48",
            "12",
            "0",
            "",
        ],
        [
            "#00ff00",
            "Teachers",
            "teacher_03",
            "Training",
            "4",
            "4",
            "the new staff had no training at all",
            "ana",
            "",
            "ana",
            "",
            "36",
            "9",
            "100",
            "weight 100",
        ],
    ]
    summary = import_quotes(
        project, write_xlsx(tmp_path / "maxqda.xlsx", [header, *rows]), coder="Ana"
    )
    assert (summary.quotes_found, summary.not_found) == (2, ())
    assert quote_codes(project, "Ana") == {
        "Money, mostly. The g": {"barriers.funding"},
        "We lost two coaches,": {"training"},
    }


def test_nvivo_node_paths_with_backslashes(codebook, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "nvivo.csv",
        [
            ["Node", "Coded text"],
            ["Nodes\\Barriers\\Funding", "Money, mostly."],
            ["Barriers\\Staffing", "We lost two coaches."],
            ["Nodes\\Training", "No training at all."],
        ],
    )
    store = Store(":memory:")
    import_coded(store, [path], coder="Ana", codebook=codebook)
    assert row_codes(store, "Ana") == {
        "Money, mostly.": {"barriers.funding"},
        "We lost two coaches.": {"barriers.staffing"},
        "No training at all.": {"training"},
    }


# --- one column per code (survey coding) --------------------------------------------------

SURVEY = [
    ["ResponseId", "Finished", "Answer", "Funding", "Staffing", "Training"],
    ["R1", "1", "We lack money for substitutes.", "1", "0", ""],
    ["R2", "1", "Nobody applies for the posts and nobody trains them.", "0", "x", "TRUE"],
    ["R3", "1", "Nothing to add.", "0", "0", "FALSE"],
]


def test_indicator_columns_refused_with_the_option_named(codebook, tmp_path: Path) -> None:
    """0/1 columns whose headers are not codes of the codebook need naming."""
    renamed = [["ResponseId", "Finished", "Answer", "Money", "People", "PD"], *SURVEY[1:]]
    path = write_csv(tmp_path / "survey.csv", renamed)
    with pytest.raises(ValidationError, match=r"--code-columns 'Money\.\.PD'"):
        import_coded(Store(":memory:"), [path], coder="Ana", codebook=codebook)


def test_indicator_columns_headed_by_codebook_codes_need_no_option(
    codebook, tmp_path: Path
) -> None:
    """Columns named after the codebook's codes, holding only 0/1-like values, are read as
    one column per code (Qualtrics' constant ``Finished`` column is not a code)."""
    path = write_csv(tmp_path / "survey.csv", SURVEY)
    store = Store(":memory:")
    assert import_coded(store, [path], coder="Ana", codebook=codebook).rows == 3
    assert row_codes(store, "Ana") == {
        "We lack money for su": {"barriers.funding"},
        "Nobody applies for t": {"barriers.staffing", "training"},
    }


def test_indicator_columns_by_a_range_of_headers(codebook, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "survey.csv", SURVEY)
    store = Store(":memory:")
    summary = import_coded(
        store,
        [path],
        coder="Ana",
        codebook=codebook,
        layout=Layout(code_columns=("Funding..Training",)),
    )
    assert summary.rows == 3
    assert row_codes(store, "Ana") == {
        "We lack money for su": {"barriers.funding"},
        "Nobody applies for t": {"barriers.staffing", "training"},
    }


def test_counts_are_indicators_but_numbered_labels_are_not(tmp_path: Path) -> None:
    counts = write_csv(
        tmp_path / "counts.csv",
        [
            ["id", "text", "Funding", "Staffing"],
            ["1", "Money and money again.", "2", "0"],
            ["2", "People.", "0", "1"],
        ],
    )
    labels = write_csv(
        tmp_path / "labels.csv",
        [
            ["id", "text", "Talk move"],
            ["1", "Can you say more?", "1"],
            ["2", "Is that right?", "8"],
        ],
    )
    empty = Codebook(name="empty", version="1", description="", codes=())
    store = Store(":memory:")
    import_coded(
        store,
        [counts],
        coder="Ana",
        codebook=empty,
        add_codes=True,
        layout=Layout(code_columns=("Funding", "Staffing")),
    )
    assert row_codes(store, "Ana") == {"Money and money agai": {"funding"}, "People.": {"staffing"}}
    import_coded(
        store,
        [labels],
        coder="Bo",
        codebook=empty,
        add_codes=True,
        layout=Layout(code_columns=("Talk move",)),
    )
    assert row_codes(store, "Bo") == {"Can you say more?": {"1"}, "Is that right?": {"8"}}


def test_code_cells_split_at_semicolons_and_line_breaks(codebook, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "cells.csv",
        [
            ["id", "text", "Codes"],
            ["1", "Money and people.", "Funding; Staffing"],
            ["2", "People, then training.", "Barriers > Staffing\n\nTraining\n"],
            ["3", "Nothing coded here.", ""],
        ],
        bom=True,
    )
    store = Store(":memory:")
    summary = import_coded(store, [path], coder="Ana", codebook=codebook)
    assert summary.rows == 3
    assert row_codes(store, "Ana") == {
        "Money and people.": {"barriers.funding", "barriers.staffing"},
        "People, then trainin": {"barriers.staffing", "training"},
    }


def test_quotes_table_without_the_columns_names_them(project, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [["Who", "Topic", "Words"], ["P1", "Funding", "Money"]])
    with pytest.raises(InputFileError, match=r"no column 'Document name' \(or 'Dokumentname'"):
        read_quote_rows(path)


# --- NVivo node export --------------------------------------------------------------------

NODE_EXPORT = """\
<Files\\Interviews\\teacher_03> - § 2 references coded  [31.20% Coverage]

Reference 1 - 18.02% Coverage

Money, mostly. The grant ended in March
and nobody replaced it.

References 2-3 - 9.11% Coverage

the new staff had no training at all
"""


@pytest.mark.parametrize("suffix", [".txt", ".docx"])
def test_nvivo_node_export_as_quotes(project, tmp_path: Path, suffix: str) -> None:
    """The node is the file's name; the source's folder path is dropped to find the document."""
    path = tmp_path / f"Funding{suffix}"
    if suffix == ".txt":
        path.write_text(NODE_EXPORT, encoding="utf-8")
    else:
        docx = pytest.importorskip("docx")
        document = docx.Document()
        for line in NODE_EXPORT.splitlines():
            document.add_paragraph(line)
        document.save(str(path))
    rows = read_quote_rows(path)
    assert [(r.document, r.code) for r in rows] == [("teacher_03", "Funding")] * 2
    summary = import_quotes(project, path, coder="Ana")
    assert (summary.rows, summary.quotes_found, summary.not_found) == (2, 2, ())
    assert quote_codes(project, "Ana") == {
        "Money, mostly. The g": {"barriers.funding"},
        "We lost two coaches,": {"barriers.funding"},
    }


def test_nvivo_node_named_in_the_file_wins_over_its_name(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text("<Nodes\\Barriers\\Staffing>\n\n" + NODE_EXPORT, encoding="utf-8")
    assert {r.code for r in read_quote_rows(path)} == {"Nodes\\Barriers\\Staffing"}


def test_a_docx_that_is_no_node_export_is_refused(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("Interviewer: Hello.")
    document.save(str(tmp_path / "notes.docx"))
    with pytest.raises(InputFileError, match="is not an NVivo node export"):
        read_quote_rows(tmp_path / "notes.docx")


def test_semicolon_csv_with_line_breaks_in_quoted_cells(project, tmp_path: Path) -> None:
    """Excel in many European locales saves CSV with ';' (and a BOM, CRLF line ends); a
    quoted cell holding a line break and a ';' is still one cell."""
    path = tmp_path / "maxqda_de.csv"
    path.write_bytes(
        "\ufeffDokumentname;Code;Segment\r\n"
        'teacher_03;Barriers > Funding;"Money, mostly. The grant ended in March\r\n'
        'and nobody replaced it."\r\n'
        'teacher_03;Training;"the new staff had no training; at all"\r\n'.encode()
    )
    rows = read_quote_rows(path)
    assert [(r.document, r.code) for r in rows] == [
        ("teacher_03", "Barriers > Funding"),
        ("teacher_03", "Training"),
    ]
    summary = import_quotes(project, path, coder="Ana")
    assert summary.quotes_found == 1  # the second quote is not the transcript's text
    assert summary.not_found == ("row 3 (teacher_03): its quote is not in the document's text",)


def test_title_lines_above_the_header_are_skipped(project, codebook, tmp_path: Path) -> None:
    """Reports exported to Excel often start with a title and a date line."""
    title = [["Quotation report: Teachers"], ["Created 2025-01-05 by ana"], []]
    path = write_xlsx(tmp_path / "report.xlsx", [*title, ATLAS_HEADER, *ATLAS_ROWS])
    assert len(read_quote_rows(path)) == 3
    store = Store(":memory:")
    assert import_coded(store, [path], coder="Ana", codebook=codebook).rows == 2


def test_taguette_and_maxqda_exports_also_import_coded(codebook, tmp_path: Path) -> None:
    """The same exports read by import-coded, each row its own document (long format: a
    Taguette highlight with two tags is two rows with one id and text)."""
    staff = "We lost two coaches, and the new staff had no training at all."
    taguette = write_csv(
        tmp_path / "all_tags.csv",
        [
            ["id", "document", "tag", "tag_parent", "tag_full_path", "tag_description", "content"],
            ["2", "teacher_03", "staffing", "barriers", "barriers.staffing", "", staff],
            ["2", "teacher_03", "training", "", "training", "PD", staff],
        ],
    )
    maxqda = write_xlsx(
        tmp_path / "maxqda.xlsx",
        [
            ["Color", "Document group", "Document name", "Code", "Beginning", "End", "Segment"],
            ["#f00", "Teachers", "teacher_03", "Barriers > Funding", "2", "2", "Money, mostly."],
        ],
    )
    store = Store(":memory:")
    assert import_coded(store, [taguette], coder="Ana", codebook=codebook).rows_merged == 1
    import_coded(store, [maxqda], coder="Bo", codebook=codebook)
    assert row_codes(store, "Ana") == {"We lost two coaches,": {"barriers.staffing", "training"}}
    assert row_codes(store, "Bo") == {"Money, mostly.": {"barriers.funding"}}
