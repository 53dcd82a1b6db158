"""Review sheets: export pending suggestions, import a coder's decisions (all or nothing)."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from factories import add_coding, add_document
from themegrid.cli import app
from themegrid.codebook import Codebook, load_codebook
from themegrid.errors import InputFileError, ValidationError
from themegrid.exchange.coded import InvalidCoder
from themegrid.exchange.review import (
    export_review,
    import_review,
    pending_suggestions,
    review_order,
)
from themegrid.store.connection import Store
from themegrid.tag.tagger import RuleTagger

CODEBOOK = """\
codebook:
  name: Review test
  version: "1"
codes:
  - id: barriers
    name: Barriers
    codable: false
    children:
      - id: barriers.funding
        name: Funding constraints
        definition: Money limits.
        cues: {lemmas: [budget, grant money]}
      - id: barriers.staffing
        name: Staffing shortages
        definition: Too few people.
        cues: {lemmas: [turnover, substitute teacher]}
  - id: vision
    name: State vision
    codable: false
    children:
      - id: vision.flexibility
        name: Flexibility
        definition: Room to do things differently.
        cues: {lemmas: [flexibility, waiver]}
"""

TURNS_AZ = [
    ("Interviewer", "What got in the way?"),
    ("Ana", "The budget was cut and turnover among coaches was high."),
    ("Interviewer", "And the state?"),
    ("Ana", "The seat-time waiver gave us flexibility, but the grant money ran out."),
]
TURNS_NV = [
    ("Interviewer", "Tell me about staffing."),
    ("Ben", "We never had a substitute teacher, and the budget was thin."),
    ("Ben", "A waiver helped."),
]


@pytest.fixture(scope="module")
def codebook(tmp_path_factory: pytest.TempPathFactory) -> Codebook:
    path = tmp_path_factory.mktemp("cb") / "codebook.yaml"
    path.write_text(CODEBOOK, encoding="utf-8")
    return load_codebook(path)


@pytest.fixture(scope="module")
def tagger(codebook: Codebook) -> RuleTagger:
    return RuleTagger(codebook)


def build(store: Store, tagger: RuleTagger) -> int:
    """Two interviews, tagged by the rules; returns the number of suggestions stored."""
    n = 0
    for path, turns, state in (("az.txt", TURNS_AZ, "AZ"), ("nv.txt", TURNS_NV, "NV")):
        ids = add_document(store, path, turns, {"state": state, "role": "teacher"})
        for seg, (_, text) in zip(ids, turns, strict=True):
            for s in tagger.tag(text):
                add_coding(store, seg, s.code_id, confidence=s.score, reason=s.reason)
                n += 1
    return n


def error_text(result: Result) -> str:
    """The one-line error the CLI printed (or raised, with typer's vendored click)."""
    return result.stderr + (str(result.exception) if result.exception else "")


def counts(store: Store) -> dict[str, int]:
    tables = ("codings", "coding_history", "segment_views", "runs")
    return {t: store.scalar(f"SELECT COUNT(*) FROM {t}") for t in tables}


def read_sheet(path: Path) -> tuple[openpyxl.Workbook, dict[str, int], list[tuple]]:
    book = openpyxl.load_workbook(path)
    sheet = book["Review"]
    header = {c.value: c.column for c in sheet[1]}
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    return book, header, rows


def fill(path: Path, decisions: dict[int, dict[str, str]]) -> None:
    """decisions: sheet row number -> {column header: value}."""
    book = openpyxl.load_workbook(path)
    sheet = book["Review"]
    header = {c.value: c.column for c in sheet[1]}
    for row, values in decisions.items():
        for column, value in values.items():
            sheet.cell(row=row, column=header[column]).value = value
    book.save(path)


def human(store: Store, coder: str) -> dict[tuple[str, str], tuple[str, str, str]]:
    rows = store.query(
        "SELECT segment_id, code_id, status, reason, note FROM codings WHERE source = 'human' AND coder = ?",
        (coder,),
    )
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}


@pytest.fixture
def store(tagger: RuleTagger) -> Store:
    s = Store(":memory:")
    assert build(s, tagger) >= 6
    return s


