"""``themegrid serve``: the browser workspace over the project store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from themegrid.cli.app import ProjectOpt, app
from themegrid.project import open_project


@app.command("serve")
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (only this computer by default).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)
    ] = 8765,
    project: ProjectOpt = Path("."),
) -> None:
    """Read transcripts, code passages, review suggestions and drill into the matrix in a browser."""
    from themegrid.web.server import serve as run

    run(open_project(project), host=host, port=port, announce=typer.echo)
