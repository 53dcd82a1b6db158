"""``themegrid init``, ``ingest``, ``code``, ``report``, ``status``: the project's main flow."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from themegrid.cli.app import JsonOpt, ProjectOpt, app, plain_console
from themegrid.project import init_project

if TYPE_CHECKING:
    from themegrid.pipeline.coding import CodingSummary
    from themegrid.pipeline.ingest import FileOutcome, IngestSummary, ProgressFn


@app.command("init")
def init(
    directory: Annotated[
        Path, typer.Argument(help="Folder for the new project (created if missing).", metavar="DIR")
    ],
    empty_codebook: Annotated[
        bool,
        typer.Option(
            "--empty-codebook",
            help="A codebook with no example codes (e.g. when import-coded --add-codes brings them).",
        ),
    ] = False,
) -> None:
    """Create a new project: a codebook template, corpus/ with a metadata.csv template, reports/."""
    project, written = init_project(directory, empty_codebook=empty_codebook)
    for path in written:
        typer.echo(f"wrote {path.relative_to(project.root)}")
    typer.echo(
        f"Project ready in {project.root}. Put files in corpus/, describe them in corpus/metadata.csv, "
        f"edit codebook/, then run: themegrid codebook check --project {directory}"
    )


def _progress_bar(console: Console) -> tuple[Progress, ProgressFn]:
    """A rich progress bar (silent when not a terminal) and the callback that drives it."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def update(done: int, total: int, label: str) -> None:
        stage = "tagging" if label == "tagging" else "reading"
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return bar, update


def _print_ingest(console: Console, summary: IngestSummary, verbose: bool = True) -> None:
    for warning in summary.warnings:
        console.print(f"warning: {warning}", style="yellow")
    for outcome in summary.outcomes:
        if outcome.action == "rejected":
            console.print(f"rejected: {outcome.message}", style="red")
        elif (verbose and outcome.action in ("added", "changed") and outcome.message) or (
            outcome.action == "attributes" and "(removed:" in outcome.message
        ):
            console.print(f"note: corpus/{outcome.path}: {outcome.message}")
        elif outcome.action in ("missing", "pruned", "kept"):
            console.print(f"{outcome.action}: corpus/{outcome.path}: {outcome.message}")
    read = [o for o in summary.outcomes if o.action in ("added", "changed")]
    if read and verbose:
        _print_read_files(console, read)
    names = {"attributes": "with case attributes updated"}
    parts = [
        f"{summary.count(a)} {names.get(a, a)}"
        for a in ("added", "changed", "attributes", "unchanged", "rejected")
        if summary.count(a)
    ]
    nothing = (
        "no file in corpus/ (the project's documents were imported)"
        if summary.words
        else "none found in corpus/"
    )
    console.print(f"Documents: {', '.join(parts) or nothing}.")
    if summary.newly_orphaned:
        console.print(
            f"{summary.newly_orphaned} human coding(s) orphaned by this run: their passage is "
            f"no longer in its file (kept, never dropped; {summary.orphaned} orphaned in all); "
            "'themegrid status' lists each with its passage.",
            style="yellow",
        )
    elif summary.orphaned:
        console.print(
            f"{summary.orphaned} human coding(s) orphaned by earlier runs are kept; "
            "'themegrid status' lists them.",
            style="dim",
        )


def _print_read_files(console: Console, read: list[FileOutcome]) -> None:
    """Per file: kind, segments, speakers found (interviewers marked); a summary for long lists."""
    if len(read) <= 40:
        table = Table(title="Files read")
        for col in ("file", "kind", "segments", "speakers (* = interviewer, not coded)"):
            table.add_column(col, overflow="fold")
        for o in read:
            names = ", ".join(f"{s}*" if s in o.interviewers else s for s in o.speakers[:8])
            more = f" (+{len(o.speakers) - 8})" if len(o.speakers) > 8 else ""
            table.add_row(o.path, o.kind, str(o.segments), names + more)
        console.print(table)
    interviews = [o for o in read if o.kind == "interview"]
    if interviews:
        turns = sum(o.segments for o in interviews)
        labelled = sum(o.labelled for o in interviews)
        without = [o.path for o in interviews if not o.interviewers]
        console.print(
            f"{len(interviews)} transcript(s): {labelled} of {turns} segments have a speaker label"
            + (
                f"; no interviewer recognised in: {', '.join(without)} (name them in metadata.csv column 'interviewers')"
                if without
                else ""
            )
        )


