"""The Excel workbook: re-read with openpyxl and pandas and checked against independent counts."""

from __future__ import annotations

import io
import re
import shutil
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import report_fixtures as fx
from factories import add_coding, add_document
from themegrid.aggregate.matrix import TOTAL
from themegrid.cli import app
from themegrid.export import workbook as wbmod
from themegrid.project import init_project
from themegrid.store.connection import Store, now

SHEETS = [
    "About",
    "Matrix",
    "Charts",
    "Respondents",
    "Framework",
    "Co-occurrence",
    "Source types",
    "Codings",
    "Codebook",
]


@pytest.fixture
def built() -> fx.Built:
    return fx.build_store(Store(":memory:"))


@pytest.fixture(scope="module")
def xlsx_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report fixtures' workbook and CSVs, written once; each test gets a copy (``xlsx``)."""
    root = tmp_path_factory.mktemp("workbook")
    out = root / "reports" / "theme_matrix.xlsx"
    with fx.build_store(Store(":memory:")).store as store:
        wbmod.write_workbook(store, fx.CODEBOOK, out, csv_dir=root / "csv")
    return root


@pytest.fixture
def xlsx(xlsx_template: Path, tmp_path: Path) -> Path:
    shutil.copytree(xlsx_template, tmp_path, dirs_exist_ok=True)
    return tmp_path / "reports" / "theme_matrix.xlsx"


def blocks(ws) -> dict[str, dict[tuple[str, str], object]]:
    """{block label ("Confirmed", "Unreviewed"): {(code id, column header): value}}."""
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    out: dict[str, dict[tuple[str, str], object]] = {}
    current: dict[tuple[str, str], object] | None = None
    for row in rows[1:]:
        if row[0] in ("Confirmed", "Unreviewed"):
            current = out.setdefault(row[0], {})
            continue
        if not row[0]:
            current = None
            if "" in out:  # a sheet without blocks ends at its first empty row
                break
            continue
        if current is None and not out:
            current = out.setdefault("", {})
        if current is not None:
            for col, value in zip(header[2:], row[2:], strict=False):
                current[(row[0], col)] = value
    return out


def grid(ws, block: str | None = None) -> dict[tuple[str, str], object]:
    """{(code id, column header): value}: one block, or (counts) confirmed + unreviewed."""
    found = blocks(ws)
    if block is not None:
        return found[block]
    if len(found) == 1 or not found:
        return next(iter(found.values()), {})
    both = found["Confirmed"].copy()
    for key, value in found["Unreviewed"].items():
        both[key] = (both.get(key) or 0) + (value or 0)
    return both


def counts_from_codings(path: Path, case_column: str = "state") -> dict[tuple[str, str], int]:
    """Recompute the roll-up matrix from the Codings and Codebook sheets alone (pandas)."""
    codings = pd.read_excel(path, sheet_name="Codings")
    book = pd.read_excel(path, sheet_name="Codebook")
    parent = dict(zip(book["Code id"], book["Parent"].where(book["Parent"].notna()), strict=True))
    segments: dict[tuple[str, str], set[str]] = defaultdict(set)
    for seg, code, case in zip(
        codings["Segment id"],
        codings["Code id"],
        codings[case_column].fillna("(none)"),
        strict=True,
    ):
        while isinstance(code, str):
            segments[(code, case)].add(seg)
            code = parent.get(code)
    return {k: len(v) for k, v in segments.items()}


