"""``themegrid user add NAME``: accounts for a workspace served beyond this computer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from themegrid.cli.app import NewCoderOpt, ProjectOpt, app, make_app
from themegrid.project import open_project

user_app = make_app("Workspace accounts (needed by 'themegrid serve --host' other than 127.0.0.1).")
app.add_typer(user_app, name="user")


@user_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The account name; decisions are stored under it.")],
    password: Annotated[
        str,
        typer.Option(
            "--password",
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Asked for when not given (at least 10 characters).",
        ),
    ],
    project: ProjectOpt = Path("."),
    new_coder: NewCoderOpt = False,
) -> None:
    """Add an account; its password is stored as a salted scrypt hash in the project store."""
    from themegrid.web.accounts import add_user

    stored = add_user(open_project(project), name, password, new_coder=new_coder)
    typer.echo(f"added user {stored!r}")
