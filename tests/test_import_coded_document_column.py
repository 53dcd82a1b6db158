"""import-coded --document-column: rows with one value in a column are one document
(sentences of an abstract, turns of one transcript in a table of many)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import SHARED, write_project
from themegrid import api
from themegrid.errors import ValidationError
from themegrid.exchange.coded import Layout

ROWS = [
    ("A1", "Arizona", "Budgets were cut.", "barriers.funding"),
    ("A1", "Arizona", "We lost staff.", "barriers.staffing"),
    ("A2", "Nevada", "Substitutes were scarce.", "barriers.staffing"),
    ("A1", "Arizona", "Then the grant ended.", "barriers.funding"),
    ("A2", "Nevada", "Money was fine.", ""),
]


def _csv(path: Path, rows: list[tuple[str, ...]]) -> Path:
    lines = ["abstract,state,text,code", *(",".join(r) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _documents(store: Path) -> dict[str, list[str]]:
    with sqlite3.connect(store) as db:
        rows = db.execute(
            "SELECT d.path, s.text FROM segments s JOIN documents d ON d.id = s.document_id"
            " WHERE d.path LIKE 'imported/%' ORDER BY d.path, s.seq"
        ).fetchall()
    out: dict[str, list[str]] = {}
    for path, text in rows:
        out.setdefault(path, []).append(text)
    return out


def test_rows_sharing_a_value_are_one_document_in_file_order(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study")
    api.code(project.root, use_model=False)
    table = _csv(tmp_path / "sentences.csv", ROWS)
    layout = Layout(attribute_columns=("state",))
    summary = api.import_coded(
        project.root, [table], coder="Ana", document_column="abstract", layout=layout
    )
    assert summary.documents_created == 2 and summary.documents_by == "abstract"
    docs = _documents(project.store_path)
    assert docs == {
        "imported/sentences.csv/A1": [
            "Budgets were cut.",
            "We lost staff.",
            "Then the grant ended.",
        ],
        "imported/sentences.csv/A2": ["Substitutes were scarce.", "Money was fine."],
    }
    with sqlite3.connect(project.store_path) as db:
        attrs = {
            path: json.loads(a)
            for path, a in db.execute("SELECT path, attributes FROM documents").fetchall()
        }
    assert attrs["imported/sentences.csv/A1"] == {"abstract": "A1", "state": "Arizona"}
    assert attrs["imported/sentences.csv/A2"] == {"abstract": "A2", "state": "Nevada"}
    again = api.import_coded(project.root, [table], coder="Ana", document_column="abstract")
    assert again.documents_created == 0 and again.documents_matched == 2
    assert again.codings_added == 0 and again.codings_unchanged == summary.codings_added


def test_a_row_without_a_document_is_named(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study")
    api.code(project.root, use_model=False)
    table = _csv(tmp_path / "s.csv", [*ROWS, ("", "Nevada", "Orphan sentence.", "")])
    with pytest.raises(ValidationError, match=r"row 7.*document-column|document-column.*row 7"):
        api.import_coded(project.root, [table], coder="Ana", document_column="abstract")
    kept = api.import_coded(
        project.root, [table], coder="Ana", document_column="abstract", skip_bad_rows=True
    )
    assert [s.row for s in kept.skipped] == [7] and kept.documents_created == 2


def test_the_option_excludes_a_single_document_name(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study")
    api.code(project.root, use_model=False)
    table = _csv(tmp_path / "s.csv", ROWS)
    with pytest.raises(ValidationError, match="leave out --document-name"):
        api.import_coded(
            project.root, [table], coder="Ana", document_column="abstract", document_name="x"
        )


def test_real_abstracts_become_one_document_each(tmp_path: Path) -> None:
    source = SHARED / "devdata" / "qabstracts_two_coder_irr" / "abstracts" / "abstracts.A"
    if not source.is_dir():
        pytest.skip(f"{source} not found; CI has ../shared beside the repository")
    import csv
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "scripts"))
    from try_devdata import inline_rows

    files = sorted(source.glob("*.txt"))[:40]
    table = tmp_path / "coder_A.csv"
    with table.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["abstract", "id", "text", "codes"])
        for f in files:
            w.writerows((f.stem, *row) for row in inline_rows(f))
    project = write_project(tmp_path / "study")
    api.code(project.root, use_model=False)
    summary = api.import_coded(
        project.root, [table], coder="A", document_column="abstract", add_codes=True
    )
    assert summary.documents_created == len(files)
    assert sum(len(v) for v in _documents(project.store_path).values()) == summary.rows