def test_export_has_one_row_per_pending_suggestion(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    out = tmp_path / "reports" / "review.xlsx"
    summary = export_review(store, codebook, out)
    pending = store.scalar(
        "SELECT COUNT(*) FROM codings WHERE source = 'rule' AND status = 'suggested'"
    )
    assert summary.rows == summary.pending == pending
    book, header, rows = read_sheet(out)
    assert {"Key", "Document", "attr: state", "attr: role", "Speaker", "Before", "Text", "After", "Code", "Code name",
            "Source", "Confidence", "Reason", "Decision", "Add codes", "Note"} <= set(header)  # fmt: skip
    assert len(rows) == pending
    assert book["Review"].freeze_panes == "B2"
    validations = book["Review"].data_validations.dataValidation
    assert any("accept,reject" in (v.formula1 or "") for v in validations)
    codes_sheet = [r[0] for r in book["Codes"].iter_rows(min_row=2, values_only=True)]
    assert sorted(codes_sheet) == sorted(c.id for c in codebook.codable)
    assert "How to review" in book.sheetnames
    # context: the turn before a segment is the previous turn of the same document
    for row in rows:
        if row[header["Text"] - 1] == TURNS_AZ[1][1]:
            assert row[header["Before"] - 1] == "Interviewer: " + TURNS_AZ[0][1]
            assert row[header["After"] - 1] == "Interviewer: " + TURNS_AZ[2][1]


def test_round_trip_accept_reject_add(store: Store, codebook: Codebook, tmp_path: Path) -> None:
    out = tmp_path / "review.xlsx"
    export_review(store, codebook, out)
    _, header, rows = read_sheet(out)
    key = header["Key"] - 1
    keys = [r[key].split("|") for r in rows]
    fill(
        out,
        {
            2: {"Decision": "accept"},
            3: {"Decision": "Reject", "Note": "only in passing"},
            4: {"Add codes": "vision.flexibility; Staffing shortages", "Note": "missed"},
        },
    )
    before = counts(store)
    summary = import_review(store, out, coder="Ana Ruiz", codebook=codebook)
    got = human(store, "Ana Ruiz")
    assert got[tuple(keys[0])][0] == "accepted"
    assert got[tuple(keys[1])] == ("rejected", "rejected in review", "only in passing")
    seg3 = keys[2][0]
    added = {c for c in ("vision.flexibility", "barriers.staffing") if c != keys[2][1]}
    for code in added:
        assert got[(seg3, code)] == ("accepted", "added in review", "missed")
    self_added = int(keys[2][1] in ("vision.flexibility", "barriers.staffing"))
    expected = (1 + self_added, 1, len(added), 0)
    assert (summary.accepted, summary.rejected, summary.added, summary.unchanged) == expected
    views = {
        r[0] for r in store.query("SELECT segment_id FROM segment_views WHERE coder = 'Ana Ruiz'")
    }
    assert views == {keys[0][0], keys[1][0], seg3}
    run = store.query("SELECT command, summary FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert run["command"] == "review import"
    assert json.loads(run["summary"])["accepted"] == summary.accepted
    # decided suggestions are no longer pending
    left = {(i.segment_id, i.code_id) for i in pending_suggestions(store, codebook)}
    assert tuple(keys[0]) not in left and tuple(keys[1]) not in left
    # re-import: nothing changes
    middle = counts(store)
    assert middle["codings"] == before["codings"] + 2 + len(added) + self_added
    again = import_review(store, out, coder="Ana Ruiz", codebook=codebook)
    assert (again.accepted, again.rejected, again.added) == (0, 0, 0)
    assert again.unchanged == 2 + len(added) + self_added
    after = counts(store)
    assert after["codings"] == middle["codings"]
    assert after["coding_history"] == middle["coding_history"]
    assert after["segment_views"] == middle["segment_views"]


def test_later_decision_replaces_earlier_and_keeps_history(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    out = tmp_path / "review.xlsx"
    export_review(store, codebook, out)
    _, header, rows = read_sheet(out)
    seg, code = rows[0][header["Key"] - 1].split("|")
    fill(out, {2: {"Decision": "accept"}})
    import_review(store, out, coder="Ana", codebook=codebook)
    fill(out, {2: {"Decision": "reject"}})
    summary = import_review(store, out, coder="Ana", codebook=codebook)
    assert summary.rejected == 1
    rows = store.query(
        "SELECT id, status FROM codings WHERE segment_id = ? AND code_id = ? AND source = 'human'",
        (seg, code),
    )
    assert [r["status"] for r in rows] == ["rejected"]
    history = store.query(
        "SELECT status FROM coding_history WHERE coding_id = ? ORDER BY id", (rows[0]["id"],)
    )
    assert [h["status"] for h in history] == ["accepted", "rejected"]


def test_two_coders_keep_separate_rows(store: Store, codebook: Codebook, tmp_path: Path) -> None:
    out = tmp_path / "review.xlsx"
    export_review(store, codebook, out)
    fill(out, {2: {"Decision": "accept"}})
    import_review(store, out, coder="Ana", codebook=codebook)
    fill(out, {2: {"Decision": "reject"}})
    import_review(store, out, coder="Ben", codebook=codebook)
    assert [v[0] for v in human(store, "Ana").values()] == ["accepted"]
    assert [v[0] for v in human(store, "Ben").values()] == ["rejected"]


@pytest.mark.parametrize(
    ("cells", "column", "fragment"),
    [
        (
            {"Decision": "acept"},
            "Decision",
            "'acept' is not allowed; did you mean 'accept'? use accept or reject (or leave blank)",
        ),
        ({"Decision": "rejcted"}, "Decision", "did you mean 'reject'?"),
        ({"Decision": "maybe"}, "Decision", "'maybe' is not allowed; use accept or reject"),
        ({"Add codes": "no.such.code"}, "Add codes", "'no.such.code'"),
        ({"Add codes": "barriers.fundng"}, "Add codes", "did you mean 'barriers.funding'?"),
        ({"Add codes": "Barriers"}, "Add codes", "grouping"),
        (
            {"Add codes": "barriers.funding, barriers.staffing"},
            "Add codes",
            "separate several codes with ';'",
        ),
        ({"Key": None, "Decision": "accept"}, "Key", "missing"),
        ({"Key": "deadbeef|barriers.funding", "Decision": "accept"}, "Key", "no longer exists"),
        ({"Note": "hmm"}, "Note", "needs a Decision"),
    ],
)
def test_one_bad_cell_applies_nothing(
    store: Store, codebook: Codebook, tmp_path: Path, cells: dict, column: str, fragment: str
) -> None:
    out = tmp_path / "review.xlsx"
    export_review(store, codebook, out)
    fill(out, {2: {"Decision": "accept"}, 4: {"Decision": "reject"}, 3: cells})
    before = counts(store)
    with pytest.raises(ValidationError) as err:
        import_review(store, out, coder="Ana", codebook=codebook)
    message = str(err.value)
    assert f"sheet Review, row 3, column {column}: " in message
    assert fragment in message
    assert "nothing was applied" in message and str(out) in message
    assert counts(store) == before


def test_blank_rows_are_not_views(store: Store, codebook: Codebook, tmp_path: Path) -> None:
    out = tmp_path / "review.xlsx"
    export_review(store, codebook, out)
    summary = import_review(store, out, coder="Ana", codebook=codebook)
    assert summary.views_added == 0
    assert store.scalar("SELECT COUNT(*) FROM segment_views") == 0
    assert store.scalar("SELECT COUNT(*) FROM codings WHERE source = 'human'") == 0


@pytest.mark.parametrize("coder", ["", "   ", "themegrid:rules", "ThemeGrid:me"])
def test_bad_coder_name(store: Store, codebook: Codebook, tmp_path: Path, coder: str) -> None:
    out = tmp_path / "review.xlsx"
    export_review(store, codebook, out)
    fill(out, {2: {"Decision": "accept"}})
    before = counts(store)
    with pytest.raises(InvalidCoder, match="--coder"):
        import_review(store, out, coder=coder, codebook=codebook)
    assert counts(store) == before


def test_not_a_workbook(store: Store, codebook: Codebook, tmp_path: Path) -> None:
    bad = tmp_path / "review.xlsx"
    bad.write_text("Key,Decision\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        import_review(store, bad, coder="Ana", codebook=codebook)
    assert str(err.value).startswith(str(bad)) and "\n" not in str(err.value)


def test_workbook_without_review_sheet(store: Store, codebook: Codebook, tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(InputFileError, match="no sheet named 'Review'"):
        import_review(store, path, coder="Ana", codebook=codebook)


def test_export_to_open_file_limit_and_code_filter(store: Store, codebook: Codebook) -> None:
    buffer = io.BytesIO()
    summary = export_review(store, codebook, buffer, limit=2, codes=["barriers.funding"])
    assert summary.path is None and summary.rows == 2
    buffer.seek(0)
    sheet = openpyxl.load_workbook(buffer)["Review"]
    header = [c.value for c in sheet[1]]
    codes = [r[header.index("Code")] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert codes == ["barriers.funding", "barriers.funding"]
    with pytest.raises(ValidationError, match="--code nope"):
        export_review(store, codebook, io.BytesIO(), codes=["nope"])


def test_order_least_certain_first_round_robin(codebook: Codebook) -> None:
    s = Store(":memory:")
    conf = {"barriers.funding": [0.9, 0.5, 0.75], "vision.flexibility": [0.6, 0.95, 0.55]}
    for state in ("AZ", "NV"):
        ids = add_document(
            s, f"{state}.txt", [(None, f"turn {i} in {state}") for i in range(3)], {"state": state}
        )
        for code, values in conf.items():
            for seg, c in zip(ids, values, strict=True):
                add_coding(s, seg, code, confidence=c + (0.01 if state == "NV" else 0))
    order = review_order(pending_suggestions(s, codebook))
    assert len(order) == 12
    # first round: each code's least certain suggestion, least certain first
    assert [(i.code_id, i.confidence) for i in order[:2]] == [
        ("barriers.funding", 0.5),
        ("vision.flexibility", 0.55),
    ]
    # within a code, cases alternate before a case repeats
    funding = [i.case for i in order if i.code_id == "barriers.funding"]
    assert funding[:2] in (["AZ", "NV"], ["NV", "AZ"])
    assert all(a != b for a, b in itertools.pairwise(funding))
    # codes alternate in the first rounds
    assert {i.code_id for i in order[:2]} == set(conf)
    by_segment = review_order(pending_suggestions(s, codebook), by_segment=True)
    assert [(i.document, i.seq) for i in by_segment] == sorted(
        (i.document, i.seq) for i in by_segment
    )


def test_cli_round_trip(tmp_path: Path, tagger: RuleTagger) -> None:
    runner = CliRunner()
    root = tmp_path / "proj"
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    (root / "codebook" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    with Store(root / "themegrid.sqlite") as s:
        build(s, tagger)
    result = runner.invoke(app, ["review", "export", "--project", str(root)])
    assert result.exit_code == 0, result.output
    sheet = root / "reports" / "review.xlsx"
    assert sheet.exists() and "pending suggestion" in result.output
    fill(sheet, {2: {"Decision": "accept"}, 3: {"Decision": "reject"}})
    result = runner.invoke(
        app, ["review", "import", str(sheet), "--coder", "Ana", "--project", str(root)]
    )
    assert result.exit_code == 0, result.output
    assert "1 accepted, 1 rejected, 0 added, 0 unchanged" in result.output
    fill(sheet, {2: {"Decision": "acept"}})
    result = runner.invoke(
        app, ["review", "import", str(sheet), "--coder", "Ana", "--project", str(root)]
    )
    assert result.exit_code == 1
    assert "sheet Review, row 2, column Decision: 'acept' is not allowed" in error_text(result)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    result = runner.invoke(
        app, ["review", "import", str(bad), "--coder", "Ana", "--project", str(root)]
    )
    assert result.exit_code == 1 and f"{bad}: not an Excel workbook" in error_text(result)


def test_order_puts_back_channel_after_every_substantive_suggestion(codebook: Codebook) -> None:
    s = Store(":memory:")
    texts = [
        ("Okay. Perfect.", 0.30),
        ("Yeah, yeah.", 0.31),
        ("The grant money ran out, so the district cut the summer training.", 0.80),
        ("Budget cuts meant no substitute teachers for release time this year.", 0.85),
    ]
    ids = add_document(s, "AZ.txt", [("R", t) for t, _ in texts], {"state": "AZ"})
    for seg, (_, conf) in zip(ids, texts, strict=True):
        add_coding(s, seg, "barriers.funding", confidence=conf)
    order = [i.text for i in review_order(pending_suggestions(s, codebook))]
    # least certain would put the back-channel turns first; they come last
    assert order[2:] == ["Okay. Perfect.", "Yeah, yeah."]


def test_order_spreads_the_uncertain_in_embedding_space(codebook: Codebook) -> None:
    from themegrid.tag.embed import load_embedder, unavailable_reason

    if load_embedder() is None:
        pytest.skip(unavailable_reason())
    s = Store(":memory:")
    same = "The grant money ran out and the budget for training was cut"
    texts = [(f"{same} in year {n}.", 0.50 + n / 100) for n in range(1, 6)]
    texts.append(("Our coaches kept leaving, and turnover meant starting over.", 0.57))
    ids = add_document(s, "AZ.txt", [("R", t) for t, _ in texts], {"state": "AZ"})
    for seg, (_, conf) in zip(ids, texts, strict=True):
        add_coding(s, seg, "barriers.funding", confidence=conf)
    order = [i.text for i in review_order(pending_suggestions(s, codebook))]
    assert order[0] == texts[0][0]  # the least certain first
    assert order[1] == texts[-1][0]  # then the most different of the uncertain


@pytest.mark.parametrize("column", ["Note", "Decision"])
def test_a_cell_holding_a_spreadsheet_error_is_refused_not_stored(
    store: Store, codebook: Codebook, tmp_path: Path, column: str
) -> None:
    """A note typed as '= good point' becomes a formula; saved, the cell holds #NAME?."""
    out = tmp_path / "review.xlsx"
    export_review(store, codebook, out)
    fill(out, {2: {"Decision": "accept", "Note": "fine"}, 3: {"Decision": "reject"}})
    book = openpyxl.load_workbook(out)
    sheet = book["Review"]
    header = {c.value: c.column for c in sheet[1]}
    cell = sheet.cell(row=3, column=header[column])
    cell.value = "#NAME?"
    assert cell.data_type == "e"  # an error value, as Excel and LibreOffice store one
    book.save(out)
    before = counts(store)
    with pytest.raises(ValidationError) as err:
        import_review(store, out, coder="Ana", codebook=codebook)
    message = str(err.value)
    assert (
        f"sheet Review, row 3, column {column}: the cell holds the spreadsheet error #NAME?"
        in message
    )
    assert "apostrophe" in message and counts(store) == before


@pytest.mark.parametrize("decision", ["accept", None])
def test_a_note_saved_as_a_formula_without_a_value_is_refused_not_lost(
    store: Store, codebook: Codebook, tmp_path: Path, decision: str | None
) -> None:
    """openpyxl (and pandas) write '=see p. 4' as a formula with no value; read for values,
    the cell is empty, so the note would vanish without a word."""
    out = tmp_path / "review.xlsx"
    export_review(store, codebook, out)
    book = openpyxl.load_workbook(out)
    sheet = book["Review"]
    header = {c.value: c.column for c in sheet[1]}
    if decision:
        sheet.cell(row=2, column=header["Decision"]).value = decision
    sheet.cell(row=2, column=header["Note"]).value = "=see p. 4"
    assert sheet.cell(row=2, column=header["Note"]).data_type == "f"
    book.save(out)
    before = counts(store)
    with pytest.raises(ValidationError) as err:
        import_review(store, out, coder="Ana", codebook=codebook)
    message = str(err.value)
    assert "sheet Review, row 2, column Note: the cell holds the formula '=see p. 4'" in message
    assert "apostrophe" in message and counts(store) == before


def test_text_that_reads_like_an_error_is_a_note_like_any(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    out = tmp_path / "review.xlsx"
    export_review(store, codebook, out)
    fill(out, {2: {"Decision": "accept"}})
    book = openpyxl.load_workbook(out)
    sheet = book["Review"]
    header = {c.value: c.column for c in sheet[1]}
    cell = sheet.cell(row=2, column=header["Note"])
    cell.value = "#N/A"
    cell.data_type = "s"  # typed as text (e.g. '#N/A with an apostrophe)
    book.save(out)
    import_review(store, out, coder="Ana", codebook=codebook)
    assert [note for _, _, note in human(store, "Ana").values()] == ["#N/A"]


def test_rows_on_edited_segments_can_be_skipped_and_are_listed(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    out = tmp_path / "review.xlsx"
    export_review(store, codebook, out)
    stale = {"Key": "deadbeef|barriers.funding", "Decision": "accept", "Note": "old text"}
    fill(out, {2: {"Decision": "accept"}, 3: stale, 4: {"Decision": "reject"}})
    before = counts(store)
    with pytest.raises(ValidationError) as err:  # strict by default, naming the way forward
        import_review(store, out, coder="Ana", codebook=codebook)
    assert "row 3, column Key" in str(err.value) and "--skip-changed" in str(err.value)
    assert counts(store) == before
    summary = import_review(store, out, coder="Ana", codebook=codebook, skip_changed=True)
    assert summary.skipped_rows == (3,)
    assert (summary.accepted, summary.rejected) == (1, 1)
    assert all(seg != "deadbeef" for seg, _ in human(store, "Ana"))


def test_a_second_coders_sheet_has_the_first_coders_rows_blind(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    """``--coder``: the rows Zora decided stay in Ben's sheet, cell for cell as before she
    decided, with no trace of her; her own next sheet and a plain one leave them out."""
    first = tmp_path / "ben_before.xlsx"
    export_review(store, codebook, first, coder="Ben")
    before = read_sheet(first)[2]
    ana = tmp_path / "zora.xlsx"
    export_review(store, codebook, ana, coder="Zora Quint")
    fill(ana, {2: {"Decision": "accept", "Note": "zora-note"}, 3: {"Decision": "reject"}})
    import_review(store, ana, coder="Zora Quint", codebook=codebook)
    decided = {r[0] for r in read_sheet(ana)[2][:2]}
    ben = tmp_path / "ben.xlsx"
    summary = export_review(store, codebook, ben, coder="Ben")
    book, _, rows = read_sheet(ben)
    assert summary.coder == "Ben" and rows == before  # the same rows, order and cells
    text = " ".join(
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
    )
    assert "Zora" not in text and "zora-note" not in text and "This sheet was made for Ben" in text
    for coder, path in (("Zora Quint", tmp_path / "zora2.xlsx"), (None, tmp_path / "all.xlsx")):
        export_review(store, codebook, path, coder=coder)
        assert not decided & {r[0] for r in read_sheet(path)[2]}
    fill(ben, {2: {"Decision": "reject"}})
    n = counts(store)
    with pytest.raises(InputFileError, match="made for coder 'Ben', not 'Zora Quint'"):
        import_review(store, ben, coder="Zora Quint", codebook=codebook)
    assert counts(store) == n
    import_review(store, ben, coder="Ben", codebook=codebook)
    assert human(store, "Ben")[tuple(rows[0][0].split("|"))][0] == "rejected"


def test_a_coders_note_reaches_the_workbooks_codings_sheet(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    from themegrid.export.workbook import write_workbook

    out = tmp_path / "review.xlsx"
    export_review(store, codebook, out)
    note = "tuition paid by the rehab agency: funding, not choice"
    fill(out, {2: {"Decision": "accept", "Note": note}, 3: {"Decision": "accept"}})
    import_review(store, out, coder="Ana", codebook=codebook)
    book_path = tmp_path / "matrix.xlsx"
    write_workbook(store, codebook, book_path)
    rows = list(openpyxl.load_workbook(book_path)["Codings"].iter_rows(values_only=True))
    header = list(rows[0])
    got = [(r[header.index("Coder")], r[header.index("Note")]) for r in rows[1:]]
    assert sorted(g[1] or "" for g in got if g[0] == "Ana") == ["", note]
    assert {g[1] for g in got if g[0] != "Ana"} == {None}  # a machine suggestion has no note


def test_tied_suggestions_spread_the_first_rows_over_the_cases(codebook: Codebook) -> None:
    """Trial 4: all rule suggestions are 0.5, so each code's first row came from the case
    whose document sorts first (rows 2-41 all one case). Ties now go to another case for
    each code; a less certain suggestion still comes before a more certain one."""
    s = Store(":memory:")
    for state in ("AZ", "NV", "SC"):
        ids = add_document(s, f"{state}.txt", [(None, f"talk in {state}")], {"state": state})
        for code in ("barriers.funding", "barriers.staffing", "vision.flexibility"):
            add_coding(s, ids[0], code, confidence=0.5)
    order = review_order(pending_suggestions(s, codebook))
    assert len({i.case for i in order[:3]}) == 3  # one round, three cases
    extra = add_document(s, "ZZ.txt", [(None, "unsure talk")], {"state": "ZZ"})
    add_coding(s, extra[0], "vision.flexibility", confidence=0.3)  # less certain: first
    order = review_order(pending_suggestions(s, codebook))
    flex = [i for i in order if i.code_id == "vision.flexibility"]
    assert flex[0].case == "ZZ"
