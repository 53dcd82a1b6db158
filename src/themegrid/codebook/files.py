"""Codebook files themegrid writes itself: an empty codebook, and codes an import created.

``themegrid init --empty-codebook`` starts from :data:`EMPTY_CODEBOOK`. An
import with ``--add-codes`` writes its new codes to ``imported_<name>.yaml`` in
the codebook folder (atomically), and replaces the packaged template when the
codebook is still that untouched template (its example codes would otherwise be
scored and exported beside the imported ones).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from themegrid.atomic import atomic_path

#: The codebook file of a project started with an empty codebook.
EMPTY_CODEBOOK = """\
# Your codebook. The format is described in codebook/README.md, next to this file.
# Check it with: themegrid codebook check
codebook:
  name: My study codebook
  version: 0.1.0
  description: Codes for my study. Imports with --add-codes write theirs to imported_*.yaml here.
"""

TEMPLATE_NAME = "codebook.yaml"


def template_text() -> str:
    """The packaged codebook template ``themegrid init`` writes."""
    return (resources.files("themegrid") / "templates" / "codebook__codebook.yaml").read_text(
        encoding="utf-8"
    )


def is_untouched_template(folder: Path) -> bool:
    """Whether the codebook folder holds only the packaged template, unedited."""
    files = [p for p in folder.glob("*.y*ml") if not p.name.startswith((".", "_"))]
    return (
        len(files) == 1
        and files[0].name == TEMPLATE_NAME
        and files[0].read_text(encoding="utf-8") == template_text()
    )


def template_to_replace(folder: Path, codes: Iterable[str], decided: Collection[str]) -> bool:
    """Whether an import that brings codes of its own may replace the codebook: it is the
    untouched template (``codes``: its code ids) and no human decision is on any of its
    codes; once a researcher has decided with the template's codes they are the study's."""
    return is_untouched_template(folder) and not any(code in decided for code in codes)


def replace_template(folder: Path) -> Path:
    """Overwrite the untouched template with the empty codebook (header only); the path."""
    target = folder / TEMPLATE_NAME
    with atomic_path(target) as tmp:
        tmp.write_text(EMPTY_CODEBOOK, encoding="utf-8")
    return target


def imported_codes_path(folder: Path, name: str) -> Path:
    return folder / f"imported_{name}.yaml"


def write_imported_codes(path: Path, yaml_text: str) -> Path:
    """Write (or extend) an ``imported_<name>.yaml``: its codes plus those in ``yaml_text``.

    ``yaml_text`` is a ``codes:`` list; codes whose id the file already has are kept as
    they are there (a researcher may have written their definitions).
    """
    new: list[dict[str, Any]] = (yaml.safe_load(yaml_text) or {}).get("codes") or []
    old: list[dict[str, Any]] = []
    header = (
        "# Codes created by 'themegrid import-coded --add-codes'. Write their definitions;\n"
        "# rename or merge them with 'themegrid codebook' commands.\n"
    )
    if path.exists():
        old = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("codes") or []
    have = {str(c.get("id")) for c in old}
    codes = old + [c for c in new if str(c.get("id")) not in have]
    with atomic_path(path) as tmp:
        tmp.write_text(header + dump_codes(codes), encoding="utf-8")
    return path


def dump_codes(codes: list[dict[str, Any]]) -> str:
    """A ``codes:`` YAML list; safe_dump quotes any string YAML would read as another type
    (an id ``1`` is written ``'1'``, so it stays a string)."""
    return yaml.safe_dump({"codes": codes}, allow_unicode=True, sort_keys=False, width=100)
