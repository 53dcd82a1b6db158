"""A REFI-QDA import killed before COMMIT leaves no codebook/imported_<name>.yaml behind,
so the retry is not refused: the YAML is written only after the codes are committed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fault_helpers import cli

from conftest import write_project

KILL_AT_FINISH = """
import os, sys
from themegrid.store import runs
runs.finish_run = lambda *a, **k: os._exit(137)  # as kill -9 just before COMMIT
from themegrid.cli import app
sys.argv = ["themegrid", *sys.argv[1:]]
app()
"""


def test_killed_import_leaves_no_yaml_and_the_retry_works(tmp_path: Path) -> None:
    other = write_project(tmp_path / "other")
    qdc = tmp_path / "book.qdc"
    assert cli("export", "qdc", qdc, "--project", other.root).exit_code == 0
    project = write_project(tmp_path / "study")
    for rel in list(project.codebook_dir.glob("*.yaml")):
        rel.unlink()  # an empty codebook, so every imported code is new
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            KILL_AT_FINISH,
            "import",
            "qdc",
            str(qdc),
            "--project",
            str(project.root),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == 137, killed.stderr
    assert not list(project.codebook_dir.glob("imported_*.yaml"))
    again = cli("import", "qdc", qdc, "--project", project.root)
    assert again.exit_code == 0, again.output
    assert list(project.codebook_dir.glob("imported_*.yaml"))
