"""Spreadsheets of already-coded segments (.csv/.xlsx) into the store as a human coder's codings.

One row is one segment. Each row is its own document (survey responses; path
``imported/<file name>#<id>``), or each file is one document (a transcript, rows
are turns; path ``imported/<file name>``; text is the rows joined by blank lines so
segment offsets are exact). As in ``ingest``, rows are documents unless a file has
a speaker column (or ``document_name`` is given); ``rows_are_documents`` decides.

Code cells map to the codebook by id or by name, ignoring case and repeated
whitespace; ``parent->child``, ``parent/child``, ``parent > child`` and
``parent::child`` (and NVivo's ``parent\\child``) name a code within its parent; a
cell may hold several codes, split at the delimiter and at line breaks. A column
holding only 0/1, TRUE/FALSE, yes/no or x is one column per code (its header the
code) when named, when Dedoose-style (``Code: NAME Applied``), or when headed by a
codebook code and no code column is found. Everything is validated before
anything is written; the writes land in one transaction recorded as a run.

A second coder's file of the same segments attaches to the same segments: by the
id column when one is given (also across file names, for ids found exactly once
with the same text: a respondent number repeats across a survey's questions),
else by document and text (a whole-file document whose text equals an earlier
import is the same document).

The flow, one module each: ``columns`` (which column is which), ``rows`` (the
rows and their labels), ``codes`` (labels to code ids), ``plan`` (documents and
segments to create or match), ``importer`` (validate, then write once).
"""

from __future__ import annotations

from themegrid.exchange.coded.codes import codes_as_yaml, create_code
from themegrid.exchange.coded.columns import NO_CODE_MARKERS, Layout
from themegrid.exchange.coded.importer import ImportSummary, import_coded
from themegrid.exchange.labels import (
    CodeIndex,
    InvalidCoder,
    KnownCode,
    check_coder,
    known_codes,
    norm,
)

__all__ = [
    "NO_CODE_MARKERS",
    "CodeIndex",
    "ImportSummary",
    "InvalidCoder",
    "KnownCode",
    "Layout",
    "check_coder",
    "codes_as_yaml",
    "create_code",
    "import_coded",
    "known_codes",
    "norm",
]