def test_sheets_and_matrix_counts(xlsx: Path) -> None:
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == SHEETS
    cells = grid(wb["Matrix"])
    matrix = {k: v for k, v in cells.items() if v and k[1] != TOTAL}
    assert matrix == fx.expected_counts()
    assert matrix == counts_from_codings(xlsx)
    header = next(wb["Matrix"].iter_rows(values_only=True))
    confirmed_pairs = {(p, i) for p, i, _c in fx.counted_pairs("accepted")}
    every: dict[str, set] = defaultdict(set)
    for p, i, _c in fx.counted_pairs():
        every[fx.state_of(p)].add((p, i))
    want = {
        "confirmed": {
            c: len({x for x in every.get(c, ()) if x in confirmed_pairs}) for c in header[2:-1]
        },
        "unreviewed": {
            c: len({x for x in every.get(c, ()) if x not in confirmed_pairs}) for c in header[2:-1]
        },
    }
    for kind in ("confirmed", "unreviewed"):
        label = f"Segments with any code ({wbmod.ANY_CODE_KIND[kind]})"
        totals = next(r for r in wb["Matrix"].iter_rows(values_only=True) if r[1] == label)
        assert dict(zip(header[2:-1], totals[2:-1], strict=True)) == want[kind]
    assert sum(want["unreviewed"].values()) > 0 and sum(want["confirmed"].values()) > 0


def test_matrix_keeps_confirmed_and_unreviewed_apart(xlsx: Path) -> None:
    """Each count sheet: a Confirmed block (human accepts only) and an Unreviewed block."""
    wb = openpyxl.load_workbook(xlsx)
    for sheet in ("Matrix", "Respondents", "Co-occurrence", "Source types"):
        assert list(blocks(wb[sheet])) == ["Confirmed", "Unreviewed"], sheet
    confirmed = {k: v for k, v in grid(wb["Matrix"], "Confirmed").items() if v and k[1] != TOTAL}
    assert confirmed == fx.expected_counts("accepted")
    unreviewed = {k: v for k, v in grid(wb["Matrix"], "Unreviewed").items() if v and k[1] != TOTAL}
    everything = fx.expected_counts()
    assert unreviewed == {
        k: everything[k] - confirmed.get(k, 0)
        for k in everything
        if everything[k] > confirmed.get(k, 0)
    }
    source = grid(wb["Source types"], "Confirmed")
    expected = fx.expected_counts("accepted", case=lambda p: fx.DOCUMENTS[p][0]["source_type"])
    assert {k: v for k, v in source.items() if v and k[1] != TOTAL} == expected
    quotes = [v.split("\n", 1)[1] for v in grid(wb["Framework"]).values() if v]
    assert quotes and all(
        q.startswith(("[confirmed] ", "[unreviewed suggestion] ")) for q in quotes
    )


def test_codings_sheet_rows_are_the_counted_codings(built: fx.Built, xlsx: Path) -> None:
    codings = pd.read_excel(xlsx, sheet_name="Codings")
    got = set(zip(codings["Segment id"], codings["Code id"], strict=True))
    assert got == {(built.segment_ids[(p, i)], c) for p, i, c in fx.counted_pairs()}
    assert set(codings["Status"]) == {"accepted", "suggested"}
    assert {"state", "role", "source_type", "Speaker", "Coder", "Confidence", "Reason"} <= set(
        codings.columns
    )


def test_accepted_only(built: fx.Built, tmp_path: Path) -> None:
    out = tmp_path / "acc.xlsx"
    summary = wbmod.write_workbook(built.store, fx.CODEBOOK, out, include="accepted")
    wb = openpyxl.load_workbook(out)
    assert {k: v for k, v in grid(wb["Matrix"]).items() if v and k[1] != TOTAL} == (
        fx.expected_counts("accepted")
    )
    assert counts_from_codings(out) == fx.expected_counts("accepted")
    assert about_items(out)["Which codings count"] == summary.basis
    assert "human-accepted codings only" in summary.basis


def test_respondents_n_of_n(xlsx: Path) -> None:
    ws = openpyxl.load_workbook(xlsx)["Respondents"]
    sizes = fx.documents_per_state()
    docs = fx.expected_documents()
    accepted = fx.expected_documents("accepted")
    checked = 0
    for (code, case), value in grid(ws, "Confirmed").items():
        if case != TOTAL:
            assert value == f"{accepted.get((code, case), 0)} of {sizes[case]}"
            checked += 1
    for (code, case), value in grid(ws, "Unreviewed").items():
        if case != TOTAL:
            n = docs.get((code, case), 0) - accepted.get((code, case), 0)
            assert value == f"{n} of {sizes[case]}"
    assert checked


