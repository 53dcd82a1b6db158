"""Reports people look at: print layout, parents, charts, the HTML report, the --by choice,
"did you mean" for metadata paths, confirmed and unreviewed counts apart."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import report_fixtures as fx
from factories import add_coding, add_document
from themegrid.aggregate import matrix as mx
from themegrid.cli import app
from themegrid.export import workbook as wbmod
from themegrid.export.html import write_html
from themegrid.pipeline.ingest import discover
from themegrid.project import init_project, open_project
from themegrid.read.metadata import closest_path, read_metadata
from themegrid.store.connection import Store

PARENTS = {c.parent_id for c in fx.CODEBOOK.codes if c.parent_id}


@pytest.fixture
def built() -> fx.Built:
    return fx.build_store(Store(":memory:"))


@pytest.fixture(scope="module")
def xlsx_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report fixtures' workbook, written once; each test gets a copy (``xlsx``)."""
    out = tmp_path_factory.mktemp("reports") / "theme_matrix.xlsx"
    with fx.build_store(Store(":memory:")).store as store:
        wbmod.write_workbook(store, fx.CODEBOOK, out)
    return out


@pytest.fixture
def xlsx(xlsx_template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(xlsx_template, tmp_path / "theme_matrix.xlsx"))


def code_rows(ws) -> dict[str, list[int]]:
    """{code id: [row numbers]} (a code appears once per block)."""
    known = {c.id for c in fx.CODEBOOK.codes}
    out: dict[str, list[int]] = {}
    for row in range(2, ws.max_row + 1):
        value = ws.cell(row, 1).value
        if value in known:
            out.setdefault(value, []).append(row)
    return out


# --- workbook layout -----------------------------------------------------------------------


def test_framework_labels_are_top_aligned_with_their_quotes(xlsx: Path) -> None:
    ws = openpyxl.load_workbook(xlsx)["Framework"]
    rows = code_rows(ws)
    assert rows
    for code, [row] in rows.items():
        assert ws.cell(row, 1).alignment.vertical == "top", code
        assert ws.cell(row, 2).alignment.vertical == "top", code
        for col in range(3, ws.max_column + 1):
            if ws.cell(row, col).value:
                assert ws.cell(row, col).alignment.vertical == "top"


@pytest.mark.parametrize("k", [1, 2])
def test_framework_prints_short_quotes_and_counts_the_rest(
    built: fx.Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, k: int
) -> None:
    """Each Framework cell: its counts, at most FRAMEWORK_QUOTES quotes of at most
    FRAMEWORK_WORDS words (the file name, not its folders), and "+N more" for the cell's
    other segments, every one of them on the Codings sheet."""
    monkeypatch.setattr(wbmod, "FRAMEWORK_QUOTES", k)
    monkeypatch.setattr(wbmod, "FRAMEWORK_WORDS", 4)
    out = tmp_path / "f.xlsx"
    wbmod.write_workbook(built.store, fx.CODEBOOK, out)
    wb = openpyxl.load_workbook(out)
    ws = wb["Framework"]
    header = [c.value for c in ws[1]]
    codings = [r for r in wb["Codings"].iter_rows(min_row=2, values_only=True)]
    heads = [c.value for c in wb["Codings"][1]]
    code_col, case_col = heads.index("Code id"), heads.index("Case")
    everything, more_seen = fx.expected_counts(), 0
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[0] not in {c.id for c in fx.CODEBOOK.codes}:
            continue
        for case, value in zip(header[2:], row[2:], strict=True):
            counted = everything.get((row[0], case), 0)
            if not counted:
                continue
            lines = [line for line in value.split("\n") if line]
            quotes = [
                q for q in lines if q.startswith(("[confirmed] ", "[unreviewed suggestion] "))
            ]
            assert 1 <= len(quotes) <= k, (row[0], case, value)
            for quote in quotes:
                body = quote.split("\u201c", 1)[1].rsplit("\u201d", 1)[0]
                assert len(body.replace(" \u2026", "").split()) <= 4, quote
                assert "/" not in quote.rsplit("\u2014", 1)[1], quote  # file name only
            if counted > len(quotes):
                assert lines[-1] == f"+{counted - len(quotes)} more: {wbmod.MORE_NOTE}"
                more_seen += 1
            else:
                assert not lines[-1].startswith("+"), value
            # The Codings sheet has a row for each (roll-up: each child's) coding of the cell.
            own = [r for r in codings if r[case_col] == case and r[code_col] == row[0]]
            assert len(own) <= counted
    assert more_seen, "some cell has more segments than quotes shown"


