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
    out: Annotated[Path, typer.Argument(help="Output file: .csv or .xlsx.", metavar="OUT")],
    project: ProjectOpt = Path("."),
) -> None:
    """One row per segment: document, case attributes, speaker, interviewer flag, offsets, timestamps, text."""
    from themegrid.export.segments import export_segments

    proj = open_project(project, need=())
    if not proj.store_path.exists():
        raise ProjectError(f"{proj.root}: no project store yet; run 'themegrid ingest' first")
    with proj.open_store() as store:
        n = export_segments(store, out)
    typer.echo(f"wrote {n} segments to {out}")
