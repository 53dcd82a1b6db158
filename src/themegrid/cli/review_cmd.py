"""``themegrid review export|import``: review machine suggestions in an Excel sheet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from themegrid.cli.app import JsonOpt, ProjectOpt, app, make_app

review_app = make_app("Review machine suggestions in Excel: export a sheet, import the decisions.")
app.add_typer(review_app, name="review")


@review_app.command("export")
def export(
    out: Annotated[
        Path | None,
        typer.Argument(
            help="Where to write the sheet [default: reports/review.xlsx].", metavar="OUT"
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most N rows.", min=1)] = None,
    code: Annotated[
        list[str] | None,
        typer.Option("--code", help="Only suggestions of this code id (repeatable)."),
    ] = None,
    by_segment: Annotated[
        bool,
        typer.Option("--by-segment", help="Order rows by document and segment, not by certainty."),
    ] = False,
    coder: Annotated[
        str | None,
        typer.Option(
            "--coder",
            help="Make the sheet for this coder: the suggestions they have not decided, "
            "including those other coders decided, with no other coder's decision shown "
            "(blind double-coding). Without it: the suggestions no one has decided.",
        ),
    ] = None,
    project: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Write one row per pending suggestion, least certain first, with a Decision dropdown."""
    from themegrid.api import review_export

    summary = review_export(
        project, out, limit=limit, codes=code, by_segment=by_segment, coder=coder
    )
    if as_json:
        typer.echo(json.dumps(summary.__dict__))
        return
    who = f" for {summary.coder}" if summary.coder else ""
    if not summary.pending:
        awaits = (
            f"{summary.coder} has decided every suggestion"
            if summary.coder
            else ("no suggestion awaits a decision")
        )
        typer.echo(
            f"wrote {summary.path}{who} with no rows: {awaits} "
            "(run 'themegrid code' after adding files or cues, or add codes in the sheet)"
        )
        return
    name = summary.coder or "Your Name"
    typer.echo(
        f"wrote {summary.path}{who}: {summary.rows} of {summary.pending} pending suggestion(s). "
        f"Fill Decision, then run: themegrid review import {summary.path} --coder '{name}'"
    )


@review_app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="A review sheet filled in by the coder.", metavar="FILE")
    ],
    coder: Annotated[
        str, typer.Option("--coder", help="Who made the decisions (a person's name).")
    ],
    skip_changed: Annotated[
        bool,
        typer.Option(
            "--skip-changed",
            help="Leave out (and list) rows on segments whose file was edited since the "
            "sheet was exported, instead of refusing the sheet.",
        ),
    ] = False,
    project: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Apply the decisions in a review sheet as CODER's codings (all of them, or none)."""
    from themegrid.api import review_import

    summary = review_import(project, file, coder=coder, skip_changed=skip_changed)
    if as_json:
        typer.echo(json.dumps(summary.to_dict()))
        return
    typer.echo(
        f"{summary.coder}: {summary.accepted} accepted, {summary.rejected} rejected, "
        f"{summary.added} added, {summary.unchanged} unchanged; "
        f"{summary.views_added} segment(s) newly marked as seen (run {summary.run_id})"
    )
    if summary.skipped_rows:
        rows = ", ".join(str(r) for r in summary.skipped_rows[:20])
        more = " ..." if len(summary.skipped_rows) > 20 else ""
        typer.echo(
            f"skipped {len(summary.skipped_rows)} row(s) whose segment was edited since the "
            f"export (rows {rows}{more}); review the edited text: themegrid review export"
        )
