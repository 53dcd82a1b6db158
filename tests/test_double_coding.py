"""Double-coding: a second coder reviews the suggestions a first coder already decided,
blind to that coder's decisions, in a review sheet (``review export --coder``) and in the
browser queue; the agreement then covers those segments."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from conftest import REPO
from themegrid.aggregate.agreement import compute_agreement
from themegrid.cli import app
from themegrid.errors import InputFileError
from themegrid.exchange.review import export_review, import_review
from themegrid.project import Project
from themegrid.store import memos as memos_store
from themegrid.store.connection import Store, now
from web_helpers import code_project, serve

# Two 'code' runs on the bundled example: run by .ci/run (its slow line); test_review.py
# has a quick check of the same rules for `make test`.
pytestmark = pytest.mark.slow

# Names and a note no machine text contains: any trace of them in B's sheet is a leak.
ANA, BEN = "Ana Zebrowski", "Ben Quillfeather"
ANA_NOTE = "zq-ana-private-note"
N_DECIDED, N_DISAGREE = 12, 4


@pytest.fixture(scope="module")
def coded_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example, coded by the rules once for the module."""
    root = tmp_path_factory.mktemp("double") / "example"
    shutil.copytree(REPO / "codebook", root / "codebook")
    shutil.copytree(REPO / "corpus", root / "corpus")
    code_project(Project(root))
    return root


@pytest.fixture
def project(coded_example: Path, tmp_path: Path) -> Iterator[Project]:
    root = tmp_path / "example"
    shutil.copytree(coded_example, root)
    yield Project(root)


def sheet_rows(path: Path) -> tuple[dict[str, int], dict[str, tuple[Any, ...]]]:
    """Header -> column index, and Key -> the row's values."""
    book = openpyxl.load_workbook(path)
    rows = list(book["Review"].iter_rows(values_only=True))
    header = {str(v): i for i, v in enumerate(rows[0])}
    return header, {str(r[0]): r for r in rows[1:]}


def every_text(path: Path) -> str:
    """Every cell of every sheet, and the workbook's properties, as one text."""
    book = openpyxl.load_workbook(path)
    cells = [
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
    ]
    props = book.properties
    meta = [str(getattr(props, f)) for f in ("creator", "title", "subject", "keywords")]
    custom = [f"{p.name}={p.value}" for p in book.custom_doc_props.props]
    return "\n".join(cells + meta + custom)


def fill(path: Path, decisions: dict[str, tuple[str, str]]) -> None:
    """Key -> (Decision, Note) on the rows of a review sheet."""
    book = openpyxl.load_workbook(path)
    ws = book["Review"]
    header = {c.value: c.column for c in ws[1]}
    for row in ws.iter_rows(min_row=2):
        key = str(row[0].value)
        if key in decisions:
            decision, note = decisions[key]
            ws.cell(row=row[0].row, column=header["Decision"]).value = decision
            ws.cell(row=row[0].row, column=header["Note"]).value = note or None
    book.save(path)


