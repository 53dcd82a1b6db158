"""Review sheets that cannot be confused: a case attribute never takes a column themegrid reads.

Case attributes named like every reserved column (Key, Decision, Add codes, Note; any
case, extra spaces) get their own 'attr: ' columns; ``review import`` reads Key from
column A and the other three by their exact headers, so the attribute values are
never taken for the coder's. On the bundled example (whose metadata has a ``note``
column) a partial review of 200 rows imports with the coder's 200 notes.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from themegrid.errors import InputFileError
from themegrid.exchange.review import ATTRIBUTE_PREFIX, export_review, import_review
from themegrid.pipeline.coding import run_coding
from themegrid.project import Project

# attribute name -> value; each name normalises to a reserved header
RESERVED_LIKE = {
    "key": "abc|barriers.funding",
    " Decision ": "accept",
    "NOTE": "a note from metadata.csv",
    "add  codes": "barriers.staffing",
}


def _project(tmp_path: Path) -> Project:
    from conftest import INTERVIEW_AZ, INTERVIEW_NV, write_project

    names = ",".join(f'"{n}"' for n in RESERVED_LIKE)
    values = ",".join(f'"{v}"' for v in RESERVED_LIKE.values())
    metadata = f"file,state,{names}\n" + "".join(
        f"interviews/{f}.txt,{s},{values}\n" for f, s in (("az", "Arizona"), ("nv", "Nevada"))
    )
    return write_project(
        tmp_path / "p",
        {"interviews/az.txt": INTERVIEW_AZ, "interviews/nv.txt": INTERVIEW_NV},
        metadata,
    )


@pytest.fixture
def exported(tmp_path: Path):
    project = _project(tmp_path)
    codebook = project.load_codebook()
    store = project.open_store()
    run_coding(project, store, codebook, use_model=False)
    out = project.reports_dir / "review.xlsx"
    summary = export_review(store, codebook, out)
    assert summary.rows >= 2
    yield store, codebook, out
    store.close()


def _header(path: Path) -> list[str]:
    return [c.value for c in openpyxl.load_workbook(path)["Review"][1]]


def _humans(store) -> list[tuple]:
    return store.query(
        "SELECT segment_id, code_id, status, note FROM codings WHERE source = 'human'"
    )


def test_attributes_named_like_reserved_columns_get_their_own_prefixed_columns(exported) -> None:
    _store, _codebook, out = exported
    header = _header(out)
    assert header[0] == "Key"
    for reserved in ("Key", "Decision", "Add codes", "Note"):
        assert sum(" ".join(str(h).casefold().split()) == reserved.casefold() for h in header) == 1
    attributes = [h for h in header if str(h).startswith(ATTRIBUTE_PREFIX)]
    assert sorted(attributes) == sorted(
        ATTRIBUTE_PREFIX + n.strip() for n in [*RESERVED_LIKE, "state"]
    )


def test_untouched_sheet_with_a_decision_accept_attribute_records_no_decision(exported) -> None:
    store, codebook, out = exported
    summary = import_review(store, out, coder="Ana", codebook=codebook)
    assert (summary.accepted, summary.rejected, summary.added) == (0, 0, 0)
    assert _humans(store) == []


def test_filled_rows_store_the_coders_notes_not_the_attributes(exported) -> None:
    store, codebook, out = exported
    book = openpyxl.load_workbook(out)
    sheet = book["Review"]
    header = [c.value for c in sheet[1]]
    decision, note = header.index("Decision") + 1, header.index("Note") + 1
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=decision).value = "reject"
        sheet.cell(row=row, column=note).value = f"coder note {row}"
    book.save(out)
    summary = import_review(store, out, coder="Ana", codebook=codebook)
    stored = _humans(store)
    assert summary.rejected == len(stored) == sheet.max_row - 1
    assert {r["status"] for r in stored} == {"rejected"}
    assert sorted(r["note"] for r in stored) == sorted(
        f"coder note {r}" for r in range(2, sheet.max_row + 1)
    )


def test_an_old_sheet_with_two_note_columns_is_refused_naming_them(exported) -> None:
    store, codebook, out = exported
    book = openpyxl.load_workbook(out)
    sheet = book["Review"]
    header = [c.value for c in sheet[1]]
    for i, h in enumerate(header, start=1):  # as themegrid wrote it before 'attr: '
        if str(h).casefold() == (ATTRIBUTE_PREFIX + "note").casefold():
            sheet.cell(row=1, column=i).value = "Note"
    book.save(out)
    with pytest.raises(InputFileError) as err:
        import_review(store, out, coder="Ana", codebook=codebook)
    message = str(err.value)
    assert "\n" not in message and "review.xlsx" in message
    assert "2 columns are headed 'Note'" in message and "rename" in message
    assert _humans(store) == []


def test_key_must_stay_in_column_a(exported) -> None:
    store, codebook, out = exported
    book = openpyxl.load_workbook(out)
    sheet = book["Review"]
    sheet.move_range(f"A1:A{sheet.max_row}", cols=sheet.max_column)
    sheet.delete_cols(1)
    book.save(out)
    with pytest.raises(InputFileError, match="cell A1: must be the header 'Key'"):
        import_review(store, out, coder="Ana", codebook=codebook)


def test_bundled_example_partial_review_of_200_rows_keeps_the_coders_notes(
    bundled_coded: Project,
) -> None:
    project = bundled_coded  # after `themegrid code` without the model
    assert "note" in project.metadata_path.read_text(encoding="utf-8").splitlines()[0]
    codebook = project.load_codebook()
    with project.open_store() as store:
        out = project.reports_dir / "review.xlsx"
        summary = export_review(store, codebook, out)
        assert summary.rows > 200
        book = openpyxl.load_workbook(out)
        sheet = book["Review"]
        header = [c.value for c in sheet[1]]
        assert "attr: note" in header and header.count("Note") == 1
        decision, note = header.index("Decision") + 1, header.index("Note") + 1
        for row in range(2, 202):
            sheet.cell(row=row, column=decision).value = "accept" if row % 2 else "reject"
            sheet.cell(row=row, column=note).value = f"coder's note on row {row}"
        book.save(out)
        result = import_review(store, out, coder="Ana", codebook=codebook)
        assert result.accepted + result.rejected == 200
        notes = [r[0] for r in store.query("SELECT note FROM codings WHERE source = 'human'")]
        assert sorted(notes) == sorted(f"coder's note on row {r}" for r in range(2, 202))
