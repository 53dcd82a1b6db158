"""themegrid: codebook-driven, semi-automated qualitative coding and cross-case theme matrices.

The library does the work; the ``themegrid`` command is a thin layer over it.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .codebook import Code, Codebook, Cues, load_codebook
from .codebook_check import CheckReport, check_codebook
from .errors import (
    CodebookError,
    InputFileError,
    MissingDependency,
    Problem,
    ProjectError,
    StoreBusy,
    ThemegridError,
    ValidationError,
)
from .models import Coding, RawDocument, Segment, Unit
from .nlp import make_nlp
from .project import Project, init_project, open_project
from .store import Store
from .tagger import CueRuler, RuleTagger, Suggestion, check_examples

try:
    __version__ = version("themegrid")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = [
    "CheckReport",
    "Code",
    "Codebook",
    "CodebookError",
    "Coding",
    "CueRuler",
    "Cues",
    "InputFileError",
    "MissingDependency",
    "Problem",
    "Project",
    "ProjectError",
    "RawDocument",
    "RuleTagger",
    "Segment",
    "Store",
    "StoreBusy",
    "Suggestion",
    "ThemegridError",
    "Unit",
    "ValidationError",
    "__version__",
    "check_codebook",
    "check_examples",
    "init_project",
    "load_codebook",
    "make_nlp",
    "open_project",
]
