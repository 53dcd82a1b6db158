"""``themegrid report``: the cross-case theme-matrix workbook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from themegrid.cli.app import JsonOpt, ProjectOpt, app

DEFAULT_OUT = Path("reports") / "theme_matrix.xlsx"


@app.command("report")
def report(
    project: ProjectOpt = Path("."),
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            metavar="ATTR",
            help="Case attribute for the columns (from corpus/metadata.csv); repeat to "
            "combine, e.g. --by state --by role. Default: state if the study has it, else "
            "the first case attribute in corpus/metadata.csv.",
        ),
    ] = None,
    accepted_only: Annotated[
        bool,
        typer.Option(
            "--accepted-only",
            help="Count only human-accepted codings (default: also unreviewed suggestions).",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Workbook path (default: reports/theme_matrix.xlsx)."),
    ] = None,
    html: Annotated[
        bool,
        typer.Option(
            "--html",
            help="Also write a self-contained HTML report beside the workbook (same name, "
            ".html): heatmaps, per-case bars, quotes, codebook; opens with no network.",
        ),
    ] = False,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="Also write each matrix as CSV into this folder.", file_okay=False
        ),
    ] = None,
    raw: Annotated[
        bool,
        typer.Option(
            "--raw",
            help="With --csv: write cells as stored (by default a cell beginning with "
            "= + - @, tab or CR gets a leading ' so spreadsheets do not run it as a formula).",
        ),
    ] = False,
    no_roll_up: Annotated[
        bool,
        typer.Option(
            "--no-roll-up",
            help="Count a parent code only on segments coded with it directly "
            "(default: a child's segments count for its parents too, once each).",
        ),
    ] = False,
    coder: Annotated[
        list[str] | None,
        typer.Option(
            "--coder",
            metavar="NAME",
            help="Count only this coder's human decisions (repeat for several), e.g. the "
            "study's coder and not a second coder who double-coded for reliability.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the cross-case theme matrices to an Excel workbook (and CSV with --csv).

    Sheets: About, Matrix (segments per code and case), Charts, Respondents ("n of N"),
    Framework (best quotes), Co-occurrence, Source types, Codings, Codebook. Every count
    shows confirmed (human-accepted) codings and unreviewed machine suggestions apart.
    """
    from themegrid.api import report

    result = report(
        project,
        out,
        html=html,
        by=by or None,
        accepted_only=accepted_only,
        csv_dir=csv,
        raw_csv=raw,
        roll_up=not no_roll_up,
        coders=coder,
    )
    summary = result.workbook
    if as_json:
        data = {
            "path": str(summary.path),
            "by": list(summary.by),
            "cases": list(summary.cases),
            "codes_with_codings": summary.n_codes_with_codings,
            "codings_counted": summary.n_codings,
            "documents": summary.n_documents,
            "by_reason": result.by_reason,
            "basis": summary.basis,
            "confirmed": summary.n_confirmed,
            "unreviewed": summary.n_unreviewed,
            "html": str(result.html) if result.html else None,
            "csv_files": [str(p) for p in summary.csv_files],
        }
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    typer.echo(f"wrote {summary.path}")
    if result.html:
        typer.echo(f"wrote {result.html}")
    typer.echo(f"cases by {result.by_reason}")
    typer.echo(
        f"{len(summary.cases)} cases by {' + '.join(summary.by)}; "
        f"{summary.n_codes_with_codings} codes with codings; "
        f"{summary.n_codings} codings counted from {summary.n_documents} documents"
    )
    typer.echo(f"counted: {summary.basis}")
    typer.echo(
        f"{summary.n_confirmed} confirmed by a human, {summary.n_unreviewed} unreviewed machine "
        "suggestions (not findings; shown apart on every sheet)"
    )
    for path in summary.csv_files:
        typer.echo(f"wrote {path}")