def test_parent_rows_bold_and_colour_scale_over_leaf_codes_only(xlsx: Path) -> None:
    ws = openpyxl.load_workbook(xlsx)["Matrix"]
    rows = code_rows(ws)
    scaled: set[int] = set()
    for rule_range in ws.conditional_formatting:
        for cell_range in rule_range.sqref.ranges:
            scaled.update(range(cell_range.min_row, cell_range.max_row + 1))
    for code, found in rows.items():
        assert len(found) == 2, code  # confirmed and unreviewed blocks
        for row in found:
            parent = code in PARENTS
            assert bool(ws.cell(row, 2).font.b) is parent, code
            assert bool(ws.cell(row, 3).font.b) is parent, code
            assert (row in scaled) is not parent, code
            assert ws.row_dimensions[row].outline_level == fx.CODEBOOK.depth(code)


@pytest.mark.parametrize("quote_width", [None, 60])
def test_print_setup_per_sheet(
    built: fx.Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quote_width: int | None
) -> None:
    if quote_width is not None:  # wider quote columns than a page holds for these cases
        monkeypatch.setattr(wbmod, "QUOTE_WIDTH", quote_width)
        monkeypatch.setattr(wbmod, "QUOTE_MIN", quote_width)  # too wide to fit every case
    out = tmp_path / "p.xlsx"
    wbmod.write_workbook(built.store, fx.CODEBOOK, out)
    wb = openpyxl.load_workbook(out)
    for name in ("Matrix", "Respondents", "Co-occurrence", "Framework", "Codebook", "Codings"):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape", name
        assert ws.print_title_rows == "$1:$1", name
        assert ws.oddFooter.center.text == "&A, page &P of &N", name
    # Narrow sheets are fitted to the page width; the code names repeat on each page.
    matrix = wb["Matrix"]
    assert matrix.sheet_properties.pageSetUpPr.fitToPage and matrix.page_setup.fitToWidth == 1
    assert matrix.print_title_cols == "$B:$B"
    # Framework: fitted to the page width when its printed columns fit, else pages of
    # whole cases, each at most PAGE_CHARS wide.
    framework = wb["Framework"]
    widths = [
        framework.column_dimensions[openpyxl.utils.get_column_letter(i)].width
        for i in range(2, framework.max_column + 1)
    ]
    fitted = (framework.sheet_properties.pageSetUpPr or object()).__dict__.get("fitToPage")
    breaks = [b.id for b in framework.col_breaks.brk]
    if sum(widths) <= wbmod.FIT_CHARS:
        assert quote_width is None
        assert fitted and framework.page_setup.fitToWidth == 1 and not breaks
    else:
        assert quote_width == 60
        assert not fitted
        assert breaks, "a wide Framework is split into pages of cases"
        start = 3
        for brk in [*breaks, framework.max_column]:
            page = widths[0] + sum(widths[start - 2 : brk - 1])
            assert page <= wbmod.PAGE_CHARS, (start, brk)
            start = brk + 1
    # Codings: only the header row prints, with a note at the top of the page.
    codings = wb["Codings"]
    assert codings.print_area == "'Codings'!$A$1:$C$1"
    assert "left out of the printout" in codings.oddHeader.left.text


def test_charts_reference_the_matrix_rows(xlsx: Path) -> None:
    wb = openpyxl.load_workbook(xlsx)
    charts = wb["Charts"]._charts
    matrix = wb["Matrix"]
    rows = code_rows(matrix)
    header = [c.value for c in matrix[1]]
    last = openpyxl.utils.get_column_letter(header.index(mx.TOTAL))  # cases only
    counts = mx.count_matrix(
        mx.load_codings(fx.build_store(Store(":memory:")).store, fx.CODEBOOK), "state"
    )
    leaves = [c for c in counts.index if c not in PARENTS]
    top = counts.loc[leaves, mx.TOTAL].sort_values(ascending=False, kind="stable").head(5)
    top = [c for c in top.index if top[c] > 0]
    assert len(charts) == 1 + len(top)
    clustered, stacked = charts[0], charts[1:]
    assert clustered.grouping == "clustered"
    refs = [s.val.numRef.f for s in clustered.series]
    assert refs == [f"'Matrix'!$C${rows[c][0]}:${last}${rows[c][0]}" for c in top]
    for chart in charts:
        for series in chart.series:
            cat = series.cat.numRef or series.cat.strRef
            assert cat.f == f"'Matrix'!$C$1:${last}$1"  # the case names
    for chart, code in zip(stacked, top, strict=True):
        assert chart.grouping == "stacked"
        confirmed_row, unreviewed_row = rows[code]
        assert [s.val.numRef.f for s in chart.series] == [
            f"'Matrix'!$C${confirmed_row}:${last}${confirmed_row}",
            f"'Matrix'!$C${unreviewed_row}:${last}${unreviewed_row}",
        ]
        assert [s.tx.v for s in chart.series] == ["Confirmed", "Unreviewed"]


# --- confirmed and unreviewed ------------------------------------------------------------------


