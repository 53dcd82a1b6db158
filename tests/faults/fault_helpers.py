"""A coded project with human decisions, and a snapshot of those decisions, for the fault tests."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import openpyxl
from typer.testing import CliRunner, Result

from conftest import write_project
from themegrid.cli import app
from themegrid.project import Project


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def reviewed_project(root: Path, *, coder: str = "Ana") -> Project:
    """A project coded by the rules, with every suggestion in a review sheet accepted by ``coder``."""
    project = write_project(root)
    coded = cli("code", "--no-model", "--project", project.root)
    assert coded.exit_code == 0, coded.output
    sheet = fill_review(project)
    done = cli("review", "import", sheet, "--coder", coder, "--project", project.root)
    assert done.exit_code == 0, done.output
    return project


def fill_review(project: Project, decision: str = "accept", note: str = "seen") -> Path:
    out = project.reports_dir / "review.xlsx"
    exported = cli("review", "export", out, "--project", project.root)
    assert exported.exit_code == 0, exported.output
    book = openpyxl.load_workbook(out)
    sheet = book["Review"]
    header = [c.value for c in sheet[1]]
    col_decision, col_note = header.index("Decision") + 1, header.index("Note") + 1
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, col_decision, decision)
        sheet.cell(row, col_note, note)
    book.save(out)
    return out


def human_decisions(store_path: Path) -> list[tuple[object, ...]]:
    """Every human coding and every state it passed through (read without migrating)."""
    conn = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT 'c', id, segment_id, code_id, coder, status, reason, note, updated_at "
            "FROM codings WHERE source = 'human' UNION ALL "
            "SELECT 'h', id, segment_id, code_id, coder, status, reason, note, at "
            "FROM coding_history WHERE source = 'human' ORDER BY 1, 2"
        ).fetchall()
    finally:
        conn.close()
    return [tuple(r) for r in rows]


def full_dump(store_path: Path) -> list[tuple[str, list[tuple[object, ...]]]]:
    """Every row of every table, but the failed runs' records (see :func:`failed_runs`)."""
    conn = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        where = {"runs": " WHERE failed IS NULL"}
        return [
            (t, sorted(conn.execute(f'SELECT * FROM "{t}"{where.get(t, "")}').fetchall(), key=repr))
            for t in sorted(tables)
        ]
    finally:
        conn.close()


def failed_runs(store_path: Path) -> list[tuple[str, str]]:
    """(command, why) of each run the history records as failed (rolled back)."""
    conn = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT command, failed FROM runs WHERE failed IS NOT NULL ORDER BY id")
        return [(str(r[0]), str(r[1])) for r in rows]
    finally:
        conn.close()


def integrity(store_path: Path) -> str:
    conn = sqlite3.connect(store_path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def patch_everywhere(monkeypatch: object, module: object, name: str, fake: object) -> None:
    """Replace a function in its module and wherever it was imported by name."""
    import sys

    original = getattr(module, name)
    monkeypatch.setattr(module, name, fake)  # type: ignore[attr-defined]
    for mod in list(sys.modules.values()):
        themegrid_module = mod is not None and getattr(mod, "__name__", "").startswith("themegrid")
        if themegrid_module and mod is not module and getattr(mod, name, None) is original:
            monkeypatch.setattr(mod, name, fake)  # type: ignore[attr-defined]


def report_counts(label: str, tally: dict[str, int]) -> None:
    """Print a module's fault counts; with THEMEGRID_FAULT_COUNTS=FILE also append them to
    FILE as one JSON line (pytest-xdist workers' output is not shown)."""
    import json
    import os

    if not tally:
        return
    print(f"\n{label}:", dict(sorted(tally.items())), f"(pid {os.getpid()})")
    out = os.environ.get("THEMEGRID_FAULT_COUNTS")
    if out:
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps({"module": label, "counts": dict(tally)}) + "\n")
