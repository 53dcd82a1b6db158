"""The report says what changed: the About sheet names what the last coding run read and
what it did to the machine suggestions (new interviews dropped in, re-run)."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from conftest import write_project
from themegrid import api

KEY = "What the last coding run changed"


def _about(path: Path) -> dict[str, str]:
    rows = openpyxl.load_workbook(path)["About"].iter_rows(values_only=True)
    return {str(r[0]): str(r[1]) for r in rows if len(r) > 1 and r[0]}


def test_the_about_sheet_names_the_new_file_of_the_last_run(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study")
    api.code(project.root, use_model=False)
    first = _about(api.report(project.root).workbook.path)
    assert "new files: 2 (interviews/az.txt, interviews/nv.txt)" in first[KEY]
    new = project.corpus_dir / "interviews" / "ut.txt"
    new.write_text("Interviewer: Why?\nRespondent: The grant money ran out.\n", "utf-8")
    done = api.code(project.root, use_model=False)
    about = _about(api.report(project.root).workbook.path)[KEY]
    assert f"run {done.run_id}" in about
    assert "new files: 1 (interviews/ut.txt)" in about and "files unchanged: 2" in about
    assert f"Machine suggestions in this run: {done.suggestions_new} new" in about
    assert "awaited review" in about
    assert "Human decisions are never changed by a run" in about