@pytest.mark.parametrize("roll_up", [True, False])
def test_confirmed_plus_unreviewed_is_all(built: fx.Built, roll_up: bool) -> None:
    cf = mx.load_codings(built.store, fx.CODEBOOK)
    for fn in (mx.count_matrix, mx.document_matrix):
        parts = [fn(cf, "state", roll_up=roll_up, which=w) for w in mx.WHICH]
        assert (parts[1] + parts[2]).equals(parts[0]), fn.__name__
        assert parts[2].to_numpy().sum() > 0 and parts[1].to_numpy().sum() > 0
    co = [mx.cooccurrence_matrix(cf, roll_up=roll_up, which=w) for w in mx.WHICH]
    assert (co[1] + co[2]).equals(co[0]) and (co[2].to_numpy() >= 0).all()
    accepted = mx.load_codings(built.store, fx.CODEBOOK, include="accepted")
    confirmed = mx.count_matrix(cf, "state", roll_up=roll_up, which="confirmed")
    assert confirmed.equals(mx.count_matrix(accepted, "state", roll_up=roll_up))


def test_accepted_only_workbook_has_no_unreviewed_block(built: fx.Built, tmp_path: Path) -> None:
    out = tmp_path / "a.xlsx"
    wbmod.write_workbook(built.store, fx.CODEBOOK, out, include="accepted")
    wb = openpyxl.load_workbook(out)
    for name in ("Matrix", "Respondents", "Co-occurrence", "Source types"):
        labels = [r[0] for r in wb[name].iter_rows(values_only=True)]
        assert "Confirmed" in labels and "Unreviewed" not in labels, name


# --- HTML ----------------------------------------------------------------------------------


def test_html_report_has_every_case_and_code_and_no_external_resource(
    built: fx.Built, tmp_path: Path
) -> None:
    [seg] = add_document(
        built.store,
        "x.txt",
        [("Eve", 'Quote with <script>alert("x")</script> & more.')],
        {"state": "<b>Ohio</b>"},
    )
    add_coding(built.store, seg, "pilots", source="human", coder="ann", status="accepted")
    cf = mx.load_codings(built.store, fx.CODEBOOK)
    report = wbmod.compute_report(cf, fx.CODEBOOK, ("state",), True, 3)
    path = write_html(
        report, tmp_path / "r.html", project_name="demo <&>", facts=[("Documents", 9)]
    )
    text = path.read_text(encoding="utf-8")
    for case in [*fx.documents_per_state(), "<b>Ohio</b>"]:
        assert (case if case != "<b>Ohio</b>" else "&lt;b&gt;Ohio&lt;/b&gt;") in text
    for code in fx.CODEBOOK.codes:
        assert f"<td>{code.id}</td>" in text and code.name in text
    assert "<b>Ohio</b>" not in text and "<script>alert" not in text
    assert "demo &lt;&amp;&gt;" in text
    # Self-contained: no script, stylesheet, image or font fetched from anywhere.
    assert not re.search(r"<script[^>]*\bsrc=", text)
    assert not re.search(r"<link\b", text)
    assert not re.search(r"<(img|iframe|embed|object|source)\b", text)
    # The first script is Plotly's bundle, exactly as the installed wheel ships it (its
    # text names URLs, e.g. map tile servers, that these charts never load); nothing
    # else in the page names any URL.
    from plotly.offline import get_plotlyjs

    start = text.index("<script>") + len("<script>")
    end = text.index("</script>", start)
    assert text[start:end] == get_plotlyjs()
    rest = text[:start] + text[end:]
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", rest, re.IGNORECASE)
    assert "@import" not in rest and "url(" not in rest


# --- command line ----------------------------------------------------------------------------


def _project_with(tmp_path: Path, attrs: list[dict[str, str]], header: str | None) -> Path:
    proj, _ = init_project(tmp_path / "study")
    if header is not None:
        (proj.root / "corpus" / "metadata.csv").write_text(header + "\n", encoding="utf-8")
    else:
        (proj.root / "corpus" / "metadata.csv").unlink()
    with Store(proj.root / "themegrid.sqlite") as store:
        for i, a in enumerate(attrs):
            [seg] = add_document(store, f"d{i}.txt", [("Ann", "Money ran out.")], a)
            add_coding(store, seg, "barriers.funding")
    return proj.root


@pytest.mark.parametrize(
    ("attrs", "header", "args", "expect"),
    [
        ([{"state": "Ohio", "district": "D1"}], "file,district,state", [], "'state' (the default)"),
        (
            [
                {"source_type": "interview", "district": "D1"},
                {"source_type": "review", "district": "D2"},
            ],
            "file,source_type,district",
            [],
            "'source_type', the first case attribute in corpus/metadata.csv",
        ),
        ([{"district": "D1", "role": "t"}], None, [], "'district' (no document has 'state'"),
        ([{"district": "D1", "role": "t"}], None, ["--by", "role"], "'role' (as given with --by)"),
    ],
)
def test_report_by_fallback(tmp_path: Path, attrs, header, args, expect) -> None:
    root = _project_with(tmp_path, attrs, header)
    result = CliRunner().invoke(app, ["report", "-p", str(root), *args])
    assert result.exit_code == 0, result.output + str(result.exception)
    assert f"cases by {expect}" in result.output
    by = expect.split("'")[1] if "'" in expect else "role"
    assert f"cases by {by};" in result.output


