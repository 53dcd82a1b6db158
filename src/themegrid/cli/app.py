"""The Typer application object and the shared option types."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from themegrid.errors import ThemegridError


class _Group(TyperGroup):
    """Turns library errors into ``Error: <message>`` on stderr and exit status 1, no traceback;
    Ctrl-C into a one-line note and exit status 130 (the transaction was rolled back); a full
    disk, a read-only file system or a damaged store into its one-line message (failures.py)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ThemegridError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from exc
        except KeyboardInterrupt as exc:
            typer.echo(
                "Interrupted: the project store is as it was before this command; run it again.",
                err=True,
            )
            raise typer.Exit(130) from exc
        except Exception as exc:
            from themegrid.failures import explain

            explained = explain(exc)
            if explained is None:
                raise
            typer.echo(f"Error: {explained}", err=True)
            raise typer.Exit(1) from exc


def make_app(help_text: str, **kwargs: Any) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        cls=_Group,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        **kwargs,
    )


app = make_app(
    "themegrid: codebook-driven coding of interviews and documents, and cross-case theme matrices.\n\n"
    "A project is a folder with codebook/, corpus/ (with metadata.csv) and reports/. "
    "Start with 'themegrid init DIR', or run the commands inside the bundled example."
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("themegrid")
        except PackageNotFoundError:  # run from a source tree that was never installed
            found = "unknown (not installed; pip install -e .)"
        typer.echo(f"themegrid {found}")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print themegrid's version and exit.",
            callback=_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """themegrid: codebook-driven coding of interviews and documents, and cross-case theme
    matrices."""


ProjectOpt = Annotated[
    Path,
    typer.Option(
        "--project",
        "-p",
        help="The project folder (holds codebook/, corpus/, reports/).",
        file_okay=False,
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")
]
InterviewerTurnsOpt = Annotated[
    bool,
    typer.Option(
        "--code-interviewer-turns",
        help="Code the interviewer turns a coded passage covers too (default: a passage that"
        " also covers another speaker's turn is coded on that speaker's turns only; one wholly"
        " in interviewer turns is coded there).",
    ),
]
NewCoderOpt = Annotated[
    bool,
    typer.Option(
        "--new-coder",
        help="Record --coder as a coder of its own even when it differs from a known "
        "coder's name only in case or spaces (refused otherwise: 'did you mean').",
    ),
]


def plain_console(*, stderr: bool = False) -> Console:
    """A console that never interprets text as rich markup: codebook and transcript text
    such as ``[inaudible]`` or ``[/draft]`` is printed as written. Colour comes from
    ``style=`` arguments only."""
    return Console(
        stderr=stderr, soft_wrap=True, markup=False, highlight=False, width=_width(stderr)
    )


def wide_console(*, stderr: bool = False) -> Console:
    """A console for tables that may contain rich markup the caller has escaped."""
    return Console(stderr=stderr, width=_width(stderr))


def _width(stderr: bool) -> int | None:
    """Rich's own choice in a terminal; when piped or captured, wide enough not to cut code ids."""
    stream = sys.stderr if stderr else sys.stdout
    return None if stream.isatty() else 160


# Groups shared by several command modules.
export_app = make_app(
    "Export the project: segments table, REFI-QDA codebook (.qdc) and project (.qdpx)."
)
import_app = make_app("Import a REFI-QDA codebook (.qdc) or project (.qdpx).")
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")
