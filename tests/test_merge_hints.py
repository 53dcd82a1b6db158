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
    ],
)
def test_distinct_codes_sharing_a_word_are_not(a: str, b: str) -> None:
    assert not typo_alike(a, b)


def test_the_hint_groups_only_the_typo() -> None:
    used = Counter({"result": 40, "resul": 1, "h_result": 12, "a_result": 5, "need": 9})
    assert merge_candidates(CodeIndex(()), used) == [("result", ("resul",))]
