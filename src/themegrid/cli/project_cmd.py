"""``themegrid init``, ``ingest``, ``code``, ``report``, ``status``: the project's main flow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..project import init_project
from .app import app


@app.command("init")
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new project (created if missing).")],
) -> None:
    """Create a new project: a codebook template, corpus/ with a metadata.csv template, reports/."""
    project, written = init_project(directory)
    for path in written:
        typer.echo(f"wrote {path.relative_to(project.root)}")
    typer.echo(
        f"Project ready in {project.root}. Put files in corpus/, describe them in corpus/metadata.csv, "
        f"edit codebook/, then run: themegrid codebook check --project {directory}"
    )
