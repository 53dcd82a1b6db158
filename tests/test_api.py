"""The public Python API: every advertised name resolves, lazily."""

from __future__ import annotations

import subprocess
import sys

import themegrid


def test_every_public_name_resolves() -> None:
    for name in themegrid.__all__:
        assert getattr(themegrid, name) is not None, name


def test_importing_the_package_does_not_load_heavy_libraries() -> None:
    code = "import sys, themegrid, themegrid.cli; print(sorted(m for m in ('spacy', 'pandas', 'sklearn') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
