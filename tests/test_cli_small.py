"""Small command-line guards: --version, the URL serve prints, the report's case wording."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_project
from themegrid.cli import app
from themegrid.project import Project


def test_version_comes_from_the_package_metadata() -> None:
    out = CliRunner().invoke(app, ["--version"])
    assert out.exit_code == 0
    assert out.output.strip() == f"themegrid {version('themegrid')}"


def test_serve_on_all_interfaces_prints_a_url_a_browser_can_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("uvicorn", reason="the web extra is not installed")
    import socket

    import uvicorn

    from themegrid.web import accounts, server

    project = write_project(tmp_path / "study", files={})
    with project.open_store():
        pass
    accounts.add_user(project, "Ana", "a long enough password")
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    monkeypatch.setattr(server, "warm_up", lambda: None)
    monkeypatch.setattr(socket, "gethostname", lambda: "fieldlaptop")
    args = ["serve", "--host", "0.0.0.0", "--port", "8800", "--project", str(project.root)]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    assert "0.0.0.0" not in out.output
    assert "open http://fieldlaptop:8800/login" in out.output
    assert (
        "listening on all interfaces" in out.output and "http://127.0.0.1:8800/login" in out.output
    )


def test_report_says_which_attribute_given_with_by_it_used(bundled_coded: Project) -> None:
    out = CliRunner().invoke(app, ["report", "--by", "state", "--project", str(bundled_coded.root)])
    assert out.exit_code == 0, out.output
    assert "cases by 'state' (as given with --by)" in out.output


def test_a_metadata_typo_in_case_only_finds_that_file_before_a_closer_spelling() -> None:
    from themegrid.read.metadata import closest_path

    files = ["P5.pdf", "interviews/P8_scan.pdf", "interviews/p6.docx"]
    assert closest_path("interviews/p5.PDF", files) == "P5.pdf"
    assert closest_path("interviews/P8_scam.pdf", files) == "interviews/P8_scan.pdf"


@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("2", "2")])
def test_the_command_runs_one_blas_thread_unless_the_user_chose(
    given: str | None, expected: str
) -> None:
    """Many small per-code fits contend for BLAS threads (evaluate 279 s vs 18 s measured)."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given:
        env["OPENBLAS_NUM_THREADS"] = given
    code = (
        "import themegrid.cli, numpy; from threadpoolctl import threadpool_info;"
        "print(sorted({i['num_threads'] for i in threadpool_info() if i['internal_api'] == 'openblas'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == f"[{expected}]"
