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

# Function names that equal a submodule name (ingest, evaluate, import_coded) are not
# re-exported: "from themegrid import ingest" must keep meaning the module.
_EXPORTS = {
    "CheckReport": "codebook_check",
    "check_codebook": "codebook_check",
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
    "make_nlp": "nlp",
    "Project": "project",
    "init_project": "project",
    "open_project": "project",
    "Store": "store",
    "CueRuler": "tagger",
    "RuleTagger": "tagger",
    "Suggestion": "tagger",
    "check_examples": "tagger",
    "read_document": "readers",
    "run_coding": "coding",
    "write_workbook": "workbook",
    "load_codings": "matrix",
    "compute_agreement": "agreement",
    "SuggestionModel": "learn",
    "export_review": "review",
    "import_review": "review",
    "export_qdc": "refi",
    "export_qdpx": "refi",
    "import_qdc": "refi",
    "import_qdpx": "refi",
    "export_segments": "segments_table",
    "list_codings": "status",
    "project_status": "status",
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
    from .codebook import Code, Codebook, Cues, load_codebook  # noqa: F401
    from .codebook_check import CheckReport, check_codebook  # noqa: F401
    from .errors import ThemegridError  # noqa: F401
    from .project import Project, init_project, open_project  # noqa: F401
    from .store import Store  # noqa: F401
    from .tagger import RuleTagger  # noqa: F401
