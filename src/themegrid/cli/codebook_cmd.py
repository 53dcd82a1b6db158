"""``themegrid codebook ...``: validate and test the codebook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from themegrid.cli.app import JsonOpt, ProjectOpt, app, make_app, plain_console

if TYPE_CHECKING:
    from themegrid.codebook.check import CheckReport


codebook_app = make_app("Validate and test the codebook.")
app.add_typer(codebook_app, name="codebook")


@codebook_app.command("check")
def check(
    project: ProjectOpt = Path("."),
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Also fail when an example is missed or a counterexample hit."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Validate the codebook and run each code's examples and counterexamples through its cues.

    Exit status 1 on validation errors; with --strict also when an example is
    missed by its cues or a counterexample is hit.
    """
    from themegrid.api import check_codebook

    report = check_codebook(project)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print(report)
    if not report.valid or (strict and not report.examples_ok):
        raise typer.Exit(1)


def _print(report: CheckReport) -> None:
    console = plain_console()
    if not report.valid:
        console.print(f"The codebook has {len(report.problems)} problem(s):", style="red")
        for problem in report.problems:
            console.print(f"  {problem}")
        return
    book = report.codebook
    assert book is not None
    table = Table(title=f"{book.name} (version {book.version})")
    for col in ("id", "name", "cues", "examples found", "counterexamples hit"):
        table.add_column(col, overflow="fold")
    by_id = {c.code_id: c for c in report.examples}
    for code in book.tree_order():
        indent = "  " * book.depth(code.id)
        check = by_id.get(code.id)
        if check is None:
            table.add_row(indent + code.id, code.name, "-", "(grouping)", "")
            continue
        found = check.n_examples - len(check.missed_examples)
        found_txt = f"{found}/{check.n_examples}"
        hit_txt = f"{len(check.hit_counterexamples)}/{check.n_counterexamples}"
        style = "" if check.ok else "yellow"
        table.add_row(
            indent + code.id, code.name, str(code.cues.count()), found_txt, hit_txt, style=style
        )
    console.print(table)
    for check in report.examples:
        for text in check.missed_examples:
            console.print(
                f"missed example {check.code_id}: {text}  (add a cue that finds it, or move it)",
                style="yellow",
            )
        for text in check.hit_counterexamples:
            console.print(
                f"counterexample hit {check.code_id}: {text}  (narrow the cues or add a veto)",
                style="yellow",
            )
    for warning in report.warnings:
        console.print(f"warning: {warning}", style="yellow")
    n_codable = len(book.codable)
    console.print(
        f"{len(book.codes)} codes ({n_codable} codable); "
        f"examples found {report.examples_found}/{report.examples_total}; "
        f"counterexamples hit {report.counterexamples_hit}/{report.counterexamples_total}; "
        + _verdict(report)
    )


def _verdict(report: CheckReport) -> str:
    if not report.examples_total and not report.counterexamples_total:
        return "no examples to test: add examples and counterexamples to each code."
    return "all codebook tests pass." if report.examples_ok else "some codebook tests fail."


@codebook_app.command("merge")
def merge_cmd(
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            help="Codes to merge away (ids or names).", metavar="SOURCE", show_default=False
        ),
    ] = None,
    into: Annotated[
        str | None, typer.Option("--into", help="The code that remains.", metavar="TARGET")
    ] = None,
    undo: Annotated[
        int | None, typer.Option("--undo", help="Undo the merge run RUN instead.", metavar="RUN")
    ] = None,
    project: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Move every coding (human and machine) of SOURCE codes onto TARGET, in one undoable run."""
    from themegrid.api import merge_codes, unmerge

    if undo is not None:
        result: Any = unmerge(project, undo)
    else:
        result = merge_codes(project, list(sources or []), into or "")
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
    elif undo is not None:
        typer.echo(
            f"Undid merge run {result.undone_run} (run {result.run_id}): {result.restored} coding(s) "
            "restored"
            + (f"; {len(result.left)} changed again since, left as they are" if result.left else "")
        )
        if result.files_restored:
            typer.echo(f"Codebook files restored: {', '.join(result.files_restored)}")
        for side in result.files_left:
            typer.echo(
                f"A codebook file was edited after the merge and is left as it is; its pre-merge "
                f"text is in {side}"
            )
    else:
        typer.echo(
            f"Merged {', '.join(result.sources)} into {result.target} (run {result.run_id}): "
            f"{result.moved} coding(s) moved, {result.combined} human decision(s) folded into the "
            f"coder's decision on {result.target}, {result.retired} machine suggestion(s) retired. "
            f"Undo with: themegrid codebook unmerge {result.run_id}"
        )
        if result.files_edited:
            typer.echo(
                f"Codebook files edited: {', '.join(result.files_edited)} ("
                + (f"{', '.join(result.in_codebook)} removed; " if result.in_codebook else "")
                + f"their ids and names are now aliases of {result.target})."
            )


@codebook_app.command("unmerge")
def unmerge_cmd(
    run: Annotated[int, typer.Argument(help="The merge run to undo.", metavar="RUN")],
    project: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Undo a 'codebook merge' run: every coding it changed goes back to its earlier state."""
    merge_cmd(None, None, run, project, as_json)
