"""Double-coding on real transcripts, as a research team would do it.

Builds a throw-away project from the SERDIF usability interviews in
``../shared/devdata/serdif_usability_taguette`` (17 think-aloud transcripts), with a
small usability codebook written for them, runs ``themegrid code``, and then:

1. coder A exports her sheet (``review export --coder A``), decides its first 30 rows
   (a rule a reader can check: accept when the turn has at least 12 words) and
   imports them;
2. ``themegrid code`` runs again (as it would after a review: the model trains);
3. coder B exports his sheet (``--coder B``): the script counts A's rows in it and looks
   for any trace of A (name, notes, the word "rejected") in every cell and property;
4. B decides the same 30 rows, disagreeing with A on 8 (planted), and imports;
5. ``themegrid agreement --coders A B`` and each coder's browser queue counts.

    .venv/bin/python scripts/try_double_coding.py [--devdata ../shared/devdata] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import openpyxl

from themegrid import api
from themegrid.project import Project, init_project
from themegrid.store.connection import Store
from themegrid.web.queue import ReviewQueue

CODEBOOK = """\
codebook:
  name: SERDIF usability
  version: "1"
codes:
  - id: usability
    name: Usability
    codable: false
    children:
      - id: usability.unclear
        name: Unclear or confusing
        definition: The participant says something in the tool is not clear or is confusing.
        cues: {lemmas: [clear, confusing, confuse, understand, sure]}
      - id: usability.navigation
        name: Navigation and controls
        definition: Finding one's way, buttons, tabs, clicking, scrolling.
        cues: {lemmas: [button, tab, click, scroll, panel]}
  - id: data
    name: Data
    codable: false
    children:
      - id: data.provenance
        name: Provenance and metadata
        definition: Where the data come from, how they were produced, metadata.
        cues: {lemmas: [provenance, metadata, source, dataset]}
      - id: data.query
        name: Query inputs
        definition: Choosing events, time windows, units, aggregation.
        cues: {lemmas: [time window, query, aggregation, event]}
      - id: data.download
        name: Download and reuse
        definition: Downloading, exporting or reusing the data elsewhere.
        cues: {lemmas: [download, csv, export, reuse]}
