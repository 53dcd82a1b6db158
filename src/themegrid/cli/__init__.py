"""The ``themegrid`` command line: a thin layer over the library.

Each module here parses options for one group of commands, calls one library
function and prints the result. Library errors (:class:`ThemegridError`)
become a one-line ``Error: ...`` and exit status 1.
"""

from __future__ import annotations

from .app import app

# Command modules register themselves on import.
from . import codebook_cmd, project_cmd  # noqa: E402, F401  isort: skip


def main() -> None:
    app()


__all__ = ["app", "main"]
