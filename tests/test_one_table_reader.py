"""One table reader: import-coded reads spreadsheets as ingest does (encoding, delimiter).

European survey exports are often semicolon-separated and Latin-1 (or Windows-1252)
encoded; import-coded used to read them with a fixed comma, as one column.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import themegrid.read.table as table_module
from factories import TWO_BARRIERS_CODEBOOK
from themegrid.cli import app
from themegrid.project import open_project

CODEBOOK = TWO_BARRIERS_CODEBOOK
# Commas inside the answers: a comma-only reader would split these rows wrongly.
ROWS = [
    ("r1", "Andalucía", "El café de la escuela cerró, y el niño lloró.", "Funding constraints"),
    ("r2", "Cataluña", "La señora Muñoz, la maestra, se fue en año nuevo.", "barriers.staffing"),
    ("r3", "Galicia", "Sin dinero, sin profesores; así no se puede.", "Funding constraints"),
]


def latin1_semicolon_csv(path: Path) -> Path:
    lines = ["id;Región;Respuesta;Código"]
    for rid, region, text, code in ROWS:
        quoted = f'"{text}"' if ";" in text else text
        lines.append(f"{rid};{region};{quoted};{code}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path


def run(args: list[str]) -> Result:
    return CliRunner().invoke(app, args)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    assert run(["init", str(root)]).exit_code == 0
    (root / "codebook" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    return root


def test_semicolon_latin1_coded_csv_imports_with_its_columns(root: Path, tmp_path: Path) -> None:
    path = latin1_semicolon_csv(tmp_path / "encuesta.csv")
    result = run(
        [
            "import-coded",
            str(path),
            "--coder",
            "Ana",
            "--project",
            str(root),
            "--text-column",
            "Respuesta",
            "--code-column",
            "Código",
            "--attribute-column",
            "Región",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output + str(result.exception)
    summary = json.loads(result.stdout)
    assert summary["rows"] == 3 and summary["documents_created"] == 3
    assert summary["codings_added"] == 3 and summary["rows_are_documents"]
    with open_project(root).open_store() as store:
        texts = store.query(
            "SELECT d.path, s.text, s.row_id, d.attributes FROM segments s "
            "JOIN documents d ON d.id = s.document_id ORDER BY s.row_id"
        )
        coded = store.query(
            "SELECT s.row_id, c.code_id FROM codings c JOIN segments s ON s.id = c.segment_id "
            "WHERE c.coder = 'Ana' AND c.status = 'accepted' ORDER BY s.row_id"
        )
    assert [(r[1], r[2]) for r in texts] == [(text, rid) for rid, _, text, _ in ROWS]
    assert [r[0] for r in texts] == [f"imported/encuesta.csv#{rid}" for rid, *_ in ROWS]
    assert [list(json.loads(r[3]).values()) for r in texts] == [[region] for _, region, *_ in ROWS]
    assert [tuple(r) for r in coded] == [
        ("r1", "barriers.funding"),
        ("r2", "barriers.staffing"),
        ("r3", "barriers.funding"),
    ]


def test_ingest_and_import_coded_read_through_the_same_function(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = table_module.read_table

    def spy(path: Path, *args: object, **kwargs: object) -> table_module.Table:
        calls.append(Path(path).name)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(table_module, "read_table", spy)
    corpus = latin1_semicolon_csv(root / "corpus" / "survey.csv")
    (root / "corpus" / "metadata.csv").write_text(
        "file,state\nsurvey.csv,Spain\n", encoding="utf-8"
    )
    ingested = run(["ingest", "--project", str(root)])
    assert ingested.exit_code == 0, ingested.output + str(ingested.exception)
    assert calls == ["survey.csv"]
    coded = latin1_semicolon_csv(tmp_path / "coded.csv")
    args = ["--code-column", "Código", "--coder", "Ana", "--project", str(root)]
    result = run(["import-coded", str(coded), *args])
    assert result.exit_code == 0, result.output + str(result.exception)
    assert calls == ["survey.csv", "coded.csv"]
    assert corpus.is_file()


def test_ingest_reads_the_semicolon_latin1_file_into_the_same_columns(tmp_path: Path) -> None:
    table = table_module.read_table(latin1_semicolon_csv(tmp_path / "e.csv"))
    assert table.header == ("id", "Región", "Respuesta", "Código")
    assert [cells[2] for _, cells in table.rows] == [text for _, _, text, _ in ROWS]
    assert [n for n, _ in table.rows] == [2, 3, 4]
    assert any("decoded as" in note for note in table.notes)


def test_a_text_pandas_wrote_as_a_formula_is_read_not_lost(root: Path, tmp_path: Path) -> None:
    """pandas' to_excel (and openpyxl) write a text starting with '=' as a formula with no
    value saved; a values-only read gives an empty cell, and the answer vanished."""
    import pandas as pd

    path = tmp_path / "cleaned.xlsx"
    answers = ["=no budget for coaches this year", "We lacked the funding for training."]
    pd.DataFrame({"id": ["r1", "r2"], "text": answers, "codes": ["barriers.funding"] * 2}).to_excel(
        path, index=False
    )
    table = table_module.read_table(path)
    assert [r[1][1] for r in table.rows] == answers
    assert any("formula with no value saved" in n and "B2" in n for n in table.notes)
    result = run(["import-coded", str(path), "--coder", "Ana", "--project", str(root), "--json"])
    assert result.exit_code == 0, result.output + str(result.exception)
    summary = json.loads(result.stdout)
    assert any("formula with no value saved" in w for w in summary["warnings"])
    with open_project(root).open_store() as store:
        texts = [r[0] for r in store.query("SELECT text FROM segments ORDER BY row_id")]
    assert texts == answers