"""

A, B = "Ana Ruiz", "Dev Patel"
A_NOTE = "ana: long enough to judge"
N_ROWS, N_DISAGREE = 30, 8


def rows(path: Path) -> tuple[dict[str, int], list[tuple[object, ...]]]:
    book = openpyxl.load_workbook(path)
    got = list(book["Review"].iter_rows(values_only=True))
    return {str(v): i for i, v in enumerate(got[0])}, got[1:]


def fill(path: Path, decisions: dict[str, tuple[str, str]]) -> None:
    book = openpyxl.load_workbook(path)
    ws = book["Review"]
    col = {c.value: c.column for c in ws[1]}
    for row in ws.iter_rows(min_row=2):
        if str(row[0].value) in decisions:
            decision, note = decisions[str(row[0].value)]
            ws.cell(row=row[0].row, column=col["Decision"]).value = decision
            ws.cell(row=row[0].row, column=col["Note"]).value = note or None
    book.save(path)


def every_cell(path: Path) -> str:
    book = openpyxl.load_workbook(path)
    out = [str(v) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for v in r]
    out += [f"{p.name}={p.value}" for p in book.custom_doc_props.props]
    p = book.properties
    out += [str(p.creator), str(p.title), str(p.keywords), str(p.subject)]
    return "\n".join(out)


def queue_counts(project: Project) -> dict[str, int]:
    with Store(project.store_path) as store:
        queue = ReviewQueue(project.load_codebook())
        return {c: len(queue.pending(store, c)) for c in (A, B, "a third coder")}


def browser(project: Project, a_keys: list[str]) -> None:
    """B's browser queue (the real app, as ``themegrid serve`` builds it): its count, and
    each of A's rows looked up in it, with any trace of A on the page."""
    import logging

    from starlette.testclient import TestClient

    from themegrid.web.server import build

    logging.disable(logging.INFO)  # the test client logs every request
    app, secrets_, store = build(project)
    try:
        client = TestClient(app)
        client.get(f"/?token={secrets_.token}")
        client.post("/coder", data={"coder": B, "next": "/", "csrf": secrets_.csrf})
        page = client.get("/queue").text
        n = page.split("Suggestion 1 of ", 1)[1].split(" ", 1)[0]
        with_a, traces = 0, 0
        for i in range(len(a_keys)):
            html = client.get(f"/queue?i={i}").text
            seg = html.split('name="segment_id" value="', 1)[1].split('"', 1)[0]
            code = html.split('name="code_id" value="', 1)[1].split('"', 1)[0]
            with_a += f"{seg}|{code}" in a_keys
            traces += A in html or A_NOTE in html
        print(
            f"B's browser queue: 'Suggestion 1 of {n}'; its first {len(a_keys)} items hold "
            f"{with_a} of A's {len(a_keys)} decided rows; pages naming A or quoting her note: "
            f"{traces}"
        )
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devdata", type=Path, default=Path("../shared/devdata"))
    parser.add_argument("--keep", type=Path, help="Build the project here and keep it.")
    args = parser.parse_args()
    source = args.devdata / "serdif_usability_taguette" / "data" / "transcripts" / "raw"
    if not source.is_dir():
        print(f"{source}: not found; pass --devdata", file=sys.stderr)
        return 2
    root = args.keep or Path(tempfile.mkdtemp()) / "serdif"
    project, _ = init_project(root, empty_codebook=True)
    (root / "codebook" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    for f in sorted(source.glob("*.odt")):
        shutil.copy2(f, root / "corpus" / f.name)
    api.code(root)
    print(f"project {root}: {len(list(source.glob('*.odt')))} transcripts")
    a_sheet = root / "reports" / "ana.xlsx"
    a = api.review_export(root, a_sheet, coder=A)
    header, a_rows = rows(a_sheet)
    words = {str(r[0]): len(str(r[header["Text"]]).split()) for r in a_rows}
    keys = [str(r[0]) for r in a_rows[:N_ROWS]]
    a_dec = {
        k: ("accept" if words[k] >= 12 else "reject", A_NOTE if n % 4 == 0 else "")
        for n, k in enumerate(keys)
    }
    fill(a_sheet, a_dec)
    ai = api.review_import(root, a_sheet, coder=A)
    print(f"A's sheet: {a.rows} rows; A imported {ai.accepted} accepted, {ai.rejected} rejected")
    plain = api.review_export(root, root / "reports" / "plain.xlsx")
    in_plain = sum(str(r[0]) in a_dec for r in rows(root / "reports" / "plain.xlsx")[1])
    print(f"sheet without --coder: {plain.rows} rows, {in_plain} of A's {N_ROWS}")
    api.code(root)  # as after any review: the model trains, rejected rule rows retire
    b_sheet = root / "reports" / "dev.xlsx"
    b = api.review_export(root, b_sheet, coder=B)
    b_header, b_rows = rows(b_sheet)
    b_keys = [str(r[0]) for r in b_rows]
    print(
        f"B's sheet: {b.rows} rows, {sum(k in a_dec for k in b_keys)} of A's {N_ROWS}; "
        f"first {N_ROWS} rows the same keys as A's first {N_ROWS}: {b_keys[:N_ROWS] == keys}"
    )
    text = every_cell(b_sheet)
    leaks = [w for w in (A, A_NOTE, "Ana", "rejected in review", "accepted in review") if w in text]
    print(f"traces of A in B's sheet (every cell, every sheet, properties): {leaks or 'none'}")
    same = sum(
        1
        for ra in a_rows
        for rb in b_rows
        if str(ra[0]) in a_dec
        and ra[0] == rb[0]
        and ra[: header["Decision"]] == rb[: b_header["Decision"]]
    )
    print(f"A's rows identical in B's sheet up to Decision (text, code, source, reason): {same}")
    print(f"queue sizes before B decides: {queue_counts(project)}")
    browser(project, keys)
    flip = {"accept": "reject", "reject": "accept"}
    b_dec = {
        k: (flip[d] if n < N_DISAGREE else d, "") for n, (k, (d, _)) in enumerate(a_dec.items())
    }
    fill(b_sheet, b_dec)
    try:
        api.review_import(root, b_sheet, coder=A)
    except Exception as exc:  # the point: B's sheet under A's name is refused
        print(f"B's sheet imported as A: refused: {exc}")
    bi = api.review_import(root, b_sheet, coder=B)
    print(f"B imported {bi.accepted} accepted, {bi.rejected} rejected")
    print(f"queue sizes after B decides: {queue_counts(project)}")
    report = api.agreement(root, [A, B])
    print(f"agreement {A} vs {B}: {report.n_segments} shared segments")
    print(f"{'code':<24} {'kappa':>6} {'alpha':>6} {'agree':>6}  applied A/B")
    for c in report.per_code:
        f = c.figures
        fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        print(
            f"{c.code_id:<24} {fmt(f.kappa):>6} {fmt(f.alpha):>6} {fmt(f.percent):>6}  "
            f"{c.applied[A]}/{c.applied[B]}"
        )
    for name, f in (("mean", report.mean), ("pooled", report.pooled)):
        print(f"{name:<24} {fmt(f.kappa):>6} {fmt(f.alpha):>6} {fmt(f.percent):>6}")
    print(f"disagreements listed: {len(report.disagreements)} (planted: {N_DISAGREE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
