"""Low-level failures (SQLite, the operating system) put into one line a researcher can act on.

The CLI calls :func:`explain` for an exception that is not a ThemegridError; a
full disk, a read-only file system or a damaged store met outside a transaction
then gets the same message it gets inside one, instead of a traceback.
"""

from __future__ import annotations

import errno
from pathlib import Path

from themegrid.atomic import output_error
from themegrid.errors import ThemegridError
from themegrid.store.connection import explain_database_error

_OS_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def explain(exc: BaseException) -> ThemegridError | None:
    """The ThemegridError to show for ``exc``, or None when it is a genuine bug."""
    database = explain_database_error(exc)
    if database is not None:
        return database
    if isinstance(exc, OSError) and exc.errno in _OS_ERRNOS:
        target = Path(exc.filename) if exc.filename else Path(".")
        return output_error(target, exc)
    return None
