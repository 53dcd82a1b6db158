"""A small project store for the matrix and workbook tests, with its expectations.

The store is built from plain Python data (``DOCUMENTS``, ``CODINGS``) so each
test can recompute what a matrix should say without using themegrid's code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from factories import add_coding, add_document
from themegrid.codebook import Code, Codebook
from themegrid.store.connection import Store

CODEBOOK = Codebook(
    name="Test codebook",
    version="1.2.0",
    description="For the report tests.",
    codes=(
        Code("ctx", "Context", "Grouping.", codable=False),
        Code("ctx.local", "Local control", "Local control.", parent_id="ctx", include="inc"),
        Code("ctx.politics", "Political context", "Politics.", parent_id="ctx", exclude="exc"),
        Code("equity", "Equity", "Equity talk."),
        Code("equity.ses", "Socio-economic status", "SES.", parent_id="equity"),
        Code("equity.ses.rural", "Rural poverty", "Rural.", parent_id="equity.ses"),
        Code("pilots", "Pilot testing", "Pilots."),
    ),
)
PARENT = {c.id: c.parent_id for c in CODEBOOK.codes}

LONG = " ".join(["word"] * 40)

# path -> (attributes, turns); the first turn of interviews is the interviewer.
DOCUMENTS: dict[str, tuple[dict[str, str], list[tuple[str | None, str]]]] = {
    "interviews/az_01.txt": (
        {"state": "Arizona", "role": "teacher", "source_type": "interview"},
        [
            ("Interviewer", "Tell me about local control and politics."),
            ("Dr. Alvarez", "Local boards decide; the politics are hard. " + LONG),
            ("Dr. Alvarez", "Poverty in rural areas matters."),
            ("Dr. Alvarez", "We piloted it in three schools. " + LONG),
        ],
    ),
    "interviews/az_02.txt": (
        {"state": "Arizona", "role": "district leader", "source_type": "interview"},
        [
            ("Interviewer", "What about equity?"),
            ("Ms. Brown", "Equity means meeting each student's needs. " + LONG),
            ("Ms. Brown", "Our pilot started small."),
        ],
    ),
    "focus/az_fg.txt": (
        {"state": "Arizona", "role": "teacher", "source_type": "focus group"},
        [
            ("Interviewer", "Welcome everyone."),
            ("Teacher A", "Local control is strong here."),
            ("Teacher B", "=SUM(A1) is not a formula; families in poverty \x07 struggle."),
        ],
    ),
    "interviews/nv_01.txt": (
        {"state": "Nevada", "role": "state policymaker", "source_type": "interview"},
        [
            ("Interviewer", "And the legislature?"),
            ("Sen. Cruz", "The political context shaped the law. " + LONG),
            ("Sen. Cruz", "Equity was the point."),
        ],
    ),
    "docs/nv_plan.txt": (
        {"state": "Nevada", "source_type": "document review"},
        [(None, "The state plan funds pilots in rural districts."), (None, "Appendix.")],
    ),
    "interviews/nd_01.txt": (
        {"state": "North Dakota", "role": "teacher", "source_type": "interview"},
        [("Interviewer", "Anything else?"), ("Mr. Dahl", "Nothing on equity, really.")],
    ),
    "interviews/unknown.txt": (
        {"role": "teacher", "source_type": "interview"},
        [("Interviewer", "Hello."), ("Pat", "Local control, again.")],
    ),
    "interviews/gone.txt": (  # marked missing below: never counted
        {"state": "Nevada", "role": "teacher", "source_type": "interview"},
        [("Interviewer", "Hi."), ("Lee", "Local control.")],
    ),
}
MISSING_DOCUMENTS = {"interviews/gone.txt"}
INACTIVE_SEGMENTS = {("docs/nv_plan.txt", 1)}

# (path, turn index, code, kind). Kinds:
#   rule / model: a live machine suggestion (counts unless accepted-only)
#   accept: a rule suggestion a human accepted (counts always)
#   human: a code a human added (counts always)
#   reject: a rule suggestion a human rejected (never counts)
#   retired: a retired rule suggestion (never counts)
#   overruled: accepted by one human, later rejected by another (never counts)
CODINGS: list[tuple[str, int, str, str]] = [
    ("interviews/az_01.txt", 0, "ctx.local", "rule"),  # interviewer, machine: ignored
    ("interviews/az_01.txt", 1, "ctx.local", "rule"),
    ("interviews/az_01.txt", 1, "ctx.politics", "accept"),  # two children of ctx
    ("interviews/az_01.txt", 2, "equity.ses.rural", "rule"),
    ("interviews/az_01.txt", 2, "equity", "human"),  # parent coded directly too
    ("interviews/az_01.txt", 3, "pilots", "accept"),
    ("interviews/az_01.txt", 3, "equity", "reject"),
    ("interviews/az_02.txt", 0, "equity", "human"),  # interviewer, human: counts
    ("interviews/az_02.txt", 1, "equity.ses", "model"),
    ("interviews/az_02.txt", 1, "ctx.local", "retired"),
    ("interviews/az_02.txt", 2, "pilots", "rule"),
    ("focus/az_fg.txt", 1, "ctx.local", "rule"),
    ("focus/az_fg.txt", 2, "equity.ses", "accept"),
    ("interviews/nv_01.txt", 1, "ctx.politics", "rule"),
    ("interviews/nv_01.txt", 2, "equity", "overruled"),
    ("interviews/nv_01.txt", 2, "pilots", "reject"),
    ("docs/nv_plan.txt", 0, "pilots", "rule"),
    ("docs/nv_plan.txt", 0, "equity.ses.rural", "model"),
    ("docs/nv_plan.txt", 1, "pilots", "accept"),  # inactive segment: ignored
    ("interviews/nd_01.txt", 1, "equity", "reject"),
    ("interviews/unknown.txt", 1, "ctx.local", "human"),
    ("interviews/gone.txt", 1, "ctx.local", "accept"),  # missing document: ignored
]
COUNTED = {
    "suggested": {"rule", "model", "accept", "human"},
    "accepted": {"accept", "human"},
}


@dataclass
class Built:
    store: Store
    segment_ids: dict[tuple[str, int], str] = field(default_factory=dict)


def build_store(store: Store) -> Built:
    built = Built(store)
    for path, (attrs, turns) in DOCUMENTS.items():
        ids = add_document(store, path, turns, attrs, kind="interview")
        for i, seg_id in enumerate(ids):
            built.segment_ids[(path, i)] = seg_id
    for path, index, code, kind in CODINGS:
        _add(store, built.segment_ids[(path, index)], code, kind)
    with store.transaction() as conn:
        for path in MISSING_DOCUMENTS:
            conn.execute("UPDATE documents SET status = 'missing' WHERE path = ?", (path,))
        for key in INACTIVE_SEGMENTS:
            conn.execute("UPDATE segments SET active = 0 WHERE id = ?", (built.segment_ids[key],))
    return built


def _add(store: Store, seg: str, code: str, kind: str) -> None:
    human = {"source": "human", "coder": "ana", "confidence": None}
    if kind in ("rule", "accept", "reject", "overruled"):
        add_coding(store, seg, code, confidence=0.7, reason=f"cue for {code}")
    if kind == "model":
        add_coding(store, seg, code, source="model", coder="themegrid:model", confidence=0.9)
    if kind == "retired":
        add_coding(store, seg, code, status="retired")
    if kind in ("accept", "human", "overruled"):
        add_coding(store, seg, code, status="accepted", **human)
    if kind == "reject":
        add_coding(store, seg, code, status="rejected", **human)
    if kind == "overruled":
        add_coding(
            store, seg, code, source="human", coder="ben", status="rejected", confidence=None
        )


# --- independent expectations ------------------------------------------------------------------


def state_of(path: str) -> str:
    return DOCUMENTS[path][0].get("state", "(none)")


def counted_pairs(include: str = "suggested") -> set[tuple[str, int, str]]:
    """(path, turn, code) that count, straight from the fixture's rules."""
    out = set()
    for path, index, code, kind in CODINGS:
        if kind not in COUNTED[include]:
            continue
        if path in MISSING_DOCUMENTS or (path, index) in INACTIVE_SEGMENTS:
            continue
        speaker = DOCUMENTS[path][1][index][0]
        if speaker == "Interviewer" and kind in ("rule", "model"):
            continue
        out.add((path, index, code))
    return out


def with_parents(code: str) -> list[str]:
    chain = [code]
    while PARENT.get(chain[-1]):
        chain.append(PARENT[chain[-1]])
    return chain


def expected_counts(
    include: str = "suggested", roll_up: bool = True, case=state_of
) -> dict[tuple[str, str], int]:
    """{(code, case): segments}."""
    segments: dict[tuple[str, str], set[tuple[str, int]]] = defaultdict(set)
    for path, index, code in counted_pairs(include):
        for c in with_parents(code) if roll_up else [code]:
            segments[(c, case(path))].add((path, index))
    return {key: len(value) for key, value in segments.items()}


def expected_documents(include: str = "suggested") -> dict[tuple[str, str], int]:
    docs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path, _index, code in counted_pairs(include):
        for c in with_parents(code):
            docs[(c, state_of(path))].add(path)
    return {key: len(value) for key, value in docs.items()}


def documents_per_state() -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for path in DOCUMENTS:
        if path not in MISSING_DOCUMENTS:
            out[state_of(path)] += 1
    return dict(out)
