"""A tour of ../shared/devdata/: for every set, the import or ingest a researcher would run.

Prints one table: files, documents, segments, share of segments with a speaker,
human codings imported, coded segments whose text equals the document text at
their offsets, and errors. Each set gets its own throw-away project in a
temporary folder; the devdata files are only read.

    .venv/bin/python scripts/try_devdata.py [--devdata ../shared/devdata]
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from themegrid.errors import ThemegridError
from themegrid.exchange.coded import Layout, import_coded
from themegrid.exchange.quotes import import_quotes
from themegrid.exchange.taguette import import_taguette
from themegrid.pipeline.ingest import ingest
from themegrid.project import Project, init_project
from themegrid.store.views import corpus_figures


@dataclass
class Outcome:
    files: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def ingest_files(project: Project, files: list[Path], out: Outcome) -> None:
    """Copy files into corpus/ and run ingest; rejected files count as errors."""
    corpus = project.root / "corpus"
    for f in files:
        shutil.copy2(f, corpus / f.name)
    out.files += len(files)
    with project.open_store() as store:
        summary = ingest(project, store)
    for o in summary.outcomes:
        if o.action == "rejected":
            out.errors.append(f"{o.path}: {o.message}")
    out.errors += [w for w in summary.warnings if "not read" in w]
    out.notes += [w for w in summary.warnings if "not read" not in w][:3]


def napire(root: Path, project: Project, out: Outcome) -> None:
    folder = root / "data" / "freetext_coded"
    files = sorted(folder.glob("*.csv")) + sorted((folder / "work-in-progress").glob("*.csv"))
    plain, with_problem, numeric = [], [], []
    for f in files:
        header = f.read_bytes().split(b"\n", 1)[0].decode("latin-1")
        if "tag" not in header.lower():
            numeric.append(f)  # a list option (numbers), no text or codes
        elif "_with_" in f.name:
            with_problem.append(f)
        else:
            plain.append(f)
    out.files += len(plain) + len(with_problem)
    out.notes.append(
        f"{len(numeric)} file(s) without a code column left out: {numeric[0].name} ..."
    )
    common = {"coder": "napire", "add_codes": True, "codebook_dir": project.codebook_dir}
    with project.open_store() as store:
        book = project.load_codebook()
        s = import_coded(store, plain, codebook=book, **common)  # type: ignore[arg-type]
        merged, markers = s.rows_merged, s.no_code_cells
        candidates = list(s.merge_candidates)
        for f in with_problem:
            m = re.match(r"(v_\d+)_with_(\d+)_", f.name)
            assert m
            layout = Layout(text_column=m.group(1), attribute_columns=(f"problem=v_{m.group(2)}",))
            book = project.load_codebook()
            s = import_coded(store, [f], codebook=book, layout=layout, **common)  # type: ignore[arg-type]
            merged, markers = merged + s.rows_merged, markers + s.no_code_cells
            candidates += s.merge_candidates
    out.notes.append(f"{merged} long-format row(s) merged, {markers} 'no code' cell(s)")
    out.notes.append(
        f"{len(candidates)} near-duplicate group(s) listed for merging, e.g. {candidates[:2]}"
    )


INLINE_CODES = re.compile(r"^\{\{(.*)\}\}\s*$")


def inline_blocks(text: str) -> list[tuple[str, str]]:
    """(sentence, codes) of an inline-coded abstract: text lines, then a ``{{codes}}`` line."""
    rows: list[tuple[str, str]] = []
    lines: list[str] = []
    for line in text.splitlines():
        m = INLINE_CODES.match(line)
        if m is None:
            if not line.strip():
                lines = []  # a blank line ends an uncoded block (the title)
            elif line.strip() != "---":
                lines.append(line.strip())
            continue
        codes = [c.split(":")[0].strip() for c in m.group(1).split(",")]
        codes = [c for c in codes if c and not c.startswith("-")]
        if lines:
            rows.append((" ".join(lines), ";".join(codes)))
        lines = []
    return rows


def inline_rows(path: Path) -> list[tuple[str, str, str]]:
    """(id, sentence, codes) from an inline-coded abstract (see :func:`inline_blocks`)."""
    blocks = inline_blocks(path.read_text(encoding="utf-8-sig"))
    return [(f"{path.stem}#{n}", sentence, codes) for n, (sentence, codes) in enumerate(blocks, 1)]


def qabstracts(root: Path, project: Project, out: Outcome) -> None:
    work = project.root / "converted"
    work.mkdir()
    with project.open_store() as store:
        for side in ("A", "B"):
            files = sorted((root / "abstracts" / f"abstracts.{side}").glob("*.txt"))
            out.files += len(files)
            target = work / f"coder_{side}.csv"
            with target.open("w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["id", "text", "codes"])
                for f in files:
                    w.writerows(inline_rows(f))
            import_coded(
                store,
                [target],
                coder=f"coder {side}",
                codebook=project.load_codebook(),
                add_codes=True,
                codebook_dir=project.codebook_dir,
                skip_bad_rows=True,
                report_dir=project.reports_dir,
            )
    out.notes.append("inline {{code}} files converted to one CSV per coder, then import-coded")


def serdif(root: Path, project: Project, out: Outcome) -> None:
    ingest_files(project, sorted((root / "data" / "transcripts" / "raw").glob("*.odt")), out)
    db = next((root / "data" / "transcripts" / "thematic-analysis").glob("*.sqlite3"))
    out.files += 1
    s = import_taguette(project, db)
    out.notes.append(
        f"Taguette: {s.highlights} highlights, {s.quotes_matching} quotes identical, "
        f"{s.tag_links} tag links"
    )


def by_suffix(*patterns: str) -> Callable[[Path, Project, Outcome], None]:
    def run(root: Path, project: Project, out: Outcome) -> None:
        files = sorted({f for p in patterns for f in root.glob(p)})
        files = [f for f in files if f.name.upper() not in ("SOURCE.MD", "LICENSE.MD", "README.MD")]
        ingest_files(project, files, out)

    return run


def pdpilot(root: Path, project: Project, out: Outcome) -> None:
    """The MAXQDA transcripts, then their Coded Segments export anchored in them."""
    results = root / "results"
    ingest_files(project, sorted((results / "transcripts").glob("*.pdf")), out)
    table = results / "coded-segments.pdf"
    summary = import_quotes(project, table, coder="pdpilot authors", add_codes=True, complete=True)
    out.files += 1
    out.notes.append(
        f"coded-segments.pdf: {summary.rows} rows, {summary.quotes_found} quotes found exactly "
        f"once in their transcript, {len(summary.not_found)} left out; {summary.codings} "
        f"codings on {summary.segments} segments; {len(summary.codes_added)} codes"
    )
    out.errors += list(summary.not_found)


SETS: dict[str, Callable[[Path, Project, Outcome], None]] = {
    "napire2018_coded_survey": napire,
    "ncd_federal_education_reports": by_suffix("markdown/*.md", "pdf_docx/*"),
    "pdpilot_maxqda_interviews": pdpilot,
    "podcast_transcript_formats": by_suffix("example.*"),
    "qabstracts_two_coder_irr": qabstracts,
    "serdif_usability_taguette": serdif,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devdata", type=Path, default=Path("../shared/devdata"))
    parser.add_argument("--only", help="Run one set (its folder name).")
    args = parser.parse_args()
    if not args.devdata.is_dir():
        print(f"skipped: {args.devdata} is absent (the shared devdata sits beside the clone)")
        return 0
    header = ("set", "files", "docs", "segments", "speaker", "codings", "exact quotes", "errors")
    table = [header]
    notes: list[str] = []
    for name, run in SETS.items():
        if args.only and name != args.only:
            continue
        if not (args.devdata / name).is_dir():
            notes.append(f"{name}: absent")
            continue
        out = Outcome()
        with tempfile.TemporaryDirectory() as tmp:
            project, _ = init_project(Path(tmp) / "p", empty_codebook=True)
            try:
                run(args.devdata / name, project, out)
            except ThemegridError as exc:
                out.errors.append(str(exc).splitlines()[0])
            except Exception:  # a crash is a finding too; show it and go on
                out.errors.append(traceback.format_exc().strip().splitlines()[-1])
            with project.open_store() as store:
                f = corpus_figures(store)
        share = f"{f.with_speaker / f.segments:.0%}" if f.segments else "-"
        exact = f"{f.exact_quotes}/{f.coded_segments}" if f.coded_segments else "-"
        table.append(
            (
                name,
                str(out.files),
                str(f.documents),
                str(f.segments),
                share,
                str(f.human_codings),
                exact,
                str(len(out.errors)),
            )
        )
        notes += [f"{name}: {n}" for n in out.notes]
        notes += [f"{name}: error: {e}" for e in out.errors[:5]]
        if len(out.errors) > 5:
            notes.append(f"{name}: and {len(out.errors) - 5} more error(s)")
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for k, row in enumerate(table):
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if k == 0:
            print("-+-".join("-" * w for w in widths))
    print()
    for n in notes:
        print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
