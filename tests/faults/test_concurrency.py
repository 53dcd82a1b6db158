"""Two writers: the second says at once whom it waits for, waits a bounded time, fails
clearly with nothing changed; review import validates inside its write transaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fault_helpers import cli, fill_review, human_decisions

from conftest import write_project
from themegrid.errors import StoreBusy, ValidationError
from themegrid.exchange import review
from themegrid.store.connection import Store


def test_the_second_writer_names_the_first_waits_and_fails_changing_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "themegrid.sqlite"
    first = Store(path)
    second = Store(path, busy_timeout=0.3)
    said: list[str] = []
    second.on_wait = said.append  # type: ignore[method-assign]
    with first.transaction():
        first.set_meta("held", "yes")
        with pytest.raises(StoreBusy) as e, second.transaction():
            second.set_meta("second", "wrote")
    assert len(said) == 1 and said[0].startswith("Waiting up to 0 s for '")
    assert "pid" in said[0]
    assert "is still writing" in str(e.value) and "nothing was changed" in str(e.value)
    assert "pid" in str(e.value)
    assert second.get_meta("second") is None and second.get_meta("held") == "yes"
    with second.transaction():  # and once the first is done, the second can write
        second.set_meta("second", "wrote")
    assert not (tmp_path / ".themegrid" / "writer.json").exists()


def test_review_import_validates_inside_its_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 'code' run that removes a segment just before review import takes the write lock:
    the import must see the removal (and refuse), not write decisions on the removed segment."""
    project = write_project(tmp_path / "study")
    assert cli("code", "--no-model", "--project", project.root).exit_code == 0
    sheet = fill_review(project, decision="reject", note="later")
    assert human_decisions(project.store_path) == []
    begin = Store._begin

    def concurrent_code_run(self: Store) -> None:
        other = sqlite3.connect(self.path)
        other.execute("UPDATE segments SET active = 0")
        other.commit()
        other.close()
        begin(self)

    monkeypatch.setattr(Store, "_begin", concurrent_code_run)
    with (
        Store(project.store_path) as store,
        pytest.raises(ValidationError, match="no longer exists"),
    ):
        review.import_review(store, sheet, coder="Ben", codebook=project.load_codebook())
    assert human_decisions(project.store_path) == []