def ana_decides(project: Project, tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Ana reviews the first N_DECIDED rows of her sheet (half accepted, half rejected)."""
    sheet = tmp_path / "ana.xlsx"
    with Store(project.store_path) as store:
        export_review(store, project.load_codebook(), sheet, coder=ANA)
        _, rows = sheet_rows(sheet)
        keys = list(rows)[:N_DECIDED]
        assert len(keys) == N_DECIDED
        decided = {
            k: ("accept" if n % 2 == 0 else "reject", ANA_NOTE if n % 3 == 0 else "")
            for n, k in enumerate(keys)
        }
        fill(sheet, decided)
        summary = import_review(store, sheet, coder=ANA, codebook=project.load_codebook())
    assert summary.accepted + summary.rejected == N_DECIDED
    return decided


def test_the_second_coders_sheet_has_the_first_coders_rows_and_nothing_of_her_decisions(
    project: Project, tmp_path: Path
) -> None:
    codebook = project.load_codebook()
    before = tmp_path / "before.xlsx"
    with Store(project.store_path) as store:
        export_review(store, codebook, before, coder=BEN)
    _, fresh_rows = sheet_rows(before)
    decided = ana_decides(project, tmp_path)
    with Store(project.store_path) as store:
        plain = tmp_path / "plain.xlsx"
        export_review(store, codebook, plain)  # no coder: what no human decided
        assert not set(decided) & set(sheet_rows(plain)[1])
    # Ana refines a cue and runs 'code': every turn is tagged again, and the rule
    # suggestions Ana rejected are retired. Ben must still get them, as they were.
    cues = project.root / "codebook" / "10_catalysts.yaml"
    text = cues.read_text(encoding="utf-8")
    cue = "            - catalytic legislation\n"
    assert cue in text
    cues.write_text(text.replace(cue, cue + "            - catalytic statute\n"), "utf-8")
    code_project(project)
    with Store(project.store_path) as store:
        retired = store.scalar(
            "SELECT COUNT(*) FROM codings WHERE status = 'retired'"
            " AND reason = 'retired: a human rejected it'"
        )
    assert retired >= 1
    ben = tmp_path / "ben.xlsx"
    with Store(project.store_path) as store:
        summary = export_review(store, codebook, ben, coder=BEN)
    assert summary.coder == BEN
    _, rows = sheet_rows(ben)
    assert set(decided) <= set(rows)
    assert list(rows) == list(fresh_rows)  # same rows, same order as before Ana decided
    for key in decided:  # each row exactly as it was before Ana decided, cell by cell
        assert rows[key] == fresh_rows[key], key
    text = every_text(ben)
    assert ANA not in text and ANA_NOTE not in text
    assert "rejected" not in text.replace("reject (it does not)", "")
    assert f"This sheet was made for {BEN}" in text
    # Ben decides the same rows, disagreeing with Ana on N_DISAGREE of them
    flip = {"accept": "reject", "reject": "accept"}
    bens = {
        k: (flip[d] if n < N_DISAGREE else d, "") for n, (k, (d, _)) in enumerate(decided.items())
    }
    fill(ben, bens)
    with Store(project.store_path) as store:
        import_review(store, ben, coder=BEN, codebook=codebook)
        report = compute_agreement(store, [ANA, BEN])
    segments = {k.split("|")[0] for k in decided}
    assert report.n_segments == len(segments)
    disagreed = {(d.segment_id, d.code_id) for d in report.disagreements}
    assert disagreed == {tuple(k.split("|")) for k in list(decided)[:N_DISAGREE]}


def test_a_sheet_made_for_one_coder_is_refused_under_another_name(
    project: Project, tmp_path: Path
) -> None:
    codebook = project.load_codebook()
    sheet = tmp_path / "ben.xlsx"
    with Store(project.store_path) as store:
        export_review(store, codebook, sheet, coder=BEN)
        key = next(iter(sheet_rows(sheet)[1]))
        fill(sheet, {key: ("accept", "")})
        n = store.scalar("SELECT COUNT(*) FROM codings WHERE source = 'human'")
        with pytest.raises(InputFileError) as err:
            import_review(store, sheet, coder=ANA, codebook=codebook)
        message = str(err.value)
        assert "\n" not in message
        assert BEN in message and ANA in message and f"--coder '{BEN}'" in message
        assert store.scalar("SELECT COUNT(*) FROM codings WHERE source = 'human'") == n
        import_review(store, sheet, coder=BEN, codebook=codebook)
        assert store.scalar("SELECT COUNT(*) FROM codings WHERE source = 'human'") == n + 1


def test_cli_export_for_a_coder(project: Project, tmp_path: Path) -> None:
    decided = ana_decides(project, tmp_path)
    with Store(project.store_path) as store:  # Ana's own next sheet: her decided rows gone
        export_review(store, project.load_codebook(), tmp_path / "ana2.xlsx", coder=ANA)
    assert not set(decided) & set(sheet_rows(tmp_path / "ana2.xlsx")[1])
    out = tmp_path / "ben.xlsx"
    runner = CliRunner()
    args = ["review", "export", str(out), "--coder", BEN, "--project", str(project.root)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"for {BEN}" in result.output and f"--coder '{BEN}'" in result.output
    result = runner.invoke(
        app, ["review", "export", str(tmp_path / "all.xlsx"), "--project", str(project.root)]
    )
    assert result.exit_code == 0, result.output
    n_ben = len(sheet_rows(out)[1])
    n_all = len(sheet_rows(tmp_path / "all.xlsx")[1])
    assert n_ben == n_all + N_DECIDED


def test_the_browser_queue_is_per_coder_and_blind(project: Project) -> None:
    served = serve(project)
    try:
        ana, ben = served.client(ANA), served.client(BEN)
        first = ana.get("/queue").text
        n = int(first.split("Suggestion 1 of ", 1)[1].split(" ", 1)[0])
        seg = first.split('name="segment_id" value="', 1)[1].split('"', 1)[0]
        code = first.split('name="code_id" value="', 1)[1].split('"', 1)[0]
        assert ben.get("/queue").text.count(f'name="segment_id" value="{seg}"')
        form = {"segment_id": seg, "code_id": code, "decision": "rejected", "i": "0"}
        r = ana.post("/decide", data={**form, "csrf": served.secrets.csrf})
        assert r.status_code in (200, 303)
        with served.store.transaction():  # Ana's memo on the same turn
            memos_store.add_memo(served.store, "segment", seg, ANA, ANA_NOTE, now())
        assert f"Suggestion 1 of {n - 1}" in ana.get("/queue").text
        page = ben.get("/queue").text  # Ben still has it, first, and sees nothing of Ana
        assert f"Suggestion 1 of {n}" in page
        assert f'name="segment_id" value="{seg}"' in page.split('id="add-code-form"')[0]
        assert ANA not in page and ANA_NOTE not in page
        reader = ben.get(
            page.split('<p class="position">', 1)[1].split('href="', 1)[1].split('"')[0]
        )
        assert ANA in reader.text  # the reader is not blind: it shows every coder's work
    finally:
        served.store.close()
