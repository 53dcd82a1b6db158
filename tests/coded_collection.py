"""A small coded collection for the learn/evaluate tests: two themes with their own words."""

from __future__ import annotations

import random
from pathlib import Path

from factories import add_coding, add_document
from themegrid.store.connection import Store, now

CODEBOOK_YAML = """\
codebook:
  name: Test
  version: "1"
  description: Codebook for the learning tests.
codes:
  - id: funding
    name: Funding
    definition: Money, budgets and grants.
    examples: ["The grant money ran out and the budget was cut."]
    counterexamples: ["We could not hire enough substitute teachers."]
    cues:
      lemmas: [budget]
  - id: staffing
    name: Staffing
    definition: Not enough people.
    cues:
      lemmas: [turnover]
  - id: rare
    name: Rare
    definition: Almost never applied.
    cues:
      lemmas: [zebra]
"""

WORDS = {
    "funding": [
        "budget",
        "grant money",
        "dollars",
        "funding formula",
        "fiscal year",
        "appropriation",
    ],
    "staffing": [
        "substitute teachers",
        "turnover",
        "vacancies",
        "hiring",
        "coaches left",
        "burnout",
    ],
}
FILLER = [
    "we talked about it with the district",
    "the principals were involved",
    "it took a while",
    "honestly the work continues",
    "our families noticed",
    "the state office sent guidance",
    "in the spring",
    "last year",
]


def write_codebook(root: Path) -> Path:
    folder = root / "codebook"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "codebook.yaml").write_text(CODEBOOK_YAML, encoding="utf-8")
    return folder


def make_text(rng: random.Random, code: str | None) -> str:
    parts = rng.sample(FILLER, 3)
    if code is not None:
        parts.insert(rng.randrange(4), rng.choice(WORDS[code]))
        parts.insert(rng.randrange(5), rng.choice(WORDS[code]))
    return (", ".join(parts) + ".").capitalize()


def view(store: Store, segment_id: str, coder: str) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT OR IGNORE INTO segment_views (segment_id, coder, at) VALUES (?, ?, ?)",
            (segment_id, coder, now()),
        )


def build(
    store: Store, *, n_docs: int = 6, per_doc: int = 12, coder: str = "alice", seed: int = 0
) -> dict[str, set[str]]:
    """Documents of turns about funding, staffing or nothing; ``coder`` codes them all.

    Returns segment id -> the codes the coder applied (one rare-code use in all).
    """
    rng = random.Random(seed)
    truth: dict[str, set[str]] = {}
    for d in range(n_docs):
        codes = [rng.choice(["funding", "staffing", None]) for _ in range(per_doc)]
        ids = add_document(
            store, f"interviews/doc{d}.txt", [("R", make_text(rng, c)) for c in codes]
        )
        for seg_id, code in zip(ids, codes, strict=True):
            view(store, seg_id, coder)
            truth[seg_id] = {code} if code else set()
            if code:
                add_coding(store, seg_id, code, source="human", coder=coder, status="accepted")
    first = next(iter(truth))
    add_coding(store, first, "rare", source="human", coder=coder, status="accepted")
    truth[first].add("rare")
    return truth
