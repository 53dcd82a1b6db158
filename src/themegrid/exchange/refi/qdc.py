"""REFI-QDA codebooks (``.qdc``): export the project's codebook, import one from another tool."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from themegrid import __version__
from themegrid.errors import Problem
from themegrid.exchange.refi.codes import (
    ExportCode,
    add_code_elements,
    export_codes,
    read_code_elements,
)
from themegrid.exchange.refi.importer import ImportPlan, ImportSummary, apply_import
from themegrid.exchange.refi.safety import (
    CODEBOOK_NS,
    DEFAULT_LIMITS,
    PROJECT_NS,
    Limits,
    PathOrFile,
    RefiError,
    display_name,
    lxml_etree,
    parse_xml,
    read_input,
    write_output,
)
from themegrid.project import Project
from themegrid.store.connection import Store


@dataclass(frozen=True)
class QdcExport:
    path: str
    codes: int

    def lines(self) -> list[str]:
        return [f"wrote {self.path}: {self.codes} codes (REFI-QDA codebook, QDA-XML 1.0)"]


def codebook_xml(codes: list[ExportCode]) -> bytes:
    """A ``<CodeBook>`` document (UTF-8 bytes) for ``codes``, valid against Codebook.xsd."""
    etree = lxml_etree()
    root = etree.Element(
        f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin=f"themegrid {__version__}"
    )
    codes_el = etree.SubElement(root, f"{{{CODEBOOK_NS}}}Codes")
    add_code_elements(codes_el, codes, CODEBOOK_NS)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export_qdc(project: Project, out: PathOrFile) -> QdcExport:
    """Write the project's codebook (YAML codes plus codes created by imports) as a ``.qdc``.

    ``out`` is a path (written atomically) or a binary file object.
    """
    codebook = project.load_codebook()
    store = Store(project.store_path) if project.store_path.exists() else None
    try:
        codes = export_codes(codebook, store)
    finally:
        if store is not None:
            store.close()
    if not codes:
        raise RefiError(
            str(project.codebook_dir), "the codebook has no codes; REFI-QDA needs at least one"
        )
    written = write_output(out, codebook_xml(codes))
    return QdcExport(written, len(codes))


def read_qdc(source: PathOrFile, limits: Limits = DEFAULT_LIMITS) -> ImportPlan:
    """Parse a ``.qdc`` file into an import plan; raises RefiError on anything unusable."""
    display = display_name(source)
    data = read_input(source, limits.max_xml_bytes)
    root = parse_xml(data, display, root="CodeBook", namespaces=(CODEBOOK_NS, PROJECT_NS))
    ns = lxml_etree().QName(root).namespace
    codes_el = root.find(f"{{{ns}}}Codes")
    problems: list[Problem] = []
    codes = read_code_elements(codes_el, ns, display, problems) if codes_el is not None else []
    raise_first(problems, display)
    if not codes:
        raise RefiError(display, "the codebook holds no <Code> elements; nothing to import")
    name = Path(display).stem
    return ImportPlan(
        file=display,
        command="import qdc",
        name=name,
        codes=tuple(codes),
        input_hash=hashlib.sha256(data).hexdigest(),
    )


def import_qdc(
    project: Project, source: PathOrFile, limits: Limits = DEFAULT_LIMITS
) -> ImportSummary:
    """Import a ``.qdc`` codebook into ``project`` (store codes and ``codebook/imported_*.yaml``)."""
    return apply_import(project, read_qdc(source, limits))


def raise_first(problems: list[Problem], display: str) -> None:
    """One line for the first problem (and how many more); nothing has been written."""
    if not problems:
        return
    first = problems[0]
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    location = ", ".join(
        p for p in (f"line {first.line}" if first.line else "", first.where or "") if p
    )
    raise RefiError(
        display, f"{location + ': ' if location else ''}{first.message}{more}; nothing was written"
    )
