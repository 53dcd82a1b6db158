"""``themegrid import taguette`` and ``import qualcoder``: other QDA tools' own project files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from themegrid.cli.app import (
    InterviewerTurnsOpt,
    JsonOpt,
    NewCoderOpt,
    ProjectOpt,
    import_app,
)
from themegrid.exchange.options import ImportOptions


@import_app.command("taguette")
def import_taguette_cmd(
    file: Annotated[
        Path,
        typer.Argument(help="The Taguette project database (.sqlite3).", metavar="FILE"),
    ],
    project: ProjectOpt = Path("."),
    coder_prefix: Annotated[
        str,
        typer.Option("--coder-prefix", help="Put this before every Taguette user name."),
    ] = "",
    code_interviewer_turns: InterviewerTurnsOpt = False,
    new_coder: NewCoderOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Import a Taguette project: documents, tags (as codes) and highlights (as human codings).

    The file is opened read-only. Each highlight keeps its exact offsets; its
    quote is checked against the text and a mismatch is listed, never shifted.
    """
    from themegrid.api import import_taguette

    summary = import_taguette(
        project, file, ImportOptions(coder_prefix, code_interviewer_turns, new_coder)
    )
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
        return
    for line in summary.lines():
        typer.echo(line)


@import_app.command("qualcoder")
def import_qualcoder_cmd(
    path: Annotated[
        Path,
        typer.Argument(
            help="The QualCoder project folder (NAME.qda) or its data.qda.", metavar="PROJECT"
        ),
    ],
    project: ProjectOpt = Path("."),
    coder_prefix: Annotated[
        str,
        typer.Option("--coder-prefix", help="Put this before every QualCoder coder name."),
    ] = "",
    code_interviewer_turns: InterviewerTurnsOpt = False,
    new_coder: NewCoderOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Import a QualCoder project (schema v6 to v14): codes, text sources, coded texts by coder.

    The file is opened read-only; every quote is checked against the text.
    """
    from themegrid.api import import_qualcoder

    summary = import_qualcoder(
        project, path, ImportOptions(coder_prefix, code_interviewer_turns, new_coder)
    )
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
        return
    for line in summary.lines():
        typer.echo(line)


@import_app.command("quotes")
def import_quotes_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            help="A coded-quotes table (.pdf, .xlsx or .csv): MAXQDA's Coded Segments, ATLAS.ti's"
            " quotations, Taguette's highlights, Dedoose's excerpts; or an NVivo node export"
            " (.docx or .txt).",
            metavar="FILE",
        ),
    ],
    coder: Annotated[
        str, typer.Option("--coder", help="Whose codings these are.", show_default=False)
    ],
    project: ProjectOpt = Path("."),
    add_codes: Annotated[
        bool,
        typer.Option(
            "--add-codes", help="Create unknown codes (written to codebook/imported_<coder>.yaml)."
        ),
    ] = False,
    complete: Annotated[
        bool,
        typer.Option(
            "--complete",
            help="The table holds every coding of its documents (not filtered by code): their"
            " uncoded segments count as seen, i.e. as negatives for the model and evaluate.",
        ),
    ] = False,
    document_column: Annotated[
        str | None,
        typer.Option(
            "--document-column",
            help="Header of the column naming each quote's document (default: found by its"
            " header, e.g. MAXQDA's 'Document name' / 'Dokumentname', or from the cells).",
            show_default=False,
        ),
    ] = None,
    code_column: Annotated[
        str | None,
        typer.Option(
            "--code-column",
            help="Header of the column holding the code(s) (default: 'Code', 'Codes', ...).",
            show_default=False,
        ),
    ] = None,
    quote_column: Annotated[
        str | None,
        typer.Option(
            "--quote-column",
            help="Header of the column holding the coded text (default: 'Segment',"
            " 'Quotation Content', ...).",
            show_default=False,
        ),
    ] = None,
    code_interviewer_turns: InterviewerTurnsOpt = False,
    new_coder: NewCoderOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Import coded quotes (Document name, Code, Segment) into documents already ingested.

    Each quote is found in its document's text and keeps its exact offsets; a quote
    found nowhere, or more than once, is listed and left out, never guessed.
    """
    from themegrid.api import import_quotes

    summary = import_quotes(
        project,
        file,
        coder=coder,
        add_codes=add_codes,
        complete=complete,
        document_column=document_column,
        code_column=code_column,
        quote_column=quote_column,
        new_coder=new_coder,
        code_interviewer_turns=code_interviewer_turns,
    )
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
        return
    for line in summary.lines():
        typer.echo(line)
