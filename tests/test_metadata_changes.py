"""Case attributes follow metadata.csv for files that did not change: a new value is
applied, and a blanked cell or a deleted column removes the attribute; attributes
metadata.csv never gave (a transcript's own header) stay."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import INTERVIEW_AZ, INTERVIEW_NV, write_project
from themegrid.pipeline.ingest import ingest
from themegrid.project import Project
from themegrid.store.connection import Store

FILES = {
    "az.txt": "---\ninterviewer: Dana\nsite: Phoenix\n---\n" + INTERVIEW_AZ,
    "nv.txt": INTERVIEW_NV,
}


def attributes(project: Project) -> dict[str, dict[str, str]]:
    with Store(project.store_path) as store:
        rows = store.query("SELECT path, attributes FROM documents")
    return {r["path"]: json.loads(r["attributes"]) for r in rows}


def run(project: Project, metadata: str) -> list[tuple[str, str, str]]:
    project.metadata_path.write_text(metadata, encoding="utf-8")
    with Store(project.store_path) as store:
        summary = ingest(project, store)
    return [(o.path, o.action, o.message) for o in summary.outcomes]


def test_blank_cells_and_deleted_columns_remove_attributes(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study", FILES, "file\n")
    run(
        project,
        "file,state,district,role\naz.txt,Arizona,North,teacher\nnv.txt,Nevada,South,aide\n",
    )
    before = attributes(project)
    assert before["az.txt"]["district"] == "North" and before["az.txt"]["site"] == "Phoenix"

    outcomes = run(
        project, "file,state,district,role\naz.txt,,North,teacher\nnv.txt,Nevada,South,aide\n"
    )
    after = attributes(project)
    assert "state" not in after["az.txt"]
    assert after["nv.txt"] == before["nv.txt"]
    assert (
        "az.txt",
        "attributes",
        "case attributes updated from metadata.csv (removed: state)",
    ) in outcomes

    run(project, "file,state,role\naz.txt,Arizona,teacher\nnv.txt,Nevada,principal\n")
    after = attributes(project)
    assert "district" not in after["az.txt"] and "district" not in after["nv.txt"]
    assert after["az.txt"]["state"] == "Arizona" and after["nv.txt"]["role"] == "principal"
    assert after["az.txt"]["site"] == "Phoenix"  # from the transcript's header, not metadata.csv


def test_an_unchanged_metadata_file_changes_nothing(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study", FILES, "file\n")
    meta = "file,state\naz.txt,Arizona\nnv.txt,Nevada\n"
    run(project, meta)
    outcomes = run(project, meta)
    assert {action for _, action, _ in outcomes} == {"unchanged"}


def test_a_file_without_a_row_keeps_its_attributes_and_one_warning_lists_them(
    tmp_path: Path,
) -> None:
    files = {f"t{i}.txt": INTERVIEW_NV for i in range(8)}
    project = write_project(tmp_path / "study", files, "file\n")
    rows = "".join(f"t{i}.txt,Nevada\n" for i in range(8))
    run(project, "file,state\n" + rows)
    project.metadata_path.write_text("file,state\nt0.txt,Nevada\n", encoding="utf-8")
    with Store(project.store_path) as store:
        summary = ingest(project, store)
    assert all(a["state"] == "Nevada" for a in attributes(project).values())
    rowless = [w for w in summary.warnings if "no row in corpus/metadata.csv" in w]
    assert len(rowless) == 1 and "and 2 more" in rowless[0] and "corpus/t1.txt" in rowless[0]


def test_a_file_name_saved_on_a_mac_meets_its_row_typed_elsewhere(tmp_path: Path) -> None:
    """macOS names files in decomposed Unicode (e + a combining accent); Excel on Windows
    types the row composed: two strings that look the same."""
    import unicodedata

    name = "Jonés notes Zoë.txt"
    decomposed = unicodedata.normalize("NFD", name)
    assert decomposed != name
    project = write_project(tmp_path / "study", {decomposed: INTERVIEW_AZ}, "file\n")
    outcomes = run(project, f"file,state\n{name},Ohio\n")
    assert attributes(project) == {name: {"state": "Ohio"}}
    assert not [o for o in outcomes if "metadata.csv" in o[2]]
    again = run(project, f"file,state\n{name},Ohio\n")  # the file read again: the same one
    assert [(o[0], o[1]) for o in again] == [(name, "unchanged")], again
    # and the other way round: a decomposed row for a composed file name
    other = write_project(tmp_path / "other", {name: INTERVIEW_AZ}, "file\n")
    run(other, f"file,state\n{decomposed},Ohio\n")
    assert attributes(other) == {name: {"state": "Ohio"}}


def test_a_metadata_sheet_saved_as_xlsx_is_not_a_survey_to_code(tmp_path: Path) -> None:
    import openpyxl

    project = write_project(tmp_path / "study", {"az.txt": INTERVIEW_AZ}, "file\n")
    project.metadata_path.unlink()
    book = openpyxl.Workbook()
    book.active.append(["file", "state"])
    book.active.append(["az.txt", "Arizona"])
    book.save(project.corpus_dir / "Metadata.xlsx")
    with Store(project.store_path) as store:
        summary = ingest(project, store)
        paths = [r[0] for r in store.query("SELECT path FROM documents")]
    assert paths == ["az.txt"]
    warned = [w for w in summary.warnings if w.startswith("corpus/Metadata.xlsx: skipped")]
    assert warned and "save this sheet as CSV" in warned[0] and "metadata.csv" in warned[0]
