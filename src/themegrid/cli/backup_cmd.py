"""``themegrid restore BACKUP`` and ``themegrid backups``: the store's automatic backups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from themegrid.cli.app import JsonOpt, ProjectOpt, app


@app.command("backups")
def backups_cmd(project: ProjectOpt = Path("."), as_json: JsonOpt = False) -> None:
    """List the automatic backups of the store (made before each command that changes human
    decisions; the newest THEMEGRID_KEEP_BACKUPS, default 10, are kept)."""
    from themegrid.api import backups

    found = backups(project)
    if as_json:
        typer.echo(json.dumps([str(p) for p in found]))
        return
    if not found:
        typer.echo("No backups yet (one is made before each command that changes human decisions).")
        return
    for path in found:
        typer.echo(f"{path}  ({path.stat().st_size} bytes)")


@app.command("restore")
def restore_cmd(
    backup: Annotated[
        Path,
        typer.Argument(
            help="A backup file, or its name in .themegrid/backups/ (see 'themegrid backups').",
            metavar="BACKUP",
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Replace the project store with a backup, after saying how many human decisions that loses.

    The current store is backed up first (or, if it cannot be read, kept beside
    the restored one as themegrid.sqlite.damaged-<time>).
    """
    from themegrid.api import plan_restore, restore

    plan = plan_restore(project, backup)
    typer.echo(
        f"Backup {plan.backup.name}: {plan.decisions_in_backup} human decision(s), "
        f"made {plan.backup_time}."
    )
    typer.echo(plan.warning())
    if not yes and not typer.confirm("Restore it?", default=False):
        typer.echo("Nothing was changed.")
        raise typer.Exit(1)
    kept = restore(plan)
    typer.echo(
        f"Restored {plan.store} from {plan.backup.name}."
        + (f" The store as it was is in {kept}." if kept else "")
    )