def test_metadata_typo_gets_did_you_mean(tmp_path: Path) -> None:
    proj, _ = init_project(tmp_path / "study")
    corpus = proj.root / "corpus"
    for stale in corpus.rglob("*.txt"):
        stale.unlink()
    (corpus / "interviews").mkdir(exist_ok=True)
    (corpus / "interviews" / "az_district_leader_01.txt").write_text("Q: hi\nA: yes\n")
    (corpus / "metadata.csv").write_text(
        "file,state\ninterviews/az_distrct_leader_01.txt,Arizona\n", encoding="utf-8"
    )
    project = open_project(proj.root, need=())
    plan = discover(project, read_metadata(project.metadata_path))
    joined = "\n".join(plan.warnings)
    assert (
        "corpus/metadata.csv:2: names 'interviews/az_distrct_leader_01.txt', which is not in "
        "corpus/; did you mean 'interviews/az_district_leader_01.txt'?"
    ) in joined
    assert "did you mean the row for 'interviews/az_distrct_leader_01.txt' (line 2)?" in joined
    # true for a file read before too: it keeps its attributes (the warning says so)
    assert "one read before keeps those it had" in joined


def test_closest_path() -> None:
    files = ["interviews/az_01.txt", "interviews/nv_01.txt", "docs/az_plan.pdf"]
    assert closest_path("interviews/AZ_01.txt", files) == "interviews/az_01.txt"
    assert closest_path("az_01.txt", files) == "interviews/az_01.txt"  # other folder
    assert closest_path("completely_else.docx", files) is None


# --- every count sheet: confirmed and unreviewed apart, with a total for each -------------------


def _label_rows(ws) -> dict[str, dict[str, object]]:
    """{row label in column B: {column header: value}} for the rows without a code id."""
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    return {
        str(r[1]): dict(zip(header[2:], r[2:], strict=False)) for r in rows[1:] if not r[0] and r[1]
    }


def _any_code(unit: str, case=fx.state_of) -> dict[str, dict[str, int]]:
    """{"confirmed"/"unreviewed": {case: segments or documents with any counted code}}, from
    the fixture's rules: a segment (document) is confirmed when a human accepted a code on it."""
    confirmed = {(p, i) for p, i, _c in fx.counted_pairs("accepted")}
    units: dict[object, tuple[str, bool]] = {}
    for p, i, _c in fx.counted_pairs():
        key = (p, i) if unit == "segment" else p
        was = units.get(key, (case(p), False))[1]
        units[key] = (case(p), was or (p, i) in confirmed)
    out: dict[str, dict[str, int]] = {"confirmed": {}, "unreviewed": {}}
    for where, is_confirmed in units.values():
        kind = "confirmed" if is_confirmed else "unreviewed"
        out[kind][where] = out[kind].get(where, 0) + 1
    return out


def test_every_count_sheet_has_confirmed_and_unreviewed_totals(xlsx: Path) -> None:
    wb = openpyxl.load_workbook(xlsx)
    states = sorted({fx.state_of(p) for p, _i, _c in fx.counted_pairs()} - {"(none)"})
    states.append("(none)")
    # Framework: each cell opens with its two counts; the last row gives each case's totals.
    confirmed, everything = fx.expected_counts("accepted"), fx.expected_counts()
    framework = wb["Framework"]
    header = [c.value for c in framework[1]]
    checked = 0
    for row in framework.iter_rows(min_row=2, values_only=True):
        if row[0] not in {c.id for c in fx.CODEBOOK.codes}:
            continue
        for case, value in zip(header[2:], row[2:], strict=True):
            c = confirmed.get((row[0], case), 0)
            u = everything.get((row[0], case), 0) - c
            if c + u:
                assert value.split("\n")[0] == f"{c} confirmed, {u} unreviewed segments"
                checked += 1
            else:
                assert not value, (row[0], case)
    assert checked >= 10
    segments = _any_code("segment")
    totals = _label_rows(framework)["Segments with any code"]
    for state in states:
        c, u = segments["confirmed"].get(state, 0), segments["unreviewed"].get(state, 0)
        assert totals[state] == f"{c} confirmed, {u} unreviewed segments", state
    # Respondents: documents with any code, n of N, in each block.
    documents = _any_code("document")
    sizes = fx.documents_per_state()
    respondents = _label_rows(wb["Respondents"])
    for kind in ("confirmed", "unreviewed"):
        row = respondents[f"Documents with any code ({wbmod.ANY_CODE_KIND[kind]})"]
        for state in states:
            assert row[state] == f"{documents[kind].get(state, 0)} of {sizes[state]}", state
    # Co-occurrence: each block's total row is its diagonal.
    co = wb["Co-occurrence"]
    labels = _label_rows(co)
    for kind in ("Confirmed", "Unreviewed"):
        block = wbmod_blocks(co)[kind]
        row = labels[f"Segments with the column code ({kind.lower()})"]
        for code in (c.id for c in fx.CODEBOOK.codes):
            assert row[code] == block.get((code, code), 0), (kind, code)
        assert sum(row.values()) > 0
    # Source types: segments with any code per source type.
    by_type = _any_code("segment", case=lambda p: fx.DOCUMENTS[p][0]["source_type"])
    source = _label_rows(wb["Source types"])
    for kind in ("confirmed", "unreviewed"):
        row = source[f"Segments with any code ({wbmod.ANY_CODE_KIND[kind]})"]
        assert {k: v for k, v in row.items() if v and k != mx.TOTAL} == by_type[kind]
        assert row[mx.TOTAL] == sum(by_type[kind].values())


