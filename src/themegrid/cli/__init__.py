"""The ``themegrid`` command line: a thin layer over the library.

Each ``*_cmd.py`` module here parses options for one group of commands, calls
library functions and prints the result; importing it registers its commands
on :data:`app`. Library errors (:class:`ThemegridError`) become a one-line
``Error: ...`` and exit status 1.
"""

from __future__ import annotations

import importlib
import pkgutil

from themegrid.cli.app import app

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.endswith("_cmd")):
    importlib.import_module(f"{__name__}.{_module}")


def _say_waiting(path: str, seconds: float) -> None:
    import typer

    typer.echo(
        f"{path}: another themegrid command is writing to this project; waiting up to "
        f"{seconds:.0f} s for it to finish ...",
        err=True,
    )


def main() -> None:
    from themegrid.store import connection

    connection.on_wait = _say_waiting
    app()


__all__ = ["app", "main"]
