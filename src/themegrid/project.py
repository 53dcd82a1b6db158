"""A project is a folder: ``codebook/``, ``corpus/`` (with ``metadata.csv``), ``reports/``
and the store ``themegrid.sqlite``. ``init_project`` scaffolds a new one.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from themegrid.atomic import atomic_path
from themegrid.codebook import Codebook, load_codebook
from themegrid.codebook.files import EMPTY_CODEBOOK
from themegrid.errors import ProjectError
from themegrid.store.connection import STORE_NAME, Store


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def codebook_dir(self) -> Path:
        return self.root / "codebook"

    @property
    def corpus_dir(self) -> Path:
        return self.root / "corpus"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def metadata_path(self) -> Path:
        return self.corpus_dir / "metadata.csv"

    @property
    def store_path(self) -> Path:
        return self.root / STORE_NAME

    def load_codebook(self) -> Codebook:
        return load_codebook(self.codebook_dir)

    def open_store(self) -> Store:
        return Store(self.store_path)


def open_project(root: Path | str = ".", *, need: tuple[str, ...] = ("codebook",)) -> Project:
    """The project at ``root``; raises ProjectError naming what is missing and the fix.

    A project is a folder holding ``codebook/``, ``corpus/`` or the store. When
    ``root`` is the current folder (the default), it and then its parents are
    searched, as git does, and a project found above is named on stderr. Nothing
    is created when no project is found.
    """
    start = Path(root).resolve()
    if not start.is_dir():
        raise ProjectError(f"{start}: no such folder; create a project with 'themegrid init DIR'")
    search_up = Path(root) == Path(".")
    candidates = [start, *start.parents] if search_up else [start]
    found = next((folder for folder in candidates if _is_project(folder)), None)
    if found is None:
        above = " or any folder above it" if search_up and start.parent != start else ""
        raise ProjectError(
            f"no themegrid project in {start}{above}; make one there with "
            f"'themegrid init {start}', or pass --project DIR"
        )
    if found != start:
        print(f"Using the project in {found}", file=sys.stderr)
    project = Project(found)
    for part in need:
        folder = getattr(project, f"{part}_dir")
        if not folder.is_dir():
            raise ProjectError(
                f"{project.root}: not a themegrid project (no {part}/ folder); "
                "run 'themegrid init DIR' or pass --project DIR"
            )
    return project


def _is_project(folder: Path) -> bool:
    """What marks a project folder: ``codebook/``, ``corpus/`` or the store file."""
    return (
        (folder / "codebook").is_dir()
        or (folder / "corpus").is_dir()
        or (folder / STORE_NAME).is_file()
    )


TEMPLATE_FILES = (
    "codebook/README.md",
    "corpus/metadata.csv",
    "corpus/README.md",
    "reports/README.md",
    "codebook/codebook.yaml",  # last: a codebook file is what makes the folder a project
)


def init_project(root: Path | str, *, empty_codebook: bool = False) -> tuple[Project, list[Path]]:
    """Create a project scaffold in ``root`` (which may exist but must not hold a project).

    ``empty_codebook``: codebook/codebook.yaml holds only the header, no example codes
    (for projects whose codes come from an import). Each file is written whole (a
    temporary file renamed into place) and a file already there is kept, so an init
    that was interrupted can be run again; the codebook comes last.
    """
    project = Project(Path(root).resolve())
    holds_codebook = project.codebook_dir.is_dir() and any(
        p.suffix in (".yaml", ".yml") for p in project.codebook_dir.iterdir()
    )
    if holds_codebook or project.store_path.exists():
        raise ProjectError(
            f"{project.root}: already holds a themegrid project (a codebook in codebook/ or "
            f"{STORE_NAME}); choose an empty folder"
        )
    written: list[Path] = []
    templates = resources.files("themegrid") / "templates"
    for rel in TEMPLATE_FILES:
        target = project.root / rel
        if target.exists():
            continue  # the researcher's own file (or one an interrupted init wrote whole)
        text = (templates / rel.replace("/", "__")).read_text(encoding="utf-8")
        if empty_codebook and rel == "codebook/codebook.yaml":
            text = EMPTY_CODEBOOK
        with atomic_path(target) as tmp:
            tmp.write_text(text, encoding="utf-8")
        written.append(target)
    return project, written
