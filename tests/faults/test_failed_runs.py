"""A command that fails after its run started: everything it wrote is rolled back, then the
run history records the failed run (command, when, why) in a transaction of its own."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from fault_helpers import cli, human_decisions, reviewed_project

from themegrid import api
from themegrid.pipeline import coding
from themegrid.project import Project
from themegrid.store import Store
from themegrid.store import runs as store_runs


def _dump(store: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(store)
    try:
        rows: list[tuple[object, ...]] = []
        for table in ("documents", "segments", "codings", "coding_history", "codes", "meta"):
            rows += [(table, *r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
        rows += [("runs", *r) for r in conn.execute("SELECT * FROM runs WHERE failed IS NULL")]
        return rows
    finally:
        conn.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reviewed_project(tmp_path_factory.mktemp("failed") / "study").root


@pytest.mark.parametrize("fault", [RuntimeError("injected"), KeyboardInterrupt()])
def test_a_failed_code_run_is_recorded_without_any_of_its_data(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: BaseException
) -> None:
    project = Project(shutil.copytree(base, tmp_path / "study"))
    (project.corpus_dir / "interviews" / "az.txt").write_text(
        "Interviewer: And funding?\nDana: The budget was cut and turnover was high.\n",
        encoding="utf-8",
    )
    before, decisions = _dump(project.store_path), human_decisions(project.store_path)

    def fail(*args: object, **kwargs: object) -> None:
        raise fault

    monkeypatch.setattr(coding, "finish_run", fail)  # the last write of the run
    with pytest.raises(type(fault)):
        api.code(project, use_model=False)
    assert _dump(project.store_path) == before
    assert human_decisions(project.store_path) == decisions
    with Store(project.store_path) as store:
        failed = store_runs.failed_runs(store)
        last = store_runs.latest_run(store)
    assert [(r.command, r.finished_at is not None) for r in failed] == [("code", True)]
    why = (
        "interrupted (Ctrl-C)" if isinstance(fault, KeyboardInterrupt) else "RuntimeError: injected"
    )
    assert failed[0].failed is not None and failed[0].failed.startswith(why)
    assert last is not None and last.id < failed[0].id  # a failed run is never "the last run"
    shown = cli("status", "--project", project.root)
    assert "Failed runs (rolled back, nothing kept): 1" in shown.output
    monkeypatch.undo()
    assert cli("code", "--no-model", "--project", project.root).exit_code == 0


def test_a_failure_before_the_run_started_records_nothing(base: Path, tmp_path: Path) -> None:
    project = Project(shutil.copytree(base, tmp_path / "study"))
    sheet = project.reports_dir / "bad.csv"
    sheet.write_text("nonsense\n", encoding="utf-8")
    assert cli("review", "import", sheet, "--coder", "Ben", "--project", project.root).exit_code
    with Store(project.store_path) as store:
        assert store_runs.failed_runs(store) == []
