"""``themegrid export segments``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from themegrid.cli.app import ProjectOpt, export_app


@export_app.command("segments")
def segments(
    out: Annotated[
        Path | None,
        typer.Argument(
            help="Output file: .csv or .xlsx [default: reports/segments.csv].",
            metavar="OUT",
            show_default=False,
        ),
    ] = None,
    project: ProjectOpt = Path("."),
    raw: Annotated[
        bool,
        typer.Option(
            "--raw",
            help="CSV: write cells as stored (by default a cell beginning with = + - @, tab "
            "or CR gets a leading ' so spreadsheets show it instead of running it).",
        ),
    ] = False,
) -> None:
    """One row per segment: document, case attributes, speaker, interviewer flag, offsets, timestamps, text."""
    from themegrid.api import export_segments

    result = export_segments(project, out, raw=raw)
    n, prefixed, target = result.rows, result.quoted, result.path
    typer.echo(f"wrote {n} segments to {target}")
    if prefixed:
        typer.echo(
            f"{prefixed} cells begin with = + - @, tab or CR: written with a leading ' so "
            "spreadsheets show them as text (--raw writes them as stored)"
        )
