"""``themegrid import-coded``: spreadsheets of already-coded segments as a coder's codings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from themegrid.cli.app import JsonOpt, NewCoderOpt, ProjectOpt, app


@app.command("import-coded")
def import_coded_cmd(
    files: Annotated[
        list[Path], typer.Argument(help="One or more .csv or .xlsx files.", metavar="FILE")
    ],
    coder: Annotated[str, typer.Option("--coder", help="Who coded the files (a person's name).")],
    id_column: Annotated[
        str | None, typer.Option("--id-column", help="Column with a row id (e.g. ResponseId).")
    ] = None,
    text_column: Annotated[
        list[str] | None,
        typer.Option(
            "--text-column",
            help="Column with the text. Repeat it for files that name it differently "
            "(several survey questions at once): each file uses the first one it has.",
        ),
    ] = None,
    speaker_column: Annotated[
        str | None, typer.Option("--speaker-column", help="Column with the speaker.")
    ] = None,
    attribute_column: Annotated[
        list[str] | None,
        typer.Option(
            "--attribute-column",
            help="A column of case attributes, e.g. State, or NAME=COLUMN to rename it, "
            "e.g. state=Q2 (repeatable; one NAME with several columns, e.g. problem=v_246 "
            "problem=v_247: each file uses the first of them it has).",
        ),
    ] = None,
    code_columns: Annotated[
        list[str] | None,
        typer.Option(
            "--code-columns",
            help="Code columns, e.g. 'Code 1..Code 8' or 'Funding..Training' (every column from "
            "the first to the last; repeatable). Columns holding only 0/1, TRUE/FALSE, yes/no or "
            "x are one column per code: the header is the code.",
        ),
    ] = None,
    code_column: Annotated[
        str | None, typer.Option("--code-column", help="One column holding several codes.")
    ] = None,
    delimiter: Annotated[
        str, typer.Option("--delimiter", help="Separates codes within a cell.")
    ] = ";",
    rows_are_documents: Annotated[
        bool | None,
        typer.Option(
            "--rows-are-documents/--one-document",
            help="Each row is its own document (survey responses), or the file is one document "
            "(a transcript, rows are turns). Default: rows are documents unless there is a "
            "Speaker column.",
            show_default=False,
        ),
    ] = None,
    document_name: Annotated[
        str | None,
        typer.Option("--document-name", help="Name of the document (default: the file name)."),
    ] = None,
    document_column: Annotated[
        str | None,
        typer.Option(
            "--document-column",
            help="Column naming each row's document: rows with the same value are one "
            "document, in file order (sentences of one abstract, turns of one transcript). "
            "Cross-validation then keeps a document's rows in one fold.",
        ),
    ] = None,
    add_codes: Annotated[
        bool,
        typer.Option(
            "--add-codes",
            help="Create codes missing from the codebook and write them to "
            "codebook/imported_<coder>.yaml.",
        ),
    ] = False,
    skip_bad_rows: Annotated[
        bool,
        typer.Option(
            "--skip-bad-rows",
            help="Import every valid row; list each bad row (file, row, reason) in a CSV in reports/.",
        ),
    ] = False,
    no_code_marker: Annotated[
        list[str] | None,
        typer.Option(
            "--no-code-marker",
            help="A code cell value meaning 'no code' (repeatable; replaces the defaults: "
            "'not codable', 'not codeable', 'not answered', '-', 'n/a', 'none').",
        ),
    ] = None,
    code_map: Annotated[
        Path | None,
        typer.Option(
            "--map",
            help="A two-column CSV/XLSX (label, code id): labels to read as those codes.",
            metavar="FILE",
        ),
    ] = None,
    long: Annotated[
        bool,
        typer.Option(
            "--long",
            help="Long format: rows repeating a text are one segment with all their codes, even "
            "without an id column (rows repeating an id and text always are).",
        ),
    ] = False,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="Worksheet to read (default: the first).")
    ] = None,
    project: ProjectOpt = Path("."),
    new_coder: NewCoderOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Import segments coded in a spreadsheet (one row per segment) as CODER's codings.

    Code cells hold code ids or names (any case), or paths like parent->child.
    Rows with text but no codes count as seen and left uncoded. Nothing is
    written unless every file, column and code is valid.
    """
    from themegrid.api import import_coded
    from themegrid.exchange.coded import NO_CODE_MARKERS, Layout

    columns = [*(code_columns or []), *([code_column] if code_column else [])]
    layout = Layout(
        id_column=id_column,
        text_column=text_column[0] if text_column and len(text_column) == 1 else None,
        text_column_choices=tuple(text_column) if text_column and len(text_column) > 1 else (),
        speaker_column=speaker_column,
        attribute_columns=tuple(attribute_column or ()),
        code_columns=tuple(columns),
        delimiter=delimiter,
        no_code_markers=tuple(no_code_marker) if no_code_marker else NO_CODE_MARKERS,
        long=long,
    )
    summary = import_coded(
        project,
        files,
        coder=coder,
        layout=layout,
        rows_are_documents=rows_are_documents,
        document_name=document_name,
        document_column=document_column,
        add_codes=add_codes,
        sheet=sheet,
        skip_bad_rows=skip_bad_rows,
        code_map=code_map,
        new_coder=new_coder,
    )
    if as_json:
        typer.echo(json.dumps(summary.to_dict()))
        return
    if summary.documents_by:
        how = f"Read the rows with one value in column {summary.documents_by!r} as one document."
    elif summary.rows_are_documents:
        how = (
            "Read each row as a document (a survey response); pass --one-document if the rows "
            "are turns of one transcript, or --document-column COLUMN if a column names each "
            "row's document (an abstract, an interview)."
        )
    else:
        how = "Read the file as one document (rows are its turns or paragraphs)."
    typer.echo(how)
    read = summary.rows + summary.rows_merged + len(summary.skipped)
    how_kept = " and ".join(
        w for w, n in (("merging", summary.rows_merged), ("skipping", len(summary.skipped))) if n
    )
    kept = f" ({summary.rows} after {how_kept})" if how_kept else ""
    typer.echo(
        f"{summary.coder}: {read} row(s) from {summary.files} file(s){kept}; "
        f"documents {summary.documents_created} new, {summary.documents_matched} matched"
        f"{f' ({summary.documents_updated} with new attributes)' if summary.documents_updated else ''}; "
        f"segments {summary.segments_created} new, {summary.segments_matched} matched; "
        f"codings {summary.codings_added} added, {summary.codings_unchanged} unchanged, "
        f"{summary.codings_replaced} replaced, {summary.codings_withdrawn} withdrawn (run {summary.run_id})"
    )
    if summary.documents_matched_by_value:
        typer.echo(
            f"{summary.documents_matched_by_value} of the matched documents met an earlier "
            f"file's document by their {summary.documents_by!r} value (the same words, or most "
            "sentences the same)."
        )
    if summary.rows_merged:
        typer.echo(
            f"{summary.rows_merged} row(s) repeated an earlier row's id and text (long format) "
            "and were merged into it."
        )
    if summary.no_code_cells:
        typer.echo(f"{summary.no_code_cells} code cell(s) held a 'no code' marker (not codes).")
    for warning in summary.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if summary.skipped:
        typer.echo(
            f"Skipped {len(summary.skipped)} bad row(s); listed with file, row and reason in "
            f"{summary.skipped_report}"
        )
    if summary.template_replaced:
        typer.echo(
            "The codebook was still the untouched template: its example codes were removed "
            "(codebook/codebook.yaml now holds only the header)."
        )
    if summary.merge_candidates:
        typer.echo(
            f"{len(summary.merge_candidates)} group(s) of near-duplicate codes (same leading number "
            "or nearly the same name); to merge one, run its command (it keeps the code "
            "spelled as English words, else the most used: check it is the right one, and "
            "swap the names if not):"
        )
        for command in summary.merge_candidates:
            typer.echo(f"  {command}")
    if summary.codes_created:
        typer.echo(
            f"Created {len(summary.codes_created)} code(s); written to {summary.codebook_file}. "
            "Write their definitions there."
        )
