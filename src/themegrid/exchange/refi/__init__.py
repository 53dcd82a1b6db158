"""REFI-QDA exchange (QDA-XML 1.0): ``.qdc`` codebooks and ``.qdpx`` projects, both ways.

- :func:`export_qdc` / :func:`import_qdc`: the codebook alone.
- :func:`export_qdpx` / :func:`import_qdpx`: codebook, documents, codings, users, case attributes.
- :mod:`.safety`: untrusted archives and XML are checked before anything is written.

Needs ``lxml`` (``pip install 'themegrid[qda]'``), imported only when used.
"""

from __future__ import annotations

from themegrid.exchange.refi.codes import fold_description, unfold_description
from themegrid.exchange.refi.importer import MACHINE_USER, ImportPlan, ImportSummary
from themegrid.exchange.refi.qdc import QdcExport, codebook_xml, export_qdc, import_qdc, read_qdc
from themegrid.exchange.refi.qdpx import (
    QdpxExport,
    export_qdpx,
    import_qdpx,
    normalise_newlines,
    read_qdpx,
)
from themegrid.exchange.refi.safety import DEFAULT_LIMITS, Limits, RefiError, UnsafeArchive

__all__ = [
    "DEFAULT_LIMITS",
    "MACHINE_USER",
    "ImportPlan",
    "ImportSummary",
    "Limits",
    "QdcExport",
    "QdpxExport",
    "RefiError",
    "UnsafeArchive",
    "codebook_xml",
    "export_qdc",
    "export_qdpx",
    "fold_description",
    "import_qdc",
    "import_qdpx",
    "normalise_newlines",
    "read_qdc",
    "read_qdpx",
    "unfold_description",
]
