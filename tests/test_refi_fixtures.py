"""Shared builders for the REFI-QDA tests: a coded project, fresh projects, the schemas."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from factories import add_coding, add_document
from themegrid.project import Project
from themegrid.store.connection import Store

SHARED_REFI = Path(__file__).resolve().parents[2] / "shared" / "refi-qda"

CODEBOOK_YAML = textwrap.dedent(
    """\
    codebook:
      name: Exchange test codebook
      version: 2.1.0
    codes:
      - id: barriers
        name: Barriers
        codable: false
        color: "#aa0000"
        definition: Obstacles respondents describe.
        children:
          - id: barriers.funding
            name: Funding constraints
            definition: Money limiting the work.
            include: Any mention of insufficient funding.
            exclude: Staffing not tied to money (use barriers.staffing).
            color: "#1f77b4"
          - id: barriers.staffing
            name: Staffing — pénurie
            definition: Not enough people to do the work.
      - id: equity
        name: Equity 公平
        definition: How respondents talk about equity.
    """
)

#: (speaker, text) turns; non-ASCII before and inside coded turns so that code-point,
#: UTF-16 and byte offsets all differ.
AZ_TURNS = [
    ("Interviewer", "Café first? ☕ 👩🏽‍🏫 What pushed the district to start?"),
    ("Respondent", "Honestly the budget — the grant money ran out in 東京 and here."),
    ("Interviewer", "And staffing?"),
    ("Respondent", "We could not find enough substitute teachers 😞 for release time."),
]
NV_TURNS = [
    ("Interviewer", "How did things go this year?"),
    ("Respondent", "Every student should get what they need; that is équité."),
]


def write_codebook(root: Path, text: str = CODEBOOK_YAML) -> Project:
    (root / "codebook").mkdir(parents=True, exist_ok=True)
    (root / "codebook" / "codebook.yaml").write_text(text, encoding="utf-8")
    return Project(root.resolve())


def build_project(root: Path) -> Project:
    """A coded project: two documents with attributes, two human coders, a rejection,
    a machine suggestion, and a suggestion a human accepted."""
    project = write_codebook(root)
    with Store(project.store_path) as store:
        az = add_document(
            store, "interviews/az_01.txt", AZ_TURNS, {"state": "Arizona", "role": "district leader"}
        )
        nv = add_document(
            store, "interviews/nv_01.txt", NV_TURNS, {"state": "Nevada", "role": "teacher"}
        )
        add_coding(store, az[1], "barriers.funding", source="human", coder="ana", status="accepted")
        add_coding(
            store, az[3], "barriers.staffing", source="human", coder="ana", status="accepted"
        )
        add_coding(store, az[3], "barriers.funding", source="human", coder="ben", status="accepted")
        # two coders applied the same code to the same turn: two codings in a QDA project
        add_coding(store, az[1], "barriers.funding", source="human", coder="ben", status="accepted")
        add_coding(store, nv[1], "equity", source="human", coder="ben", status="accepted")
        add_coding(store, az[1], "equity", source="human", coder="ben", status="rejected")
        add_coding(store, az[1], "equity")  # machine suggestion overruled by ben's rejection
        add_coding(store, nv[1], "barriers.funding")  # unreviewed machine suggestion
    return project


def fresh_project(root: Path) -> Project:
    """A project with an empty codebook folder and no store yet."""
    (root / "codebook").mkdir(parents=True)
    return Project(root.resolve())


def schema(name: str):
    if not (SHARED_REFI / name).exists():
        pytest.skip(
            f"REFI-QDA schemas not found at {SHARED_REFI} (clone the shared/ folder beside the repo)"
        )
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(SHARED_REFI / name)))


def accepted_codings(store: Store) -> set[tuple[str, str, str, str]]:
    """(document path, quoted text, code id, coder) for every human coder's own accepted
    coding (each coder's latest decision: two coders on one turn are two codings).

    The quoted text is the coding's passage where it has one (an imported selection is a
    span coding on the turn it falls in), else its whole segment."""
    rows = store.query(
        "SELECT d.path, CASE WHEN c.span_start IS NULL THEN s.text"
        " ELSE substr(d.text, c.span_start + 1, c.span_end - c.span_start) END,"
        " c.code_id, c.coder FROM codings c"
        " JOIN segments s ON s.id = c.segment_id JOIN documents d ON d.id = s.document_id"
        " WHERE c.source = 'human' AND c.status = 'accepted'"
    )
    return {(r[0], r[1], r[2], r[3]) for r in rows}