def test_outline_levels_follow_the_code_tree(xlsx: Path) -> None:
    ws = openpyxl.load_workbook(xlsx)["Matrix"]
    for row in range(3, 3 + len(fx.CODEBOOK.codes)):
        code = ws.cell(row, 1).value
        assert ws.row_dimensions[row].outline_level == fx.CODEBOOK.depth(code), code
    assert ws.sheet_properties.outlinePr.summaryBelow is False
    assert ws.freeze_panes == "C2"
    assert ws.conditional_formatting, "a colour scale on the counts"


def test_codings_table_and_filter(xlsx: Path) -> None:
    ws = openpyxl.load_workbook(xlsx)["Codings"]
    table = ws.tables["Codings"]
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", table.displayName)
    header = [c.value for c in ws[1]]
    assert [c.name for c in table.tableColumns] == header
    assert len(set(header)) == len(header) and all(isinstance(h, str) and h for h in header)
    n_rows = len(fx.counted_pairs())
    assert table.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{n_rows + 1}"
    assert table.autoFilter.ref == table.ref
    assert ws.max_row == n_rows + 1


def test_text_is_safe(xlsx: Path) -> None:
    ws = openpyxl.load_workbook(xlsx)["Codings"]
    texts = [r[-1] for r in ws.iter_rows(min_row=2, values_only=True)]
    formula_like = [t for t in texts if t.startswith("=")]
    assert formula_like == ["=SUM(A1) is not a formula; families in poverty  struggle."]
    column = [c.value for c in ws[1]].index("Text") + 1
    cell = next(
        c
        for (c,) in ws.iter_rows(min_col=column, max_col=column)
        if str(c.value).startswith("=SUM")
    )
    assert cell.data_type == "s"


def test_long_and_illegal_text_is_capped_and_cleaned(tmp_path: Path) -> None:
    store = Store(":memory:")
    text = "bad\x01char " + "x" * 40_000
    [seg] = add_document(store, "long.txt", [("Ann", text)], {"state": "Ohio"})
    add_coding(store, seg, "pilots", reason="cue\x0b")
    out = tmp_path / "long.xlsx"
    wbmod.write_workbook(store, fx.CODEBOOK, out)
    row = next(openpyxl.load_workbook(out)["Codings"].iter_rows(min_row=2, values_only=True))
    assert row[-1].startswith("badchar x") and len(row[-1]) == 32_767
    assert row[-4] == "cue" and row[-3] is None  # reason; no note (a machine suggestion)
    assert row[-2] is None  # no passage: the whole turn


@pytest.mark.parametrize(
    ("odd", "written"), [("y" * 40_000, "y" * 32_767), ("tab\x0bbed", "tabbed")]
)
def test_each_text_is_capped_and_cleaned_among_clean_ones(
    tmp_path: Path, odd: str, written: str
) -> None:
    """The Codings rows check a column's texts for illegal characters and length in one
    go: one long text, or one with a control character, among clean ones is still fixed."""
    store = Store(":memory:")
    turns = [("Ann", f"clean turn {i}") for i in range(5)] + [("Ann", odd), ("Ann", "fine")]
    segs = add_document(store, "mixed.txt", turns, {"state": "Ohio"})
    for seg in segs:
        add_coding(store, seg, "pilots", reason="cue")
    out = tmp_path / "mixed.xlsx"
    wbmod.write_workbook(store, fx.CODEBOOK, out)
    rows = openpyxl.load_workbook(out)["Codings"].iter_rows(min_row=2, values_only=True)
    texts = [r[-1] for r in rows]
    assert written in texts and "fine" in texts and "clean turn 4" in texts
    assert odd not in texts


def test_unique_headers() -> None:
    assert wbmod.unique_headers(["a", "A", None, "", "a\x02"]) == [
        "a",
        "A (2)",
        "Column 3",
        "Column 4",
        "a (3)",
    ]


