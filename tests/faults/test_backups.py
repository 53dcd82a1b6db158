"""Automatic backups before commands that change human decisions, rotation, and restore."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_helpers import cli, fill_review, human_decisions, integrity, reviewed_project

from themegrid.store.backup import plan_restore
from themegrid.store.connection import list_backups


def test_review_import_backs_up_the_store_as_it_was_before(tmp_path: Path) -> None:
    project = reviewed_project(tmp_path / "study")
    [first] = list_backups(project.store_path)
    assert integrity(first) == "ok"
    assert human_decisions(first) == []  # taken before Ana's decisions were written
    ana = human_decisions(project.store_path)
    assert ana
    sheet = fill_review(project, decision="reject", note="second look")
    assert (
        cli("review", "import", sheet, "--coder", "Ben", "--project", project.root).exit_code == 0
    )
    second = list_backups(project.store_path)[-1]
    assert human_decisions(second) == ana


def test_import_coded_and_refi_imports_back_up_first(tmp_path: Path) -> None:
    project = reviewed_project(tmp_path / "study")
    n = len(list_backups(project.store_path))
    sheet = tmp_path / "coded.csv"
    sheet.write_text("Text,Code\nThe budget was cut.,barriers.funding\n", encoding="utf-8")
    done = cli("import-coded", sheet, "--coder", "Cy", "--project", project.root)
    assert done.exit_code == 0, done.output
    assert len(list_backups(project.store_path)) == n + 1
    qdpx = tmp_path / "p.qdpx"
    assert cli("export", "qdpx", qdpx, "--project", project.root).exit_code == 0
    other = reviewed_project(tmp_path / "other")
    m = len(list_backups(other.store_path))
    imported = cli("import", "qdpx", qdpx, "--coder-prefix", "x-", "--project", other.root)
    assert imported.exit_code == 0, imported.output
    assert len(list_backups(other.store_path)) == m + 1


def test_rotation_keeps_the_newest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEMEGRID_KEEP_BACKUPS", "3")
    project = reviewed_project(tmp_path / "study")
    sheet = project.reports_dir / "review.xlsx"
    made = []
    for coder in ("B", "C", "D", "E"):
        assert (
            cli("review", "import", sheet, "--coder", coder, "--project", project.root).exit_code
            == 0
        )
        made.append(list_backups(project.store_path)[-1])
    kept = list_backups(project.store_path)
    assert kept == made[-3:]


def test_restore_names_what_is_lost_and_asks(tmp_path: Path) -> None:
    project = reviewed_project(tmp_path / "study")
    [before_ana] = list_backups(project.store_path)
    ana = human_decisions(project.store_path)
    lost = sum(1 for r in ana if r[0] == "h")
    refused = restore_with_answer(project, before_ana, "n\n")
    assert refused.exit_code == 1
    assert f"loses {lost} human decision(s)" in refused.output and "by Ana" in refused.output
    assert "Nothing was changed" in refused.output
    assert human_decisions(project.store_path) == ana
    done = cli("restore", before_ana.name, "--yes", "--project", project.root)
    assert done.exit_code == 0, done.output
    assert human_decisions(project.store_path) == []
    assert integrity(project.store_path) == "ok"
    # the store as it was was backed up first: restoring that brings Ana's decisions back
    newest = list_backups(project.store_path)[-1]
    plan = plan_restore(project.store_path, newest)
    assert plan.decisions_lost == 0 and plan.decisions_in_backup == lost
    assert cli("restore", newest, "--yes", "--project", project.root).exit_code == 0
    assert human_decisions(project.store_path) == ana
    assert cli("status", "--project", project.root).exit_code == 0


def test_restore_over_a_damaged_store_keeps_the_damaged_file(tmp_path: Path) -> None:
    project = reviewed_project(tmp_path / "study")
    sheet = project.reports_dir / "review.xlsx"
    assert (
        cli("review", "import", sheet, "--coder", "Ben", "--project", project.root).exit_code == 0
    )
    newest = list_backups(project.store_path)[-1]
    kept = human_decisions(newest)
    project.store_path.write_bytes(b"garbage" * 1000)
    for side in ("-wal", "-shm"):
        Path(f"{project.store_path}{side}").unlink(missing_ok=True)
    done = cli("restore", newest.name, "--yes", "--project", project.root)
    assert done.exit_code == 0, done.output
    assert "cannot be read" in done.output
    assert human_decisions(project.store_path) == kept
    assert list(project.root.glob("themegrid.sqlite.damaged-*"))


def test_a_backup_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    project = reviewed_project(tmp_path / "study")
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_bytes(b"nope" * 100)
    result = cli("restore", bogus, "--yes", "--project", project.root)
    assert result.exit_code == 1 and "not an SQLite database" in result.output
    assert human_decisions(project.store_path)


def restore_with_answer(project, backup: Path, answer: str):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from themegrid.cli import app

    return CliRunner().invoke(
        app, ["restore", str(backup), "--project", str(project.root)], input=answer
    )


def test_a_killed_backups_partial_copy_is_removed_by_the_next_backup(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from themegrid.store.backup import backup_before
    from themegrid.store.connection import Store, backups_dir

    path = tmp_path / "themegrid.sqlite"
    folder = backups_dir(path)
    folder.mkdir(parents=True)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = folder / f".20260101T000000000000Z-review-import.sqlite.{gone.stdout.strip()}.partial"
    live = folder / f".20260101T000000000001Z-import-coded.sqlite.{os.getppid()}.partial"
    for part in (dead, live):
        part.write_bytes(b"half a copy")
    with Store(path) as store:
        made = backup_before(store, "review import")
    assert made is not None and made.exists()
    assert not dead.exists()  # its process was killed: the half copy goes
    assert live.exists()  # another command still writing its copy keeps it


def test_a_merge_backs_up_first_and_a_restore_does_not_call_its_moves_decisions(
    tmp_path: Path,
) -> None:
    """A codebook merge changes human codings: the store is backed up before it (it was
    not). Restoring that backup undoes the merge; the confirmation counts no human
    decision lost and names the merge's changes apart (it said '38 decisions by A, B')."""
    project = reviewed_project(tmp_path / "study")
    n = len(list_backups(project.store_path))
    merged = cli(
        "codebook",
        "merge",
        "barriers.staffing",
        "--into",
        "barriers.funding",
        "--project",
        project.root,
    )
    assert merged.exit_code == 0, merged.output
    backups = list_backups(project.store_path)
    assert len(backups) == n + 1 and "codebook-merge" in backups[-1].name
    plan = plan_restore(project.store_path, backups[-1])
    assert plan.decisions_lost == 0 and plan.coders_lost == ()
    assert plan.merge_changes > 0
    assert "change(s) to human codings by codebook merge or unmerge" in plan.warning()
