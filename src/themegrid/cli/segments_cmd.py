"""``themegrid export segments``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from themegrid.cli.app import ProjectOpt, export_app
from themegrid.errors import ProjectError
from themegrid.project import open_project


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
    from themegrid.export.segments import write_segments

    proj = open_project(project, need=())
    if not proj.store_path.exists():
        raise ProjectError(f"{proj.root}: no project store yet; run 'themegrid ingest' first")
    target = out or proj.reports_dir / "segments.csv"
    with proj.open_store() as store:
        n, prefixed = write_segments(store, target, raw=raw)
    typer.echo(f"wrote {n} segments to {target}")
    if prefixed:
        typer.echo(
            f"{prefixed} cells begin with = + - @, tab or CR: written with a leading ' so "
            "spreadsheets show them as text (--raw writes them as stored)"
        )