def test_framework_and_cooccurrence_sheets(xlsx: Path) -> None:
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["Framework"]
    n_cases = ws.max_column - 2
    assert ws.column_dimensions["C"].width == wbmod.framework_quote_width(n_cases)
    cells = grid(ws)
    assert cells[("pilots", "Arizona")].startswith(
        "1 confirmed, 1 unreviewed segments\n[confirmed] \u201cWe piloted it in three schools."
    )
    assert ws.cell(2, 3).alignment.wrap_text
    co = grid(wb["Co-occurrence"])
    assert co[("ctx.local", "ctx.politics")] == co[("ctx.politics", "ctx.local")] == 1


def test_source_types_sheet(xlsx: Path) -> None:
    cells = grid(openpyxl.load_workbook(xlsx)["Source types"])
    expected = fx.expected_counts(case=lambda p: fx.DOCUMENTS[p][0]["source_type"])
    assert {k: v for k, v in cells.items() if v and k[1] != TOTAL} == expected


def about_items(path: Path) -> dict[str, object]:
    """The About sheet's key/value rows (above the sheet guide)."""
    out = {}
    for key, value in openpyxl.load_workbook(path)["About"].iter_rows(min_row=2, values_only=True):
        if key == "Sheet":
            break
        if key:
            out[key] = value
    return out


def test_about_sheet(built: fx.Built, tmp_path: Path) -> None:
    stamp = now()
    built.store.execute(
        "INSERT INTO runs (command, started_at, finished_at, tool_version) VALUES (?, ?, ?, ?)",
        ("code", stamp, stamp, "0"),
    )
    out = tmp_path / "a.xlsx"
    wbmod.write_workbook(built.store, fx.CODEBOOK, out, by=("state", "role"), project_name="demo")
    about = about_items(out)
    assert about["Project"] == "demo"
    assert about["Codebook"] == "Test codebook, version 1.2.0"
    minute = datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M UTC")
    assert about["Last run"] == "run 1 (code), finished " + minute
    assert about["Codings counted"] == len(fx.counted_pairs())
    assert about["Cases by"] == "state + role"
    assert about["Documents"] == len(fx.DOCUMENTS) - len(fx.MISSING_DOCUMENTS)
    guide = [r[0] for r in openpyxl.load_workbook(out)["About"].iter_rows(values_only=True)]
    assert guide[-len(SHEETS) - 2 :] == [*SHEETS, "Memos", "Agreement"] == list(wbmod.SHEET_HELP)


def test_csv_export_matches_the_workbook(xlsx: Path, tmp_path: Path) -> None:
    names = ["matrix", "respondents", "documents", "framework", "cooccurrence", "source_types"]
    for name in names:
        assert (tmp_path / "csv" / f"{name}.csv").exists()
    csv = pd.read_csv(tmp_path / "csv" / "matrix.csv", encoding="utf-8-sig", index_col="code_id")
    for kind in ("Confirmed", "Unreviewed"):
        part = csv[csv["counted"] == kind.lower()]
        for (code, case), value in grid(openpyxl.load_workbook(xlsx)["Matrix"], kind).items():
            assert part.loc[code, case] == value
    resp = pd.read_csv(tmp_path / "csv" / "respondents.csv", encoding="utf-8-sig", index_col=0)
    resp = resp[resp["counted"] == "confirmed"]
    n = fx.expected_documents("accepted").get(("equity", "Arizona"), 0)
    assert resp.loc["equity", "Arizona"] == f"{n} of 3"


def test_write_to_open_file(built: fx.Built) -> None:
    buffer = io.BytesIO()
    summary = wbmod.write_workbook(built.store, fx.CODEBOOK, buffer)
    assert summary.path is None
    buffer.seek(0)
    assert openpyxl.load_workbook(buffer).sheetnames == SHEETS


