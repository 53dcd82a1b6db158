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


def _coded_project(tmp_path: Path) -> Path:
    from conftest import write_project

    project = write_project(tmp_path / "p")
    result = CliRunner().invoke(app, ["code", "--project", str(project.root), "--no-model"])
    assert result.exit_code == 0, result.output
    return project.root


def test_export_segments_csv_and_xlsx(tmp_path: Path) -> None:
    import pandas as pd

    root = _coded_project(tmp_path)
    runner = CliRunner()
    for name in ("segs.csv", "segs.xlsx"):
        out = tmp_path / name
        result = runner.invoke(app, ["export", "segments", str(out), "--project", str(root)])
        assert result.exit_code == 0, result.output
        frame = pd.read_csv(out) if name.endswith(".csv") else pd.read_excel(out)
        assert len(frame) == 9  # 5 + 4 turns in the two fixture interviews
        assert {"state", "role", "speaker", "is_interviewer", "start", "end", "text"} <= set(
            frame.columns
        )
        assert set(frame["state"]) == {"Arizona", "Nevada"}
        assert frame["is_interviewer"].sum() == 4
        text = (root / "corpus" / "interviews" / "az.txt").read_text()
        for _, row in frame[frame["document"] == "interviews/az.txt"].iterrows():
            assert text[row["start"] : row["end"]] == row["text"]
    bad = runner.invoke(
        app, ["export", "segments", str(tmp_path / "x.json"), "--project", str(root)]
    )
    assert bad.exit_code == 1 and "use a .csv or .xlsx" in bad.stderr


def test_status_reports_counts_and_orphans(tmp_path: Path) -> None:
    import json

    root = _coded_project(tmp_path)
    result = CliRunner().invoke(app, ["status", "--project", str(root), "--json"])
    assert result.exit_code == 0
    info = json.loads(result.output)
    assert info["documents"] == {"present": 2, "missing": 0, "words": info["documents"]["words"]}
    assert info["segments"]["active"] == 9
    assert info["runs"] == 1 and info["last_run"]["command"] == "code"
    assert info["orphaned"] == []
    table = CliRunner().invoke(app, ["status", "--project", str(root)])
    assert "Documents: 2 present" in table.output


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "themegrid", "--help"], capture_output=True, text=True, check=True
    )
    assert "codebook" in out.stdout and "report" in out.stdout


def test_report_roll_up_is_configurable(tmp_path: Path) -> None:
    import openpyxl

    root = _coded_project(tmp_path)
    runner = CliRunner()
    values = {}
    for flag in ([], ["--no-roll-up"]):
        out = tmp_path / f"wb{len(flag)}.xlsx"
        result = runner.invoke(app, ["report", "--project", str(root), "--out", str(out), *flag])
        assert result.exit_code == 0, result.output
        rows = list(
            openpyxl.load_workbook(out, read_only=True)["Matrix"].iter_rows(values_only=True)
        )
        values[len(flag)] = {r[0]: r[2:-1] for r in rows[1:] if r and r[0]}
    # The template codebook's only parent, 'barriers', is never coded directly.
    assert sum(values[0]["barriers"]) > 0
    assert sum(v or 0 for v in values[1]["barriers"]) == 0
    assert values[0]["barriers.funding"] == values[1]["barriers.funding"]


def test_report_before_code_says_what_to_do_and_creates_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    root = tmp_path / "p"
    runner.invoke(app, ["init", str(root)])
    result = runner.invoke(app, ["report", "--project", str(root)])
    assert result.exit_code == 1 and "run 'themegrid code' first" in result.stderr
    assert not (root / "themegrid.sqlite").exists()


def test_text_with_brackets_is_printed_as_written(tmp_path: Path) -> None:
    """Transcript conventions like [inaudible] must not be read as terminal markup."""
    runner = CliRunner()
    root = tmp_path / "p"
    runner.invoke(app, ["init", str(root)])
    cb = root / "codebook" / "codebook.yaml"
    cb.write_text(
        cb.read_text()
        .replace("name: My study codebook", 'name: "Retention [pilot] [/draft]"')
        .replace(
            '- "We could not find enough substitute',
            '- "[crosstalk] We could not find enough substitute',
        )
        .replace("lemmas: [substitute teacher, turnover", "lemmas: [turnover")
    )
    (root / "corpus" / "a.txt").write_text(
        "Interviewer: Hi.\nRespondent: The grant money ran out [/inaudible].\n"
    )
    check = runner.invoke(app, ["codebook", "check", "--project", str(root)])
    assert check.exit_code == 0, check.output
    assert "missed example barriers.staffing: [crosstalk] We could not find" in check.output
    for command in (["code", "--no-model"], ["status"]):
        result = runner.invoke(app, [*command, "--project", str(root)])
        assert result.exit_code == 0, result.output
        assert "Retention [pilot] [/draft]" in result.output


def test_init_writes_the_codebook_format_guide_identical_to_the_repository_one(
    tmp_path: Path,
) -> None:
    root = tmp_path / "p"
    CliRunner().invoke(app, ["init", str(root)])
    repo_guide = Path(__file__).resolve().parents[1] / "codebook" / "README.md"
    assert (root / "codebook" / "README.md").read_text() == repo_guide.read_text()


