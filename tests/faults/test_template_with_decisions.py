"""A defect the fault suite found: a REFI import into a project whose codebook is still
the untouched template emptied the template even when researchers had already coded with
its codes (their decisions stayed in the store, but the codes they are on left the
codebook, names and definitions gone). Once a human decided with them, the template's
codes are the study's and stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_helpers import cli, reviewed_project
from fault_project import NEW_QDC


@pytest.mark.slow
def test_an_import_keeps_the_template_codes_researchers_decided(tmp_path: Path) -> None:
    project = reviewed_project(tmp_path / "study")
    decided = {c.id for c in project.load_codebook().codes if c.codable}
    qdc = tmp_path / "new.qdc"
    qdc.write_text(NEW_QDC, encoding="utf-8")
    done = cli("import", "qdc", qdc, "--project", project.root)
    assert done.exit_code == 0, done.output
    assert decided <= {c.id for c in project.load_codebook().codes}
