"""The exceptions themegrid raises. Each message says what is wrong and how to fix it.

The CLI turns any :class:`ThemegridError` into a one-line message and a
non-zero exit status; library users can catch the specific classes.
"""

from __future__ import annotations

from dataclasses import dataclass


class ThemegridError(Exception):
    """Base class: a problem the user can fix. ``str(e)`` is the full message."""


@dataclass(frozen=True)
class Problem:
    """One validation problem, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    where: str | None = None  # e.g. "code catalyst.covid", "sheet Review, row 4, column F"

    def __str__(self) -> str:
        loc = self.file or ""
        if self.line is not None:
            loc = f"{loc}:{self.line}" if loc else f"line {self.line}"
        parts = [p for p in (loc, self.where) if p]
        prefix = ", ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


class ValidationError(ThemegridError):
    """Several problems found at once; nothing was applied."""

    def __init__(self, problems: list[Problem], summary: str = "") -> None:
        self.problems = list(problems)
        head = summary or f"{len(self.problems)} problem(s) found; nothing was changed"
        super().__init__(head + "\n" + "\n".join(f"  {p}" for p in self.problems))


class CodebookError(ValidationError):
    """The codebook is invalid."""


class InputFileError(ThemegridError):
    """A file could not be read. The message names the file and says what to do."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class MissingDependency(ThemegridError):
    """An optional dependency is not installed."""

    def __init__(self, feature: str, package: str, extra: str) -> None:
        super().__init__(
            f"{feature} needs the '{package}' package, which is not installed; "
            f"install it with: pip install 'themegrid[{extra}]'"
        )


class ProjectError(ThemegridError):
    """The project folder or its store is not usable as it is."""


class StoreBusy(ProjectError):
    """Another themegrid command holds the project store."""


class UnknownCoder(ThemegridError):
    """A coder name that has no decisions or views in the store."""


class MatrixError(ThemegridError):
    """A matrix was asked for in a way the project's data cannot answer."""


class WorkbookError(ThemegridError):
    """The workbook could not be written where asked."""


class RefiError(InputFileError):
    """A REFI-QDA file that cannot be used as it is; nothing was written."""


class UnsafeArchive(RefiError):
    """A zip archive refused for safety (path escape, zip bomb)."""


class InvalidCoder(ThemegridError):
    """The coder name is empty or reserved for the machine."""


class SpanError(ThemegridError):
    """A passage to code that is not inside one turn of its document."""


class WebError(ThemegridError):
    """``themegrid serve`` cannot start as asked (e.g. a public address without accounts)."""


class StoreUnusable(ProjectError):
    """The store file cannot be used as it is; nothing was written to it."""


class StoreReadOnly(StoreUnusable):
    """The store, its folder or the file system does not allow writing."""


class StorePermissionDenied(StoreUnusable):
    """The store file (or its folder) may not be read by this user."""


class StoreDamaged(StoreUnusable):
    """The store file is corrupted or truncated."""


class StoreEmpty(StoreDamaged):
    """The store file has 0 bytes."""


class ForeignStore(StoreUnusable):
    """An SQLite (or other) file that is not a themegrid store."""


class StoreTooNew(StoreUnusable):
    """A store written by a newer themegrid, with migrations this one does not know."""


class DiskFull(ThemegridError):
    """The disk filled up during a write; the command's changes were rolled back."""


class BackupError(ThemegridError):
    """A backup could not be made, found or restored."""


class OutputError(ThemegridError):
    """A file could not be written (disk full, read-only, no permission); nothing was replaced."""


class YamlLimit(ThemegridError):
    """A codebook YAML file over a limit (alias expansion, tags, recursion); ``line`` locates it."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class CodesNotInCodebook(ThemegridError):
    """A coder's codes are missing from the codebook, so scoring against them would mislead."""


class ForeignProjectError(InputFileError):
    """Another tool's project file (Taguette, QualCoder) that cannot be read."""


class MergeError(ThemegridError):
    """A code merge (or its undo) that cannot be done as asked."""


class RemoveError(ThemegridError):
    """A document that ``themegrid remove`` cannot remove as asked."""
