"""A project is a folder: ``codebook/``, ``corpus/`` (with ``metadata.csv``), ``reports/``
and the store ``themegrid.sqlite``. ``init_project`` scaffolds a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from themegrid.codebook import Codebook, load_codebook
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
    """The project at ``root``; raises ProjectError naming what is missing and the fix."""
    project = Project(Path(root).resolve())
    if not project.root.is_dir():
        raise ProjectError(
            f"{project.root}: no such folder; create a project with 'themegrid init DIR'"
        )
    for part in need:
        folder = getattr(project, f"{part}_dir")
        if not folder.is_dir():
            raise ProjectError(
                f"{project.root}: not a themegrid project (no {part}/ folder); "
                "run 'themegrid init DIR' or pass --project DIR"
            )
    return project


TEMPLATE_FILES = (
    "codebook/codebook.yaml",
    "codebook/README.md",
    "corpus/metadata.csv",
    "corpus/README.md",
    "reports/README.md",
)


def init_project(root: Path | str) -> tuple[Project, list[Path]]:
    """Create a project scaffold in ``root`` (which may exist but must not hold a project)."""
    project = Project(Path(root).resolve())
    if project.codebook_dir.exists() or project.store_path.exists():
        raise ProjectError(
            f"{project.root}: already holds a themegrid project (codebook/ or {STORE_NAME}); "
            "choose an empty folder"
        )
    written: list[Path] = []
    templates = resources.files("themegrid") / "templates"
    for rel in TEMPLATE_FILES:
        target = project.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            (templates / rel.replace("/", "__")).read_text(encoding="utf-8"), encoding="utf-8"
        )
        written.append(target)
    return project, written
