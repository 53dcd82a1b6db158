"""Every command is one library call that takes a project folder and returns a frozen result."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pytest

import themegrid
from themegrid.errors import ProjectError
from themegrid.project import Project


def test_a_whole_study_from_python(project: Project) -> None:
    root = str(project.root)
    coded = themegrid.code(root, use_model=False)
    assert coded.ingest.count("added") == 2 and coded.suggestions_new > 0
    status = themegrid.status(root)
    assert status.documents_present == 2
    assert status.to_dict()["review"]["pending"] == status.pending > 0
    review = themegrid.review_export(root)
    assert Path(review.path) == project.reports_dir / "review.xlsx" and review.rows > 0
    book = themegrid.report(Path(root)).workbook
    assert Path(book.path).is_file() and "Arizona" in book.cases
    assert openpyxl.load_workbook(book.path, read_only=True).sheetnames[0] == "About"
    rows = themegrid.export_segments(project).rows
    assert rows == status.segments_active
    for result in (coded, status, review, book):
        assert dataclasses.is_dataclass(result)
        field = dataclasses.fields(result)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(result, field, None)


@pytest.mark.parametrize("call", ["status", "report", "review_export"])
def test_library_calls_check_what_the_command_checks(project: Project, call: str) -> None:
    with pytest.raises(ProjectError, match="run 'themegrid code'"):
        getattr(themegrid, call)(project)
    assert not project.store_path.exists()
