"""End to end on the bundled example: code, report, re-run after a new interview."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from conftest import copy_project
from themegrid.export.workbook import write_workbook
from themegrid.pipeline.coding import run_coding
from themegrid.store.connection import now

STUDY_STATES = ["Arizona", "Nevada", "North Dakota", "South Carolina"]


def sheet_rows(wb: openpyxl.Workbook, name: str) -> list[tuple]:
    rows = list(wb[name].iter_rows(values_only=True))
    width = max(len(r) for r in rows)
    return [tuple(r) + (None,) * (width - len(r)) for r in rows]


def matrix_counts(wb: openpyxl.Workbook) -> dict[tuple[str, str], int]:
    rows = sheet_rows(wb, "Matrix")
    header = rows[0]
    return {
        (row[0], col): row[i]
        for row in rows[1:]
        if row and row[0]
        for i, col in enumerate(header)
        if i >= 2 and col and col != "Total"
    }


def codings_counts(wb: openpyxl.Workbook, codebook) -> Counter:
    """Recompute the Matrix from the Codings sheet: segments per (code or ancestor, state)."""
    rows = sheet_rows(wb, "Codings")
    header = list(rows[0])
    seg, code, state = header.index("Segment id"), header.index("Code id"), header.index("state")
    pairs = set()
    for row in rows[1:]:
        ids = [row[code]] + (list(codebook.ancestors(row[code])) if row[code] in codebook else [])
        for code_id in ids:
            pairs.add((row[seg], code_id, row[state] or "(none)"))
    return Counter((c, s) for _, c, s in pairs)


@pytest.fixture(scope="module")
def coded_template(bundled_coded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example coded (no model) and reported once; each test gets a copy."""
    project = copy_project(bundled_coded_template, tmp_path_factory.mktemp("coded") / "example")
    codebook = project.load_codebook()
    with project.open_store() as store:
        write_workbook(store, codebook, project.reports_dir / "theme_matrix.xlsx")
    return project.root


@pytest.fixture
def coded(coded_template: Path, tmp_path: Path):
    project = copy_project(coded_template, tmp_path / "example")
    codebook = project.load_codebook()
    store = project.open_store()
    out = project.reports_dir / "theme_matrix.xlsx"
    yield project, codebook, store, out
    store.close()


def test_matrix_has_every_state_and_code_and_matches_the_codings_sheet(coded) -> None:
    _project, codebook, _store, out = coded
    wb = openpyxl.load_workbook(out, read_only=True)
    header = sheet_rows(wb, "Matrix")[0]
    for state in STUDY_STATES:
        assert state in header
    ids_in_matrix = {row[0] for row in sheet_rows(wb, "Matrix")[1:]}
    assert {c.id for c in codebook.codable} <= ids_in_matrix
    counts = matrix_counts(wb)
    expected = codings_counts(wb, codebook)
    checked = 0
    for (code_id, state), value in counts.items():
        assert (value or 0) == expected.get((code_id, state), 0), (code_id, state)
        checked += 1
    assert checked >= len(codebook.codable) * 4
    assert sum(expected.values()) > 100


def test_framework_has_quotes_for_each_study_state(coded) -> None:
    _, _, _, out = coded
    wb = openpyxl.load_workbook(out, read_only=True)
    rows = sheet_rows(wb, "Framework")
    header = rows[0]
    for state in STUDY_STATES:
        col = header.index(state)
        quotes = [r[col] for r in rows[1:] if r[col] and r[1] != "Segments with any code"]
        assert len(quotes) >= 10, state
        assert all("—" in q for q in quotes)


def test_new_interview_changes_only_its_state_and_keeps_human_decisions(coded) -> None:
    project, codebook, store, out = coded
    seg = store.scalar(
        "SELECT s.id FROM segments s JOIN codings c ON c.segment_id = s.id WHERE c.source = 'rule' LIMIT 1"
    )
    code_id = store.scalar(
        "SELECT code_id FROM codings WHERE segment_id = ? AND source = 'rule'", (seg,)
    )
    stamp = now()
    with store.transaction():
        store.execute(
            "INSERT INTO codings (segment_id, code_id, source, coder, status, reason, created_at, updated_at)"
            " VALUES (?, ?, 'human', 'ana', 'rejected', 'not this', ?, ?)",
            (seg, code_id, stamp, stamp),
        )
    human_before = [tuple(r) for r in store.query("SELECT * FROM codings WHERE source = 'human'")]
    write_workbook(store, codebook, out)
    before = matrix_counts(openpyxl.load_workbook(out, read_only=True))

    new = project.corpus_dir / "interviews" / "nv_new_01.txt"
    new.write_text(
        "[Invented example.]\nInterviewer: What got the work started?\n"
        "Respondent: The legislature passed a bill and we applied for a seat time waiver. "
        "Our regional education service center ran the pilot with cohort districts.\n",
        encoding="utf-8",
    )
    with project.metadata_path.open("a", encoding="utf-8") as fh:
        fh.write(
            "interviews/nv_new_01.txt,Nevada,Invented District,teacher,2026-01-01,interview,,invented,\n"
        )
    summary = run_coding(project, store, codebook, use_model=False)
    assert summary.ingest.paths("added") == ["interviews/nv_new_01.txt"]
    new_segments = store.scalar(
        "SELECT COUNT(*) FROM segments s JOIN documents d ON d.id = s.document_id"
        " WHERE d.path = 'interviews/nv_new_01.txt' AND s.codable = 1"
    )
    assert summary.segments_tagged == new_segments >= 1
    run = store.query("SELECT summary FROM runs WHERE id = ?", (summary.run_id,))[0][0]
    assert "nv_new_01.txt" in run
    assert [
        tuple(r) for r in store.query("SELECT * FROM codings WHERE source = 'human'")
    ] == human_before

    write_workbook(store, codebook, out)
    wb = openpyxl.load_workbook(out, read_only=True)
    about = {row[0]: row[1] for row in sheet_rows(wb, "About") if row[0]}
    assert about["Human decisions"] == "by ana (1)"
    after = matrix_counts(wb)
    changed_states = {
        state
        for key, state in after
        if (after[(key, state)] or 0) != (before.get((key, state)) or 0)
    }
    assert changed_states == {"Nevada"}


def test_code_summary_per_theme_equals_the_matrix_totals(coded) -> None:
    _, codebook, store, out = coded
    from themegrid.pipeline.coding import live_suggestions_per_theme

    per_theme = live_suggestions_per_theme(store, codebook)
    rows = sheet_rows(openpyxl.load_workbook(out, read_only=True), "Matrix")
    totals = {row[0]: row[rows[0].index("Total")] for row in rows[1:] if row[0]}
    for code in codebook.children(None):
        assert per_theme.get(code.name, 0) == totals[code.id], code.id
