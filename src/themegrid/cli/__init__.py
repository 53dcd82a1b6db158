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


def main() -> None:
    app()


__all__ = ["app", "main"]