def test_code_with_an_invalid_codebook_touches_nothing(tmp_path: Path) -> None:
    import sqlite3

    root = _coded_project(tmp_path)
    (root / "corpus" / "interviews" / "new.txt").write_text(
        "Respondent: the grant money ran out.\n"
    )
    before = list(sqlite3.connect(root / "themegrid.sqlite").iterdump())
    cb = root / "codebook" / "codebook.yaml"
    cb.write_text(
        cb.read_text().replace("definition: Talk about money", "defintion: Talk about money")
    )
    result = CliRunner().invoke(app, ["code", "--project", str(root)])
    assert result.exit_code == 1
    assert "unknown key 'defintion'; did you mean 'definition'?" in result.stderr
    assert list(sqlite3.connect(root / "themegrid.sqlite").iterdump()) == before


def test_report_can_count_one_coders_decisions(tmp_path: Path) -> None:
    import openpyxl

    from themegrid.store.connection import Store

    root = _coded_project(tmp_path)
    store = Store(root / "themegrid.sqlite")
    seg = store.scalar("SELECT id FROM segments WHERE text = 'The funding cuts were hard on us.'")
    with store.transaction():
        for coder, status, when in (
            ("ana", "accepted", "2026-01-01"),
            ("ben", "rejected", "2026-02-01"),
        ):
            store.execute(
                "INSERT INTO codings (segment_id, code_id, source, coder, status, reason, created_at,"
                " updated_at) VALUES (?, 'barriers.funding', 'human', ?, ?, '', ?, ?)",
                (seg, coder, status, when, when),
            )
    store.close()
    runner = CliRunner()

    def nevada_funding(*extra: str) -> int:
        out = tmp_path / "wb.xlsx"
        result = runner.invoke(
            app, ["report", "--project", str(root), "--out", str(out), "--accepted-only", *extra]
        )
        assert result.exit_code == 0, result.output
        rows = list(
            openpyxl.load_workbook(out, read_only=True)["Matrix"].iter_rows(values_only=True)
        )
        column = rows[0].index("Nevada")
        return next(r[column] for r in rows if r and r[0] == "barriers.funding") or 0

    assert nevada_funding() == 0  # ben's later rejection is the latest decision
    assert nevada_funding("--coder", "ana") == 1
    assert nevada_funding("--coder", "ben") == 0
    bad = runner.invoke(app, ["report", "--project", str(root), "--coder", "zoe"])
    assert (
        bad.exit_code == 1
        and "no human decisions by 'zoe'; coders in this project: ana, ben" in bad.stderr
    )


def test_review_export_before_code_and_with_nothing_pending(tmp_path: Path) -> None:
    runner = CliRunner()
    root = tmp_path / "p"
    runner.invoke(app, ["init", str(root)])
    early = runner.invoke(app, ["review", "export", "--project", str(root)])
    assert early.exit_code == 1 and "run 'themegrid code' first" in early.stderr
    assert not (root / "themegrid.sqlite").exists()
    (root / "corpus" / "a.txt").write_text("Interviewer: Hi.\nRespondent: Nothing to report.\n")
    runner.invoke(app, ["code", "--project", str(root), "--no-model"])
    empty = runner.invoke(app, ["review", "export", "--project", str(root)])
    assert empty.exit_code == 0 and "no suggestion awaits a decision" in empty.output


def test_the_model_table_leaves_out_columns_with_nothing_to_say(bundled_coded) -> None:
    """Before any human decision every code's precision, recall and threshold are empty and
    every code shares one reason: those columns are not printed (63 rows of them wrapped
    to three lines each in an 80-column terminal); the reason is said once."""
    from factories import add_coding
    from themegrid.store import Store

    runner = CliRunner()
    root = str(bundled_coded.root)

    def header(out: str) -> str:
        return next(line for line in out.splitlines() if line.startswith("┃ code"))

    out = runner.invoke(app, ["code", "--project", root], env={"COLUMNS": "80"}).stdout
    assert "model" in header(out) and "awaiting review" in header(out)
    assert "precision" not in header(out) and "recall" not in header(out)
    assert "Every code's model: 0 of 10 positive decisions." in out
    assert "Every suggestion awaiting review comes from the rules (cues)." in out
    with Store(bundled_coded.store_path) as store:
        seg = store.scalar("SELECT segment_id FROM codings ORDER BY segment_id LIMIT 1")
        add_coding(store, seg, "policy.pilot", source="human", coder="Ana", status="accepted")
    out = runner.invoke(app, ["code", "--project", root], env={"COLUMNS": "80"}).stdout
    assert "Every code's model" not in out  # reasons differ now: one per row
    assert "why" in header(out)


def test_status_lists_the_run_history(bundled_coded) -> None:
    """'codebook unmerge' says to find a merge run's id with 'themegrid status': it lists the
    runs, newest first, with what each did; --runs N shows the latest N."""
    runner = CliRunner()
    root = str(bundled_coded.root)
    for _ in range(2):
        assert runner.invoke(app, ["code", "--project", root, "--no-model"]).exit_code == 0
    out = runner.invoke(app, ["status", "--project", root], env={"COLUMNS": "200"}).stdout
    assert "Run history (all 3)" in out
    rows = [line for line in out.splitlines() if line.startswith("│ ")][-3:]
    assert [r.split("│")[1].strip() for r in rows] == ["3", "2", "1"]
    assert "segments tagged" in rows[-1]
    short = runner.invoke(app, ["status", "--project", root, "--runs", "2"], env={"COLUMNS": "200"})
    assert "Run history (the latest 2 of 3; 'themegrid status --runs 0' lists all)" in short.stdout