def wbmod_blocks(ws) -> dict[str, dict[tuple[str, str], object]]:
    """{"Confirmed"/"Unreviewed": {(row code id, column header): value}}."""
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    out: dict[str, dict[tuple[str, str], object]] = {}
    current = None
    for row in rows[1:]:
        if row[0] in ("Confirmed", "Unreviewed"):
            current = out.setdefault(row[0], {})
        elif row[0] and current is not None:
            current.update({(row[0], h): v for h, v in zip(header[2:], row[2:], strict=False)})
    return out


def test_codebook_prints_its_text_columns_fitted_to_the_page(xlsx: Path) -> None:
    ws = openpyxl.load_workbook(xlsx)["Codebook"]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["Code id", "Name", "Definition", "Include", "Exclude", "Examples"]
    assert ws.print_area == f"'Codebook'!$B$1:$F${len(fx.CODEBOOK.codes) + 1}"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width for i in range(2, 7)]
    assert sum(widths) <= wbmod.FIT_CHARS


def test_report_imports_no_modelling_or_plotting_library(tmp_path: Path) -> None:
    """`themegrid report` (no --html) loads neither spaCy, scikit-learn, SciPy nor Plotly:
    each costs start-up time the command does not need."""
    import subprocess
    import sys

    root = _project_with(tmp_path, [{"state": "Ohio"}, {"state": "Iowa"}], "file,state")
    code = (
        "import sys\n"
        "from themegrid.cli import main\n"
        f"sys.argv = ['themegrid', 'report', '--project', {str(root)!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'spacy', 'sklearn', 'scipy', 'plotly'})\n"
        "print('LOADED', loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (root / "reports" / "theme_matrix.xlsx").exists()
    assert "LOADED []" in done.stdout, done.stdout + done.stderr


# --- page breaks ---------------------------------------------------------------------------


def test_page_breaks_keep_a_code_group_on_one_page() -> None:
    # Two groups of 4 rows (a parent at depth 0, children at depth 1), a page of 6 rows:
    # the second group starts a new page rather than splitting after its first 2 rows.
    depths = [0, 1, 1, 1, 0, 1, 1, 1]
    assert wbmod.page_breaks([1.0] * 8, depths, 6) == [4]
    # A group larger than a page is split where the page is full.
    assert wbmod.page_breaks([1.0] * 8, [0, 1, 1, 1, 1, 1, 1, 1], 6) == [6]
    # A page is not left mostly empty for a group: the group's start at row 1 of 6 is
    # under PAGE_FILL of the page, so the page fills up and ends where it is full.
    assert wbmod.page_breaks([1.0] * 8, [0, 0, 1, 1, 1, 1, 1, 1], 6) == [6]


def test_page_breaks_start_blocks_on_a_new_page_and_keep_totals_with_them() -> None:
    # A block title (forced) always starts a page; a total row (None) never does.
    sizes = [1.0] * 10
    depths: list[int | None] = [None, 0, 1, 1, None, None, 0, 1, 1, None]
    assert wbmod.page_breaks(sizes, depths, 20, forced=[5]) == [5]
    # Overflowing at the total row (index 4): the page ends before the last code that
    # starts PAGE_FILL down the page, never before the total itself.
    starts = wbmod.page_breaks(sizes, depths, 4, forced=[5])
    assert 4 not in starts and starts[0] == 3 and 5 in starts
    # Every page holds at most a page of rows.
    for room in (3, 4, 5, 7):
        edges = [0, *wbmod.page_breaks(sizes, depths, room, forced=[5]), len(sizes)]
        assert all(sum(sizes[a:b]) <= room for a, b in itertools.pairwise(edges)), room


def _page_starts(ws) -> list[int]:
    """Rows that start a printed page after the first (a Break's id is the row above)."""
    return [b.id + 1 for b in ws.row_breaks.brk]


@pytest.mark.parametrize("page_rows", [None, 5])
def test_count_sheets_break_pages_at_blocks_and_code_groups(
    built: fx.Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page_rows: int | None
) -> None:
    if page_rows is not None:  # a page of about 5 rows: groups must be kept together
        monkeypatch.setattr(wbmod, "PAGE_HEIGHT_PT", (page_rows + 1) * wbmod.DEFAULT_ROW_PT)
        monkeypatch.setattr(wbmod, "UPRIGHT_PT_PER_CHAR", 1.0)  # a low co-occurrence header
    out = tmp_path / "b.xlsx"
    wbmod.write_workbook(built.store, fx.CODEBOOK, out)
    wb = openpyxl.load_workbook(out)
    depth = {
        c.id: 0 if c.parent_id is None else 1 + (fx.PARENT[c.parent_id] is not None)
        for c in fx.CODEBOOK.codes
    }
    for name in ("Matrix", "Respondents", "Co-occurrence", "Source types"):
        ws = wb[name]
        # Rows of Excel's height in LibreOffice too: the breaks assume DEFAULT_ROW_PT rows.
        assert ws.sheet_format.defaultRowHeight == wbmod.DEFAULT_ROW_PT, name
        assert ws.sheet_format.customHeight, name
        starts = _page_starts(ws)
        titles = [
            r
            for r in range(2, ws.max_row + 1)
            if ws.cell(r, 1).value in {"Confirmed", "Unreviewed"}
        ]
        assert len(titles) == 2, name
        # The unreviewed block starts a page; every page starts with a block or a code
        # (or, on a page of 5 rows, with the rows under the last block's codes).
        assert titles[1] in starts, name
        last_code = max(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value in depth)
        for row in starts:
            # (on a page of 5 rows, a block's n-of-N rows, two lines tall where their label
            # wraps, and the blank row under them cannot all fit with the code above them)
            label = str(ws.cell(row, 2).value or "")
            assert (
                row in titles
                or ws.cell(row, 1).value in depth
                or row > last_code
                or (page_rows is not None and (label.startswith("Documents ") or not label))
            ), (name, row)
        if page_rows is None:
            assert starts == [titles[1]], name  # the fixture's blocks fit a page each
            continue
        assert len(starts) > 1, name
        # No page holds more rows than a page has room for (rows of DEFAULT_ROW_PT).
        edges = [2, *starts, ws.max_row + 1]
        for a, b in itertools.pairwise(edges):
            height = sum(ws.row_dimensions[r].height or wbmod.DEFAULT_ROW_PT for r in range(a, b))
            room = wbmod.PAGE_ROOM * wbmod.PAGE_HEIGHT_PT / _scale(ws) - (
                ws.row_dimensions[1].height or wbmod.DEFAULT_ROW_PT
            )
            assert height <= room or b - a == 1, (name, a, b)


def _scale(ws) -> float:
    fitted = (ws.sheet_properties.pageSetUpPr or object()).__dict__.get("fitToPage")
    if not fitted:
        return ws.page_setup.scale / 100
    widths = [
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width
        for i in range(2, ws.max_column + 1)
    ]
    return wbmod.printed_scale(widths)


def test_long_code_names_wrap_on_the_count_sheets(
    built: fx.Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A code name longer than its column wraps onto more lines in a taller row, its counts
    top-aligned beside it (Respondents printed such names cut off at the column's edge)."""
    monkeypatch.setattr(wbmod, "_code_widths", lambda report: [10.0, 12.0])
    out = tmp_path / "w.xlsx"
    wbmod.write_workbook(built.store, fx.CODEBOOK, out)
    wb = openpyxl.load_workbook(out)
    names = {c.id: c.name for c in fx.CODEBOOK.codes}
    for sheet in ("Matrix", "Respondents", "Source types"):
        ws = wb[sheet]
        checked = 0
        for code_id, rows in code_rows(ws).items():
            long = len(names[code_id]) + 2 * (code_id.count(".")) + 2 > 12
            for row in rows:
                assert ws.cell(row, 2).alignment.wrap_text, (sheet, code_id)
                height = ws.row_dimensions[row].height
                if long:
                    assert height and height > wbmod.DEFAULT_ROW_PT, (sheet, code_id)
                    assert ws.cell(row, 3).alignment.vertical == "top", (sheet, code_id)
                    checked += 1
                else:
                    assert not height, (sheet, code_id)
        assert checked >= 4, sheet


# --- print layout of the co-occurrence and framework sheets -------------------------------


def test_wrapped_lines_count_a_word_wrap() -> None:
    # Words move to the next line whole; a newline starts a line; a long word breaks.
    assert wbmod.wrapped_lines("aaa bbb ccc", 7) == 2
    assert wbmod.wrapped_lines("aaa bbb", 7) == 1
    assert wbmod.wrapped_lines("aaaa bbbb", 7) == 2  # 9 characters, but no word fits after
    # 17 characters fill two lines of 10, but no two of these words fit on one: three.
    assert wbmod.wrapped_lines("aaaaa bbbbb ccccc", 10) == 3
    assert wbmod.wrapped_lines("a\n\nb", 40) == 3
    assert wbmod.wrapped_lines("x" * 15, 7) == 3
    assert wbmod.wrapped_lines("", 7) == 1


def test_cooccurrence_prints_upright_wrapped_ids_in_narrow_columns(xlsx: Path) -> None:
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["Co-occurrence"]
    ids = [ws.cell(1, c).value for c in range(3, ws.max_column + 1)]
    assert ids and set(ids) <= {c.id for c in fx.CODEBOOK.codes}
    for col in range(3, ws.max_column + 1):
        head = ws.cell(1, col)
        assert head.alignment.text_rotation == 90 and head.alignment.wrap_text, head.value
        assert head.font.sz == wbmod.UPRIGHT_FONT.sz
    # The header is as tall as the longest id on UPRIGHT_LINES lines, within UPRIGHT_MAX_PT.
    longest = max(len(i) for i in ids)
    height = ws.row_dimensions[1].height
    assert height <= wbmod.UPRIGHT_MAX_PT
    assert height < wbmod.UPRIGHT_PT_PER_CHAR * longest  # not one line per id
    assert height >= min(
        wbmod.UPRIGHT_PT_PER_CHAR * longest / wbmod.UPRIGHT_LINES, wbmod.UPRIGHT_MAX_PT
    )
    # Count columns: narrow, yet wide enough for the largest count; printed at COOC_SCALE.
    counts = [
        v
        for row in ws.iter_rows(min_row=2, min_col=3, values_only=True)
        for v in row
        if isinstance(v, int)
    ]
    width = ws.column_dimensions["C"].width
    assert wbmod.COOC_WIDTH <= width < 6
    assert width >= len(str(max(counts))) + 1
    letter = openpyxl.utils.get_column_letter
    printed = sum(ws.column_dimensions[letter(c)].width for c in range(2, ws.max_column + 1))
    if printed > wbmod.FIT_CHARS:
        assert ws.page_setup.scale == wbmod.COOC_SCALE
    else:  # the fixture's few codes fit the page width
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    # Zeros in light grey, ahead of the colour scale (LibreOffice applies the first rule).
    rules = [
        (str(cf.sqref), rule)
        for cf in ws.conditional_formatting._cf_rules
        for rule in ws.conditional_formatting._cf_rules[cf]
    ]
    zeros = [(ref, r) for ref, r in rules if r.type == "cellIs" and r.formula == ["0"]]
    scales = [r for _ref, r in rules if r.type == "colorScale"]
    assert len(zeros) == 2 and scales  # one per block
    assert all(z.priority < s.priority for _ref, z in zeros for s in scales)


def test_cooccurrence_columns_widen_for_large_counts(built: fx.Built) -> None:
    cf = mx.load_codings(built.store, fx.CODEBOOK)
    report = wbmod.compute_report(cf, fx.CODEBOOK, ("state",), True, 3)
    split = report.split_cooccurrence
    assert wbmod.count_width(split) == wbmod.COOC_WIDTH  # the fixture's counts: one digit
    big = wbmod.Split(split.confirmed * 0 + 12_345, split.unreviewed)
    assert wbmod.count_width(big) == 6.0


def test_cooccurrence_column_pages_fit_the_page_at_its_scale(
    built: fx.Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a page a few columns wide, the column pages split at code groups and each
    holds no more printed points than the page has room for at COOC_SCALE."""
    monkeypatch.setattr(wbmod, "PAGE_WIDTH_PT", 200.0)
    monkeypatch.setattr(wbmod, "FIT_CHARS", 10)  # not fitted to the width: pages of codes
    out = tmp_path / "c.xlsx"
    wbmod.write_workbook(built.store, fx.CODEBOOK, out)
    ws = openpyxl.load_workbook(out)["Co-occurrence"]
    breaks = [b.id for b in ws.col_breaks.brk]
    assert breaks
    letter = openpyxl.utils.get_column_letter
    width = {c: ws.column_dimensions[letter(c)].width for c in range(2, ws.max_column + 1)}
    room = wbmod.PAGE_ROOM * 200.0 * 100 / wbmod.COOC_SCALE - wbmod._column_pt(width[2])
    start = 3
    for brk in [*breaks, ws.max_column]:
        assert sum(wbmod._column_pt(width[c]) for c in range(start, brk + 1)) <= room
        start = brk + 1


def test_framework_puts_every_case_on_one_page_width(
    built: fx.Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row has one height for all its cases: with every case on one printed page no
    row is sized for quotes printed on another page."""
    out = tmp_path / "f.xlsx"
    wbmod.write_workbook(built.store, fx.CODEBOOK, out)
    ws = openpyxl.load_workbook(out)["Framework"]
    n_cases = ws.max_column - 2
    letter = openpyxl.utils.get_column_letter
    widths = [ws.column_dimensions[letter(c)].width for c in range(2, ws.max_column + 1)]
    assert sum(widths) <= wbmod.FRAMEWORK_FIT + 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert not ws.col_breaks.brk
    assert widths[1] == wbmod.framework_quote_width(n_cases) >= wbmod.QUOTE_MIN
    # Too many cases for QUOTE_MIN: pages of cases at QUOTE_WIDTH.
    many = int((wbmod.FRAMEWORK_FIT - wbmod.FRAMEWORK_NAME_WIDTH) / wbmod.QUOTE_MIN) + 1
    assert wbmod.framework_quote_width(many) == wbmod.QUOTE_WIDTH


def test_framework_rows_are_as_tall_as_their_wrapped_text(xlsx: Path) -> None:
    """Each row fits its tallest cell's lines as a word wrap makes them at the column's
    width (LibreOffice does not grow rows by itself), and no taller."""
    ws = openpyxl.load_workbook(xlsx)["Framework"]
    letter = openpyxl.utils.get_column_letter
    checked = 0
    for row in range(2, ws.max_row):
        cells = [ws.cell(row, c) for c in range(3, ws.max_column + 1)]
        if not any(isinstance(c.value, str) and c.value for c in cells):
            continue
        bold = bool(cells[0].font and cells[0].font.b)
        lines = max(
            wbmod.wrapped_lines(
                c.value,
                ws.column_dimensions[letter(c.column)].width
                * wbmod.CHARS_PER_WIDTH
                * (wbmod.BOLD_CHARS if bold else 1),
            )
            for c in cells
            if isinstance(c.value, str) and c.value
        )
        height = ws.row_dimensions[row].height
        assert height >= wbmod.LINE_PT * lines, row
        name_lines = wbmod.wrapped_lines(
            "  " * 3 + str(ws.cell(row, 2).value),
            wbmod.FRAMEWORK_NAME_WIDTH * wbmod.CHARS_PER_WIDTH * wbmod.BOLD_CHARS,
        )
        assert height <= wbmod.LINE_PT * max(lines, name_lines) + 2, row
        checked += 1
    assert checked >= 5


def test_a_misspelt_row_is_offered_only_to_its_own_file(tmp_path: Path) -> None:
    """'P3.pfd' is P3.pdf's row: P7.pdf, which has no row, is told to add one, not pointed
    at P3's row (following that hint would give P7 P3's attributes)."""
    proj, _ = init_project(tmp_path / "study")
    corpus = proj.root / "corpus"
    for stale in corpus.rglob("*.txt"):
        stale.unlink()
    (corpus / "interviews").mkdir(exist_ok=True)
    for name in ("P1.txt", "P3.txt", "P7.txt"):
        (corpus / "interviews" / name).write_text("Q: hi\nA: yes\n")
    (corpus / "metadata.csv").write_text(
        "file,site\ninterviews/P1.txt,A\ninterviews/P3.tx,B\n", encoding="utf-8"
    )
    project = open_project(proj.root, need=())
    warnings = discover(project, read_metadata(project.metadata_path)).warnings
    p3 = next(w for w in warnings if w.startswith("corpus/interviews/P3.txt: no row"))
    assert "did you mean the row for 'interviews/P3.tx' (line 3)?" in p3
    p7 = next(w for w in warnings if "corpus/interviews/P7.txt" in w)
    assert "did you mean" not in p7 and "add a row for each" in p7


def test_report_names_the_documents_without_a_value_for_the_cases(tmp_path: Path) -> None:
    """Two documents with no row in metadata.csv make a '(none)' column: the report says
    which they are and how to give them a case, instead of leaving the column unexplained."""
    root = _project_with(tmp_path, [{"state": "Ohio"}, {}, {}], "file,state")
    result = CliRunner().invoke(app, ["report", "-p", str(root)])
    assert result.exit_code == 0, result.output
    assert (
        "2 document(s) have no value for it and are counted under '(none)': d1.txt, d2.txt "
        "(give them one in corpus/metadata.csv)"
    ) in " ".join(result.output.split())
    complete = _project_with(tmp_path / "b", [{"state": "Ohio"}], "file,state")
    out = CliRunner().invoke(app, ["report", "-p", str(complete)]).output
    assert "have no value for it" not in out
