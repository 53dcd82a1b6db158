"""themegrid: codebook-driven, semi-automated qualitative coding and cross-case theme matrices.

The library does the work; the ``themegrid`` command is a thin layer over it.
Names are imported on first use, so ``import themegrid`` (and the command's
``--help``) stays fast; spaCy, pandas and scikit-learn load only when needed.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("themegrid")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

# Every command is one library call: ``themegrid.ingest(project)``, ``themegrid.import_coded(...)``.
_EXPORTS = {
    # the commands, one call each (themegrid.api): each takes a Project or a folder path
    "ingest": "api",
    "code": "api",
    "status": "api",
    "report": "api",
    "review_export": "api",
    "review_import": "api",
    "import_coded": "api",
    "evaluate": "api",
    "agreement": "api",
    "export_segments": "api",
    "export_qdc": "api",
    "export_qdpx": "api",
    "import_qdc": "api",
    "import_qdpx": "api",
    "import_taguette": "api",
    "import_qualcoder": "api",
    "ImportOptions": "exchange.options",
    "check_codebook": "api",
    "ProjectStatus": "pipeline.status",
    "CheckReport": "codebook.check",
    "Code": "codebook",
    "Codebook": "codebook",
    "Cues": "codebook",
    "load_codebook": "codebook",
    "CodebookError": "errors",
    "InputFileError": "errors",
    "MissingDependency": "errors",
    "Problem": "errors",
    "ProjectError": "errors",
    "StoreBusy": "errors",
    "ThemegridError": "errors",
    "ValidationError": "errors",
    "Coding": "models",
    "RawDocument": "models",
    "Segment": "models",
    "Unit": "models",
    "make_nlp": "tag.nlp",
    "Project": "project",
    "init_project": "project",
    "open_project": "project",
    "Store": "store.connection",
    "CueRuler": "tag.tagger",
    "RuleTagger": "tag.tagger",
    "Suggestion": "tag.tagger",
    "check_examples": "tag.tagger",
    "read_document": "read",
    "run_coding": "pipeline.coding",
    "write_workbook": "export.workbook",
    "load_codings": "aggregate.matrix",
    "compute_agreement": "aggregate.agreement",
    "SuggestionModel": "tag.model",
    "export_review": "exchange.review",
    "import_review": "exchange.review",
    "list_codings": "pipeline.status",
    "project_status": "pipeline.status",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'themegrid' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # for type checkers and IDEs
    from themegrid.codebook import Code, Codebook, Cues, load_codebook  # noqa: F401
    from themegrid.codebook.check import CheckReport, check_codebook  # noqa: F401
    from themegrid.errors import ThemegridError  # noqa: F401
    from themegrid.project import Project, init_project, open_project  # noqa: F401
    from themegrid.store.connection import Store  # noqa: F401
    from themegrid.tag.tagger import RuleTagger  # noqa: F401