def test_atomic_write_keeps_the_old_workbook(
    built: fx.Built, xlsx: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = xlsx.read_bytes()

    def broken_rows(data, first_row, chunk=2000, **kwargs):
        yield b"<row r='2'>"
        raise RuntimeError("disk full")

    monkeypatch.setattr(wbmod, "_rows_xml", broken_rows)
    with pytest.raises(RuntimeError, match="disk full"):
        wbmod.write_workbook(built.store, fx.CODEBOOK, xlsx)
    assert xlsx.read_bytes() == before
    assert sorted(p.name for p in xlsx.parent.iterdir()) == [xlsx.name]


def test_unwritable_target_names_the_file(built: fx.Built, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(wbmod.WorkbookError, match=r"file/out\.xlsx: cannot write the workbook"):
        wbmod.write_workbook(built.store, fx.CODEBOOK, blocker / "out.xlsx")


# --- the command -------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    proj, _ = init_project(tmp_path / "proj")
    return proj.root


def fill(root: Path) -> None:
    with Store(root / "themegrid.sqlite") as store:
        a = add_document(
            store, "a.txt", [("Ann", "Money ran out.")], {"state": "Ohio", "role": "t"}
        )
        b = add_document(store, "b.txt", [("Bo", "No subs.")], {"state": "Utah", "role": "t"})
        add_coding(store, a[0], "barriers.funding")
        add_coding(store, b[0], "barriers.staffing", source="human", coder="x", status="accepted")


def test_report_command(project: Path) -> None:
    fill(project)
    runner = CliRunner()
    result = runner.invoke(app, ["report", "--project", str(project), "--csv", str(project / "c")])
    assert result.exit_code == 0, result.output
    out = project / "reports" / "theme_matrix.xlsx"
    assert f"wrote {out}" in result.output
    assert "2 cases by state; 2 codes with codings; 2 codings counted" in result.output
    assert (project / "c" / "matrix.csv").exists()
    cells = grid(openpyxl.load_workbook(out)["Matrix"])
    assert cells[("barriers", "Ohio")] == cells[("barriers", "Utah")] == 1

    args = ["report", "-p", str(project), "--by", "state", "--by", "role", "--accepted-only"]
    result = runner.invoke(app, [*args, "--out", str(project / "x.xlsx")])
    assert result.exit_code == 0, result.output
    assert "1 codings counted" in result.output and "human-accepted" in result.output
    assert "Utah / t" in next(openpyxl.load_workbook(project / "x.xlsx")["Matrix"].values)


def message(result) -> str:
    """What the user sees for an error: the output, or the exception the CLI turns into it."""
    return result.output + (str(result.exception) if result.exception else "")


def test_report_without_codings(project: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--project", str(project)])
    assert result.exit_code == 1
    assert "nothing coded yet; run 'themegrid code' first" in message(result)


def test_report_unknown_attribute(project: Path) -> None:
    fill(project)
    result = CliRunner().invoke(app, ["report", "--project", str(project), "--by", "sate"])
    assert result.exit_code == 1
    assert "no document has the case attribute 'sate'" in message(result)
    assert "attributes in this project: role, state" in message(result)


def test_agreement_sheet_appears_when_two_coders_share_segments(tmp_path: Path) -> None:
    store = Store(":memory:")
    ids = add_document(
        store, "a.txt", [("Respondent", f"turn {i}") for i in range(6)], {"state": "Ohio"}
    )
    for coder, coded in (("ana", ids[:3]), ("ben", ids[1:4])):
        for seg in ids:
            store.execute(
                "INSERT INTO segment_views (segment_id, coder, at) VALUES (?, ?, ?)",
                (seg, coder, now()),
            )
        for seg in coded:
            add_coding(store, seg, "pilots", source="human", coder=coder, status="accepted")
    out = tmp_path / "wb.xlsx"
    wbmod.write_workbook(store, fx.CODEBOOK, out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [*SHEETS, "Agreement"]
    cells = [c for row in wb["Agreement"].iter_rows(values_only=True) for c in row if c is not None]
    assert "Agreement between ana and ben: 6 segment(s) both saw" in cells
    assert "pilots" in cells
    from sklearn.metrics import cohen_kappa_score

    a = [1 if s in ids[:3] else 0 for s in ids]
    b = [1 if s in ids[1:4] else 0 for s in ids]
    assert any(isinstance(c, float) and abs(c - cohen_kappa_score(a, b)) < 1e-9 for c in cells)


def test_agreement_sheet_stays_when_a_third_coder_decides_elsewhere(tmp_path: Path) -> None:
    """Ana and Ben double-coded turns 0-3; Carla decided on turn 5 only. No segment was seen
    by all three, so the sheet shows each pair that shares segments (it used to vanish)."""
    store = Store(":memory:")
    ids = add_document(
        store, "a.txt", [("Respondent", f"turn {i}") for i in range(6)], {"state": "Ohio"}
    )
    seen = {"ana": ids[:4], "ben": ids[:4], "carla": ids[5:]}
    coded = {"ana": ids[:3], "ben": ids[1:4], "carla": ids[5:]}
    for coder, segs in seen.items():
        for seg in segs:
            store.execute(
                "INSERT INTO segment_views (segment_id, coder, at) VALUES (?, ?, ?)",
                (seg, coder, now()),
            )
        for seg in coded[coder]:
            add_coding(store, seg, "pilots", source="human", coder=coder, status="accepted")
    out = tmp_path / "wb.xlsx"
    wbmod.write_workbook(store, fx.CODEBOOK, out)
    sheet = openpyxl.load_workbook(out)["Agreement"]
    titles = [r[0] for r in sheet.iter_rows(values_only=True) if r and r[0]]
    assert "Agreement between ana and ben: 4 segment(s) both saw" in titles
    assert not any("carla" in str(t) and "segment(s)" in str(t) for t in titles)
    kappas = [c for row in sheet.iter_rows() for c in row if c.number_format == "0.00" and c.value]
    assert kappas  # figures shown rounded, not as raw floats
    wbmod.write_workbook(store, fx.CODEBOOK, out, coders=["ana", "carla"])
    assert "Agreement" not in openpyxl.load_workbook(out).sheetnames  # they share nothing


def _sheet_facts(ws) -> dict[str, object]:
    """What a reader sees of a sheet: every cell's value, type and style, the rows'
    heights and outline levels, the print settings and the conditional formats."""
    cells = {
        c.coordinate: (
            c.value,
            c.data_type,
            c.number_format,
            c.font.b,
            c.font.sz,
            c.fill.fill_type,
            c.fill.fgColor.rgb,
            c.alignment.horizontal,
            c.alignment.vertical,
            c.alignment.wrap_text,
            c.alignment.indent,
            c.alignment.text_rotation,
        )
        for row in ws.iter_rows()
        for c in row
    }
    rows = {
        r: (d.height, d.outline_level, d.customHeight)
        for r, d in ws.row_dimensions.items()
        if d.height or d.outline_level
    }
    formats = sorted(
        (str(rng.sqref), [(r.type, r.priority) for r in rules])
        for rng, rules in ws.conditional_formatting._cf_rules.items()
    )
    return {
        "cells": cells,
        "rows": rows,
        "formats": formats,
        "print": (ws.print_title_rows, ws.print_title_cols, ws.print_area, ws.freeze_panes),
        "breaks": ([b.id for b in ws.row_breaks.brk], [b.id for b in ws.col_breaks.brk]),
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
    }


def test_sheets_written_on_save_match_openpyxl_rows(
    built: fx.Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count, Respondents and Framework sheets' rows are written as XML on save
    (openpyxl's cell writer is most of a large report's time): the workbook reads the
    same, cell by cell, as one whose rows openpyxl wrote."""
    fast = tmp_path / "fast.xlsx"
    wbmod.write_workbook(built.store, fx.CODEBOOK, fast)
    monkeypatch.setattr(wbmod, "_deferred", lambda wb, title: wb.create_sheet(title))
    plain = tmp_path / "plain.xlsx"
    wbmod.write_workbook(built.store, fx.CODEBOOK, plain)
    a, b = openpyxl.load_workbook(fast), openpyxl.load_workbook(plain)
    assert a.sheetnames == b.sheetnames
    for name in ("Matrix", "Respondents", "Framework", "Co-occurrence", "Source types"):
        facts = _sheet_facts(a[name])
        assert facts == _sheet_facts(b[name]), name
        assert facts["rows"], name  # heights or outline levels, on the rows written on save
    assert _sheet_facts(a["Matrix"])["formats"], "the colour scales of the Matrix sheet"


def test_illegal_characters_are_openpyxls() -> None:
    """The one-class pattern the workbook cleans text with finds exactly the characters of
    openpyxl's ILLEGAL_CHARACTERS_RE (which openpyxl refuses to write)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    for i in range(0x3000):
        ch = chr(i)
        assert bool(wbmod.ILLEGAL_CHARACTER.match(ch)) == bool(ILLEGAL_CHARACTERS_RE.match(ch)), i


def test_a_passage_coded_inside_a_turn_is_its_quote_and_its_codings_row(tmp_path: Path) -> None:
    """A span coding (the reader's selection, an imported highlight) quotes the passage, not
    the turn around it: in the Framework sheet and in the Codings sheet's Coded passage."""
    from themegrid.store import codings as store_codings

    store = Store(":memory:")
    turn = (
        "We started with a kitchen sink approach. And you just like take it on faith "
        "that the data is right, which is a little bit frightening to be honest."
    )
    [seg] = add_document(store, "p7.txt", [("Ann", turn)], {"state": "Ohio"})
    start = store.scalar("SELECT start FROM segments WHERE id = ?", (seg,))
    a = turn.index("take it on faith")
    b = turn.index("frightening") + len("frightening")
    with store.transaction():
        store_codings.record_human_codings(
            store,
            "ana",
            [
                store_codings.HumanDecision(
                    seg, "pilots", "accepted", "reader", None, start + a, start + b
                )
            ],
            run_id=None,
            at=now(),
        )
    out = tmp_path / "span.xlsx"
    wbmod.write_workbook(store, fx.CODEBOOK, out)
    wb = openpyxl.load_workbook(out)
    rows = list(wb["Codings"].iter_rows(values_only=True))
    header = list(rows[0])
    row = dict(zip(header, rows[1], strict=True))
    assert row["Coded passage"] == turn[a:b] and row["Text"] == turn
    framework = " ".join(
        str(v) for r in wb["Framework"].iter_rows(values_only=True) for v in r if v
    )
    assert "take it on faith" in framework and "kitchen sink" not in framework


# --- the Codings rows rendered by a second process ---------------------------------------------


def _parts(path: Path) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_quotes_and_codings_rows_from_a_second_process_are_those_made_here(
    built: fx.Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The forked child sends the same Framework quotes as computed here (for the settings
    it was given only) and writes the same Codings rows and shared strings as the save
    renders in-process: every part of the two workbooks is byte for byte the same (the About
    sheet's and the package properties' time of writing aside)."""
    if not wbmod._can_fork():
        pytest.skip("the Codings rows are rendered by a second process only on Linux with 2+ cores")
    monkeypatch.setattr(wbmod, "_core_free", lambda: True)  # whatever else the machine runs
    cf = wbmod.mx.load_codings(built.store, fx.CODEBOOK)
    with wbmod.BackgroundParts.start(cf, ("state",), k=2, min_rows=0) as rows:
        assert rows.quotes(("state",), 3, True) is None  # computed for other settings
        quotes = rows.quotes(("state",), 2, True)
        assert quotes is not None and len(quotes)
        pd.testing.assert_frame_equal(quotes, wbmod.mx.framework_quotes(cf, ("state",), k=2))
        files = rows.files()
        assert files is not None and files.strings is not None  # the child ran and wrote both
        here = wbmod.render_codings_rows(cf, ("state",), tmp_path)
        assert files.rows.read_bytes() == here.rows.read_bytes()
        assert here.strings is not None and files.strings.read_bytes() == here.strings.read_bytes()
    assert not files.rows.exists()  # leaving the block removes the child's files
    monkeypatch.setattr(wbmod, "MIN_BACKGROUND_ROWS", 0)
    wbmod.write_workbook(built.store, fx.CODEBOOK, tmp_path / "two.xlsx")
    monkeypatch.setattr(wbmod, "_can_fork", lambda: False)
    wbmod.write_workbook(built.store, fx.CODEBOOK, tmp_path / "one.xlsx")
    two, one = _parts(tmp_path / "two.xlsx"), _parts(tmp_path / "one.xlsx")
    assert two.keys() == one.keys() and wbmod.SHARED_STRINGS in two
    stamp = re.compile(rb"\d{4}-\d\d-\d\d( \d\d:\d\d UTC|T\d\d:\d\d:\d\dZ)")
    assert {n: stamp.sub(b"", b) for n, b in two.items()} == {
        n: stamp.sub(b"", b) for n, b in one.items()
    }


def test_a_failed_child_leaves_the_codings_rows_to_the_save(
    built: fx.Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the second process fails (here: interrupted) before or after sending the quotes,
    this process computes them and renders the rows itself: the workbook is complete,
    and no error of the child is shown."""
    if not wbmod._can_fork():
        pytest.skip("the Codings rows are rendered by a second process only on Linux with 2+ cores")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(wbmod, "render_codings_rows", interrupted)  # the child inherits it
    monkeypatch.setattr(wbmod, "MIN_BACKGROUND_ROWS", 0)
    monkeypatch.setattr(wbmod, "_core_free", lambda: True)
    cf = wbmod.mx.load_codings(built.store, fx.CODEBOOK)
    with wbmod.BackgroundParts.start(cf, ("state",)) as rows:
        assert rows.files() is None
    with wbmod.BackgroundParts.start(cf, ("state",)) as rows:
        assert rows.quotes(("state",), 3, True) is not None  # sent before the rows failed
        assert rows.files() is None
    monkeypatch.setattr(wbmod.mx, "framework_quotes", interrupted)
    with wbmod.BackgroundParts.start(cf, ("state",)) as rows:
        assert rows.quotes(("state",), 3, True) is None
        assert rows.files() is None
    monkeypatch.undo()
    monkeypatch.setattr(wbmod, "render_codings_rows", interrupted)
    monkeypatch.setattr(wbmod, "MIN_BACKGROUND_ROWS", 0)
    monkeypatch.setattr(wbmod, "_core_free", lambda: True)
    out = tmp_path / "theme_matrix.xlsx"
    summary = wbmod.write_workbook(built.store, fx.CODEBOOK, out)
    codings = pd.read_excel(out, sheet_name="Codings")
    assert len(codings) == summary.n_codings > 0
    assert codings["Text"].notna().all()


def test_no_second_process_when_every_core_is_busy(
    built: fx.Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a machine whose cores are all busy the two processes would only take turns:
    nothing is forked, and this process does the work."""
    if not wbmod._can_fork():
        pytest.skip("the Codings rows are rendered by a second process only on Linux with 2+ cores")
    monkeypatch.setattr(wbmod.os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    cf = wbmod.mx.load_codings(built.store, fx.CODEBOOK)
    with wbmod.BackgroundParts.start(cf, ("state",), min_rows=0) as rows:
        assert rows.quotes(("state",), 3, True) is None and rows.files() is None
    monkeypatch.setattr(wbmod.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    with wbmod.BackgroundParts.start(cf, ("state",), min_rows=0) as rows:
        assert rows.files() is not None


def test_respondents_label_rows_are_as_tall_as_their_wrapped_lines(xlsx: Path) -> None:
    """A narrow code-name column wraps "Documents with any code (...)"; LibreOffice drew the
    second line over the next row unless the row is tall enough."""
    ws = openpyxl.load_workbook(xlsx)["Respondents"]
    width = ws.column_dimensions["B"].width
    labels = [
        c
        for c in ws["B"]
        if isinstance(c.value, str)
        and c.value.startswith(("Documents with any code", "Documents in the case"))
    ]
    assert len(labels) == 4  # two rows under each block
    for cell in labels:
        lines = wbmod.wrapped_lines(cell.value, width * wbmod.CHARS_PER_WIDTH * wbmod.BOLD_CHARS)
        height = ws.row_dimensions[cell.row].height
        assert (height or 15) >= wbmod.LINE_PT * lines, (cell.value, width, height)
