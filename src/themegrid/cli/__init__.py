"""The ``themegrid`` command line: a thin layer over the library.

Each ``*_cmd.py`` module here parses options for one group of commands, calls
library functions and prints the result; importing it registers its commands
on :data:`app`. Library errors (:class:`ThemegridError`) become a one-line
``Error: ...`` and exit status 1.
"""

from __future__ import annotations

import importlib
import os
import pkgutil

# One BLAS/OpenMP thread a process, unless the user chose otherwise, set before numpy is
# imported (worker processes inherit it). The model fits thousands of small per-code
# logistic regressions, where threads only contend: measured on the pdpilot transcripts
# (834 segments, 90 codes) on 2 busy cores, `evaluate` took 279 s in one process with
# OpenBLAS's default threads and 18 s with one, `code` 20 s and 13 s, same results. Parallel
# work is done by processes (``--workers``, joblib), one thread each.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from themegrid.cli.app import app  # noqa: E402

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.endswith("_cmd")):
    importlib.import_module(f"{__name__}.{_module}")


def main() -> None:
    app()


__all__ = ["app", "main"]
