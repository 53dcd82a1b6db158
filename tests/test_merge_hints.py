"""Near-duplicate hints after import-coded: typos of one label, never distinct codes that
share a word (the real qabstracts codebook's 'h_result' heading code and 'result') or
differ by a prefix or another word (NaPiRE's 'processunclear' and 'processclear')."""

from __future__ import annotations

from collections import Counter

import pytest

from themegrid.exchange.coded.codes import merge_candidates, typo_alike
from themegrid.exchange.labels import CodeIndex


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("resul", "result"),  # the real qabstracts slips
        ("objetive", "objective"),
        ("conculsion", "conclusion"),
        ("8 - Press for Accuracy", "8 - press for  accuracy"),
        ("buy-in", "Buy in"),
        ("Teacher support", "Teachers support"),
        ("inneficient_development", "inefficient_development"),  # real NaPiRE slip
        ("requirments", "requirements"),
    ],
)
def test_typos_of_one_label_are_alike(a: str, b: str) -> None:
    assert typo_alike(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("h_result", "result"),  # a heading code and the code (qabstracts)
        ("a_result", "h_result"),  # an announcement and a heading
        ("fneed", "need"),  # future need and need
        ("Teacher support", "Student support"),
        ("Revoicing", "Restating"),
        # real NaPiRE codes that are distinct (opposites, other words), once offered for merging
        ("processunclear", "processclear"),
        ("documentationinsufficient", "documentationsufficient"),
        ("qualified_textual_requirements", "quantified_textual_requirements"),
        ("conflicts_within_the_customer", "conflicts_with_the_customer"),
        ("architect", "architecture"),
        ("documentationlean", "documentationclear"),
        # acronyms one letter apart are two bodies (NaPiRE's certifications)
        ("IPMA", "ISPMA"),
        ("CMM", "CMMI"),
        ("ISO IEC 25000", "ISO IEC 25010"),
    ],
)
def test_distinct_codes_sharing_a_word_are_not(a: str, b: str) -> None:
    assert not typo_alike(a, b)


def test_the_hint_groups_only_the_typo() -> None:
    used = Counter({"result": 40, "resul": 1, "h_result": 12, "a_result": 5, "need": 9})
    assert merge_candidates(CodeIndex(()), used) == [("result", ("resul",))]


def test_the_code_kept_is_the_one_spelled_right_else_the_most_used() -> None:
    """NaPiRE: the typo 'beginnging' was the more used spelling; merging into it would keep
    the typo. Among names that are no English words, the most used is kept."""
    used = Counter(
        {
            "insufficient_analysis_at_the_beginning": 2,
            "insufficient_analysis_at_the_beginnging": 9,
            "solution_orientration": 5,
            "solution_orientation": 1,
            "qwertyx_plan": 1,
            "qwertyz_plan": 4,
        }
    )
    assert merge_candidates(CodeIndex(()), used) == [
        ("insufficient_analysis_at_the_beginning", ("insufficient_analysis_at_the_beginnging",)),
        ("qwertyz_plan", ("qwertyx_plan",)),
        ("solution_orientation", ("solution_orientration",)),
    ]


def test_a_slash_is_a_path_only_where_the_labels_make_it_one(tmp_path) -> None:
    """NaPiRE's 'Project Lead / Project Manager' and 'ISO / IEC 25000' are names: nothing
    else in the file starts with 'Project Lead' or 'ISO'. 'Barriers / Funding' and
    'Barriers / Staffing' share their parent: a path."""
    import csv

    from themegrid.codebook import Codebook
    from themegrid.exchange.coded import import_coded
    from themegrid.store import Store

    rows = [
        ["1", "a", "Project Lead / Project Manager"],
        ["2", "b", "ISO / IEC 25000"],
        ["3", "c", "Barriers / Funding"],
        ["4", "d", "Barriers / Staffing"],
    ]
    path = tmp_path / "roles.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["id", "text", "code"], *rows])
    store = Store(":memory:")
    empty = Codebook(name="empty", version="1", description="", codes=())
    summary = import_coded(store, [path], coder="Ana", codebook=empty, add_codes=True)
    made = {c.name: c.parent_id for c in summary.codes_created}
    assert made["Project Lead / Project Manager"] is None
    assert made["ISO / IEC 25000"] is None
    assert made["Funding"] == made["Staffing"] == "barriers"
    assert "Project Lead" not in made and "ISO" not in made
    assert summary.codings_added == 4
    assert any("2 new code(s) keep a '/' in their name" in w for w in summary.warnings)
