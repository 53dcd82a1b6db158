"""Atomic file output: write to a temporary file beside the target, then rename it into place.

A crash, an exception or Ctrl-C never leaves a half-written report, workbook or
export behind: either the old file stays or the complete new one replaces it.
Temporary files are named ``.<target>.tg<pid>-<random>.tmp``; one left by a
process that no longer runs (killed with ``kill -9``) is removed the next time
the same target is written. A full disk, a read-only folder or a permission
problem becomes a one-line :class:`~themegrid.errors.OutputError`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from themegrid.errors import OutputError

_LEGACY_AGE = 600.0  # seconds: a temp file in the old naming this old is surely abandoned


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    The file gets the permissions a new file normally gets (``mkstemp`` would
    make it private to the user).
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(target)
        fd, name = tempfile.mkstemp(
            prefix=f".{target.name}.tg{os.getpid()}-", suffix=".tmp", dir=target.parent
        )
    except OSError as exc:
        if exc.errno in _EXPLAINED:
            raise output_error(target, exc) from exc
        raise
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        if exc.errno in _EXPLAINED:
            raise output_error(target, exc) from exc
        raise
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


_EXPLAINED = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def output_error(target: Path, exc: OSError) -> OutputError:
    """The one-line message for a file that could not be written."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = f"the disk is full; free some space on the disk holding {target.parent}"
    elif exc.errno == errno.EROFS:
        why = f"{target.parent} is on a read-only file system; write the file somewhere else"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = f"permission denied; make {target.parent} writable or write the file somewhere else"
    else:
        why = f"{exc.strerror or exc}"
    return OutputError(f"{target}: could not be written ({why}); nothing was replaced")


def remove_stale_temps(target: Path) -> list[Path]:
    """Delete temporary files for ``target`` left by processes that no longer run."""
    ours = re.compile(rf"^\.{re.escape(target.name)}\.tg(\d+)-[^/]*\.tmp$")
    legacy = re.compile(rf"^\.{re.escape(target.name)}\.[A-Za-z0-9_]{{8}}\.tmp$")
    removed = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return []
    for entry in entries:
        match = ours.match(entry.name)
        if match:
            stale = not _alive(int(match.group(1)))
        elif legacy.match(entry.name):
            with contextlib.suppress(OSError):
                stale = time.time() - entry.stat().st_mtime > _LEGACY_AGE
        else:
            continue
        if stale:
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