@app.command("ingest")
def ingest_cmd(
    project: ProjectOpt = Path("."),
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Delete documents whose files are gone (never those with human codings).",
        ),
    ] = False,
) -> None:
    """Read new and changed files in corpus/ into the project store (unchanged files are skipped)."""
    from themegrid.api import ingest

    console = plain_console()
    bar, update = _progress_bar(console)
    with bar:
        summary = ingest(project, prune=prune, progress=update)
    _print_ingest(console, summary)
    if not summary.changed_anything and summary.count("rejected"):
        console.print("Nothing was stored: fix the rejected file(s) above and run ingest again.")
    elif not summary.changed_anything:
        console.print("Nothing to do: every file is unchanged since the last ingest.")


@app.command("code")
def code_cmd(
    project: ProjectOpt = Path("."),
    include_interviewers: Annotated[
        bool,
        typer.Option("--include-interviewers", help="Also tag interviewer turns (off by default)."),
    ] = False,
    no_model: Annotated[
        bool, typer.Option("--no-model", help="Rules only: skip the learned suggester.")
    ] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="As in 'themegrid ingest --prune'.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes that tag in parallel (default: the machine's cores; 1: no extra process).",
        ),
    ] = None,
    semantic: Annotated[
        bool | None,
        typer.Option(
            "--semantic/--no-semantic",
            help="Semantic suggestions (similarity to each code's definition and examples) on or "
            "off for this run (default: the codebook's 'semantic:' setting).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest new or changed files, then suggest codes for every codable segment, as one recorded run.

    The codebook is validated first; if it is invalid nothing is touched.
    Human decisions are never changed, and a code a human rejected on a
    segment is not suggested there again.
    """
    from themegrid.api import code

    console = plain_console(stderr=as_json)
    bar, update = _progress_bar(console)
    with bar:
        summary = code(
            project,
            include_interviewers=include_interviewers,
            use_model=not no_model,
            prune=prune,
            workers=workers,
            progress=update,
            semantic=semantic,
        )
    if as_json:
        found = {**summary.to_dict(), "codebook_warnings": list(summary.codebook_warnings)}
        typer.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    _print_ingest(console, summary.ingest)
    _print_coding(console, summary, summary.codebook_name, summary.codebook_version)
    _print_codebook_warnings(console, summary.codebook_warnings)


def _print_codebook_warnings(console: Console, warnings: Sequence[str]) -> None:
    for warning in warnings:
        console.print(f"warning: {warning}", style="yellow")


def _print_coding(console: Console, s: CodingSummary, name: str, version: str) -> None:
    console.print(f"Run {s.run_id}: codebook '{name}' version {version}.")
    if s.did_nothing:
        console.print(
            "Nothing changed since the last run: no file or cue changed, no tagging was needed."
        )
    else:
        if s.codebook_changed:
            console.print(
                "The codebook changed (codes added, removed or made codable, cues, or which turns"
                " the machine codes, also by a newer themegrid): machine suggestions were"
                " recomputed."
            )
        console.print(
            f"Segments tagged: {s.segments_tagged}; new suggestions: {s.suggestions_new}; "
            f"retired: {s.suggestions_retired}; unchanged: {s.suggestions_kept}; "
            f"not re-suggested (human-rejected): {s.skipped_rejected}."
        )
    if s.model.get("note"):
        console.print(f"Model: {s.model['note']}")
    if s.semantic.get("note"):
        console.print(f"Semantic suggestions: {s.semantic['note']}")
    _print_gates(console, s.model.get("gates", []), s.awaiting_review)
    _print_not_machine_coded(console, s.not_machine_coded)
    table = Table(
        title="Segments per theme, human-accepted and unreviewed together (mostly machine "
        "guesses until reviewed; the report shows confirmed and unreviewed apart)"
    )
    table.add_column("theme")
    table.add_column("segments", justify="right")
    for theme, n in s.per_theme.items():
        table.add_row(theme, str(n))
    console.print(table)
    awaiting = sum(c.get("total", 0) for c in (s.awaiting_review or {}).values())
    if awaiting:
        console.print(
            f"Next: review the {awaiting} suggestion(s) awaiting it ('themegrid review export', "
            "or 'themegrid serve' in the browser): only what a human confirms counts as a "
            "finding; 'themegrid report' writes the theme matrix workbook."
        )
    else:
        console.print("Next: 'themegrid report' writes the theme matrix workbook.")


def _fmt(value: object) -> str:
    return "" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def _print_gates(
    console: Console, gates: list[dict[str, object]], awaiting: dict[str, dict[str, int]] | None
) -> None:
    """One row per code: its model gate's state and figures (and, after 'code', the
    suggestions awaiting review)."""
    if not gates and not awaiting:
        return
    columns = ["code", "model", "decisions", "positives", "precision", ">=", "recall"]
    columns += ["threshold"]
    columns += ["more decisions needed", "why"]
    if awaiting is not None:
        columns += ["awaiting review", "of them learned model", "of them semantic"]
    by_code = {str(g["code"]): g for g in gates}
    rows: list[list[str]] = []
    for code in list(by_code) + [c for c in (awaiting or {}) if c not in by_code]:
        g = by_code.get(code, {})
        needs = g.get("needs")
        row = [
            code,
            str(g.get("state", "")),
            _fmt(g.get("decisions")),
            _fmt(g.get("positives")),
            _fmt(g.get("precision")),
            _fmt(g.get("precision_low")),
            _fmt(g.get("recall")),
            _fmt(g.get("threshold")),
            f"~{needs}" if needs is not None else "",
            str(g.get("reason", "")),
        ]
        if awaiting is not None:
            counts = awaiting.get(code, {})
            row += [str(counts.get(k, 0)) for k in ("total", "model", "semantic")]
        rows.append(row)
    # Columns with nothing to say (every cell empty, e.g. no precision before any decision)
    # are left out, and a reason every code shares is said once under the table: the table
    # stays readable in an 80-column terminal.
    zero_means_none = {"of them learned model", "of them semantic"}
    keep = [
        i
        for i, name in enumerate(columns)
        if i == 0 or any(r[i] and not (name in zero_means_none and r[i] == "0") for r in rows)
    ]
    only_rules = awaiting is not None and not any(columns[i] in zero_means_none for i in keep)
    why = columns.index("why")
    shared_why = rows[0][why] if rows and len({r[why] for r in rows}) == 1 else ""
    if shared_why and why in keep:
        keep.remove(why)
    table = Table(
        title="Learned model per code (precision, its lower bound, recall: cross-validated on "
        "human decisions, folds grouped by document)"
    )
    for i in keep:
        table.add_column(columns[i], overflow="fold")
    for row in rows:
        table.add_row(*(row[i] for i in keep))
    console.print(table)
    if shared_why:
        console.print(f"Every code's model: {shared_why}.")
    if only_rules:
        console.print("Every suggestion awaiting review comes from the rules (cues).")
    console.print(
        "A code's model suggests only when the lower bound of its precision (one-sided 90%) "
        "reaches the floor ('model_precision_floor:' in the codebook header) with at least "
        "'model_min_positives:' positive decisions; 'learning': too few positives yet (the "
        "estimate of decisions needed assumes the share of positives seen so far); 'off': "
        "enough positives, precision too low; it is checked again at every 'themegrid code'."
    )


def _print_runs(console: Console, runs: list[dict[str, Any]], total: int) -> None:
    """The run history, newest first: what each command did, in a few figures."""
    if len(runs) < 2:
        return  # "Last run" said it all
    shown = (
        f"all {total}"
        if len(runs) == total
        else f"the latest {len(runs)} of {total}; 'themegrid status --runs 0' lists all"
    )
    table = Table(title=f"Run history ({shown})")
    for col in ("#", "command", "finished", "what it did"):
        table.add_column(col, overflow="fold")
    for run in runs:
        if run["failed"]:
            finished, did = "failed, rolled back", str(run["failed"])
        else:
            finished = (run["finished_at"] or "not finished")[:19]
            did = _run_figures(run["summary"])
        table.add_row(str(run["id"]), run["command"], finished, did)
    console.print(table)


def _run_figures(summary: dict[str, Any]) -> str:
    """A run's stored summary as its first few figures (``added 3, withdrawn 0``)."""
    figures = [
        f"{key.replace('_', ' ')} {value}"
        for key, value in summary.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and key != "run_id"
    ]
    return ", ".join(figures[:5])


def _print_not_machine_coded(console: Console, skipped: dict[str, dict[str, int]]) -> None:
    for reason, per_doc in skipped.items():
        total = sum(per_doc.values())
        where = ", ".join(f"{path} ({n})" for path, n in sorted(per_doc.items())[:8])
        more = f", and {len(per_doc) - 8} more document(s)" if len(per_doc) > 8 else ""
        console.print(
            f"Not machine-coded ({reason}): {total} segment(s) in {len(per_doc)} document(s): "
            f"{where}{more}. Humans can still code them."
        )


@app.command("status")
def status_cmd(
    project: ProjectOpt = Path("."),
    runs: Annotated[
        int,
        typer.Option(
            "--runs",
            min=0,
            metavar="N",
            help="How many of the latest runs to list (the run history; 0: all).",
        ),
    ] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Summarise the project: documents, segments, codings by source and status, runs, orphaned codings."""
    from themegrid.api import status

    info = status(project, runs or None).to_dict()
    if as_json:
        typer.echo(json.dumps(info, indent=2, ensure_ascii=False, default=str))
        return
    console = plain_console()
    docs = info["documents"]
    console.print(
        f"Documents: {docs['present']} present, {docs['missing']} missing "
        f"({docs['words']} words); segments: {info['segments']['active']} active, "
        f"{info['segments']['inactive']} no longer in their file."
    )
    table = Table(title="Codings")
    for col in ("source", "suggester", "status", "count"):
        table.add_column(col)
    for row in info["codings"]:
        if row["source"] == "human":
            table.add_row(row["source"], "", row["status"], str(row["n"]))
    for row in info["suggesters"]:
        table.add_row(row["source"], row["suggester"], row["status"], str(row["n"]))
    console.print(table)
    review = info["review"]
    console.print(
        f"Review: {review['pending']} suggestion(s) await a human decision; "
        f"{review['decided_suggestions']} machine suggestion(s) have been decided by a human "
        "(they stay listed above as 'suggested', the human decision is what counts).",
    )
    if info["coders"]:
        console.print(
            "Human coders: " + ", ".join(f"{c['coder']} ({c['n']})" for c in info["coders"])
        )
    _print_gates(console, info["model_gates"], None)
    _print_not_machine_coded(console, info["not_machine_coded"])
    if info["last_run"]:
        run = info["last_run"]
        book = (
            f"codebook {run['codebook_name']} {run['codebook_version'] or ''}".rstrip() + ", "
            if run["codebook_name"]
            else ""
        )
        console.print(
            f"Last run: #{run['id']} {run['command']} at {run['finished_at'] or run['started_at']} "
            f"({book}themegrid {run['tool_version']})."
        )
    _print_runs(console, info["recent_runs"], info["runs"])
    if info["failed_runs"]:
        last = info["failed_runs"][-1]
        console.print(
            f"Failed runs (rolled back, nothing kept): {len(info['failed_runs'])}; last: "
            f"#{last['id']} {last['command']} at {last['finished_at']}: {last['failed']}",
            style="yellow",
        )
    if info["orphaned"]:
        console.print(f"{len(info['orphaned'])} orphaned human coding(s), kept:", style="yellow")
        for o in info["orphaned"]:
            what = "the passage" if o["on_passage"] else "the turn"
            quote = o["passage"] if len(o["passage"]) <= 100 else o["passage"][:99] + "…"
            console.print(
                f"  {o['path']}: {o['code_id']} by {o['coder']} ({o['status']}) on {what} "
                f"“{quote}”",
                highlight=False,
                markup=False,
            )
        from themegrid.pipeline.ingest import REATTACH_SIMILARITY

        console.print(
            "  (a coding follows its turn when the edited file still has the turn's text at "
            f"least {REATTACH_SIMILARITY:.0%} alike, and a passage only when its exact text is "
            "still in the turn; "
            "otherwise it stays here, on the old text, for you to code again where it belongs)",
            style="dim",
        )
    _print_codebook_warnings(console, info["codebook_warnings"])
    if info["orphaned_memos"]:
        console.print(
            f"{len(info['orphaned_memos'])} memo(s) on passages no longer in their file, kept:",
            style="yellow",
        )
        for m in info["orphaned_memos"]:
            console.print(
                f"  {m['path']}: memo by {m['coder']} on: {m['passage'][:60]} -- {m['text'][:60]}"
            )


@app.command("remove")
def remove_cmd(
    document: Annotated[
        str,
        typer.Argument(
            help="The document as stored (e.g. interviews/az.txt, imported/..., or a spreadsheet "
            "whose rows are documents).",
            metavar="DOC",
        ),
    ],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Remove it even though it carries human decisions; they are kept as orphaned "
            "codings (listed by 'themegrid status'), after a backup of the store.",
        ),
    ] = False,
    project: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Take a document out of the project (its file must be gone from corpus/), in one run."""
    from themegrid.api import remove

    result = remove(project, document, force=force)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    for doc in result.documents:
        if doc.action == "deleted":
            typer.echo(
                f"removed {doc.path}: {doc.segments} segment(s) and {doc.machine_codings} machine "
                "suggestion(s) deleted"
            )
        else:
            typer.echo(
                f"removed {doc.path}: {doc.machine_codings} machine suggestion(s) deleted; "
                f"{doc.human_codings} human coding(s) and {doc.memos} memo(s) kept as orphaned "
                "(see 'themegrid status')"
            )
    typer.echo(
        f"Run {result.run_id}."
        + (f" The store before this run is backed up in {result.backup}." if result.backup else "")
    )
