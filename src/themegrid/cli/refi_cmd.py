"""``themegrid export qdc|qdpx`` and ``themegrid import qdc|qdpx``: REFI-QDA exchange."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from themegrid.cli.app import (
    InterviewerTurnsOpt,
    JsonOpt,
    NewCoderOpt,
    ProjectOpt,
    export_app,
    import_app,
)
from themegrid.exchange.options import ImportOptions


def _out_arg(default: str) -> Any:
    return typer.Argument(
        help=f"The file to write (replaced if it exists) [default: {default}].",
        dir_okay=False,
        metavar="OUT",
        show_default=False,
    )


QdcOutArg = Annotated[Path | None, _out_arg("reports/codebook.qdc")]
QdpxOutArg = Annotated[Path | None, _out_arg("reports/project.qdpx")]
InArg = Annotated[Path, typer.Argument(help="The file to import.", dir_okay=False, metavar="FILE")]


@export_app.command("qdc")
def export_qdc_cmd(
    out: QdcOutArg = None, project: ProjectOpt = Path("."), as_json: JsonOpt = False
) -> None:
    """Write the codebook as a REFI-QDA codebook (.qdc) for NVivo, ATLAS.ti, MAXQDA, QualCoder.

    Includes the hierarchy, names, colours, codability and each code's definition
    with its "When to use" / "When not to use" notes. GUIDs are stable across exports.
    """
    from themegrid.api import export_qdc

    result = export_qdc(project, out)
    _echo(result.lines(), {"path": result.path, "codes": result.codes}, as_json)


@export_app.command("qdpx")
def export_qdpx_cmd(
    out: QdpxOutArg = None,
    project: ProjectOpt = Path("."),
    include_suggestions: Annotated[
        bool,
        typer.Option(
            "--include-suggestions",
            help="Also export unreviewed machine suggestions, as the user 'themegrid (machine)'.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write the coded project as REFI-QDA (.qdpx): codebook, documents, case attributes, codings.

    By default only human accepted codings are exported; each human coder becomes a user.
    """
    from themegrid.api import export_qdpx

    result = export_qdpx(project, out, include_suggestions=include_suggestions)
    data = {
        "path": result.path,
        "codes": result.codes,
        "documents": result.documents,
        "selections": result.selections,
        "codings": result.codings,
        "users": list(result.users),
        "skipped": list(result.skipped),
    }
    _echo(result.lines(), data, as_json)


@import_app.command("qdc")
def import_qdc_cmd(file: InArg, project: ProjectOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Import a REFI-QDA codebook (.qdc) into the project.

    The codes go into the store and into codebook/imported_<file>.yaml (no cues),
    so 'themegrid codebook check' sees them. Refused, with nothing written, when
    a derived code id already exists.
    """
    from themegrid.api import import_qdc

    summary = import_qdc(project, file)
    _echo(summary.lines(), summary.to_dict(), as_json)


@import_app.command("qdpx")
def import_qdpx_cmd(
    file: InArg,
    project: ProjectOpt = Path("."),
    coder_prefix: Annotated[
        str,
        typer.Option(
            "--coder-prefix", help="Put this before every imported coder name, e.g. 'nvivo:'."
        ),
    ] = "",
    code_interviewer_turns: InterviewerTurnsOpt = False,
    new_coder: NewCoderOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Import a REFI-QDA project (.qdpx): codes, text sources and their codings.

    Text and PDF (with a text representation) sources become documents in the store
    (under refi/, not in corpus/); their codings become human accepted codings by
    the file's users. Audio, video and picture sources are skipped and listed.
    Everything is checked first: on any error nothing is written.
    """
    from themegrid.api import import_qdpx

    summary = import_qdpx(
        project, file, ImportOptions(coder_prefix, code_interviewer_turns, new_coder)
    )
    _echo(summary.lines(), summary.to_dict(), as_json)


def _echo(lines: list[str], data: dict[str, object], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for line in lines:
            typer.echo(line)
