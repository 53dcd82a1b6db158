"""CLI behaviour shared by every command: one-line errors, no tracebacks."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from themegrid.cli import app


def test_library_error_is_one_line_on_stderr_with_exit_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["status", "--project", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ") and "nowhere" in lines[0] and "themegrid init" in lines[0]
    assert "Traceback" not in result.output


def test_init_then_check_then_code_in_a_fresh_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    root = tmp_path / "study"
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    check = runner.invoke(app, ["codebook", "check", "--project", str(root), "--strict"])
    assert check.exit_code == 0, check.output
    assert "all codebook tests pass" in check.output
    (root / "corpus" / "a.txt").write_text(
        "Interviewer: What held you back?\nRespondent: The grant money ran out in year two.\n"
        "Interviewer: Anything else?\nRespondent: Turnover among coaches.\n"
    )
    code = runner.invoke(app, ["code", "--project", str(root), "--no-model"])
    assert code.exit_code == 0, code.output
    assert "new suggestions: 2" in code.output
    again = runner.invoke(app, ["code", "--project", str(root), "--no-model"])
    assert "Nothing changed since the last run" in again.output
    assert (root / "themegrid.sqlite").exists()


def test_init_refuses_an_existing_project(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["init", str(tmp_path / "p")])
    result = runner.invoke(app, ["init", str(tmp_path / "p")])
    assert result.exit_code == 1
    assert "already holds a themegrid project" in result.stderr
