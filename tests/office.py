"""Whether LibreOffice here can open a kind of document, for the tests that convert files.

``soffice`` alone is not enough: Debian splits LibreOffice into packages, and a machine
with only ``libreoffice-calc`` has ``soffice`` but cannot load a ``.docx`` or ``.odt``
(it prints "source file could not be loaded" and exits 0). Each application's module
sits in the program folder beside ``soffice``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

#: The module each LibreOffice application needs (Linux names).
MODULES = {"writer": "libswlo.so", "calc": "libsclo.so"}
PACKAGES = {"writer": "libreoffice-writer", "calc": "libreoffice-calc"}


def missing(application: str) -> str | None:
    """Why LibreOffice cannot convert ``application``'s documents here (a skip reason), or None."""
    found = shutil.which("soffice")
    if found is None:
        return "LibreOffice (soffice) is not installed"
    program = Path(found).resolve().parent
    if not (program / MODULES[application]).is_file():
        return (
            f"LibreOffice here has no {application} ({program / MODULES[application]} is"
            f" absent): install {PACKAGES[application]}"
        )
    return None
